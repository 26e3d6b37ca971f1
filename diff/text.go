package diff

import (
	"encoding/json"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// TextDiff is a line-based unified diff.
type TextDiff struct {
	Hunks          []Hunk
	Added, Removed int // lines, counted over the whole diff
	// OmittedLines counts diff lines (context included) left out by
	// MaxDiffLines.
	OmittedLines int `json:",omitempty"`
	// NoNewlineA/B: the last line of that side has no line break.
	NoNewlineA, NoNewlineB bool `json:",omitempty"`
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

// MarshalJSON writes Op as the one-character string it is.
func (l Line) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ Op, Text string }{string(l.Op), l.Text})
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
// go-diff gives each distinct line a rune, and there are about a million.
const maxTextLines = 500_000

// maxTextEdits caps the changed lines a text diff is computed for: the
// diff takes time in proportion to lines times changes, and without a
// deadline (which would make reports depend on the machine) two large,
// wholly different texts would take seconds each. Past it the content is
// shown as hex, which is as informative for a rewrite.
const maxTextEdits = 20_000

// minEdits is a lower bound of the lines a diff of a and b must remove or
// add: the lines one side has more often than the other.
func minEdits(a, b string) int {
	count := map[string]int{}
	for _, l := range splitLines(a) {
		count[l]++
	}
	for _, l := range splitLines(b) {
		count[l]--
	}
	n := 0
	for _, c := range count {
		n += max(c, -c)
	}
	return n
}

// textDiff diffs two texts line by line with sergi/go-diff; it returns nil
// for texts with too many lines to diff that way.
func textDiff(a, b string, opt Options) *TextDiff {
	if strings.Count(a, "\n")+strings.Count(b, "\n") > maxTextLines || minEdits(a, b) > maxTextEdits {
		return nil
	}
	dmp := diffmatchpatch.New()
	// No time limit: a deadline would make the result depend on the
	// machine's speed, and reports must be the same byte for byte.
	dmp.DiffTimeout = 0
	ca, cb, lines := dmp.DiffLinesToRunes(a, b)
	// DiffCharsToLines maps the runes back to lines (go-diff skips the
	// surrogate range when it hands them out).
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(ca, cb, false), lines)

	// Flatten into one op per line.
	type op struct {
		op   byte
		text string
	}
	var ops []op
	for _, d := range diffs {
		o := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			o = '-'
		case diffmatchpatch.DiffInsert:
			o = '+'
		}
		text := strings.TrimSuffix(d.Text, "\n")
		for _, line := range strings.Split(text, "\n") {
			ops = append(ops, op{o, line})
		}
	}

	td := &TextDiff{
		NoNewlineA: a != "" && !strings.HasSuffix(a, "\n"),
		NoNewlineB: b != "" && !strings.HasSuffix(b, "\n"),
	}
	ctx := opt.ContextLines
	budget := opt.MaxDiffLines
	lineA, lineB := 1, 1 // line numbers of ops[i] on each side
	for i := 0; i < len(ops); {
		if ops[i].op == ' ' {
			i++
			lineA++
			lineB++
			continue
		}
		// A hunk starts ctx lines before this change and runs until a
		// stretch of more than 2*ctx unchanged lines.
		start := max(0, i-ctx)
		for k := start; k < i; k++ { // back up the line numbers
			lineA--
			lineB--
		}
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
			if run == len(ops) || run-end > 2*ctx {
				end = min(end+ctx, len(ops))
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
				h.Lines = append(h.Lines, Line{o.op, o.text})
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
	return td
}
