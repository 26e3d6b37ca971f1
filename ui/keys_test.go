package ui

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

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
		if one.cursor != two.cursor || one.cursor != 2 {
			t.Errorf("jj at once: row %d; j, j: row %d (from 0)", one.cursor, two.cursor)
		}
	})
	t.Run("ctrl+c in the filter prompt", func(t *testing.T) {
		m := keys(start, "/", "g")
		if !m.filtering {
			t.Fatal("/ opens no prompt")
		}
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
		if !quits(cmd) {
			t.Error("ctrl+c in the filter prompt does not quit")
		}
	})
	t.Run("enter on a file", func(t *testing.T) {
		m := keys(start, "G")
		if m.hasRows(m.selected()) {
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
		y := m.firstRowY() + 3 - m.top
		m = step(m, tea.MouseMsg{X: 2, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
		if m.cursor != 3 {
			t.Errorf("a click on the fourth row selects row %d", m.cursor)
		}
		m = step(m, tea.MouseMsg{X: m.width - 2, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
		if m.focus != detailPane || m.cursor != 3 {
			t.Errorf("a click in the right pane: focus %d, row %d", m.focus, m.cursor)
		}
	})
	t.Run("filter", func(t *testing.T) {
		// *.cfg matches a name in any directory, in any layer.
		m := keys(start, "/", "*", ".", "c", "f", "g", "enter")
		var names []string
		for _, r := range m.rows {
			if m.hits[r.n] {
				names = append(names, r.n.d.Path())
			}
		}
		if len(names) == 0 || !strings.HasSuffix(names[0], "/grub.cfg") {
			t.Errorf("*.cfg matches %q", names)
		}
		// The selection stays while it still shows, and comes back
		// after a filter that matches nothing ("*.cf").
		for i, r := range m.rows {
			if m.hits[r.n] {
				m.cursor = i
			}
		}
		sel := m.selected()
		for _, k := range []string{"backspace", "backspace", "backspace", "backspace", "backspace"} {
			m = keys(m, "/", k, "enter")
			if len(m.rows) > 0 && m.selected() != sel {
				t.Errorf("filter %q: the selection moved from %s to %v as the filter widened", m.filterText, sel.d.Path(), m.selected())
			}
		}
		if m.filterText != "" {
			t.Errorf("filter %q left", m.filterText)
		}
		if false {
			t.Errorf("filter %q: the selection moved from %s to %v as the filter widened", m.filterText, sel.d.Path(), m.selected())
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
		if m.causeFilter != c.Label {
			t.Fatalf("K: cause %q, want %q", m.causeFilter, c.Label)
		}
		m = keys(m, "*")
		own := 0
		for _, r := range m.rows {
			if r.n.d.OwnDifferences() && m.kept(r.n) {
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
			if sel := m.selected(); !m.kept(sel) {
				t.Errorf("K %s: n selects %s", c.Label, sel.d.Path())
			}
		}
	}
	if m = keys(m, "K"); m.causeFilter != "" {
		t.Errorf("K after the last cause: %q", m.causeFilter)
	}
	m = keys(m, "T", "T")
	if m.stateFilter != diff.Added || !strings.Contains(m.View(), "no difference of that kind") {
		t.Errorf("T T: %v\n%s", m.stateFilter, m.View())
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
	if len(m.rows) != all {
		t.Errorf("E: %d rows, %d differing pairs", len(m.rows), all)
	}
	m = keys(m, "G")
	m = keys(m, "C")
	if len(m.rows) != 1+len(m.rows[0].n.children) && m.rows[1].n.parent != m.rows[0].n {
		t.Errorf("C: %d rows", len(m.rows))
	}
	if sel := m.selected(); sel == nil || sel.parent != m.tree.root {
		t.Errorf("C: the selection is not on the root's child that held it")
	}
	before := len(m.rows)
	m = keys(m, "o")
	if len(m.rows) <= before {
		t.Errorf("o: %d rows, %d before", len(m.rows), before)
	}
	if m = keys(m, "o"); len(m.rows) != before {
		t.Errorf("o o: %d rows, %d before", len(m.rows), before)
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
	if m.message != "match 1 of 5" || m.scroll != m.hitLines[0] {
		t.Errorf("search: %q, at line %d, hits %v", m.message, m.scroll, m.hitLines)
	}
	for range 4 {
		m = keys(m, "n")
	}
	if m.scroll != m.hitLines[4] {
		t.Errorf("n n n n: at line %d, hits %v", m.scroll, m.hitLines)
	}
	if m = keys(m, "n"); m.message != "search wrapped to the top" || m.scroll != m.hitLines[0] {
		t.Errorf("n after the last match: %q at %d", m.message, m.scroll)
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
