package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"isodiff/diff"
)

// viewMode is how the right pane shows content.
type viewMode int

const (
	viewText viewMode = iota
	viewHex
)

// sideMode is whether two contents are shown side by side or one above
// the other (unified): chosen by the width (auto) or by the user.
type sideMode int

const (
	sideAuto sideMode = iota
	sideOn
	sideOff
)

// detail is the rendered right pane of one node: lines, and the line
// numbers where each differing region starts, for jumping. It records
// what it was laid out for: layouts run concurrently and may arrive out
// of order, and only one made for the current settings may be shown.
type detail struct {
	node    *diff.Node
	made    layout
	lines   []dline
	anchors []int
	// what names what the content part shows ("text, side by side"),
	// for the pane's title.
	what string
	// wide is the widest scrolling part of a line, in cells: how far the
	// lines can be scrolled sideways.
	wide int
	// col is the width of each half of a side-by-side line.
	col int
}

// dline is a line of the right pane. A line scrolled sideways keeps its
// gutter (a diff's +/- mark, an offset) in place, as tig does; a line of
// two halves scrolls each half within its column.
type dline struct {
	text   string
	gutter int // cells of text that stay in place
	halves bool
	a, b   half
	mark   string
	// fixed lines (headings, tables fitted to the pane) do not scroll.
	fixed bool
}

// half is one side of a side-by-side line: a gutter (line number or
// offset) and the text that scrolls.
type half struct{ gutter, body string }

// layout is what a detail is laid out for.
type layout struct {
	mode  viewMode
	side  sideMode
	width int
	wrap  bool
}

// styles are the UI's colours, made by one renderer so that NO_COLOR and
// dumb terminals get plain text.
type styles struct {
	plain                                 bool
	title, dim, del, add, hunk, sel, warn lipgloss.Style
	delEm, addEm, hit                     lipgloss.Style
	state                                 map[diff.State]lipgloss.Style
	unreadable, pending, bar, focus       lipgloss.Style
	changed                               lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	c := func(light, dark string) lipgloss.AdaptiveColor {
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	st := r.NewStyle
	return styles{
		plain: r.ColorProfile() == termenv.Ascii,
		title: st().Bold(true),
		dim:   st().Faint(true),
		del:   st().Foreground(c("1", "9")),
		add:   st().Foreground(c("2", "10")),
		delEm: st().Foreground(c("1", "9")).Reverse(true),
		addEm: st().Foreground(c("2", "10")).Reverse(true),
		hit:   st().Background(c("11", "3")).Foreground(c("0", "0")),
		hunk:  st().Foreground(c("5", "13")),
		sel:   st().Reverse(true),
		warn:  st().Foreground(c("1", "9")).Bold(true),
		state: map[diff.State]lipgloss.Style{
			diff.Same:        st().Faint(true),
			diff.Modified:    st().Foreground(c("3", "11")),
			diff.Added:       st().Foreground(c("2", "10")),
			diff.Removed:     st().Foreground(c("1", "9")),
			diff.TypeChanged: st().Foreground(c("5", "13")),
		},
		unreadable: st().Foreground(c("1", "9")).Bold(true),
		pending:    st().Faint(true).Italic(true),
		bar:        st().Foreground(c("0", "15")).Background(c("252", "236")),
		focus:      st().Bold(true).Foreground(c("4", "12")),
		changed:    st().Bold(true).Foreground(c("3", "11")),
	}
}

func (s styles) paint(st lipgloss.Style, text string) string {
	if s.plain || text == "" {
		return text
	}
	return st.Render(text)
}

// add appends a line that stays when the others scroll sideways: a
// heading, or a table fitted to the pane.
func (d *detail) add(line string) {
	d.lines = append(d.lines, dline{text: cellSafe(line), fixed: true})
}

// addHeads appends the heading of two halves, which stays in place.
func (d *detail) addHeads(a, b half, mark string) {
	a.body, b.body = cellSafe(a.body), cellSafe(b.body)
	d.lines = append(d.lines, dline{halves: true, a: a, b: b, mark: mark, fixed: true})
}

// addGutter appends a line whose first gutter cells stay in place; with
// wrapping on, it is wrapped to the pane, its continuation lines indented
// by the gutter.
func (d *detail) addGutter(line string, gutter int) {
	line = cellSafe(line)
	w := d.made.width
	if d.made.wrap && ansi.StringWidth(line) > w && w > gutter+4 {
		head, body := ansi.Cut(line, 0, gutter), ansi.TruncateLeft(line, gutter, "")
		for i, l := range strings.Split(ansi.Hardwrap(body, w-gutter, true), "\n") {
			if i > 0 {
				head = strings.Repeat(" ", gutter)
			}
			d.lines = append(d.lines, dline{text: head + l, gutter: gutter})
		}
		return
	}
	d.wide = max(d.wide, ansi.StringWidth(line)-gutter)
	d.lines = append(d.lines, dline{text: line, gutter: gutter})
}

// addHalves appends a side-by-side line; with wrapping on, each half is
// wrapped within its column and the line takes as many rows as the
// longer half needs.
func (d *detail) addHalves(a, b half, mark string) {
	a.body, b.body = cellSafe(a.body), cellSafe(b.body)
	if !d.made.wrap {
		d.wide = max(d.wide, ansi.StringWidth(a.body), ansi.StringWidth(b.body))
		d.lines = append(d.lines, dline{halves: true, a: a, b: b, mark: mark})
		return
	}
	split := func(h half) []half {
		gw := ansi.StringWidth(h.gutter)
		room := max(4, d.col-gw)
		var out []half
		for i, l := range strings.Split(ansi.Hardwrap(h.body, room, true), "\n") {
			g := h.gutter
			if i > 0 {
				g = strings.Repeat(" ", gw)
			}
			out = append(out, half{g, l})
		}
		return out
	}
	as, bs := split(a), split(b)
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y half
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		m := mark
		if i > 0 {
			m = strings.Repeat(" ", ansi.StringWidth(mark))
		}
		d.lines = append(d.lines, dline{halves: true, a: x, b: y, mark: m})
	}
}

// render is line i as the pane shows it, w cells wide, scrolled x cells
// to the right: what is cut off on either side is marked with "…".
func (d detail) render(i, x, w int) string {
	l := d.lines[i]
	if l.fixed {
		x = 0
	}
	if !l.halves {
		return scrolled(l.text, l.gutter, x, w)
	}
	gw := func(h half) int { return ansi.StringWidth(h.gutter) }
	ca := d.col
	cb := max(0, w-ca-ansi.StringWidth(l.mark))
	left := padCells(ansi.Truncate(l.a.gutter+scrolled(l.a.body, 0, x, ca-gw(l.a)), ca, "…"), ca)
	right := l.b.gutter + scrolled(l.b.body, 0, x, cb-gw(l.b))
	return ansi.Truncate(left+l.mark+right, w, "…")
}

// scrolled is text with its first gutter cells kept and the rest shown
// from x cells on, w cells in all.
func scrolled(text string, gutter, x, w int) string {
	if w <= 0 {
		return ""
	}
	if x <= 0 || ansi.StringWidth(text) <= gutter {
		return ansi.Truncate(text, w, "…")
	}
	head := ansi.Cut(text, 0, gutter)
	rest := ansi.TruncateLeft(text, gutter+x, "…")
	if rest == "" || ansi.StringWidth(rest) == 0 {
		return ansi.Truncate(head, w, "…")
	}
	return ansi.Truncate(head+rest, w, "…")
}

// renderDetail lays out everything the right pane shows for n as l says.
// It runs outside the update loop: a large diff is laid out once, and
// View only slices the lines.
func renderDetail(n *diff.Node, l layout, s styles) detail {
	d := detail{node: n, made: l, what: "fields"}
	width := l.width
	wrap := func(text string) {
		for _, l := range strings.Split(ansi.Hardwrap(text, max(10, width), true), "\n") {
			d.add(l)
		}
	}
	wrap(s.paint(s.title, clean(n.Path())))
	for _, l := range sectionHead(n) {
		switch l.kind {
		case headState:
			l.label = s.paint(s.state[n.State], l.label)
		case headError:
			l.label = s.paint(s.unreadable, l.label)
		case headCause:
			l.label = s.paint(s.changed, l.label)
		case headNote:
			l = headLine{text: s.paint(s.dim, l.String())}
		}
		wrap(l.String())
		if r := n.Reason(); l.kind == headState && r != "" && n.State == diff.Modified {
			// The pane has no overview beside it: what differs, in short.
			wrap(s.paint(s.dim, clean(r)))
		}
	}
	if n.Parent == nil && n.Differs() {
		d.summary(n, s)
	}
	d.fields(n, true, "field", width, s)
	if n.Order != nil {
		d.what = "order"
		d.add("")
		d.add(s.paint(s.title, orderHeader(n.Order)))
		col := max(8, (width-6)/2)
		d.col = col + 2
		d.addHeads(half{"  ", s.paint(s.title, "A")}, half{"", s.paint(s.title, "B")}, "  ")
		for i := 0; i < max(len(n.Order.A), len(n.Order.B)); i++ {
			a, b := "", ""
			if i < len(n.Order.A) {
				a = n.Order.A[i]
			}
			if i < len(n.Order.B) {
				b = n.Order.B[i]
			}
			mark := "  "
			if a != b {
				mark = "≠ "
			}
			d.addHalves(half{mark, clean(a)}, half{"", clean(b)}, "  ")
		}
	}
	if c := n.Content; c != nil {
		d.add("")
		for _, l := range contentHead(c) {
			d.add(l)
		}
		switch {
		case c.Text != nil && l.mode == viewText:
			if d.sideBySideFits(c.Text) {
				d.what = "text, side by side"
				d.sideBySide(c.Text, s)
			} else {
				d.what = "text, unified"
				d.unified(c.Text, s)
			}
		case c.Hex != nil:
			d.hex(c.Hex, s)
		default:
			d.add(s.paint(s.dim, "text content: press t for the text diff"))
		}
	}
	same := "same"
	if n.State == diff.Added || n.State == diff.Removed {
		same = "field"
	}
	d.fields(n, false, same, width, s)
	if n.State == diff.Added || n.State == diff.Removed {
		if len(n.Children) > 0 {
			d.add("")
			d.add(fmt.Sprintf("%d entries inside", countBelow(n)))
		}
	}
	if n.Moved > 0 || n.Respelled > 0 || n.Renamed > 0 {
		// The list behind "N entries moved or renumbered", as the text
		// report prints it.
		d.add("")
		d.add(s.paint(s.title, movedHeader))
		lines, more := movedEntries(n, maxPaneListed)
		for _, l := range lines {
			d.addGutter("  "+l, 2)
		}
		if l := notListed(more); l != "" {
			d.add("  " + l)
		}
	}
	return d
}

// summary is what the text report leads with, for the root's pane: the
// counts, the differences each known cause explains and those none does,
// and the store paths that differ.
func (d *detail) summary(root *diff.Node, s styles) {
	sum := diff.Summarize(root)
	d.add("")
	d.add(s.paint(s.title, countLine(root.Count())))
	d.add(s.paint(s.title, "unexplained: ") + fmt.Sprint(len(sum.Unexplained)))
	if len(sum.ByCause) > 0 {
		d.add(s.paint(s.title, "known causes (K shows one alone):"))
		for _, c := range sum.ByCause {
			d.addGutter(fmt.Sprintf("  %5d  %s", c.Count, clean(c.Label)), 2)
		}
	}
	if sum.Mirrored > 0 {
		d.add(fmt.Sprintf("%d repeated under other names", sum.Mirrored))
	}
	if len(sum.Unexplained) > 0 {
		d.add("")
		d.add(s.paint(s.title, "unexplained (H shows them alone):"))
		for i, n := range sum.Unexplained {
			if i == maxSummaryListed {
				d.add("  " + notListed(len(sum.Unexplained)-i))
				break
			}
			d.addGutter("  "+clean(n.Path())+"  "+s.paint(s.dim, clean(stateWord(n)+reasonText(n))), 2)
		}
	}
	if lines := storePathLines(root); len(lines) > 0 {
		d.add("")
		d.add(s.paint(s.title, "store paths:"))
		for _, l := range lines {
			d.addGutter("  "+l, 2)
		}
	}
}

// maxSummaryListed bounds the unexplained differences the root's pane
// lists.
const maxSummaryListed = 200

// maxPaneListed bounds the lists of the right pane (moved entries): far
// more than a report lists, since the pane scrolls.
const maxPaneListed = 100000

func countBelow(n *diff.Node) int {
	c := 0
	n.Walk(func(m *diff.Node) bool { c++; return true })
	return c - 1
}

// fields writes the metadata table rows whose Different is want, under a
// heading; differing fields come before the content diff and identical
// ones after it, so that what differs is on the first screen. The columns
// fit the pane, and are the same for both tables.
func (d *detail) fields(n *diff.Node, want bool, heading string, width int, s styles) {
	fields := n.Fields()
	var rows []diff.FieldDiff
	for _, f := range fields {
		if f.Different == want {
			rows = append(rows, f)
		}
	}
	if len(rows) == 0 {
		return
	}
	wName := len("field")
	for _, f := range fields {
		wName = max(wName, ansi.StringWidth(clean(f.Name)))
	}
	wName = min(wName, width/3)
	col := max(6, (width-wName-6)/2)
	t := fieldTable{heading: heading, rows: rows, wName: wName, wA: col, wB: col, fit: true}
	name, a, b := t.head()
	d.add("")
	d.add(s.paint(s.dim, "  "+t.join(name, a, b)))
	for _, f := range rows {
		mark := "  "
		name, a, b := t.cells(f)
		if f.Different {
			mark = "≠ "
			name, a, b = s.paint(s.changed, name), s.paint(s.del, a), s.paint(s.add, b)
		}
		d.add(mark + t.join(name, a, b))
	}
}

// lineNumberCells is the gutter of a side-by-side text line: a line
// number and a space.
const lineNumberCells = 5

// sideBySideFits decides, for the automatic mode, whether a text diff is
// shown side by side: when every changed line fits its half, so that the
// halves show what differs rather than two cut-off copies of the same
// start.
func (d *detail) sideBySideFits(t *diff.TextDiff) bool {
	switch d.made.side {
	case sideOn:
		return true
	case sideOff:
		return false
	}
	col := (d.made.width - 3) / 2
	if col < lineNumberCells+20 {
		return false
	}
	for _, h := range t.Hunks {
		for _, l := range h.Lines {
			if l.Op != ' ' && ansi.StringWidth(expandTabs(cleanLine(l.Text))) > col-lineNumberCells {
				return false
			}
		}
	}
	return true
}

// changeBlocks calls fn for each run of a hunk's lines: context lines one
// at a time (dels and adds nil), and each run of removed lines with the
// added lines that follow it.
func changeBlocks(h diff.Hunk, fn func(ctx *diff.Line, dels, adds []string)) {
	for i := 0; i < len(h.Lines); {
		if h.Lines[i].Op == ' ' {
			fn(&h.Lines[i], nil, nil)
			i++
			continue
		}
		var dels, adds []string
		for ; i < len(h.Lines) && h.Lines[i].Op == '-'; i++ {
			dels = append(dels, expandTabs(cleanLine(h.Lines[i].Text)))
		}
		for ; i < len(h.Lines) && h.Lines[i].Op == '+'; i++ {
			adds = append(adds, expandTabs(cleanLine(h.Lines[i].Text)))
		}
		fn(nil, dels, adds)
	}
}

// charDiff paints a changed line pair, the characters that differ in the
// emphasised style of their side: the marking the HTML report makes
// (changedChars), the same for the same lines on every run.
func charDiff(a, b string, s styles) (string, string) {
	if s.plain {
		return a, b
	}
	sa, sb, ok := changedChars(a, b)
	if !ok {
		return s.paint(s.del, a), s.paint(s.add, b)
	}
	paint := func(segs []charSeg, plain, em lipgloss.Style) string {
		var out strings.Builder
		for _, g := range segs {
			if g.Mark {
				out.WriteString(s.paint(em, g.Text))
			} else {
				out.WriteString(s.paint(plain, g.Text))
			}
		}
		return out.String()
	}
	return paint(sa, s.del, s.delEm), paint(sb, s.add, s.addEm)
}

func (d *detail) unified(t *diff.TextDiff, s styles) {
	for _, h := range t.Hunks {
		d.anchors = append(d.anchors, len(d.lines))
		d.add(s.paint(s.hunk, hunkHeader(h)))
		changeBlocks(h, func(ctx *diff.Line, dels, adds []string) {
			if ctx != nil {
				d.addGutter(" "+expandTabs(cleanLine(ctx.Text)), 1)
				return
			}
			pd, pa := make([]string, len(dels)), make([]string, len(adds))
			for k := range dels {
				pd[k] = s.paint(s.del, dels[k])
			}
			for k := range adds {
				pa[k] = s.paint(s.add, adds[k])
			}
			for k := 0; k < min(len(dels), len(adds)); k++ {
				pd[k], pa[k] = charDiff(dels[k], adds[k], s)
			}
			for _, l := range pd {
				d.addGutter(s.paint(s.del, "-")+l, 1)
			}
			for _, l := range pa {
				d.addGutter(s.paint(s.add, "+")+l, 1)
			}
		})
	}
	d.textEnd(t)
}

// textEnd says what the hunks of a text diff leave unsaid: a line break
// one side lacks, lines a limit left out.
func (d *detail) textEnd(t *diff.TextDiff) {
	for _, l := range []string{noNewline(t), omittedLines(t)} {
		if l != "" {
			d.add(l)
		}
	}
}

// sideBySide shows A on the left and B on the right, changed lines paired,
// under a heading naming the sides.
func (d *detail) sideBySide(t *diff.TextDiff, s styles) {
	d.col = max(10, (d.made.width-3)/2)
	num := func(n int) string { return fmt.Sprintf("%*d ", lineNumberCells-1, n) }
	blank := strings.Repeat(" ", lineNumberCells)
	d.addHeads(half{blank, s.paint(s.title, "A")}, half{blank, s.paint(s.title, "B")}, " │ ")
	for _, h := range t.Hunks {
		d.anchors = append(d.anchors, len(d.lines))
		d.add(s.paint(s.hunk, hunkHeader(h)))
		la, lb := h.StartA, h.StartB
		changeBlocks(h, func(ctx *diff.Line, dels, adds []string) {
			if ctx != nil {
				text := expandTabs(cleanLine(ctx.Text))
				d.addHalves(half{num(la), text}, half{num(lb), text}, " │ ")
				la, lb = la+1, lb+1
				return
			}
			for k := 0; k < max(len(dels), len(adds)); k++ {
				var left, right half
				var mark string
				switch {
				case k < len(dels) && k < len(adds):
					a, b := charDiff(dels[k], adds[k], s)
					left, right, mark = half{num(la), a}, half{num(lb), b}, " ≠ "
				case k < len(dels):
					left, mark = half{num(la), s.paint(s.del, dels[k])}, " < "
				default:
					right, mark = half{num(lb), s.paint(s.add, adds[k])}, " > "
				}
				if k < len(dels) {
					la++
				}
				if k < len(adds) {
					lb++
				}
				d.addHalves(left, right, mark)
			}
		})
	}
	d.textEnd(t)
}

// hexSideCells is the width of one side of a hex row: the bytes and their
// printable characters.
const hexSideCells = 48 + 3 + 16 + 1

// hex shows the differing rows with context, side by side when there is
// room and it is asked for, else A's row above B's. Without colour, a row
// of carets marks the bytes that differ.
func (d *detail) hex(h *diff.HexDiff, s styles) {
	const offCells = 10
	wide := d.made.side == sideOn || d.made.side == sideAuto && d.made.width >= 2*(offCells+hexSideCells)+3
	d.what = "hex"
	if wide {
		d.what = "hex, side by side"
	}
	d.add(hexHeader(h))
	if wide {
		d.col = offCells + hexSideCells
		d.addHeads(half{strings.Repeat(" ", offCells), s.paint(s.title, "A")}, half{"", s.paint(s.title, "B")}, " │ ")
	}
	for i, hk := range h.Hunks {
		if i > 0 {
			d.add(s.paint(s.dim, hexHunkMark))
		}
		d.anchors = append(d.anchors, len(d.lines))
		for _, row := range hk.Rows {
			off := fmt.Sprintf("%08x  ", row.Offset)
			differs := !row.Same
			switch {
			case wide:
				mark := " │ "
				if differs {
					mark = " ≠ "
				}
				d.addHalves(half{off, hexBytes(row.A, row.B, s.del, s)}, half{"", hexBytes(row.B, row.A, s.add, s)}, mark)
				if differs && s.plain {
					d.addHalves(half{strings.Repeat(" ", offCells), hexMarks(row.A, row.B)}, half{"", hexMarks(row.B, row.A)}, "   ")
				}
			case row.Same:
				d.addGutter(" "+off+hexBytes(row.A, row.B, s.del, s), 1+offCells)
			default:
				d.addGutter(s.paint(s.del, "-")+off+hexBytes(row.A, row.B, s.del, s), 1+offCells)
				d.addGutter(s.paint(s.add, "+")+off+hexBytes(row.B, row.A, s.add, s), 1+offCells)
				if s.plain {
					d.addGutter(strings.Repeat(" ", 1+offCells)+hexMarks(row.B, row.A), 1+offCells)
				}
			}
		}
	}
	if l := omittedRows(h); l != "" {
		d.add(l)
	}
}

// hexBytes formats a row's bytes and their printable characters,
// highlighting those that differ from the other side's.
func hexBytes(b, other []byte, st lipgloss.Style, s styles) string {
	differs := func(i int) bool { return i < len(b) && (i >= len(other) || other[i] != b[i]) }
	var out strings.Builder
	for i := 0; i < 16; i++ {
		if i == 8 {
			out.WriteByte(' ')
		}
		cell := "  "
		if i < len(b) {
			cell = fmt.Sprintf("%02x", b[i])
		}
		if differs(i) {
			cell = s.paint(st.Reverse(true), cell)
		}
		out.WriteString(cell)
		if i < 15 {
			out.WriteByte(' ')
		}
	}
	out.WriteString("  |")
	text := printable(b)
	for i := range len(b) {
		c := text[i : i+1]
		if differs(i) {
			c = s.paint(st.Reverse(true), c)
		}
		out.WriteString(c)
	}
	out.WriteString("|")
	return out.String()
}

// hexMarks is the row of carets under hexBytes' cells that differ from
// the other side's, for a terminal without colour.
func hexMarks(b, other []byte) string {
	differs := func(i int) bool { return i < len(b) && (i >= len(other) || other[i] != b[i]) }
	var out strings.Builder
	for i := 0; i < 16; i++ {
		if i == 8 {
			out.WriteByte(' ')
		}
		if differs(i) {
			out.WriteString("^^")
		} else {
			out.WriteString("  ")
		}
		if i < 15 {
			out.WriteByte(' ')
		}
	}
	out.WriteString("   ")
	for i := range len(b) {
		if differs(i) {
			out.WriteByte('^')
		} else {
			out.WriteByte(' ')
		}
	}
	return strings.TrimRight(out.String(), " ")
}

func expandTabs(s string) string { return strings.ReplaceAll(s, "\t", "    ") }
