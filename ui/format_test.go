package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"isodiff/diff"
	"isodiff/unpack"
)

// wideTree compares two one-layer trees whose names and field values hold
// wide (CJK) characters, which take two terminal cells each, and combining
// ones, which take none: a rune count is wrong for both. Values of A start
// with "@a" and values of B with "@b", for finding the columns.
func wideTree(t *testing.T) *diff.Node {
	t.Helper()
	file := func(name string, side string, values ...string) *unpack.Node {
		n := &unpack.Node{Name: name, Type: unpack.TypeFile, Layer: "test", Offset: -1}
		names := []string{"名前", "e\u0301tat", "size"}
		for i, v := range values {
			n.AddFields(unpack.Field{Name: names[i], Value: side + v})
		}
		return n
	}
	tree := func(side string, values ...string) *unpack.Node {
		return &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: "test", Offset: -1, Children: []*unpack.Node{
			file("plain", side, values...),
			file("データ", side, values...),
		}}
	}
	root := compare(t, "ａｂ.img", tree("@a", "値", "cafe\u0301", "1"), tree("@b", "値段です", "café au lait", "22"), diff.DefaultOptions())
	if root.Child("データ") == nil || len(root.Child("データ").Changed()) != 3 {
		t.Fatal("the fields do not differ")
	}
	return root
}

// column is the terminal cell at which marker starts in line, or -1.
func column(line, marker string) int {
	i := strings.Index(line, marker)
	if i < 0 {
		return -1
	}
	return ansi.StringWidth(line[:i])
}

// requireAligned checks that the heading of every column of a field table
// and the values below it start at the same cell.
func requireAligned(t *testing.T, lines []string) {
	t.Helper()
	var head string
	var rows []string
	for _, l := range lines {
		switch {
		case strings.Contains(l, "@a"):
			rows = append(rows, l)
		case head == "" && strings.Contains(l, "  A  "):
			head = l
		}
	}
	if head == "" || len(rows) != 3 {
		t.Fatalf("no table of three fields in:\n%s", strings.Join(lines, "\n"))
	}
	colA, colB := column(head, "  A  ")+2, column(head, "  B")+2
	for _, r := range rows {
		if column(r, "@a") != colA || column(r, "@b") != colB {
			t.Errorf("columns at cells %d and %d, want %d and %d:\n%s\n%s", column(r, "@a"), column(r, "@b"), colA, colB, head, r)
		}
	}
}

func TestFieldTableWideCharacters(t *testing.T) {
	root := wideTree(t)
	t.Run("report", func(t *testing.T) {
		var out bytes.Buffer
		if err := WriteText(&out, Input{Path: "a"}, Input{Path: "b"}, root, DefaultReportOptions()); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(out.String(), "\n")
		var section []string
		for i, l := range lines {
			if strings.HasPrefix(l, "── ") && strings.Contains(l, "データ") {
				section = lines[i:]
				if w := ansi.StringWidth(l); w != 78 {
					t.Errorf("section title %d cells wide, want 78: %s", w, l)
				}
			}
		}
		requireAligned(t, section[:6])
		// The overview's reasons start in one column too.
		var reasons []int
		for _, l := range lines {
			if strings.HasPrefix(l, "├── ") || strings.HasPrefix(l, "└── ") {
				reasons = append(reasons, column(l, "modified"))
			}
		}
		if len(reasons) != 2 || reasons[0] != reasons[1] || reasons[0] < 0 {
			t.Errorf("reasons at cells %v:\n%s", reasons, out.String())
		}
	})
	t.Run("view", func(t *testing.T) {
		s := newStyles(lipgloss.NewRenderer(&bytes.Buffer{}, termenv.WithProfile(termenv.Ascii)))
		for _, width := range []int{60, 100} {
			d := renderDetail(root.Child("データ"), layout{viewText, sideOn, width, false}, s)
			var lines []string
			for i := range d.lines {
				lines = append(lines, d.render(i, 0, width))
			}
			requireAligned(t, lines)
		}
	})
}

// TestHexRow: a row is the offset, 16 hex columns in two groups of 8 (blank
// where the row is short) and the bytes as printable ASCII, as hexdump -C
// lays them out.
func TestHexRow(t *testing.T) {
	for _, tc := range []struct {
		off  int64
		b    []byte
		want string
	}{
		{0, []byte("0123456789abcdef"), "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|"},
		{0x10, []byte{0x00, 0x7f, 0x80, 0xff, 0x1f, 0x20, 0x7e}, "00000010  00 7f 80 ff 1f 20 7e                              |..... ~|"},
		{0x123456789a, nil, "123456789a                                                    ||"},
	} {
		if got := hexRow(tc.off, tc.b); got != tc.want {
			t.Errorf("hexRow(%#x, % x)\n got %q\nwant %q", tc.off, tc.b, got, tc.want)
		}
	}
}
