package ui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"isodiff/diff"
)

type pane int

const (
	treePane pane = iota
	detailPane
)

// Messages from the work done outside the update loop.
type (
	tickMsg   time.Time
	filterMsg int
	pagerMsg  string // a report file ready for the pager
	resultMsg Result
	detailMsg detail
	wroteMsg  struct {
		path  string
		err   error
		pager bool // the pager failed, not a report
	}
)

// row is one visible line of the tree.
type row struct{ n *liveNode }

// Model is the interactive UI.
type Model struct {
	s Session
	// renderer draws the styles; its background is set, never asked
	// (see assumeBackground).
	renderer *lipgloss.Renderer
	keys     KeyMap
	help     help.Model
	styles   styles
	spinner  spinner.Model
	filter   textinput.Model

	width, height int
	start         time.Time
	elapsed       time.Duration

	tree     *liveTree
	rows     []row
	expanded map[*liveNode]bool
	cursor   int
	top      int // first tree row shown

	showSame bool
	// hideExplained shows only what no known cause explains (and what
	// leads to it); stateFilter only differences of one kind (Same: any),
	// causeFilter only those a cause explains, in part at least. Below
	// marks the nodes they leave.
	hideExplained bool
	stateFilter   diff.State
	causeFilter   string
	narrowBelow   map[*liveNode]bool
	// unexplained counts, once the comparison is done, the differences
	// no known cause explains.
	unexplained int
	filtering   bool
	writing     bool // the prompt for the report's file is open
	save        textinput.Model
	filterText  string
	matched     map[*liveNode]bool // with a filter: nodes matching, or with a match below
	hits        map[*liveNode]bool // with a filter: nodes matching
	filterSeq   int                // the last edit of the filter, for applying it once typing pauses
	filterKeep  *liveNode          // the selection before a filter that matched nothing
	focus       pane
	mode        viewMode
	side        sideMode
	wrap        bool
	showHelp    bool
	helpTop     int
	zoom        int
	// Search in the right pane: the prompt, the text searched for, and
	// the lines of the laid-out detail that hold it.
	finding  bool
	find     textinput.Model
	search   string
	hitLines []int
	touched  bool // a key was pressed: the selection is the user's

	det    detail
	scroll int
	// hscroll is how far the right pane's lines are scrolled sideways,
	// in cells.
	hscroll int

	done    bool
	root    *diff.Node
	err     error
	message string
	// sawDifferences: differences were found before the end.
	sawDifferences bool
}

// NewModel makes the UI for a session. The renderer decides colour (nil:
// the terminal's, which honours NO_COLOR).
func NewModel(s Session, r *lipgloss.Renderer) Model {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	assumeBackground(r, os.Getenv("COLORFGBG"))
	if s.Now == nil {
		s.Now = time.Now
	}
	st := newStyles(r)
	h := help.New()
	h.Styles.ShortKey = r.NewStyle().Bold(true)
	h.Styles.ShortDesc = r.NewStyle().Faint(true)
	h.Styles.ShortSeparator = r.NewStyle().Faint(true)
	h.Styles.FullKey = r.NewStyle().Bold(true)
	h.Styles.FullDesc = r.NewStyle()
	h.Styles.FullSeparator = r.NewStyle().Faint(true)
	h.Styles.Ellipsis = r.NewStyle().Faint(true)
	sp := spinner.New(spinner.WithSpinner(spinner.MiniDot))
	sp.Style = r.NewStyle()
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "path substring or glob"
	fi := textinput.New()
	fi.Prompt = "search: "
	return Model{
		s: s, renderer: r, keys: DefaultKeyMap(), help: h, styles: st, spinner: sp, filter: ti, save: textinput.New(), find: fi,
		tree: newLiveTree(), expanded: map[*liveNode]bool{}, start: s.Now(),
	}
}

// Outcome is what the view saw of the comparison, for the command to
// decide how it exits.
type Outcome struct {
	// Root is the finished tree; nil when the view quit before the
	// comparison ended, or the comparison failed.
	Root *diff.Node
	// DifferencesSeen says differences had been found when the view
	// quit before the end.
	DifferencesSeen bool
}

// Outcome is what the view saw of the comparison.
func (m Model) Outcome() Outcome {
	if m.err != nil {
		return Outcome{}
	}
	return Outcome{Root: m.root, DifferencesSeen: m.sawDifferences}
}

// Err is the error that stopped the comparison, if any.
func (m Model) Err() error { return m.err }

func tick() tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m Model) waitResult() tea.Cmd {
	return func() tea.Msg { return resultMsg(<-m.s.Result) }
}

// Init starts the clock, the spinner and the wait for the result.
func (m Model) Init() tea.Cmd {
	return tea.Batch(tick(), m.spinner.Tick, m.waitResult(), tea.RequestBackgroundColor)
}

// Update handles one message. Whatever it changed (the window, the rows,
// the laid-out detail), the tree and detail offsets are brought back
// within what there is to show before View runs.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	if nm, ok := next.(Model); ok {
		nm.clampTop()
		nm.clampScroll()
		nm.clampHScroll()
		next = nm
	}
	return next, cmd
}

func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(0, msg.Width), max(0, msg.Height)
		m.help.Width = m.width
		return m, m.renderSelected()
	case tea.BackgroundColorMsg:
		dark, ok := darkReply(msg.Color)
		if !ok || dark == m.renderer.HasDarkBackground() {
			return m, nil
		}
		m.renderer.SetHasDarkBackground(dark)
		return m, m.renderSelected()
	case tickMsg:
		if m.done {
			return m, nil
		}
		m.elapsed = m.s.Now().Sub(m.start)
		if m.ingest() {
			// Lay out the right pane only when the selection has nothing
			// laid out yet (a finished pair is final: no need to redo it).
			if sel := m.selected(); sel != nil && sel.done && m.det.node != sel.d {
				return m, tea.Batch(tick(), m.renderSelected())
			}
		}
		return m, tick()
	case spinner.TickMsg:
		if m.done {
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case resultMsg:
		m.done = true
		m.elapsed = m.s.Now().Sub(m.start)
		if msg.Err != nil {
			m.err = msg.Err
			return m.quit()
		}
		m.ingest()
		m.root = msg.Root
		if m.root != nil {
			// The comparison is over: only this goroutine reads the tree
			// now, and it is finished, as FoldMirrors needs.
			m.narrowBelow = nil // the tree is final: marked again once
			if diff.FoldMirrors(m.root) > 0 {
				m.tree.revisit()
				m.rebuild(m.selected())
			}
			m.unexplained = len(diff.Summarize(m.root).Unexplained)
		}
		if m.root.Differs() {
			if !m.touched {
				// Nobody has moved yet: show the first difference.
				m.firstScreen()
			}
		}
		return m, m.renderSelected()
	case detailMsg:
		// A layout made before the last change of mode, side or width is
		// stale: the one for the current settings is on its way.
		if sel := m.selected(); sel != nil && sel.d == msg.node && msg.made == m.layout() {
			relaid := m.det.node == msg.node && m.det.made != msg.made
			if m.det.node != msg.node {
				m.scroll, m.hscroll = 0, 0
			}
			m.det = detail(msg)
			m.findHits()
			if relaid {
				// The same entry in another mode or width: its lines are
				// others; keep a full page of them in view.
				m.scroll = min(m.scroll, m.maxScroll())
			}
		}
		return m, nil
	case pagerMsg:
		return m, page(string(msg))
	case wroteMsg:
		if msg.pager {
			m.message = "pager: " + msg.err.Error()
			return m, nil
		}
		if msg.err != nil {
			m.message = "could not write report: " + msg.err.Error()
		} else {
			m.message = "wrote report to " + msg.path
		}
		return m, nil
	case filterMsg:
		if int(msg) == m.filterSeq {
			return m, m.applyFilter()
		}
		return m, nil
	case tea.MouseMsg:
		return m.mouse(msg)
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !m.filtering && !m.writing && !m.finding {
			// Keys typed faster than read (a burst over ssh, "jjj")
			// arrive as one message: each is a key of its own.
			var cmds []tea.Cmd
			var next tea.Model = m
			for _, r := range msg.Runes {
				var cmd tea.Cmd
				next, cmd = next.(Model).Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
				cmds = append(cmds, cmd)
			}
			return next, tea.Batch(cmds...)
		}
		return m.key(msg)
	}
	return m, nil
}

// ingest moves finished pairs from the feed into the tree.
func (m *Model) ingest() bool {
	nodes := m.s.Feed.take()
	if len(nodes) == 0 {
		return false
	}
	var keep *liveNode
	if sel := m.selected(); sel != nil {
		keep = sel
	}
	first := m.tree.root == nil
	m.tree.add(nodes)
	if first && m.tree.root != nil {
		m.expanded[m.tree.root] = true
	}
	m.rebuild(keep)
	if !m.done && m.s.Progress != nil && m.s.Progress.Differences.Load() > 0 {
		m.sawDifferences = true
	}
	return true
}

// rebuild lays out the visible rows, keeping the selection on keep.
func (m *Model) rebuild(keep *liveNode) {
	m.rows = m.rows[:0]
	if m.tree.root == nil {
		return
	}
	m.matched = nil
	if m.filterText != "" {
		// One pass marks every node that matches or has a match below.
		m.matched = map[*liveNode]bool{}
		m.hits = map[*liveNode]bool{}
		f := newMatcher(m.filterText)
		var mark func(l *liveNode) bool
		mark = func(l *liveNode) bool {
			hit := f.match(l.path())
			if hit {
				m.hits[l] = true
			}
			for _, c := range l.children {
				if (m.showSame || c.visible) && mark(c) {
					hit = true
				}
			}
			if hit {
				m.matched[l] = true
			}
			return hit
		}
		mark(m.tree.root)
	}
	if !m.done {
		// The tree still grows: what leads to a pair left too.
		m.narrowBelow = nil
	}
	if m.narrowed() && m.narrowBelow == nil {
		// Marked once the tree is final, not at every key.
		m.narrowBelow = map[*liveNode]bool{}
		var mark func(l *liveNode) bool
		mark = func(l *liveNode) bool {
			hit := m.kept(l)
			for _, c := range l.children {
				if mark(c) {
					hit = true
				}
			}
			if hit {
				m.narrowBelow[l] = true
			}
			return hit
		}
		mark(m.tree.root)
	}
	// The root is a row of its own: the image's own differences (its
	// layout, a squashfs input's superblock) are reached as any other.
	var walk func(l *liveNode)
	walk = func(l *liveNode) {
		if !m.shown(l) {
			return
		}
		m.rows = append(m.rows, row{l})
		if m.expanded[l] || m.filterText != "" {
			for _, c := range l.children {
				walk(c)
			}
		}
	}
	walk(m.tree.root)
	m.cursor = min(m.cursor, max(0, len(m.rows)-1))
	if keep != nil {
		found := false
		for i, r := range m.rows {
			if r.n == keep {
				m.cursor, found = i, true
				break
			}
		}
		if !found && m.filterText != "" {
			// The selection no longer shows: the first entry that
			// matches itself rather than leads to one.
			for i, r := range m.rows {
				if m.hits[r.n] {
					m.cursor = i
					break
				}
			}
		}
	}
	m.clampTop()
}

// shown says whether a node has a row under the current settings.
func (m *Model) shown(l *liveNode) bool {
	if !m.showSame && !l.visible {
		return false
	}
	if m.narrowed() && !m.narrowBelow[l] {
		return false
	}
	if m.filterText == "" {
		return true
	}
	return m.matchesBelow(l)
}

func (m *Model) matchesBelow(l *liveNode) bool { return m.matched[l] }

// narrowed says whether rows are left out by what they differ in.
func (m *Model) narrowed() bool {
	return m.hideExplained || m.stateFilter != diff.Same || m.causeFilter != ""
}

// kept reports whether a finished pair's own differences pass the
// filters by kind and cause.
func (m *Model) kept(l *liveNode) bool {
	n := l.d
	if !l.done || !n.OwnDifferences() {
		return false
	}
	if m.hideExplained && !n.Unexplained() {
		return false
	}
	if m.stateFilter != diff.Same && n.State != m.stateFilter {
		return false
	}
	if m.causeFilter != "" && !slices.ContainsFunc(n.Causes, func(c diff.Cause) bool { return c.Label == m.causeFilter }) {
		return false
	}
	return true
}

// stateFilters are the kinds of difference T steps through.
var stateFilters = []diff.State{diff.Same, diff.Modified, diff.Added, diff.Removed, diff.TypeChanged}

// nextStateFilter is the kind of difference after the one shown.
func (m *Model) nextStateFilter() {
	i := slices.Index(stateFilters, m.stateFilter)
	m.stateFilter = stateFilters[(i+1)%len(stateFilters)]
	m.narrowBelow = nil
}

// nextCauseFilter is the known cause after the one shown, in the order
// of the summary (most differences first), then none.
func (m *Model) nextCauseFilter() {
	if m.root == nil {
		m.message = "the causes are known once the comparison is done"
		return
	}
	labels := []string{""}
	for _, c := range diff.Summarize(m.root).ByCause {
		labels = append(labels, c.Label)
	}
	i := slices.Index(labels, m.causeFilter)
	m.causeFilter = labels[(i+1)%len(labels)]
	m.narrowBelow = nil
	if len(labels) == 1 {
		m.message = "no difference has a known cause"
	}
}

func (m *Model) selected() *liveNode {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return nil
	}
	return m.rows[m.cursor].n
}

// renderSelected lays out the right pane for the selection, elsewhere.
func (m Model) renderSelected() tea.Cmd {
	sel := m.selected()
	if sel == nil || !sel.done || m.width == 0 {
		return nil
	}
	n, l, st := sel.d, m.layout(), m.styles
	return func() tea.Msg { return detailMsg(renderDetail(n, l, st)) }
}

func (m Model) layout() layout { return layout{m.mode, m.side, m.detailWidth(), m.wrap} }

// minSplitWidth is the narrowest window that shows both panes side by
// side (the narrowest tree, the separator and the narrowest detail);
// a narrower one shows the focused pane alone, across the window.
const minSplitWidth = 24 + 3 + 10

func (m Model) split() bool { return m.width >= minSplitWidth && m.zoom < zoomFull }

// Zoom levels (+ and _, as lazygit's): the focused pane takes two fifths
// of the window, then three quarters, then all of it.
const (
	zoomNormal = iota
	zoomHalf
	zoomFull
)

func (m Model) treeWidth() int {
	if !m.split() {
		return max(1, m.width)
	}
	if m.zoom == zoomHalf {
		if m.focus == treePane {
			return min(m.width-3-10, m.width*3/4)
		}
		return max(24, m.width/4)
	}
	return max(24, m.width*2/5)
}

func (m Model) detailWidth() int {
	if !m.split() {
		return max(1, m.width)
	}
	return max(10, m.width-m.treeWidth()-3)
}

// paneHeight is the rows of either pane: the window less the header,
// the status bar and the footer, and at least one.
func (m Model) paneHeight() int { return max(1, m.height-3) }

// titled says whether the panes have a title row: the focused pane's is
// drawn heavy, so that where keys go shows without colour too.
func (m Model) titled() bool { return m.paneHeight() >= 4 }

// treeBody is the rows of tree rows: the pane less its title.
func (m Model) treeBody() int {
	if m.titled() {
		return m.paneHeight() - 1
	}
	return m.paneHeight()
}

// detailBody is the rows of detail lines: the pane less its title and
// its position line, which a pane of one row goes without.
func (m Model) detailBody() int {
	h := m.paneHeight()
	if m.titled() {
		h--
	}
	if h > 1 {
		return h - 1
	}
	return 1
}

// paneTitle is a pane's title row, w cells wide.
func (m Model) paneTitle(text string, focused bool, w int) string {
	rule := "─"
	if focused {
		rule = "━"
	}
	t := ansi.Truncate(rule+" "+show(text)+" ", w, "…")
	t += strings.Repeat(rule, max(0, w-ansi.StringWidth(t)))
	if focused {
		return m.styles.paint(m.styles.focus, t)
	}
	return m.styles.paint(m.styles.dim, t)
}

// detailTitle says what the right pane shows, and how.
func (m Model) detailTitle() string {
	parts := []string{"details"}
	if sel := m.selected(); sel != nil && m.det.node == sel.d {
		parts = append(parts, m.det.what)
	}
	if m.wrap {
		parts = append(parts, "wrapped")
	}
	if m.search != "" {
		parts = append(parts, fmt.Sprintf("%q: %d lines", m.search, len(m.hitLines)))
	}
	return strings.Join(parts, " · ")
}

// maxScroll is the last offset scrolling reaches: the one that shows the
// last line at the bottom of the pane. A jump to a region may go further,
// to show the region from the top of the pane.
func (m Model) maxScroll() int { return max(0, len(m.det.lines)-m.detailBody()) }

// scrollTop is the detail offset bounded by the laid-out lines, which
// change with the selection, the view mode, the side-by-side setting and
// the window.
func (m Model) scrollTop() int { return max(0, min(m.scroll, len(m.det.lines)-1)) }

func (m *Model) clampScroll() { m.scroll = m.scrollTop() }

// clampTop keeps the cursor on a row and the tree offset where the
// cursor shows and no page is left half empty needlessly.
func (m *Model) clampTop() {
	h := m.treeBody()
	m.cursor = max(0, min(m.cursor, len(m.rows)-1))
	if m.cursor < m.top {
		m.top = m.cursor
	}
	if m.cursor >= m.top+h {
		m.top = m.cursor - h + 1
	}
	m.top = max(0, min(m.top, max(0, len(m.rows)-h)))
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if key.Matches(msg, m.keys.ForceQuit) {
		return m.quit()
	}
	if m.finding {
		switch {
		case key.Matches(msg, m.keys.FilterApply):
			m.finding = false
			m.find.Blur()
			m.search = m.find.Value()
			m.findHits()
			m.jumpHit(0)
			return m, nil
		case key.Matches(msg, m.keys.FilterCancel):
			m.finding = false
			m.find.Blur()
			return m, nil
		}
		var cmd tea.Cmd
		m.find, cmd = m.find.Update(msg)
		escapeInput(&m.find)
		return m, cmd
	}
	if m.writing {
		switch {
		case key.Matches(msg, m.keys.FilterApply):
			m.writing = false
			m.save.Blur()
			return m, m.writeReport(m.save.Value())
		case key.Matches(msg, m.keys.FilterCancel):
			m.writing = false
			m.save.Blur()
			return m, nil
		}
		var cmd tea.Cmd
		m.save, cmd = m.save.Update(msg)
		escapeInput(&m.save)
		return m, cmd
	}
	if m.filtering {
		switch {
		case key.Matches(msg, m.keys.FilterApply):
			m.filtering = false
			m.filter.Blur()
			return m, m.applyFilter()
		case key.Matches(msg, m.keys.FilterCancel):
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
			return m, m.applyFilter()
		}
		var cmd tea.Cmd
		m.filter, cmd = m.filter.Update(msg)
		escapeInput(&m.filter)
		if len(m.tree.nodes) <= filterAtOnce {
			return m, tea.Batch(cmd, m.applyFilter())
		}
		// A large tree is filtered once typing pauses, not at every
		// character.
		m.filterSeq++
		seq := m.filterSeq
		return m, tea.Batch(cmd, tea.Tick(filterPause, func(time.Time) tea.Msg { return filterMsg(seq) }))
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, m.keys.Down):
			m.helpTop = min(m.helpTop+1, max(0, len(m.helpLines())-(m.height-1)))
		case key.Matches(msg, m.keys.Up):
			m.helpTop = max(0, m.helpTop-1)
		default:
			m.showHelp = false
		}
		return m, nil
	}
	m.message = ""
	m.touched = true
	k := m.keys
	prev := m.selected()
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp, m.helpTop = true, 0
		return m, nil
	case key.Matches(msg, k.SwitchPane):
		m.focus = 1 - m.focus
	case key.Matches(msg, k.Filter) && m.focus == detailPane:
		m.finding = true
		m.find.SetValue("")
		return m, m.find.Focus()
	case key.Matches(msg, k.NextDiff) && m.focus == detailPane && m.search != "":
		m.jumpHit(1)
	case key.Matches(msg, k.PrevDiff) && m.focus == detailPane && m.search != "":
		m.jumpHit(-1)
	case key.Matches(msg, k.ZoomIn):
		m.zoom = min(zoomFull, m.zoom+1)
		return m, m.renderSelected()
	case key.Matches(msg, k.ZoomOut):
		m.zoom = max(zoomNormal, m.zoom-1)
		return m, m.renderSelected()
	case key.Matches(msg, k.Pager):
		return m, m.pager()
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.filter.SetValue(m.filterText)
		return m, m.filter.Focus()
	case key.Matches(msg, k.ClearFilter) && m.focus == detailPane:
		m.focus = treePane
	case key.Matches(msg, k.ClearFilter):
		m.filter.SetValue("")
		m.applyFilter()
	case key.Matches(msg, k.ShowSame):
		m.showSame = !m.showSame
		m.rebuild(prev)
	case key.Matches(msg, k.HideExplained):
		m.hideExplained = !m.hideExplained
		m.narrowBelow = nil
		m.rebuild(prev)
	case key.Matches(msg, k.StateFilter):
		m.nextStateFilter()
		m.rebuild(prev)
	case key.Matches(msg, k.CauseFilter):
		m.nextCauseFilter()
		m.rebuild(prev)
	case key.Matches(msg, k.TextView):
		m.mode = viewText
		return m, m.renderSelected()
	case key.Matches(msg, k.HexView):
		m.mode = viewHex
		return m, m.renderSelected()
	case key.Matches(msg, k.SideBySide):
		m.side = sideOn
		return m, m.renderSelected()
	case key.Matches(msg, k.Unified):
		m.side = sideOff
		return m, m.renderSelected()
	case key.Matches(msg, k.Wrap):
		m.wrap = !m.wrap
		m.hscroll = 0
		return m, m.renderSelected()
	case key.Matches(msg, k.NextDiff):
		m.jumpDiff(1)
	case key.Matches(msg, k.PrevDiff):
		m.jumpDiff(-1)
	case key.Matches(msg, k.NextRegion):
		m.jumpRegion(1)
	case key.Matches(msg, k.PrevRegion):
		m.jumpRegion(-1)
	case key.Matches(msg, k.Copy):
		return m, m.copyPath()
	case key.Matches(msg, k.Write):
		return m, m.askReport()
	case m.focus == detailPane:
		m.scrollDetail(msg)
		return m, nil
	case key.Matches(msg, k.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(msg, k.Down):
		m.cursor = min(len(m.rows)-1, m.cursor+1)
	case key.Matches(msg, k.PageUp):
		m.cursor = max(0, m.cursor-m.treeBody())
	case key.Matches(msg, k.PageDown):
		m.cursor = max(0, min(len(m.rows)-1, m.cursor+m.treeBody()))
	case key.Matches(msg, k.Home):
		m.cursor = 0
	case key.Matches(msg, k.End):
		m.cursor = max(0, len(m.rows)-1)
	case key.Matches(msg, k.Expand):
		if sel := m.selected(); sel != nil {
			if !m.hasRows(sel) {
				// Nothing to open: on to what it holds, as lazygit.
				m.focus = detailPane
				break
			}
			m.expanded[sel] = true
			m.rebuild(sel)
		}
	case key.Matches(msg, k.ExpandAll):
		if sel := m.selected(); sel != nil {
			m.expandAll(sel)
			m.rebuild(sel)
		}
	case key.Matches(msg, k.ExpandTree):
		if m.tree.root != nil {
			m.expandAll(m.tree.root)
			m.rebuild(prev)
		}
	case key.Matches(msg, k.CollapseTree):
		if m.tree.root != nil {
			clear(m.expanded)
			m.expanded[m.tree.root] = true
			m.rebuild(m.shownAncestor(prev))
		}
	case key.Matches(msg, k.Toggle):
		if sel := m.selected(); sel != nil && m.hasRows(sel) {
			if m.expanded[sel] {
				m.collapseAll(sel)
			} else {
				m.expandAll(sel)
			}
			m.rebuild(sel)
		}
	case key.Matches(msg, k.Collapse):
		if sel := m.selected(); sel != nil {
			if m.expanded[sel] && len(sel.children) > 0 {
				m.expanded[sel] = false
				m.rebuild(sel)
			} else {
				m.toParent(sel)
			}
		}
	case key.Matches(msg, k.Parent):
		if sel := m.selected(); sel != nil {
			m.toParent(sel)
		}
	}
	m.clampTop()
	if m.selected() != prev {
		return m, m.renderSelected()
	}
	return m, nil
}

// escapeInput keeps a prompt's text safe to draw: a pasted format
// character would reach the terminal in the input line, so it becomes its
// escape, which matches a path as the view shows it.
func escapeInput(in *textinput.Model) {
	if v := in.Value(); needsEscape(v, false) {
		in.SetValue(escapeUnsafe(v))
	}
}

// filterAtOnce is the most entries a filter is applied to at every key
// typed; filterPause is how long typing must pause before a larger tree
// is filtered.
const (
	filterAtOnce = 5000
	filterPause  = 150 * time.Millisecond
)

// applyFilter filters the rows by what the filter prompt holds, keeping
// the selection where it still shows.
func (m *Model) applyFilter() tea.Cmd {
	m.filterSeq++
	if m.filterText == m.filter.Value() {
		return nil
	}
	m.filterText = m.filter.Value()
	sel := m.selected()
	if sel == nil {
		// A filter that matched nothing keeps the selection made
		// before it for the next one.
		sel = m.filterKeep
	}
	m.filterKeep = sel
	if sel != nil {
		// A filter shows every match opened: the selection stays in
		// view when the filter goes.
		for p := sel.parent; p != nil; p = p.parent {
			m.expanded[p] = true
		}
	}
	m.rebuild(sel)
	return m.renderSelected()
}

// quit ends the view, and the comparison with it.
func (m Model) quit() (tea.Model, tea.Cmd) {
	m.s.stop()
	return m, tea.Quit
}

func (m *Model) toParent(l *liveNode) {
	if l.parent == nil {
		return
	}
	for i, r := range m.rows {
		if r.n == l.parent {
			m.cursor = i
			return
		}
	}
}

func (m *Model) collapseAll(l *liveNode) {
	delete(m.expanded, l)
	for _, c := range l.children {
		m.collapseAll(c)
	}
}

// shownAncestor is l, or the nearest node above it whose row shows once
// the tree is collapsed to the root's children.
func (m *Model) shownAncestor(l *liveNode) *liveNode {
	for l != nil && l.parent != nil && l.parent != m.tree.root {
		l = l.parent
	}
	return l
}

func (m *Model) expandAll(l *liveNode) {
	m.expanded[l] = true
	for _, c := range l.children {
		m.expandAll(c)
	}
}

// jumpDiff moves to the next or previous pair with differences of its own
// (the deepest places that differ), expanding what hides it.
func (m *Model) jumpDiff(dir int) { m.jumpDiffFrom(m.selected(), dir) }

// jumpDiffFrom moves to the next or previous difference after cur (nil:
// from the top).
func (m *Model) jumpDiffFrom(cur *liveNode, dir int) {
	var order []*liveNode
	var walk func(l *liveNode)
	walk = func(l *liveNode) {
		if !l.visible || (m.filterText != "" && !m.matchesBelow(l)) || (m.narrowed() && !m.narrowBelow[l]) {
			return
		}
		order = append(order, l)
		for _, c := range l.children {
			walk(c)
		}
	}
	if m.tree.root == nil {
		return
	}
	walk(m.tree.root)
	at := -1
	for i, l := range order {
		if l == cur {
			at = i
		}
	}
	n := len(order)
	for k := 1; k <= n; k++ {
		i := at + dir*k
		if cur == nil && i >= n {
			break
		}
		i = ((i % n) + n) % n
		l := order[i]
		if l.done && l.d.OwnDifferences() && (!m.narrowed() || m.kept(l)) && (l.parent == nil || !l.parent.done || (l.parent.d.State != diff.Added && l.parent.d.State != diff.Removed)) {
			for p := l.parent; p != nil; p = p.parent {
				m.expanded[p] = true
			}
			m.rebuild(l)
			m.focus = treePane
			switch {
			case l == cur:
				m.message = "the only difference"
			case cur != nil && dir > 0 && i <= at:
				m.message = "wrapped to the first difference"
			case cur != nil && dir < 0 && i >= at:
				m.message = "wrapped to the last difference"
			}
			return
		}
	}
	m.message = "no difference"
}

// hasRows reports whether l has children to show under the settings.
func (m *Model) hasRows(l *liveNode) bool {
	for _, c := range l.children {
		if m.shown(c) {
			return true
		}
	}
	return false
}

// firstScreen selects the first difference, opens the path to the first
// difference below the root (the root's own come first when it has any,
// and would otherwise leave one collapsed row for the whole tree), then
// opens the tree level by level while the rows fit the pane.
func (m *Model) firstScreen() {
	m.jumpDiffFrom(nil, 1)
	m.message = ""
	first := m.selected()
	if first == nil {
		return
	}
	if first == m.tree.root {
		m.jumpDiffFrom(first, 1)
		m.message = ""
		m.rebuild(first)
	}
	h := m.treeBody()
	for depth := 0; ; depth++ {
		opened := false
		for i := 0; i < len(m.rows); i++ {
			l := m.rows[i].n
			if l.depth != depth || m.expanded[l] {
				continue
			}
			k := 0
			for _, c := range l.children {
				if m.shown(c) {
					k++
				}
			}
			if k == 0 {
				continue
			}
			if len(m.rows)+k > h {
				continue
			}
			m.expanded[l] = true
			m.rebuild(first)
			opened = true
		}
		if !opened && depth > m.maxRowDepth() {
			return
		}
	}
}

// maxRowDepth is the depth of the deepest row shown.
func (m *Model) maxRowDepth() int {
	d := 0
	for _, r := range m.rows {
		d = max(d, r.n.depth)
	}
	return d
}

func (m *Model) jumpRegion(dir int) {
	for i := range m.det.anchors {
		a := m.det.anchors[i]
		if dir < 0 {
			a = m.det.anchors[len(m.det.anchors)-1-i]
		}
		if (dir > 0 && a > m.scroll) || (dir < 0 && a < m.scroll) {
			m.scroll = a
			return
		}
	}
}

func (m *Model) scrollDetail(msg tea.KeyMsg) {
	k, h := m.keys, m.detailBody()
	last := m.maxScroll()
	switch {
	case key.Matches(msg, k.Up):
		m.scroll--
	case key.Matches(msg, k.Down):
		m.scroll++
	case key.Matches(msg, k.PageUp):
		m.scroll -= h
	case key.Matches(msg, k.PageDown):
		m.scroll += h
	case key.Matches(msg, k.Home):
		m.scroll = 0
	case key.Matches(msg, k.End):
		m.scroll = last
	case key.Matches(msg, k.Collapse):
		// Back to the start of the lines, then back to the tree.
		if m.hscroll == 0 {
			m.focus = treePane
		}
		m.hscroll -= m.hstep()
	case key.Matches(msg, k.Expand):
		m.hscroll += m.hstep()
	}
	m.scroll = max(0, min(m.scroll, last))
	m.clampHScroll()
}

// hstep is how far one key scrolls the right pane sideways: half of what
// it shows, as less does.
func (m Model) hstep() int { return max(4, m.detailWidth()/2) }

// clampHScroll keeps the sideways offset within the widest line.
func (m *Model) clampHScroll() {
	show := m.detailWidth()
	if m.det.col > 0 {
		show = m.det.col - lineNumberCells
	}
	m.hscroll = max(0, min(m.hscroll, m.det.wide-show+1))
}

func (m Model) mouse(msg tea.MouseMsg) (tea.Model, tea.Cmd) {
	if msg.Action != tea.MouseActionPress {
		return m, nil
	}
	inTree := (m.split() && msg.X < m.treeWidth()) || (!m.split() && m.focus == treePane)
	delta := 0
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		delta = -3
	case tea.MouseButtonWheelDown:
		delta = 3
	case tea.MouseButtonLeft:
		// A click selects the row under it, or focuses the pane.
		m.touched = true
		if !inTree {
			m.focus = detailPane
			return m, nil
		}
		m.focus = treePane
		i := m.top + msg.Y - m.firstRowY()
		if msg.Y < m.firstRowY() || i >= len(m.rows) || msg.Y >= m.firstRowY()+m.treeBody() {
			return m, nil
		}
		prev := m.selected()
		m.cursor = i
		if m.selected() != prev {
			return m, m.renderSelected()
		}
		return m, nil
	default:
		return m, nil
	}
	if inTree {
		prev := m.selected()
		m.cursor = max(0, min(len(m.rows)-1, m.cursor+delta))
		m.clampTop()
		if m.selected() != prev {
			return m, m.renderSelected()
		}
		return m, nil
	}
	m.scroll = max(0, min(m.scroll+delta, m.maxScroll()))
	return m, nil
}

// findHits finds the lines of the right pane that hold the text searched
// for, in any case.
func (m *Model) findHits() {
	m.hitLines = m.hitLines[:0]
	if m.search == "" {
		return
	}
	want := strings.ToLower(m.search)
	for i, l := range m.det.lines {
		text := l.text
		if l.halves {
			text = l.a.body + " " + l.b.body
		}
		if strings.Contains(strings.ToLower(ansi.Strip(text)), want) {
			m.hitLines = append(m.hitLines, i)
		}
	}
}

// jumpHit scrolls to the next (1) or previous (-1) line holding the text
// searched for, around the end, or (0) to the first from the top of the
// pane on.
func (m *Model) jumpHit(dir int) {
	if len(m.hitLines) == 0 {
		if m.search != "" {
			m.message = "not found: " + show(m.search)
		}
		return
	}
	at := -1
	switch dir {
	case 0:
		for i, l := range m.hitLines {
			if l >= m.scroll {
				at = i
				break
			}
		}
		if at < 0 {
			at = 0
		}
	case 1:
		at = 0
		for i, l := range m.hitLines {
			if l > m.scroll {
				at = i
				break
			}
		}
		if m.hitLines[at] <= m.scroll {
			m.message = "search wrapped to the top"
		}
	default:
		at = len(m.hitLines) - 1
		for i := len(m.hitLines) - 1; i >= 0; i-- {
			if m.hitLines[i] < m.scroll {
				at = i
				break
			}
		}
		if m.hitLines[at] >= m.scroll {
			m.message = "search wrapped to the bottom"
		}
	}
	m.scroll = m.hitLines[at]
	if m.message == "" {
		m.message = fmt.Sprintf("match %d of %d", at+1, len(m.hitLines))
	}
}

// highlight marks the text searched for in a line as shown (its colours
// give way on that line).
func (m Model) highlight(line string) string {
	if m.search == "" || m.styles.plain {
		return line
	}
	plain := ansi.Strip(line)
	lower, want := strings.ToLower(plain), strings.ToLower(m.search)
	i := strings.Index(lower, want)
	n := len(want)
	if i < 0 || len(lower) != len(plain) || i+n > len(plain) {
		// Not on the part shown, or a case change moved the bytes.
		return line
	}
	return plain[:i] + m.styles.hit.Render(plain[i:i+n]) + plain[i+n:]
}

// pager writes the text report of the selection to a temporary file,
// outside the update loop, for $PAGER (less if unset) to show.
func (m *Model) pager() tea.Cmd {
	sel := m.selected()
	if sel == nil || !sel.done {
		m.message = "that entry is still being compared"
		return nil
	}
	n, a, b := sel.d, m.s.A, m.s.B
	return func() tea.Msg {
		f, err := os.CreateTemp("", "isodiff-*.txt")
		if err != nil {
			return wroteMsg{err: err, pager: true}
		}
		err = WriteText(f, a, b, n, DefaultReportOptions())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
			return wroteMsg{err: err, pager: true}
		}
		return pagerMsg(f.Name())
	}
}

// page runs the pager on a report file, and removes the file after it.
func page(name string) tea.Cmd {
	args := strings.Fields(os.Getenv("PAGER"))
	if len(args) == 0 {
		args = []string{"less"}
	}
	cmd := exec.Command(args[0], append(args[1:], name)...)
	return tea.ExecProcess(cmd, func(err error) tea.Msg {
		os.Remove(name)
		if err != nil {
			return wroteMsg{err: fmt.Errorf("%s: %w", args[0], err), pager: true}
		}
		return nil
	})
}

// firstRowY is the screen row of the first tree row: below the header
// and the pane's title.
func (m Model) firstRowY() int {
	y := 0
	if m.height >= 3 {
		y++
	}
	if m.titled() {
		y++
	}
	return y
}

// copyPath puts the selection's layered path on the clipboard with OSC 52,
// which works over ssh and in tmux with set-clipboard on.
func (m *Model) copyPath() tea.Cmd {
	sel := m.selected()
	if sel == nil {
		return nil
	}
	// The path as shown: a pasted path must not carry an image's control
	// characters into a shell.
	p := clean(sel.d.Path())
	m.message = "copied " + p
	out := m.s.Output
	return func() tea.Msg {
		w := out
		if w == nil {
			w = os.Stdout
		}
		termenv.NewOutput(w).Copy(p)
		return nil
	}
}

// askReport opens the prompt for the file the report of the selection
// goes to, offering a name no file has yet.
func (m *Model) askReport() tea.Cmd {
	sel := m.selected()
	if sel == nil || !sel.done {
		m.message = "that entry is still being compared"
		return nil
	}
	name := "isodiff-report.txt"
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); os.IsNotExist(err) {
			break
		}
		name = fmt.Sprintf("isodiff-report-%d.txt", i)
	}
	m.writing = true
	m.save.Prompt = "write the report of " + show(sel.d.Name) + " to: "
	if sel == m.tree.root {
		m.save.Prompt = "write the whole report to: "
	}
	m.save.SetValue(name)
	m.save.CursorEnd()
	return m.save.Focus()
}

// writeReport writes the text report of the selected subtree to the
// file named, which must not exist yet: the view never overwrites one.
func (m *Model) writeReport(name string) tea.Cmd {
	sel := m.selected()
	if sel == nil || !sel.done || name == "" {
		return nil
	}
	n, a, b := sel.d, m.s.A, m.s.B
	return func() tea.Msg {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			err = WriteText(f, a, b, n, DefaultReportOptions())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		abs, _ := filepath.Abs(name)
		return wroteMsg{path: abs, err: err}
	}
}

// View draws the screen, never larger than the window: a window too
// narrow for both panes shows the focused one, and one too short for the
// header, status bar and footer drops them, the footer first.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.showHelp {
		return m.helpView()
	}
	h := m.paneHeight()
	var body string
	switch {
	case !m.split() && m.focus == detailPane:
		body = m.detailView(h)
	case !m.split():
		body = m.treeView(h)
	default:
		// Every row is already as wide as its pane.
		sep := " " + m.styles.paint(m.styles.dim, "│") + " "
		left, right := strings.Split(m.treeView(h), "\n"), strings.Split(m.detailView(h), "\n")
		rows := make([]string, h)
		for i := range rows {
			rows[i] = left[i] + sep + right[i]
		}
		body = strings.Join(rows, "\n")
	}
	switch m.height {
	case 1:
		return body
	case 2:
		return body + "\n" + m.statusBar()
	case 3:
		return m.header() + "\n" + body + "\n" + m.statusBar()
	}
	return m.header() + "\n" + body + "\n" + m.statusBar() + "\n" + m.footer()
}

func (m Model) header() string {
	a, b := show(m.s.A.Path), show(m.s.B.Path)
	text := fmt.Sprintf("isodiff  A %s  B %s", a, b)
	if ansi.StringWidth(text) > m.width {
		// Too long: the paths lose what they share at the left, and
		// keep what tells A from B.
		room := max(2, (m.width-len("isodiff  A   B "))/2)
		text = fmt.Sprintf("isodiff  A %s  B %s", shortPath(a, b, room), shortPath(b, a, room))
	}
	return m.styles.paint(m.styles.title, ansi.Truncate(text, m.width, "…"))
}

// shortPath shortens p to about room cells from the left, keeping the
// part that tells it from other (the first name, from the right, in
// which they differ, and all after it).
func shortPath(p, other string, room int) string {
	if ansi.StringWidth(p) <= room {
		return p
	}
	ps, os := strings.Split(p, "/"), strings.Split(other, "/")
	common := 0
	for common < len(ps)-1 && common < len(os) && ps[len(ps)-1-common] == os[len(os)-1-common] {
		common++
	}
	keep := ps[len(ps)-1-common:]
	short := "…/" + strings.Join(keep, "/")
	if ansi.StringWidth(short) > room && len(keep) > 2 {
		// The name that differs and the file name, what lies between
		// elided.
		short = "…/" + keep[0] + "/…/" + keep[len(keep)-1]
	}
	if ansi.StringWidth(short) > room {
		short = ansi.TruncateLeft(short, ansi.StringWidth(short)-room, "…")
	}
	return short
}

func (m Model) footer() string {
	if m.finding {
		return ansi.Truncate(m.find.View(), m.width, "")
	}
	if m.writing {
		return ansi.Truncate(m.save.View(), m.width, "")
	}
	if m.filtering {
		return ansi.Truncate(m.filter.View(), m.width, "")
	}
	if m.message != "" {
		return ansi.Truncate(show(m.message), m.width, "…")
	}
	return ansi.Truncate(m.help.View(m.keys), m.width, "…")
}

func (m Model) statusBar() string {
	var parts []string
	if !m.done {
		parts = append(parts, m.spinner.View()+" comparing")
	} else if m.err == nil {
		parts = append(parts, "done")
	}
	// What matters most comes first, for a narrow window cuts the end.
	if m.root != nil {
		c := m.root.Count()
		if c.Total() == 0 {
			parts = append(parts, "identical")
		} else {
			parts = append(parts, countLine(c), fmt.Sprintf("%d unexplained", m.unexplained))
		}
	} else if p := m.s.Progress; p != nil {
		parts = append(parts, fmt.Sprintf("%d differences so far", p.Differences.Load()))
	}
	if m.filterText != "" {
		parts = append(parts, "filter: "+show(m.filterText))
	}
	if m.hideExplained {
		parts = append(parts, "explained hidden (H)")
	}
	if m.stateFilter != diff.Same {
		parts = append(parts, "only "+m.stateFilter.String()+" (T)")
	}
	if m.causeFilter != "" {
		parts = append(parts, "only "+show(m.causeFilter)+" (K)")
	}
	if p := m.s.Progress; p != nil {
		parts = append(parts, progressParts(p)...)
	}
	parts = append(parts, m.elapsed.Round(100*time.Millisecond).String())
	text := " " + strings.Join(parts, " · ")
	text = ansi.Truncate(text, m.width, "…")
	return m.styles.paint(m.styles.bar, padCells(text, m.width))
}

// progressParts are the entries and bytes compared on each side so far,
// of the totals known so far.
func progressParts(p *diff.Progress) []string {
	return []string{
		fmt.Sprintf("A %d/%d entries %s", p.EntriesA.Load(), p.TotalA.Load(), sizeText(p.BytesA.Load())),
		fmt.Sprintf("B %d/%d entries %s", p.EntriesB.Load(), p.TotalB.Load(), sizeText(p.BytesB.Load())),
	}
}

// ProgressLine is the line a report run shows on a terminal's standard
// error while it compares: what the interactive view's status bar shows.
func ProgressLine(p *diff.Progress, elapsed time.Duration) string {
	parts := append([]string{"comparing"}, progressParts(p)...)
	parts = append(parts, elapsed.Round(100*time.Millisecond).String(), fmt.Sprintf("%d differences so far", p.Differences.Load()))
	return strings.Join(parts, " · ")
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func (m Model) treeView(h int) string {
	w := m.treeWidth()
	lines := make([]string, 0, h)
	if m.titled() {
		lines = append(lines, m.paneTitle("tree", m.focus == treePane, w))
	}
	if len(m.rows) == 0 {
		msg := "comparing…"
		if m.done {
			switch {
			case m.hideExplained && m.root != nil && m.root.Differs() && m.stateFilter == diff.Same && m.causeFilter == "":
				msg = "nothing unexplained (H shows the rest)"
			case m.narrowed() && m.root != nil && m.root.Differs():
				msg = "no difference of that kind (T, K, H show the rest)"
			case m.filterText != "":
				msg = "no entry matches " + show(m.filterText)
			case m.showSame:
				msg = "nothing to show"
			default:
				msg = "no differences"
			}
		}
		lines = append(lines, m.styles.paint(m.styles.dim, msg))
	}
	for i := m.top; i < len(m.rows) && len(lines) < h; i++ {
		lines = append(lines, m.treeRow(m.rows[i].n, w, i == m.cursor))
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines[:h] {
		lines[i] = padCells(ansi.Truncate(l, w, "…"), w)
	}
	return strings.Join(lines[:h], "\n")
}

func stateSymbol(l *liveNode) string {
	if !l.done {
		return "…"
	}
	n := l.d
	if n.Unreadable() && n.ErrA != n.ErrB {
		return "?"
	}
	switch n.State {
	case diff.Modified:
		return "~"
	case diff.Added:
		return "+"
	case diff.Removed:
		return "-"
	case diff.TypeChanged:
		return "!"
	}
	return "="
}

func (m Model) treeRow(l *liveNode, w int, selected bool) string {
	s := m.styles
	indent := strings.Repeat("  ", l.depth)
	arrow := "  "
	if len(l.children) > 0 {
		arrow = "▸ "
		if m.expanded[l] || m.filterText != "" {
			arrow = "▾ "
		}
	}
	sym := stateSymbol(l)
	name := show(l.d.Name)
	if l.done && l.d.StorePathRenamed() {
		name = renamedName(l.d)
	}
	if l.parent != nil && l.parent.d.Descended && l.parent.parent != nil {
		name = ":: " + name
	}
	info := ""
	if l.done {
		kind := l.d.Layer
		if l.d.Inner != "" {
			kind += "→" + l.d.Inner
		}
		info = show(kind)
		if r := shortReason(l.d); r != "" {
			info += " · " + show(r)
		}
	}
	gutter := ""
	if s.plain {
		// Without colour the selection is a marker in a gutter.
		gutter = " "
		if selected {
			gutter = "▶"
		}
	}
	lead := gutter + indent + arrow + sym + " "
	name = shortName(name, w-ansi.StringWidth(lead))
	plain := lead + name
	room := w - ansi.StringWidth(plain) - 2
	if selected {
		text := plain
		if info != "" && room > 3 {
			text += "  " + ansi.Truncate(info, room, "…")
		}
		text = ansi.Truncate(text, w, "…")
		if s.plain {
			return text
		}
		return s.sel.Render(padCells(text, w))
	}
	st := s.state[diff.Same]
	if l.done {
		st = s.state[l.d.State]
		if l.d.Unreadable() && l.d.ErrA != l.d.ErrB {
			st = s.unreadable
		}
	} else {
		st = s.pending
	}
	head := gutter + indent + arrow + s.paint(st, sym+" "+name)
	if info != "" && room > 3 {
		head += "  " + s.paint(s.dim, ansi.Truncate(info, room, "…"))
	}
	return head
}

// show is text from the images as the view shows it: escaped as the
// reports escape it, and made to take the cells the view counts on any
// terminal (see cellSafe).
func show(s string) string { return cellSafe(clean(s)) }

// storeHashCells is the length of a nix store path's hash.
const storeHashCells = 32

// storeHash reports whether name starts with a nix store hash and a dash.
func storeHash(name string) bool {
	if len(name) <= storeHashCells || name[storeHashCells] != '-' {
		return false
	}
	for _, c := range name[:storeHashCells] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// shortName fits a row's name to room cells, keeping its end (a package
// name, a file's extension): a store path's hash is elided in the middle
// first ("wzjq…3kx20-python3-3.13.5"), then the middle of the rest.
func shortName(name string, room int) string {
	if room <= 0 || ansi.StringWidth(name) <= room {
		return name
	}
	if storeHash(name) {
		if short := name[:4] + "…" + name[storeHashCells-5:]; ansi.StringWidth(short) <= room {
			return short
		}
		// The hash goes, the name stays.
		name = "…" + name[storeHashCells:]
		if ansi.StringWidth(name) <= room {
			return name
		}
	}
	if room < 4 {
		return ansi.Truncate(name, room, "…")
	}
	head := room / 3
	tail := room - head - 1
	w := ansi.StringWidth(name)
	return ansi.Truncate(name, head, "") + "…" + ansi.TruncateLeft(name, w-tail, "")
}

// renamedName is the row name of a store path paired with its namesake
// under another hash: both hashes, shortened, and the name once
// ("wzjq…3kx20→g3nd…5a9hy-python3-3.13.5").
func renamedName(n *diff.Node) string {
	a := n.Name
	for _, f := range n.Changed() {
		if f.Renamed && storeHash(f.A) && storeHash(f.B) {
			short := func(h string) string { return h[:4] + "…" + h[storeHashCells-5:storeHashCells] }
			return show(short(f.A) + "→" + short(f.B) + f.B[storeHashCells:])
		}
	}
	return show(a)
}

// shortReason is the reason shown on a tree row.
func shortReason(n *diff.Node) string {
	switch n.State {
	case diff.Same:
		return ""
	case diff.Modified:
		if !n.OwnDifferences() {
			return ""
		}
	}
	if len(n.Causes) > 0 {
		return n.Causes[0].String()
	}
	return n.Reason()
}

func (m Model) detailView(h int) string {
	w := m.detailWidth()
	lines := make([]string, 0, h)
	if m.titled() {
		lines = append(lines, m.paneTitle(m.detailTitle(), m.focus == detailPane, w))
	}
	sel := m.selected()
	switch {
	case sel == nil:
		lines = append(lines, m.styles.paint(m.styles.dim, "select an entry"))
	case !sel.done:
		lines = append(lines, show(sel.d.Path()), m.styles.paint(m.styles.pending, "still being compared…"))
	case m.det.node != sel.d:
		lines = append(lines, show(sel.d.Path()), m.styles.paint(m.styles.pending, "rendering…"))
	default:
		// Update keeps the offset within the lines; clamp here too, so
		// that no sequence of messages can make a frame index past them.
		body := m.detailBody()
		top := m.scrollTop()
		end := min(len(m.det.lines), top+body)
		for i := top; i < end; i++ {
			lines = append(lines, m.highlight(m.det.render(i, m.hscroll, w)))
		}
		if h > 1 {
			for len(lines) < h-1 {
				lines = append(lines, "")
			}
			pos := fmt.Sprintf("── %d-%d of %d ", min(top+1, end), end, len(m.det.lines))
			if m.hscroll > 0 {
				pos += fmt.Sprintf("· → %d ", m.hscroll)
			}
			lines = append(lines, m.styles.paint(m.styles.dim, pos+strings.Repeat("─", max(0, w-ansi.StringWidth(pos)))))
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

func (m Model) helpView() string {
	lines := m.helpLines()
	last := m.styles.paint(m.styles.dim, "j/k scroll · any other key goes back")
	if m.height < 2 {
		return ansi.Truncate(last, m.width, "…")
	}
	top := max(0, min(m.helpTop, len(lines)-(m.height-1)))
	lines = lines[top:]
	if len(lines) > m.height-1 {
		lines = lines[:m.height-1]
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines, last)
	for i := range lines {
		lines[i] = ansi.Truncate(lines[i], m.width, "…")
	}
	return strings.Join(lines, "\n")
}

// helpLines are the lines of the help screen: every key, in as many
// columns side by side as the window takes.
func (m Model) helpLines() []string {
	groups := m.keys.FullHelp()
	hm := m.help
	hm.Width = 0 // measure without truncation
	var blocks []string
	for per := len(groups); per >= 1; per-- {
		blocks = blocks[:0]
		fits := true
		for i := 0; i < len(groups); i += per {
			b := hm.FullHelpView(groups[i:min(len(groups), i+per)])
			fits = fits && lipgloss.Width(b) <= m.width
			blocks = append(blocks, b)
		}
		if fits {
			break
		}
	}
	body := m.styles.paint(m.styles.title, "isodiff keys") + "\n\n" + strings.Join(blocks, "\n\n") + "\n\n" +
		"Mouse: a click selects a row or focuses the right pane;\n" +
		"       the wheel scrolls the pane under it.\n" +
		"Rows: ~ modified  + added  - removed  ! type changed\n" +
		"      ? unreadable  = identical  … being compared\n" +
		"Paths join layers with \" :: \" (an image inside an image)."
	return strings.Split(body, "\n")
}
