package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// gzipFile writes text, gzipped, to dir/name.
func gzipFile(t *testing.T, dir, name string, text []byte) string {
	t.Helper()
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(text)
	w.Close()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lines is n numbered lines, the last one changed when changed is set.
func lines(n int, changed bool) []byte {
	var b bytes.Buffer
	for i := range n {
		if changed && i == n-1 {
			b.WriteString("changed\n")
			continue
		}
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.Bytes()
}

// runAs runs the built command through sh, as the given user when uid is
// not -1, with extra environment.
func runAs(t *testing.T, uid int, script string, env ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), env...)
	if uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	return runCommand(t, cmd)
}

// TestLocalFailures: what fails on this machine (the temporary directory,
// a full disk, a directory it may not list) makes the comparison exit 2
// naming the cause, never 1 as if the input were to blame.
func TestLocalFailures(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	// Readable by an unprivileged user too, up to the temporary directory.
	for _, p := range []string{dir, bin} {
		for ; p != os.TempDir() && p != "/" && p != "."; p = filepath.Dir(p) {
			os.Chmod(p, 0o755)
		}
	}
	a := gzipFile(t, dir, "a.gz", lines(200000, false))
	b := gzipFile(t, dir, "b.gz", lines(200000, true))
	// Permissions bind only an unprivileged user: as root, run as nobody.
	nobody := -1
	if os.Geteuid() == 0 {
		nobody = 65534
	}
	readOnly := filepath.Join(dir, "read-only")
	os.Mkdir(readOnly, 0o555)

	treeA, treeB := filepath.Join(dir, "tree-a"), filepath.Join(dir, "tree-b")
	for _, tree := range []string{treeA, treeB} {
		os.MkdirAll(filepath.Join(tree, "sub"), 0o755)
		os.WriteFile(filepath.Join(tree, "sub", "f"), []byte("same\n"), 0o644)
	}
	os.Chmod(filepath.Join(treeB, "sub"), 0o000)
	defer os.Chmod(filepath.Join(treeB, "sub"), 0o755)
	setMtimes(t, treeA)

	for _, tc := range []struct {
		name, script string
		uid          int
		env          []string
		stderr       string
	}{
		{"missing TMPDIR", bin + " " + a + " " + b, -1, []string{"TMPDIR=" + filepath.Join(dir, "none")}, "spooling a decompressed stream"},
		{"file too large", "ulimit -f 64; exec " + bin + " " + a + " " + b, -1, nil, "file too large"},
		{"TMPDIR not writable", bin + " " + a + " " + b, nobody, []string{"TMPDIR=" + readOnly}, "permission denied"},
		{"directory not listable", bin + " " + treeA + " " + treeB, nobody, nil, "listing " + filepath.Join(treeB, "sub") + ": permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out, errs := runAs(t, tc.uid, tc.script, tc.env...)
			if status != 2 {
				t.Fatalf("exit status %d, want 2\nstderr: %s\nstdout: %s", status, errs, out)
			}
			if !strings.Contains(errs, tc.stderr) {
				t.Errorf("stderr %q does not name the cause %q", errs, tc.stderr)
			}
		})
	}
}

// TestDecompressionBombs: streams that decompress to more than the
// comparison may spool stop it, whatever the schedule, with one line
// naming the limit and no partial report.
func TestDecompressionBombs(t *testing.T) {
	dir := t.TempDir()
	// Not zeros, which are not stored at all.
	bomb := bytes.Repeat([]byte{'x'}, 96<<20)
	a := gzipFile(t, dir, "a.gz", bomb)
	bomb[len(bomb)-1] = 'y'
	b := gzipFile(t, dir, "b.gz", bomb)
	t.Setenv("TMPDIR", t.TempDir())
	for _, j := range []string{"1", "4"} {
		out, errs, status := runIsodiff(t, "-j", j, "--max-spooled", fmt.Sprint(32<<20), a, b)
		if status != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "(--max-spooled)") {
			t.Errorf("-j %s: status %d, stderr %q, report %q; want 2, one line naming --max-spooled, no report", j, status, errs, out)
		}
	}
	// Under the limit, the same pair is compared to the end.
	out, errs, status := runIsodiff(t, "--max-spooled", fmt.Sprint(256<<20), a, b)
	if status != 1 || !strings.Contains(out, "1 differing byte") {
		t.Errorf("under the limit: status %d, stderr %q\n%s", status, errs, out)
	}
}
