package ui

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"

	"isodiff/diff"
)

// The HTML report is one file to attach to a bug or open in a browser:
// the summary by cause on top with the unexplained differences listed
// first, then the tree of differences as nested <details>, each pair's
// section (its fields as a table, its text or hex diff coloured) inside
// its node. It says what the text report says, in its words (format.go
// makes them); only the layout is its own.
//
// Names and contents come from the images, which may be hostile: every
// one is cleaned as for a terminal (a bidi override or a control
// character shows as its escape, visibly) and then escaped by
// html/template, and the page may run nothing but its own inline style
// and script, whose hashes its Content-Security-Policy names. It loads
// nothing: no font, no image, no script from elsewhere.

// htmlOpenDepth is how many levels of the tree start open: the images
// and their first layer, where a reader starts; deeper nodes start
// closed so that a large comparison does not open as a wall.
const htmlOpenDepth = 2

// htmlFoldLines is how many lines make a diff long: it is folded inside
// a closed <details>, under a line saying what it holds.
const htmlFoldLines = 40

// maxCharDiff bounds the bytes of each of two lines whose changed
// characters are marked, so that marking stays cheap: the diff of two
// lines costs up to the product of their lengths.
const maxCharDiff = 512

// htmlCSS is the page's style: light and dark schemes from the reader's
// settings, and a layout that reads on a phone (long names and rows wrap
// or scroll inside their box, never the page).
const htmlCSS = `
:root{--bg:#fff;--fg:#1f2328;--dim:#656d76;--rule:#d0d7de;--box:#f6f8fa;--link:#0969da;
--del:#ffebe9;--del-fg:#82071e;--del-mark:#ffb3ad;--add:#e6ffec;--add-fg:#116329;--add-mark:#9be9a8;
--hunk:#8250df;--un:#cf222e;--un-bg:#ffebe9;--cause:#7d4e00;--cause-bg:#fff8c5}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--dim:#9198a1;--rule:#3d444d;--box:#161b22;--link:#4493f8;
--del:#3c1618;--del-fg:#ffa198;--del-mark:#8e1519;--add:#12261e;--add-fg:#7ee787;--add-mark:#1b6b32;
--hunk:#d2a8ff;--un:#ff7b72;--un-bg:#4c1d1d;--cause:#e3b341;--cause-bg:#3a2d0b}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:100rem;padding:.75rem;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--link)}
h1{font-size:1.35rem;margin:.2rem 0 .5rem}
h2{font-size:1.1rem;margin:1.1rem 0 .4rem;padding-bottom:.2rem;border-bottom:1px solid var(--rule)}
p{margin:.3rem 0}
pre,code,td,.mono,.name,.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
table{border-collapse:collapse;margin:.35rem 0;max-width:100%}
th,td{border:1px solid var(--rule);padding:.1rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:var(--box);font-weight:600}
td.n{text-align:right}
table.causes td,table.inputs td+td{font-family:inherit;font-size:inherit}
td.a{color:var(--del-fg);background:var(--del)}
td.b{color:var(--add-fg);background:var(--add)}
tr.un td{color:var(--un);font-weight:600}
ul,ol{margin:.3rem 0;padding-left:1.4rem}
li,.name,.path{overflow-wrap:anywhere}
.lead{font-weight:600}
.dim,.reason{color:var(--dim)}
.unexplained-list .reason{color:var(--un)}
.badge{display:inline-block;font-size:12px;line-height:1.5;padding:0 .45rem;margin-left:.3rem;border-radius:1rem;white-space:nowrap}
.badge.un{background:var(--un-bg);color:var(--un);font-weight:600}
.badge.below{color:var(--un);border:1px solid var(--un)}
.badge.cause{background:var(--cause-bg);color:var(--cause)}
details.node{margin:.1rem 0}
details.node>summary{cursor:pointer;padding:.05rem .25rem;border-radius:4px;border-left:3px solid transparent}
details.node>summary:hover{background:var(--box)}
details.node.unexplained>summary{border-left-color:var(--un)}
.body{margin-left:.55rem;padding-left:.75rem;border-left:1px solid var(--rule)}
.sec{margin:.25rem 0 .4rem;padding:.3rem .6rem;border:1px solid var(--rule);border-radius:6px}
.sec .path{color:var(--dim);margin:0 0 .2rem}
ul.head{list-style:none;padding:0}
.label{font-weight:600}
li.error .label,li.state.removed .label{color:var(--un)}
li.cause .label{color:var(--cause)}
pre{margin:.3rem 0;padding:.35rem 0;background:var(--box);border-radius:6px;overflow-x:auto;tab-size:8}
pre>code{display:inline-block;min-width:100%}
pre>code>span{display:block;padding:0 .6rem}
.del{background:var(--del);color:var(--del-fg)}
.add{background:var(--add);color:var(--add-fg)}
.del mark{background:var(--del-mark);color:inherit}
.add mark{background:var(--add-mark);color:inherit}
.hunk{color:var(--hunk)}
.gap{color:var(--dim)}
details.fold>summary{cursor:pointer;color:var(--dim)}
.cut{padding:.4rem .6rem;border:1px solid var(--un);border-radius:6px}
.tools button{font:inherit;font-size:13px;margin-right:.3rem}
@media (max-width:40rem){body{padding:.4rem;font-size:14px}.body{margin-left:.25rem;padding-left:.45rem}pre,code,td{font-size:12px}.sec{padding:.25rem .35rem}}
`

// htmlJS opens the nodes that hold the target of a link before the
// browser scrolls to it (a closed <details> hides it), and adds buttons
// that open or close every node. The page reads the same without it.
const htmlJS = `
"use strict";
function openTo(id){for(var e=document.getElementById(id);e;e=e.parentElement){if(e.tagName==="DETAILS"){e.open=true}}}
document.addEventListener("click",function(ev){var a=ev.target.closest&&ev.target.closest('a[href^="#"]');if(a){openTo(a.getAttribute("href").slice(1))}});
if(location.hash.length>1){openTo(decodeURIComponent(location.hash.slice(1)));var t=document.getElementById(decodeURIComponent(location.hash.slice(1)));if(t){t.scrollIntoView()}}
document.querySelectorAll("button[data-open]").forEach(function(b){b.hidden=false;b.addEventListener("click",function(){var o=b.getAttribute("data-open")==="1";document.querySelectorAll("details.node").forEach(function(d){d.open=o})})});
`

// cspHash is the source expression a Content-Security-Policy allows an
// inline element with this content by.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// htmlCSP allows the page its own style and script and nothing else: no
// other script, style, font, image, frame, form or connection.
var htmlCSP = "default-src 'none'; style-src " + cspHash(htmlCSS) + "; script-src " + cspHash(htmlJS) + "; base-uri 'none'; form-action 'none'"

var htmlTemplates = template.Must(template.New("html").Parse(`
{{- define "start" -}}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="isodiff">
<title>{{.Title}}</title>
<style>` + htmlCSS + `</style>
</head>
<body>
<header>
<h1>isodiff report</h1>
<table class="inputs">
{{range .Inputs}}<tr><th>{{.Label}}</th><td>{{.Path}}</td><td>{{.What}}</td></tr>
{{end -}}
</table>
</header>
{{end}}

{{- define "summary" -}}
<section id="summary">
{{- if .Identical}}
<p class="lead">{{.Identical}}</p>
{{- else}}
<p class="lead">{{.Count}}</p>
<p>{{.Line}}</p>
<table class="causes">
<tr><th>explained by</th><th>differences</th></tr>
<tr{{if .Unexplained}} class="un"{{end}}><td>unexplained</td><td class="n">{{.Unexplained}}</td></tr>
{{range .Causes}}<tr><td>{{.Label}}</td><td class="n">{{.Count}}</td></tr>
{{end -}}
</table>
{{- if .List}}
<h2>unexplained</h2>
<ol class="unexplained-list">
{{range .List}}<li>{{if .ID}}<a href="#{{.ID}}">{{.Path}}</a>{{else}}{{.Path}}{{end}} <span class="reason">{{.Reason}}</span></li>
{{end -}}
</ol>
{{- if .More}}
<p class="dim">{{.More}}</p>
{{- end}}
{{- end}}
{{- if .StorePaths}}
<h2>store paths</h2>
<ul class="store-paths">
{{range .StorePaths}}<li>{{.}}</li>
{{end -}}
</ul>
{{- end}}
{{- end}}
</section>
{{end}}

{{- define "tree-start" -}}
<section id="tree">
<h2>differences</h2>
<p class="tools"><button type="button" data-open="1" hidden>open all</button><button type="button" data-open="0" hidden>close all</button></p>
{{end}}

{{- define "node" -}}
<details id="{{.ID}}" class="node{{if .Unexplained}} unexplained{{end}}"{{if .Open}} open{{end}}><summary><span class="name">{{.Name}}</span>
{{- if .Reason}} <span class="reason">{{.Reason}}</span>{{end}}
{{- if .Unexplained}}<span class="badge un">unexplained</span>{{end}}
{{- if .Below}}<span class="badge below">{{.Below}}</span>{{end}}
{{- range .Causes}}<span class="badge cause">{{.}}</span>{{end -}}
</summary><div class="body">
{{end}}

{{- define "lines" -}}
<pre><code>{{range .}}<span class="{{.Class}}">{{range .Segs}}{{if .Mark}}<mark>{{.Text}}</mark>{{else}}{{.Text}}{{end}}{{end}}
</span>{{end}}</code></pre>
{{- end}}

{{- define "diff" -}}
{{if .Fold}}<details class="fold"><summary>{{.Fold}}</summary>
{{template "lines" .Lines}}
</details>{{else}}{{template "lines" .Lines}}{{end}}
{{range .Notes}}<p class="dim">{{.}}</p>
{{end}}
{{- end}}

{{- define "section" -}}
<div class="sec">
<p class="path">{{.Path}}</p>
<ul class="head">
{{range .Head}}<li class="{{.Class}}">{{if .Label}}<span class="label">{{.Label}}</span> {{end}}{{.Text}}</li>
{{end -}}
</ul>
{{with .Fields -}}
<table class="fields">
{{if .Side}}<tr><th>field</th><th>{{.Side}}</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td class="{{if eq $.State "added"}}b{{else}}a{{end}}">{{.A}}</td></tr>
{{end}}{{else}}<tr><th>field</th><th>A</th><th>B</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td class="a">{{.A}}</td><td class="b">{{.B}}</td></tr>
{{end}}{{end -}}
</table>
{{end -}}
{{with .Order -}}
<p>{{.Header}}</p>
<ul>
<li><span class="label">A:</span> {{.A}}</li>
<li><span class="label">B:</span> {{.B}}</li>
</ul>
{{end -}}
{{range .ContentHead}}<p>{{.}}</p>
{{end -}}
{{with .Text}}{{template "diff" .}}{{end -}}
{{with .Hex}}<p>{{.Header}}</p>
{{template "diff" .}}{{end -}}
{{with .Listing -}}
<ul class="mono">
{{range .}}<li>{{.}}</li>
{{end -}}
</ul>
{{end -}}
{{with .Moved -}}
<p>{{.Header}}</p>
<ul class="mono">
{{range .Lines}}<li>{{.}}</li>
{{end -}}
</ul>
{{end -}}
{{range .More}}<p class="dim">{{.}}</p>
{{end -}}
</div>
{{end}}

{{- define "cut" -}}
<p class="cut">{{.}}</p>
{{end}}

{{- define "end" -}}
<script>` + htmlJS + `</script>
</body>
</html>
{{end}}
`))

type htmlStart struct {
	CSP, Title string
	Inputs     []htmlInput
}

type htmlInput struct{ Label, Path, What string }

type htmlSummary struct {
	Identical string // the whole summary of inputs without differences
	// Count and Line are countLine and summaryLine, which say what was
	// mirrored and what filters hid too.
	Count, Line string
	Unexplained int
	Causes      []diff.CauseCount
	List        []htmlLink // the unexplained differences
	More        string     // what the list leaves out
	StorePaths  []string
}

// htmlLink names a pair and links to its node, when the page holds it.
type htmlLink struct{ ID, Path, Reason string }

// htmlNode is what heads a node of the tree.
type htmlNode struct {
	ID           string
	Open         bool
	Unexplained  bool
	Name, Reason string
	Below        string // the unexplained differences below it, if any
	Causes       []string
}

type htmlSection struct {
	Path        string
	State       string
	Head        []htmlHead
	Fields      *htmlFields
	Order       *htmlOrder
	ContentHead []string
	Text, Hex   *htmlDiff
	Listing     []string
	Moved       *htmlMoved
	More        []string // what limits left out of the listings
}

type htmlHead struct{ Class, Label, Text string }

type htmlFields struct {
	Side string // "A" or "B" for an entry on one side only, its values in A
	Rows []htmlField
}

type htmlField struct{ Name, A, B string }

type htmlOrder struct{ Header, A, B string }

type htmlMoved struct {
	Header string
	Lines  []string
}

// htmlDiff is a text or hex diff: its lines, folded under Fold when
// long, and the notes that follow it.
type htmlDiff struct {
	Header string
	Fold   string
	Lines  []htmlLine
	Notes  []string
}

// htmlLine is a line of a diff: its class (ctx, del, add, hunk or gap)
// and its text in segments, the marked ones differing from the other
// side.
type htmlLine struct {
	Class string
	Segs  []charSeg
}

// charSeg is a run of a changed line, Mark set where the run differs
// from the other side's line (see changedChars); the HTML report and the
// interactive view both draw them.
type charSeg struct {
	Text string
	Mark bool
}

// WriteHTML writes the HTML report of the tree to w: one page that needs
// nothing else, at most opt.MaxReportSize bytes (the tree is cut where a
// node would pass it, and the page says what was left out). Identical
// inputs get nothing, as in every format (see WriteText); inputs identical
// after filters get a page that says so.
func WriteHTML(w io.Writer, a, b Input, root *diff.Node, opt ReportOptions) error {
	if !root.Differs() && opt.Hidden.Total == 0 {
		return nil
	}
	hw := &htmlWriter{opt: opt}
	start := hw.exec("start", htmlStart{
		CSP:    htmlCSP,
		Title:  "isodiff: " + clean(a.Path) + " ↔ " + clean(b.Path),
		Inputs: []htmlInput{htmlInputOf("A", a), htmlInputOf("B", b)},
	})
	end := hw.exec("end", nil)
	if !root.Differs() {
		sum := htmlSummary{Identical: fmt.Sprintf("identical after filters (%s)", opt.Hidden)}
		return hw.write(w, start, hw.exec("summary", sum), end)
	}

	lines := differenceTree(root)
	ids := make(map[*diff.Node]int, len(lines))
	for i, l := range lines {
		ids[l.node] = i
	}
	s := diff.Summarize(root)
	summary := hw.summary(root, s, ids, len(lines))
	limit := opt.MaxReportSize
	if limit <= 0 {
		limit = int(^uint(0) >> 1)
	}
	tree, shown := hw.tree(lines, s, limit-len(start)-len(summary)-len(end))
	if shown < len(lines) {
		// The summary links only to the nodes the page holds.
		summary = hw.summary(root, s, ids, shown)
	}
	return hw.write(w, start, summary, tree, end)
}

type htmlWriter struct {
	opt ReportOptions
	err error
}

// exec runs a template into a string; the first error is kept for write.
func (hw *htmlWriter) exec(name string, data any) string {
	var b strings.Builder
	if err := htmlTemplates.ExecuteTemplate(&b, name, data); err != nil && hw.err == nil {
		hw.err = err
	}
	return b.String()
}

func (hw *htmlWriter) write(w io.Writer, parts ...string) error {
	if hw.err != nil {
		return hw.err
	}
	for _, p := range parts {
		if _, err := io.WriteString(w, p); err != nil {
			return err
		}
	}
	return nil
}

func htmlInputOf(label string, in Input) htmlInput {
	what := fmt.Sprintf("%d bytes", in.Size)
	if in.IsDir {
		what = "directory"
	}
	return htmlInput{label, clean(in.Path), what}
}

// summary is the summary by cause, the unexplained differences (linked
// to the nodes of the first shown lines of the tree) and the store paths.
// The list of unexplained differences takes a quarter of the report at
// most, as in the Markdown report.
func (hw *htmlWriter) summary(root *diff.Node, s diff.Summary, ids map[*diff.Node]int, shown int) string {
	sum := htmlSummary{
		Count:       countLine(root.Count()),
		Line:        summaryLine(s, hw.opt.Hidden),
		Unexplained: len(s.Unexplained),
		Causes:      s.ByCause,
		StorePaths:  storePathLines(root),
	}
	size := 0
	for i, n := range s.Unexplained {
		l := htmlLink{Path: clean(n.Path()), Reason: clean(stateWord(n) + reasonText(n))}
		size += len(l.Path) + len(l.Reason) + 40
		if hw.opt.MaxReportSize > 0 && size > hw.opt.MaxReportSize/4 {
			sum.More = fmt.Sprintf("[%d more not listed; raise --max-report-size]", len(s.Unexplained)-i)
			break
		}
		if i, ok := ids[n]; ok && i < shown {
			l.ID = htmlID(i)
		}
		sum.List = append(sum.List, l)
	}
	return hw.exec("summary", sum)
}

// htmlID is the id of the node of line i of the tree.
func htmlID(i int) string { return fmt.Sprintf("d%d", i) }

// htmlNodeClose closes a node opened by the "node" template.
const htmlNodeClose = "</div></details>\n"

// tree is the tree of differences, a node per line of differenceTree
// holding the section of its pair and then its children's nodes, cut
// before the node that would take it past budget bytes; shown counts
// the lines it holds.
func (hw *htmlWriter) tree(lines []treeLine, s diff.Summary, budget int) (string, int) {
	below := map[*diff.Node]int{}
	unexplained := map[*diff.Node]bool{}
	for _, n := range s.Unexplained {
		unexplained[n] = true
		for p := n.Parent; p != nil; p = p.Parent {
			below[p]++
		}
	}
	var out strings.Builder
	out.WriteString(hw.exec("tree-start", nil))
	const end = "</section>\n"
	open := 0
	shown := 0
	for i, l := range lines {
		var node strings.Builder
		// The nodes of the lines before that are not this one's
		// ancestors end here.
		node.WriteString(strings.Repeat(htmlNodeClose, max(0, open-l.depth)))
		n := l.node
		h := htmlNode{
			ID: htmlID(i), Open: l.depth < htmlOpenDepth, Unexplained: unexplained[n],
			Name: l.name, Reason: l.reason,
		}
		if k := below[n]; k > 0 {
			h.Below = fmt.Sprintf("%d unexplained below", k)
		}
		for _, c := range n.Causes {
			if !containsString(h.Causes, clean(c.Label)) {
				h.Causes = append(h.Causes, clean(c.Label))
			}
		}
		node.WriteString(hw.exec("node", h))
		if n.OwnDifferences() {
			node.WriteString(hw.exec("section", hw.section(n)))
		}
		closing := (l.depth+1)*len(htmlNodeClose) + len(end)
		if out.Len()+node.Len()+closing+len(hw.cut(lines, i)) > budget && i > 0 {
			for ; open > 0; open-- {
				out.WriteString(htmlNodeClose)
			}
			out.WriteString(hw.cut(lines, i))
			break
		}
		out.WriteString(node.String())
		open = l.depth + 1
		shown++
	}
	for ; open > 0; open-- {
		out.WriteString(htmlNodeClose)
	}
	out.WriteString(end)
	return out.String(), shown
}

// cut is the note that ends a tree cut before line i.
func (hw *htmlWriter) cut(lines []treeLine, i int) string {
	return hw.exec("cut", fmt.Sprintf("[report cut at %d bytes: %d more entries of the tree not shown, from %s; raise --max-report-size]",
		hw.opt.MaxReportSize, len(lines)-i, clean(lines[i].node.Path())))
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// section is the section of a pair with differences of its own, as the
// text report's: its head lines, fields, order, content, and the entries
// it lists.
func (hw *htmlWriter) section(n *diff.Node) htmlSection {
	sec := htmlSection{Path: clean(n.Path()), State: n.State.String()}
	for _, l := range sectionHead(n) {
		class := map[headKind]string{headState: "state " + n.State.String(), headError: "error", headCause: "cause", headInfo: "info", headNote: "note"}[l.kind]
		sec.Head = append(sec.Head, htmlHead{class, l.label, l.text})
	}
	sec.Fields = htmlFieldsOf(n)
	if o := n.Order; o != nil {
		sec.Order = &htmlOrder{orderHeader(o), orderNames(o, o.A), orderNames(o, o.B)}
	}
	if c := n.Content; c != nil {
		sec.ContentHead = contentHead(c)
		switch {
		case c.Text != nil:
			sec.Text = foldDiff(&htmlDiff{
				Lines: htmlTextLines(c.Text),
				Notes: appendNonEmpty(nil, noNewline(c.Text), omittedLines(c.Text)),
			}, "lines of text diff")
		case c.Hex != nil:
			sec.Hex = foldDiff(&htmlDiff{
				Header: hexHeader(c.Hex),
				Lines:  htmlHexLines(c.Hex),
				Notes:  appendNonEmpty(nil, omittedRows(c.Hex)),
			}, "lines of hex diff")
		}
	}
	if n.State == diff.Added || n.State == diff.Removed {
		entries, more := entriesInside(n, hw.opt.MaxListed)
		for _, e := range entries {
			sec.Listing = append(sec.Listing, clean(e.Path())+"  "+clean(e.Type))
		}
		if more > 0 {
			sec.More = append(sec.More, fmt.Sprintf("[%d more entries not listed]", more))
		}
	}
	if n.Moved > 0 || n.Respelled > 0 || n.Renamed > 0 {
		lines, more := movedEntries(n, hw.opt.MaxListed)
		sec.Moved = &htmlMoved{movedHeader, lines}
		sec.More = appendNonEmpty(sec.More, notListed(more))
	}
	return sec
}

// htmlFieldsOf is the table of the fields of a pair that differ, or of
// every field of an entry on one side only; nil when there are none.
func htmlFieldsOf(n *diff.Node) *htmlFields {
	oneSide := n.State == diff.Added || n.State == diff.Removed
	rows := n.Changed()
	if oneSide {
		rows = n.Fields()
	}
	if len(rows) == 0 {
		return nil
	}
	t := &htmlFields{}
	if oneSide {
		t.Side = "A"
		if n.State == diff.Added {
			t.Side = "B"
		}
	}
	for _, f := range rows {
		if oneSide {
			t.Rows = append(t.Rows, htmlField{Name: clean(f.Name), A: fieldValue(f, n.State == diff.Added)})
			continue
		}
		t.Rows = append(t.Rows, htmlField{clean(f.Name), fieldValue(f, false), fieldValue(f, true)})
	}
	return t
}

// foldDiff folds a long diff under a line saying how long it is.
func foldDiff(d *htmlDiff, what string) *htmlDiff {
	if len(d.Lines) > htmlFoldLines {
		d.Fold = fmt.Sprintf("%d %s", len(d.Lines), what)
	}
	return d
}

// htmlTextLines are the lines of a text diff as the text report has
// them (textDiffLines), in classes, with the changed characters of a
// removed line and the added line paired with it marked.
func htmlTextLines(t *diff.TextDiff) []htmlLine {
	var out []htmlLine
	plain := func(class string, text string) htmlLine {
		return htmlLine{class, []charSeg{{Text: text}}}
	}
	for _, h := range t.Hunks {
		out = append(out, plain("hunk", hunkHeader(h)))
		for i := 0; i < len(h.Lines); {
			if op := h.Lines[i].Op; op != '-' && op != '+' {
				out = append(out, plain("ctx", string(op)+cleanLine(h.Lines[i].Text)))
				i++
				continue
			}
			// A run of removed lines and the run of added lines after
			// it: the k-th of each are paired.
			j := i
			for j < len(h.Lines) && h.Lines[j].Op == '-' {
				j++
			}
			k := j
			for k < len(h.Lines) && h.Lines[k].Op == '+' {
				k++
			}
			dels, adds := h.Lines[i:j], h.Lines[j:k]
			delLines := make([]htmlLine, len(dels))
			addLines := make([]htmlLine, len(adds))
			for x, l := range dels {
				delLines[x] = plain("del", "-"+cleanLine(l.Text))
			}
			for x, l := range adds {
				addLines[x] = plain("add", "+"+cleanLine(l.Text))
			}
			for x := 0; x < min(len(dels), len(adds)); x++ {
				if sa, sb, ok := changedChars(cleanLine(dels[x].Text), cleanLine(adds[x].Text)); ok {
					delLines[x].Segs = append([]charSeg{{Text: "-"}}, sa...)
					addLines[x].Segs = append([]charSeg{{Text: "+"}}, sb...)
				}
			}
			out = append(append(out, delLines...), addLines...)
			i = k
		}
	}
	return out
}

// maxCharChanges is how many changed runs two lines that share less than
// half of the longer one may have and still be marked.
const maxCharChanges = 6

// changedChars splits two lines into the segments they share and those
// that differ, when the lines are short enough for that to be cheap and
// share at least half of the longer one or differ in a few runs only;
// otherwise the whole lines are the change, and marking scattered
// characters would only be noise.
func changedChars(a, b string) (sa, sb []charSeg, ok bool) {
	if len(a) > maxCharDiff || len(b) > maxCharDiff {
		return nil, nil, false
	}
	dmp := diffmatchpatch.New()
	// No deadline: the same lines are always marked the same way, and
	// maxCharDiff bounds the work.
	dmp.DiffTimeout = 0
	var units unitRunes
	diffs := dmp.DiffCleanupSemantic(dmp.DiffMainRunes(units.runes(a), units.runes(b), false))
	equal, changes := 0, 0
	for i, d := range diffs {
		diffs[i].Text = units.text(d.Text)
		if d.Type == diffmatchpatch.DiffEqual {
			equal += len(diffs[i].Text)
		} else {
			changes++
		}
	}
	if equal == 0 || 2*equal < max(len(a), len(b)) && changes > maxCharChanges {
		return nil, nil, false
	}
	for _, d := range diffs {
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			sa = appendSeg(sa, d.Text, false)
			sb = appendSeg(sb, d.Text, false)
		case diffmatchpatch.DiffDelete:
			sa = appendSeg(sa, d.Text, true)
		case diffmatchpatch.DiffInsert:
			sb = appendSeg(sb, d.Text, true)
		}
	}
	return sa, sb, true
}

// unitRunes maps the escapes clean writes (`\x1b`, `\u202e`) to runes of
// their own, so that a change is marked around a whole escape, never
// inside one. Their runes are private-use characters of plane 16, which
// clean always escapes and a cleaned line so never holds as they are.
type unitRunes struct {
	escapes []string
	index   map[string]rune
}

const firstUnitRune = 0x100000

// runes is a cleaned line as runes, an escape as one.
func (u *unitRunes) runes(s string) []rune {
	var out []rune
	for i := 0; i < len(s); {
		n := escapeLen(s[i:])
		if n == 0 {
			r, size := utf8.DecodeRuneInString(s[i:])
			out = append(out, r)
			i += size
			continue
		}
		esc := s[i : i+n]
		r, ok := u.index[esc]
		if !ok {
			if u.index == nil {
				u.index = map[string]rune{}
			}
			r = firstUnitRune + rune(len(u.escapes))
			u.index[esc] = r
			u.escapes = append(u.escapes, esc)
		}
		out = append(out, r)
		i += n
	}
	return out
}

// text is the cleaned text of runes made by runes.
func (u *unitRunes) text(s string) string {
	var b strings.Builder
	for _, r := range s {
		if i := int(r - firstUnitRune); i >= 0 && i < len(u.escapes) {
			b.WriteString(u.escapes[i])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeLen is the length of the escape s starts with as clean writes
// them (\xNN, \uNNNN, \UNNNNNNNN, \a, \\, ...), 0 when it starts with
// none.
func escapeLen(s string) int {
	if len(s) < 2 || s[0] != '\\' {
		return 0
	}
	n := map[byte]int{'x': 4, 'u': 6, 'U': 10}[s[1]]
	if n == 0 {
		return 2
	}
	if len(s) < n {
		return 0
	}
	for i := 2; i < n; i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return 0
		}
	}
	return n
}

// appendSeg appends text to the segments, joining it to the last one
// when they are marked alike.
func appendSeg(segs []charSeg, text string, mark bool) []charSeg {
	if text == "" {
		return segs
	}
	if k := len(segs) - 1; k >= 0 && segs[k].Mark == mark {
		segs[k].Text += text
		return segs
	}
	return append(segs, charSeg{text, mark})
}

// htmlHexLines are the lines of a hex diff as the text report writes
// them (hexLines), with the bytes that differ from the other side's
// marked in the hex and the character columns.
func htmlHexLines(h *diff.HexDiff) []htmlLine {
	lines := hexLines(h)
	out := make([]htmlLine, len(lines))
	for i, l := range lines {
		class := map[byte]string{0: "gap", ' ': "ctx", '-': "del", '+': "add"}[l.op]
		if l.op == 0 || l.pastEnd {
			out[i] = htmlLine{class, []charSeg{{Text: l.String()}}}
			continue
		}
		segs := []charSeg{{Text: fmt.Sprintf("%c%08x  ", l.op, l.off)}}
		for j := 0; j < 16; j++ {
			sep := " "
			if j == 7 {
				sep = "  "
			}
			if j >= len(l.row) {
				segs = appendSeg(segs, "  "+sep, false)
				continue
			}
			segs = appendSeg(segs, fmt.Sprintf("%02x", l.row[j]), l.differs(j))
			// A run of differing bytes is marked as one, spaces
			// between them included.
			segs = appendSeg(segs, sep, l.differs(j) && j+1 < len(l.row) && l.differs(j+1))
		}
		segs = appendSeg(segs, " |", false)
		for j := range l.row {
			segs = appendSeg(segs, printable(l.row[j:j+1]), l.differs(j))
		}
		out[i] = htmlLine{class, appendSeg(segs, "|", false)}
	}
	return out
}
