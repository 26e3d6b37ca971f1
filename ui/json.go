package ui

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"isodiff/diff"
)

// jsonHeader is the report around the tree.
type jsonHeader struct {
	A, B      Input
	Identical bool
	Counts    diff.Counts
}

// jsonNode is one differing pair with its path spelled out; its differing
// children follow it in the output.
type jsonNode struct {
	Path   string
	Reason string `json:",omitempty"`
	*plainNode
	Children []struct{} `json:",omitempty"` // hides diff.Node's; written by writeNode
}

// plainNode is a diff.Node with its fields as FieldDiffs, however the
// node keeps them.
type plainNode diff.Node

func plain(n *diff.Node) *plainNode {
	p := plainNode(*n)
	p.Fields = n.DiffFields()
	return &p
}

// WriteJSON writes the differing part of the tree as JSON: an object with
// the inputs, the counts and the tree of differing pairs. It is written
// pair by pair, so that a comparison with a hundred thousand differences
// does not become one document in memory first.
func WriteJSON(w io.Writer, a, b Input, root *diff.Node) error {
	bw := bufio.NewWriter(w)
	head, err := json.Marshal(jsonHeader{A: a, B: b, Identical: !root.Differs(), Counts: root.Count()})
	if err != nil {
		return err
	}
	bw.Write(head[:len(head)-1]) // without the closing brace
	if root.Differs() {
		bw.WriteString(`,"Tree":`)
		if err := writeNode(bw, root); err != nil {
			return err
		}
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

func writeNode(w *bufio.Writer, n *diff.Node) error {
	obj, err := json.Marshal(jsonNode{Path: n.Path(), Reason: n.Reason(), plainNode: plain(n)})
	if err != nil {
		return err
	}
	obj = bytes.TrimSuffix(obj, []byte("}"))
	w.Write(obj)
	first := true
	for _, c := range n.Children {
		if c.State == diff.Same {
			continue
		}
		if first {
			w.WriteString(`,"Children":[`)
			first = false
		} else {
			w.WriteByte(',')
		}
		if err := writeNode(w, c); err != nil {
			return err
		}
	}
	if !first {
		w.WriteByte(']')
	}
	w.WriteString("}\n")
	return nil
}
