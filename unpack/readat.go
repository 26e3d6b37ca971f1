package unpack

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// peekReader serves small reads at increasing offsets (frame and block
// headers, archive member headers) from one buffered window, so that
// walking a structure costs a read per window rather than per header.
type peekReader struct {
	r    io.ReaderAt
	size int64
	buf  []byte
	off  int64 // input offset of buf[0]
	n    int   // valid bytes in buf
}

func newPeekReader(r io.ReaderAt, size int64) *peekReader {
	return &peekReader{r: r, size: size, buf: make([]byte, 8<<10)}
}

// at returns the n bytes at off, or those before the end of input and
// io.ErrUnexpectedEOF. The slice is valid until the next call. Callers
// bound n: it is never taken from the input unchecked.
func (p *peekReader) at(off int64, n int) ([]byte, error) {
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

// addTrailing describes r[end:size]: nothing, zero padding (a field), or
// data of its own (a child that a comparison detects and unpacks).
func addTrailing(root *Node, layer string, r io.ReaderAt, end, size int64) {
	if end >= size || end < 0 {
		return
	}
	zeros := zeroRun(r, end, size)
	if end+zeros == size {
		root.AddField("padding", "%d zero bytes", zeros)
		return
	}
	root.AddField("trailing bytes", "%d at offset %d", size-end, end)
	root.Children = append(root.Children, &Node{
		Name:   trailingName,
		Type:   TypeFile,
		Layer:  layer,
		Offset: end,
		Data:   io.NewSectionReader(r, end, size-end),
	})
}

// multiSection is the content of a multi-extent file: its extents, in
// order, as one reader.
type multiSection struct {
	parts []*io.SectionReader
	ends  []int64 // cumulative end offset of each part
}

func newMultiSection(parts []*io.SectionReader) *multiSection {
	m := &multiSection{parts: parts}
	var end int64
	for _, p := range parts {
		end += p.Size()
		m.ends = append(m.ends, end)
	}
	return m
}

func (m *multiSection) Size() int64 {
	if len(m.ends) == 0 {
		return 0
	}
	return m.ends[len(m.ends)-1]
}

func (m *multiSection) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("multiSection: negative offset")
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
