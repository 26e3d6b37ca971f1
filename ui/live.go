package ui

import (
	"context"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"isodiff/diff"
)

// Session is what the UI watches: a comparison running elsewhere.
type Session struct {
	A, B     Input
	Feed     *Feed
	Progress *diff.Progress
	// Result delivers the finished tree, or the error that stopped the
	// comparison before anything could be compared; it is read once.
	Result <-chan Result
	// Cancel stops the comparison: the view calls it as it quits, so that
	// no work goes on for a view that is gone. Nil when there is nothing
	// to stop.
	Cancel context.CancelFunc
	// Output receives the OSC 52 clipboard sequence; nil for stdout.
	Output io.Writer
	// Now is the clock; nil for time.Now (tests fix it).
	Now func() time.Time
}

// Result ends a comparison.
type Result struct {
	Root *diff.Node
	Err  error
}

// stop stops the comparison, if it still runs.
func (s Session) stop() {
	if s.Cancel != nil {
		s.Cancel()
	}
}

// Feed carries finished pairs from the comparison, which runs elsewhere,
// to the UI, which takes them in batches.
type Feed struct {
	mu    sync.Mutex
	nodes []*diff.Node
}

// Done is the diff.Options.OnDone hook.
func (f *Feed) Done(n *diff.Node) {
	f.mu.Lock()
	f.nodes = append(f.nodes, n)
	f.mu.Unlock()
}

func (f *Feed) take() []*diff.Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.nodes
	f.nodes = nil
	return out
}

// liveNode is a node of the tree as the UI knows it so far: a finished
// pair, or a pair still being compared whose finished children have
// arrived. Of a pair still in progress only its Name, Parent and
// Descended may be read (diff.Node promises those do not change).
type liveNode struct {
	d        *diff.Node
	done     bool
	parent   *liveNode
	children []*liveNode // sorted by name
	depth    int
	// visible: shown when identical entries are hidden (it differs, or a
	// descendant does).
	visible  bool
	fullPath string
}

func (l *liveNode) name() string { return l.d.Name }

// liveTree indexes the nodes that have arrived.
type liveTree struct {
	root  *liveNode
	nodes map[*diff.Node]*liveNode
}

func newLiveTree() *liveTree { return &liveTree{nodes: map[*diff.Node]*liveNode{}} }

func (t *liveTree) get(d *diff.Node) *liveNode {
	if l, ok := t.nodes[d]; ok {
		return l
	}
	l := &liveNode{d: d}
	t.nodes[d] = l
	if d.Parent == nil {
		t.root = l
		return l
	}
	p := t.get(d.Parent)
	l.parent = p
	l.depth = p.depth + 1
	i := sort.Search(len(p.children), func(i int) bool { return p.children[i].name() >= d.Name })
	p.children = append(p.children, nil)
	copy(p.children[i+1:], p.children[i:])
	p.children[i] = l
	return l
}

// add records finished pairs; it reports whether any changed what shows.
func (t *liveTree) add(nodes []*diff.Node) {
	for _, d := range nodes {
		l := t.get(d)
		l.done = true
		if d.State != diff.Same {
			for m := l; m != nil && !m.visible; m = m.parent {
				m.visible = true
			}
		}
	}
}

// matcher is a filter of the view: a glob, matched as --exclude and
// --only match (a pattern without "/" matches a name in any directory,
// "**" crosses directories and layers), else a substring of the path in
// any case.
type matcher struct {
	glob func(string) bool
	sub  string
}

func newMatcher(filter string) matcher {
	if strings.ContainsAny(filter, "*?[") {
		if g, err := diff.MatchGlob(filter); err == nil {
			return matcher{glob: g}
		}
		// Not a glob diff can use: matches nothing.
		return matcher{glob: func(string) bool { return false }}
	}
	return matcher{sub: strings.ToLower(filter)}
}

// match reports whether a node's layered path matches, as it is or as
// the view shows it (escaped), so that what is on the screen can be
// typed into the filter.
func (f matcher) match(p string) bool {
	if f.test(p) {
		return true
	}
	if c := clean(p); c != p {
		return f.test(c)
	}
	return false
}

func (f matcher) test(p string) bool {
	if f.glob != nil {
		return f.glob(p)
	}
	return strings.Contains(strings.ToLower(p), f.sub)
}

// path is the node's layered path, made once: a filter tests every node
// at every change.
func (l *liveNode) path() string {
	if l.fullPath == "" {
		l.fullPath = l.d.Path()
	}
	return l.fullPath
}

// revisit sets again which nodes show when identical entries are hidden,
// after the tree's states changed (see diff.FoldMirrors).
func (t *liveTree) revisit() {
	var walk func(l *liveNode) bool
	walk = func(l *liveNode) bool {
		l.visible = l.d.State != diff.Same
		for _, c := range l.children {
			if walk(c) {
				l.visible = true
			}
		}
		return l.visible
	}
	if t.root != nil {
		walk(t.root)
	}
}
