package ui

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"isodiff/diff"
	"isodiff/unpack"
	"isodiff/unpack/formats"
)

// compareImages compares two committed images (paths under fixtures/),
// inner layers included, feeding every finished pair to feed.
func compareImages(t testing.TB, a, b string, feed *Feed) *diff.Node {
	t.Helper()
	return compareDerived(t, a, b, nil, nil, feed)
}

// compareDerived is compareImages on variants of the images derived in
// memory (tweakA, tweakB: nil for the image as committed).
func compareDerived(t testing.TB, a, b string, tweakA, tweakB func([]byte) []byte, feed *Feed) *diff.Node {
	t.Helper()
	env := &unpack.Env{TempDir: t.TempDir()}
	t.Cleanup(func() { env.Close() })
	open := func(name string, tweak func([]byte) []byte) *unpack.Node {
		img, err := os.ReadFile(filepath.Join("..", "fixtures", name))
		if err != nil {
			t.Fatal(err)
		}
		if tweak != nil {
			img = tweak(bytes.Clone(img))
		}
		r := bytes.NewReader(img)
		f, ok := unpack.Detect(r, int64(len(img)), formats.All)
		if !ok {
			t.Fatalf("%s: not detected", name)
		}
		n, err := f.Open(r, int64(len(img)), env)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	opt := diff.DefaultOptions()
	opt.Formats = formats.All
	opt.Env = env
	opt.MaxDiffLines, opt.MaxHexBytes = 20000, 256<<10
	if feed != nil {
		opt.OnDone = feed.Done
	}
	return compare(t, filepath.Base(a), open(a, tweakA), open(b, tweakB), opt)
}

// finishedOn is a model after the whole comparison of root, with colour
// as r gives it (nil: none).
func finishedOn(root *diff.Node, a, b Input, out *bytes.Buffer, r *lipgloss.Renderer, w, h int) Model {
	feed := &Feed{}
	root.Walk(func(n *diff.Node) bool { feed.Done(n); return true })
	if r == nil {
		r = lipgloss.NewRenderer(&bytes.Buffer{}, termenv.WithProfile(termenv.Ascii))
	}
	m := NewModel(Session{A: a, B: b, Feed: feed, Output: out, Now: func() time.Time { return epoch }}, r)
	m = step(m, tea.WindowSizeMsg{Width: w, Height: h})
	return step(m, resultMsg{Root: root})
}

// selectNamed presses n until the selection is the entry named name.
func selectNamed(t *testing.T, m Model, name string) Model {
	t.Helper()
	for range 50 {
		if sel := m.selected(); sel != nil && sel.d.Name == name {
			return m
		}
		m = keys(m, "n")
	}
	t.Fatalf("no difference named %s", name)
	return m
}

// checkFrame fails unless the frame fits a w×h window.
func checkFrame(t *testing.T, frame string, w, h int, what string) {
	t.Helper()
	if frame == "" {
		return
	}
	lines := strings.Split(frame, "\n")
	if len(lines) > h {
		t.Fatalf("%s: %d lines in a window %d high:\n%s", what, len(lines), h, frame)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Fatalf("%s: line %d is %d cells in a window %d wide: %q", what, i, ansi.StringWidth(l), w, l)
		}
	}
}

// TestDetailScrollFollowsLayout: the end of a long text diff, then the
// hex view of the same entry, which has fewer lines, then back: the
// offset follows the lines there are.
func TestDetailScrollFollowsLayout(t *testing.T) {
	root := compareImages(t, "nixos/nixos-a.iso", "nixos/nixos-pyc.iso", nil)
	for _, switchTo := range []string{"x", "W"} {
		t.Run(switchTo, func(t *testing.T) {
			m := finishedOn(root, Input{Path: "nixos-a.iso"}, Input{Path: "nixos-pyc.iso"}, nil, nil, 100, 6)
			m = selectNamed(t, m, "nix-path-registration")
			m = keys(m, "s", "tab", "G")
			before := len(m.detail.det.lines)
			if m.detail.vp.YOffset == 0 || m.detail.vp.YOffset != len(m.detail.det.lines)-m.detail.body() {
				t.Fatalf("G: offset %d of %d lines", m.detail.vp.YOffset, len(m.detail.det.lines))
			}
			m = keys(m, switchTo)
			checkFrame(t, m.View(), 100, 6, switchTo)
			if len(m.detail.det.lines) == before {
				t.Fatalf("%s: %d lines before and after", switchTo, before)
			}
			if m.detail.vp.YOffset > m.detail.maxScroll() {
				t.Errorf("%s: offset %d past the last page (%d) of %d lines", switchTo, m.detail.vp.YOffset, m.detail.maxScroll(), len(m.detail.det.lines))
			}
			if !strings.Contains(m.View(), fmt.Sprintf("of %d ", len(m.detail.det.lines))) {
				t.Errorf("%s: position line does not count %d lines:\n%s", switchTo, len(m.detail.det.lines), m.View())
			}
		})
	}
}

// TestStaleLayoutDropped: layouts run concurrently; one made for a mode
// left since must not replace the current one, whatever the order they
// arrive in.
func TestStaleLayoutDropped(t *testing.T) {
	root := compareImages(t, "iso/base-a.iso", "iso/text-b.iso", nil)
	m := finishedOn(root, Input{Path: "base-a.iso"}, Input{Path: "text-b.iso"}, nil, nil, 120, 40)
	m = selectNamed(t, m, "README.txt")
	next, _ := m.Update(keyMsg("x"))
	m = next.(Model)
	hexCmd := m.renderSelected()
	next, _ = m.Update(keyMsg("t"))
	m = next.(Model)
	textCmd := m.renderSelected()
	for _, cmd := range []tea.Cmd{textCmd, hexCmd} {
		next, _ = m.Update(cmd())
		m = next.(Model)
	}
	if m.detail.det.made.mode != viewText || !strings.Contains(m.View(), "@@ -17,7 +17,7 @@") {
		t.Errorf("the hex layout arriving last replaced the text one:\n%s", m.View())
	}
}

// allKeys are the key messages of every binding of the view.
func allKeys() []tea.KeyMsg {
	byName := map[string]tea.KeyMsg{}
	for kt := tea.KeyType(-200); kt < 128; kt++ {
		k := tea.KeyMsg{Type: kt}
		if s := k.String(); s != "" && kt != tea.KeyRunes {
			byName[s] = k
		}
	}
	km := DefaultKeyMap()
	var out []tea.KeyMsg
	for _, group := range km.FullHelp() {
		for _, b := range group {
			for _, name := range b.Keys() {
				k, ok := byName[name]
				if !ok {
					k = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
				}
				if k.String() != name {
					panic("no key message for " + name)
				}
				out = append(out, k)
			}
		}
	}
	return out
}

func keyMsg(name string) tea.KeyMsg {
	for _, k := range allKeys() {
		if k.String() == name {
			return k
		}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

var windowSizes = [][2]int{{0, 0}, {1, 1}, {2, 2}, {10, 3}, {20, 5}, {36, 4}, {37, 6}, {40, 10}, {80, 24}, {120, 40}, {300, 100}}

// typed are runes typed into the filter besides the bound keys: path
// parts, glob characters (one pattern malformed) and format characters.
var typed = []string{"i", "s", "o", "n", "x", "*", "?", "[", "/", ".", "\u202e", "\u2066", "\u009b", "\\"}

// fuzzView sends n random messages to m (keys of every binding, typed
// runes, resizes, mouse wheel and clicks), delivering the detail layouts
// the view asks for late and out of order as the program may, and
// checks every frame with check. trail records the messages sent.
func fuzzView(t *testing.T, m Model, rng *rand.Rand, n int, trail *[]string, check func(m Model, frame string)) Model {
	t.Helper()
	all := allKeys()
	var pending []tea.Cmd
	type want struct {
		sel    *liveNode
		layout layout
	}
	last := want{m.selected(), m.layout()}
	for i := 0; i < n; i++ {
		var msg tea.Msg
		switch r := rng.IntN(100); {
		case r < 70:
			msg = all[rng.IntN(len(all))]
		case r < 75:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(typed[rng.IntN(len(typed))])}
		case r < 78:
			// A burst: runes read together, as over ssh or from a paste.
			var rs []rune
			for range 2 + rng.IntN(4) {
				if k := all[rng.IntN(len(all))]; k.Type == tea.KeyRunes {
					rs = append(rs, k.Runes...)
				} else {
					rs = append(rs, []rune(typed[rng.IntN(len(typed))])...)
				}
			}
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: rs, Paste: rng.IntN(4) == 0}
		case r < 85:
			sz := windowSizes[rng.IntN(len(windowSizes))]
			msg = tea.WindowSizeMsg{Width: sz[0], Height: sz[1]}
		case r < 95:
			buttons := []tea.MouseButton{tea.MouseButtonWheelUp, tea.MouseButtonWheelDown, tea.MouseButtonLeft, tea.MouseButtonRight, tea.MouseButtonNone}
			actions := []tea.MouseAction{tea.MouseActionPress, tea.MouseActionRelease, tea.MouseActionMotion}
			msg = tea.MouseMsg{X: rng.IntN(m.width + 2), Y: rng.IntN(m.height + 2),
				Button: buttons[rng.IntN(len(buttons))], Action: actions[rng.IntN(len(actions))]}
		default:
			msg = tickMsg(epoch)
		}
		*trail = append(*trail, fmt.Sprintf("%v", msg))
		k, isKey := msg.(tea.KeyMsg)
		next, cmd := m.Update(msg)
		m = next.(Model)
		if isKey && k.String() == "y" && cmd != nil {
			cmd() // the copy: writes to the session's output
		}
		if now := (want{m.selected(), m.layout()}); now != last {
			last = now
			if c := m.renderSelected(); c != nil {
				pending = append(pending, c)
			}
		}
		// Layouts arrive late, some out of order.
		for len(pending) > 0 && rng.IntN(3) == 0 {
			j := rng.IntN(len(pending))
			c := pending[j]
			pending = append(pending[:j], pending[j+1:]...)
			next, _ = m.Update(c())
			m = next.(Model)
		}
		check(m, m.View())
	}
	return m
}

// TestViewSurvivesKeys: long random sequences of every key, resizes from
// 1×1 to 300×100, mouse wheel and clicks, on several comparisons: the
// view never panics and every frame fits the window.
func TestViewSurvivesKeys(t *testing.T) {
	pairs := [][2]string{
		{"squashfs/uncompressed.sqfs", "squashfs/tails-b.sqfs"},
		{"iso/base-a.iso", "iso/text-b.iso"},
		{"iso/base-a.iso", "iso/binary-b.iso"},
		{"iso/base-a.iso", "iso/addrm-b.iso"},
		{"iso/base-a.iso", "iso/layout-b.iso"},
		{"iso/base-a.iso", "iso/base-b.iso"},
		{"iso/joliet-a.iso", "iso/joliet-b.iso"},
		{"nixos/nixos-a.iso", "nixos/nixos-pyc.iso"},
		{"nixos/nixos-a.iso", "nixos/nixos-epoch.iso"},
		{"nixos/nixos-a.iso", "nixos/nixos-initrd-order.iso"},
		{"nixos/nixos-a.iso", "nixos/nixos-manpage.iso"},
	}
	seeds, steps := 5, 400
	if testing.Short() {
		seeds = 2
	}
	frames := 0
	for _, p := range pairs {
		root := compareImages(t, p[0], p[1], nil)
		for seed := range seeds {
			t.Run(fmt.Sprintf("%s/%d", filepath.Base(p[1]), seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(seed), 0x15041d1ff))
				sz := windowSizes[rng.IntN(len(windowSizes))]
				m := finishedOn(root, Input{Path: p[0]}, Input{Path: p[1]}, &bytes.Buffer{}, nil, sz[0], sz[1])
				var trail []string
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic after %d messages (the last: %q): %v", len(trail), trail[max(0, len(trail)-12):], r)
					}
				}()
				fuzzView(t, m, rng, steps, &trail, func(m Model, frame string) {
					frames++
					checkFrame(t, frame, m.width, m.height, fmt.Sprintf("after %q", trail[max(0, len(trail)-12):]))
				})
			})
		}
	}
	t.Logf("%d frames", frames)
}
