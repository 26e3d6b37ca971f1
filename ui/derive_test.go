package ui

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"isodiff/diff"
)

// The pairs below are derived in memory from committed fixtures, for what
// no committed pair shows: many differences in one image, long lines.

// uncompressedSqfs is fixtures/squashfs/uncompressed.sqfs: every block
// and metadata block stored as is, so that a byte of an inode or of a
// file can be changed in place.
const uncompressedSqfs = "squashfs/uncompressed.sqfs"

// sqfsTable is the byte range of the inode table of a squashfs image.
func sqfsTable(img []byte) (start, end int) {
	return int(binary.LittleEndian.Uint64(img[64:])), int(binary.LittleEndian.Uint64(img[72:]))
}

// fileTime is the mtime of the fixture tree's files (build-squashfs.sh).
const fileTime = 1000000000

// restamped gives every seventh file of the inode table another mtime,
// and the image another mkfs time: a few hundred differences, all
// explained as timestamps, and the image's own difference at its root.
func restamped(img []byte) []byte {
	start, end := sqfsTable(img)
	var was, now [4]byte
	binary.LittleEndian.PutUint32(was[:], fileTime)
	binary.LittleEndian.PutUint32(now[:], fileTime+3600)
	k := 0
	for i := start; i < end; {
		j := bytes.Index(img[i:end], was[:])
		if j < 0 {
			break
		}
		if k%7 == 0 {
			copy(img[i+j:], now[:])
		}
		k++
		i += j + 4
	}
	binary.LittleEndian.PutUint32(img[8:], binary.LittleEndian.Uint32(img[8:])+86400)
	return img
}

// bigSquashfs compares the fixture tree with its restamped copy.
func bigSquashfs(t testing.TB) *diff.Node {
	t.Helper()
	return compareDerived(t, uncompressedSqfs, uncompressedSqfs, nil, restamped, nil)
}

// longLines joins lines 2 and 3 of README.txt into one of 137 cells, in
// place (a newline becomes a space), and, for B (changed), writes "LAZY"
// for the "lazy" at column 124 of it.
func longLines(changed bool) func([]byte) []byte {
	return func(img []byte) []byte {
		i := bytes.Index(img, []byte("Line 02 of the README"))
		nl := i + bytes.IndexByte(img[i:], '\n')
		img[nl] = ' '
		if changed {
			j := nl + bytes.Index(img[nl:], []byte("lazy"))
			copy(img[j:], "LAZY")
		}
		return img
	}
}

func TestDerivedPairs(t *testing.T) {
	root := bigSquashfs(t)
	s := diff.Summarize(root)
	if s.Differences < 250 || len(s.Unexplained) != 0 || !root.OwnDifferences() {
		t.Errorf("restamped: %d differences, %d unexplained, own differences at the root: %v", s.Differences, len(s.Unexplained), root.OwnDifferences())
	}
	long := compareDerived(t, uncompressedSqfs, uncompressedSqfs, longLines(false), longLines(true), nil)
	readme := long.Child("/").Child("README.txt")
	if readme == nil || readme.Content == nil || readme.Content.Text == nil || len(readme.Content.Text.Hunks) != 1 {
		t.Fatalf("long lines: README.txt has no text diff")
	}
}

// TestRootRow: the image's own differences are a row, the first one, and
// the first screen opens the tree down to the first difference below the
// root rather than leaving one collapsed row.
func TestRootRow(t *testing.T) {
	root := bigSquashfs(t)
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		m := finishedOn(root, Input{Path: "a.sqfs"}, Input{Path: "b.sqfs"}, nil, nil, sz[0], sz[1])
		if len(m.tree.rows) == 0 || m.tree.rows[0].n.d != root {
			t.Fatalf("%dx%d: the root is not the first row", sz[0], sz[1])
		}
		if m.selected().d != root {
			t.Errorf("%dx%d: selected %s, want the root, which has differences of its own", sz[0], sz[1], m.selected().d.Path())
		}
		if len(m.tree.rows) < 4 || len(m.tree.rows) > m.paneHeight() {
			t.Errorf("%dx%d: %d rows for a pane of %d", sz[0], sz[1], len(m.tree.rows), m.paneHeight())
		}
		frame := m.View()
		if !strings.Contains(frame, "hello.sh") {
			t.Errorf("%dx%d: the first difference below the root is not on the first screen:\n%s", sz[0], sz[1], frame)
		}
		m = keys(m, "n")
		if sel := m.selected(); sel == nil || sel.d.Name != "hello.sh" {
			t.Errorf("%dx%d: n from the root selects %v", sz[0], sz[1], sel)
		}
	}
}

// TestLongLines: a change past the pane's width is reached by scrolling
// sideways or by wrapping, and its characters are marked.
func TestLongLines(t *testing.T) {
	root := compareDerived(t, uncompressedSqfs, uncompressedSqfs, longLines(false), longLines(true), nil)
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		m := finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, nil, sz[0], sz[1])
		if sel := m.selected(); sel == nil || sel.d.Name != "README.txt" {
			t.Fatalf("%dx%d: selected %v", sz[0], sz[1], sel)
		}
		if strings.Contains(m.View(), "LAZY") {
			t.Fatalf("%dx%d: the change shows without scrolling:\n%s", sz[0], sz[1], m.View())
		}
		scrolled := keys(m, "tab")
		presses := 0
		for ; presses < 20 && !strings.Contains(scrolled.View(), "LAZY"); presses++ {
			scrolled = keys(scrolled, "l")
		}
		if !strings.Contains(scrolled.View(), "LAZY") {
			t.Errorf("%dx%d: the change never shows scrolling right:\n%s", sz[0], sz[1], scrolled.View())
		}
		checkFrame(t, scrolled.View(), sz[0], sz[1], "scrolled")
		// Back: the first h presses scroll back to the start, the next
		// returns to the tree.
		for range presses {
			scrolled = keys(scrolled, "h")
		}
		if scrolled.detail.hscroll != 0 || scrolled.focus != detailPane {
			t.Errorf("%dx%d: after as many h as l: offset %d, focus %d", sz[0], sz[1], scrolled.detail.hscroll, scrolled.focus)
		}
		if scrolled = keys(scrolled, "h"); scrolled.focus != treePane {
			t.Errorf("%dx%d: h at the start of the lines does not return to the tree", sz[0], sz[1])
		}
		wrapped := keys(m, "W")
		if !strings.Contains(wrapped.View(), "LAZY") {
			t.Errorf("%dx%d: the change does not show wrapped:\n%s", sz[0], sz[1], wrapped.View())
		}
		checkFrame(t, wrapped.View(), sz[0], sz[1], "wrapped")
	}
	// In colour, the changed characters of the line pair stand out
	// (reverse video), the rest of the line does not.
	r := lipgloss.NewRenderer(&bytes.Buffer{})
	r.SetColorProfile(termenv.ANSI256)
	m := keys(finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, r, 200, 60), "W")
	s := newStyles(r)
	if v := m.View(); !strings.Contains(v, s.addEm.Render("LAZY")) || !strings.Contains(v, s.delEm.Render("lazy")) {
		t.Errorf("the changed characters are not marked:\n%q", v)
	}
}
