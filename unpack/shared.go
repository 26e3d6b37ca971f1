package unpack

import (
	"cmp"
	"io"
	"slices"
)

// StoredRange says where a range of a Data is kept: its bytes [Start, End)
// are the bytes [At, At+End-Start) of Store.
type StoredRange struct {
	Range
	// Store identifies the storage (comparable: a pointer); the bytes it
	// keeps at a place never change.
	Store any
	At    int64
}

// SharedStorer is implemented by Data whose bytes may be kept in storage
// that another Data reads too: two decompressed streams spooled in step
// (Env.Pair) keep what they have in common once, and both read it there.
// Bytes at one place of one storage are the same bytes whoever reads
// them, so a comparison proves them equal without reading either
// (SameStorage, WithoutShared): the common part of two large initrds is
// then read by neither side, however the layers inside lie on it.
type SharedStorer interface {
	Data
	// StoredRanges lists, sorted and not overlapping, where ranges of the
	// Data are kept. Bytes in no listed range are not known to be kept
	// anywhere another Data reads.
	StoredRanges() []StoredRange
}

// storedOf resolves r, through any sections of it (see sectioned), to a
// SharedStorer and the offset there of r's first byte; limit is how many
// bytes of it r covers (-1: all).
func storedOf(r io.ReaderAt) (s SharedStorer, base, limit int64, ok bool) {
	limit = -1
	for {
		switch v := r.(type) {
		case SharedStorer:
			return v, base, limit, true
		case sectioned:
			// r's byte o is byte base+o of v, which covers n bytes
			// of outer from off.
			outer, off, n := v.Outer()
			if limit < 0 || n-base < limit {
				limit = max(n-base, 0)
			}
			r, base = outer, base+off
		default:
			return nil, 0, 0, false
		}
	}
}

// storedAt is where the n bytes at off of s are kept, when in one range.
func storedAt(s SharedStorer, off, n int64) (store any, at int64, ok bool) {
	rs := s.StoredRanges()
	i, _ := slices.BinarySearchFunc(rs, off, func(r StoredRange, off int64) int {
		switch {
		case r.End <= off:
			return -1
		case r.Start > off:
			return 1
		}
		return 0
	})
	if i == len(rs) || rs[i].Start > off || rs[i].End-off < n {
		return nil, 0, false
	}
	return rs[i].Store, rs[i].At + off - rs[i].Start, true
}

// SameStorage reports whether the n bytes at offA of ra and at offB of rb
// are proven to be the same bytes: both are SharedStorers (or sections of
// them) that keep them at the same place of one storage. False means "not
// proven", never "different".
func SameStorage(ra io.ReaderAt, offA int64, rb io.ReaderAt, offB, n int64) bool {
	if offA < 0 || offB < 0 || n < 0 {
		return false
	}
	sa, baseA, limA, okA := storedOf(ra)
	sb, baseB, limB, okB := storedOf(rb)
	if !okA || !okB || (limA >= 0 && offA+n > limA) || (limB >= 0 && offB+n > limB) {
		return false
	}
	if n == 0 {
		return true
	}
	stA, atA, okA := storedAt(sa, baseA+offA, n)
	stB, atB, okB := storedAt(sb, baseB+offB, n)
	return okA && okB && stA == stB && atA == atB
}

// WithoutShared returns the parts of spans (sorted, not overlapping) of
// two contents compared offset by offset that a comparison must read: all
// of them, less the ranges that a and b keep at the same place of one
// storage (SharedStorer), each first shrunk by margin bytes at both ends
// (for context around a difference next to it) and then to whole 4 KiB
// pages, as WithoutCommonHoles does.
func WithoutShared(spans []Range, a, b io.ReaderAt, margin int64) []Range {
	sa, baseA, limA, okA := storedOf(a)
	sb, baseB, limB, okB := storedOf(b)
	if !okA || !okB {
		return spans
	}
	var shared []Range
	for _, x := range sa.StoredRanges() {
		for _, y := range sb.StoredRanges() {
			// Offset o of a is x.At+baseA+o-x.Start of x.Store, of b
			// y.At+baseB+o-y.Start of y.Store: one place for every o, or
			// for none.
			if x.Store != y.Store || x.At+baseA-x.Start != y.At+baseB-y.Start {
				continue
			}
			s := max(x.Start-baseA, y.Start-baseB, 0)
			e := min(x.End-baseA, y.End-baseB)
			if limA >= 0 {
				e = min(e, limA)
			}
			if limB >= 0 {
				e = min(e, limB)
			}
			if s < e {
				shared = append(shared, Range{s, e})
			}
		}
	}
	if len(shared) == 0 {
		return spans
	}
	slices.SortFunc(shared, func(x, y Range) int { return cmp.Compare(x.Start, y.Start) })
	return skipRanges(spans, shared, margin)
}
