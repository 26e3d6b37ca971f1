package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"isodiff/diff"
)

// detailMsg is a layout made outside the update loop.
type detailMsg detail

// detailModel is the right pane: the laid-out detail of the tree's
// selection, how it is laid out (text or hex, side by side, wrapped), where
// it is scrolled to, and the search in it.
//
// The viewport keeps the vertical position: the offset, the page and line
// steps, the mouse wheel. It is given a line for each laid-out line but
// not their text: the pane draws the lines it shows itself, for sideways
// scrolling keeps each line's gutter (a diff's mark, a line number, an
// offset) and headings in place and scrolls the two halves of a
// side-by-side line each in its column, where the viewport's sideways
// offset cuts whole lines; and drawing every line at each sideways step
// or search, for the viewport to cut the page out, costs 6-10 µs a line
// (0.1-0.2 s for the 20,000 lines of a text diff, a second for 100,000
// moved entries) where the page drawn here costs a few hundred µs.
type detailModel struct {
	c *common
	// sel is the tree's selection; det is the layout shown, and asked
	// the one last asked for (layouts arrive late and out of order).
	sel   *liveNode
	det   detail
	asked struct {
		node *diff.Node
		made layout
	}
	vp viewport.Model
	// hscroll is how far the lines are scrolled sideways, in cells.
	hscroll int
	mode    viewMode
	side    sideMode
	wrap    bool
	// The search: the prompt, the text searched for, and the lines of
	// the layout that hold it.
	finding  bool
	find     textinput.Model
	search   string
	hitLines []int
	// width and height are the pane's, its title and position line
	// included.
	width, height int
	// note is a line for the status line, which the root model takes.
	note string
}

func newDetailModel(c *common) detailModel {
	fi := textinput.New()
	fi.Prompt = "search: "
	vp := viewport.New(0, 1)
	k := c.keys
	// The viewport's other keys (half pages, sideways) are the view's
	// for other things.
	vp.KeyMap = viewport.KeyMap{Up: k.Up, Down: k.Down, PageUp: k.PageUp, PageDown: k.PageDown}
	d := detailModel{c: c, find: fi, vp: vp}
	d.setLines()
	return d
}

func (d detailModel) update(msg tea.Msg) (detailModel, tea.Cmd) {
	switch msg := msg.(type) {
	case detailMsg:
		d.receive(detail(msg))
	case tea.MouseMsg:
		d.vp, _ = d.vp.Update(msg)
	case tea.KeyMsg:
		if d.finding {
			return d.prompt(msg)
		}
		return d, d.key(msg)
	}
	return d, nil
}

// prompt handles a key while the search is typed.
func (d detailModel) prompt(msg tea.KeyMsg) (detailModel, tea.Cmd) {
	out, cmd := promptKey(&d.find, d.c.keys, msg)
	switch out {
	case promptApplied:
		d.finding = false
		d.search = d.find.Value()
		d.findHits()
		d.jumpHit(0)
	case promptCancelled:
		d.finding = false
	}
	return d, cmd
}

func (d *detailModel) key(msg tea.KeyMsg) tea.Cmd {
	k := d.c.keys
	switch {
	case key.Matches(msg, k.Filter):
		d.finding = true
		d.find.SetValue("")
		return d.find.Focus()
	case key.Matches(msg, k.NextDiff):
		d.jumpHit(1)
	case key.Matches(msg, k.PrevDiff):
		d.jumpHit(-1)
	case key.Matches(msg, k.TextView):
		d.mode = viewText
	case key.Matches(msg, k.HexView):
		d.mode = viewHex
	case key.Matches(msg, k.SideBySide):
		d.side = sideOn
	case key.Matches(msg, k.Unified):
		d.side = sideOff
	case key.Matches(msg, k.Wrap):
		d.wrap = !d.wrap
		d.hscroll = 0
	case key.Matches(msg, k.NextRegion):
		d.jumpRegion(1)
	case key.Matches(msg, k.PrevRegion):
		d.jumpRegion(-1)
	case key.Matches(msg, k.Home):
		d.vp.GotoTop()
	case key.Matches(msg, k.End):
		d.vp.GotoBottom()
	case key.Matches(msg, k.Collapse):
		d.hscroll -= d.hstep()
	case key.Matches(msg, k.Expand):
		d.hscroll += d.hstep()
	default:
		d.vp, _ = d.vp.Update(msg)
	}
	d.clamp()
	return nil
}

// layout is what the selection is laid out for under the settings.
func (d detailModel) layout() layout { return layout{d.mode, d.side, d.width, d.wrap} }

// render lays out the selection, outside the update loop.
func (d detailModel) render() tea.Cmd {
	sel := d.sel
	if sel == nil || !sel.done || d.width == 0 {
		return nil
	}
	n, l, st := sel.d, d.layout(), d.c.styles
	return func() tea.Msg { return detailMsg(renderDetail(n, l, st)) }
}

// ask is render when the selection's layout under the settings is
// neither shown nor on its way.
func (d *detailModel) ask() tea.Cmd {
	if d.sel == nil || !d.sel.done || d.width == 0 {
		return nil
	}
	l := d.layout()
	if d.det.node == d.sel.d && d.det.made == l || d.asked.node == d.sel.d && d.asked.made == l {
		return nil
	}
	d.asked.node, d.asked.made = d.sel.d, l
	return d.render()
}

// receive shows a layout made for the selection under the current
// settings; one made before the last change of the selection, mode,
// side or width is stale (the current one is on its way) and dropped.
func (d *detailModel) receive(det detail) {
	if d.sel == nil || d.sel.d != det.node || det.made != d.layout() {
		return
	}
	relaid := d.det.node == det.node && d.det.made != det.made
	y := d.vp.YOffset
	if d.det.node != det.node {
		y, d.hscroll = 0, 0
	}
	d.det = det
	d.setLines()
	d.vp.YOffset = y
	d.findHits()
	if relaid {
		// The same entry in another mode or width: its lines are
		// others; keep a full page of them in view.
		d.vp.YOffset = min(y, d.maxScroll())
	}
	d.clamp()
}

// setLines gives the viewport as many lines as the layout has (see
// detailModel for why not their text).
func (d *detailModel) setLines() {
	y := d.vp.YOffset
	d.vp.SetContent(strings.Repeat("\n", max(0, len(d.det.lines)-1)))
	d.vp.YOffset = y
}

// setSize sets the pane's size: the viewport takes what the title and
// the position line leave.
func (d *detailModel) setSize(w, h int) {
	d.width, d.height = w, h
	d.vp.Width, d.vp.Height = w, d.body()
}

// titled says whether the pane has a title row.
func (d detailModel) titled() bool { return d.height >= 4 }

// body is the rows of detail lines: the pane less its title and its
// position line, which a pane of one row goes without.
func (d detailModel) body() int {
	h := d.height
	if d.titled() {
		h--
	}
	if h > 1 {
		return h - 1
	}
	return 1
}

// maxScroll is the last offset scrolling reaches: the one that shows the
// last line at the bottom of the pane. A jump to a region or a match may
// go further, to show it from the top of the pane.
func (d detailModel) maxScroll() int { return max(0, len(d.det.lines)-d.body()) }

// scrollTop is the offset bounded by the laid-out lines, which change
// with the selection, the view mode, the side-by-side setting and the
// window.
func (d detailModel) scrollTop() int { return max(0, min(d.vp.YOffset, len(d.det.lines)-1)) }

// clamp keeps both offsets within what there is to show.
func (d *detailModel) clamp() {
	d.vp.YOffset = d.scrollTop()
	show := d.width
	if d.det.col > 0 {
		show = d.det.col - lineNumberCells
	}
	d.hscroll = max(0, min(d.hscroll, d.det.wide-show+1))
}

// hstep is how far one key scrolls sideways: half of what the pane
// shows, as less does.
func (d detailModel) hstep() int { return max(4, d.width/2) }

func (d *detailModel) jumpRegion(dir int) {
	y := d.vp.YOffset
	for i := range d.det.anchors {
		a := d.det.anchors[i]
		if dir < 0 {
			a = d.det.anchors[len(d.det.anchors)-1-i]
		}
		if (dir > 0 && a > y) || (dir < 0 && a < y) {
			// Set, not scrolled to: the region starts at the top of
			// the pane even in the last page.
			d.vp.YOffset = a
			return
		}
	}
}

// findHits finds the lines that hold the text searched for, in any case.
func (d *detailModel) findHits() {
	d.hitLines = d.hitLines[:0]
	if d.search == "" {
		return
	}
	want := strings.ToLower(d.search)
	for i, l := range d.det.lines {
		text := l.text
		if l.halves {
			text = l.a.body + " " + l.b.body
		}
		if strings.Contains(strings.ToLower(ansi.Strip(text)), want) {
			d.hitLines = append(d.hitLines, i)
		}
	}
}

// jumpHit scrolls to the next (1) or previous (-1) line holding the text
// searched for, around the end, or (0) to the first from the top of the
// pane on.
func (d *detailModel) jumpHit(dir int) {
	if len(d.hitLines) == 0 {
		if d.search != "" {
			d.note = "not found: " + show(d.search)
		}
		return
	}
	y := d.vp.YOffset
	at := -1
	switch dir {
	case 0:
		for i, l := range d.hitLines {
			if l >= y {
				at = i
				break
			}
		}
		if at < 0 {
			at = 0
		}
	case 1:
		at = 0
		for i, l := range d.hitLines {
			if l > y {
				at = i
				break
			}
		}
		if d.hitLines[at] <= y {
			d.note = "search wrapped to the top"
		}
	default:
		at = len(d.hitLines) - 1
		for i := len(d.hitLines) - 1; i >= 0; i-- {
			if d.hitLines[i] < y {
				at = i
				break
			}
		}
		if d.hitLines[at] >= y {
			d.note = "search wrapped to the bottom"
		}
	}
	d.vp.YOffset = d.hitLines[at]
	if d.note == "" {
		d.note = fmt.Sprintf("match %d of %d", at+1, len(d.hitLines))
	}
}

// highlight marks the text searched for in a line as shown (its colours
// give way on that line).
func (d detailModel) highlight(line string) string {
	s := d.c.styles
	if d.search == "" || s.plain {
		return line
	}
	plain := ansi.Strip(line)
	lower, want := strings.ToLower(plain), strings.ToLower(d.search)
	i := strings.Index(lower, want)
	n := len(want)
	if i < 0 || len(lower) != len(plain) || i+n > len(plain) {
		// Not on the part shown, or a case change moved the bytes.
		return line
	}
	return plain[:i] + s.hit.Render(plain[i:i+n]) + plain[i+n:]
}

// title says what the pane shows, and how.
func (d detailModel) title() string {
	parts := []string{"details"}
	if d.sel != nil && d.det.node == d.sel.d {
		parts = append(parts, d.det.what)
	}
	if d.wrap {
		parts = append(parts, "wrapped")
	}
	if d.search != "" {
		parts = append(parts, fmt.Sprintf("%q: %d lines", d.search, len(d.hitLines)))
	}
	return strings.Join(parts, " · ")
}

// view draws the pane, every line as wide as the pane.
func (d detailModel) view(focused bool) string {
	w, h := d.width, d.height
	s := d.c.styles
	lines := make([]string, 0, h)
	if d.titled() {
		lines = append(lines, paneTitle(s, d.title(), focused, w))
	}
	switch {
	case d.sel == nil:
		lines = append(lines, s.paint(s.dim, "select an entry"))
	case !d.sel.done:
		lines = append(lines, show(d.sel.d.Path()), s.paint(s.pending, "still being compared…"))
	case d.det.node != d.sel.d:
		lines = append(lines, show(d.sel.d.Path()), s.paint(s.pending, "rendering…"))
	default:
		// Update keeps the offset within the lines; bound it here too,
		// so that no sequence of messages can make a frame index past
		// them.
		top := d.scrollTop()
		end := min(len(d.det.lines), top+d.body())
		for i := top; i < end; i++ {
			lines = append(lines, d.highlight(d.det.render(i, d.hscroll, w)))
		}
		if h > 1 {
			for len(lines) < h-1 {
				lines = append(lines, "")
			}
			pos := fmt.Sprintf("── %d-%d of %d ", min(top+1, end), end, len(d.det.lines))
			if d.hscroll > 0 {
				pos += fmt.Sprintf("· → %d ", d.hscroll)
			}
			lines = append(lines, s.paint(s.dim, pos+strings.Repeat("─", max(0, w-ansi.StringWidth(pos)))))
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines[:h] {
		lines[i] = padCells(ansi.Truncate(l, w, "…"), w)
	}
	return strings.Join(lines[:h], "\n")
}

// paneTitle is a pane's title row, w cells wide: the focused pane's is
// drawn heavy, so that where keys go shows without colour too.
func paneTitle(s styles, text string, focused bool, w int) string {
	rule := "─"
	if focused {
		rule = "━"
	}
	t := ansi.Truncate(rule+" "+show(text)+" ", w, "…")
	t += strings.Repeat(rule, max(0, w-ansi.StringWidth(t)))
	if focused {
		return s.paint(s.focus, t)
	}
	return s.paint(s.dim, t)
}
