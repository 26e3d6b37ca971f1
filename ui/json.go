package ui

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"isodiff/diff"
)

// The JSON report is written from these types, not from diff's: its shape
// is the report's to keep, whatever diff keeps in memory and how. It reads
// as diffoscope's does: a tree of pairs, each with what differs in it.

// jsonHeader is the report around the tree.
type jsonHeader struct {
	A, B      Input
	Identical bool
	Counts    jsonCounts
}

type jsonCounts struct {
	Modified, Added, Removed, TypeChanged int
}

// jsonNode is one differing pair with its path spelled out; its differing
// children follow it in the output, written by writeNode.
type jsonNode struct {
	Path                      string
	Reason                    string `json:",omitempty"`
	Name, Layer, Type         string
	State                     string
	Descended                 bool
	Inner                     string       `json:",omitempty"`
	LayoutOnly                bool         `json:",omitempty"`
	Moved, Respelled, Renamed int          `json:",omitempty"`
	Fields                    []jsonField  `json:",omitempty"`
	Content                   *jsonContent `json:",omitempty"`
	Order                     *jsonOrder   `json:",omitempty"`
	ErrA, ErrB                string       `json:",omitempty"`
	Causes                    []jsonCause  `json:",omitempty"`
	IOError                   bool         `json:",omitempty"`
	Notes                     []string     `json:",omitempty"`
}

type jsonField struct {
	Name      string
	A, B      string
	InA, InB  bool
	Different bool
	Placement bool `json:",omitempty"`
	Spelling  bool `json:",omitempty"`
	Renamed   bool `json:",omitempty"`
}

type jsonContent struct {
	SizeA, SizeB int64
	Text         *jsonText `json:",omitempty"`
	Hex          *jsonHex  `json:",omitempty"`
}

type jsonText struct {
	Hunks                  []jsonHunk
	Added, Removed         int
	OmittedLines           int  `json:",omitempty"`
	NoNewlineA, NoNewlineB bool `json:",omitempty"`
	Reordered              bool `json:",omitempty"`
}

type jsonHunk struct {
	StartA, LenA, StartB, LenB int
	Lines                      []jsonLine
}

// jsonLine is a line of a text hunk; Op is " ", "-" or "+".
type jsonLine struct{ Op, Text string }

type jsonHex struct {
	Hunks               []jsonHexHunk
	DiffBytes           int64
	Regions             int
	FirstDiff, LastDiff int64
	OmittedRows         int64 `json:",omitempty"`
}

type jsonHexHunk struct{ Rows []jsonHexRow }

// jsonHexRow holds a row's bytes as hex; a side past its end has none.
type jsonHexRow struct {
	Offset int64
	A, B   *string `json:",omitempty"`
	Same   bool    `json:",omitempty"`
}

type jsonOrder struct{ A, B []string }

type jsonCause struct {
	Label  string
	Detail string `json:",omitempty"`
}

func newJSONNode(n *diff.Node) jsonNode {
	return jsonNode{
		Path: n.Path(), Reason: n.Reason(),
		Name: n.Name, Layer: n.Layer, Type: n.Type, State: n.State.String(), Descended: n.Descended, Inner: n.Inner,
		LayoutOnly: n.LayoutOnly, Moved: n.Moved, Respelled: n.Respelled, Renamed: n.Renamed,
		Fields: convert(jsonFields(n), func(f diff.FieldDiff) jsonField {
			return jsonField{f.Name, f.A, f.B, f.InA, f.InB, f.Different, f.Placement, f.Spelling, f.Renamed}
		}),
		Content: newJSONContent(n.Content), Order: newJSONOrder(n.Order),
		ErrA: n.ErrA, ErrB: n.ErrB,
		Causes:  convert(n.Causes, func(c diff.Cause) jsonCause { return jsonCause{c.Label, c.Detail} }),
		IOError: n.IOError, Notes: n.Notes,
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

func newJSONContent(c *diff.Content) *jsonContent {
	if c == nil {
		return nil
	}
	out := &jsonContent{SizeA: c.SizeA, SizeB: c.SizeB}
	if t := c.Text; t != nil {
		out.Text = &jsonText{
			Hunks: convert(t.Hunks, func(h diff.Hunk) jsonHunk {
				return jsonHunk{h.StartA, h.LenA, h.StartB, h.LenB,
					convert(h.Lines, func(l diff.Line) jsonLine { return jsonLine{string(l.Op), l.Text} })}
			}),
			Added: t.Added, Removed: t.Removed, OmittedLines: t.OmittedLines,
			NoNewlineA: t.NoNewlineA, NoNewlineB: t.NoNewlineB, Reordered: t.Reordered,
		}
	}
	if h := c.Hex; h != nil {
		out.Hex = &jsonHex{
			Hunks: convert(h.Hunks, func(hk diff.HexHunk) jsonHexHunk {
				return jsonHexHunk{convert(hk.Rows, newJSONHexRow)}
			}),
			DiffBytes: h.DiffBytes, Regions: h.Regions, FirstDiff: h.FirstDiff, LastDiff: h.LastDiff,
			OmittedRows: h.OmittedRows,
		}
	}
	return out
}

func newJSONHexRow(r diff.HexRow) jsonHexRow {
	side := func(b []byte) *string {
		if b == nil {
			return nil
		}
		s := hex.EncodeToString(b)
		return &s
	}
	return jsonHexRow{Offset: r.Offset, A: side(r.A), B: side(r.B), Same: r.Same}
}

func newJSONOrder(o *diff.OrderDiff) *jsonOrder {
	if o == nil {
		return nil
	}
	return &jsonOrder{o.A, o.B}
}

// convert maps a slice, keeping nil as nil: encoding/json writes null for
// a nil slice and [] for an empty one.
func convert[T, U any](in []T, f func(T) U) []U {
	if in == nil {
		return nil
	}
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// WriteJSON writes the differing part of the tree as JSON: an object with
// the inputs, the counts and the tree of differing pairs. It is written
// pair by pair, so that a comparison with a hundred thousand differences
// does not become one document in memory first.
func WriteJSON(w io.Writer, a, b Input, root *diff.Node) error {
	bw := bufio.NewWriter(w)
	c := root.Count()
	head, err := json.Marshal(jsonHeader{A: a, B: b, Identical: !root.Differs(), Counts: jsonCounts{c.Modified, c.Added, c.Removed, c.TypeChanged}})
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
