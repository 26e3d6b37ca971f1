package ui

import (
	"encoding/json"
	"io"

	"isodiff/diff"
)

type jsonReport struct {
	A, B      Input
	Identical bool
	Counts    diff.Counts
	Tree      *jsonNode `json:",omitempty"`
}

// jsonNode is a diff.Node with its path spelled out and only its differing
// children, so that the JSON stays as small as the differences.
type jsonNode struct {
	Path   string
	Reason string `json:",omitempty"`
	*diff.Node
	Children []*jsonNode `json:",omitempty"`
}

// WriteJSON writes the differing part of the tree as indented JSON.
func WriteJSON(w io.Writer, a, b Input, root *diff.Node) error {
	rep := jsonReport{A: a, B: b, Identical: !root.Differs(), Counts: root.Count()}
	if root.Differs() {
		rep.Tree = pruned(root)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func pruned(n *diff.Node) *jsonNode {
	j := &jsonNode{Path: n.Path(), Reason: n.Reason(), Node: n}
	for _, c := range n.Children {
		if c.State != diff.Same {
			j.Children = append(j.Children, pruned(c))
		}
	}
	return j
}
