// Package pathtree builds the "/" tree of an archive whose members carry
// whole paths (zip, tar): directories a member implies but the archive
// does not hold are made up and marked, a directory member that comes
// after its contents takes the place of the implied one, and a name that
// comes twice is kept under a name of its own.
package pathtree

import (
	"fmt"
	"isodiff/unpack"
	"strings"
)

// Tree is the tree being built, member by member.
type Tree struct {
	Root  *unpack.Node
	layer string
	nodes map[string]*unpack.Node // by path of components joined with "/"; the root is ""
	used  map[*unpack.Node]map[string]int
}

// ImpliedField is the field of a directory no member holds.
const ImpliedField = "implied"

// New returns a tree whose root is an implied directory of the layer.
func New(layer string) *Tree {
	root := &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: layer, Offset: -1}
	root.AddField(ImpliedField, "yes")
	return &Tree{Root: root, layer: layer, nodes: map[string]*unpack.Node{"": root}, used: map[*unpack.Node]map[string]int{}}
}

// Implied reports whether n is a directory no member holds.
func Implied(n *unpack.Node) bool {
	v, ok := n.Field(ImpliedField)
	return ok && v == "yes"
}

// dir returns the directory at the path of comps, making the missing ones.
func (t *Tree) dir(comps []string, off int64) *unpack.Node {
	n := t.Root
	for i := range comps {
		p := strings.Join(comps[:i+1], "/")
		c := t.nodes[p]
		if c == nil {
			c = &unpack.Node{Name: comps[i], Type: unpack.TypeDir, Layer: t.layer, Offset: -1}
			c.AddField(ImpliedField, "yes")
			t.add(n, c)
			t.nodes[p] = c
		} else if c.Type != unpack.TypeDir && c.Err == nil {
			c.Err = unpack.Errorf(t.layer, off, "a %s, yet later members are below it", c.Type)
		}
		n = c
	}
	return n
}

// add appends c to parent, renaming it when the name is taken.
func (t *Tree) add(parent, c *unpack.Node) {
	u := t.used[parent]
	if u == nil {
		u = map[string]int{}
		t.used[parent] = u
	}
	u[c.Name]++
	if k := u[c.Name]; k > 1 {
		c.Name = fmt.Sprintf("%s (duplicate %d)", c.Name, k)
	}
	parent.Children = append(parent.Children, c)
}

// Add puts the member n at the path of comps, whose header starts at off,
// and returns the node that holds it: n, or the implied directory n
// replaces (which keeps its children and takes n's fields, Meta, data and
// error). An empty path is the root itself.
func (t *Tree) Add(comps []string, n *unpack.Node, off int64) *unpack.Node {
	path := strings.Join(comps, "/")
	existing := t.nodes[path]
	if existing != nil && Implied(existing) && n.Type == unpack.TypeDir {
		existing.SetMeta(n.Meta())
		existing.SetFields(n.Fields())
		existing.Data, existing.Offset, existing.Err = n.Data, n.Offset, n.Err
		existing.SetLayout(n.Layout())
		return existing
	}
	if len(comps) == 0 {
		// A second member for the root, or a root that is no directory.
		n.Name = "."
		if n.Err == nil {
			n.Err = unpack.Errorf(t.layer, off, "a member names the root directory itself")
		}
		t.add(t.Root, n)
		return n
	}
	parent := t.dir(comps[:len(comps)-1], off)
	n.Name = comps[len(comps)-1]
	t.add(parent, n)
	if existing == nil {
		t.nodes[path] = n
	} else if n.Err == nil {
		n.Err = unpack.Errorf(t.layer, off, "a second member named %q", path)
	}
	return n
}
