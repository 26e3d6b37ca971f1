package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"isodiff/diff"
)

// What the text report and the interactive view both say of a pair, in
// the same words and the same layout: the lines that head a section, the
// headers of text and hex hunks, what a limit left out, and the table of
// fields. Everything here is plain text measured in terminal cells; each
// presenter paints it its own way and decides where it goes.

// headKind says what a line heading a section is, so that a presenter can
// paint its label.
type headKind int

const (
	headState headKind = iota // label: the state of the pair
	headError                 // label: which side could not be read
	headCause                 // label: "known cause:"
	headInfo                  // no label
	headNote                  // label: "note:"
)

// headLine is a line heading a section: a label and the rest, cleaned.
type headLine struct {
	kind        headKind
	label, text string
}

func (l headLine) String() string {
	if l.label == "" {
		return l.text
	}
	return l.label + " " + l.text
}

// sectionHead is what a section says of a pair before its fields and
// content: its state and kind, what could not be read, the known causes,
// and the notes.
func sectionHead(n *diff.Node) []headLine {
	lines := []headLine{{headState, stateWord(n), "· " + clean(kindText(n))}}
	switch {
	case n.ErrA != "" && n.ErrA == n.ErrB:
		lines = append(lines, headLine{headError, "neither side could be read:", clean(n.ErrA)})
	default:
		if n.ErrA != "" {
			lines = append(lines, headLine{headError, "A could not be read:", clean(n.ErrA)})
		}
		if n.ErrB != "" {
			lines = append(lines, headLine{headError, "B could not be read:", clean(n.ErrB)})
		}
	}
	for _, c := range n.Causes {
		lines = append(lines, headLine{headCause, "known cause:", clean(c.String())})
	}
	if n.ContentIdentical() {
		lines = append(lines, headLine{headInfo, "", "content identical: everything unpacked from it as " + clean(n.InnerLayer()) + " is the same"})
	}
	if n.LayoutOnly {
		lines = append(lines, headLine{headInfo, "", "layout only: the bytes differ, but every entry unpacked from them is identical"})
	}
	for _, note := range n.Notes {
		lines = append(lines, headLine{headNote, "note:", clean(note)})
	}
	return lines
}

// kindText names what a pair is: its layer and type, and the layer its
// content was unpacked as.
func kindText(n *diff.Node) string {
	kind := strings.TrimSpace(n.Layer + " " + n.Type)
	if n.Inner != "" {
		kind += " holding " + n.Inner
	}
	return kind
}

// contentHead is what is said of two differing contents before their diff.
func contentHead(c *diff.Content) []string {
	var lines []string
	if c.SizeA != c.SizeB {
		lines = append(lines, fmt.Sprintf("content: %d → %d bytes", c.SizeA, c.SizeB))
	}
	if c.Text != nil && c.Text.Reordered {
		lines = append(lines, "same lines, other order")
	}
	return lines
}

// hunkHeader is the header of a hunk of a text diff, as in a unified diff.
func hunkHeader(h diff.Hunk) string {
	return fmt.Sprintf("@@ -%s +%s @@", hunkRange(h.StartA, h.LenA), hunkRange(h.StartB, h.LenB))
}

func hunkRange(start, n int) string {
	if n == 1 {
		return strconv.Itoa(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// textDiffLines are the lines of a text diff as the text report writes
// them: hunk headers, and lines marked " ", "-" and "+", cleaned.
func textDiffLines(t *diff.TextDiff) []string {
	var lines []string
	for _, h := range t.Hunks {
		lines = append(lines, hunkHeader(h))
		for _, l := range h.Lines {
			lines = append(lines, string(l.Op)+cleanLine(l.Text))
		}
	}
	return lines
}

// hexHunkMark stands between two hunks of a hex diff.
const hexHunkMark = "⋯"

// hexLine is a line of a hex diff: a row of one side (op '-' or '+'), a
// row both sides share (op ' '), a side's end before the row (pastEnd),
// or the mark between hunks (op 0). other is the row of the other side,
// nil where it has none, so that a presenter can mark the bytes that
// differ.
type hexLine struct {
	op         byte
	off        int64
	row, other []byte
	pastEnd    bool
}

// String is the line as the text report writes it.
func (l hexLine) String() string {
	switch {
	case l.op == 0:
		return hexHunkMark
	case l.pastEnd && l.op == '-':
		return fmt.Sprintf("-%08x  (past end of A)", l.off)
	case l.pastEnd:
		return fmt.Sprintf("+%08x  (past end of B)", l.off)
	}
	return string(l.op) + hexRow(l.off, l.row)
}

// differs reports whether byte i of the row differs from the other
// side's (which may be shorter, or have no row there).
func (l hexLine) differs(i int) bool {
	return l.op != ' ' && (i >= len(l.other) || l.row[i] != l.other[i])
}

// hexLines are the lines of a hex diff: a row of each side where they
// differ, A's first.
func hexLines(h *diff.HexDiff) []hexLine {
	var lines []hexLine
	for i, hk := range h.Hunks {
		if i > 0 {
			lines = append(lines, hexLine{})
		}
		for _, row := range hk.Rows {
			if row.Same {
				lines = append(lines, hexLine{op: ' ', off: row.Offset, row: row.A, other: row.B})
				continue
			}
			if row.A != nil {
				lines = append(lines, hexLine{op: '-', off: row.Offset, row: row.A, other: row.B})
			}
			if row.B != nil {
				lines = append(lines, hexLine{op: '+', off: row.Offset, row: row.B, other: row.A})
			}
			if row.A == nil {
				lines = append(lines, hexLine{op: '-', off: row.Offset, pastEnd: true})
			}
			if row.B == nil {
				lines = append(lines, hexLine{op: '+', off: row.Offset, pastEnd: true})
			}
		}
	}
	return lines
}

// hexDiffLines are the rows of a hex diff as the text report writes them
// (see hexLines).
func hexDiffLines(h *diff.HexDiff) []string {
	lines := hexLines(h)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.String()
	}
	return out
}

// hexRow formats up to 16 bytes as offset, hex and printable characters.
// Reports hold thousands of rows (the interactive view 256 KiB of each
// file), so the bytes are written directly rather than through fmt.
func hexRow(off int64, b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 80)
	s = fmt.Appendf(s, "%08x  ", off)
	for i := 0; i < 16; i++ {
		if i == 8 {
			s = append(s, ' ')
		}
		if i < len(b) {
			s = append(s, digits[b[i]>>4], digits[b[i]&15], ' ')
		} else {
			s = append(s, "   "...)
		}
	}
	s = append(s, " |"...)
	s = appendPrintable(s, b)
	return string(append(s, '|'))
}

// printable is b as the last column of a hex dump shows it: printable
// ASCII as it is, any other byte as a dot.
func printable(b []byte) string {
	return string(appendPrintable(make([]byte, 0, len(b)), b))
}

func appendPrintable(out, b []byte) []byte {
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		} else {
			out = append(out, '.')
		}
	}
	return out
}

// noNewline says which side of a text diff lacks a line break at its end
// when the other has one, or is empty.
func noNewline(t *diff.TextDiff) string {
	switch {
	case t.NoNewlineA == t.NoNewlineB:
		return ""
	case t.NoNewlineA:
		return `\ no newline at end of A`
	}
	return `\ no newline at end of B`
}

// hexHeader heads a hex diff.
func hexHeader(h *diff.HexDiff) string {
	return fmt.Sprintf("%s in %s, first at 0x%x", plural(h.DiffBytes, "differing byte"), plural(int64(h.Regions), "region"), h.FirstDiff)
}

// omitted says what a limit (the flag) left out of a diff, or is empty.
func omitted(n int64, what, flag string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("[%d more %s not shown; raise %s]", n, what, flag)
}

func omittedLines(t *diff.TextDiff) string {
	return omitted(int64(t.OmittedLines), "diff lines", "--max-diff-lines")
}

func omittedRows(h *diff.HexDiff) string {
	return omitted(h.OmittedRows, "differing rows", "--max-hex-bytes")
}

// orderHeader heads an ordering difference: where the two orders part.
func orderHeader(o *diff.OrderDiff) string {
	return fmt.Sprintf("order differs from position %d:", orderParts(o)+1)
}

// maxOrderShown is how many names of each order a report shows, from
// where the orders part.
const maxOrderShown = 12

// orderNames are the names of one side of an ordering difference from
// where the orders part, cleaned, maxOrderShown at most.
func orderNames(o *diff.OrderDiff, names []string) string {
	first := orderParts(o)
	end := min(len(names), first+maxOrderShown)
	parts := make([]string, 0, end-first)
	for _, s := range names[first:end] {
		parts = append(parts, clean(s))
	}
	more := ""
	if end < len(names) {
		more = fmt.Sprintf(", … (%d more)", len(names)-end)
	}
	return strings.Join(parts, ", ") + more
}

// orderParts is the index of the first name the two orders do not share.
func orderParts(o *diff.OrderDiff) int {
	first := 0
	for first < len(o.A) && first < len(o.B) && o.A[first] == o.B[first] {
		first++
	}
	return first
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// fieldTable lays fields out in three columns, the name, A's value and
// B's, two cells apart. Widths are terminal cells: a wide character takes
// two, a combining one none, so columns line up whatever the names and
// values hold.
type fieldTable struct {
	heading   string // over the names: "field", or "same" over equal fields
	rows      []diff.FieldDiff
	wName, wA int
	// fit cuts every cell to its column with "…" (B's to wB) rather than
	// letting a long value run on: for a pane of a given width.
	fit bool
	wB  int
}

// newFieldTable sizes the columns to their widest cells.
func newFieldTable(heading string, rows []diff.FieldDiff) fieldTable {
	t := fieldTable{heading: heading, rows: rows, wName: ansi.StringWidth(heading), wA: 1}
	for _, f := range rows {
		t.wName = max(t.wName, ansi.StringWidth(clean(f.Name)))
		t.wA = max(t.wA, ansi.StringWidth(fieldValue(f, false)))
	}
	return t
}

// head is the cells of the heading row.
func (t fieldTable) head() (name, a, b string) {
	return t.cell(t.heading, t.wName), t.cell("A", t.wA), "B"
}

// cells are the cells of a field's row, the last one unpadded.
func (t fieldTable) cells(f diff.FieldDiff) (name, a, b string) {
	b = fieldValue(f, true)
	if t.fit {
		b = ansi.Truncate(b, t.wB, "…")
	}
	return t.cell(clean(f.Name), t.wName), t.cell(fieldValue(f, false), t.wA), b
}

func (t fieldTable) cell(s string, w int) string {
	if t.fit {
		s = ansi.Truncate(s, w, "…")
	}
	return padCells(s, w)
}

// join makes a row of a table's cells, painted or not.
func (fieldTable) join(name, a, b string) string { return name + "  " + a + "  " + b }

// fieldValue is a field's value on side B (b) or A, cleaned; "–" where
// that side has no such field.
func fieldValue(f diff.FieldDiff, b bool) string {
	v, in := f.A, f.InA
	if b {
		v, in = f.B, f.InB
	}
	if !in {
		return "–"
	}
	return clean(v)
}

// padCells pads s with spaces to w terminal cells: a wide character takes
// two, an escape sequence none.
func padCells(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// movedHeader heads the list of the entries of a layer that are placed,
// numbered or named differently (see movedEntries).
const movedHeader = "placed, numbered or named differently, content compared:"

// movedEntries lists the entries of a layer whose placement, spelling or
// store path hash alone differ, one "path  field A → B, ..." line each
// with the path below the layer, limit of them at most; more counts those
// left out.
func movedEntries(layer *diff.Node, limit int) (lines []string, more int) {
	count := 0
	prefix := layer.Path() + " :: "
	if layer.Parent == nil {
		prefix = ""
	}
	var walk func(n *diff.Node)
	walk = func(n *diff.Node) {
		for _, c := range n.Children {
			if c.Placed() || c.NameRespelled() || c.StorePathRenamed() {
				if count < limit {
					var parts []string
					for _, f := range c.Changed() {
						if f.Placement || f.Spelling || f.Renamed {
							parts = append(parts, fmt.Sprintf("%s %s → %s", clean(f.Name), fieldValue(f, false), fieldValue(f, true)))
						}
					}
					lines = append(lines, clean(strings.TrimPrefix(c.Path(), prefix))+"  "+strings.Join(parts, ", "))
				}
				count++
			}
			if !c.Descended {
				walk(c)
			}
		}
	}
	walk(layer)
	return lines, count - len(lines)
}

// entriesInside are the entries inside an added or removed directory,
// in the tree's order, limit of them at most; more counts the rest.
func entriesInside(n *diff.Node, limit int) (entries []*diff.Node, more int) {
	n.Walk(func(m *diff.Node) bool {
		if m != n {
			if len(entries) < limit {
				entries = append(entries, m)
			} else {
				more++
			}
		}
		return true
	})
	return entries, more
}

// notListed says how many entries a list left out, or is empty.
func notListed(more int) string {
	if more <= 0 {
		return ""
	}
	return fmt.Sprintf("[%d more not listed]", more)
}

// sectionPairs are the pairs a report gives a section, unexplained first,
// then the rest, each in the order of the tree: those with differences of
// their own, but not the entries inside an added or removed directory,
// which its section lists.
func sectionPairs(root *diff.Node) []*diff.Node {
	var sections, explained []*diff.Node
	root.Walk(func(n *diff.Node) bool {
		if n.State == diff.Same {
			return false
		}
		if n.OwnDifferences() {
			if n.Unexplained() {
				sections = append(sections, n)
			} else {
				explained = append(explained, n)
			}
		}
		return n.State != diff.Added && n.State != diff.Removed
	})
	return append(sections, explained...)
}

// treeLine is a line of the tree of differences that heads a report.
type treeLine struct {
	depth int  // 0 for the root, 1 for its children, ...
	last  bool // the last differing child of its parent
	// name is the pair's name, cleaned, with those of the directories
	// folded into it; reason is its state and reason, cleaned, "" for a
	// root without differences of its own.
	name, reason string
	node         *diff.Node // the pair the line ends at
}

// differenceTree is the tree of the differing pairs, one line each, in the
// tree's order. A directory that only leads to one difference is folded
// into its child's line, as in "lib/python3.13/json"; the entries of an
// added or removed directory are not listed.
func differenceTree(root *diff.Node) []treeLine {
	rootReason := ""
	if root.OwnDifferences() {
		rootReason = clean(stateWord(root) + reasonText(root))
	}
	lines := []treeLine{{name: clean(root.Name), reason: rootReason, node: root}}
	differing := func(n *diff.Node) []*diff.Node {
		var kids []*diff.Node
		for _, c := range n.Children {
			if c.State != diff.Same {
				kids = append(kids, c)
			}
		}
		return kids
	}
	var walk func(n *diff.Node, depth int)
	walk = func(n *diff.Node, depth int) {
		kids := differing(n)
		for i, c := range kids {
			name := clean(c.Name)
			if n.Descended && n.Parent != nil {
				name = ":: " + name
			}
			for c.State == diff.Modified && !c.OwnDifferences() && !c.Descended {
				only := differing(c)
				if len(only) != 1 {
					break
				}
				if !strings.HasSuffix(name, "/") {
					name += "/"
				}
				c = only[0]
				name += clean(c.Name)
			}
			lines = append(lines, treeLine{depth, i == len(kids)-1, name, clean(stateWord(c) + reasonText(c)), c})
			if c.State != diff.Added && c.State != diff.Removed {
				walk(c, depth+1)
			}
		}
	}
	walk(root, 1)
	return lines
}

// maxStorePathLines bounds the store paths a report lists.
const maxStorePathLines = 50

// storePathLines are the store paths with differences, a line each
// ("python3-3.13.5  1 difference: pyc header"), most unexplained first;
// nil when the tree holds no nix store.
func storePathLines(root *diff.Node) []string {
	sps := diff.StorePaths(root)
	var lines []string
	for i, sp := range sps {
		if i == maxStorePathLines {
			lines = append(lines, fmt.Sprintf("[%d more store paths]", len(sps)-i))
			break
		}
		if sp.Renamed && sp.Differences == 0 {
			lines = append(lines, clean(sp.Name)+"  renamed under another hash, contents equal")
			continue
		}
		what := fmt.Sprintf("%d difference", sp.Differences)
		if sp.Differences != 1 {
			what += "s"
		}
		if sp.Renamed {
			what = "renamed under another hash, " + what
		}
		if sp.Unexplained > 0 {
			what += fmt.Sprintf(", %d unexplained", sp.Unexplained)
		}
		if len(sp.Causes) > 0 {
			what += ": " + strings.Join(sp.Causes, ", ")
		}
		lines = append(lines, clean(sp.Name)+"  "+what)
	}
	return lines
}
