package diff

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"isodiff/unpack"
)

// region and regions make an unpack.Layout as a reader's claims do.
type region struct {
	unpack.Range
	what string
}

type regions []region

func (rs regions) Holding(r unpack.Range) []string {
	var out []string
	for _, x := range rs {
		if x.Start < r.End && r.Start < x.End {
			out = append(out, x.what)
		}
	}
	return out
}

// TestUndecodedRegions: bytes that differ while nothing decoded does are
// shown, each region from its first to its last differing byte and named
// by the claims of both sides.
func TestUndecodedRegions(t *testing.T) {
	a := bytes.Repeat([]byte{0}, 256)
	b := bytes.Clone(a)
	b[0x17] = 0x80          // one byte
	b[0x40], b[0x52] = 1, 1 // a region over two rows
	b[0xf0] = 1             // at the end, claimed by nothing
	la := regions{{unpack.Range{Start: 0, End: 0x20}, "header"}, {unpack.Range{Start: 0x20, End: 0x60}, "records"}}
	lb := append(slices.Clone(la), region{unpack.Range{Start: 0x60, End: 0x70}, "only in B"})

	n := &Node{}
	c := &comparer{ctx: context.Background(), opt: DefaultOptions()}
	c.undecoded(n, bytes.NewReader(a), bytes.NewReader(b), la, lb)
	if !n.LayoutOnly || n.Content == nil || n.Content.Hex == nil || n.Content.Hex.DiffBytes != 4 {
		t.Fatalf("layout only %v, content %+v; want 4 differing bytes shown", n.LayoutOnly, n.Content)
	}
	want := []string{
		"byte 0x17: in header",
		"bytes 0x40-0x52: in records",
		"byte 0xf0: in no structure the reader knows",
	}
	if !slices.Equal(n.Notes, want) {
		t.Errorf("notes\n%q\nwant\n%q", n.Notes, want)
	}
	if got := holders(la, lb, unpack.Range{Start: 0x5f, End: 0x61}); got != "in A: records; in B: records, only in B" {
		t.Errorf("holders of a region claimed differently: %q", got)
	}

	// Without claims on either side, the bytes are shown unnamed.
	n = &Node{}
	c.undecoded(n, bytes.NewReader(a), bytes.NewReader(b), nil, nil)
	if n.Content == nil || len(n.Notes) != 0 {
		t.Errorf("no claims: content %v, notes %q", n.Content != nil, n.Notes)
	}
}
