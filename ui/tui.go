package ui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	pagerMsg  string // a report file ready for the pager
	editorMsg string // a read-only report file ready for the editor
	resultMsg Result
	wroteMsg  struct {
		path string
		err  error
		tool string // the pager or the editor failed, not a report
	}
)

// common is what every part of the view shares and none changes.
type common struct {
	keys   KeyMap
	styles styles
}

// Model is the interactive UI. It owns the window, the keys that act on
// the whole view (quit, help, focus, zoom, the pager and the editor, the
// clipboard, the report file) and the status line, and routes the rest
// to the tree pane or the detail pane: a key to the one it acts on, or
// the focused one when both scroll; the mouse to the pane under it.
type Model struct {
	s Session
	// renderer draws the styles; its background is set, never asked
	// (see assumeBackground).
	renderer *lipgloss.Renderer
	c        *common
	help     help.Model
	spinner  spinner.Model

	width, height int
	start         time.Time
	elapsed       time.Duration

	tree   treeModel
	detail detailModel
	focus  pane
	zoom   int

	// unexplained counts, once the comparison is done, the differences
	// no known cause explains.
	unexplained int
	writing     bool // the prompt for the report's file is open
	save        textinput.Model
	showHelp    bool
	helpTop     int
	touched     bool // a key was pressed: the selection is the user's

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
	c := &common{keys: DefaultKeyMap(), styles: newStyles(r)}
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
	return Model{
		s: s, renderer: r, c: c, help: h, spinner: sp, save: textinput.New(),
		tree: newTreeModel(c), detail: newDetailModel(c), start: s.Now(),
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

// Update handles one message. Whatever it changed (the window, the
// focus, the rows, the settings), the panes are sized again, their
// offsets brought back within what there is to show, and the right pane
// given the selection, whose layout is asked for when it has none.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := m.update(msg)
	m.resize()
	m.tree.clampTop()
	m.detail.sel = m.tree.selected()
	m.detail.clamp()
	for _, note := range []*string{&m.tree.note, &m.detail.note} {
		if *note != "" {
			m.message, *note = *note, ""
		}
	}
	if c := m.detail.ask(); c != nil {
		cmd = tea.Batch(cmd, c)
	}
	return m, cmd
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(0, msg.Width), max(0, msg.Height)
		m.help.Width = m.width
		return m, nil
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
		m.ingest()
		return m, tick()
	case spinner.TickMsg:
		if m.done {
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case resultMsg:
		m.done, m.tree.done = true, true
		m.elapsed = m.s.Now().Sub(m.start)
		if msg.Err != nil {
			m.err = msg.Err
			return m.quit()
		}
		m.ingest()
		m.root = msg.Root
		m.tree.finish(m.root)
		if m.root != nil {
			m.unexplained = len(diff.Summarize(m.root).Unexplained)
		}
		if m.root.Differs() && !m.touched {
			// Nobody has moved yet: show the first difference.
			m.tree.firstScreen()
		}
		return m, nil
	case detailMsg:
		m.detail, _ = m.detail.update(msg)
		return m, nil
	case filterMsg:
		var cmd tea.Cmd
		m.tree, cmd = m.tree.update(msg)
		return m, cmd
	case pagerMsg:
		return m, page(string(msg))
	case editorMsg:
		return m, edit(string(msg))
	case wroteMsg:
		if msg.tool != "" {
			m.message = msg.tool + ": " + msg.err.Error()
			return m, nil
		}
		if msg.err != nil {
			m.message = "could not write report: " + msg.err.Error()
		} else {
			m.message = "wrote report to " + msg.path
		}
		return m, nil
	case tea.MouseMsg:
		return m.mouse(msg)
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !m.prompting() {
			// Keys typed faster than read (a burst over ssh, "jjj")
			// arrive as one message: each is a key of its own.
			var cmds []tea.Cmd
			var next tea.Model = m
			for _, r := range msg.Runes {
				var cmd tea.Cmd
				next, cmd = next.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
				cmds = append(cmds, cmd)
			}
			return next.(Model), tea.Batch(cmds...)
		}
		return m.key(msg)
	}
	return m, nil
}

// prompting says whether a prompt takes the keys typed.
func (m Model) prompting() bool { return m.tree.filtering || m.writing || m.detail.finding }

// ingest moves finished pairs from the feed into the tree.
func (m *Model) ingest() {
	nodes := m.s.Feed.take()
	if len(nodes) == 0 {
		return
	}
	m.tree.ingest(nodes)
	if !m.done && m.s.Progress != nil && m.s.Progress.Differences.Load() > 0 {
		m.sawDifferences = true
	}
}

func (m Model) selected() *liveNode { return m.tree.selected() }

// renderSelected lays out the right pane for the selection, elsewhere,
// whether or not it has been asked for already.
func (m Model) renderSelected() tea.Cmd {
	d := m.detail
	d.sel = m.selected()
	return d.render()
}

func (m Model) layout() layout { return m.detail.layout() }

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

// resize gives each pane its size, which follows the window, the focus
// and the zoom. A window with no width has nothing to lay out for.
func (m *Model) resize() {
	h := m.paneHeight()
	m.tree.width, m.tree.height = m.treeWidth(), h
	w := m.detailWidth()
	if m.width == 0 {
		w = 0
	}
	m.detail.setSize(w, h)
}

// firstRowY is the screen row of the first tree row: below the header
// and the pane's title.
func (m Model) firstRowY() int {
	y := m.headerRows()
	if m.tree.titled() {
		y++
	}
	return y
}

// headerRows is the rows above the panes: the header, when the window
// has room for it.
func (m Model) headerRows() int {
	if m.height >= 3 {
		return 1
	}
	return 0
}

func (m Model) key(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.c.keys
	if key.Matches(msg, k.ForceQuit) {
		return m.quit()
	}
	var cmd tea.Cmd
	switch {
	case m.detail.finding:
		m.detail, cmd = m.detail.update(msg)
		return m, cmd
	case m.writing:
		return m.savePrompt(msg)
	case m.tree.filtering:
		m.tree, cmd = m.tree.update(msg)
		return m, cmd
	case m.showHelp:
		switch {
		case key.Matches(msg, k.Down):
			m.helpTop = min(m.helpTop+1, max(0, len(m.helpLines())-(m.height-1)))
		case key.Matches(msg, k.Up):
			m.helpTop = max(0, m.helpTop-1)
		default:
			m.showHelp = false
		}
		return m, nil
	}
	m.message = ""
	m.touched = true
	inDetail := m.focus == detailPane
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp, m.helpTop = true, 0
	case key.Matches(msg, k.SwitchPane):
		m.focus = 1 - m.focus
	case key.Matches(msg, k.ZoomIn):
		m.zoom = min(zoomFull, m.zoom+1)
	case key.Matches(msg, k.ZoomOut):
		m.zoom = max(zoomNormal, m.zoom-1)
	case key.Matches(msg, k.Pager):
		cmd = m.pager()
	case key.Matches(msg, k.Editor):
		cmd = m.editor()
	case key.Matches(msg, k.Copy):
		cmd = m.copyPath()
	case key.Matches(msg, k.Write):
		cmd = m.askReport()
	case inDetail && (key.Matches(msg, k.Filter) || m.detail.search != "" && key.Matches(msg, k.NextDiff, k.PrevDiff)):
		// In the right pane, / searches its lines and n/N move among
		// what it found.
		m.detail, cmd = m.detail.update(msg)
	case key.Matches(msg, k.NextDiff):
		if m.tree.jumpDiff(1) {
			m.focus = treePane
		}
	case key.Matches(msg, k.PrevDiff):
		if m.tree.jumpDiff(-1) {
			m.focus = treePane
		}
	case inDetail && key.Matches(msg, k.ClearFilter):
		m.focus = treePane
	case key.Matches(msg, k.Filter, k.ClearFilter, k.ShowSame, k.HideExplained, k.StateFilter, k.CauseFilter):
		m.tree, cmd = m.tree.update(msg)
	case key.Matches(msg, k.TextView, k.HexView, k.SideBySide, k.Unified, k.Wrap, k.NextRegion, k.PrevRegion):
		m.detail, cmd = m.detail.update(msg)
	case inDetail && key.Matches(msg, k.Collapse) && m.detail.hscroll == 0:
		// At the start of the lines: back to the tree.
		m.focus = treePane
	case inDetail:
		m.detail, cmd = m.detail.update(msg)
	case key.Matches(msg, k.Expand) && m.selected() != nil && !m.tree.hasRows(m.selected()):
		// Nothing to open: on to what it holds, as lazygit.
		m.focus = detailPane
	default:
		m.tree, cmd = m.tree.update(msg)
	}
	return m, cmd
}

// savePrompt handles a key while the report's file is typed.
func (m Model) savePrompt(msg tea.KeyMsg) (Model, tea.Cmd) {
	out, cmd := promptKey(&m.save, m.c.keys, msg)
	switch out {
	case promptApplied:
		m.writing = false
		return m, m.writeReport(m.save.Value())
	case promptCancelled:
		m.writing = false
	}
	return m, cmd
}

// quit ends the view, and the comparison with it.
func (m Model) quit() (Model, tea.Cmd) {
	m.s.stop()
	return m, tea.Quit
}

// mouse sends the wheel to the pane under it, and a click selects the
// row under it or focuses the right pane.
func (m Model) mouse(msg tea.MouseMsg) (Model, tea.Cmd) {
	if msg.Action != tea.MouseActionPress {
		return m, nil
	}
	inTree := (m.split() && msg.X < m.treeWidth()) || (!m.split() && m.focus == treePane)
	switch msg.Button {
	case tea.MouseButtonWheelUp, tea.MouseButtonWheelDown:
	case tea.MouseButtonLeft:
		m.touched = true
		if !inTree {
			m.focus = detailPane
			return m, nil
		}
		m.focus = treePane
	default:
		return m, nil
	}
	// The panes count rows from their own top.
	msg.Y -= m.headerRows()
	var cmd tea.Cmd
	if inTree {
		m.tree, cmd = m.tree.update(msg)
	} else {
		m.detail, cmd = m.detail.update(msg)
	}
	return m, cmd
}

// pager writes the text report of the selection to a temporary file,
// outside the update loop, for $PAGER (less if unset) to show.
func (m *Model) pager() tea.Cmd {
	return m.tempReport("pager", 0o600, func(name string) tea.Msg { return pagerMsg(name) })
}

// editor writes the text report of the selection to a read-only
// temporary file, outside the update loop, for the editor to show.
func (m *Model) editor() tea.Cmd {
	return m.tempReport("editor", 0o444, func(name string) tea.Msg { return editorMsg(name) })
}

// tempReport writes the text report of the selection to a temporary file
// of the given mode for tool to show; ready hands the file on.
func (m *Model) tempReport(tool string, mode os.FileMode, ready func(name string) tea.Msg) tea.Cmd {
	sel := m.selected()
	if sel == nil || !sel.done {
		m.message = "that entry is still being compared"
		return nil
	}
	n, a, b := sel.d, m.s.A, m.s.B
	return func() tea.Msg {
		f, err := os.CreateTemp("", "isodiff-*.txt")
		if err != nil {
			return wroteMsg{err: err, tool: tool}
		}
		err = WriteText(f, a, b, n, DefaultReportOptions())
		if err == nil {
			err = f.Chmod(mode)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
			return wroteMsg{err: err, tool: tool}
		}
		return ready(f.Name())
	}
}

// page runs the pager on a report file, and removes the file after it.
func page(name string) tea.Cmd {
	args := strings.Fields(os.Getenv("PAGER"))
	if len(args) == 0 {
		args = []string{"less"}
	}
	return run(exec.Command(args[0], append(args[1:], name)...), name, "pager")
}

// edit runs the editor on a read-only report file, and removes the file
// after it.
func edit(name string) tea.Cmd { return run(editorCommand(name), name, "editor") }

// editorCommand is the command that shows a file in the user's editor
// without changing it: $VISUAL, else $EDITOR, else vi. The file is
// read-only (0444), which editors heed, but not as root; so vi and its
// kin also start read-only (-R, as view does) and nano in view mode (-v),
// and do not offer to write it at all.
func editorCommand(name string) *exec.Cmd {
	args := strings.Fields(os.Getenv("VISUAL"))
	if len(args) == 0 {
		args = strings.Fields(os.Getenv("EDITOR"))
	}
	if len(args) == 0 {
		args = []string{"vi"}
	}
	switch filepath.Base(args[0]) {
	case "vi", "vim", "nvim", "gvim", "mvim", "view", "nvi", "vim.basic", "vim.tiny", "vim.nox", "vim.gtk3":
		args = append(args, "-R")
	case "nano":
		args = append(args, "-v")
	}
	return exec.Command(args[0], append(args[1:], name)...)
}

// run hands the terminal to cmd, which shows the report file name, and
// removes the file once cmd is done.
func run(cmd *exec.Cmd, name, tool string) tea.Cmd {
	return tea.ExecProcess(cmd, func(err error) tea.Msg {
		os.Remove(name)
		if err != nil {
			return wroteMsg{err: fmt.Errorf("%s: %w", cmd.Args[0], err), tool: tool}
		}
		return nil
	})
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
	if sel == m.tree.live.root {
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
		body = m.detail.view(true)
	case !m.split():
		body = m.tree.view(true)
	default:
		// Every row is already as wide as its pane.
		sep := " " + m.c.styles.paint(m.c.styles.dim, "│") + " "
		left, right := strings.Split(m.tree.view(m.focus == treePane), "\n"), strings.Split(m.detail.view(m.focus == detailPane), "\n")
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
	return m.c.styles.paint(m.c.styles.title, ansi.Truncate(text, m.width, "…"))
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
	if m.detail.finding {
		return ansi.Truncate(m.detail.find.View(), m.width, "")
	}
	if m.writing {
		return ansi.Truncate(m.save.View(), m.width, "")
	}
	if m.tree.filtering {
		return ansi.Truncate(m.tree.filter.View(), m.width, "")
	}
	if m.message != "" {
		return ansi.Truncate(show(m.message), m.width, "…")
	}
	return ansi.Truncate(m.help.View(m.c.keys), m.width, "…")
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
	if m.tree.filterText != "" {
		parts = append(parts, "filter: "+show(m.tree.filterText))
	}
	if m.tree.hideExplained {
		parts = append(parts, "explained hidden (H)")
	}
	if m.tree.stateFilter != diff.Same {
		parts = append(parts, "only "+m.tree.stateFilter.String()+" (T)")
	}
	if m.tree.causeFilter != "" {
		parts = append(parts, "only "+show(m.tree.causeFilter)+" (K)")
	}
	if p := m.s.Progress; p != nil {
		parts = append(parts, progressParts(p)...)
	}
	parts = append(parts, m.elapsed.Round(100*time.Millisecond).String())
	text := " " + strings.Join(parts, " · ")
	text = ansi.Truncate(text, m.width, "…")
	return m.c.styles.paint(m.c.styles.bar, padCells(text, m.width))
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

func (m Model) helpView() string {
	lines := m.helpLines()
	last := m.c.styles.paint(m.c.styles.dim, "j/k scroll · any other key goes back")
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
	groups := m.c.keys.FullHelp()
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
	body := m.c.styles.paint(m.c.styles.title, "isodiff keys") + "\n\n" + strings.Join(blocks, "\n\n") + "\n\n" +
		"Mouse: a click selects a row or focuses the right pane;\n" +
		"       the wheel scrolls the pane under it.\n" +
		"Rows: ~ modified  + added  - removed  ! type changed\n" +
		"      ? unreadable  = identical  … being compared\n" +
		"Paths join layers with \" :: \" (an image inside an image)."
	return strings.Split(body, "\n")
}

// show is text from the images as the view shows it: escaped as the
// reports escape it, and made to take the cells the view counts on any
// terminal (see cellSafe).
func show(s string) string { return cellSafe(clean(s)) }
