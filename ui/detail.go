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

// detail is the rendered right pane of one node: lines, and the line
// numbers where each differing region starts, for jumping. It records
// what it was laid out for: layouts run concurrently and may arrive out
// of order, and only one made for the current settings may be shown.
type detail struct {
	node    *diff.Node
	made    layout
	lines   []string
	anchors []int
}

// layout is what a detail is laid out for.
type layout struct {
	mode       viewMode
	sideBySide bool
	width      int
}

// styles are the UI's colours, made by one renderer so that NO_COLOR and
// dumb terminals get plain text.
type styles struct {
	plain                                 bool
	title, dim, del, add, hunk, sel, warn lipgloss.Style
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
		focus:      st().Bold(true).Underline(true),
		changed:    st().Bold(true).Foreground(c("3", "11")),
	}
}

func (s styles) paint(st lipgloss.Style, text string) string {
	if s.plain || text == "" {
		return text
	}
	return st.Render(text)
}

// renderDetail lays out everything the right pane shows for n at the
// given width. It runs outside the update loop: a large diff is laid out
// once, and View only slices the lines.
func renderDetail(n *diff.Node, mode viewMode, sideBySide bool, width int, s styles) detail {
	d := detail{node: n, made: layout{mode, sideBySide, width}}
	add := func(line string) { d.lines = append(d.lines, line) }
	wrap := func(text string) {
		for _, l := range strings.Split(ansi.Hardwrap(text, max(10, width), true), "\n") {
			add(l)
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
	d.fields(n, true, "field", width, s)
	if n.Order != nil {
		add("")
		add(s.paint(s.title, orderHeader(n.Order)))
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
			col := max(8, (width-6)/2)
			add(mark + padCells(ansi.Truncate(clean(a), col, "…"), col) + "  " + ansi.Truncate(clean(b), col, "…"))
		}
	}
	if c := n.Content; c != nil {
		add("")
		for _, l := range contentHead(c) {
			add(l)
		}
		switch {
		case c.Text != nil && mode == viewText && sideBySide:
			d.sideBySide(c.Text, width, s)
		case c.Text != nil && mode == viewText:
			d.unified(c.Text, s)
		case c.Hex != nil:
			d.hex(c.Hex, width, sideBySide, s)
		default:
			add(s.paint(s.dim, "text content: press t for the text diff"))
		}
	}
	same := "same"
	if n.State == diff.Added || n.State == diff.Removed {
		same = "field"
	}
	d.fields(n, false, same, width, s)
	if n.State == diff.Added || n.State == diff.Removed {
		if len(n.Children) > 0 {
			add("")
			add(fmt.Sprintf("%d entries inside", countBelow(n)))
		}
	}
	return d
}

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
	d.lines = append(d.lines, "", s.paint(s.dim, "  "+t.join(name, a, b)))
	for _, f := range rows {
		mark := "  "
		name, a, b := t.cells(f)
		if f.Different {
			mark = "≠ "
			name, a, b = s.paint(s.changed, name), s.paint(s.del, a), s.paint(s.add, b)
		}
		d.lines = append(d.lines, mark+t.join(name, a, b))
	}
}

func (d *detail) unified(t *diff.TextDiff, s styles) {
	for _, h := range t.Hunks {
		d.anchors = append(d.anchors, len(d.lines))
		d.lines = append(d.lines, s.paint(s.hunk, hunkHeader(h)))
		for _, l := range h.Lines {
			text := string(l.Op) + expandTabs(cleanLine(l.Text))
			switch l.Op {
			case '-':
				text = s.paint(s.del, text)
			case '+':
				text = s.paint(s.add, text)
			}
			d.lines = append(d.lines, text)
		}
	}
	d.textEnd(t)
}

// textEnd says what the hunks of a text diff leave unsaid: a line break
// one side lacks, lines a limit left out.
func (d *detail) textEnd(t *diff.TextDiff) {
	for _, l := range []string{noNewline(t), omittedLines(t)} {
		if l != "" {
			d.lines = append(d.lines, l)
		}
	}
}

// sideBySide shows A on the left and B on the right, changed lines paired.
func (d *detail) sideBySide(t *diff.TextDiff, width int, s styles) {
	col := max(10, (width-3)/2)
	numW := 5
	cell := func(num int, text string, st lipgloss.Style, on bool) string {
		if !on {
			return strings.Repeat(" ", col)
		}
		body := padCells(ansi.Truncate(fmt.Sprintf("%*d ", numW-1, num)+expandTabs(cleanLine(text)), col, "…"), col)
		if st.GetForeground() != nil && !s.plain {
			return st.Render(body)
		}
		return body
	}
	for _, h := range t.Hunks {
		d.anchors = append(d.anchors, len(d.lines))
		d.lines = append(d.lines, s.paint(s.hunk, hunkHeader(h)))
		la, lb := h.StartA, h.StartB
		for i := 0; i < len(h.Lines); {
			if h.Lines[i].Op == ' ' {
				l := h.Lines[i]
				d.lines = append(d.lines, cell(la, l.Text, lipgloss.Style{}, true)+" │ "+cell(lb, l.Text, lipgloss.Style{}, true))
				la, lb, i = la+1, lb+1, i+1
				continue
			}
			var dels, adds []string
			for ; i < len(h.Lines) && h.Lines[i].Op == '-'; i++ {
				dels = append(dels, h.Lines[i].Text)
			}
			for ; i < len(h.Lines) && h.Lines[i].Op == '+'; i++ {
				adds = append(adds, h.Lines[i].Text)
			}
			for k := 0; k < max(len(dels), len(adds)); k++ {
				left, right := cell(0, "", s.del, false), cell(0, "", s.add, false)
				mark := " │ "
				if k < len(dels) {
					left = cell(la, dels[k], s.del, true)
					la++
				}
				if k < len(adds) {
					right = cell(lb, adds[k], s.add, true)
					lb++
				}
				switch {
				case k < len(dels) && k < len(adds):
					mark = " ≠ "
				case k < len(dels):
					mark = " < "
				default:
					mark = " > "
				}
				d.lines = append(d.lines, left+mark+right)
			}
		}
	}
	d.textEnd(t)
}

// hex shows the differing rows with context, side by side when there is
// room and it is asked for, else A's row above B's.
func (d *detail) hex(h *diff.HexDiff, width int, sideBySide bool, s styles) {
	d.lines = append(d.lines, hexHeader(h))
	wide := sideBySide && width >= 8+2+48+3+48
	for i, hk := range h.Hunks {
		if i > 0 {
			d.lines = append(d.lines, s.paint(s.dim, "⋯"))
		}
		d.anchors = append(d.anchors, len(d.lines))
		for _, row := range hk.Rows {
			off := fmt.Sprintf("%08x  ", row.Offset)
			switch {
			case wide:
				d.lines = append(d.lines, off+hexBytes(row.A, row.B, s.del, s)+" │ "+hexBytes(row.B, row.A, s.add, s))
			case row.Same:
				d.lines = append(d.lines, " "+off+hexBytes(row.A, row.B, s.del, s))
			default:
				d.lines = append(d.lines, s.paint(s.del, "-")+off+hexBytes(row.A, row.B, s.del, s))
				d.lines = append(d.lines, s.paint(s.add, "+")+off+hexBytes(row.B, row.A, s.add, s))
			}
		}
	}
	if l := omittedRows(h); l != "" {
		d.lines = append(d.lines, l)
	}
}

// hexBytes formats a row's bytes, highlighting those that differ from the
// other side's.
func hexBytes(b, other []byte, st lipgloss.Style, s styles) string {
	var out strings.Builder
	for i := 0; i < 16; i++ {
		if i == 8 {
			out.WriteByte(' ')
		}
		cell := "  "
		if i < len(b) {
			cell = fmt.Sprintf("%02x", b[i])
		}
		if i < len(b) && (i >= len(other) || other[i] != b[i]) {
			cell = s.paint(st.Reverse(true), cell)
		}
		out.WriteString(cell)
		if i < 15 {
			out.WriteByte(' ')
		}
	}
	return out.String()
}

func expandTabs(s string) string { return strings.ReplaceAll(s, "\t", "    ") }
