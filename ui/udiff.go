package ui

import (
	"fmt"
	"strings"

	"isodiff/diff"
)

// Differences written as unified diffs, the one form diffoscope's JSON
// has for them: each line starts with ' ', '-' or '+', under
// "@@ -a,b +c,d @@" headers numbering the lines of each side from 1.
// Every line is cleaned as the text report cleans it, which also keeps
// each on its line: diffoscope splits a diff at "\n" only, and a line
// holding a "\r" or a "\v" would read as two elsewhere.

// unifiedContext is the lines of context around a change in a diff made
// here, as diff -u and diffoscope's metadata diffs have.
const unifiedContext = 3

// pairRow is one row of two aligned listings: a line of A, of B, or of
// both, where each side has it.
type pairRow struct {
	a, b     string
	inA, inB bool
}

func (r pairRow) same() bool { return r.inA && r.inB && r.a == r.b }

// unifiedRows writes aligned rows as a unified diff, with context rows of
// context around each run of differing rows; "" when none differs.
func unifiedRows(rows []pairRow, context int) string {
	var s strings.Builder
	lineA, lineB := 0, 0 // lines of each side before rows[i]
	for i := 0; i < len(rows); {
		first := i
		for first < len(rows) && rows[first].same() {
			first++
		}
		if first == len(rows) {
			break
		}
		start := max(i, first-context)
		for _, r := range rows[i:start] {
			lineA, lineB = lineA+count(r.inA), lineB+count(r.inB)
		}
		// The hunk runs to context rows past its last differing row, and
		// takes in the next differing row when no more than twice the
		// context lies between them.
		end, sameRun := first, 0
		for end < len(rows) && sameRun <= 2*context {
			if rows[end].same() {
				sameRun++
			} else {
				sameRun = 0
			}
			end++
		}
		end -= max(0, sameRun-context)
		hunk := rows[start:end]
		h := diff.Hunk{StartA: lineA, StartB: lineB}
		for _, r := range hunk {
			h.LenA, h.LenB = h.LenA+count(r.inA), h.LenB+count(r.inB)
		}
		// A side with lines in the hunk is numbered from its first; one
		// without, from the line the hunk follows.
		h.StartA += count(h.LenA > 0)
		h.StartB += count(h.LenB > 0)
		s.WriteString(hunkHeader(h) + "\n")
		writeRows(&s, hunk)
		lineA, lineB = lineA+h.LenA, lineB+h.LenB
		i = end
	}
	return s.String()
}

// writeRows writes the lines of a hunk: a row the sides share as context,
// each run of other rows as A's lines, then B's, as diff -u groups them.
func writeRows(s *strings.Builder, rows []pairRow) {
	for i := 0; i < len(rows); {
		if rows[i].same() {
			s.WriteString(" " + rows[i].a + "\n")
			i++
			continue
		}
		j := i
		for j < len(rows) && !rows[j].same() {
			j++
		}
		for _, r := range rows[i:j] {
			if r.inA {
				s.WriteString("-" + r.a + "\n")
			}
		}
		for _, r := range rows[i:j] {
			if r.inB {
				s.WriteString("+" + r.b + "\n")
			}
		}
		i = j
	}
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fieldsDiff is the fields of a pair as a unified diff of "name: value"
// lines, as diffoscope shows the stat output of two files: every field of
// an entry on one side only, else the differing ones with their context.
// It is "" when none differs, and, as the text report has no section for
// it, for a pair that differs only below it (whose placement fields
// count at its layer).
func fieldsDiff(n *diff.Node) string {
	if !n.OwnDifferences() || len(n.Changed()) == 0 && n.State != diff.Added && n.State != diff.Removed {
		return ""
	}
	fields := n.Fields()
	rows := make([]pairRow, len(fields))
	for i, f := range fields {
		rows[i] = pairRow{fieldLine(f, false), fieldLine(f, true), f.InA && n.State != diff.Added, f.InB && n.State != diff.Removed}
	}
	return unifiedRows(rows, unifiedContext)
}

func fieldLine(f diff.FieldDiff, b bool) string { return clean(f.Name) + ": " + fieldValue(f, b) }

// orderDiff is an ordering difference as a unified diff of the names in
// each order: the names from where the orders part to where they meet
// again, as removed and added.
func orderDiff(o *diff.OrderDiff) string {
	first := orderParts(o)
	lastA, lastB := len(o.A), len(o.B)
	for lastA > first && lastB > first && o.A[lastA-1] == o.B[lastB-1] {
		lastA, lastB = lastA-1, lastB-1
	}
	rows := make([]pairRow, 0, lastA+lastB-first+len(o.A)-lastA)
	for _, name := range o.A[:first] {
		rows = append(rows, pairRow{clean(name), clean(name), true, true})
	}
	for _, name := range o.A[first:lastA] {
		rows = append(rows, pairRow{a: clean(name), inA: true})
	}
	for _, name := range o.B[first:lastB] {
		rows = append(rows, pairRow{b: clean(name), inB: true})
	}
	for _, name := range o.A[lastA:] {
		rows = append(rows, pairRow{clean(name), clean(name), true, true})
	}
	return unifiedRows(rows, unifiedContext)
}

// textDiff is a text diff as a unified diff, its hunks as the text report
// writes them.
func textDiff(t *diff.TextDiff) string {
	var s strings.Builder
	for _, h := range t.Hunks {
		s.WriteString(hunkHeader(h) + "\n")
		for _, l := range h.Lines {
			s.WriteString(string(l.Op) + cleanLine(l.Text) + "\n")
		}
	}
	return s.String()
}

// hexDiff is a hex diff as a unified diff of the rows of two hex dumps in
// xxd's layout, as diffoscope compares binary files: row k of a side is
// its line k+1, so the hunk headers number rows as the offsets do.
func hexDiff(h *diff.HexDiff) string {
	var s strings.Builder
	for _, hk := range h.Hunks {
		rows := make([]pairRow, len(hk.Rows))
		for i, r := range hk.Rows {
			if r.Same {
				line := xxdRow(r.Offset, r.A)
				rows[i] = pairRow{line, line, true, true}
				continue
			}
			rows[i] = pairRow{xxdRow(r.Offset, r.A), xxdRow(r.Offset, r.B), r.A != nil, r.B != nil}
		}
		first := hk.Rows[0].Offset / 16
		var h diff.Hunk
		for _, r := range rows {
			h.LenA, h.LenB = h.LenA+count(r.inA), h.LenB+count(r.inB)
		}
		h.StartA = int(first) + count(h.LenA > 0)
		h.StartB = int(first) + count(h.LenB > 0)
		s.WriteString(hunkHeader(h) + "\n")
		writeRows(&s, rows)
	}
	return s.String()
}

// xxdRow formats up to 16 bytes as xxd does: the offset, eight groups of
// two bytes, and the printable characters.
func xxdRow(off int64, b []byte) string {
	var s strings.Builder
	fmt.Fprintf(&s, "%08x: ", off)
	for i := range 16 {
		if i < len(b) {
			fmt.Fprintf(&s, "%02x", b[i])
		} else {
			s.WriteString("  ")
		}
		if i%2 == 1 {
			s.WriteByte(' ')
		}
	}
	s.WriteByte(' ')
	s.WriteString(printable(b))
	return s.String()
}
