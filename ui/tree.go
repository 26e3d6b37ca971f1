package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"isodiff/diff"
)

// row is one visible line of the tree.
type row struct{ n *liveNode }

// treeModel is the left pane: the comparison tree as it arrives, what is
// open, the filters, and the selection the right pane shows.
type treeModel struct {
	c        *common
	live     *liveTree
	rows     []row
	expanded map[*liveNode]bool
	cursor   int
	top      int // first row shown
	// width and height are the pane's, its title included.
	width, height int

	showSame bool
	// hideExplained shows only what no known cause explains (and what
	// leads to it); stateFilter only differences of one kind (Same: any),
	// causeFilter only those a cause explains, in part at least. Below
	// marks the nodes they leave.
	hideExplained bool
	stateFilter   diff.State
	causeFilter   string
	narrowBelow   map[*liveNode]bool

	// The filter prompt, and the filter in force.
	filtering  bool
	filter     textinput.Model
	filterText string
	matched    map[*liveNode]bool // with a filter: nodes matching, or with a match below
	hits       map[*liveNode]bool // with a filter: nodes matching
	filterSeq  int                // the last edit of the filter, for applying it once typing pauses
	filterKeep *liveNode          // the selection before a filter that matched nothing

	// done: the comparison is over and the tree final; root is the
	// finished tree (nil until then, or when it failed).
	done bool
	root *diff.Node
	// note is a line for the status line, which the root model takes.
	note string
}

func newTreeModel(c *common) treeModel {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "path substring or glob"
	return treeModel{c: c, live: newLiveTree(), expanded: map[*liveNode]bool{}, filter: ti}
}

// filterMsg is the edit of the filter that typing paused after.
type filterMsg int

// filterAtOnce is the most entries a filter is applied to at every key
// typed; filterPause is how long typing must pause before a larger tree
// is filtered.
const (
	filterAtOnce = 5000
	filterPause  = 150 * time.Millisecond
)

func (t treeModel) update(msg tea.Msg) (treeModel, tea.Cmd) {
	switch msg := msg.(type) {
	case filterMsg:
		if int(msg) == t.filterSeq {
			return t, t.applyFilter()
		}
	case tea.MouseMsg:
		t.mouse(msg)
	case tea.KeyMsg:
		if t.filtering {
			return t.prompt(msg)
		}
		return t, t.key(msg)
	}
	return t, nil
}

// prompt handles a key while the filter is typed.
func (t treeModel) prompt(msg tea.KeyMsg) (treeModel, tea.Cmd) {
	out, cmd := promptKey(&t.filter, t.c.keys, msg)
	switch out {
	case promptApplied:
		t.filtering = false
		return t, t.applyFilter()
	case promptCancelled:
		t.filtering = false
		t.filter.SetValue("")
		return t, t.applyFilter()
	}
	if len(t.live.nodes) <= filterAtOnce {
		return t, tea.Batch(cmd, t.applyFilter())
	}
	// A large tree is filtered once typing pauses, not at every
	// character.
	t.filterSeq++
	seq := t.filterSeq
	return t, tea.Batch(cmd, tea.Tick(filterPause, func(time.Time) tea.Msg { return filterMsg(seq) }))
}

func (t *treeModel) key(msg tea.KeyMsg) tea.Cmd {
	k := t.c.keys
	prev := t.selected()
	switch {
	case key.Matches(msg, k.Filter):
		t.filtering = true
		t.filter.SetValue(t.filterText)
		return t.filter.Focus()
	case key.Matches(msg, k.ClearFilter):
		t.filter.SetValue("")
		t.applyFilter()
	case key.Matches(msg, k.ShowSame):
		t.showSame = !t.showSame
		t.rebuild(prev)
	case key.Matches(msg, k.HideExplained):
		t.hideExplained = !t.hideExplained
		t.narrowBelow = nil
		t.rebuild(prev)
	case key.Matches(msg, k.StateFilter):
		t.nextStateFilter()
		t.rebuild(prev)
	case key.Matches(msg, k.CauseFilter):
		t.nextCauseFilter()
		t.rebuild(prev)
	case key.Matches(msg, k.Up):
		t.cursor = max(0, t.cursor-1)
	case key.Matches(msg, k.Down):
		t.cursor = min(len(t.rows)-1, t.cursor+1)
	case key.Matches(msg, k.PageUp):
		t.cursor = max(0, t.cursor-t.body())
	case key.Matches(msg, k.PageDown):
		t.cursor = max(0, min(len(t.rows)-1, t.cursor+t.body()))
	case key.Matches(msg, k.Home):
		t.cursor = 0
	case key.Matches(msg, k.End):
		t.cursor = max(0, len(t.rows)-1)
	case key.Matches(msg, k.Expand):
		if sel := t.selected(); sel != nil && t.hasRows(sel) {
			t.expanded[sel] = true
			t.rebuild(sel)
		}
	case key.Matches(msg, k.ExpandAll):
		if sel := t.selected(); sel != nil {
			t.expandAll(sel)
			t.rebuild(sel)
		}
	case key.Matches(msg, k.ExpandTree):
		if t.live.root != nil {
			t.expandAll(t.live.root)
			t.rebuild(prev)
		}
	case key.Matches(msg, k.CollapseTree):
		if t.live.root != nil {
			clear(t.expanded)
			t.expanded[t.live.root] = true
			t.rebuild(t.shownAncestor(prev))
		}
	case key.Matches(msg, k.Toggle):
		if sel := t.selected(); sel != nil && t.hasRows(sel) {
			if t.expanded[sel] {
				t.collapseAll(sel)
			} else {
				t.expandAll(sel)
			}
			t.rebuild(sel)
		}
	case key.Matches(msg, k.Collapse):
		if sel := t.selected(); sel != nil {
			if t.expanded[sel] && len(sel.children) > 0 {
				t.expanded[sel] = false
				t.rebuild(sel)
			} else {
				t.toParent(sel)
			}
		}
	case key.Matches(msg, k.Parent):
		if sel := t.selected(); sel != nil {
			t.toParent(sel)
		}
	}
	t.clampTop()
	return nil
}

// mouse handles the wheel and a click, at a row counted from the top of
// the pane.
func (t *treeModel) mouse(msg tea.MouseMsg) {
	if msg.Action != tea.MouseActionPress {
		return
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		t.cursor = max(0, t.cursor-3)
	case tea.MouseButtonWheelDown:
		t.cursor = max(0, min(len(t.rows)-1, t.cursor+3))
	case tea.MouseButtonLeft:
		y := msg.Y
		if t.titled() {
			y--
		}
		if y >= 0 && y < t.body() && t.top+y < len(t.rows) {
			t.cursor = t.top + y
		}
	}
	t.clampTop()
}

// ingest records finished pairs from the feed, keeping the selection.
func (t *treeModel) ingest(nodes []*diff.Node) {
	keep := t.selected()
	first := t.live.root == nil
	t.live.add(nodes)
	if first && t.live.root != nil {
		t.expanded[t.live.root] = true
	}
	t.rebuild(keep)
}

// finish takes the finished tree: only this goroutine reads it now, and
// it is complete, as FoldMirrors needs.
func (t *treeModel) finish(root *diff.Node) {
	t.root = root
	if root == nil {
		return
	}
	t.narrowBelow = nil // the tree is final: marked again once
	if diff.FoldMirrors(root) > 0 {
		t.live.revisit()
		t.rebuild(t.selected())
	}
}

// rebuild lays out the visible rows, keeping the selection on keep.
func (t *treeModel) rebuild(keep *liveNode) {
	t.rows = t.rows[:0]
	if t.live.root == nil {
		return
	}
	t.matched = nil
	if t.filterText != "" {
		// One pass marks every node that matches or has a match below.
		t.matched = map[*liveNode]bool{}
		t.hits = map[*liveNode]bool{}
		f := newMatcher(t.filterText)
		var mark func(l *liveNode) bool
		mark = func(l *liveNode) bool {
			hit := f.match(l.path())
			if hit {
				t.hits[l] = true
			}
			for _, c := range l.children {
				if (t.showSame || c.visible) && mark(c) {
					hit = true
				}
			}
			if hit {
				t.matched[l] = true
			}
			return hit
		}
		mark(t.live.root)
	}
	if !t.done {
		// The tree still grows: what leads to a pair left too.
		t.narrowBelow = nil
	}
	if t.narrowed() && t.narrowBelow == nil {
		// Marked once the tree is final, not at every key.
		t.narrowBelow = map[*liveNode]bool{}
		var mark func(l *liveNode) bool
		mark = func(l *liveNode) bool {
			hit := t.kept(l)
			for _, c := range l.children {
				if mark(c) {
					hit = true
				}
			}
			if hit {
				t.narrowBelow[l] = true
			}
			return hit
		}
		mark(t.live.root)
	}
	// The root is a row of its own: the image's own differences (its
	// layout, a squashfs input's superblock) are reached as any other.
	var walk func(l *liveNode)
	walk = func(l *liveNode) {
		if !t.shown(l) {
			return
		}
		t.rows = append(t.rows, row{l})
		if t.expanded[l] || t.filterText != "" {
			for _, c := range l.children {
				walk(c)
			}
		}
	}
	walk(t.live.root)
	t.cursor = min(t.cursor, max(0, len(t.rows)-1))
	if keep != nil {
		found := false
		for i, r := range t.rows {
			if r.n == keep {
				t.cursor, found = i, true
				break
			}
		}
		if !found && t.filterText != "" {
			// The selection no longer shows: the first entry that
			// matches itself rather than leads to one.
			for i, r := range t.rows {
				if t.hits[r.n] {
					t.cursor = i
					break
				}
			}
		}
	}
	t.clampTop()
}

// shown says whether a node has a row under the current settings.
func (t *treeModel) shown(l *liveNode) bool {
	if !t.showSame && !l.visible {
		return false
	}
	if t.narrowed() && !t.narrowBelow[l] {
		return false
	}
	if t.filterText == "" {
		return true
	}
	return t.matchesBelow(l)
}

func (t *treeModel) matchesBelow(l *liveNode) bool { return t.matched[l] }

// narrowed says whether rows are left out by what they differ in.
func (t *treeModel) narrowed() bool {
	return t.hideExplained || t.stateFilter != diff.Same || t.causeFilter != ""
}

// kept reports whether a finished pair's own differences pass the
// filters by kind and cause.
func (t *treeModel) kept(l *liveNode) bool {
	n := l.d
	if !l.done || !n.OwnDifferences() {
		return false
	}
	if t.hideExplained && !n.Unexplained() {
		return false
	}
	if t.stateFilter != diff.Same && n.State != t.stateFilter {
		return false
	}
	if t.causeFilter != "" && !slices.ContainsFunc(n.Causes, func(c diff.Cause) bool { return c.Label == t.causeFilter }) {
		return false
	}
	return true
}

// stateFilters are the kinds of difference T steps through.
var stateFilters = []diff.State{diff.Same, diff.Modified, diff.Added, diff.Removed, diff.TypeChanged}

// nextStateFilter is the kind of difference after the one shown.
func (t *treeModel) nextStateFilter() {
	i := slices.Index(stateFilters, t.stateFilter)
	t.stateFilter = stateFilters[(i+1)%len(stateFilters)]
	t.narrowBelow = nil
}

// nextCauseFilter is the known cause after the one shown, in the order
// of the summary (most differences first), then none.
func (t *treeModel) nextCauseFilter() {
	if t.root == nil {
		t.note = "the causes are known once the comparison is done"
		return
	}
	labels := []string{""}
	for _, c := range diff.Summarize(t.root).ByCause {
		labels = append(labels, c.Label)
	}
	i := slices.Index(labels, t.causeFilter)
	t.causeFilter = labels[(i+1)%len(labels)]
	t.narrowBelow = nil
	if len(labels) == 1 {
		t.note = "no difference has a known cause"
	}
}

func (t *treeModel) selected() *liveNode {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return nil
	}
	return t.rows[t.cursor].n
}

// titled says whether the pane has a title row.
func (t treeModel) titled() bool { return t.height >= 4 }

// body is the rows of tree rows: the pane less its title.
func (t treeModel) body() int {
	if t.titled() {
		return t.height - 1
	}
	return t.height
}

// clampTop keeps the cursor on a row and the offset where the cursor
// shows and no page is left half empty needlessly.
func (t *treeModel) clampTop() {
	h := t.body()
	t.cursor = max(0, min(t.cursor, len(t.rows)-1))
	if t.cursor < t.top {
		t.top = t.cursor
	}
	if t.cursor >= t.top+h {
		t.top = t.cursor - h + 1
	}
	t.top = max(0, min(t.top, max(0, len(t.rows)-h)))
}

// promptOutcome is what a key did to a prompt.
type promptOutcome int

const (
	promptTyping    promptOutcome = iota // edited the text (or moved in it)
	promptApplied                        // Enter: the text is to be used
	promptCancelled                      // Esc
)

// promptKey feeds a key to a prompt's input, the same way for every
// prompt of the view: Enter applies and Esc cancels, both closing it;
// any other key edits the text, kept safe to draw.
func promptKey(in *textinput.Model, k KeyMap, msg tea.KeyMsg) (promptOutcome, tea.Cmd) {
	switch {
	case key.Matches(msg, k.FilterApply):
		in.Blur()
		return promptApplied, nil
	case key.Matches(msg, k.FilterCancel):
		in.Blur()
		return promptCancelled, nil
	}
	var cmd tea.Cmd
	*in, cmd = in.Update(msg)
	escapeInput(in)
	return promptTyping, cmd
}

// escapeInput keeps a prompt's text safe to draw: a pasted format
// character would reach the terminal in the input line, so it becomes its
// escape, which matches a path as the view shows it.
func escapeInput(in *textinput.Model) {
	if v := in.Value(); needsEscape(v, false) {
		in.SetValue(escapeUnsafe(v))
	}
}

// applyFilter filters the rows by what the filter prompt holds, keeping
// the selection where it still shows.
func (t *treeModel) applyFilter() tea.Cmd {
	t.filterSeq++
	if t.filterText == t.filter.Value() {
		return nil
	}
	t.filterText = t.filter.Value()
	sel := t.selected()
	if sel == nil {
		// A filter that matched nothing keeps the selection made
		// before it for the next one.
		sel = t.filterKeep
	}
	t.filterKeep = sel
	if sel != nil {
		// A filter shows every match opened: the selection stays in
		// view when the filter goes.
		for p := sel.parent; p != nil; p = p.parent {
			t.expanded[p] = true
		}
	}
	t.rebuild(sel)
	return nil
}

func (t *treeModel) toParent(l *liveNode) {
	if l.parent == nil {
		return
	}
	for i, r := range t.rows {
		if r.n == l.parent {
			t.cursor = i
			return
		}
	}
}

func (t *treeModel) collapseAll(l *liveNode) {
	delete(t.expanded, l)
	for _, c := range l.children {
		t.collapseAll(c)
	}
}

// shownAncestor is l, or the nearest node above it whose row shows once
// the tree is collapsed to the root's children.
func (t *treeModel) shownAncestor(l *liveNode) *liveNode {
	for l != nil && l.parent != nil && l.parent != t.live.root {
		l = l.parent
	}
	return l
}

func (t *treeModel) expandAll(l *liveNode) {
	t.expanded[l] = true
	for _, c := range l.children {
		t.expandAll(c)
	}
}

// jumpDiff moves to the next or previous pair with differences of its own
// (the deepest places that differ), expanding what hides it; it reports
// whether there is one to move to.
func (t *treeModel) jumpDiff(dir int) bool { return t.jumpDiffFrom(t.selected(), dir) }

// jumpDiffFrom moves to the next or previous difference after cur (nil:
// from the top).
func (t *treeModel) jumpDiffFrom(cur *liveNode, dir int) bool {
	var order []*liveNode
	var walk func(l *liveNode)
	walk = func(l *liveNode) {
		if !l.visible || (t.filterText != "" && !t.matchesBelow(l)) || (t.narrowed() && !t.narrowBelow[l]) {
			return
		}
		order = append(order, l)
		for _, c := range l.children {
			walk(c)
		}
	}
	if t.live.root == nil {
		return false
	}
	walk(t.live.root)
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
		if l.done && l.d.OwnDifferences() && (!t.narrowed() || t.kept(l)) && (l.parent == nil || !l.parent.done || (l.parent.d.State != diff.Added && l.parent.d.State != diff.Removed)) {
			for p := l.parent; p != nil; p = p.parent {
				t.expanded[p] = true
			}
			t.rebuild(l)
			switch {
			case l == cur:
				t.note = "the only difference"
			case cur != nil && dir > 0 && i <= at:
				t.note = "wrapped to the first difference"
			case cur != nil && dir < 0 && i >= at:
				t.note = "wrapped to the last difference"
			}
			return true
		}
	}
	t.note = "no difference"
	return false
}

// hasRows reports whether l has children to show under the settings.
func (t *treeModel) hasRows(l *liveNode) bool {
	for _, c := range l.children {
		if t.shown(c) {
			return true
		}
	}
	return false
}

// firstScreen selects the first difference, opens the path to the first
// difference below the root (the root's own come first when it has any,
// and would otherwise leave one collapsed row for the whole tree), then
// opens the tree level by level while the rows fit the pane.
func (t *treeModel) firstScreen() {
	t.jumpDiffFrom(nil, 1)
	t.note = ""
	first := t.selected()
	if first == nil {
		return
	}
	if first == t.live.root {
		t.jumpDiffFrom(first, 1)
		t.note = ""
		t.rebuild(first)
	}
	h := t.body()
	for depth := 0; ; depth++ {
		opened := false
		for i := 0; i < len(t.rows); i++ {
			l := t.rows[i].n
			if l.depth != depth || t.expanded[l] {
				continue
			}
			k := 0
			for _, c := range l.children {
				if t.shown(c) {
					k++
				}
			}
			if k == 0 {
				continue
			}
			if len(t.rows)+k > h {
				continue
			}
			t.expanded[l] = true
			t.rebuild(first)
			opened = true
		}
		if !opened && depth > t.maxRowDepth() {
			return
		}
	}
}

// maxRowDepth is the depth of the deepest row shown.
func (t *treeModel) maxRowDepth() int {
	d := 0
	for _, r := range t.rows {
		d = max(d, r.n.depth)
	}
	return d
}

// view draws the pane, every line as wide as the pane.
func (t treeModel) view(focused bool) string {
	w, h := t.width, t.height
	s := t.c.styles
	lines := make([]string, 0, h)
	if t.titled() {
		lines = append(lines, paneTitle(s, "tree", focused, w))
	}
	if len(t.rows) == 0 {
		msg := "comparing…"
		if t.done {
			switch {
			case t.hideExplained && t.root != nil && t.root.Differs() && t.stateFilter == diff.Same && t.causeFilter == "":
				msg = "nothing unexplained (H shows the rest)"
			case t.narrowed() && t.root != nil && t.root.Differs():
				msg = "no difference of that kind (T, K, H show the rest)"
			case t.filterText != "":
				msg = "no entry matches " + show(t.filterText)
			case t.showSame:
				msg = "nothing to show"
			default:
				msg = "no differences"
			}
		}
		lines = append(lines, s.paint(s.dim, msg))
	}
	for i := t.top; i < len(t.rows) && len(lines) < h; i++ {
		lines = append(lines, t.row(t.rows[i].n, w, i == t.cursor))
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

func (t treeModel) row(l *liveNode, w int, selected bool) string {
	s := t.c.styles
	indent := strings.Repeat("  ", l.depth)
	arrow := "  "
	if len(l.children) > 0 {
		arrow = "▸ "
		if t.expanded[l] || t.filterText != "" {
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
