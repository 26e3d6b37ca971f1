// Package ui presents a comparison tree: as a text report, as diffoscope's
// JSON, as Markdown, and interactively.
package ui

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"isodiff/diff"
)

// Input names one compared input in a report header.
type Input struct {
	Path  string
	Size  int64
	IsDir bool
}

func (in Input) describe() string {
	if in.IsDir {
		return clean(in.Path) + "  (directory)"
	}
	return fmt.Sprintf("%s  (%d bytes)", clean(in.Path), in.Size)
}

// ReportOptions bound the text and Markdown reports.
type ReportOptions struct {
	// MaxReportSize caps the bytes of the report; sections that do not fit
	// are counted and named at the end.
	MaxReportSize int
	// MaxListed caps the entries listed inside an added or removed
	// directory.
	MaxListed int
	// Hidden is what a diff.Filter left out of the tree, for the summary.
	Hidden diff.Hidden
	// Color is "auto" (or ""): colour on a terminal that takes it, unless
	// NO_COLOR is set; "always"; or "never".
	Color string
	// MaxMarkdownSize caps the characters of the Markdown report, as
	// GitHub counts them; sections that do not fit are counted and named
	// at the end.
	MaxMarkdownSize int
}

// DefaultReportOptions keep a report readable.
func DefaultReportOptions() ReportOptions {
	return ReportOptions{MaxReportSize: 8 << 20, MaxListed: 100, MaxMarkdownSize: DefaultMarkdownSize}
}

// WriteText writes the text report of the tree to w. Colour is used only
// when w is a terminal that takes it and NO_COLOR is not set: a file or a
// buffer gets plain text.
//
// Inputs identical byte for byte get no report, in this format and in
// every other (JSON, Markdown, HTML), as diff, cmp and diffoscope write
// nothing for them: the exit status says it. Inputs identical only after
// the filters get a report saying so and what the filters left out.
func WriteText(w io.Writer, a, b Input, root *diff.Node, opt ReportOptions) error {
	r := newReporter(ColorRenderer(w, opt.Color), opt)
	return r.write(w, a, b, root)
}

type reporter struct {
	opt                                    ReportOptions
	plain                                  bool
	head, path, del, add, hunk, dim, state lipgloss.Style
}

// ColorRenderer is a renderer for w that colours as color ("auto",
// "always" or "never") says.
func ColorRenderer(w io.Writer, color string) *lipgloss.Renderer {
	re := lipgloss.NewRenderer(w)
	switch color {
	case "always":
		re.SetColorProfile(termenv.ANSI256)
	case "never":
		re.SetColorProfile(termenv.Ascii)
	}
	return re
}

func newReporter(re *lipgloss.Renderer, opt ReportOptions) *reporter {
	st := func() lipgloss.Style { return re.NewStyle().TabWidth(lipgloss.NoTabConversion) }
	// Plain ANSI colours read on dark and light backgrounds alike, so a
	// report never has to ask the terminal which it has.
	return &reporter{
		opt:   opt,
		plain: re.ColorProfile() == termenv.Ascii,
		head:  st().Bold(true),
		path:  st().Bold(true).Foreground(lipgloss.Color("4")),
		del:   st().Foreground(lipgloss.Color("1")),
		add:   st().Foreground(lipgloss.Color("2")),
		hunk:  st().Foreground(lipgloss.Color("5")),
		dim:   st().Faint(true),
		state: st().Foreground(lipgloss.Color("3")),
	}
}

func (r *reporter) paint(s lipgloss.Style, text string) string {
	if r.plain || text == "" {
		return text
	}
	return s.Render(text)
}

// write writes the report; identical inputs get none, as with cmp and diff.
func (r *reporter) write(w io.Writer, a, b Input, root *diff.Node) error {
	hidden := r.opt.Hidden
	if !root.Differs() && hidden.Total == 0 {
		return nil
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s\n", r.paint(r.head, "isodiff report"))
	fmt.Fprintf(&out, "  A  %s\n", a.describe())
	fmt.Fprintf(&out, "  B  %s\n", b.describe())
	if !root.Differs() {
		// As diff -I says nothing: the filters left nothing, which is
		// not the same as identical bytes.
		fmt.Fprintf(&out, "  identical after filters (%s)\n", hidden)
		_, err := w.Write(out.Bytes())
		return err
	}
	fmt.Fprintf(&out, "  %s\n", countLine(root.Count()))
	sum := diff.Summarize(root)
	line := summaryLine(sum, hidden)
	fmt.Fprintf(&out, "  %s\n\n", r.paint(r.head, line))
	if len(sum.Unexplained) > 0 {
		r.unexplained(&out, sum.Unexplained)
	}
	if lines := storePathLines(root); len(lines) > 0 {
		fmt.Fprintf(&out, "%s\n", r.paint(r.head, "store paths"))
		for _, l := range lines {
			fmt.Fprintf(&out, "  %s\n", l)
		}
		out.WriteString("\n")
	}

	r.overview(&out, root)

	sections := sectionPairs(root)
	for i, n := range sections {
		var sec bytes.Buffer
		r.section(&sec, n)
		if r.opt.MaxReportSize > 0 && out.Len()+sec.Len() > r.opt.MaxReportSize {
			fmt.Fprintf(&out, "\n[report truncated at %d bytes: %d more sections not shown, from %s; raise --max-report-size]\n",
				r.opt.MaxReportSize, len(sections)-i, clean(n.Path()))
			break
		}
		out.Write(sec.Bytes())
	}
	_, err := w.Write(out.Bytes())
	return err
}

func countLine(c diff.Counts) string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(c.Modified, "modified")
	add(c.Added, "added")
	add(c.Removed, "removed")
	add(c.TypeChanged, "type changed")
	noun := "differences"
	if c.Total() == 1 {
		noun = "difference"
	}
	return fmt.Sprintf("%d %s: %s", c.Total(), noun, strings.Join(parts, ", "))
}

// summaryLine says how many differences no known cause explains, how
// many each cause explains, and what filters left out.
func summaryLine(s diff.Summary, hidden diff.Hidden) string {
	line := "unexplained: none"
	if k := len(s.Unexplained); k > 0 {
		line = fmt.Sprintf("unexplained: %d", k)
	}
	if len(s.ByCause) > 0 {
		var parts []string
		for _, c := range s.ByCause {
			parts = append(parts, fmt.Sprintf("%s %d", c.Label, c.Count))
		}
		line += " · known causes: " + strings.Join(parts, ", ")
	}
	if s.Mirrored > 0 {
		line += fmt.Sprintf(" · %d repeated under other names", s.Mirrored)
	}
	if hidden.Total > 0 {
		line += " · " + hidden.String()
	}
	return line
}

// unexplained lists the differences no known cause explains, by path, as
// the first thing to look at.
func (r *reporter) unexplained(out *bytes.Buffer, nodes []*diff.Node) {
	fmt.Fprintf(out, "%s\n", r.paint(r.head, "unexplained"))
	for i, n := range nodes {
		if r.opt.MaxReportSize > 0 && out.Len() > r.opt.MaxReportSize {
			fmt.Fprintf(out, "  [%d more not listed; raise --max-report-size]\n", len(nodes)-i)
			break
		}
		fmt.Fprintf(out, "  %s  %s\n", clean(n.Path()), r.paint(r.state, clean(stateWord(n)+reasonText(n))))
	}
	out.WriteString("\n")
}

// overview draws the differing nodes as an indented tree, one line each,
// with the reason on the right.
func (r *reporter) overview(out *bytes.Buffer, root *diff.Node) {
	type line struct{ tree, reason string }
	var lines []line
	var more []bool // for each level above, whether lines follow below it
	for _, l := range differenceTree(root) {
		if l.depth == 0 {
			lines = append(lines, line{l.name, l.reason})
			continue
		}
		more = more[:l.depth-1]
		var tree strings.Builder
		for _, m := range more {
			if m {
				tree.WriteString("│   ")
			} else {
				tree.WriteString("    ")
			}
		}
		if l.last {
			tree.WriteString("└── ")
		} else {
			tree.WriteString("├── ")
		}
		lines = append(lines, line{tree.String() + l.name, l.reason})
		more = append(more, !l.last)
	}
	width := 0
	for _, l := range lines {
		width = max(width, ansi.StringWidth(l.tree))
	}
	width = min(width, 60)
	for i, l := range lines {
		if r.opt.MaxReportSize > 0 && out.Len() > r.opt.MaxReportSize {
			fmt.Fprintf(out, "[%d more lines of this tree not shown; raise --max-report-size]\n", len(lines)-i)
			break
		}
		if l.reason == "" {
			fmt.Fprintf(out, "%s\n", l.tree)
			continue
		}
		pad := max(1, width-ansi.StringWidth(l.tree)+2)
		fmt.Fprintf(out, "%s%s%s\n", l.tree, strings.Repeat(" ", pad), r.paint(r.state, l.reason))
	}
}

func stateWord(n *diff.Node) string {
	switch n.State {
	case diff.Added:
		return "added"
	case diff.Removed:
		return "removed"
	case diff.TypeChanged:
		return "type changed"
	}
	if !n.OwnDifferences() {
		return "changed below"
	}
	return "modified"
}

func reasonText(n *diff.Node) string {
	if n.State != diff.Modified || !n.OwnDifferences() {
		if n.State == diff.TypeChanged {
			return ": " + n.Type
		}
		return ""
	}
	return ": " + n.Reason()
}

func (r *reporter) section(out *bytes.Buffer, n *diff.Node) {
	title := "── " + clean(n.Path()) + " "
	fmt.Fprintf(out, "\n%s%s\n", r.paint(r.path, title), r.paint(r.dim, strings.Repeat("─", max(3, 78-ansi.StringWidth(title)))))
	for _, l := range sectionHead(n) {
		if l.kind == headCause {
			l.label = r.paint(r.state, l.label)
		}
		fmt.Fprintf(out, "   %s\n", l)
	}
	r.fields(out, n)
	if n.Order != nil {
		r.order(out, n.Order)
	}
	if n.Content != nil {
		r.content(out, n.Content)
	}
	if n.State == diff.Added || n.State == diff.Removed {
		r.listing(out, n)
	}
	if n.Moved > 0 || n.Respelled > 0 || n.Renamed > 0 {
		r.moved(out, n)
	}
}

// moved lists the entries of a layer whose placement fields alone differ
// (their content was compared and is identical, unless listed above).
func (r *reporter) moved(out *bytes.Buffer, layer *diff.Node) {
	fmt.Fprintf(out, "   %s\n", movedHeader)
	lines, more := movedEntries(layer, r.opt.MaxListed)
	for _, l := range lines {
		fmt.Fprintf(out, "     %s\n", l)
	}
	if l := notListed(more); l != "" {
		fmt.Fprintf(out, "     %s\n", l)
	}
}

// fields writes a table of the fields that differ, or of every field of an
// entry present on one side only.
func (r *reporter) fields(out *bytes.Buffer, n *diff.Node) {
	oneSide := n.State == diff.Added || n.State == diff.Removed
	rows := n.Changed()
	if oneSide {
		rows = n.Fields()
	}
	if len(rows) == 0 {
		return
	}
	t := newFieldTable("field", rows)
	switch {
	case oneSide:
		for _, f := range rows {
			name, _, _ := t.cells(f)
			fmt.Fprintf(out, "   %s  %s\n", name, fieldValue(f, n.State == diff.Added))
		}
		return
	case t.wName+t.wA > 60:
		for _, f := range rows {
			fmt.Fprintf(out, "   %s\n     %s %s\n     %s %s\n", clean(f.Name),
				r.paint(r.del, "A:"), r.paint(r.del, fieldValue(f, false)),
				r.paint(r.add, "B:"), r.paint(r.add, fieldValue(f, true)))
		}
		return
	}
	name, a, b := t.head()
	fmt.Fprintf(out, "   %s\n", t.join(r.paint(r.dim, name), r.paint(r.dim, a), r.paint(r.dim, b)))
	for _, f := range rows {
		name, a, b := t.cells(f)
		fmt.Fprintf(out, "   %s\n", t.join(name, r.paint(r.del, a), r.paint(r.add, b)))
	}
}

func (r *reporter) order(out *bytes.Buffer, o *diff.OrderDiff) {
	fmt.Fprintf(out, "   %s\n", orderHeader(o))
	fmt.Fprintf(out, "     %s %s\n", r.paint(r.del, "A:"), orderNames(o, o.A))
	fmt.Fprintf(out, "     %s %s\n", r.paint(r.add, "B:"), orderNames(o, o.B))
}

func (r *reporter) content(out *bytes.Buffer, c *diff.Content) {
	for _, l := range contentHead(c) {
		fmt.Fprintf(out, "   %s\n", l)
	}
	switch {
	case c.Text != nil:
		r.text(out, c.Text)
	case c.Hex != nil:
		r.hex(out, c.Hex)
	}
}

func (r *reporter) text(out *bytes.Buffer, t *diff.TextDiff) {
	for _, l := range textDiffLines(t) {
		fmt.Fprintf(out, "   %s\n", r.diffLine(l))
	}
	for _, l := range []string{noNewline(t), omittedLines(t)} {
		if l != "" {
			fmt.Fprintf(out, "   %s\n", l)
		}
	}
}

func (r *reporter) hex(out *bytes.Buffer, h *diff.HexDiff) {
	fmt.Fprintf(out, "   %s\n", hexHeader(h))
	for _, l := range hexDiffLines(h) {
		fmt.Fprintf(out, "   %s\n", r.diffLine(l))
	}
	if l := omittedRows(h); l != "" {
		fmt.Fprintf(out, "   %s\n", l)
	}
}

// diffLine paints a line of a text or hex diff by what it is: a hunk
// header, a line of A or B, or the mark between hex hunks.
func (r *reporter) diffLine(l string) string {
	switch {
	case strings.HasPrefix(l, "@@"):
		return r.paint(r.hunk, l)
	case strings.HasPrefix(l, "-"):
		return r.paint(r.del, l)
	case strings.HasPrefix(l, "+"):
		return r.paint(r.add, l)
	case l == hexHunkMark:
		return r.paint(r.dim, l)
	}
	return l
}

// listing names the entries inside an added or removed directory.
func (r *reporter) listing(out *bytes.Buffer, n *diff.Node) {
	count := 0
	var walk func(m *diff.Node)
	walk = func(m *diff.Node) {
		for _, c := range m.Children {
			if count < r.opt.MaxListed {
				fmt.Fprintf(out, "     %s  %s\n", clean(c.Path()), clean(c.Type))
			}
			count++
			walk(c)
		}
	}
	walk(n)
	if count > r.opt.MaxListed {
		fmt.Fprintf(out, "     [%d more entries not listed]\n", count-r.opt.MaxListed)
	}
}

// Clean makes a string read from an image safe to print on one line of a
// terminal or a file: control characters (C0, DEL and C1), bidirectional
// overrides and isolates, other invisible format characters and invalid
// UTF-8 are shown as Go escapes (\x1b, \u009b, \u202e, \xff), never
// sent as they are. A string with nothing to escape is returned as it is.
func Clean(s string) string { return clean(s) }

// unsafeRune reports whether a rune must not reach a terminal as it is.
// Most such runes are not graphic for strconv; C1 controls and the
// bidirectional controls are named as well so that they stay escaped
// whatever a Unicode version says of them: a C1 CSI starts an escape
// sequence on some terminals, and a right-to-left override makes
// "a\u202etxt.exe" read as "aexe.txt".
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r >= 0x202a && r <= 0x202e: // bidi embeddings and overrides
		return true
	case r >= 0x2066 && r <= 0x2069: // bidi isolates
		return true
	case r == 0x200e || r == 0x200f || r == 0x061c: // bidi marks
		return true
	}
	return !strconv.IsGraphic(r)
}

// needsEscape reports whether clean would change s (tabs aside when
// keepTabs).
func needsEscape(s string, keepTabs bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !(keepTabs && c == '\t') {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || unsafeRune(r) {
			return true
		}
		i += n
	}
	return false
}

// clean is Clean. Once a string needs escaping, backslashes and double
// quotes are escaped too (as strconv.QuoteToGraphic does), so that an
// escape in the output always stands for one character of the input.
func clean(s string) string {
	if !needsEscape(s, false) {
		return s
	}
	return escapeRunes(s, true)
}

// escapeUnsafe escapes what clean escapes but leaves backslashes and
// double quotes alone: for text typed into the view, not read from an
// image.
func escapeUnsafe(s string) string { return escapeRunes(s, false) }

func escapeRunes(s string, quotes bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case quotes && (r == '\\' || r == '"'):
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case unsafeRune(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// cleanLine is clean for a line of a text diff, where tabs stay tabs.
func cleanLine(s string) string {
	if !needsEscape(s, true) {
		return s
	}
	parts := strings.Split(s, "\t")
	for i, p := range parts {
		parts[i] = clean(p)
	}
	return strings.Join(parts, "\t")
}
