package diff

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"unicode/utf8"

	"isodiff/unpack"
)

// Content says how the bytes of two entries differ.
type Content struct {
	SizeA, SizeB int64
	Text         *TextDiff
	Hex          *HexDiff
}

// Summary is a few words on the difference, such as "+3 −1 lines".
func (c *Content) Summary() string {
	switch {
	case c.Text != nil:
		return fmt.Sprintf("+%d −%d lines", c.Text.Added, c.Text.Removed)
	case c.Hex != nil:
		h := c.Hex
		s := fmt.Sprintf("%d bytes differ at 0x%x", h.DiffBytes, h.FirstDiff)
		if h.DiffBytes == 1 {
			s = fmt.Sprintf("1 byte differs at 0x%x", h.FirstDiff)
		}
		if h.Regions > 1 {
			s = fmt.Sprintf("%d bytes in %d regions from 0x%x", h.DiffBytes, h.Regions, h.FirstDiff)
		}
		if c.SizeA != c.SizeB {
			s = fmt.Sprintf("size %d → %d, ", c.SizeA, c.SizeB) + s
		}
		return s
	}
	return "content differs"
}

const chunkSize = 1 << 20

// bufferPool holds pairs of chunk buffers for hex diffs, which read both
// sides a chunk at a time (equality is unpack.EqualAt's, with its own).
var bufferPool = sync.Pool{New: func() any { return new([2][chunkSize]byte) }}

func getBuffers() *[2][chunkSize]byte  { return bufferPool.Get().(*[2][chunkSize]byte) }
func putBuffers(b *[2][chunkSize]byte) { bufferPool.Put(b) }

// view is what the comparison reads of one side: a reader over size bytes.
// Masked views of different sizes are compared as if zero-extended.
type view struct {
	r      io.ReaderAt
	size   int64
	ranges []unpack.Range // nil: all of it
}

func viewOf(d unpack.Data) view {
	if d == nil {
		return view{r: bytes.NewReader(nil)}
	}
	v := view{r: d, size: d.Size()}
	if rd, ok := d.(unpack.Ranged); ok {
		v.ranges = rd.Ranges()
		if v.ranges == nil {
			v.ranges = []unpack.Range{}
		}
	}
	return v
}

// ReadAt reads as read does, counting the zeros past the end as read.
func (v view) ReadAt(p []byte, off int64) (int, error) {
	if _, err := v.read(p, off); err != nil {
		return 0, err
	}
	return len(p), nil
}

// read fills p from off, zero past the end; n is the count of real bytes.
func (v view) read(p []byte, off int64) (int, error) {
	clear(p)
	if off >= v.size {
		return 0, nil
	}
	want := min(int64(len(p)), v.size-off)
	n, err := v.r.ReadAt(p[:want], off)
	if int64(n) == want {
		err = nil
	} else if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// spans are the byte ranges the comparison must read: everything for plain
// data, the union of both sides' ranges for masked data.
func spans(a, b view) []unpack.Range {
	end := max(a.size, b.size)
	if a.ranges == nil || b.ranges == nil {
		return []unpack.Range{{Start: 0, End: end}}
	}
	all := append(append([]unpack.Range{}, a.ranges...), b.ranges...)
	slices.SortFunc(all, func(x, y unpack.Range) int { return cmp.Compare(x.Start, y.Start) })
	var out []unpack.Range
	for _, r := range all {
		if len(out) > 0 && r.Start <= out[len(out)-1].End {
			out[len(out)-1].End = max(out[len(out)-1].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

// readError is a failure to read one side's content.
type readError struct {
	side string
	off  int64
	err  error
}

func (e *readError) Error() string {
	return fmt.Sprintf("reading content at byte %d: %v", e.off, e.err)
}

func (e *readError) Unwrap() error { return e.err }

// equalData reports whether two contents hold the same bytes: sizes first,
// then the bytes, chunk by chunk, until ctx is done.
func equalData(ctx context.Context, da, db unpack.Data, p *Progress) (bool, error) {
	// Two files stored identically (squashfs blocks) are equal without
	// decompressing a single data block.
	if sa, ok := da.(unpack.StoredEqualer); ok {
		if same, err := sa.SameStored(db); same || err != nil {
			if same && p != nil {
				p.BytesA.Add(da.Size())
				p.BytesB.Add(db.Size())
			}
			return same, err
		}
	}
	a, b := viewOf(da), viewOf(db)
	masked := a.ranges != nil && b.ranges != nil
	if !masked && a.size != b.size {
		return false, nil
	}
	// Holes of a sparse file on both sides are zeros on both sides.
	for _, sp := range unpack.WithoutCommonHoles(spans(a, b), da, db, 0) {
		for off := sp.Start; off < sp.End; off += chunkSize {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			n := min(int64(chunkSize), sp.End-off)
			// Within both sizes the readers themselves, which may be
			// mapped files compared where they lie; past one side's end
			// (masked data of two sizes) the views, zero there.
			var ra, rb io.ReaderAt = a, b
			if off+n <= a.size && off+n <= b.size {
				ra, rb = a.r, b.r
			}
			same, err := unpack.EqualAt(ra, off, rb, off, n)
			if re, ok := err.(*unpack.ReadError); ok {
				return false, &readError{side: [2]string{"A", "B"}[re.Side], off: re.Off, err: re.Err}
			}
			if err != nil {
				return false, err
			}
			if p != nil {
				p.BytesA.Add(n)
				p.BytesB.Add(n)
			}
			if !same {
				return false, nil
			}
		}
	}
	return true, nil
}

// explainContent describes how two differing contents differ: as a text
// diff when both are text of a readable size, else as a hex diff.
func (c *comparer) explainContent(n *Node, da, db unpack.Data) *Content {
	ct := &Content{}
	if da != nil {
		ct.SizeA = da.Size()
	}
	if db != nil {
		ct.SizeB = db.Size()
	}
	if ta, ok := c.readText(da); ok {
		if tb, ok := c.readText(db); ok {
			if ct.Text = textDiff(c.ctx, ta, tb, c.opt); ct.Text != nil {
				n.Content = ct
				c.storeHashText(n, ta, tb)
				return ct
			}
		}
	}
	ct.Hex = hexDiff(c.ctx, viewOf(da), viewOf(db), c.opt)
	return ct
}

// readText returns the content as text when it looks like text: valid
// UTF-8 without NUL bytes, no larger than MaxTextSize.
func (c *comparer) readText(d unpack.Data) (string, bool) {
	if d == nil {
		return "", true
	}
	if _, masked := d.(unpack.Ranged); masked || d.Size() > c.opt.MaxTextSize {
		return "", false
	}
	b := make([]byte, d.Size())
	if n, err := d.ReadAt(b, 0); n != len(b) && err != nil {
		return "", false
	}
	if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}
