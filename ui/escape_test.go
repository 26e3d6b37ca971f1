package ui

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"isodiff/diff"
	"isodiff/unpack"
	"isodiff/unpack/localdir"
)

// Names an image may hold that would drive a terminal: a title change, a
// screen clear and a clipboard write; a C1 CSI; a right-to-left override
// that shows "a\u202etxt.exe" as "aexe.txt"; invalid UTF-8.
const (
	nameOSC     = "\x1b]0;title\x07\x1b[2J\x1b]52;c;aGVsbG8=\x07"
	nameC1      = "\u009b31m"
	nameBidi    = "a\u202etxt.exe"
	nameInvalid = "\xff\xfeinvalid"
)

// leak returns the first character of s that must not reach a terminal
// (C0 controls but those in allowed, DEL, C1 controls, bidirectional
// controls, invalid UTF-8), and whether there is one.
func leak(s, allowed string) (string, bool) {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return s[i : i+1], true
		case r < 0x20 && !strings.ContainsRune(allowed, r),
			r >= 0x7f && r <= 0x9f,
			r >= 0x202a && r <= 0x202e,
			r >= 0x2066 && r <= 0x2069,
			r == 0x200e || r == 0x200f:
			return string(r), true
		}
	}
	return "", false
}

// hostileTree compares two directories whose entries are named with the
// strings above, differ in content (text lines with control characters,
// binary bytes) and in symlink targets, and are added and removed; an
// error and a note are set on one entry as a reader would.
func hostileTree(t *testing.T) (root *diff.Node, a, b Input) {
	t.Helper()
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	write := func(dir, name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(dir, name, target string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	text := "same\nline \x1b[31mred\x1b[0m \u009b2J\nkeep\n"
	write(dirA, nameOSC, text+"\u202eevil\t\x07tab\n")
	write(dirB, nameOSC, text+"\u2066other\t\x1b]52;c;aGVsbG8=\x07\n")
	write(dirA, nameC1, "only in A\n")
	write(dirB, nameBidi, "only in B\n")
	write(dirA, nameInvalid, "\x00\x01\x02\x1b[2J\x9b")
	write(dirB, nameInvalid, "\x00\x01\x03\x1b[2J\x9b")
	write(dirB, filepath.Join("\u2066dir\u2069", nameOSC), "inside an added directory\n")
	link(dirA, "link", "\x1b[2Jtarget\u202e")
	link(dirB, "link", "\x1b[2Jother\u009b")
	open := func(dir string) *unpack.Node {
		n, err := localdir.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	root = compare(t, "a\x1b[5mdir", open(dirA), open(dirB), diff.DefaultOptions())
	n := root.Child("/").Child(nameOSC)
	if n == nil {
		t.Fatal("no entry named with escape sequences")
	}
	n.ErrA = "read error \x1b[31m\u202e\xff"
	n.Notes = append(n.Notes, "note \u009b2J \u2067")
	return root, Input{Path: dirA + "/\x1b[31m"}, Input{Path: dirB + "/\u202e"}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain name.txt", "plain name.txt"},
		{`back\slash "quoted"`, `back\slash "quoted"`},
		{"中文 ﬁle", "中文 ﬁle"},
		{nameOSC, `\x1b]0;title\a\x1b[2J\x1b]52;c;aGVsbG8=\a`},
		{nameC1, `\u009b31m`},
		{nameBidi, `a\u202etxt.exe`},
		{"\u2066x\u2069\u200f", `\u2066x\u2069\u200f`},
		{nameInvalid, `\xff\xfeinvalid`},
		{"tab\tand \"quote\"\x7f", `tab\tand \"quote\"\x7f`},
	} {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := cleanLine("\tkeep\ttabs\x1b"); got != "\tkeep\ttabs\\x1b" {
		t.Errorf("cleanLine: %q", got)
	}
}

func TestReportEscapes(t *testing.T) {
	root, a, b := hostileTree(t)
	var out bytes.Buffer
	if err := WriteText(&out, a, b, root, DefaultReportOptions()); err != nil {
		t.Fatal(err)
	}
	if c, ok := leak(out.String(), "\n\t"); ok {
		t.Fatalf("report carries %q:\n%s", c, out.String())
	}
	for _, want := range []string{
		`\x1b]0;title\a\x1b[2J\x1b]52;c;aGVsbG8=\a`, `\u009b31m`, `a\u202etxt.exe`, `\xff\xfeinvalid`,
		`line \x1b[31mred\x1b[0m \u009b2J`, `\u202eevil`, `read error \x1b[31m\u202e\xff`, `note \u009b2J \u2067`,
		`\x1b[2Jtarget\u202e`, `\u2066dir\u2069`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %s:\n%s", want, out.String())
		}
	}
}

// jsonString is s as encoding/json decodes it once encoded: each invalid
// byte becomes U+FFFD.
func jsonString(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			b.WriteRune(utf8.RuneError)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestJSONEscapes(t *testing.T) {
	root, a, b := hostileTree(t)
	var out bytes.Buffer
	if err := WriteJSON(&out, a, b, root, diff.Hidden{}); err != nil {
		t.Fatal(err)
	}
	if c, ok := leak(out.String(), "\n"); ok {
		t.Fatalf("JSON carries %q:\n%s", c, out.String())
	}
	for _, want := range []string{`\u001b]0;title\u0007`, `\u009b31m`, `a\u202etxt.exe`, `\u2066dir\u2069`, `\ufffd\ufffdinvalid`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, out.String())
		}
	}
	// Every differing pair's path and error decode to what they were.
	type node struct {
		Source1     string `json:"source1"`
		Source2     string `json:"source2"`
		Comments    []string
		UnifiedDiff *string `json:"unified_diff"`
		Path        string
		ErrA        string `json:"error_a"`
		Notes       []string
		InputA      *Input `json:"input_a"`
		InputB      *Input `json:"input_b"`
		Details     []node
	}
	var tree node
	if err := json.Unmarshal(out.Bytes(), &tree); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if tree.InputA == nil || tree.InputB == nil || tree.InputA.Path != jsonString(a.Path) || tree.InputB.Path != jsonString(b.Path) {
		t.Errorf("inputs %+v %+v, want %q %q", tree.InputA, tree.InputB, a.Path, b.Path)
	}
	// diffoscope's keys are cleaned as the text report is.
	if tree.Source1 != Clean(a.Path) {
		t.Errorf("source1 %q, want %q", tree.Source1, Clean(a.Path))
	}
	got := map[string]node{}
	var walk func(n node)
	walk = func(n node) {
		// What diffoscope shows, decoded, holds no character that would
		// drive a terminal or reorder a line.
		shown := append([]string{n.Source1, n.Source2}, n.Comments...)
		if n.UnifiedDiff != nil {
			shown = append(shown, *n.UnifiedDiff)
		}
		for _, s := range shown {
			if c, ok := leak(s, "\t\n"); ok {
				t.Errorf("%q: diffoscope's keys carry %q: %q", n.Path, c, s)
			}
		}
		if n.Path != "" {
			got[n.Path] = n
		}
		for _, c := range n.Details {
			walk(c)
		}
	}
	walk(tree)
	count := 0
	root.Walk(func(n *diff.Node) bool {
		if n.State == diff.Same {
			return false
		}
		count++
		j, ok := got[jsonString(n.Path())]
		if !ok {
			t.Errorf("JSON lacks the path %q", n.Path())
		} else if j.ErrA != jsonString(n.ErrA) || strings.Join(j.Notes, "\n") != strings.Join(n.Notes, "\n") {
			t.Errorf("%q: error %q notes %q, want %q %q", n.Path(), j.ErrA, j.Notes, n.ErrA, n.Notes)
		}
		return true
	})
	if count != len(got) || count < 6 {
		t.Errorf("%d differing pairs, %d in the JSON", count, len(got))
	}
}

// TestJSONUnchangedForOrdinaryNames: on the fixtures, whose names and
// values are ordinary text (non-ASCII included), the JSON is exactly what
// encoding/json writes.
func TestJSONUnchangedForOrdinaryNames(t *testing.T) {
	anyNonASCII := false
	for _, p := range [][2]string{{"iso/base-a.iso", "iso/addrm-b.iso"}, {"iso/joliet-a.iso", "iso/joliet-b.iso"}, {"nixos/nixos-a.iso", "nixos/nixos-pyc.iso"}, {"nixos/nixos-a.iso", "nixos/nixos-initrd-order.iso"}} {
		root := compareImages(t, p[0], p[1], nil)
		nonASCII := false
		root.Walk(func(n *diff.Node) bool {
			node, _ := newJSONNode(n)
			obj, err := json.Marshal(node)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(escapeJSON(obj), obj) {
				t.Fatalf("%s: %s\nbecame %s", n.Path(), obj, escapeJSON(obj))
			}
			nonASCII = nonASCII || bytes.ContainsFunc(obj, func(r rune) bool { return r >= utf8.RuneSelf })
			return true
		})
		anyNonASCII = anyNonASCII || nonASCII
	}
	if !anyNonASCII {
		t.Error("no pair has a non-ASCII name or value: the test shows nothing of them")
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

var osc52 = regexp.MustCompile("\x1b]52;c;([A-Za-z0-9+/=]*)\x07")

// TestViewEscapes: every frame of the view of hostile names, with colour
// and without, through every entry in every mode and random keys, holds
// no control character but the colours' own SGR sequences; y copies the
// path as shown; the raw override typed into the filter finds the entry.
func TestViewEscapes(t *testing.T) {
	root, a, b := hostileTree(t)
	renderers := map[string]*lipgloss.Renderer{
		"plain":  lipgloss.NewRenderer(&bytes.Buffer{}, termenv.WithProfile(termenv.Ascii)),
		"colour": lipgloss.NewRenderer(&bytes.Buffer{}, termenv.WithProfile(termenv.ANSI256)),
	}
	for name, r := range renderers {
		t.Run(name, func(t *testing.T) {
			var clip bytes.Buffer
			check := func(frame, what string) {
				t.Helper()
				rest := sgr.ReplaceAllString(frame, "")
				if c, ok := leak(rest, "\n"); ok {
					t.Fatalf("%s: frame carries %q:\n%s", what, c, frame)
				}
			}
			m := finishedOn(root, a, b, &clip, r, 120, 30)
			m = keys(m, "a", "g", "e")
			seen := false
			for _, mode := range []string{"t", "s", "x", "s"} {
				m = keys(m, mode, "g")
				for range len(m.tree.rows) {
					next, cmd := m.Update(keyMsg("y"))
					m = next.(Model)
					if cmd != nil {
						cmd()
					}
					check(m.View(), "mode "+mode+" at "+m.selected().d.Name)
					seen = seen || strings.Contains(m.View(), `a\u202etxt.exe`)
					m = keys(m, "tab", "G", "tab", "j")
				}
			}
			if !seen {
				t.Error("the bidi name was never shown escaped")
			}
			copies := osc52.FindAllStringSubmatch(clip.String(), -1)
			if len(copies) == 0 {
				t.Fatal("nothing copied")
			}
			copiedBidi := false
			for _, c := range copies {
				p, err := base64.StdEncoding.DecodeString(c[1])
				if err != nil {
					t.Fatal(err)
				}
				if c, ok := leak(string(p), ""); ok {
					t.Errorf("copied %q carries %q", p, c)
				}
				copiedBidi = copiedBidi || strings.HasSuffix(string(p), `a\u202etxt.exe`)
			}
			if !copiedBidi {
				t.Error("the bidi name was never copied")
			}

			m = keys(m, "g", "/", "\u202e", "enter")
			if m.tree.filterText != `\u202e` {
				t.Errorf("filter %q", m.tree.filterText)
			}
			found := false
			for _, row := range m.tree.rows {
				found = found || row.n.d.Name == nameBidi
			}
			if !found || !strings.Contains(m.View(), `a\u202etxt.exe`) {
				t.Errorf("the override typed into the filter does not find %q:\n%s", nameBidi, m.View())
			}
			check(m.View(), "filter")

			var trail []string
			fuzzView(t, m, rand.New(rand.NewPCG(7, 7)), 600, &trail, func(m Model, frame string) {
				check(frame, strings.Join(trail[max(0, len(trail)-8):], " "))
				checkFrame(t, frame, m.width, m.height, strings.Join(trail[max(0, len(trail)-8):], " "))
			})
		})
	}
}
