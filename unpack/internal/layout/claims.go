// Package layout records which structure of a layer holds which bytes
// (Claims, the unpack.Layout of the readers) and serves the bytes no
// structure holds (Masked).
package layout

import (
	"fmt"
	"io"
	"isodiff/unpack"
	"iter"
	"sort"
)

// Claims records which bytes of a layer some structure accounts for, so that
// the bytes nobody claims (padding, gaps, sectors past the last file) can be
// compared too and no difference hides between structures.
type Claims struct {
	list []claim
}

type claim struct {
	unpack.Range
	what  string
	namer *Namer // names the claim on demand when set
}

// Namer names the structure that holds a byte of a layer, on demand. A
// reader of a long table (a million cpio members, the data blocks of every
// squashfs file) claims each record through one Namer: adjacent claims of
// one Namer merge, and nothing is formatted until a difference in those
// bytes is reported.
type Namer struct {
	Name func(off int64) string
}

// AddNamed records that [start, start+length) belongs to the structure
// n names. A claim that continues the previous claim of the same Namer
// extends it.
func (c *Claims) AddNamed(start, length int64, n *Namer) {
	if length <= 0 || start < 0 {
		return
	}
	if k := len(c.list) - 1; k >= 0 && c.list[k].namer == n && c.list[k].End == start {
		c.list[k].End = start + length
		return
	}
	c.list = append(c.list, claim{Range: unpack.Range{Start: start, End: start + length}, namer: n})
}

// Add records that [start, start+length) belongs to what. Empty or negative
// lengths are ignored; overlapping claims are allowed.
func (c *Claims) Add(start, length int64, what string) {
	if length <= 0 || start < 0 {
		return
	}
	c.list = append(c.list, claim{Range: unpack.Range{Start: start, End: start + length}, what: what})
}

// All yields every claim in the order it was made, with its description
// ("" for a claim named by a Namer).
func (c *Claims) All() iter.Seq2[unpack.Range, string] {
	return func(yield func(unpack.Range, string) bool) {
		for _, cl := range c.list {
			if !yield(cl.Range, cl.what) {
				return
			}
		}
	}
}

// Addf is Add with a formatted description.
func (c *Claims) Addf(start, length int64, format string, args ...any) {
	if length <= 0 || start < 0 {
		return
	}
	c.Add(start, length, fmt.Sprintf(format, args...))
}

// Holding names the claims that overlap [r.Start, r.End), in the order
// they were made, each name once: what holds those bytes.
func (c *Claims) Holding(r unpack.Range) []string {
	if c == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, cl := range c.list {
		if cl.Start >= r.End || r.Start >= cl.End {
			continue
		}
		what := cl.what
		if cl.namer != nil {
			what = cl.namer.Name(max(r.Start, cl.Start))
		}
		if !seen[what] {
			seen[what] = true
			out = append(out, what)
		}
	}
	return out
}

// Unclaimed returns the sorted ranges of [0, size) that no claim covers.
func (c *Claims) Unclaimed(size int64) []unpack.Range {
	rs := make([]unpack.Range, len(c.list))
	for i, cl := range c.list {
		rs[i] = cl.Range
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	var out []unpack.Range
	pos := int64(0)
	for _, r := range rs {
		if r.Start >= size {
			break
		}
		if r.Start > pos {
			out = append(out, unpack.Range{Start: pos, End: r.Start})
		}
		if r.End > pos {
			pos = r.End
		}
	}
	if pos < size {
		out = append(out, unpack.Range{Start: pos, End: size})
	}
	return out
}

// Masked is a view of a reader in which only the given ranges show
// through; every other byte reads as zero. Offsets are those of the
// underlying reader, so a difference found in it is reported where it is.
type Masked struct {
	r      io.ReaderAt
	size   int64
	ranges []unpack.Range
}

// NewMasked returns a view of r[0:size) showing only ranges, which must
// be sorted and not overlap.
func NewMasked(r io.ReaderAt, size int64, ranges []unpack.Range) *Masked {
	return &Masked{r: r, size: size, ranges: ranges}
}

func (m *Masked) Size() int64            { return m.size }
func (m *Masked) Ranges() []unpack.Range { return m.ranges }

// ReadAt reads zeros outside the ranges and the underlying bytes inside.
func (m *Masked) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("masked read at negative offset %d", off)
	}
	if off >= m.size {
		return 0, io.EOF
	}
	n := len(p)
	var err error
	if rest := m.size - off; int64(n) > rest {
		n = int(rest)
		err = io.EOF
	}
	p = p[:n]
	clear(p)
	end := off + int64(n)
	i := sort.Search(len(m.ranges), func(i int) bool { return m.ranges[i].End > off })
	for ; i < len(m.ranges) && m.ranges[i].Start < end; i++ {
		s, e := max(m.ranges[i].Start, off), min(m.ranges[i].End, end)
		if k, rerr := m.r.ReadAt(p[s-off:e-off], s); k < int(e-s) {
			if rerr == nil || rerr == io.EOF {
				rerr = io.ErrUnexpectedEOF
			}
			return int(s - off), rerr
		}
	}
	return n, err
}

// UnclaimedName names the child that holds the bytes of a layer no
// structure claims.
const UnclaimedName = "[unclaimed bytes]"

// UnclaimedNode is that child for the layer of the given name in
// r[0:size]: every claimed byte reads as zero in it, so that two layers
// compare equal there exactly when their unclaimed bytes do, wherever the
// structures around them lie.
func (c *Claims) UnclaimedNode(layer string, r io.ReaderAt, size int64) *unpack.Node {
	return &unpack.Node{Name: UnclaimedName, Type: unpack.TypeRecord, Layer: layer, Offset: 0,
		Data: NewMasked(r, size, c.Unclaimed(size))}
}
