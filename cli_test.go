package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBisectStatuses: --bisect maps every outcome onto what git bisect run
// reads, and writes nothing on standard output.
func TestBisectStatuses(t *testing.T) {
	a, same, other := fixture(t, "base-a.iso"), fixture(t, "base-b.iso"), fixture(t, "text-b.iso")
	for _, tc := range []struct {
		name   string
		args   []string
		status int
	}{
		{"identical", []string{"--bisect", a, same}, 0},
		{"different", []string{"--bisect", a, other}, 1},
		{"missing input", []string{"--bisect", a, "/nonexistent.iso"}, 125},
		{"flag after the inputs", []string{a, "/nonexistent.iso", "--bisect"}, 125},
		{"unknown flag", []string{"--bisect", "--no-such-flag", a, other}, 255},
		{"one input", []string{"--bisect", a}, 255},
		{"without --bisect, unknown flag", []string{"--no-such-flag", a, other}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, status := runIsodiff(t, tc.args...)
			if status != tc.status {
				t.Errorf("exit status %d, want %d", status, tc.status)
			}
			if out != "" {
				t.Errorf("wrote to standard output: %q", out)
			}
		})
	}
}

// TestUsageErrors: a mistyped command line gives one line and a hint on
// standard error, never the help on standard output.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--no-such-flag", "a", "b"},
		{"--could-not-compare-status", "256", "a", "b"},
		{"--could-not-compare-status", "-1", "a", "b"},
		{"-j", "-3", "a", "b"},
	} {
		out, errs, status := runIsodiff(t, args...)
		if status != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "(see isodiff --help)") {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want 2, nothing, one line with a hint", args, status, out, errs)
		}
	}
	out, errs, status := runIsodiff(t, "--version")
	if status != 0 || !strings.HasPrefix(out, "isodiff ") || strings.Count(out, "\n") != 1 || errs != "" {
		t.Errorf("--version: status %d, stdout %q, stderr %q", status, out, errs)
	}
	out, _, status = runIsodiff(t, "--help")
	if status != 0 || !strings.Contains(out, "--bisect") {
		t.Errorf("--help: status %d, and the help does not name --bisect:\n%s", status, out)
	}
}

// TestFullScreen: only a terminal that says what it is gets the
// interactive view.
func TestFullScreen(t *testing.T) {
	for _, tc := range []struct {
		tty  bool
		term string
		want bool
	}{
		{true, "xterm-256color", true}, {true, "dumb", false}, {true, "", false}, {false, "xterm", false},
	} {
		if got := fullScreen(tc.tty, tc.term); got != tc.want {
			t.Errorf("fullScreen(%v, %q) = %v, want %v", tc.tty, tc.term, got, tc.want)
		}
	}
}

// TestUnknownFormats: inputs isodiff cannot unpack are compared as bytes
// or text, as cmp and diffoscope compare them.
func TestUnknownFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	emptyA, emptyB := write("empty-a", ""), write("empty-b", "")
	textA, textB := write("a.txt", "one\ntwo\nthree\n"), write("b.txt", "one\n2\nthree\n")
	reversed := write("c.txt", "three\ntwo\none\n")
	for _, tc := range []struct {
		a, b   string
		status int
		report string
	}{
		{emptyA, emptyB, 0, ""},
		{textA, textA, 0, ""},
		{textA, textB, 1, "+2\n"},
		{emptyA, textB, 1, "+three\n"},
		{textA, reversed, 1, "same lines, other order\n"},
	} {
		out, errs, status := runIsodiff(t, tc.a, tc.b)
		if status != tc.status || errs != "" || !strings.Contains(out, tc.report) {
			t.Errorf("%s %s: status %d (want %d), stderr %q, report lacks %q:\n%s", tc.a, tc.b, status, tc.status, errs, tc.report, out)
		}
	}
}

// TestStopped: a run whose context ends, as main's does on SIGINT or
// SIGTERM, writes no report, says why on one line, and exits with the
// status for a comparison that could not be made.
func TestStopped(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupt signal received"))
	for _, tc := range []struct {
		flags  []string
		status int
	}{{nil, exitTrouble}, {[]string{"--bisect"}, exitSkipBisect}, {[]string{"--json", "-"}, exitTrouble}, {[]string{"--markdown", "-"}, exitTrouble}, {[]string{"--html", "-"}, exitTrouble}} {
		var out, errs bytes.Buffer
		status := run(ctx, append(tc.flags, "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-pyc.iso"), &out, &errs)
		if status != tc.status || out.Len() != 0 || errs.String() != "isodiff: stopped: interrupt signal received\n" {
			t.Errorf("%q: status %d, stdout %q, stderr %q", tc.flags, status, out.String(), errs.String())
		}
	}
}

// TestFilters: --hide and --exclude leave differences out of the report
// and of the exit status, as diff -I does, and the report counts them.
func TestFilters(t *testing.T) {
	a := "fixtures/nixos/nixos-a.iso"
	epoch, pyc := "fixtures/nixos/nixos-epoch.iso", "fixtures/nixos/nixos-pyc.iso"
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		want   []string // lines the report must have
		not    []string // and must not
	}{
		{"nothing hidden", []string{a, pyc}, 1, []string{"unexplained: 1 · known causes: pyc header 1"}, []string{"hidden"}},
		{"excluded", []string{"--exclude", "*/nix-path-registration", a, pyc}, 1,
			[]string{"unexplained: none · known causes: pyc header 1 · 1 hidden: excluded 1"}, []string{"nix-path-registration"}},
		{"all left out", []string{"--hide", "pyc header", "--exclude", "nix-path-registration", a, pyc}, 0,
			[]string{"identical after filters (3 hidden: derived 1, pyc header 1, excluded 1)"}, []string{"differences"}},
		{"timestamps hidden", []string{"--hide", "timestamp,squashfs mkfs_time", "--hide", "MBR disk signature", a, epoch}, 0,
			[]string{"identical after filters ("}, nil},
		{"some causes hidden", []string{"--hide", "timestamp", a, epoch}, 1,
			// The squashfs's hidden times are not the same content.
			[]string{"known causes: MBR disk signature 1, squashfs mkfs_time 1, timestamp 1 · "}, []string{"content identical"}},
		{"a bad glob", []string{"--exclude", "", a, pyc}, 2, nil, nil},
		{"only the .pyc", []string{"--only", "**/*.pyc", a, pyc}, 1,
			[]string{"unexplained: none · known causes: pyc header 1 · 2 hidden: excluded 2"}, []string{"nix-path-registration"}},
		{"only what did not change", []string{"--only", "*/bzImage", a, pyc}, 0,
			[]string{"identical after filters (3 hidden: excluded 3)"}, nil},
		{"known noise", []string{"--ignore-known-noise", a, "fixtures/nixos/nixos-relayout.iso"}, 0,
			[]string{"identical after filters (6 hidden: El Torito boot-info-table 1, derived 2, layout 3)"}, nil},
		{"known noise and a changed file", []string{"--ignore-known-noise", a, pyc}, 1,
			[]string{"unexplained: 1 · 2 hidden: derived 1, pyc header 1", "nix-path-registration"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, status := runIsodiff(t, tc.args...)
			if status != tc.status {
				t.Errorf("exit status %d, want %d", status, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("report lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("report has %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestColor: --color always colours a report even into a pipe and under
// NO_COLOR (the flag is the more explicit wish); auto and never do not
// there; anything else is a usage error.
func TestColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	a, b := fixture(t, "base-a.iso"), fixture(t, "text-b.iso")
	for _, tc := range []struct {
		args   []string
		colour bool
		status int
	}{
		{[]string{"--color", "always", a, b}, true, 1},
		{[]string{"--color", "auto", a, b}, false, 1},
		{[]string{"--color", "never", a, b}, false, 1},
		{[]string{"--color", "sometimes", a, b}, false, 2},
	} {
		out, _, status := runIsodiff(t, tc.args...)
		if status != tc.status || strings.Contains(out, "\x1b[") != tc.colour {
			t.Errorf("%q: status %d, colour %v; want %d, %v", tc.args, status, strings.Contains(out, "\x1b["), tc.status, tc.colour)
		}
	}
}

// TestNoProgressInPipes: the progress line is for a terminal's standard
// error only; a pipe gets nothing of it.
func TestNoProgressInPipes(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	status := run(context.Background(), []string{fixture(t, "base-a.iso"), fixture(t, "text-b.iso")}, &out, w)
	w.Close()
	got, _ := io.ReadAll(r)
	if status != 1 || len(got) != 0 {
		t.Errorf("status %d, standard error %q", status, got)
	}
}
