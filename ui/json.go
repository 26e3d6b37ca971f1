package ui

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"isodiff/diff"
)

// The JSON report is diffoscope's own JSON (what diffoscope --json
// writes and --load-existing-diff reads back to render as HTML, text or
// Markdown), with isodiff's own keys on every object beside diffoscope's,
// which diffoscope ignores. It is written from these types, not from
// diff's: its shape is the report's to keep, whatever diff keeps in memory
// and how.
//
// diffoscope's keys are for reading: names, comments and diffs are
// cleaned as in the text report. isodiff's keys are for programs: names
// and values as the images hold them (escapeJSON keeps the document safe
// to show all the same).

// diffoscopeVersion is the version of diffoscope's JSON written, under
// the key diffoscope reads it from.
const diffoscopeVersion = 1

// jsonNode is one object of the tree: a differing pair, or the fields of
// one (see newJSONNode). Its details (children) are written after it by
// writeNode.
type jsonNode struct {
	Version            int      `json:"diffoscope-json-version,omitempty"`
	Source1            string   `json:"source1"`
	Source2            string   `json:"source2"`
	Comments           []string `json:"comments,omitempty"`
	HasInternalLinenos bool     `json:"has_internal_linenos,omitempty"`
	UnifiedDiff        *string  `json:"unified_diff"`

	// isodiff's keys for the whole comparison, on the root only.
	InputA    *jsonInput `json:"input_a,omitempty"`
	InputB    *jsonInput `json:"input_b,omitempty"`
	Identical *bool      `json:"identical,omitempty"`
	// IdenticalAfterFilters: the inputs differ, but filters left every
	// difference out (counted in Hidden).
	IdenticalAfterFilters bool         `json:"identical_after_filters,omitempty"`
	Counts                *jsonCounts  `json:"counts,omitempty"`
	Summary               *jsonSummary `json:"summary,omitempty"`
	Hidden                *jsonHidden  `json:"hidden,omitempty"`

	// isodiff's keys for the pair; none on the object that holds a pair's
	// fields, which is not a pair.
	*jsonPair
}

type jsonInput struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	IsDir bool   `json:"is_dir,omitempty"`
}

// jsonSummary is what a report leads with (see diff.Summarize).
type jsonSummary struct {
	Unexplained []string         `json:"unexplained"` // paths, unexplained first in the tree too
	Causes      []jsonCauseCount `json:"causes"`      // most first
	StorePaths  []jsonStorePath  `json:"store_paths,omitempty"`
}

// jsonStorePath is what differs under the store paths of one package.
type jsonStorePath struct {
	Name        string   `json:"name"`
	Differences int      `json:"differences"`
	Unexplained int      `json:"unexplained"`
	Causes      []string `json:"causes"`
	Renamed     bool     `json:"renamed,omitempty"`
}

type jsonCauseCount struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// jsonHidden is what filters left out (see diff.Hidden).
type jsonHidden struct {
	Total    int            `json:"total"`
	Excluded int            `json:"excluded"`
	ByCause  map[string]int `json:"by_cause"`
}

type jsonCounts struct {
	Modified    int `json:"modified"`
	Added       int `json:"added"`
	Removed     int `json:"removed"`
	TypeChanged int `json:"type_changed"`
}

// jsonPair is what isodiff knows of a differing pair.
type jsonPair struct {
	Path       string       `json:"path"`
	Name       string       `json:"name"`
	Reason     string       `json:"reason,omitempty"`
	Layer      string       `json:"layer"`
	Type       string       `json:"type"`
	State      string       `json:"state"`
	Descended  bool         `json:"descended,omitempty"`
	Inner      string       `json:"inner,omitempty"`
	LayoutOnly bool         `json:"layout_only,omitempty"`
	Moved      int          `json:"moved,omitempty"`
	Respelled  int          `json:"respelled,omitempty"`
	Renamed    int          `json:"renamed,omitempty"`
	OffsetA    *int64       `json:"offset_a,omitempty"`
	OffsetB    *int64       `json:"offset_b,omitempty"`
	Fields     []jsonField  `json:"fields,omitempty"`
	Content    *jsonContent `json:"content,omitempty"`
	Order      *jsonOrder   `json:"order,omitempty"`
	ErrA       string       `json:"error_a,omitempty"`
	ErrB       string       `json:"error_b,omitempty"`
	IOError    bool         `json:"io_error,omitempty"`
	Causes     []jsonCause  `json:"causes,omitempty"`
	Notes      []string     `json:"notes,omitempty"`
}

type jsonField struct {
	Name      string `json:"name"`
	A         string `json:"a"`
	B         string `json:"b"`
	InA       bool   `json:"in_a"`
	InB       bool   `json:"in_b"`
	Different bool   `json:"different"`
	Placement bool   `json:"placement,omitempty"`
	Spelling  bool   `json:"spelling,omitempty"`
	Renamed   bool   `json:"renamed,omitempty"`
}

// jsonContent is what is known of two differing contents beside the
// unified diff that shows them.
type jsonContent struct {
	SizeA int64     `json:"size_a"`
	SizeB int64     `json:"size_b"`
	Text  *jsonText `json:"text,omitempty"`
	Hex   *jsonHex  `json:"hex,omitempty"`
}

type jsonText struct {
	Added        int  `json:"added"`
	Removed      int  `json:"removed"`
	OmittedLines int  `json:"omitted_lines,omitempty"`
	NoNewlineA   bool `json:"no_newline_a,omitempty"`
	NoNewlineB   bool `json:"no_newline_b,omitempty"`
	Reordered    bool `json:"reordered,omitempty"`
}

type jsonHex struct {
	DiffBytes   int64 `json:"diff_bytes"`
	Regions     int   `json:"regions"`
	FirstDiff   int64 `json:"first_diff"`
	LastDiff    int64 `json:"last_diff"`
	OmittedRows int64 `json:"omitted_rows,omitempty"`
}

type jsonOrder struct {
	A []string `json:"a"`
	B []string `json:"b"`
}

type jsonCause struct {
	Label  string `json:"label"`
	Detail string `json:"detail,omitempty"`
}

// newJSONNode makes the object of a differing pair, and the object of its
// fields when they are not its diff. Its diff is what differs in its
// bytes (text, hex or order) or else in its fields; a pair with both has
// its fields as its first detail, as diffoscope adds the stat output of
// two files that differ in content.
func newJSONNode(n *diff.Node) (node jsonNode, fields *jsonNode) {
	node = jsonNode{Comments: comments(n), jsonPair: newJSONPair(n)}
	node.Source1, node.Source2 = sourceNames(n)
	var body string
	switch {
	case n.Content != nil && n.Content.Text != nil:
		body = textDiff(n.Content.Text)
	case n.Content != nil && n.Content.Hex != nil:
		body = hexDiff(n.Content.Hex)
		node.HasInternalLinenos = true
	case n.Order != nil:
		body = orderDiff(n.Order)
	}
	meta := fieldsDiff(n)
	switch {
	case body == "":
		body, meta = meta, ""
	case meta != "":
		fields = &jsonNode{Source1: "fields", Source2: "fields", UnifiedDiff: &meta}
	}
	if body != "" {
		node.UnifiedDiff = &body
	}
	return node, fields
}

// sourceNames are the names of the pair on each side: its name, or the
// two names of a store path paired with its namesake under another hash.
func sourceNames(n *diff.Node) (a, b string) {
	a, b = n.Name, n.Name
	for _, f := range n.Changed() {
		if f.Renamed {
			a, b = f.A, f.B
		}
	}
	return clean(a), clean(b)
}

// comments are what the text report's section of a pair says besides its
// fields and diff, in its words: state and kind, what could not be read,
// known causes, notes, what heads the diff, what a limit left out, and
// the entries of a layer placed or named differently. A pair that only
// leads to differences below it has none.
func comments(n *diff.Node) []string {
	if !n.OwnDifferences() {
		return nil
	}
	var out []string
	for _, l := range sectionHead(n) {
		out = append(out, l.String())
	}
	if c := n.Content; c != nil {
		out = append(out, contentHead(c)...)
		if c.Text != nil {
			out = appendNonEmpty(out, noNewline(c.Text), omittedLines(c.Text))
		}
		if c.Hex != nil {
			out = append(out, hexHeader(c.Hex))
			out = appendNonEmpty(out, omittedRows(c.Hex))
		}
	}
	if n.Order != nil {
		out = append(out, orderHeader(n.Order))
	}
	if n.Moved > 0 || n.Respelled > 0 || n.Renamed > 0 {
		lines, more := movedEntries(n, DefaultReportOptions().MaxListed)
		out = append(out, movedHeader)
		out = append(out, lines...)
		out = appendNonEmpty(out, notListed(more))
	}
	return out
}

func appendNonEmpty(out []string, lines ...string) []string {
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func newJSONPair(n *diff.Node) *jsonPair {
	offset := func(off int64) *int64 {
		if off < 0 {
			return nil
		}
		return &off
	}
	return &jsonPair{
		Path: n.Path(), Name: n.Name, Reason: n.Reason(),
		Layer: n.Layer, Type: n.Type, State: n.State.String(), Descended: n.Descended, Inner: n.Inner,
		LayoutOnly: n.LayoutOnly, Moved: n.Moved, Respelled: n.Respelled, Renamed: n.Renamed,
		OffsetA: offset(n.OffsetA), OffsetB: offset(n.OffsetB),
		Fields: convert(jsonFields(n), func(f diff.FieldDiff) jsonField {
			return jsonField{f.Name, f.A, f.B, f.InA, f.InB, f.Different, f.Placement, f.Spelling, f.Renamed}
		}),
		Content: newJSONContent(n.Content), Order: newJSONOrder(n.Order),
		ErrA: n.ErrA, ErrB: n.ErrB, IOError: n.IOError,
		Causes: convert(n.Causes, func(c diff.Cause) jsonCause { return jsonCause{c.Label, c.Detail} }),
		Notes:  n.Notes,
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
		out.Text = &jsonText{t.Added, t.Removed, t.OmittedLines, t.NoNewlineA, t.NoNewlineB, t.Reordered}
	}
	if h := c.Hex; h != nil {
		out.Hex = &jsonHex{h.DiffBytes, h.Regions, h.FirstDiff, h.LastDiff, h.OmittedRows}
	}
	return out
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

// WriteJSON writes the differing part of the tree as diffoscope's JSON,
// which diffoscope --load-existing-diff renders: the root object is the
// pair of inputs, with isodiff's counts, and every differing pair is an
// object in the details of its parent, in the tree's order. It is
// written pair by pair, so that a comparison with a hundred thousand
// differences does not become one document in memory first. Identical
// inputs get nothing, as from diffoscope --json (see WriteText); inputs
// identical after filters get the root object, which says so.
func WriteJSON(w io.Writer, a, b Input, root *diff.Node, hidden diff.Hidden) error {
	if !root.Differs() && hidden.Total == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	c := root.Count()
	identical := !root.Differs() && hidden.Total == 0
	node, fields := newJSONNode(root)
	node.Version = diffoscopeVersion
	node.Source1, node.Source2 = clean(a.Path), clean(b.Path)
	node.InputA, node.InputB = &jsonInput{a.Path, a.Size, a.IsDir}, &jsonInput{b.Path, b.Size, b.IsDir}
	node.Identical, node.Counts = &identical, &jsonCounts{c.Modified, c.Added, c.Removed, c.TypeChanged}
	node.IdenticalAfterFilters = !root.Differs() && hidden.Total > 0
	if hidden.Total > 0 {
		node.Hidden = &jsonHidden{hidden.Total, hidden.Excluded, hidden.ByCause}
	}
	if root.Differs() {
		sum := diff.Summarize(root)
		js := &jsonSummary{Unexplained: []string{}, Causes: []jsonCauseCount{}}
		for _, n := range sum.Unexplained {
			js.Unexplained = append(js.Unexplained, n.Path())
		}
		for _, cc := range sum.ByCause {
			js.Causes = append(js.Causes, jsonCauseCount{cc.Label, cc.Count})
		}
		for _, sp := range diff.StorePaths(root) {
			js.StorePaths = append(js.StorePaths, jsonStorePath{sp.Name, sp.Differences, sp.Unexplained, append([]string{}, sp.Causes...), sp.Renamed})
		}
		node.Summary = js
		line := summaryLine(sum, hidden)
		node.Comments = append([]string{countLine(c), line}, node.Comments...)
	} else if node.IdenticalAfterFilters {
		node.Comments = append([]string{fmt.Sprintf("identical after filters (%s)", hidden)}, node.Comments...)
	}
	if err := writeNode(bw, root, node, fields); err != nil {
		return err
	}
	return bw.Flush()
}

// writeNode writes the object of n, made by newJSONNode, with its details:
// the object of its fields, if any, then its differing children.
func writeNode(w *bufio.Writer, n *diff.Node, node jsonNode, fields *jsonNode) error {
	obj, err := json.Marshal(node)
	if err != nil {
		return err
	}
	w.Write(escapeJSON(bytes.TrimSuffix(obj, []byte("}"))))
	first := true
	open := func() {
		if first {
			w.WriteString(`,"details":[`)
			first = false
		} else {
			w.WriteByte(',')
		}
	}
	if fields != nil {
		obj, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		open()
		w.Write(escapeJSON(obj))
	}
	for _, c := range n.Children {
		if c.State == diff.Same {
			continue
		}
		open()
		node, fields := newJSONNode(c)
		if err := writeNode(w, c, node, fields); err != nil {
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
