package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"regexp"
	"strings"
	"testing"

	"isodiff/diff"
)

func writeHTML(t *testing.T, root *diff.Node, a, b Input, opt ReportOptions) string {
	t.Helper()
	var out bytes.Buffer
	if err := WriteHTML(&out, a, b, root, opt); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// scriptName is a name that would run a script, were it not escaped: as a
// path its "/" makes a directory of the part before it.
const scriptName = "<script>alert(1)</script>"

// TestHTMLEscapes: names, values, lines and errors from the images, with
// tags, quotes, entities, control characters and bidirectional overrides
// in them, show as text: escaped for HTML, the invisible ones as their
// escapes, none as a tag of its own.
func TestHTMLEscapes(t *testing.T) {
	a, b := map[string]string{}, map[string]string{}
	for _, name := range []string{scriptName, nameBidi, `<img src=x onerror=alert(2)>`, `q"uote'&amp;`} {
		a[name] = "same\n<b>bold</b> \u202eline\n"
		b[name] = "same\n<b>bold</b> \u202eline <script>x</script>\n"
	}
	b["added<script>"] = "new\n"
	page := writeHTML(t, dirTrees(t, a, b), Input{Path: "a<script>\u202e", Size: 1}, Input{Path: "b&amp;", IsDir: true}, DefaultReportOptions())
	if c, ok := leak(page, "\n"); ok {
		t.Errorf("page carries %q", c)
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d <script elements, want the page's own one", n)
	}
	for _, tag := range []string{"<img", "<b>"} {
		if strings.Contains(page, tag) {
			t.Errorf("page makes an element of %s", tag)
		}
	}
	for _, want := range []string{
		"<title>isodiff: a&lt;script&gt;\\u202e ↔ b&amp;amp;</title>",
		`:: /&lt;script&gt;alert(1)&lt;/script&gt;</p>`,
		`a\u202etxt.exe`,
		`&lt;img src=x onerror=alert(2)&gt;`,
		`q&#34;uote&#39;&amp;amp;`,
		`&#43;&lt;b&gt;bold&lt;/b&gt; \u202eline<mark> &lt;script&gt;x&lt;/script&gt;</mark>`,
		`added&lt;script&gt;</span> <span class="reason">added</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// TestHTMLHostileTree: the names, contents, errors and notes that would
// drive a terminal show as their escapes, in the page as in the text
// report.
func TestHTMLHostileTree(t *testing.T) {
	root, a, b := hostileTree(t)
	page := writeHTML(t, root, a, b, DefaultReportOptions())
	if c, ok := leak(page, "\n\t"); ok {
		t.Fatalf("page carries %q", c)
	}
	for _, want := range []string{
		`\x1b]0;title\a\x1b[2J\x1b]52;c;aGVsbG8=\a`, `\u009b31m`, `a\u202etxt.exe`, `\xff\xfeinvalid`,
		`line \x1b[31mred\x1b[0m \u009b2J`, `\u202eevil`, `read error \x1b[31m\u202e\xff`, `note \u009b2J \u2067`,
		`\x1b[2Jtarget\u202e`, `\u2066dir\u2069`,
	} {
		if !strings.Contains(page, html.EscapeString(want)) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// TestHTMLContentSecurityPolicy: the policy allows the page's style and
// script by their hashes, and they are what the page holds, byte for byte;
// the page has no style or event handler attribute, which the policy
// would block.
func TestHTMLContentSecurityPolicy(t *testing.T) {
	root, a, b := hostileTree(t)
	page := writeHTML(t, root, a, b, DefaultReportOptions())
	meta := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if meta == nil {
		t.Fatal("no Content-Security-Policy")
	}
	policy := html.UnescapeString(meta[1])
	for _, el := range []string{"style", "script"} {
		m := regexp.MustCompile(`(?s)<`+el+`>(.*?)</`+el+`>`).FindAllStringSubmatch(page, -1)
		if len(m) != 1 {
			t.Fatalf("%d <%s> elements", len(m), el)
		}
		sum := sha256.Sum256([]byte(m[0][1]))
		want := el + "-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
		if !strings.Contains(policy, want) {
			t.Errorf("policy %q lacks %s", policy, want)
		}
	}
	if !strings.HasPrefix(policy, "default-src 'none';") {
		t.Errorf("policy %q does not forbid by default", policy)
	}
	if m := regexp.MustCompile(`<[a-z]+ [^>]*\b(style|on[a-z]+)=`).FindString(page); m != "" {
		t.Errorf("page has %s", m)
	}
}

// TestHTMLDiffLinesAsText: the lines of text and hex diffs in the page
// read as the text report's, whatever they mark.
func TestHTMLDiffLinesAsText(t *testing.T) {
	text := func(lines []htmlLine) []string {
		var out []string
		for _, l := range lines {
			var b strings.Builder
			for _, s := range l.Segs {
				b.WriteString(s.Text)
			}
			out = append(out, b.String())
		}
		return out
	}
	texts, hexes := 0, 0
	for _, pair := range [][2]string{{"iso/base-a.iso", "iso/text-b.iso"}, {"nixos/nixos-a.iso", "nixos/nixos-pyc.iso"}, {"nixos/nixos-a.iso", "nixos/nixos-b.iso"}} {
		compareImages(t, pair[0], pair[1], nil).Walk(func(n *diff.Node) bool {
			if c := n.Content; c != nil && c.Text != nil {
				texts++
				if got, want := text(htmlTextLines(c.Text)), textDiffLines(c.Text); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s: text lines\n%s\nwant\n%s", n.Path(), strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}
			if c := n.Content; c != nil && c.Hex != nil {
				hexes++
				if got, want := text(htmlHexLines(c.Hex)), hexDiffLines(c.Hex); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s: hex lines\n%s\nwant\n%s", n.Path(), strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}
			return true
		})
	}
	if texts == 0 || hexes == 0 {
		t.Errorf("%d text diffs, %d hex diffs compared", texts, hexes)
	}

	// A side that ends inside a row, and one that ends before it.
	h := &diff.HexDiff{Hunks: []diff.HexHunk{
		{Rows: []diff.HexRow{{Offset: 0, A: []byte("0123456789abcdef"), B: []byte("0123456789ab")}}},
		{Rows: []diff.HexRow{{Offset: 32, A: []byte("tail")}}},
	}}
	lines := htmlHexLines(h)
	if got, want := text(lines), hexDiffLines(h); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("hex lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A's bytes past B's end are marked, as a run, in both columns.
	var marked []string
	for _, s := range lines[0].Segs {
		if s.Mark {
			marked = append(marked, s.Text)
		}
	}
	if strings.Join(marked, "|") != "63 64 65 66|cdef" {
		t.Errorf("marked %q", marked)
	}
}

// TestChangedChars: two lines that share much, or differ in a few runs,
// have their changed runs marked; two lines with nothing in common, or
// too long to diff cheaply, are marked whole by their colour alone.
func TestChangedChars(t *testing.T) {
	join := func(segs []charSeg) string {
		var b strings.Builder
		for _, s := range segs {
			if s.Mark {
				b.WriteString("[" + s.Text + "]")
			} else {
				b.WriteString(s.Text)
			}
		}
		return b.String()
	}
	for _, tc := range []struct {
		a, b, wantA, wantB string
	}{
		{"mtime 1700000000 size 12", "mtime 1700000001 size 12", "mtime 170000000[0] size 12", "mtime 170000000[1] size 12"},
		{"sha256:1694kfqiy03nmbhv4g", "sha256:0w2xgavqmhialhhrxi", "sha256:[1694kfqiy03nmbhv4g]", "sha256:[0w2xgavqmhialhhrxi]"},
		{`say \u202eevil`, `say \u2066evil`, `say [\u202e]evil`, `say [\u2066]evil`},
		{"abc", "xyz", "", ""},
		{strings.Repeat("a", maxCharDiff+1), strings.Repeat("a", maxCharDiff) + "b", "", ""},
	} {
		sa, sb, ok := changedChars(tc.a, tc.b)
		if got := join(sa); got != tc.wantA || join(sb) != tc.wantB || ok != (tc.wantA != "") {
			t.Errorf("changedChars(%q, %q) = %q, %q, %v; want %q, %q", tc.a, tc.b, got, join(sb), ok, tc.wantA, tc.wantB)
		}
	}
}

// TestHTMLIdentical: identical inputs get no page, as in every format;
// inputs whose every difference a filter hid get one that says so.
func TestHTMLIdentical(t *testing.T) {
	root := compareImages(t, "iso/base-a.iso", "iso/base-b.iso", nil)
	if page := writeHTML(t, root, Input{Path: "a"}, Input{Path: "b"}, DefaultReportOptions()); page != "" {
		t.Errorf("identical inputs:\n%s", page)
	}
	opt := DefaultReportOptions()
	opt.Hidden = diff.Hidden{Total: 2, ByCause: map[string]int{"timestamp": 2}}
	page := writeHTML(t, root, Input{Path: "a"}, Input{Path: "b"}, opt)
	if !strings.Contains(page, "identical after filters (2 hidden: timestamp 2)") || strings.Contains(page, `id="tree"`) {
		t.Errorf("identical after filters:\n%s", page)
	}
}
