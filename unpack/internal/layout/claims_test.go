package layout

import (
	"fmt"
	"isodiff/unpack"
	"slices"
	"testing"
)

// TestClaimsNamed: claims of one Namer merge when adjacent and are named
// only when asked, by the byte they start at in the range asked about.
func TestClaimsNamed(t *testing.T) {
	var c Claims
	calls := 0
	records := &Namer{Name: func(off int64) string {
		calls++
		return fmt.Sprintf("record %d", off/16)
	}}
	c.Add(0, 16, "header")
	for i := int64(1); i <= 1000; i++ {
		c.AddNamed(i*16, 16, records)
	}
	c.AddNamed(20000, 16, records) // after a gap: a claim of its own
	if len(c.list) != 3 {
		t.Fatalf("%d claims kept, want 3 (the header, one run of records, the record after the gap)", len(c.list))
	}
	if calls != 0 {
		t.Fatalf("names formatted before they were asked for: %d", calls)
	}
	if got := c.Holding(unpack.Range{Start: 100, End: 104}); !slices.Equal(got, []string{"record 6"}) {
		t.Errorf("Holding(100-104) = %q", got)
	}
	if got := c.Holding(unpack.Range{Start: 8, End: 40}); !slices.Equal(got, []string{"header", "record 1"}) {
		t.Errorf("Holding(8-40) = %q", got)
	}
	if got := c.Unclaimed(20100); !slices.Equal(got, []unpack.Range{{Start: 16016, End: 20000}, {Start: 20016, End: 20100}}) {
		t.Errorf("Unclaimed = %v", got)
	}
	var none *Claims
	if got := none.Holding(unpack.Range{Start: 0, End: 1}); got != nil {
		t.Errorf("nil Claims hold %q", got)
	}
}
