package diff

import (
	"context"
	"math/bits"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// TextDiff is a line-based unified diff.
type TextDiff struct {
	Hunks          []Hunk
	Added, Removed int // lines, counted over the whole diff
	// OmittedLines counts diff lines (context included) left out by
	// MaxDiffLines.
	OmittedLines int
	// NoNewlineA/B: the last line of that side has no line break.
	NoNewlineA, NoNewlineB bool
	// Reordered: both sides hold the same lines, each as many times, in
	// another order; the hunks show the lines that moved as removed and
	// added, which alone would read as a rewrite.
	Reordered bool
}

// Hunk is a run of changed lines with their context, numbered from 1.
type Hunk struct {
	StartA, LenA, StartB, LenB int
	Lines                      []Line
}

// Line is one line of a hunk: Op is ' ', '-' or '+'.
type Line struct {
	Op   byte
	Text string
}

// splitLines splits text into lines without their line breaks.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}

// maxTextLines caps the lines of the two sides of a text diff together:
// go-diff diffs runes, each distinct line is given one, and there are
// about a million.
const maxTextLines = 500_000

// maxTextEdits: texts that must differ in more lines than this are
// rewrites, shown as hex, which is as informative for a rewrite and
// spares a diff that nobody reads to its end.
const maxTextEdits = 20_000

// The work of a text diff is counted in steps: a comparison of two lines
// or a diagonal visited by Myers's algorithm, a line counted while
// looking for anchors; a step costs a few nanoseconds. The work is capped
// by a number of steps rather than a deadline so that reports are the
// same on every machine, and the cap grows with the lines, so that the
// diff takes linear time whatever the input: Myers's algorithm takes
// time in proportion to the lines times the changes, and a text in
// another order (the same lines reversed, say) is all changes.
//
// Past the cap, what is left to diff is shown as its lines removed and
// added rather than the whole content as hex: the anchors found by then
// still place the changes, and a reordered text, the case that needs the
// cap, reads better as lines than as bytes. Texts that must differ in
// more than maxTextEdits lines are still shown as hex.
const (
	// textWorkBase covers every text a person reads as a whole: below it
	// the diff is go-diff's minimal one, as it always was.
	textWorkBase = 1 << 24
	// textWorkPerLine lets a large text with few changes be diffed by
	// Myers whole (its work is about the lines times the changes) and
	// leaves the anchored diff room for its passes.
	textWorkPerLine = 32
	// gapWorkBase is the least a gap between two anchors may spend on
	// Myers, enough for a minimal diff of gaps of a few hundred lines.
	gapWorkBase = 1 << 16
)

// checkSteps are the steps between two looks at whether the comparison is
// to stop: about a millisecond of work.
const checkSteps = 1 << 18

// textWorkLimit is the step budget of a diff of n lines in all.
func textWorkLimit(n int) int { return textWorkBase + textWorkPerLine*n }

// textDiff diffs two texts line by line; it returns nil for texts too
// large or too different to be read as a diff. Once ctx is done it
// finishes at once with a diff that is no use but to be dropped.
func textDiff(ctx context.Context, a, b string, opt Options) *TextDiff {
	td, _ := textDiffWork(ctx, a, b, opt)
	return td
}

// textDiffWork is textDiff that also returns the steps it spent.
func textDiffWork(ctx context.Context, a, b string, opt Options) (*TextDiff, int) {
	if strings.Count(a, "\n")+strings.Count(b, "\n") > maxTextLines {
		return nil, 0
	}
	la, lb := splitLines(a), splitLines(b)
	noNLA := a != "" && !strings.HasSuffix(a, "\n")
	noNLB := b != "" && !strings.HasSuffix(b, "\n")
	d := newDiffer(ctx, la, lb, noNLA, noNLB)
	minEdits, sameOrder := d.minEdits()
	if minEdits > maxTextEdits {
		return nil, 0
	}
	d.run()

	td := &TextDiff{
		NoNewlineA: noNLA,
		NoNewlineB: noNLB,
		Reordered:  minEdits == 0 && !sameOrder,
	}
	text := func(o lineOp) string {
		if o.op == '+' {
			return lb[o.i]
		}
		return la[o.i]
	}
	ops := d.ops
	around := opt.ContextLines
	budget := opt.MaxDiffLines
	lineA, lineB := 1, 1 // line numbers of ops[i] on each side
	for i := 0; i < len(ops); {
		if ops[i].op == ' ' {
			i++
			lineA++
			lineB++
			continue
		}
		// A hunk starts with the context lines before this change and
		// runs until a stretch of more than twice as many unchanged lines.
		start := max(0, i-around)
		lineA -= i - start
		lineB -= i - start
		h := Hunk{StartA: lineA, StartB: lineB}
		end := i
		for end < len(ops) {
			if ops[end].op != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].op == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*around {
				end = min(end+around, len(ops))
				break
			}
			end = run
		}
		for k := start; k < end; k++ {
			o := ops[k]
			switch o.op {
			case ' ':
				h.LenA++
				h.LenB++
				lineA++
				lineB++
			case '-':
				h.LenA++
				lineA++
				td.Removed++
			case '+':
				h.LenB++
				lineB++
				td.Added++
			}
			if budget > 0 {
				h.Lines = append(h.Lines, Line{o.op, text(o)})
				budget--
			} else {
				td.OmittedLines++
			}
		}
		if h.LenA == 0 {
			h.StartA-- // unified diff convention for empty ranges
		}
		if h.LenB == 0 {
			h.StartB--
		}
		if len(h.Lines) > 0 {
			td.Hunks = append(td.Hunks, h)
		}
		i = end
	}
	return td, d.used
}

// lineOp is one line of the diff: i numbers the line in A for ' ' and
// '-', in B for '+'.
type lineOp struct {
	op byte
	i  int32
}

// differ diffs two texts whose lines are given one rune each (equal
// lines, equal runes), the alphabet go-diff diffs.
type differ struct {
	a, b []rune
	// baseA, baseB: the line of each side without regard to its line
	// break, for counting lines; a and b tell a last line without line
	// break from the same line with one, as a diff must.
	baseA, baseB  []int32
	nBase, nRunes int

	work, used int // steps left and spent
	ops        []lineOp

	ctx       context.Context
	nextCheck int // d.used at which to look at ctx again

	v          []int32 // Myers's furthest points, reused
	cntA, cntB []int32 // per rune, for anchors; zero between uses
	posB       []int32
	dmp        *diffmatchpatch.DiffMatchPatch
}

// lineRune gives line number id a rune, skipping the surrogates, which
// do not survive go-diff's conversions to string.
func lineRune(id int) rune {
	if id >= 0xD800 {
		id += 0x800
	}
	return rune(id)
}

func newDiffer(ctx context.Context, la, lb []string, noNLA, noNLB bool) *differ {
	d := &differ{
		ctx: ctx, nextCheck: checkSteps,
		a: make([]rune, len(la)), b: make([]rune, len(lb)),
		baseA: make([]int32, len(la)), baseB: make([]int32, len(lb)),
	}
	ids := make(map[string]int32, len(la))
	intern := func(lines []string, base []int32, r []rune) {
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = int32(len(ids))
				ids[l] = id
			}
			base[i] = id
			r[i] = lineRune(int(id))
		}
	}
	intern(la, d.baseA, d.a)
	intern(lb, d.baseB, d.b)
	d.nBase = len(ids)
	// A last line without line break is another line than the same text
	// with one: the same on both sides, another on each.
	nRunes := d.nBase
	noNL := map[int32]rune{}
	mark := func(base []int32, r []rune) {
		id := base[len(base)-1]
		if _, ok := noNL[id]; !ok {
			noNL[id] = lineRune(nRunes)
			nRunes++
		}
		r[len(r)-1] = noNL[id]
	}
	if noNLA {
		mark(d.baseA, d.a)
	}
	if noNLB {
		mark(d.baseB, d.b)
	}
	d.nRunes = nRunes
	d.work = textWorkLimit(len(la) + len(lb))
	d.dmp = diffmatchpatch.New()
	// No time limit: a deadline would make the result depend on the
	// machine's speed, and reports must be the same byte for byte. The
	// differ only hands go-diff what it has found to fit the step budget.
	d.dmp.DiffTimeout = 0
	return d
}

// minEdits returns the lines one side has more often than the other (a
// lower bound of the lines a diff must remove or add) and whether both
// sides hold the same lines in the same order.
func (d *differ) minEdits() (int, bool) {
	count := make([]int32, d.nBase)
	for _, id := range d.baseA {
		count[id]++
	}
	for _, id := range d.baseB {
		count[id]--
	}
	n := 0
	for _, c := range count {
		n += int(max(c, -c))
	}
	same := len(d.baseA) == len(d.baseB)
	for i := 0; same && i < len(d.baseA); i++ {
		same = d.baseA[i] == d.baseB[i]
	}
	return n, same
}

func (d *differ) charge(steps int) {
	d.work -= steps
	d.used += steps
	if d.used >= d.nextCheck {
		d.nextCheck = d.used + checkSteps
		d.stop()
	}
}

// stop reports whether the comparison is to stop, and then spends what is
// left of the budget, so that the rest of the diff is written at once as
// lines removed and added: a diff the caller drops.
func (d *differ) stop() bool {
	if d.ctx.Err() == nil {
		return false
	}
	d.work = min(d.work, 0)
	return true
}

// run diffs the whole texts into d.ops. A diff that fits half the budget
// is go-diff's on the whole texts, minimal and the same as it always
// was; a larger one is anchored on the lines unique on both sides, with
// go-diff between the anchors, as git's patience diff does, which keeps
// large listings with scattered changes minimal in practice.
func (d *differ) run() {
	d.ops = make([]lineOp, 0, max(len(d.a), len(d.b)))
	p, s := d.common(0, len(d.a), 0, len(d.b))
	if p+s == min(len(d.a), len(d.b)) || d.myersFits(d.a[p:len(d.a)-s], d.b[p:len(d.b)-s], d.work/2) {
		d.goDiff(0, len(d.a), 0, len(d.b))
		return
	}
	d.anchored(0, len(d.a), 0, len(d.b))
}

// common returns the lengths of the common prefix and suffix, which do
// not overlap.
func (d *differ) common(a0, a1, b0, b1 int) (p, s int) {
	for a0+p < a1 && b0+p < b1 && d.a[a0+p] == d.b[b0+p] {
		p++
	}
	for a1-s > a0+p && b1-s > b0+p && d.a[a1-s-1] == d.b[b1-s-1] {
		s++
	}
	d.charge(p + s + 1)
	return p, s
}

// diff diffs a[a0:a1] and b[b0:b1] into d.ops: minimal by go-diff if it
// fits the gap's share of the budget, else anchored.
func (d *differ) diff(a0, a1, b0, b1 int) {
	p, s := d.common(a0, a1, b0, b1)
	d.same(a0, b0, p)
	a0, b0 = a0+p, b0+p
	a1, b1 = a1-s, b1-s
	switch {
	case a0 == a1:
		d.added(b0, b1)
	case b0 == b1:
		d.removed(a0, a1)
	case d.myersFits(d.a[a0:a1], d.b[b0:b1], min(d.work/2, gapWorkBase+textWorkPerLine*(a1-a0+b1-b0))):
		d.goDiff(a0, a1, b0, b1)
	default:
		d.anchored(a0, a1, b0, b1)
	}
	d.same(a1, b1, s)
}

// anchored diffs a[a0:a1] and b[b0:b1] as patience diff does: the lines
// found once on each side, the longest run of them in the same order on
// both, are kept and the gaps between them diffed in turn. Without such
// lines, or once the budget is spent, the gap is replaced whole: still a
// diff, only not the smallest.
func (d *differ) anchored(a0, a1, b0, b1 int) {
	var anchors []match
	if d.work > 0 {
		anchors = d.anchors(a0, a1, b0, b1)
	}
	if len(anchors) == 0 {
		d.removed(a0, a1)
		d.added(b0, b1)
		return
	}
	for _, m := range anchors {
		d.diff(a0, int(m.a), b0, int(m.b))
		d.same(int(m.a), int(m.b), 1)
		a0, b0 = int(m.a)+1, int(m.b)+1
	}
	d.diff(a0, a1, b0, b1)
}

type match struct{ a, b int32 }

// anchors returns the longest sequence of lines found once in a[a0:a1]
// and once in b[b0:b1], in the same order on both sides.
func (d *differ) anchors(a0, a1, b0, b1 int) []match {
	if d.cntA == nil {
		d.cntA = make([]int32, d.nRunes+0x800)
		d.cntB = make([]int32, d.nRunes+0x800)
		d.posB = make([]int32, d.nRunes+0x800)
	}
	for _, r := range d.a[a0:a1] {
		d.cntA[r]++
	}
	for j, r := range d.b[b0:b1] {
		d.cntB[r]++
		d.posB[r] = int32(b0 + j)
	}
	var seq []match
	for i, r := range d.a[a0:a1] {
		if d.cntA[r] == 1 && d.cntB[r] == 1 {
			seq = append(seq, match{int32(a0 + i), d.posB[r]})
		}
	}
	for _, r := range d.a[a0:a1] {
		d.cntA[r] = 0
	}
	for _, r := range d.b[b0:b1] {
		d.cntB[r] = 0
	}
	d.charge(2 * (a1 - a0 + b1 - b0))
	if len(seq) == 0 {
		return nil
	}
	// Longest increasing run of B positions, by patience sorting: tails[l]
	// ends the run of length l+1 that ends lowest.
	d.charge(len(seq) * (1 + bits.Len(uint(len(seq)))))
	tails := []int32{}
	prev := make([]int32, len(seq))
	for i, m := range seq {
		l := sort.Search(len(tails), func(k int) bool { return seq[tails[k]].b >= m.b })
		prev[i] = -1
		if l > 0 {
			prev[i] = tails[l-1]
		}
		if l == len(tails) {
			tails = append(tails, int32(i))
		} else {
			tails[l] = int32(i)
		}
	}
	out := make([]match, len(tails))
	for k, i := len(out)-1, tails[len(tails)-1]; k >= 0; k, i = k-1, prev[i] {
		out[k] = seq[i]
	}
	return out
}

// myersFits reports whether the shortest edit script of x and y is found
// by Myers's algorithm within limit steps, and charges the steps spent.
// go-diff runs the same algorithm from both ends, so a diff that fits
// costs go-diff about as much, which is charged too.
func (d *differ) myersFits(x, y []rune, limit int) bool {
	_, ok := d.myers(x, y, limit)
	return ok
}

// myers returns the length of the shortest edit script of x and y if
// found within limit steps.
func (d *differ) myers(x, y []rune, limit int) (int, bool) {
	if limit <= 0 {
		return 0, false
	}
	n, m := len(x), len(y)
	// Every round visits a diagonal at least.
	maxD := min(n+m, limit)
	off := maxD + 1
	if cap(d.v) < 2*off+1 {
		d.v = make([]int32, 2*off+1)
	}
	v := d.v[:2*off+1]
	v[off+1] = 0
	steps, check := 0, checkSteps
	// As in go-diff: diagonals whose furthest point has run off the
	// right or the bottom of the edit graph are not walked again.
	kstart, kend := 0, 0
	for e := 0; e <= maxD; e++ {
		if steps >= check {
			check = steps + checkSteps
			if d.stop() {
				d.charge(steps)
				return 0, false
			}
		}
		for k := -e + kstart; k <= e-kend; k += 2 {
			i := off + k
			x1 := int(v[i+1])
			if k != -e && (k == e || v[i-1] >= v[i+1]) {
				x1 = int(v[i-1]) + 1
			}
			y1 := x1 - k
			s := x1
			if x1 < n && y1 < m {
				for x1 < n && y1 < m && x[x1] == y[y1] {
					x1++
					y1++
				}
			} else if x1 > n {
				kend += 2
			} else if y1 > m {
				kstart += 2
			} else if x1 == n && y1 == m {
				d.charge(2 * (steps + 1))
				return e, true
			}
			v[i] = int32(x1)
			steps += 1 + x1 - s
			if x1 != s && x1 == n && y1 == m {
				d.charge(2 * steps)
				return e, true
			}
			if steps > limit {
				d.charge(steps)
				return 0, false
			}
		}
	}
	d.charge(steps)
	return 0, false
}

// goDiff diffs a[a0:a1] and b[b0:b1] with go-diff into d.ops.
func (d *differ) goDiff(a0, a1, b0, b1 int) {
	diffs := d.dmp.DiffMainRunes(d.a[a0:a1:a1], d.b[b0:b1:b1], false)
	for _, df := range diffs {
		n := utf8.RuneCountInString(df.Text)
		switch df.Type {
		case diffmatchpatch.DiffDelete:
			d.removed(a0, a0+n)
			a0 += n
		case diffmatchpatch.DiffInsert:
			d.added(b0, b0+n)
			b0 += n
		default:
			d.same(a0, b0, n)
			a0 += n
			b0 += n
		}
	}
}

func (d *differ) same(a0, b0, n int) {
	for k := range n {
		d.ops = append(d.ops, lineOp{' ', int32(a0 + k)})
	}
}

func (d *differ) removed(a0, a1 int) {
	for i := a0; i < a1; i++ {
		d.ops = append(d.ops, lineOp{'-', int32(i)})
	}
}

func (d *differ) added(b0, b1 int) {
	for j := b0; j < b1; j++ {
		d.ops = append(d.ops, lineOp{'+', int32(j)})
	}
}
