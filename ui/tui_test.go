package ui

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"isodiff/diff"
	"isodiff/unpack"
	"isodiff/unpack/formats"
)

// compareFixtures compares two committed fixture images, feeding every
// finished pair to feed as the interactive mode does.
func compareFixtures(t *testing.T, a, b string, feed *Feed, tweak func([]byte) []byte, progress *diff.Progress) *diff.Node {
	t.Helper()
	open := func(name string, tweak func([]byte) []byte) *unpack.Node {
		img, err := os.ReadFile(filepath.Join("..", "fixtures", "iso", name))
		if err != nil {
			t.Fatal(err)
		}
		if tweak != nil {
			img = tweak(img)
		}
		r := bytes.NewReader(img)
		f, ok := unpack.Detect(r, int64(len(img)), formats.All)
		if !ok {
			t.Fatalf("%s: not detected", name)
		}
		n, err := f.Open(r, int64(len(img)), &unpack.Env{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	opt := diff.DefaultOptions()
	opt.Formats = formats.All
	opt.MaxDiffLines, opt.MaxHexBytes = 20000, 256<<10
	if feed != nil {
		opt.OnDone = feed.Done
	}
	opt.Progress = progress
	return compare(t, a, open(a, nil), open(b, tweak), opt)
}

// compare is diff.Compare run to its end.
func compare(t testing.TB, name string, a, b *unpack.Node, opt diff.Options) *diff.Node {
	t.Helper()
	root, err := diff.Compare(context.Background(), name, a, b, opt)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newTestModel is a model with colour off and a clock that does not move.
func newTestModel(a, b string, feed *Feed, progress *diff.Progress, results chan Result, w, h int) Model {
	m := NewModel(Session{
		A: Input{Path: a}, B: Input{Path: b}, Feed: feed, Progress: progress,
		Result: results, Now: func() time.Time { return epoch },
	}, lipgloss.NewRenderer(&bytes.Buffer{}, termenv.WithProfile(termenv.Ascii)))
	m = step(m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// step applies one message and lays out the right pane as the command it
// returns would, outside the update loop.
func step(m Model, msg tea.Msg) Model {
	next, _ := m.Update(msg)
	m = next.(Model)
	if cmd := m.renderSelected(); cmd != nil {
		next, _ = m.Update(cmd())
		m = next.(Model)
	}
	return m
}

func keys(m Model, ks ...string) Model {
	for _, k := range ks {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "right":
			msg = tea.KeyMsg{Type: tea.KeyRight}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		case "pgdown":
			msg = tea.KeyMsg{Type: tea.KeyPgDown}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		m = step(m, msg)
	}
	return m
}

// finished is a model after the whole comparison of a fixture pair.
func finished(t *testing.T, a, b string, w, h int, tweak func([]byte) []byte) Model {
	t.Helper()
	feed, progress := &Feed{}, &diff.Progress{}
	root := compareFixtures(t, a, b, feed, tweak, progress)
	m := newTestModel(a, b, feed, progress, nil, w, h)
	return step(m, resultMsg{Root: root})
}

var sizes = []struct {
	name string
	w, h int
}{{"80x24", 80, 24}, {"120x40", 120, 40}, {"200x60", 200, 60}}

func TestFrames(t *testing.T) {
	catalogPastEnd := func(img []byte) []byte {
		img = bytes.Clone(img)
		for s := 17; s < 32; s++ {
			vd := img[s*2048 : (s+1)*2048]
			if vd[0] == 0 && bytes.HasPrefix(vd[7:], []byte("EL TORITO SPECIFICATION")) {
				binary.LittleEndian.PutUint32(vd[71:], uint32(len(img)/2048+100))
			}
		}
		return img
	}
	big := bigSquashfs(t)
	long := compareDerived(t, uncompressedSqfs, uncompressedSqfs, longLines(false), longLines(true), nil)
	dotslash := compareImages(t, "nixos/nixos-a.iso", "nixos/nixos-initrd-dotslash.iso", nil)
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			t.Run("summary", func(t *testing.T) {
				// The root's pane: the summary by cause, the unexplained
				// differences, the store paths.
				m := finishedOn(dotslash, Input{Path: "nixos-a.iso"}, Input{Path: "nixos-initrd-dotslash.iso"}, nil, nil, sz.w, sz.h)
				m = keys(m, "g")
				golden.RequireEqual(t, m.View())
			})
			t.Run("big-squashfs", func(t *testing.T) {
				// The first screen of a pair with hundreds of differences
				// and some of the image's own: the tree is open down to
				// the first difference below the root.
				m := finishedOn(big, Input{Path: "usr-share-a.sqfs"}, Input{Path: "usr-share-b.sqfs"}, nil, nil, sz.w, sz.h)
				golden.RequireEqual(t, m.View())
			})
			t.Run("long-line-scrolled", func(t *testing.T) {
				// The change at column 124 of a 137-cell line, scrolled
				// to in the content pane.
				m := finishedOn(long, Input{Path: "a.sqfs"}, Input{Path: "b.sqfs"}, nil, nil, sz.w, sz.h)
				m = keys(m, "tab")
				for i := 0; i < 10 && !strings.Contains(m.View(), "LAZY"); i++ {
					m = keys(m, "l")
				}
				golden.RequireEqual(t, m.View())
			})
			t.Run("loading", func(t *testing.T) {
				// Half the pairs have arrived; the comparison goes on.
				feed := &Feed{}
				var all []*diff.Node
				root := compareFixtures(t, "base-a.iso", "layout-b.iso", &Feed{}, nil, nil)
				root.Walk(func(n *diff.Node) bool { all = append(all, n); return true })
				// Children finish before their parents: feed leaves of
				// the file tree only.
				for _, n := range all {
					if n.Parent != nil && n.Parent.Name == "isolinux" {
						feed.Done(n)
					}
				}
				m := newTestModel("base-a.iso", "layout-b.iso", feed, &diff.Progress{}, make(chan Result), sz.w, sz.h)
				m = step(m, tickMsg(epoch))
				golden.RequireEqual(t, m.View())
			})
			t.Run("finished", func(t *testing.T) {
				m := finished(t, "base-a.iso", "layout-b.iso", sz.w, sz.h, nil)
				golden.RequireEqual(t, m.View())
			})
			t.Run("explained-hidden", func(t *testing.T) {
				// The Joliet copy of README.txt differs in size only, which
				// follows from its content: H leaves the Rock Ridge one.
				m := finished(t, "base-a.iso", "text-b.iso", sz.w, sz.h, nil)
				m = keys(m, "H")
				golden.RequireEqual(t, m.View())
			})
			t.Run("all-explained-hidden", func(t *testing.T) {
				// Every difference of the layout pair is explained: H says
				// so rather than "no differences".
				m := finished(t, "base-a.iso", "layout-b.iso", sz.w, sz.h, nil)
				m = keys(m, "H")
				golden.RequireEqual(t, m.View())
			})
			t.Run("text", func(t *testing.T) {
				m := finished(t, "base-a.iso", "text-b.iso", sz.w, sz.h, nil)
				m = keys(m, "u")
				golden.RequireEqual(t, m.View())
			})
			t.Run("side-by-side", func(t *testing.T) {
				m := finished(t, "base-a.iso", "text-b.iso", sz.w, sz.h, nil)
				m = keys(m, "s", "tab", "]")
				golden.RequireEqual(t, m.View())
			})
			t.Run("hex", func(t *testing.T) {
				m := finished(t, "base-a.iso", "binary-b.iso", sz.w, sz.h, nil)
				m = keys(m, "x", "tab", "]")
				golden.RequireEqual(t, m.View())
			})
			t.Run("help", func(t *testing.T) {
				m := finished(t, "base-a.iso", "text-b.iso", sz.w, sz.h, nil)
				m = keys(m, "?")
				golden.RequireEqual(t, m.View())
			})
			t.Run("filtered", func(t *testing.T) {
				m := finished(t, "base-a.iso", "layout-b.iso", sz.w, sz.h, nil)
				m = keys(m, "/", "i", "s", "o", "l", "enter")
				golden.RequireEqual(t, m.View())
			})
			t.Run("filter-no-match", func(t *testing.T) {
				m := finished(t, "base-a.iso", "layout-b.iso", sz.w, sz.h, nil)
				m = keys(m, "/", "*", ".", "c", "f", "g", "enter")
				golden.RequireEqual(t, m.View())
			})
			t.Run("unreadable", func(t *testing.T) {
				m := finished(t, "base-a.iso", "base-b.iso", sz.w, sz.h, catalogPastEnd)
				golden.RequireEqual(t, m.View())
			})
		})
	}
}

// TestOutcome: what the view tells the command of the comparison, from
// which it decides its exit status.
func TestOutcome(t *testing.T) {
	m := finished(t, "base-a.iso", "text-b.iso", 80, 24, nil)
	if o := m.Outcome(); o.Root == nil || !o.Root.Differs() {
		t.Errorf("differing pair: %+v", o)
	}
	m = finished(t, "base-a.iso", "base-b.iso", 80, 24, nil)
	if o := m.Outcome(); o.Root == nil || o.Root.Differs() {
		t.Errorf("identical pair: %+v", o)
	}
	m = newTestModel("a", "b", &Feed{}, &diff.Progress{}, make(chan Result), 80, 24)
	if o := m.Outcome(); o.Root != nil || o.DifferencesSeen {
		t.Errorf("quit before anything was compared: %+v", o)
	}
	p := &diff.Progress{}
	p.Differences.Add(1)
	feed := &Feed{}
	feed.Done(&diff.Node{Name: "x", State: diff.Modified})
	m = newTestModel("a", "b", feed, p, make(chan Result), 80, 24)
	m = step(m, tickMsg(epoch))
	if o := m.Outcome(); o.Root != nil || !o.DifferencesSeen {
		t.Errorf("quit after a difference was found: %+v", o)
	}
}

// zeroReader reads as zeros everywhere.
type zeroReader struct{}

func (zeroReader) ReadAt(p []byte, _ int64) (int, error) { clear(p); return len(p), nil }

// TestQuitStopsComparison: quitting the view while the comparison goes on
// stops the comparison at once, rather than leaving it to run for a view
// that is gone.
func TestQuitStopsComparison(t *testing.T) {
	// A terabyte of zeros on each side: hours of comparing.
	tree := func() *unpack.Node {
		return &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: "test", Offset: -1, Children: []*unpack.Node{
			{Name: "big", Type: unpack.TypeFile, Layer: "test", Offset: -1, Data: io.NewSectionReader(zeroReader{}, 0, 1<<40)},
		}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed, progress, results := &Feed{}, &diff.Progress{}, make(chan Result, 1)
	type end struct {
		at  time.Time
		err error
	}
	ended := make(chan end, 1)
	go func() {
		opt := diff.DefaultOptions()
		opt.OnDone, opt.Progress = feed.Done, progress
		root, err := diff.Compare(ctx, "big", tree(), tree(), opt)
		ended <- end{time.Now(), err}
		results <- Result{Root: root, Err: err}
	}()
	m := NewModel(Session{
		A: Input{Path: "a"}, B: Input{Path: "b"}, Feed: feed, Progress: progress,
		Result: results, Cancel: cancel, Now: func() time.Time { return epoch },
	}, lipgloss.NewRenderer(&bytes.Buffer{}, termenv.WithProfile(termenv.Ascii)))
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("comparing")) },
		teatest.WithDuration(5*time.Second))
	for progress.BytesA.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	quit := time.Now()
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	select {
	case e := <-ended:
		t.Logf("the comparison returned %v after q", e.at.Sub(quit).Round(time.Millisecond))
		if !errors.Is(e.err, context.Canceled) {
			t.Errorf("the comparison ended with %v, want context.Canceled", e.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("the comparison goes on 5 s after the view quit (%d bytes compared)", progress.BytesA.Load())
	}
}
