package ui

import (
	"fmt"
	"html"
	"io"
	"strings"

	"isodiff/diff"
)

// The Markdown report is for pasting into a GitHub issue or pull request:
// the inputs and the counts, the tree of differences as a nested list,
// then a section per difference with its fields as a table and its diff
// in a fence, in the words and order of the text report. GitHub takes
// 65,536 characters in an issue or a comment, so the report is cut to
// that, and says what it left out.

// DefaultMarkdownSize is the most characters GitHub takes in the body of
// an issue, a pull request or a comment.
const DefaultMarkdownSize = 65536

// mdDetailsLines is how many lines of a section make it long: its fields
// and diff are then folded inside <details>, under its state and causes.
const mdDetailsLines = 30

// WriteMarkdown writes the Markdown report of the tree to w, at most
// opt.MaxMarkdownSize characters as GitHub counts them; identical inputs
// get none, as with the text report.
func WriteMarkdown(w io.Writer, a, b Input, root *diff.Node, opt ReportOptions) error {
	if !root.Differs() && opt.Hidden.Total == 0 {
		return nil
	}
	limit := opt.MaxMarkdownSize
	if limit <= 0 {
		limit = int(^uint(0) >> 1)
	}
	var out strings.Builder
	size := 0 // characters in out, as GitHub counts them
	add := func(s string) {
		out.WriteString(s)
		size += mdLen(s)
	}

	add("## isodiff report\n\n| | input | size |\n|---|---|---|\n")
	for _, in := range []struct {
		label string
		Input
	}{{"A", a}, {"B", b}} {
		what := fmt.Sprintf("%d bytes", in.Size)
		if in.IsDir {
			what = "directory"
		}
		add(fmt.Sprintf("| %s | %s | %s |\n", in.label, mdText(in.Path), what))
	}
	if !root.Differs() {
		add("\n**" + mdText(fmt.Sprintf("identical after filters (%s)", opt.Hidden)) + "**\n")
		_, err := io.WriteString(w, out.String())
		return err
	}
	add("\n**" + mdText(countLine(root.Count())) + "**\n\n")
	sum := diff.Summarize(root)
	line := summaryLine(sum, opt.Hidden)
	add(mdText(line) + "\n\n")
	if len(sum.Unexplained) > 0 {
		add("**unexplained**\n\n")
		for i, n := range sum.Unexplained {
			line := "- " + mdText(clean(n.Path())) + " — " + mdText(clean(stateWord(n)+reasonText(n))) + "\n"
			if size+mdLen(line) > limit/4 {
				add("- *" + mdText(fmt.Sprintf("[%d more not listed]", len(sum.Unexplained)-i)) + "*\n")
				break
			}
			add(line)
		}
		add("\n")
	}
	if lines := storePathLines(root); len(lines) > 0 {
		add("**store paths**\n\n")
		for _, l := range lines {
			add("- " + mdText(l) + "\n")
		}
		add("\n")
	}

	sections := sectionPairs(root)
	// cut is the note that ends a report cut before section i.
	cut := func(i int) string {
		return fmt.Sprintf("\n---\n\n*%s*\n", mdText(fmt.Sprintf(
			"[report cut at %d characters, as GitHub takes them: %d more sections not shown, from %s; the text report (--text) and the JSON (--json) have them]",
			limit, len(sections)-i, clean(sections[i].Path()))))
	}

	// The tree takes half the report at most, so that sections follow it.
	tree := differenceTree(root)
	for i, l := range tree {
		line := strings.Repeat("  ", l.depth) + "- " + mdText(l.name)
		if l.reason != "" {
			line += " — " + mdText(l.reason)
		}
		line += "\n"
		if size+mdLen(line) > limit/2 {
			add(strings.Repeat("  ", l.depth) + "- *" + mdText(fmt.Sprintf("[%d more lines of this tree not shown]", len(tree)-i)) + "*\n")
			break
		}
		add(line)
	}

	for i, n := range sections {
		sec := mdSection(n, opt)
		// A section fits when the note saying what follows it would fit
		// after it too.
		need := mdLen(sec)
		if i+1 < len(sections) {
			need += mdLen(cut(i + 1))
		}
		if size+need > limit {
			add(cut(i))
			break
		}
		add(sec)
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// mdSection is the section of a pair: a heading with its path, its state,
// what could not be read, its known causes and notes as a list, its
// fields as a table, then its diff in a fence, or the entries it lists,
// folded inside <details> when the section is long.
func mdSection(n *diff.Node, opt ReportOptions) string {
	var head strings.Builder
	fmt.Fprintf(&head, "\n### %s\n\n", mdText(n.Path()))
	for _, l := range sectionHead(n) {
		switch l.kind {
		case headState, headInfo:
			fmt.Fprintf(&head, "- %s\n", mdText(l.String()))
		default:
			fmt.Fprintf(&head, "- **%s** %s\n", mdText(l.label), mdText(l.text))
		}
	}

	fields := mdFields(n)
	var body []string // blocks, each one or more lines
	if o := n.Order; o != nil {
		body = append(body, mdText(orderHeader(o)), "- **A:** "+mdText(orderNames(o, o.A))+"\n- **B:** "+mdText(orderNames(o, o.B)))
	}
	if c := n.Content; c != nil {
		for _, l := range contentHead(c) {
			body = append(body, mdText(l))
		}
		switch {
		case c.Text != nil:
			body = append(body, fence("diff", textDiffLines(c.Text)))
			body = appendNonEmpty(body, mdText(noNewline(c.Text)), mdText(omittedLines(c.Text)))
		case c.Hex != nil:
			body = append(body, mdText(hexHeader(c.Hex)), fence("", hexDiffLines(c.Hex)))
			body = appendNonEmpty(body, mdText(omittedRows(c.Hex)))
		}
	}
	if n.State == diff.Added || n.State == diff.Removed {
		body = appendNonEmpty(body, mdListing(n, opt.MaxListed))
	}
	if n.Moved > 0 || n.Respelled > 0 || n.Renamed > 0 {
		lines, more := movedEntries(n, opt.MaxListed)
		list := make([]string, len(lines))
		for i, l := range lines {
			list[i] = "- " + mdText(l)
		}
		body = append(body, mdText(movedHeader), strings.Join(list, "\n"))
		body = appendNonEmpty(body, mdText(notListed(more)))
	}

	text := strings.Join(body, "\n\n")
	if strings.Count(fields+text, "\n") >= mdDetailsLines {
		// GitHub reads the Markdown inside <details> only after a blank
		// line; the summary is HTML.
		text = fmt.Sprintf("<details><summary>%s</summary>\n\n%s\n\n</details>",
			html.EscapeString(clean(stateWord(n)+reasonText(n))), text)
	}
	for _, block := range []string{fields, text} {
		if block != "" {
			head.WriteString("\n" + block + "\n")
		}
	}
	return head.String()
}

// mdFields is the table of the fields of a pair that differ, or of every
// field of an entry on one side only, with the value of that side; ""
// when there are none.
func mdFields(n *diff.Node) string {
	oneSide := n.State == diff.Added || n.State == diff.Removed
	rows := n.Changed()
	if oneSide {
		rows = n.Fields()
	}
	if len(rows) == 0 {
		return ""
	}
	var t strings.Builder
	switch {
	case oneSide:
		side := map[bool]string{true: "B", false: "A"}[n.State == diff.Added]
		fmt.Fprintf(&t, "| field | %s |\n|---|---|", side)
		for _, f := range rows {
			fmt.Fprintf(&t, "\n| %s | %s |", mdText(f.Name), mdText(fieldValue(f, n.State == diff.Added)))
		}
	default:
		t.WriteString("| field | A | B |\n|---|---|---|")
		for _, f := range rows {
			fmt.Fprintf(&t, "\n| %s | %s | %s |", mdText(f.Name), mdText(fieldValue(f, false)), mdText(fieldValue(f, true)))
		}
	}
	return t.String()
}

// mdListing lists the entries inside an added or removed directory.
func mdListing(n *diff.Node, limit int) string {
	var lines []string
	count := 0
	n.Walk(func(m *diff.Node) bool {
		if m != n {
			if count < limit {
				lines = append(lines, "- "+mdText(m.Path())+" — "+mdText(m.Type))
			}
			count++
		}
		return true
	})
	if count > limit {
		lines = append(lines, mdText(fmt.Sprintf("[%d more entries not listed]", count-limit)))
	}
	return strings.Join(lines, "\n")
}

// fence puts lines in a fenced code block, its fence longer than any run
// of backticks in them, so that no line can close it.
func fence(info string, lines []string) string {
	longest, run := 0, 0
	for _, l := range lines {
		for i := 0; i < len(l); i++ {
			if l[i] == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
		run = 0
	}
	f := strings.Repeat("`", max(3, longest+1))
	return f + info + "\n" + strings.Join(lines, "\n") + "\n" + f
}

// mdText makes a string read from an image (cleaned first) plain text in
// Markdown: the characters that would make emphasis, code, a link, a
// table cell, a tag, an entity, strikethrough or GitHub's math are
// escaped, and so is what would start a heading, a list or a quote at
// the start of a line, a list item or a table cell.
func mdText(s string) string {
	s = clean(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	lead := true // still at the start, where spaces would be trimmed
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case lead && c == ' ':
			b.WriteString("&#32;")
			continue
		case strings.IndexByte("\\`*_|[]<>~&$", c) >= 0,
			i == 0 && strings.IndexByte("#-+=", c) >= 0,
			// "1. " or "1) " would start an ordered list.
			(c == '.' || c == ')') && allDigits(s[:i]):
			b.WriteByte('\\')
		}
		lead = false
		b.WriteByte(c)
	}
	return b.String()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// mdLen counts characters as GitHub's limits do, in UTF-16 code units: a
// character beyond the Basic Multilingual Plane counts twice.
func mdLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xffff {
			n++
		}
	}
	return n
}
