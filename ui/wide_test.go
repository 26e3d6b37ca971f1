package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"isodiff/diff"
	"isodiff/unpack"
)

// columnWc is the cell at which marker starts in line, counted code
// point by code point as tmux, xterm and VTE count, or -1.
func columnWc(line, marker string) int {
	i := strings.Index(line, marker)
	if i < 0 {
		return -1
	}
	return perRune(line[:i])
}

// TestWideNames: rows of wide (CJK) and emoji names keep the separator
// in its column, as a terminal counting cells by code point puts it
// (tmux, xterm, VTE), and a name that fits gets no ellipsis.
func TestWideNames(t *testing.T) {
	names := []string{"データ設定ファイル.txt", "😀.txt", "👍🏽.txt", "❤️.txt", "e\u0301te\u0301.txt", "plain.txt"}
	tree := func(side string) *unpack.Node {
		root := &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: "test", Offset: -1}
		for _, name := range names {
			n := &unpack.Node{Name: name, Type: unpack.TypeFile, Layer: "test", Offset: -1}
			n.AddField("owner", "%s", side)
			root.Children = append(root.Children, n)
		}
		return root
	}
	root := compare(t, "名前.img", tree("a"), tree("b"), diff.DefaultOptions())
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}, {50, 12}} {
		m := finishedOn(root, Input{Path: "名前-a.img"}, Input{Path: "名前-b.img"}, nil, nil, sz[0], sz[1])
		for i := 0; i < len(names)+2; i++ {
			frame := m.View()
			checkFrame(t, frame, sz[0], sz[1], "wide names")
			lines := strings.Split(frame, "\n")
			sep := -1
			for _, l := range lines[1 : 1+m.paneHeight()] {
				at := columnWc(l, " │ ")
				if at < 0 {
					at = columnWc(l, " ━ ")
				}
				if sep >= 0 && at != sep {
					t.Fatalf("%dx%d: the separator moves from cell %d to %d:\n%s", sz[0], sz[1], sep, at, frame)
				}
				sep = at
			}
			for _, name := range names {
				for _, l := range lines {
					if strings.Contains(l, name) && strings.Contains(l, name+"…") {
						t.Errorf("%dx%d: a stray ellipsis after %q: %q", sz[0], sz[1], name, l)
					}
				}
			}
			m = step(m, tea.KeyMsg{Type: tea.KeyDown})
		}
	}
}

// TestResizeKeepsSelection: a smaller window keeps the selected row on
// screen without a key.
func TestResizeKeepsSelection(t *testing.T) {
	root := bigSquashfs(t)
	m := finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, nil, 200, 60)
	m = keys(m, "*", "G")
	sel := m.selected()
	for _, sz := range [][2]int{{120, 40}, {80, 24}, {40, 10}, {30, 6}, {200, 60}} {
		m = step(m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		if m.selected() != sel {
			t.Fatalf("%dx%d: the selection moved", sz[0], sz[1])
		}
		if !strings.Contains(m.View(), "▶") {
			t.Errorf("%dx%d: the selected row is off screen:\n%s", sz[0], sz[1], m.View())
		}
	}
}

// TestRenamedStorePath: a store path under a new hash is one row naming
// both hashes, not a removed and an added row far apart.
func TestRenamedStorePath(t *testing.T) {
	tree := func(hash, content string) *unpack.Node {
		f := &unpack.Node{Name: "bin", Type: unpack.TypeFile, Layer: "test", Offset: -1, Data: strings.NewReader(content)}
		dir := &unpack.Node{Name: hash + "-hello-2.12.1", Type: unpack.TypeDir, Layer: "test", Offset: -1, Children: []*unpack.Node{f}}
		other := &unpack.Node{Name: "0000000000000000000000000000000a-glibc-2.40", Type: unpack.TypeDir, Layer: "test", Offset: -1}
		return &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: "test", Offset: -1, Children: []*unpack.Node{other, dir}}
	}
	root := compare(t, "store", tree("wzjqqxji7hlicx1gdgzmwzvv2cy3kx20", "old\n"), tree("g3nd7j0vqw8bgljxdw408s7y6l95a9hy", "new\n"), diff.DefaultOptions())
	m := finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, nil, 120, 40)
	frame := m.View()
	if !strings.Contains(frame, "wzjq…3kx20→g3nd…5a9hy-hello-2.12.1") {
		t.Errorf("no row names both hashes:\n%s", frame)
	}
	rows := 0
	for _, r := range m.tree.rows {
		if strings.HasSuffix(r.n.d.Name, "hello-2.12.1") {
			rows++
		}
	}
	if rows != 1 {
		t.Errorf("the store path has %d rows:\n%s", rows, frame)
	}
}
