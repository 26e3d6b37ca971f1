package ui

import (
	"bytes"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"isodiff/diff"
	"isodiff/unpack"
	"isodiff/unpack/localdir"
)

// Names Markdown would read as emphasis, code, a table cell, a tag, an
// entity, math, strikethrough, a link, a list, a heading, or spaces to
// trim, if they were not escaped.
var markdownNames = []string{
	"a*b*c_d_e.txt",
	"pipe|name`tick`.conf",
	"<img src=x onerror=alert(1)>",
	"-dash",
	"# hash",
	"1. one",
	"&amp; $x$ ~~s~~ [l](u)",
	"  lead",
}

// dirTrees compares two directories made of the files given, name to
// content; a content starting with "->" makes a symbolic link to the rest.
func dirTrees(t *testing.T, a, b map[string]string) *diff.Node {
	t.Helper()
	open := func(files map[string]string) *unpack.Node {
		dir := t.TempDir()
		for name, content := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			var err error
			if target, ok := strings.CutPrefix(content, "->"); ok {
				err = os.Symlink(target, p)
			} else {
				err = os.WriteFile(p, []byte(content), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		// Every time 1 s past the epoch, as in the Nix store: the
		// trees differ in what the test makes differ only.
		err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{{Sec: 1}, {Sec: 1}}, unix.AT_SYMLINK_NOFOLLOW)
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := localdir.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return compare(t, "dir_*a*", open(a), open(b), diff.DefaultOptions())
}

// markdownTree: every name above as a file whose text differs, a folded
// directory, a symbolic link whose targets hold them too, and an added
// file.
func markdownTree(t *testing.T) *diff.Node {
	a, b := map[string]string{}, map[string]string{}
	for _, name := range markdownNames {
		a[name] = "same\nline\n"
		b[name] = "same\nline `code` *em* | cell\n"
	}
	a["dir_with_*stars*/x"], b["dir_with_*stars*/x"] = "1\n", "2\n"
	a["link"], b["link"] = "->to|*a*<i>`x`", "->to|_b_"
	b["added|<b>.txt"] = "new\n"
	return dirTrees(t, a, b)
}

func writeMarkdown(t *testing.T, root *diff.Node, opt ReportOptions) string {
	t.Helper()
	var out bytes.Buffer
	if err := WriteMarkdown(&out, Input{Path: "a_*in*", Size: 1}, Input{Path: "b|in", IsDir: true}, root, opt); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestMarkdownEscapes: names and values are escaped where they stand in
// the tree, the headings, the tables and the lists.
func TestMarkdownEscapes(t *testing.T) {
	md := writeMarkdown(t, markdownTree(t), DefaultReportOptions())
	for _, want := range []string{
		`a\*b\*c\_d\_e.txt`, "pipe\\|name\\`tick\\`.conf", `\<img src=x onerror=alert(1)\>`, `\-dash`, `\# hash`, `1\. one`,
		`\&amp; \$x\$ \~\~s\~\~ \[l\](u)`, `&#32;&#32;lead`,
		`dir\_with\_\*stars\*/x`, "| link target | to\\|\\*a\\*\\<i\\>\\`x\\` | to\\|\\_b\\_ |",
		"### dir\\_\\*a\\* :: /added\\|\\<b\\>.txt\n\n- added · local file\n\n| field | B |\n",
		"| A | a\\_\\*in\\* | 1 bytes |\n| B | b\\|in | directory |",
		"```diff\n@@ -1,2 +1,2 @@\n same\n-line\n+line `code` *em* | cell\n```",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %s:\n%s", want, md)
		}
	}
}

// cmarkGFM renders Markdown as GitHub does, raw HTML included (GitHub lets
// <details> through), or skips the test when cmark-gfm is not installed.
func cmarkGFM(t *testing.T, md string) string {
	t.Helper()
	if _, err := exec.LookPath("cmark-gfm"); err != nil {
		t.Skip("cmark-gfm not installed")
	}
	cmd := exec.Command("cmark-gfm", "--unsafe", "-e", "table", "-e", "strikethrough", "-e", "autolink", "-e", "tagfilter")
	cmd.Stdin = strings.NewReader(md)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

var strong = regexp.MustCompile(`<strong>(.*?)</strong>`)

// TestMarkdownRendersNames: rendered as GitHub renders it, the report
// shows every name as it is, as text, and makes no element of them.
func TestMarkdownRendersNames(t *testing.T) {
	md := writeMarkdown(t, markdownTree(t), DefaultReportOptions())
	page := cmarkGFM(t, md)
	for _, name := range append(markdownNames, "a_*in*", "b|in", "dir_with_*stars*/x", "added|<b>.txt", "to|*a*<i>`x`", "to|_b_", "line `code` *em* | cell") {
		if !strings.Contains(page, html.EscapeString(name)) {
			t.Errorf("the page does not show %q:\n%s", name, page)
		}
	}
	for _, tag := range []string{"<em>", "<del>", "<a ", "<ol", "<h1>", "<img", "<i>", "<b>", "<hr"} {
		if strings.Contains(page, tag) {
			t.Errorf("a name made %s:\n%s", tag, page)
		}
	}
	if code, pre := strings.Count(page, "<code"), strings.Count(page, "<pre><code"); code != pre {
		t.Errorf("%d code elements outside the %d fences:\n%s", code-pre, pre, page)
	}
	for _, m := range strong.FindAllStringSubmatch(page, -1) {
		switch m[1] {
		case "known cause:", "note:", "A:", "B:", "11 differences: 10 modified, 1 added", "unexplained":
		default:
			t.Errorf("unexpected bold text %q", m[1])
		}
	}
}

// TestMarkdownDetails: a long section folds its diff inside <details>,
// which GitHub renders with the Markdown inside it.
func TestMarkdownDetails(t *testing.T) {
	var a, b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&a, "line %d\n", i)
		fmt.Fprintf(&b, "line %d changed\n", i)
	}
	root := dirTrees(t, map[string]string{"long.txt": a.String(), "short.txt": "a\n"}, map[string]string{"long.txt": b.String(), "short.txt": "b\n"})
	md := writeMarkdown(t, root, DefaultReportOptions())
	if !strings.Contains(md, "| size | 310 | 630 |\n\n<details><summary>modified: size; +40 −40 lines</summary>\n\ncontent: 310 → 630 bytes\n\n```diff\n@@ -1,40 +1,40 @@\n") {
		t.Errorf("the long section is not folded:\n%s", md)
	}
	if strings.Count(md, "<details>") != 1 {
		t.Errorf("%d sections folded, want the long one:\n%s", strings.Count(md, "<details>"), md)
	}
	page := cmarkGFM(t, md)
	if !strings.Contains(page, "<details><summary>modified: size; +40 −40 lines</summary>\n<p>content: 310 → 630 bytes</p>\n<pre><code class=\"language-diff\">@@ -1,40 +1,40 @@") {
		t.Errorf("GitHub would not render the diff inside <details>:\n%s", page)
	}
}

// TestMarkdownFence: a fence is longer than any run of backticks in the
// lines it holds, so that none closes it.
func TestMarkdownFence(t *testing.T) {
	got := fence("diff", []string{" ```", "+a````b", "-`"})
	if want := "`````diff\n ```\n+a````b\n-`\n`````"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestMarkdownSize: a report of more differences than GitHub takes is cut
// to its limit, the tree to half of it, and says what it left out.
func TestMarkdownSize(t *testing.T) {
	a, b := map[string]string{}, map[string]string{}
	for i := range 3000 {
		name := fmt.Sprintf("d%d/file-%04d-😀.txt", i%7, i)
		a[name], b[name] = "same\nA\n", "same\nB\n"
	}
	root := dirTrees(t, a, b)
	for _, limit := range []int{DefaultMarkdownSize, 9000} {
		opt := DefaultReportOptions()
		opt.MaxMarkdownSize = limit
		md := writeMarkdown(t, root, opt)
		if n := mdLen(md); n > limit || n < limit*9/10 {
			t.Errorf("limit %d: %d characters", limit, n)
		}
		if !strings.Contains(md, "more lines of this tree not shown") {
			t.Errorf("limit %d: the tree is not cut", limit)
		}
		cut := regexp.MustCompile(`\n---\n\n\*\\\[report cut at (\d+) characters, as GitHub takes them: (\d+) more sections not shown, from (.*); the text report \(--text\) and the JSON \(--json\) have them\\\]\*\n$`)
		m := cut.FindStringSubmatch(md)
		if m == nil || m[1] != fmt.Sprint(limit) {
			t.Fatalf("limit %d: no note of the cut at the end:\n%s", limit, md[len(md)-500:])
		}
		shown := strings.Count(md, "\n### ")
		if m[2] != fmt.Sprint(3000-shown) {
			t.Errorf("limit %d: %d sections shown, the note says %s more of 3000", limit, shown, m[2])
		}
	}
	if mdLen("a😀") != 3 {
		t.Error("a character beyond the BMP counts once")
	}
}

// TestMarkdownControlCharacters: names, values and lines that would drive
// a terminal or reorder a line reach the Markdown escaped, as in the text
// report.
func TestMarkdownControlCharacters(t *testing.T) {
	root, a, b := hostileTree(t)
	var out bytes.Buffer
	if err := WriteMarkdown(&out, a, b, root, DefaultReportOptions()); err != nil {
		t.Fatal(err)
	}
	if c, ok := leak(out.String(), "\t\n"); ok {
		t.Fatalf("Markdown carries %q:\n%s", c, out.String())
	}
	for _, want := range []string{`a\\u202etxt.exe`, `\\u009b31m`, "line \\x1b[31mred\\x1b[0m \\u009b2J", `read error \\x1b\[31m\\u202e\\xff`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Markdown lacks %s:\n%s", want, out.String())
		}
	}
}
