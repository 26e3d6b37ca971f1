package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// demoBuild is the build script of the bisect demo's repository, its
// "nixpkgs": it makes an ISO image of rootfs/ with xorriso, reproducibly
// until a commit changes that. "build.sh --check OUT" stands in for
// nix-build --check --keep-failed: it builds again beside OUT, keeps the
// rebuild as OUT.check, and exits 104 when the two differ, as Nix does.
const demoBuild = `#!/bin/sh
set -eu
check=
if [ "$1" = --check ]; then check=1; shift; fi
out=$1
[ -z "$check" ] || out=$1.check
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R rootfs "$work/tree"
find "$work/tree" -exec touch -h -d @315532800 {} +
rm -f "$out"
SOURCE_DATE_EPOCH=315532800 xorriso -no_rc -report_about SORRY \
	-volume_date all_file_dates =315532800 -as mkisofs -R -J -V DEMO -o "$out" "$work/tree" 2>/dev/null
if [ -n "$check" ] && ! cmp -s "$1" "$out"; then
	echo "error: derivation may not be deterministic: output '$1' differs from '$out'" >&2
	exit 104
fi
`

// demoCommit is one commit of the demo's history: files to write (an
// empty content removes the file) and, for build.sh, an edit of it.
type demoCommit struct {
	msg   string
	files map[string]string
	edit  [2]string // build.sh: replace edit[0] with edit[1]
}

// demoHistory: the image changes in "motd: welcome to 1.1"; the build
// breaks in "build: take the tree from rootfs.d" and works again two
// commits later; "build: record when the image was built" makes every
// build of the image differ from the one before.
var demoHistory = []demoCommit{
	{msg: "initial image", files: map[string]string{
		"rootfs/etc/motd":       "Welcome to demo 1.0\n",
		"rootfs/etc/os-release": "NAME=demo\nID=demo\n",
		"README":                "The demo system's image: ./build.sh OUT.iso\n",
	}},
	{msg: "docs: say what the image holds", files: map[string]string{
		"README": "The demo system's image: ./build.sh OUT.iso\nIt holds /etc/motd and /etc/os-release.\n",
	}},
	{msg: "motd: welcome to 1.1", files: map[string]string{"rootfs/etc/motd": "Welcome to demo 1.1\n"}},
	{msg: "os-release: add VERSION_ID", files: map[string]string{"rootfs/etc/os-release": "NAME=demo\nID=demo\nVERSION_ID=1.1\n"}},
	{msg: "docs: name the files", files: map[string]string{
		"README": "The demo system's image: ./build.sh OUT.iso\nIt holds etc/motd and etc/os-release.\n",
	}},
	{msg: "build: take the tree from rootfs.d", edit: [2]string{"cp -R rootfs ", "cp -R rootfs.d "}},
	{msg: "os-release: add PRETTY_NAME", files: map[string]string{
		"rootfs/etc/os-release": "NAME=demo\nID=demo\nVERSION_ID=1.1\nPRETTY_NAME=\"demo 1.1\"\n",
	}},
	{msg: "build: go back to rootfs", edit: [2]string{"cp -R rootfs.d ", "cp -R rootfs "}},
	{msg: "docs: the image is an ISO", files: map[string]string{
		"README": "The demo system's ISO image: ./build.sh OUT.iso\nIt holds etc/motd and etc/os-release.\n",
	}},
	{msg: "build: record when the image was built", edit: [2]string{
		"find \"$work/tree\"", "date -u +%Y-%m-%dT%H:%M:%S.%NZ >\"$work/tree/etc/build-time\"\nfind \"$work/tree\""}},
	{msg: "motd: point to the docs", files: map[string]string{"rootfs/etc/motd": "Welcome to demo 1.1. See /usr/share/doc.\n"}},
	{msg: "docs: how to build", files: map[string]string{
		"README": "The demo system's ISO image: ./build.sh OUT.iso (needs xorriso).\nIt holds etc/motd and etc/os-release.\n",
	}},
}

// TestBisectDemo: git bisect run, with the README's recipes, over a small
// repository whose commits build an ISO image, finds the commit that
// changed the image (against a known-good one) and the commit that made
// it unreproducible (building twice, and as with nix-build --check); the
// commit whose build fails is skipped (exit 125), never blamed. The
// recipe the README gave before, with "|| exit 125" after a check build
// that fails when the rebuild differs, skips the commits it looks for.
func TestBisectDemo(t *testing.T) {
	for _, tool := range []string{"git", "xorriso", "sh", "cmp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	bin := buildBinary(t)
	repo := t.TempDir()
	env := append(os.Environ(),
		"PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+t.TempDir(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=isodiff", "GIT_AUTHOR_EMAIL=isodiff@example.org",
		"GIT_COMMITTER_NAME=isodiff", "GIT_COMMITTER_EMAIL=isodiff@example.org",
		"LC_ALL=C", "TZ=UTC")
	git := func(t *testing.T, extra []string, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = repo, append(env, extra...)
		status, out, errs := runCommand(t, cmd)
		return status, out + errs
	}
	must := func(t *testing.T, args ...string) string {
		t.Helper()
		status, out := git(t, nil, args...)
		if status != 0 {
			t.Fatalf("git %s: status %d\n%s", strings.Join(args, " "), status, out)
		}
		return strings.TrimSpace(out)
	}

	must(t, "init", "-q", "-b", "main")
	build := demoBuild
	sha := map[string]string{}
	for i, c := range demoHistory {
		if c.edit[0] != "" {
			if !strings.Contains(build, c.edit[0]) {
				t.Fatalf("%s: build.sh has no %q", c.msg, c.edit[0])
			}
			build = strings.Replace(build, c.edit[0], c.edit[1], 1)
		}
		files := map[string]string{"build.sh": build}
		for name, content := range c.files {
			files[name] = content
		}
		for name, content := range files {
			p := filepath.Join(repo, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		// Fixed dates: the same history, the same commit ids, every run.
		date := fmt.Sprintf("GIT_AUTHOR_DATE=%d +0000", 1704103200+3600*i)
		commitDate := strings.Replace(date, "AUTHOR", "COMMITTER", 1)
		if status, out := git(t, nil, "add", "-A"); status != 0 {
			t.Fatal(out)
		}
		if status, out := git(t, []string{date, commitDate}, "commit", "-q", "-m", c.msg); status != 0 {
			t.Fatal(out)
		}
		sha[c.msg] = must(t, "rev-parse", "--short", "HEAD")
	}
	first, head := sha[demoHistory[0].msg], sha[demoHistory[len(demoHistory)-1].msg]
	broken := sha["build: take the tree from rootfs.d"]

	// The known-good image, built once from the first commit, outside the
	// repository.
	good := filepath.Join(t.TempDir(), "good.iso")
	must(t, "checkout", "-q", first)
	cmd := exec.Command("./build.sh", good)
	cmd.Dir, cmd.Env = repo, env
	if status, _, errs := runCommand(t, cmd); status != 0 {
		t.Fatalf("build.sh: status %d %s", status, errs)
	}
	must(t, "checkout", "-q", "main")

	for _, tc := range []struct {
		name, script string
		want         string // the first bad commit; "" for none found
	}{
		{"against a known-good image", "./build.sh result.iso || exit 125; isodiff --bisect " + good + " result.iso",
			sha["motd: welcome to 1.1"]},
		{"built twice", "./build.sh r1.iso || exit 125; ./build.sh r2.iso || exit 125; isodiff --bisect r1.iso r2.iso",
			sha["build: record when the image was built"]},
		{"built twice with --check", "./build.sh r1.iso || exit 125; ./build.sh --check r1.iso 2>/dev/null; s=$?; " +
			"[ $s = 0 ] && exit 0; [ $s = 104 ] || exit 125; isodiff --bisect r1.iso r1.iso.check",
			sha["build: record when the image was built"]},
		{"the former recipe, which skips what it looks for", "./build.sh r1.iso || exit 125; ./build.sh --check r1.iso || exit 125; " +
			"isodiff --bisect r1.iso r1.iso.check", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			must(t, "bisect", "start", head, first)
			defer must(t, "bisect", "reset")
			status, out := git(t, nil, "bisect", "run", "sh", "-c", tc.script)
			log := must(t, "bisect", "log")
			t.Logf("git bisect run sh -c '%s'\n%s", tc.script, log)
			if tc.want == "" {
				if strings.Contains(log, "# first bad commit:") || !strings.Contains(log, "# only skipped commits left to test") {
					t.Errorf("found a first bad commit:\n%s", out)
				}
				return
			}
			if status != 0 || !strings.Contains(out, "is the first bad commit") {
				t.Fatalf("git bisect run: status %d\n%s", status, out)
			}
			if !strings.Contains(log, "# first bad commit: ["+tc.want) {
				t.Errorf("the first bad commit is not %s", tc.want)
			}
			// The broken build was met, and skipped.
			if !strings.Contains(log, "# skip: ["+broken) || strings.Contains(log, "# bad: ["+broken) {
				t.Errorf("%s, whose build fails, was not skipped", broken)
			}
		})
	}
}
