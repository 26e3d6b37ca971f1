package diff

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Filter leaves differences out of a comparison, as diff -I and -w do:
// the pairs whose path matches an Exclude glob, with all below them, and
// the pairs whose every difference Hide causes explain. What it leaves out
// is counted, never dropped silently.
type Filter struct {
	// Exclude are globs matched against the path a report prints
	// ("nixos-a.iso :: /nix-store.squashfs :: /nix-path-registration"):
	// "*" matches within a name, "**" across names and layers, "?" one
	// character; a glob matches the whole path or any part of it that
	// starts after a "/" or a " :: ".
	Exclude []string
	// Only, when set, are globs (as Exclude's) of the paths to keep: the
	// pairs matching one, what is below them, and what leads to them;
	// every other difference is left out.
	Only []string
	// Hide are cause labels ("timestamp", "layout"): a pair is left out
	// when no known cause leaves any of it unexplained and every cause
	// that explains it is one of these. Pairs that differ only in
	// derived fields (sizes, counts, checksums) go with them.
	Hide []string
}

// Hidden counts the pairs with differences of their own that a Filter
// left out.
type Hidden struct {
	Excluded int            // left out by path: excluded, or outside Only
	ByCause  map[string]int // left out as explained, per hidden cause ("derived" for derived fields only)
	Total    int
}

// Empty reports whether the filter leaves nothing out.
func (f Filter) Empty() bool { return len(f.Exclude) == 0 && len(f.Hide) == 0 && len(f.Only) == 0 }

// globPattern compiles an Exclude glob.
func globPattern(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?:^|/|\s::\s)(?:`)
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; {
		case c == '*' && i+1 < len(glob) && glob[i+1] == '*':
			b.WriteString(`.*`)
			i++
		case c == '*':
			b.WriteString(`[^/]*`)
		case c == '?':
			b.WriteString(`[^/]`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)$`)
	return regexp.Compile(b.String())
}

// MatchGlob returns a function reporting whether a path matches glob as
// Exclude and Only match it, for a presenter that filters as the reports
// do.
func MatchGlob(glob string) (func(path string) bool, error) {
	re, err := globPattern(glob)
	if err != nil {
		return nil, err
	}
	return re.MatchString, nil
}

// CheckGlob reports a glob Exclude cannot use.
func CheckGlob(glob string) error {
	if glob == "" {
		return fmt.Errorf("empty glob")
	}
	_, err := globPattern(glob)
	return err
}

// Apply leaves out of the tree below root what f leaves out: excluded
// pairs are removed from their parents' children, and hidden pairs keep
// only what differs below them (a pair with nothing left is the same).
// It returns what it left out.
func (f Filter) Apply(root *Node) Hidden {
	h := Hidden{ByCause: map[string]int{}}
	if f.Empty() {
		return h
	}
	compile := func(gs []string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, g := range gs {
			if re, err := globPattern(g); err == nil {
				out = append(out, re)
			}
		}
		return out
	}
	matchAny := func(res []*regexp.Regexp, n *Node) bool {
		p := n.Path()
		for _, re := range res {
			if re.MatchString(p) {
				return true
			}
		}
		return false
	}
	excludes, onlys := compile(f.Exclude), compile(f.Only)
	// kept marks, with Only, the pairs that match, are below a match or
	// lead to one.
	var kept, within map[*Node]bool
	if len(onlys) > 0 {
		kept, within = map[*Node]bool{}, map[*Node]bool{}
		var mark func(n *Node, under bool) bool
		mark = func(n *Node, under bool) bool {
			self := under || matchAny(onlys, n)
			within[n] = self
			hit := self
			for _, c := range n.Children {
				if c.State != Same && mark(c, self) {
					hit = true
				}
			}
			if hit {
				kept[n] = true
			}
			return hit
		}
		mark(root, false)
	}
	excluded := func(n *Node) bool {
		return matchAny(excludes, n) || kept != nil && !kept[n]
	}
	hides := func(n *Node) bool {
		if len(f.Hide) == 0 || n.Unexplained() {
			return false
		}
		for _, c := range n.Causes {
			if !slices.Contains(f.Hide, c.Label) {
				return false
			}
		}
		return true
	}
	// hide counts n as left out by Hide.
	hide := func(n *Node) {
		h.Total++
		if len(n.Causes) == 0 {
			// Only derived fields differ: sizes and counts that sum
			// up what is left out with it.
			h.ByCause["derived"]++
		}
		seen := map[string]bool{}
		for _, c := range n.Causes {
			if !seen[c.Label] {
				seen[c.Label] = true
				h.ByCause[c.Label]++
			}
		}
	}
	var prune func(n *Node)
	prune = func(n *Node) {
		left := n.Children[:0]
		for _, c := range n.Children {
			if c.State != Same && excluded(c) {
				k := c.Count().Total()
				h.Excluded += k
				h.Total += k
				n.filteredBelow = true
				continue
			}
			if (c.State == Added || c.State == Removed) && c.entryExplained && hides(c) {
				// An entry on one side only that hidden causes explain
				// (see entryCauses) goes as an excluded one does.
				hide(c)
				continue
			}
			if c.State != Same && c.State != Added && c.State != Removed {
				prune(c)
				if c.State == Same {
					n.filteredBelow = true
				}
			}
			left = append(left, c)
		}
		clear(n.Children[len(left):])
		n.Children = left
		if within != nil && !within[n] && n.OwnDifferences() {
			// Only leads to what Only keeps: its own differences go.
			h.Excluded++
			h.Total++
			n.filtered = true
		}
		if n.OwnDifferences() && hides(n) {
			hide(n)
			n.filtered = true
		}
		if n.State == Modified && !n.OwnDifferences() && !n.childrenDiffer() {
			n.State = Same
		}
	}
	if root.State != Same {
		prune(root)
	}
	return h
}

// String says what was left out: "3 hidden: timestamp 2, excluded 1".
func (h Hidden) String() string {
	var parts []string
	labels := make([]string, 0, len(h.ByCause))
	for l := range h.ByCause {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	for _, l := range labels {
		parts = append(parts, fmt.Sprintf("%s %d", l, h.ByCause[l]))
	}
	if h.Excluded > 0 {
		parts = append(parts, fmt.Sprintf("excluded %d", h.Excluded))
	}
	return fmt.Sprintf("%d hidden: %s", h.Total, strings.Join(parts, ", "))
}
