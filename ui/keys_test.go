package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"isodiff/diff"
)

// quits reports whether a command ends the program.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			if quits(c) {
				return true
			}
		}
	}
	return false
}

func TestKeys(t *testing.T) {
	root := compareImages(t, "nixos/nixos-a.iso", "nixos/nixos-grubcfg.iso", nil)
	start := finishedOn(root, Input{Path: "nixos-a.iso"}, Input{Path: "nixos-grubcfg.iso"}, nil, nil, 120, 40)

	t.Run("burst", func(t *testing.T) {
		// "jj" read as one message moves twice, as two messages do.
		top := keys(start, "g")
		one := step(top, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jj")})
		two := keys(top, "j", "j")
		if one.tree.cursor != two.tree.cursor || one.tree.cursor != 2 {
			t.Errorf("jj at once: row %d; j, j: row %d (from 0)", one.tree.cursor, two.tree.cursor)
		}
	})
	t.Run("ctrl+c in the filter prompt", func(t *testing.T) {
		m := keys(start, "/", "g")
		if !m.tree.filtering {
			t.Fatal("/ opens no prompt")
		}
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
		if !quits(cmd) {
			t.Error("ctrl+c in the filter prompt does not quit")
		}
	})
	t.Run("enter on a file", func(t *testing.T) {
		m := keys(start, "G")
		if m.tree.hasRows(m.selected()) {
			t.Fatalf("the last row %s has rows below", m.selected().d.Name)
		}
		if m = keys(m, "enter"); m.focus != detailPane {
			t.Error("enter on a file does not focus the right pane")
		}
		if m = keys(m, "esc"); m.focus != treePane {
			t.Error("esc in the right pane does not return to the tree")
		}
	})
	t.Run("n wraps", func(t *testing.T) {
		root := compareImages(t, "nixos/nixos-a.iso", "nixos/nixos-pyc.iso", nil)
		start := finishedOn(root, Input{Path: "nixos-a.iso"}, Input{Path: "nixos-pyc.iso"}, nil, nil, 120, 40)
		m := start
		var seen []string
		for range 20 {
			m = keys(m, "n")
			seen = append(seen, m.selected().d.Name)
			if strings.Contains(m.message, "wrapped") {
				break
			}
		}
		if !strings.Contains(m.message, "wrapped to the first difference") || m.selected() != start.selected() {
			t.Errorf("n after the last difference: %q, at %s (seen %v)", m.message, m.selected().d.Path(), seen)
		}
		m = keys(m, "N")
		if !strings.Contains(m.message, "wrapped to the last difference") {
			t.Errorf("N before the first: %q", m.message)
		}
	})
	t.Run("click", func(t *testing.T) {
		m := start
		y := m.firstRowY() + 3 - m.tree.top
		m = step(m, tea.MouseMsg{X: 2, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
		if m.tree.cursor != 3 {
			t.Errorf("a click on the fourth row selects row %d", m.tree.cursor)
		}
		m = step(m, tea.MouseMsg{X: m.width - 2, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
		if m.focus != detailPane || m.tree.cursor != 3 {
			t.Errorf("a click in the right pane: focus %d, row %d", m.focus, m.tree.cursor)
		}
	})
	t.Run("filter", func(t *testing.T) {
		// *.cfg matches a name in any directory, in any layer.
		m := keys(start, "/", "*", ".", "c", "f", "g", "enter")
		var names []string
		for _, r := range m.tree.rows {
			if m.tree.hits[r.n] {
				names = append(names, r.n.d.Path())
			}
		}
		if len(names) == 0 || !strings.HasSuffix(names[0], "/grub.cfg") {
			t.Errorf("*.cfg matches %q", names)
		}
		// The selection stays while it still shows, and comes back
		// after a filter that matches nothing ("*.cf").
		for i, r := range m.tree.rows {
			if m.tree.hits[r.n] {
				m.tree.cursor = i
			}
		}
		sel := m.selected()
		for _, k := range []string{"backspace", "backspace", "backspace", "backspace", "backspace"} {
			m = keys(m, "/", k, "enter")
			if len(m.tree.rows) > 0 && m.selected() != sel {
				t.Errorf("filter %q: the selection moved from %s to %v as the filter widened", m.tree.filterText, sel.d.Path(), m.selected())
			}
		}
		if m.tree.filterText != "" {
			t.Errorf("filter %q left", m.tree.filterText)
		}
		if false {
			t.Errorf("filter %q: the selection moved from %s to %v as the filter widened", m.tree.filterText, sel.d.Path(), m.selected())
		}
		none := keys(start, "/", "z", "q", "x", "enter")
		if !strings.Contains(none.View(), "no entry matches zqx") {
			t.Errorf("a filter matching nothing:\n%s", none.View())
		}
	})
}

// TestNarrow: T and K leave the differences of one kind or one cause,
// with what leads to them; n moves among those alone.
func TestNarrow(t *testing.T) {
	root := compareImages(t, "nixos/nixos-a.iso", "nixos/nixos-initrd-dotslash.iso", nil)
	m := finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, nil, 120, 40)
	sum := diff.Summarize(root)
	for _, c := range sum.ByCause {
		m = keys(m, "K")
		if m.tree.causeFilter != c.Label {
			t.Fatalf("K: cause %q, want %q", m.tree.causeFilter, c.Label)
		}
		m = keys(m, "*")
		own := 0
		for _, r := range m.tree.rows {
			if r.n.d.OwnDifferences() && m.tree.kept(r.n) {
				own++
				if !slices.ContainsFunc(r.n.d.Causes, func(x diff.Cause) bool { return x.Label == c.Label }) {
					t.Errorf("K %s: %s shown", c.Label, r.n.d.Path())
				}
			}
		}
		if own != c.Count {
			t.Errorf("K %s: %d rows with the cause, the summary counts %d", c.Label, own, c.Count)
		}
		for range 2 * c.Count {
			m = keys(m, "n")
			if sel := m.selected(); !m.tree.kept(sel) {
				t.Errorf("K %s: n selects %s", c.Label, sel.d.Path())
			}
		}
	}
	if m = keys(m, "K"); m.tree.causeFilter != "" {
		t.Errorf("K after the last cause: %q", m.tree.causeFilter)
	}
	m = keys(m, "T", "T")
	if m.tree.stateFilter != diff.Added || !strings.Contains(m.View(), "no difference of that kind") {
		t.Errorf("T T: %v\n%s", m.tree.stateFilter, m.View())
	}
}

// TestKeysToDeepest counts the keys from the first screen to the deepest
// difference of NixOS-like pairs: at most two each.
func TestKeysToDeepest(t *testing.T) {
	for _, c := range []struct{ b, name string }{
		{"nixos/nixos-pyc.iso", "decoder.cpython-313.pyc"},
		{"nixos/nixos-grubcfg.iso", "grub.cfg"},
		{"nixos/nixos-initrd-member.iso", "stage-1-init.sh"},
	} {
		root := compareImages(t, "nixos/nixos-a.iso", c.b, nil)
		for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
			m := finishedOn(root, Input{Path: "nixos-a.iso"}, Input{Path: c.b}, nil, nil, sz[0], sz[1])
			presses := 0
			for ; presses < 10 && !strings.HasSuffix(m.selected().d.Name, c.name); presses++ {
				m = keys(m, "n")
			}
			t.Logf("%s at %dx%d: %d keys to %s", c.b, sz[0], sz[1], presses, m.selected().d.Path())
			if presses > 2 {
				t.Errorf("%s at %dx%d: %d keys to %s", c.b, sz[0], sz[1], presses, c.name)
			}
			if !strings.Contains(m.View(), "modified") {
				t.Errorf("%s: the difference does not show:\n%s", c.name, m.View())
			}
		}
	}
}

// TestWriteReport: w offers a file name no file has, the report of the
// root is the whole report, and an existing file is never overwritten.
func TestWriteReport(t *testing.T) {
	root := compareImages(t, "nixos/nixos-a.iso", "nixos/nixos-pyc.iso", nil)
	t.Chdir(t.TempDir())
	m := finishedOn(root, Input{Path: "nixos-a.iso"}, Input{Path: "nixos-pyc.iso"}, nil, nil, 120, 40)
	m = keys(m, "g", "w")
	if !m.writing || m.save.Value() != "isodiff-report.txt" || !strings.Contains(m.View(), "write the whole report to: isodiff-report.txt") {
		t.Fatalf("w on the root:\n%s", m.View())
	}
	next, cmd := m.Update(keyMsg("enter"))
	m = next.(Model)
	next, _ = m.Update(cmd())
	m = next.(Model)
	got, err := os.ReadFile("isodiff-report.txt")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := WriteText(&want, Input{Path: "nixos-a.iso"}, Input{Path: "nixos-pyc.iso"}, root, DefaultReportOptions()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the report written from the root is not the whole report")
	}
	if !strings.Contains(m.message, "wrote report to ") || !strings.HasSuffix(m.message, "isodiff-report.txt") {
		t.Errorf("message %q", m.message)
	}
	// The next name offered is a new one; a name typed that exists is
	// refused.
	m = keys(m, "w")
	if m.save.Value() != "isodiff-report-2.txt" {
		t.Errorf("w offers %q after isodiff-report.txt was written", m.save.Value())
	}
	m.save.SetValue("isodiff-report.txt")
	next, cmd = m.Update(keyMsg("enter"))
	m = next.(Model)
	next, _ = m.Update(cmd())
	m = next.(Model)
	if !strings.Contains(m.message, "could not write report") {
		t.Errorf("writing over an existing file: %q", m.message)
	}
	if after, _ := os.ReadFile("isodiff-report.txt"); !bytes.Equal(after, got) {
		t.Error("an existing report was overwritten")
	}
	// esc leaves the prompt and writes nothing.
	m = keys(m, "w", "esc")
	if m.writing {
		t.Error("esc does not close the prompt")
	}
}

// TestExpandCollapse: E opens every row, C closes all but the root's
// children and keeps the selection on the row that held it, o toggles
// the selected subtree.
func TestExpandCollapse(t *testing.T) {
	root := bigSquashfs(t)
	m := finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, nil, 120, 40)
	all := 0
	root.Walk(func(n *diff.Node) bool {
		if n.Differs() {
			all++
		}
		return true
	})
	m = keys(m, "E")
	if len(m.tree.rows) != all {
		t.Errorf("E: %d rows, %d differing pairs", len(m.tree.rows), all)
	}
	m = keys(m, "G")
	m = keys(m, "C")
	if len(m.tree.rows) != 1+len(m.tree.rows[0].n.children) && m.tree.rows[1].n.parent != m.tree.rows[0].n {
		t.Errorf("C: %d rows", len(m.tree.rows))
	}
	if sel := m.selected(); sel == nil || sel.parent != m.tree.live.root {
		t.Errorf("C: the selection is not on the root's child that held it")
	}
	before := len(m.tree.rows)
	m = keys(m, "o")
	if len(m.tree.rows) <= before {
		t.Errorf("o: %d rows, %d before", len(m.tree.rows), before)
	}
	if m = keys(m, "o"); len(m.tree.rows) != before {
		t.Errorf("o o: %d rows, %d before", len(m.tree.rows), before)
	}
}

// TestSearchZoomPager: / in the right pane searches its lines and n/N
// move between them; + and _ zoom; v writes the selection's report for
// the pager.
func TestSearchZoomPager(t *testing.T) {
	root := compareDerived(t, uncompressedSqfs, uncompressedSqfs, longLines(false), longLines(true), nil)
	m := finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, nil, 120, 20)
	m = keys(m, "tab", "/", "l", "i", "n", "e", " ", "0", "enter")
	// "Line 0" is on the changed line on each side and on three after.
	if m.message != "match 1 of 5" || m.detail.vp.YOffset != m.detail.hitLines[0] {
		t.Errorf("search: %q, at line %d, hits %v", m.message, m.detail.vp.YOffset, m.detail.hitLines)
	}
	for range 4 {
		m = keys(m, "n")
	}
	if m.detail.vp.YOffset != m.detail.hitLines[4] {
		t.Errorf("n n n n: at line %d, hits %v", m.detail.vp.YOffset, m.detail.hitLines)
	}
	if m = keys(m, "n"); m.message != "search wrapped to the top" || m.detail.vp.YOffset != m.detail.hitLines[0] {
		t.Errorf("n after the last match: %q at %d", m.message, m.detail.vp.YOffset)
	}
	if m = keys(m, "/", "z", "z", "z", "enter"); m.message != "not found: zzz" {
		t.Errorf("a search finding nothing: %q", m.message)
	}

	m = keys(m, "tab")
	w := m.treeWidth()
	if m = keys(m, "+"); m.treeWidth() <= w || !m.split() {
		t.Errorf("+ with the tree focused: tree %d cells, was %d", m.treeWidth(), w)
	}
	if m = keys(m, "+"); m.split() || !strings.Contains(m.View(), "━ tree") || strings.Contains(m.View(), "details") {
		t.Errorf("+ +: the tree alone:\n%s", m.View())
	}
	if m = keys(m, "_", "_"); m.treeWidth() != w {
		t.Errorf("_ _: tree %d cells, was %d", m.treeWidth(), w)
	}

	cmd := m.pager()
	name, ok := cmd().(pagerMsg)
	if !ok {
		t.Fatalf("v: %v", cmd())
	}
	defer os.Remove(string(name))
	got, _ := os.ReadFile(string(name))
	if !bytes.Contains(got, []byte("LAZY")) || page(string(name)) == nil {
		t.Errorf("the report for the pager:\n%s", got)
	}
}

// asksLayout reports whether cmd lays out the right pane for l.
func asksLayout(cmd tea.Cmd, l layout) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case detailMsg:
		return msg.made == l
	case tea.BatchMsg:
		for _, c := range msg {
			if asksLayout(c, l) {
				return true
			}
		}
	}
	return false
}

// TestRouting: the root model sends a key to the pane it acts on, or to
// the focused pane when both would take it, and the wheel to the pane
// under the pointer.
func TestRouting(t *testing.T) {
	root := compareImages(t, "nixos/nixos-a.iso", "nixos/nixos-pyc.iso", nil)
	m := finishedOn(root, Input{Path: "nixos-a.iso"}, Input{Path: "nixos-pyc.iso"}, nil, nil, 120, 20)
	m = selectNamed(t, m, "nix-path-registration")
	m = keys(m, "u")
	if len(m.detail.det.lines) <= m.detail.body() {
		t.Fatalf("%d lines fit the pane of %d: nothing to scroll", len(m.detail.det.lines), m.detail.body())
	}
	cursor := m.tree.cursor

	// The right pane focused: j scrolls it, the tree stays.
	d := keys(m, "tab", "j", "j")
	if d.detail.vp.YOffset != 2 || d.tree.cursor != cursor {
		t.Errorf("j j in the right pane: line %d, row %d (was %d)", d.detail.vp.YOffset, d.tree.cursor, cursor)
	}
	// Keys of the tree's filters and of the right pane's modes act
	// whichever pane has the focus.
	if h := keys(d, "H"); !h.tree.hideExplained || h.focus != detailPane {
		t.Errorf("H in the right pane: hidden %v, focus %d", h.tree.hideExplained, h.focus)
	}
	if x := keys(m, "x"); x.detail.mode != viewHex || x.focus != treePane {
		t.Errorf("x in the tree: mode %d, focus %d", x.detail.mode, x.focus)
	}

	// The tree focused: k moves the selection (the entry is the tree's
	// last row), and the new one is laid out from its top.
	if k := keys(d, "tab", "k"); k.tree.cursor != cursor-1 || k.detail.vp.YOffset != 0 || k.detail.det.node != k.selected().d {
		t.Errorf("k in the tree: row %d (was %d), right pane at line %d of %s", k.tree.cursor, cursor, k.detail.vp.YOffset, k.detail.det.node.Path())
	}

	// The widths follow the focus at the half zoom: tab asks for the
	// layout of the new width.
	z := keys(m, "+")
	next, cmd := z.Update(keyMsg("tab"))
	z = next.(Model)
	if z.layout() == z.detail.det.made || !asksLayout(cmd, z.layout()) {
		t.Errorf("tab at the half zoom: the pane is %d cells, laid out for %d, no layout asked", z.layout().width, z.detail.det.made.width)
	}

	// The wheel scrolls the pane under it, whichever has the focus.
	wheel := func(m Model, x int, b tea.MouseButton) Model {
		return step(m, tea.MouseMsg{X: x, Y: 5, Button: b, Action: tea.MouseActionPress})
	}
	if w := wheel(m, m.width-2, tea.MouseButtonWheelDown); w.detail.vp.YOffset != 3 || w.tree.cursor != cursor {
		t.Errorf("the wheel over the right pane: line %d, row %d", w.detail.vp.YOffset, w.tree.cursor)
	}
	if w := wheel(d, 2, tea.MouseButtonWheelUp); w.tree.cursor != max(0, cursor-3) || w.focus != detailPane {
		t.Errorf("the wheel over the tree: row %d (was %d), focus %d", w.tree.cursor, cursor, w.focus)
	}
}

// waitUntil polls cond for up to ten seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// TestEditor: V shows the selection's report in the editor, from a
// read-only copy, vi and its kin started read-only, and removes the copy
// when the editor is done.
func TestEditor(t *testing.T) {
	for _, c := range []struct{ visual, editor, want string }{
		{"", "vim", "vim -R F"},
		{"", "/usr/bin/nvim", "/usr/bin/nvim -R F"},
		{"", "nano", "nano -v F"},
		{"", "emacs -nw", "emacs -nw F"},
		{"nvim", "nano", "nvim -R F"},
		{"", "", "vi -R F"},
	} {
		t.Setenv("VISUAL", c.visual)
		t.Setenv("EDITOR", c.editor)
		if got := strings.Join(editorCommand("F").Args, " "); got != c.want {
			t.Errorf("VISUAL=%q EDITOR=%q: %s, want %s", c.visual, c.editor, got, c.want)
		}
	}

	// An editor named vim that records how it was started and what it
	// was given.
	dir := t.TempDir()
	record := filepath.Join(dir, "record")
	// The record appears whole: the test reads it as soon as it is
	// there.
	script := "#!/bin/sh\nfor a; do f=$a; done\n{ echo \"$@\"; stat -c %a \"$f\"; grep -c LAZY \"$f\"; } >" + record + ".new\nmv " + record + ".new " + record + "\n"
	if err := os.WriteFile(filepath.Join(dir, "vim"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", filepath.Join(dir, "vim"))

	root := compareDerived(t, uncompressedSqfs, uncompressedSqfs, longLines(false), longLines(true), nil)
	m := finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, nil, 120, 40)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	tm.Send(keyMsg("V"))
	var got []byte
	waitUntil(t, "the editor to run", func() bool {
		got, _ = os.ReadFile(record)
		return len(got) > 0
	})
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "-R ") || lines[1] != "444" || lines[2] == "0" {
		t.Fatalf("the editor was started as %q", lines)
	}
	copied := strings.TrimPrefix(lines[0], "-R ")
	waitUntil(t, "the copy to go", func() bool {
		_, err := os.Stat(copied)
		return os.IsNotExist(err)
	})
	tm.Send(keyMsg("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}
