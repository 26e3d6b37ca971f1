package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"isodiff/diff"
)

// The pair of fixtures/twobuilds: one live image configuration built a day
// apart (see fixtures/README.md).
const (
	liveA   = "fixtures/twobuilds/live-a.iso"
	liveB   = "fixtures/twobuilds/live-b.iso"
	liveSq  = "live-a.iso :: /live/filesystem.squashfs"
	livePyc = liveSq + " :: /usr/lib/python3/dist-packages/hello/__pycache__/__init__.cpython-311.pyc"
	liveApt = liveSq + " :: /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_Release"
	livePNG = liveSq + " :: /usr/share/pixmaps/debian-logo.png :: tIME"
)

// liveContent are the files the script made differ in content, each with a
// part of its reason and of its known causes (none: unexplained).
var liveContent = [][3]string{
	{"live-a.iso :: /.disk/info", "+1 −1 lines", ""},
	{"live-a.iso :: /sha256sum.txt", "+4 −4 lines", ""},
	{livePyc, "3 bytes differ at 0x8", "pyc header: mtime"},
	{liveApt, "+1 −1 lines", ""},
}

// liveDated are the differences that follow from the build's time but are
// named by causes of their own, not "timestamp".
var liveDated = [][3]string{
	{"live-a.iso :: /live/initrd.img", "gzip mtime", "gzip header: mtime"},
	{"live-a.iso :: [system area]/MBR", "disk signature", "MBR disk signature"},
	{liveSq, "squashfs mkfs time", "squashfs mkfs_time"},
}

// ownDifferences lists the pairs below root with differences of their own.
func ownDifferences(root *diff.Node) []*diff.Node {
	var out []*diff.Node
	root.Walk(func(n *diff.Node) bool {
		if n.State != diff.Same && n.OwnDifferences() {
			out = append(out, n)
		}
		return true
	})
	return out
}

func causeLabels(n *diff.Node) []string {
	var out []string
	for _, c := range n.Causes {
		out = append(out, c.String())
	}
	return out
}

// checkLeft: the pairs with differences of their own are exactly want
// (path, a part of the reason, a part of the causes).
func checkLeft(t *testing.T, got []*diff.Node, want [][3]string) {
	t.Helper()
	ok := len(got) == len(want)
	for _, w := range want {
		i := slices.IndexFunc(got, func(n *diff.Node) bool { return n.Path() == w[0] })
		if i < 0 || !strings.Contains(got[i].Reason(), w[1]) || !strings.Contains(strings.Join(causeLabels(got[i]), "; "), w[2]) ||
			w[2] == "" && !got[i].Unexplained() {
			ok = false
		}
	}
	if !ok {
		for _, n := range got {
			t.Logf("got %s [%s] %q unexplained %v", n.Path(), n.Reason(), causeLabels(n), n.Unexplained())
		}
		t.Errorf("%d pairs with differences, want %d: %q", len(got), len(want), want)
	}
}

// TestTwoBuilds: of two builds made a day apart, every difference but the
// files that differ in content is a timestamp or named by a cause that
// follows from one; --hide timestamp leaves the content differences and
// those, and the summary counts what it hid.
func TestTwoBuilds(t *testing.T) {
	root := compareFiles(t, liveA, liveB)
	// As the reports do: the Joliet tree's changes that repeat the Rock
	// Ridge tree's are counted at the layer, not as differences.
	diff.FoldMirrors(root)
	isContent := func(p string) bool {
		return slices.ContainsFunc(liveContent, func(w [3]string) bool { return w[0] == p })
	}
	// Before filtering: the content differences are as built, the PNG's
	// tIME is a timestamp, and nothing else is unexplained.
	all := ownDifferences(root)
	timestamps := 0
	for _, n := range all {
		labels := causeLabels(n)
		if isContent(n.Path()) {
			continue
		}
		if n.Unexplained() {
			t.Errorf("%s [%s] %q: unexplained", n.Path(), n.Reason(), labels)
		}
		onlyTime := len(n.Causes) > 0
		for _, c := range n.Causes {
			onlyTime = onlyTime && c.Label == diff.CauseTimestamp
		}
		if onlyTime {
			timestamps++
		}
		if n.Path() == livePNG && !slices.Equal(labels, []string{"timestamp: tIME"}) {
			t.Errorf("%s: causes %q, want the tIME timestamp", n.Path(), labels)
		}
	}
	if !slices.ContainsFunc(all, func(n *diff.Node) bool { return n.Path() == livePNG }) {
		t.Errorf("the PNG's tIME does not differ")
	}

	h := diff.Filter{Hide: []string{diff.CauseTimestamp}}.Apply(root)
	checkLeft(t, ownDifferences(root), append(slices.Clone(liveContent), liveDated...))
	// Hidden: every pair whose differences are all timestamps, and the
	// sizes and counts that only sum them up.
	if h.ByCause[diff.CauseTimestamp] != timestamps || h.Total != timestamps+h.ByCause["derived"] {
		t.Errorf("hidden %+v, want timestamp %d", h, timestamps)
	}

	out, errs, status := runIsodiff(t, "--hide", "timestamp", liveA, liveB)
	if status != 1 || errs != "" {
		t.Fatalf("--hide timestamp: status %d, stderr %q", status, errs)
	}
	left := len(liveContent) + len(liveDated)
	for _, want := range []string{
		fmt.Sprintf("  %d differences: %d modified\n", left, left),
		"  unexplained: 3 · known causes: ",
		"gzip header 1, pyc header 1, squashfs mkfs_time 1",
		fmt.Sprintf(" · %d hidden: timestamp %d\n", h.Total, timestamps),
		"\nunexplained\n  live-a.iso :: /.disk/info  modified: ",
		"\n  " + liveApt + "  modified: ",
		"\n  live-a.iso :: /sha256sum.txt  modified: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--hide timestamp: the report lacks %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"debian-logo.png", "live-a.iso :: /boot/grub/efi.img", "content identical"} {
		if strings.Contains(out, not) {
			t.Errorf("--hide timestamp: the report has %q", not)
		}
	}

	// With the causes that follow from the date hidden as well, the
	// content differences are all that is left.
	root = compareFiles(t, liveA, liveB)
	diff.FoldMirrors(root)
	diff.Filter{Hide: []string{diff.CauseTimestamp, "squashfs mkfs_time", "gzip header", "MBR disk signature"}}.Apply(root)
	checkLeft(t, ownDifferences(root), liveContent)
}

// TestTwoBuildsInBrowser: the HTML report of the pair, with and without
// --hide timestamp, loads in headless Chromium with no console message or
// policy violation, and each unexplained difference's link opens the
// nodes that hold it. Its screenshots are the pair's picture.
func TestTwoBuildsInBrowser(t *testing.T) {
	br := newBrowser(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"isodiff-twobuilds", nil},
		{"isodiff-twobuilds-hide-timestamp", []string{"--hide", "timestamp"}},
	} {
		report := filepath.Join(dir, tc.name+".html")
		args := append(append([]string{"--html", report}, tc.args...), liveA, liveB)
		if _, errs, status := runIsodiff(t, args...); status != 1 || errs != "" {
			t.Fatalf("%s: status %d, stderr %s", tc.name, status, errs)
		}
		br.load(t, report)
		links := eval[[]string](t, br, `[...document.querySelectorAll(".unexplained-list a")].map(a => a.getAttribute("href").slice(1))`)
		if len(links) != 3 {
			t.Errorf("%s: %d unexplained links, want 3", tc.name, len(links))
		}
		for i, target := range links {
			if err := chromedp.Do(br.ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(".unexplained-list li:nth-child(%d) a", i+1)))); err != nil {
				t.Fatal(err)
			}
			if !eval[bool](t, br, `document.querySelector("#`+target+` > summary").checkVisibility()`) {
				t.Errorf("%s: the link did not open the nodes holding %s", tc.name, target)
			}
		}
		br.clean(t)
		br.screenshot(t, tc.name+".png")
	}
}
