package diff

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// reversedLines returns the numbers 1 to n one a line, and the same lines
// in reverse order.
func reversedLines(n int) (string, string) {
	var a, b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&a, "%d\n", i)
		fmt.Fprintf(&b, "%d\n", n+1-i)
	}
	return a.String(), b.String()
}

// wholeDiff: every line of the diff kept, in one hunk.
func wholeDiff() Options {
	opt := DefaultOptions()
	opt.MaxDiffLines = 1 << 30
	return opt
}

// checkDiff applies td to a as patch would, checking every line a hunk
// expects, and fails unless the result is b.
func checkDiff(t *testing.T, name, a, b string, td *TextDiff) {
	t.Helper()
	if td == nil {
		t.Fatalf("%s: no text diff", name)
	}
	la, lb := splitLines(a), splitLines(b)
	var out []string
	pos, added, removed := 0, 0, 0
	for n, h := range td.Hunks {
		start := h.StartA - 1
		if h.LenA == 0 {
			start = h.StartA // an empty range names the line before it
		}
		if start < pos || start > len(la) {
			t.Fatalf("%s: hunk %d starts at line %d of A, after %d", name, n, h.StartA, pos)
		}
		out = append(out, la[pos:start]...)
		pos = start
		if startB := len(out) + 1 - min(1, max(0, 1-h.LenB)); h.StartB != startB {
			t.Fatalf("%s: hunk %d starts at line %d of B, want %d", name, n, h.StartB, startB)
		}
		lenA, lenB := 0, 0
		for _, l := range h.Lines {
			if l.Op != '+' {
				if pos >= len(la) || la[pos] != l.Text {
					t.Fatalf("%s: hunk %d expects %q at line %d of A", name, n, l.Text, pos+1)
				}
				pos++
				lenA++
			}
			if l.Op != '-' {
				out = append(out, l.Text)
				lenB++
			}
			switch l.Op {
			case '+':
				added++
			case '-':
				removed++
			}
		}
		if lenA != h.LenA || lenB != h.LenB {
			t.Fatalf("%s: hunk %d is -%d,%d +%d,%d for %d and %d lines", name, n, h.StartA, h.LenA, h.StartB, h.LenB, lenA, lenB)
		}
	}
	out = append(out, la[pos:]...)
	if !slices.Equal(out, lb) {
		t.Fatalf("%s: the diff applied to A does not give B", name)
	}
	if added != td.Added || removed != td.Removed {
		t.Fatalf("%s: %d added and %d removed lines counted as %d and %d", name, added, removed, td.Added, td.Removed)
	}
	if td.NoNewlineA != (a != "" && !strings.HasSuffix(a, "\n")) || td.NoNewlineB != (b != "" && !strings.HasSuffix(b, "\n")) {
		t.Fatalf("%s: no newline %v %v", name, td.NoNewlineA, td.NoNewlineB)
	}
}

// checkWork fails if a diff of n lines in all spent more than its
// budget allows, over by at most what a linear pass costs.
func checkWork(t *testing.T, name string, n, used int) {
	t.Helper()
	if used > textWorkLimit(n)+8*n {
		t.Errorf("%s: %d steps for %d lines, budget %d", name, used, n, textWorkLimit(n))
	}
}

// TestTextDiffReversed: the same lines in reverse order, Myers's worst
// case, cost a bounded number of steps and still give the smallest diff
// (all lines but one moved).
func TestTextDiffReversed(t *testing.T) {
	for _, n := range []int{60000, 240000} {
		a, b := reversedLines(n)
		td, used := textDiffWork(context.Background(), a, b, wholeDiff())
		name := fmt.Sprintf("%d lines", n)
		checkDiff(t, name, a, b, td)
		checkWork(t, name, 2*n, used)
		if td.Added != n-1 || td.Removed != n-1 || !td.Reordered {
			t.Errorf("%s: +%d -%d reordered %v", name, td.Added, td.Removed, td.Reordered)
		}
	}
}

// TestTextDiffShuffled: a listing in random order, where anchors are few
// and far apart, spends the budget and still gives a diff.
func TestTextDiffShuffled(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	lines := make([]string, 200000)
	for i := range lines {
		lines[i] = fmt.Sprintf("/nix/store/%032x-pkg-%d", r.Uint64(), i)
	}
	a := strings.Join(lines, "\n") + "\n"
	r.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	b := strings.Join(lines, "\n") + "\n"
	td, used := textDiffWork(context.Background(), a, b, wholeDiff())
	checkDiff(t, "shuffled", a, b, td)
	checkWork(t, "shuffled", 400000, used)
	if !td.Reordered || td.Added != td.Removed || td.Added == 0 {
		t.Errorf("shuffled: +%d -%d reordered %v", td.Added, td.Removed, td.Reordered)
	}
}

// configLines returns n lines that look like a configuration file or a
// source file: mostly unique, with some that recur.
func configLines(r *rand.Rand, n int) []string {
	common := []string{"", "}", "fi", "  end", "# ----", "\t\treturn nil"}
	lines := make([]string, n)
	for i := range lines {
		if r.IntN(5) == 0 {
			lines[i] = common[r.IntN(len(common))]
		} else {
			lines[i] = fmt.Sprintf("option.%d = %d", r.IntN(n), r.IntN(1000))
		}
	}
	return lines
}

// edit changes lines in place as people and builds do: blocks removed,
// added, replaced, moved.
func edit(r *rand.Rand, lines []string, edits int) []string {
	out := slices.Clone(lines)
	for range edits {
		at := r.IntN(len(out) + 1)
		size := 1 + r.IntN(20)
		end := min(len(out), at+size)
		switch r.IntN(4) {
		case 0:
			out = slices.Delete(out, at, end)
		case 1:
			var block []string
			for k := range size {
				block = append(block, fmt.Sprintf("new %d %d", at, k))
			}
			out = slices.Insert(out, at, block...)
		case 2:
			for k := at; k < end; k++ {
				out[k] = "changed " + out[k]
			}
		case 3:
			block := slices.Clone(out[at:end])
			out = slices.Delete(out, at, end)
			to := r.IntN(len(out) + 1)
			out = slices.Insert(out, to, block...)
		}
	}
	return out
}

// goDiffEdits is the number of lines go-diff's line mode removes and
// adds, the smallest diff.
func goDiffEdits(a, b string) int {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	ra, rb, _ := dmp.DiffLinesToRunes(a, b)
	n := 0
	for _, d := range dmp.DiffMainRunes(ra, rb, false) {
		if d.Type != diffmatchpatch.DiffEqual {
			n += len([]rune(d.Text))
		}
	}
	return n
}

// TestTextDiffRandomEdits: large texts with random edits give diffs that
// turn A into B, within the budget, and the smallest diff when the edits
// are few.
func TestTextDiffRandomEdits(t *testing.T) {
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 1))
		la := configLines(r, 5000+r.IntN(45000))
		edits := 1 + r.IntN(4)
		if seed%2 == 1 {
			edits = 50 + r.IntN(500)
		}
		lb := edit(r, la, edits)
		a, b := strings.Join(la, "\n")+"\n", strings.Join(lb, "\n")
		if seed%3 == 0 {
			b += "\n"
		}
		name := fmt.Sprintf("seed %d, %d edits", seed, edits)
		td, used := textDiffWork(context.Background(), a, b, wholeDiff())
		checkDiff(t, name, a, b, td)
		checkWork(t, name, len(la)+len(lb), used)
		if edits < 5 {
			if want := goDiffEdits(a, b); td.Added+td.Removed != want {
				t.Errorf("%s: %d lines changed, the smallest diff changes %d", name, td.Added+td.Removed, want)
			}
		}
	}
}

// oldTextDiff is the diff of go-diff's line mode on the whole texts, one
// Line a line.
func oldTextDiff(a, b string) []Line {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	ra, rb, lines := dmp.DiffLinesToRunes(a, b)
	var out []Line
	for _, d := range dmp.DiffCharsToLines(dmp.DiffMainRunes(ra, rb, false), lines) {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		for _, l := range strings.Split(strings.TrimSuffix(d.Text, "\n"), "\n") {
			out = append(out, Line{op, l})
		}
	}
	return out
}

// TestTextDiffSmall: texts a person reads are diffed exactly as go-diff
// diffs them whole, line breaks at the end included.
func TestTextDiffSmall(t *testing.T) {
	opt := wholeDiff()
	opt.ContextLines = 1 << 20 // one hunk holding every line
	r := rand.New(rand.NewPCG(3, 4))
	gen := func() string {
		var s strings.Builder
		for range r.IntN(40) {
			fmt.Fprintf(&s, "%c\n", 'a'+r.IntN(4))
		}
		if r.IntN(3) == 0 {
			s.WriteString("z")
		}
		return s.String()
	}
	for i := range 3000 {
		a, b := gen(), gen()
		if a == b {
			continue
		}
		name := fmt.Sprintf("case %d: %q %q", i, a, b)
		td := textDiff(context.Background(), a, b, opt)
		checkDiff(t, name, a, b, td)
		var got []Line
		for _, h := range td.Hunks {
			got = append(got, h.Lines...)
		}
		if want := oldTextDiff(a, b); !slices.Equal(got, want) {
			t.Fatalf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
}

// applyOps applies the differ's lines to a.
func applyOps(d *differ) ([]rune, bool) {
	var out []rune
	i, j := 0, 0
	for _, o := range d.ops {
		switch o.op {
		case ' ':
			if int(o.i) != i || d.a[i] != d.b[j] {
				return nil, false
			}
			out = append(out, d.a[i])
			i++
			j++
		case '-':
			if int(o.i) != i {
				return nil, false
			}
			i++
		case '+':
			if int(o.i) != j {
				return nil, false
			}
			out = append(out, d.b[j])
			j++
		}
	}
	return out, i == len(d.a) && j == len(d.b)
}

// TestTextDiffBudgetSpent: whenever the budget runs out, the rest is
// replaced whole and the diff still turns A into B.
func TestTextDiffBudgetSpent(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 {
		la := configLines(r, r.IntN(300))
		lb := edit(r, la, r.IntN(30))
		if r.IntN(4) == 0 {
			r.Shuffle(len(lb), func(i, j int) { lb[i], lb[j] = lb[j], lb[i] })
		}
		d := newDiffer(context.Background(), la, lb, false, len(lb) > 0 && r.IntN(2) == 0)
		d.work = []int{0, 10, 100, 1000, 10000}[i%5]
		d.run()
		if out, ok := applyOps(d); !ok || !slices.Equal(out, d.b) {
			t.Fatalf("case %d, budget %d: the diff does not turn A into B", i, []int{0, 10, 100, 1000, 10000}[i%5])
		}
	}
}

// lcs is the length of the longest common subsequence, by dynamic
// programming.
func lcs(x, y []rune) int {
	prev, cur := make([]int, len(y)+1), make([]int, len(y)+1)
	for i := range x {
		for j := range y {
			if x[i] == y[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(y)]
}

// TestMyersLength: the step-counting Myers finds the length of the
// shortest edit script, which is what it prices go-diff's work by.
func TestMyersLength(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	gen := func() []rune {
		s := make([]rune, r.IntN(30))
		for i := range s {
			s[i] = rune('a' + r.IntN(1+r.IntN(5)))
		}
		return s
	}
	d := &differ{work: 1 << 40, ctx: context.Background()}
	for range 5000 {
		x, y := gen(), gen()
		got, ok := d.myers(x, y, 1<<30)
		if want := len(x) + len(y) - 2*lcs(x, y); !ok || got != want {
			t.Fatalf("%q %q: %d %v, want %d", string(x), string(y), got, ok, want)
		}
	}
	// A long side against a short one: many rounds, each of few
	// diagonals, the work about the product of the lengths.
	x := make([]rune, 100000)
	for i := range x {
		x[i] = rune('a' + i%7)
	}
	y := []rune("gfedcbagfedcba")
	d.used = 0
	got, ok := d.myers(x, y, 100*(len(x)+len(y)))
	if want := len(x) + len(y) - 2*lcs(x, y); !ok || got != want {
		t.Fatalf("long against short: %d %v, want %d", got, ok, want)
	}
}

// TestTextDiffDuplicates: texts of few distinct lines, where no line is
// unique to anchor on.
func TestTextDiffDuplicates(t *testing.T) {
	alternate := func(n int, first, second string) string {
		var s strings.Builder
		for i := range n {
			if i%2 == 0 {
				s.WriteString(first + "\n")
			} else {
				s.WriteString(second + "\n")
			}
		}
		return s.String()
	}
	r := rand.New(rand.NewPCG(1, 1))
	var random strings.Builder
	for range 50000 {
		random.WriteString([]string{"a\n", "b\n"}[r.IntN(2)])
	}
	for _, c := range []struct {
		name, a, b string
		edits      int // the smallest diff's, or -1 for any
		reordered  bool
	}{
		{"all equal", strings.Repeat("x\n", 100000), strings.Repeat("x\n", 85000), 15000, false},
		{"alternating", alternate(100000, "a", "b"), alternate(100000, "b", "a"), 2, true},
		{"alternating against random", alternate(50000, "a", "b"), random.String(), -1, false},
		{"one side empty", "", alternate(1000, "a", "b"), 1000, false},
		{"other side empty", alternate(1000, "a", "b"), "", 1000, false},
		{"only a line break", "x", "x\n", 2, false},
	} {
		td, used := textDiffWork(context.Background(), c.a, c.b, wholeDiff())
		checkDiff(t, c.name, c.a, c.b, td)
		checkWork(t, c.name, strings.Count(c.a+c.b, "\n"), used)
		if c.edits >= 0 && td.Added+td.Removed != c.edits {
			t.Errorf("%s: +%d -%d, want %d lines changed", c.name, td.Added, td.Removed, c.edits)
		}
		if td.Reordered != c.reordered {
			t.Errorf("%s: reordered %v", c.name, td.Reordered)
		}
	}
}

// TestTextDiffInterleaved: lines added between every line, and every
// other line replaced, too many changes for Myers whole: the anchors
// keep the diff the smallest.
func TestTextDiffInterleaved(t *testing.T) {
	var a, b, c strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&a, "kept %d\n", i)
		fmt.Fprintf(&b, "kept %d\nadded %d\n", i, i)
	}
	td, used := textDiffWork(context.Background(), a.String(), b.String(), wholeDiff())
	checkDiff(t, "interleaved", a.String(), b.String(), td)
	checkWork(t, "interleaved", 60000, used)
	if td.Added != 20000 || td.Removed != 0 {
		t.Errorf("interleaved: +%d -%d", td.Added, td.Removed)
	}
	a.Reset()
	for i := range 9000 {
		fmt.Fprintf(&a, "kept %d\nold %d\n", i, i)
		fmt.Fprintf(&c, "kept %d\nnew %d\n", i, i)
	}
	td, used = textDiffWork(context.Background(), a.String(), c.String(), wholeDiff())
	checkDiff(t, "alternately replaced", a.String(), c.String(), td)
	checkWork(t, "alternately replaced", 36000, used)
	if td.Added != 9000 || td.Removed != 9000 {
		t.Errorf("alternately replaced: +%d -%d", td.Added, td.Removed)
	}
}

// TestTextDiffReordered: Reordered is said of the same lines in another
// order only.
func TestTextDiffReordered(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"a\nb\nc\n", "c\na\nb\n", true},
		{"a\nb\nc\n", "c\na\nb", true},
		{"a\nb\nc\n", "a\nb\nc", false},
		{"a\nb\nc\n", "c\na\nd\n", false},
		{"a\na\nb\n", "a\nb\nb\n", false},
	} {
		if td := textDiff(context.Background(), c.a, c.b, DefaultOptions()); td == nil || td.Reordered != c.want {
			t.Errorf("%q %q: %+v", c.a, c.b, td)
		}
	}
}
