// Package readat holds io.ReaderAt helpers shared by the format readers.
package readat

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// Peek serves small reads at increasing offsets (frame and block
// headers, archive member headers) from one buffered window, so that
// walking a structure costs a read per window rather than per header.
type Peek struct {
	r    io.ReaderAt
	size int64
	buf  []byte
	off  int64 // input offset of buf[0]
	n    int   // valid bytes in buf
}

// NewPeek returns a Peek over r[0:size].
func NewPeek(r io.ReaderAt, size int64) *Peek { return NewPeekSize(r, size, 8<<10) }

// NewPeekSize returns a Peek over r[0:size] whose window starts at n
// bytes (it grows for a larger read): for reading one small structure
// again, where a window of 8 KiB would be read and dropped each time.
func NewPeekSize(r io.ReaderAt, size int64, n int) *Peek {
	return &Peek{r: r, size: size, buf: make([]byte, n)}
}

// ReadAt reads from the underlying reader, past the window: for reads
// too large to be worth keeping.
func (p *Peek) ReadAt(b []byte, off int64) (int, error) { return p.r.ReadAt(b, off) }

// At returns the n bytes at off, or those before the end of input and
// io.ErrUnexpectedEOF. The slice is valid until the next call. Callers
// bound n: it is never taken from the input unchecked.
func (p *Peek) At(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("read of %d bytes at offset %d", n, off)
	}
	if off >= p.off && off+int64(n) <= p.off+int64(p.n) {
		return p.buf[off-p.off : off-p.off+int64(n)], nil
	}
	if n > len(p.buf) {
		p.buf = make([]byte, n)
	}
	k := int(min(int64(len(p.buf)), max(p.size-off, 0)))
	got, err := p.r.ReadAt(p.buf[:k], off)
	p.off, p.n = off, got
	if got >= n {
		return p.buf[:n], nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return p.buf[:got], err
}

// MultiSection is the content of a multi-extent file: its extents, in
// order, as one reader.
type MultiSection struct {
	parts []*io.SectionReader
	ends  []int64 // cumulative end offset of each part
}

// NewMultiSection joins parts, in order, into one reader.
func NewMultiSection(parts []*io.SectionReader) *MultiSection {
	m := &MultiSection{parts: parts}
	var end int64
	for _, p := range parts {
		end += p.Size()
		m.ends = append(m.ends, end)
	}
	return m
}

// Size is the sum of the parts' sizes.
func (m *MultiSection) Size() int64 {
	if len(m.ends) == 0 {
		return 0
	}
	return m.ends[len(m.ends)-1]
}

// ReadAt reads across parts as from one reader.
func (m *MultiSection) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("multi-extent file: negative offset")
	}
	if off >= m.Size() {
		return 0, io.EOF
	}
	i := sort.Search(len(m.ends), func(i int) bool { return m.ends[i] > off })
	n := 0
	for ; n < len(p) && i < len(m.parts); i++ {
		pos := off + int64(n)
		partStart := m.ends[i] - m.parts[i].Size()
		want := int(min(int64(len(p)-n), m.ends[i]-pos))
		k, err := m.parts[i].ReadAt(p[n:n+want], pos-partStart)
		n += k
		if k < want {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Size is the size of the input Peek reads.
func (p *Peek) Size() int64 { return p.size }
