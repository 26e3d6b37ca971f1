package diff

import (
	"fmt"
	"strings"
)

// FoldMirrors counts at the root of their layer, instead of as differences
// of their own, the pairs that alias another pair of their layer on both
// sides (see unpack.Node.Alias: the Joliet record of a file named by Rock
// Ridge) and differ only as that pair does: no content of their own, and
// every differing field differing in that pair too, from the same value to
// the same value. It runs on a finished tree, before presenters see it,
// and returns how many pairs it folded.
func FoldMirrors(root *Node) int {
	folded := 0
	var walk func(n, layer *Node)
	walk = func(n, layer *Node) {
		if n.Descended || n.Parent == nil {
			layer = n
		}
		for _, c := range n.Children {
			if c.State != Same {
				walk(c, layer)
			}
		}
		if n.alias != "" && n != layer && n.State == Modified && n.Content == nil && n.OwnDifferences() {
			if t := resolveAlias(layer, n.alias); t != nil && t != n && mirrors(n, t) {
				n.mirrored = true
				layer.Mirrored++
				folded++
			}
		}
		if n.State == Modified && !n.OwnDifferences() && !n.childrenDiffer() {
			n.State = Same
		}
	}
	walk(root, root)
	return folded
}

// resolveAlias finds the pair an alias path names in the layer below
// layer: "/a/b" is the child "a" of the layer's "/" tree, and so on.
func resolveAlias(layer *Node, alias string) *Node {
	n := layer
	if strings.HasPrefix(alias, "/") {
		n = n.Child("/")
	}
	for _, name := range strings.Split(strings.Trim(alias, "/"), "/") {
		if n == nil {
			return nil
		}
		if name != "" {
			n = n.Child(name)
		}
	}
	return n
}

// mirrors reports whether n differs in fields alone, at least one, and
// every one of them differs in t in the same way: then t shows all that
// differs in n. Anything else of n's own (order, errors, bytes nothing
// decodes, counts at a layer) keeps it a difference of its own, so that
// folding never hides what nothing else shows.
func mirrors(n, t *Node) bool {
	if n.Order != nil || n.LayoutOnly || n.ErrA != n.ErrB || n.Moved > 0 || n.Respelled > 0 || n.Renamed > 0 || n.State != Modified {
		return false
	}
	tf := t.Changed()
	fields := 0
	for _, f := range n.Changed() {
		if !f.Different || f.systematic() {
			continue
		}
		same := false
		for _, g := range tf {
			if g.Name == f.Name && g.Different && g.InA == f.InA && g.InB == f.InB && g.A == f.A && g.B == f.B {
				same = true
				break
			}
		}
		if !same {
			return false
		}
		fields++
	}
	return fields > 0
}

func mirrored(n int) string {
	if n == 1 {
		return "1 entry repeats the changes of the entry it names again"
	}
	return fmt.Sprintf("%d entries repeat the changes of the entries they name again", n)
}
