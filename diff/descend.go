package diff

import (
	"fmt"
	"strings"
	"sync"

	"isodiff/unpack"
)

// descend unpacks two differing contents of the same format and compares
// what they hold, so that a difference is reported in the deepest entry
// that has it. It reports false, with a note saying why, when the contents
// are to be compared as bytes instead.
func (c *comparer) descend(n *Node, da, db unpack.Data, sc scope) bool {
	if da == nil || db == nil {
		return false
	}
	fa, okA := unpack.Detect(da, da.Size(), c.opt.Formats)
	fb, okB := unpack.Detect(db, db.Size(), c.opt.Formats)
	switch {
	case !okA && !okB:
		return false
	case !okA || !okB || fa.Name != fb.Name:
		n.Notes = append(n.Notes, fmt.Sprintf("compared as bytes: A is %s, B is %s", formatName(fa, okA), formatName(fb, okB)))
		return false
	case sc.depth >= c.opt.MaxDepth:
		n.Notes = append(n.Notes, fmt.Sprintf("compared as bytes: %s not unpacked, %d layers deep (--max-depth)", fa.Name, sc.depth))
		return false
	}

	// What the layers spool lives as long as their comparison. The two
	// sides spool in step, so that what their streams have in common is
	// kept once; each stops waiting for the other once it is open.
	envA, envB := c.env.Pair()
	defer envA.Close()
	defer envB.Close()
	var ra, rb *unpack.Node
	var errA, errB error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer envA.Done()
		ra, errA = safeOpen(fa, da, envA)
	})
	wg.Go(func() {
		defer envB.Done()
		rb, errB = safeOpen(fb, db, envB)
	})
	wg.Wait()
	n.IOError = n.IOError || unpack.IsLocal(errA) || unpack.IsLocal(errB)
	if errA != nil || errB != nil {
		// Like diffoscope: a layer that cannot be unpacked falls back to
		// a byte comparison, and says why.
		if errA != nil {
			n.ErrA = fmt.Sprintf("could not unpack as %s: %v", fa.Name, errA)
		}
		if errB != nil {
			n.ErrB = fmt.Sprintf("could not unpack as %s: %v", fb.Name, errB)
		}
		n.Notes = append(n.Notes, "compared as bytes: "+fa.Name+" layer could not be unpacked")
		return false
	}

	c.addTotals(ra, rb, true)
	n.Inner = fa.Name
	n.Descended = true
	n.fields = append(n.Fields(), layerFields(fa.Name, ra, rb)...)
	n.fieldsA, n.fieldsB, n.metaA = nil, nil, nil
	n.ErrA, n.ErrB = joinErr(n.ErrA, errText(ra)), joinErr(n.ErrB, errText(rb))
	c.children(n, ra, rb, scope{depth: sc.depth + 1})
	if c.stopped() {
		return true
	}
	n.Moved, n.Respelled, n.Renamed = countSystematic(n)
	if !n.childrenDiffer() && !n.decodedDifference() {
		// The bytes differ, yet no entry, field or order does, but for
		// sizes and checksums, which follow from the bytes without
		// saying which: the difference lies in bytes no decoded value
		// shows (placement, encoding, padding, what a cut left
		// undecoded), which are shown as they are.
		c.undecoded(n, da, db, ra.Layout(), rb.Layout())
	}
	return true
}

// maxRegionNotes bounds the notes naming where undecoded bytes differ.
const maxRegionNotes = 8

// undecoded marks a pair whose bytes differ while nothing decoded from
// them does, and shows those bytes as a hex diff with each differing
// region named by the structures the layer's reader says hold it: the
// verdict must never be "identical" for bytes that differ.
func (c *comparer) undecoded(n *Node, da, db unpack.Data, la, lb unpack.Layout) {
	n.LayoutOnly = true
	n.Content = &Content{SizeA: da.Size(), SizeB: db.Size(), Hex: hexDiff(c.ctx, viewOf(da), viewOf(db), c.opt)}
	if la == nil && lb == nil {
		return
	}
	regions := differingRegions(n.Content.Hex)
	for i, r := range regions {
		if i == maxRegionNotes {
			n.Notes = append(n.Notes, fmt.Sprintf("%d more regions not named", len(regions)-maxRegionNotes))
			break
		}
		n.Notes = append(n.Notes, byteRange(r.Start, r.End-1)+": "+holders(la, lb, r))
	}
}

// differingRegions are the runs of differing rows of a hex diff, as far as
// it keeps them, each from its first differing byte to its last.
func differingRegions(h *HexDiff) []unpack.Range {
	var out []unpack.Range
	lastRow := int64(-1)
	for _, hunk := range h.Hunks {
		for _, row := range hunk.Rows {
			if row.Same {
				continue
			}
			first, last := differingBytes(row)
			if k := len(out) - 1; k >= 0 && lastRow+rowSize == row.Offset {
				out[k].End = last + 1
			} else {
				out = append(out, unpack.Range{Start: first, End: last + 1})
			}
			lastRow = row.Offset
		}
	}
	return out
}

// differingBytes are the offsets of the first and last differing bytes of
// a row; a byte one side lacks differs.
func differingBytes(row HexRow) (first, last int64) {
	first, last = -1, -1
	for i := range max(len(row.A), len(row.B)) {
		if i >= len(row.A) || i >= len(row.B) || row.A[i] != row.B[i] {
			if first < 0 {
				first = int64(i)
			}
			last = int64(i)
		}
	}
	if first < 0 {
		first, last = 0, int64(max(len(row.A), len(row.B))-1)
	}
	return row.Offset + first, row.Offset + last
}

// holders says what holds a region on each side.
func holders(la, lb unpack.Layout, r unpack.Range) string {
	name := func(l unpack.Layout) string {
		if l == nil {
			return "no structure the reader knows"
		}
		if hs := l.Holding(r); len(hs) > 0 {
			return strings.Join(hs, ", ")
		}
		return "no structure the reader knows"
	}
	a, b := name(la), name(lb)
	if a == b {
		return "in " + a
	}
	return "in A: " + a + "; in B: " + b
}

// safeOpen opens a layer in a goroutine of its own, where a reader's panic
// would end the process: it becomes the layer's error instead.
func safeOpen(f unpack.Format, d unpack.Data, env *unpack.Env) (n *unpack.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, fmt.Errorf("internal error in the %s reader: %v", f.Name, r)
		}
	}()
	return f.Open(d, d.Size(), env)
}

func formatName(f unpack.Format, ok bool) string {
	if !ok {
		return "not a format isodiff unpacks"
	}
	return f.Name
}

// layerFields are the fields of an unpacked layer's root (a gzip header, a
// squashfs superblock), named after the layer so that they read apart from
// the fields of the entry that holds it.
func layerFields(layer string, a, b *unpack.Node) []FieldDiff {
	fs := mergeFields(a.AllFields(), b.AllFields())
	for i := range fs {
		fs[i].Name = layer + " " + fs[i].Name
	}
	return fs
}

func joinErr(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// countSystematic counts the entries of the layer below n whose placement
// differs and those whose name is spelled differently; entries of deeper
// layers count at their own layer's root.
func countSystematic(n *Node) (moved, respelled, renamed int) {
	for _, ch := range n.Children {
		if ch.Placed() {
			moved++
		}
		if ch.NameRespelled() {
			respelled++
		}
		if ch.StorePathRenamed() {
			renamed++
		}
		if !ch.Descended {
			m, r, s := countSystematic(ch)
			moved, respelled, renamed = moved+m, respelled+r, renamed+s
		}
	}
	return moved, respelled, renamed
}
