package diff

import (
	"cmp"
	"regexp"
	"slices"
)

// storePathIn finds a nix store path in a layered path: a name of 32
// characters of nix's base-32 alphabet, a dash and the package's name and
// version, as a whole path component.
var storePathIn = regexp.MustCompile(`(?:^|/)[0-9abcdfghijklmnpqrsvwxyz]{32}-([^/]+)`)

// StorePath is what differs under the store paths of one package (and
// version), whatever their hashes: the differences, how many no known
// cause explains, and the causes of the rest.
type StorePath struct {
	Name        string // "python3-3.13.5"
	Differences int
	Unexplained int
	Causes      []string // labels, in order of first appearance
	// Renamed says the package's store path has another hash on B's
	// side (paired by name, see Node.StorePathRenamed); with no
	// Differences, its contents are the same.
	Renamed bool
}

// StorePaths groups the differences below root by the store path that
// holds them (the deepest in their path: a file of a store path inside an
// initrd inside another is that inner one's), as nvd and nix-diff name
// packages:
// a person bisecting nixpkgs sees first which packages differ. Most
// differences first.
func StorePaths(root *Node) []StorePath {
	byName := map[string]*StorePath{}
	get := func(name string) *StorePath {
		sp := byName[name]
		if sp == nil {
			sp = &StorePath{Name: name}
			byName[name] = sp
		}
		return sp
	}
	root.Walk(func(n *Node) bool {
		if n.StorePathRenamed() {
			if m := storePathIn.FindStringSubmatch(n.Name); m != nil {
				get(m[1]).Renamed = true
			}
		}
		if !n.OwnDifferences() {
			return n.State != Added && n.State != Removed
		}
		all := storePathIn.FindAllStringSubmatch(n.Path(), -1)
		if all == nil {
			return n.State != Added && n.State != Removed
		}
		sp := get(all[len(all)-1][1])
		sp.Differences++
		if n.Unexplained() {
			sp.Unexplained++
		}
		for _, c := range n.Causes {
			if !slices.Contains(sp.Causes, c.Label) {
				sp.Causes = append(sp.Causes, c.Label)
			}
		}
		return n.State != Added && n.State != Removed
	})
	out := make([]StorePath, 0, len(byName))
	for _, sp := range byName {
		out = append(out, *sp)
	}
	slices.SortFunc(out, func(a, b StorePath) int {
		return cmp.Or(cmp.Compare(b.Unexplained, a.Unexplained), cmp.Compare(b.Differences, a.Differences), cmp.Compare(a.Name, b.Name))
	})
	return out
}
