package ui

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"isodiff/diff"
)

// jsonHeader is the report around the tree.
type jsonHeader struct {
	A, B      Input
	Identical bool
	Counts    diff.Counts
}

// jsonNode is one differing pair with its path spelled out; its differing
// children follow it in the output, written by writeNode.
type jsonNode struct {
	Path                      string
	Reason                    string `json:",omitempty"`
	Name, Layer, Type         string
	State                     diff.State
	Descended                 bool
	Inner                     string           `json:",omitempty"`
	LayoutOnly                bool             `json:",omitempty"`
	Moved, Respelled, Renamed int              `json:",omitempty"`
	Fields                    []diff.FieldDiff `json:",omitempty"`
	Content                   *diff.Content    `json:",omitempty"`
	Order                     *diff.OrderDiff  `json:",omitempty"`
	ErrA, ErrB                string           `json:",omitempty"`
	Causes                    []diff.Cause     `json:",omitempty"`
	IOError                   bool             `json:",omitempty"`
	Notes                     []string         `json:",omitempty"`
}

func newJSONNode(n *diff.Node) jsonNode {
	return jsonNode{
		Path: n.Path(), Reason: n.Reason(),
		Name: n.Name, Layer: n.Layer, Type: n.Type, State: n.State, Descended: n.Descended, Inner: n.Inner,
		LayoutOnly: n.LayoutOnly, Moved: n.Moved, Respelled: n.Respelled, Renamed: n.Renamed,
		Fields: jsonFields(n), Content: n.Content, Order: n.Order,
		ErrA: n.ErrA, ErrB: n.ErrB, Causes: n.Causes, IOError: n.IOError, Notes: n.Notes,
	}
}

// jsonFields are the fields the JSON lists for a pair: every one, equal
// ones included, when any differs, when the pair is on one side only, or
// when its content was unpacked (the fields of the inner layer's header
// then stand with the entry's); none when all are equal.
func jsonFields(n *diff.Node) []diff.FieldDiff {
	if n.State == diff.Added || n.State == diff.Removed || n.Inner != "" || len(n.Changed()) > 0 {
		return n.Fields()
	}
	return nil
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
	bw.Write(escapeJSON(head[:len(head)-1])) // without the closing brace
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
	obj, err := json.Marshal(newJSONNode(n))
	if err != nil {
		return err
	}
	obj = bytes.TrimSuffix(obj, []byte("}"))
	w.Write(escapeJSON(obj))
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

// escapeJSON escapes, in the output of encoding/json, the characters it
// leaves as they are but which must not reach a terminal that shows the
// JSON: DEL, C1 controls, bidirectional controls and the other runes
// clean escapes. Outside strings the output of encoding/json is ASCII,
// so every such rune is inside a string, where \uXXXX stands for it: the
// document stays valid and decodes to the same strings.
func escapeJSON(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, n := rune(b[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(b[i:])
		}
		// encoding/json writes valid UTF-8 only: invalid input becomes
		// U+FFFD, which is safe to show.
		if r == 0x7f || (r >= utf8.RuneSelf && r != utf8.RuneError && unsafeRune(r)) {
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				out = appendU(appendU(out, r1), r2)
			} else {
				out = appendU(out, r)
			}
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

func appendU(out []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}
