package main

import (
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// htmlPairs are the fixture pairs whose HTML reports are golden files: a
// text diff, a hex diff, entries added and removed, fields, an order, a
// layout, and filters that leave some or nothing.
var htmlPairs = []struct {
	name string
	args []string
}{
	{"text", []string{"fixtures/iso/base-a.iso", "fixtures/iso/text-b.iso"}},
	{"text-folded", []string{"--context", "30", "fixtures/iso/base-a.iso", "fixtures/iso/text-b.iso"}},
	{"binary", []string{"fixtures/iso/base-a.iso", "fixtures/iso/binary-b.iso"}},
	{"added-removed", []string{"fixtures/iso/base-a.iso", "fixtures/iso/addrm-b.iso"}},
	{"mode-mtime", []string{"fixtures/iso/base-a.iso", "fixtures/iso/meta-b.iso"}},
	{"nixos-pyc", []string{"fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-pyc.iso"}},
	{"nixos-initrd-order", []string{"fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-initrd-order.iso"}},
	{"nixos-relayout", []string{"fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-relayout.iso"}},
	{"nixos-epoch-hide-timestamp", []string{"--hide", "timestamp", "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-epoch.iso"}},
	{"nixos-relayout-known-noise", []string{"--ignore-known-noise", "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-relayout.iso"}},
	{"twobuilds", []string{liveA, liveB}},
	{"twobuilds-hide-timestamp", []string{"--hide", "timestamp", liveA, liveB}},
}

var (
	htmlSectionPath = regexp.MustCompile(`<p class="path">(.*)</p>`)
	textSection     = regexp.MustCompile(`(?m)^── (.*) ─+$`)
	htmlUnexplained = regexp.MustCompile(`(?m)^<li>(?:<a href="#d\d+">)?([^<]*)(?:</a>)? <span class="reason">`)
	textUnexplained = regexp.MustCompile(`(?m)^unexplained\n((?:  .*\n)*)`)
)

// TestHTMLReports: the HTML report of fixture pairs, as golden files; it
// has a section for every section of the text report, and lists the same
// unexplained differences.
func TestHTMLReports(t *testing.T) {
	for _, p := range htmlPairs {
		t.Run(p.name, func(t *testing.T) {
			out, errs, _ := runIsodiff(t, append([]string{"--html", "-"}, p.args...)...)
			if errs != "" {
				t.Errorf("stderr: %s", errs)
			}
			text, _, _ := runIsodiff(t, p.args...)
			var got, want []string
			for _, m := range htmlSectionPath.FindAllStringSubmatch(out, -1) {
				got = append(got, html.UnescapeString(m[1]))
			}
			for _, m := range textSection.FindAllStringSubmatch(text, -1) {
				want = append(want, m[1])
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("sections %q, the text report's %q", got, want)
			}
			var unexplained []string
			for _, m := range htmlUnexplained.FindAllStringSubmatch(out, -1) {
				unexplained = append(unexplained, html.UnescapeString(m[1]))
			}
			var textList []string
			if m := textUnexplained.FindStringSubmatch(text); m != nil {
				for _, l := range strings.Split(strings.TrimSuffix(m[1], "\n"), "\n") {
					textList = append(textList, strings.TrimSpace(l))
				}
			}
			for i, u := range unexplained {
				if i >= len(textList) || !strings.HasPrefix(textList[i], u+"  ") {
					t.Errorf("unexplained %q, the text report's %q", unexplained, textList)
					break
				}
			}
			if len(unexplained) != len(textList) {
				t.Errorf("%d unexplained, the text report lists %d", len(unexplained), len(textList))
			}
			if strings.Count(out, "<details") != strings.Count(out, "</details>") || !strings.HasSuffix(out, "</html>\n") {
				t.Errorf("the page's elements are not closed")
			}
			golden.RequireEqual(t, out)
		})
	}
}

// TestHTMLReportSize: --max-report-size bounds the page, which is cut
// between nodes of the tree, closes what it opened, says what it left out
// and links only to what it holds.
func TestHTMLReportSize(t *testing.T) {
	const limit = 16000
	a, b := "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-epoch.iso"
	full, _, _ := runIsodiff(t, "--html", "-", a, b)
	out, errs, status := runIsodiff(t, "--max-report-size", fmt.Sprint(limit), "--html", "-", a, b)
	if status != 1 || errs != "" {
		t.Fatalf("status %d, stderr %s", status, errs)
	}
	if len(full) <= limit || len(out) > limit {
		t.Fatalf("%d bytes cut to %d, limit %d", len(full), len(out), limit)
	}
	if !strings.Contains(out, "[report cut at 16000 bytes: ") || !strings.Contains(out, "raise --max-report-size]") {
		t.Errorf("no note of what was cut")
	}
	if strings.Count(out, "<details") != strings.Count(out, "</details>") || !strings.HasSuffix(out, "</html>\n") {
		t.Errorf("the page's elements are not closed")
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(` id="(d\d+)"`).FindAllStringSubmatch(out, -1) {
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`href="#(d\d+)"`).FindAllStringSubmatch(out, -1) {
		if !ids[m[1]] {
			t.Errorf("a link to %s, which the page does not hold", m[1])
		}
	}
}

// findChromium is the path of a Chromium or Chrome binary, or skips the
// test.
func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found (Debian package chromium)")
	return ""
}

// browser is a headless Chromium tab, and what its pages wrote to the
// console.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	messages []string
}

// newBrowser starts Chromium for the test, stopped when the test ends or
// after a minute, whatever Chromium does.
func newBrowser(t *testing.T) *browser {
	exe := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.WindowSize(1100, 900))
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox, as in CI.
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	br := &browser{ctx: bctx}
	// A violation of the page's Content-Security-Policy is recorded by
	// the page itself too, from before its first script runs.
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cspViolations = []; document.addEventListener("securitypolicyviolation", e => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));`,
	}); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	mctx, stop := context.WithCancel(bctx)
	messages := chromedp.Console(mctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			br.mu.Lock()
			br.messages = append(br.messages, m.String())
			br.mu.Unlock()
		}
	}()
	t.Cleanup(func() { stop(); <-done })
	return br
}

// load opens a file and fails the test on any console message or policy
// violation it causes.
func (br *browser) load(t *testing.T, path string) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(br.ctx, chromedp.Navigate("file://"+abs)); err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	br.clean(t)
}

// clean fails the test on the console messages and policy violations
// so far.
func (br *browser) clean(t *testing.T) {
	t.Helper()
	violations := eval[[]string](t, br, `window.cspViolations`)
	if len(violations) > 0 {
		t.Errorf("Content-Security-Policy violations: %q", violations)
	}
	// Console messages arrive as events: give the last ones time to.
	time.Sleep(200 * time.Millisecond)
	br.mu.Lock()
	defer br.mu.Unlock()
	if len(br.messages) > 0 {
		t.Errorf("console: %q", br.messages)
	}
	br.messages = nil
}

func eval[T any](t *testing.T, br *browser, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(br.ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// screenshot writes a PNG of the whole page to $ISODIFF_SCREENSHOT_DIR,
// or to the test's temporary directory.
func (br *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("ISODIFF_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	// Two frames, so that a change of viewport or colour scheme is
	// painted before the capture.
	eval[bool](t, br, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)
	png, err := chromedp.Run(br.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot is no PNG")
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", filepath.Join(dir, name))
}

// TestHTMLInBrowser: in headless Chromium, the report of a NixOS-like
// pair loads with no console message and no policy violation; a closed
// node opens with a click and shows its content; the page fits a phone's
// width and follows a dark colour scheme. A crafted pair whose names are
// markup shows them as text and runs none of them.
func TestHTMLInBrowser(t *testing.T) {
	br := newBrowser(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "nixos-initrd-member.html")
	if _, errs, status := runIsodiff(t, "--html", report, "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-initrd-member.iso"); status != 1 || errs != "" {
		t.Fatalf("status %d, stderr %s", status, errs)
	}
	br.load(t, report)

	closed := eval[string](t, br, `document.querySelector("details.node:not([open])").id`)
	shown := `document.querySelector("#` + closed + ` > .body").checkVisibility()`
	if eval[bool](t, br, shown) {
		t.Fatalf("the body of closed node %s is visible", closed)
	}
	if err := chromedp.Do(br.ctx, chromedp.Click(chromedp.CSS("#"+closed+" > summary"))); err != nil {
		t.Fatal(err)
	}
	if !eval[bool](t, br, shown) || !eval[bool](t, br, `document.getElementById("`+closed+`").open`) {
		t.Errorf("a click did not open node %s", closed)
	}
	// Following the link to an unexplained difference opens the nodes
	// that hold it.
	if err := chromedp.Do(br.ctx, chromedp.Click(chromedp.CSS(".unexplained-list a"))); err != nil {
		t.Fatal(err)
	}
	target := eval[string](t, br, `document.querySelector(".unexplained-list a").getAttribute("href").slice(1)`)
	if !eval[bool](t, br, `document.querySelector("#`+target+` > summary").checkVisibility()`) {
		t.Errorf("the link did not open the nodes holding %s", target)
	}
	br.screenshot(t, "isodiff-html.png")

	// A phone: nothing wider than the screen but the diffs, which scroll
	// in their boxes.
	if err := chromedp.Do(br.ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	if w := eval[[]int](t, br, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
		t.Errorf("on a phone the page is %d pixels wide, the screen %d", w[0], w[1])
	}
	br.screenshot(t, "isodiff-html-phone.png")
	if err := chromedp.Do(br.ctx, chromedp.ResetViewport()); err != nil {
		t.Fatal(err)
	}

	background := `getComputedStyle(document.body).backgroundColor`
	light := eval[string](t, br, background)
	if _, err := chromedp.Call(br.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	if dark := eval[string](t, br, background); dark == light {
		t.Errorf("the same background, %s, in both colour schemes", dark)
	}
	br.screenshot(t, "isodiff-html-dark.png")
	br.clean(t)

	// Names that are markup, as a directory and a file in it ("/" cannot
	// be in a name), and a right-to-left override.
	names := []string{"<script>window.pwned=1</script>", `<img src=x onerror="window.pwned=2">`, "a\u202etxt.exe"}
	da, db := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, name := range names {
		for i, d := range []string{da, db} {
			p := filepath.Join(d, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(fmt.Sprintf("<script>window.pwned=3</script> %d\n", i)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	hostile := filepath.Join(dir, "hostile.html")
	if _, errs, status := runIsodiff(t, "--html", hostile, da, db); status != 1 || errs != "" {
		t.Fatalf("status %d, stderr %s", status, errs)
	}
	br.load(t, hostile)
	if err := chromedp.Do(br.ctx, chromedp.Click(chromedp.CSS(`button[data-open="1"]`))); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, br, `typeof window.pwned`); got != "undefined" {
		t.Errorf("a name ran as a script: window.pwned is %s", got)
	}
	text := eval[string](t, br, `document.body.innerText`)
	for _, want := range append(names[:2], `a\u202etxt.exe`, "<script>window.pwned=3</script> 1") {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %s", want)
		}
	}
	if strings.ContainsRune(text, '\u202e') {
		t.Errorf("the page shows a right-to-left override as it is")
	}
	if n := eval[int](t, br, `document.querySelectorAll("script, img").length`); n != 1 {
		t.Errorf("%d script and img elements, want the page's own script", n)
	}
	br.clean(t)
}
