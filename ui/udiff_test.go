package ui

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// rowsOf makes aligned rows from a pattern, one letter a row: s a line
// both sides share, c a line changed, a a line of A only, b of B only.
func rowsOf(pattern string) []pairRow {
	rows := make([]pairRow, len(pattern))
	for i, c := range pattern {
		switch c {
		case 's':
			rows[i] = pairRow{fmt.Sprint("s", i), fmt.Sprint("s", i), true, true}
		case 'c':
			rows[i] = pairRow{fmt.Sprint("a", i), fmt.Sprint("b", i), true, true}
		case 'a':
			rows[i] = pairRow{a: fmt.Sprint("a", i), inA: true}
		case 'b':
			rows[i] = pairRow{b: fmt.Sprint("b", i), inB: true}
		}
	}
	return rows
}

func TestUnifiedRows(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{"sss", ""},
		{"", ""},
		{"ssssscsssss", "@@ -3,7 +3,7 @@\n s2\n s3\n s4\n-a5\n+b5\n s6\n s7\n s8\n"},
		// Six shared lines between two changes: one hunk, as diff -u.
		{"csssssscs", "@@ -1,9 +1,9 @@\n-a0\n+b0\n s1\n s2\n s3\n s4\n s5\n s6\n-a7\n+b7\n s8\n"},
		// Seven: two hunks.
		{"cssssssscs", "@@ -1,4 +1,4 @@\n-a0\n+b0\n s1\n s2\n s3\n@@ -6,5 +6,5 @@\n s5\n s6\n s7\n-a8\n+b8\n s9\n"},
		// A run of changes is A's lines, then B's.
		{"scab", "@@ -1,3 +1,3 @@\n s0\n-a1\n-a2\n+b1\n+b3\n"},
		// A side with no line in a hunk is numbered from the line the
		// hunk follows.
		{"bb", "@@ -0,0 +1,2 @@\n+b0\n+b1\n"},
		{"ssssa", "@@ -2,4 +2,3 @@\n s1\n s2\n s3\n-a4\n"},
		{"sssssb", "@@ -3,3 +3,4 @@\n s2\n s3\n s4\n+b5\n"},
	} {
		if got := unifiedRows(rowsOf(tc.pattern), 3); got != tc.want {
			t.Errorf("%q:\n%s\nwant\n%s", tc.pattern, got, tc.want)
		}
	}
}

// TestUnifiedRowsPatch: patch, with no fuzz and no offset, turns A into B
// with the diffs of random rows.
func TestUnifiedRowsPatch(t *testing.T) {
	if _, err := exec.LookPath("patch"); err != nil {
		t.Skip("patch not installed")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 40 {
		var pattern []byte
		for range 1 + r.IntN(40) {
			pattern = append(pattern, "ssssssscab"[r.IntN(10)])
		}
		rows := rowsOf(string(pattern))
		var a, b strings.Builder
		for _, row := range rows {
			if row.inA {
				a.WriteString(row.a + "\n")
			}
			if row.inB {
				b.WriteString(row.b + "\n")
			}
		}
		ud := unifiedRows(rows, 3)
		if ud == "" {
			if a.String() != b.String() {
				t.Fatalf("%s: no diff of two listings that differ", pattern)
			}
			continue
		}
		fileA, out := filepath.Join(dir, fmt.Sprint("a", i)), filepath.Join(dir, fmt.Sprint("out", i))
		if err := os.WriteFile(fileA, []byte(a.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("patch", "-F0", "-o", out, fileA)
		cmd.Stdin = strings.NewReader("--- a\n+++ b\n" + ud)
		msg, err := cmd.CombinedOutput()
		if err != nil || bytes.Contains(msg, []byte("offset")) || bytes.Contains(msg, []byte("fuzz")) {
			t.Fatalf("%s: patch: %v\n%s\n%s", pattern, err, msg, ud)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != b.String() {
			t.Fatalf("%s: patched A is\n%s\nwant\n%s", pattern, got, b.String())
		}
	}
}

// TestXXDRow: rows are laid out as xxd lays them out.
func TestXXDRow(t *testing.T) {
	if _, err := exec.LookPath("xxd"); err != nil {
		t.Skip("xxd not installed")
	}
	data := []byte("\x7fELF\x02\x01\x01\x00 ~\x80\xffabc\ndefgh")
	cmd := exec.Command("xxd", "-o", "4096")
	cmd.Stdin = bytes.NewReader(data)
	want, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got := xxdRow(4096, data[:16]) + "\n" + xxdRow(4096+16, data[16:]) + "\n"
	if got != string(want) {
		t.Errorf("got\n%s\nxxd writes\n%s", got, want)
	}
}
