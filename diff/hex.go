package diff

import (
	"bytes"
	"context"

	"isodiff/unpack"
)

// HexDiff is a dump of the 16-byte rows where two contents differ, with
// context rows, both sides aligned by offset.
type HexDiff struct {
	Hunks []HexHunk
	// DiffBytes counts the differing bytes over the whole content (a byte
	// past the end of one side counts as differing), Regions the runs of
	// differing rows, FirstDiff the offset of the first differing byte.
	DiffBytes int64
	Regions   int
	FirstDiff int64
	LastDiff  int64 // offset of the last differing byte
	// OmittedRows counts differing rows left out by MaxHexBytes.
	OmittedRows int64
}

// HexHunk is a run of rows: differing rows and their context.
type HexHunk struct {
	Rows []HexRow
}

// HexRow is 16 bytes at Offset on each side; a side shorter than the row
// has fewer bytes, a side past its end has none.
type HexRow struct {
	Offset int64
	A, B   []byte
	Same   bool
}

const rowSize = 16

// hexDiff scans both sides once, chunk by chunk, and keeps the differing
// rows up to MaxHexBytes, each with ContextRows of context around it. It
// stops where it is when ctx is done.
func hexDiff(ctx context.Context, a, b view, opt Options) *HexDiff {
	hd := &HexDiff{FirstDiff: -1}
	maxRows := int64((opt.MaxHexBytes + rowSize - 1) / rowSize) // a row at least, when any
	var kept int64
	var cur *HexHunk
	var history []HexRow // the last ContextRows same rows, for context
	after := 0           // context rows still to add after a differing row
	lastDiffRow := int64(-2)
	bufs := getBuffers()
	defer putBuffers(bufs)
	bufA, bufB := bufs[0][:], bufs[1][:]
	// keep copies the context rows still held from the buffers before the
	// buffers are reused for the next chunk.
	keep := func() {
		for i := range history {
			history[i].A, history[i].B = clone(history[i].A), clone(history[i].B)
		}
	}

	// Holes on both sides, and bytes both sides keep at one place, are
	// equal rows: only the context next to a difference is read of them.
	margin := int64(opt.ContextRows+1) * rowSize
	for _, sp := range unpack.WithoutShared(unpack.WithoutCommonHoles(spans(a, b), a.r, b.r, margin), a.r, b.r, margin) {
		start := sp.Start &^ (rowSize - 1)
		for off := start; off < sp.End; off += chunkSize {
			if ctx.Err() != nil {
				return hd
			}
			n := min(int64(chunkSize), sp.End-off)
			n = (n + rowSize - 1) &^ (rowSize - 1)
			na, errA := a.read(bufA[:n], off)
			nb, errB := b.read(bufB[:n], off)
			if errA != nil || errB != nil {
				// What cannot be read is not shown as a difference; the
				// caller has already reported the read error.
				na, nb = min(na, nb), min(na, nb)
				n = int64(na) &^ (rowSize - 1)
			}
			if errA == nil && errB == nil && na == nb && bytes.Equal(bufA[:na], bufB[:nb]) {
				// An equal chunk: only its first rows (context after a
				// difference) and its last rows (context before the next
				// one) can show.
				r := int64(0)
				for ; after > 0 && cur != nil && r < int64(na); r += rowSize {
					cur.Rows = append(cur.Rows, HexRow{Offset: off + r, A: clone(rowBytes(bufA, r, int64(na))), B: clone(rowBytes(bufB, r, int64(nb))), Same: true})
					after--
				}
				if opt.ContextRows > 0 {
					from := max(r, (int64(na)+rowSize-1)&^(rowSize-1)-int64(opt.ContextRows)*rowSize)
					for q := from; q < int64(na); q += rowSize {
						history = pushRow(history, HexRow{Offset: off + q, A: rowBytes(bufA, q, int64(na)), B: rowBytes(bufB, q, int64(nb)), Same: true}, opt.ContextRows)
					}
				}
				keep()
				continue
			}
			for r := int64(0); r < n; r += rowSize {
				rowOff := off + r
				ra, rb := rowBytes(bufA, r, int64(na)), rowBytes(bufB, r, int64(nb))
				diff := countDiff(bufA[r:r+rowSize], bufB[r:r+rowSize], ra, rb)
				if a.ranges != nil && b.ranges != nil {
					// masked views are zero-extended: length is no difference
					ra, rb = bufA[r:r+rowSize], bufB[r:r+rowSize]
					diff = countDiff(ra, rb, ra, rb)
				}
				if diff == 0 {
					if len(ra) == 0 && len(rb) == 0 {
						continue
					}
					row := HexRow{Offset: rowOff, A: ra, B: rb, Same: true}
					if after > 0 && cur != nil {
						row.A, row.B = clone(ra), clone(rb)
						cur.Rows = append(cur.Rows, row)
						after--
					} else if opt.ContextRows > 0 {
						history = pushRow(history, row, opt.ContextRows)
					}
					continue
				}
				hd.DiffBytes += int64(diff)
				if hd.FirstDiff < 0 {
					hd.FirstDiff = rowOff + firstDiff(ra, rb)
				}
				hd.LastDiff = rowOff + lastDiff(ra, rb)
				if rowOff != lastDiffRow+rowSize {
					hd.Regions++
				}
				lastDiffRow = rowOff
				if kept >= maxRows {
					hd.OmittedRows++
					cur, history, after = nil, nil, 0
					continue
				}
				if cur == nil || !contiguous(cur, history, rowOff) {
					hd.Hunks = append(hd.Hunks, HexHunk{})
					cur = &hd.Hunks[len(hd.Hunks)-1]
				}
				for _, h := range history {
					h.A, h.B = clone(h.A), clone(h.B)
					cur.Rows = append(cur.Rows, h)
				}
				history = history[:0]
				cur.Rows = append(cur.Rows, HexRow{Offset: rowOff, A: clone(ra), B: clone(rb)})
				kept++
				after = opt.ContextRows
			}
			keep()
			if errA != nil || errB != nil {
				return hd
			}
		}
		cur, history, after = nil, nil, 0
	}
	return hd
}

// pushRow appends a row to the context kept before a difference, keeping
// the last max rows in place (no allocation per row).
func pushRow(h []HexRow, row HexRow, max int) []HexRow {
	if len(h) == max {
		copy(h, h[1:])
		h = h[:max-1]
	}
	return append(h, row)
}

// contiguous reports whether rowOff continues hunk h directly, with the
// pending context rows in between.
func contiguous(h *HexHunk, pending []HexRow, rowOff int64) bool {
	if len(h.Rows) == 0 {
		return true
	}
	last := h.Rows[len(h.Rows)-1].Offset
	if len(pending) > 0 {
		return pending[0].Offset == last+rowSize
	}
	return rowOff == last+rowSize
}

func rowBytes(buf []byte, r, n int64) []byte {
	if r >= n {
		return nil
	}
	return buf[r:min(r+rowSize, n)]
}

// countDiff counts differing bytes of a row; ra and rb are the real bytes,
// so a byte present on one side only differs.
func countDiff(fa, fb, ra, rb []byte) int {
	d := 0
	for i := 0; i < rowSize; i++ {
		inA, inB := i < len(ra), i < len(rb)
		if inA != inB || (inA && fa[i] != fb[i]) {
			d++
		}
	}
	return d
}

func firstDiff(a, b []byte) int64 {
	for i := 0; i < rowSize; i++ {
		inA, inB := i < len(a), i < len(b)
		if inA != inB || (inA && a[i] != b[i]) {
			return int64(i)
		}
	}
	return 0
}

func lastDiff(a, b []byte) int64 {
	for i := rowSize - 1; i >= 0; i-- {
		inA, inB := i < len(a), i < len(b)
		if inA != inB || (inA && a[i] != b[i]) {
			return int64(i)
		}
	}
	return 0
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
