package diff

import (
	"cmp"
	"slices"

	"isodiff/unpack"
)

// Unexplained reports whether something of the pair itself differs that
// no known cause accounts for: an entry added or removed (unless it records
// nothing but fields of known causes, see entryCauses) or of another type;
// a field whose role names no cause; content no cause covers byte for
// byte (a derived field, a size or count computed from what it sums up,
// follows from the differences it sums and counts for none); bytes that
// differ while nothing decoded from them does; a side
// read differently. An order that differs only because entries do is not
// counted: those entries are.
func (n *Node) Unexplained() bool {
	if !n.OwnDifferences() {
		return false
	}
	switch {
	case n.State == Added || n.State == Removed:
		return !n.entryExplained
	case n.State == TypeChanged:
		return true
	case n.ErrA != n.ErrB || n.LayoutOnly:
		return true
	case n.Content != nil && !n.contentExplained:
		return true
	}
	for _, f := range n.fields {
		if f.Different && !f.systematic() && (f.Role == nil || f.Role.Cause == "" && f.Role.Kind != unpack.Derived) {
			return true
		}
	}
	return false
}

// Summary is what a report leads with: how many differences there are,
// which no known cause explains, and how many each cause explains.
type Summary struct {
	// Differences counts the pairs with differences of their own (as
	// Count does, an added or removed directory once).
	Differences int
	// Unexplained are the pairs with a difference no known cause accounts
	// for, in the order of the tree.
	Unexplained []*Node
	// ByCause counts, for each known cause, the pairs it explains (wholly
	// or in part), most first.
	ByCause []CauseCount
	// Mirrored counts the pairs that repeat, under other names, the
	// changes of pairs counted above (see FoldMirrors).
	Mirrored int
}

// CauseCount is how many pairs a known cause explains.
type CauseCount struct {
	Label string
	Count int
}

// Summarize walks the tree below root.
func Summarize(root *Node) Summary {
	var s Summary
	counts := map[string]int{}
	root.Walk(func(n *Node) bool {
		s.Mirrored += n.Mirrored
		if n.OwnDifferences() {
			s.Differences++
			if n.Unexplained() {
				s.Unexplained = append(s.Unexplained, n)
			}
			seen := map[string]bool{}
			for _, c := range n.Causes {
				if !seen[c.Label] {
					seen[c.Label] = true
					counts[c.Label]++
				}
			}
		}
		// Inside an added or removed entry nothing is paired.
		return n.State != Added && n.State != Removed
	})
	for label, k := range counts {
		s.ByCause = append(s.ByCause, CauseCount{label, k})
	}
	slices.SortFunc(s.ByCause, func(a, b CauseCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Label, b.Label))
	})
	return s
}
