package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffoscopeLoadsJSON: diffoscope --load-existing-diff reads the JSON
// report back and renders it as text and as HTML, showing the differences
// isodiff found: names, comments, and field, text, hex and order diffs
// (HTML marks up the spaces and changed characters of diff lines, so only
// names, comments and context lines are looked for there).
func TestDiffoscopeLoadsJSON(t *testing.T) {
	if _, err := exec.LookPath("diffoscope"); err != nil {
		t.Skip("diffoscope not installed")
	}
	for _, tc := range []struct {
		name, a, b string
		text, html []string // parts of each rendering
	}{
		{"pyc", "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-pyc.iso",
			[]string{
				"--- fixtures/nixos/nixos-a.iso\n+++ fixtures/nixos/nixos-pyc.iso\n│┄ 3 differences: 3 modified\n",
				"├── decoder.cpython-313.pyc",
				"│┄ known cause: pyc header: mtime",
				"@@ -1,2 +1,2 @@",
				"-00000000: f30d 0d0a 0000 0000 0100 0000 5908 0000  ............Y...",
				"+00000000: f30d 0d0a 0000 0000 00f1 5365 5908 0000  ..........SeY...",
				"-sha256:1694kfqiy03nmbhv4g3317c8rwhj6d6svm0zz7zr9scq1irymqqd",
				"-squashfs bytes used: 29996\n",
			},
			[]string{"decoder.cpython-313.pyc", "known cause: pyc header: mtime", "nix-path-registration", "/nix/store/rr64xmqy7761kzqpqxya69ckg4cn37sr-linux-6.12"}},
		{"added-removed", fixture(t, "base-a.iso"), fixture(t, "addrm-b.iso"),
			[]string{"├── obsolete.txt", "│┄ removed · iso9660 file", "@@ -1,11 +0,0 @@", "-iso name: OBSOLETE.TXT;1", "├── added.conf", "+iso name: ADDED.CONF;1"},
			[]string{"obsolete.txt", "added.conf", "removed · iso9660 file"}},
		{"mode-mtime", fixture(t, "base-a.iso"), fixture(t, "meta-b.iso"),
			[]string{"-mode: -r--r--r-- (00444)\n", "+mode: -r-xr-xr-x (00555)\n", "│┄ known cause: timestamp: mtime", "+record time: 2001-09-09T01:46:40Z"},
			[]string{"app.conf", "deep.txt", "known cause: timestamp: mtime"}},
		{"initrd-order", "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-initrd-order.iso",
			[]string{"│┄ order differs from position 1:", "-init\n", "+init\n", "│┄ known cause: order only"},
			[]string{"order differs from position 1:", "extra-utils"}},
		{"twobuilds", liveA, liveB,
			[]string{
				"│┄ unexplained: 3 · known causes: timestamp 73, ",
				"-Debian GNU/Linux 12.4 \"Bookworm\" - Live amd64 20240101-10:00\n",
				"-Date: Mon, 01 Jan 2024 06:43:00 UTC\n",
				"│┄ known cause: pyc header: mtime",
				"+tIME: 2024-01-02T09:30:00Z\n",
			},
			[]string{"deb.debian.org_debian_dists_bookworm_Release", "known cause: squashfs mkfs_time", "known cause: timestamp: tIME"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			report := filepath.Join(dir, "report.json")
			if _, errs, status := runIsodiff(t, "--json", report, tc.a, tc.b); status != 1 || errs != "" {
				t.Fatalf("isodiff: status %d, stderr %q", status, errs)
			}
			// diffoscope exits 1 when it shows differences.
			status, text, errs := runCommand(t, exec.Command("diffoscope", "--load-existing-diff", report, "--text", "-"))
			if status != 1 || errs != "" {
				t.Fatalf("diffoscope --text: status %d, stderr %s", status, errs)
			}
			for _, want := range tc.text {
				if !strings.Contains(text, want) {
					t.Errorf("diffoscope's text lacks %q:\n%s", want, text)
				}
			}
			page := filepath.Join(dir, "report.html")
			status, _, errs = runCommand(t, exec.Command("diffoscope", "--load-existing-diff", report, "--html", page))
			if status != 1 || errs != "" {
				t.Fatalf("diffoscope --html: status %d, stderr %s", status, errs)
			}
			html, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.html {
				if !strings.Contains(string(html), want) {
					t.Errorf("diffoscope's HTML lacks %q", want)
				}
			}
		})
	}
}
