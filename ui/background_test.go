package ui

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestDarkReply(t *testing.T) {
	for _, tc := range []struct {
		reply    string
		dark, ok bool
	}{
		{"rgb:0000/0000/0000", true, true},
		{"rgb:ffff/ffff/ffff", false, true},
		{"rgb:1e1e/1e1e/2e2e", true, true},
		{"rgb:fd/f6/e3", false, true}, // two digits a channel (Solarized light)
		{"rgb:8/8/8", false, true},    // lightness 8/15, just over one half
		{"rgb:7/7/7", true, true},
		{"rgba:0000/0000/0000/ffff", false, false},
		{"rgb:0000/0000", false, false},
		{"rgb:00000/0/0", false, false},
		{"rgb:zz/00/00", false, false},
		{"", false, false},
	} {
		dark, ok := darkReply(tc.reply)
		if dark != tc.dark || ok != tc.ok {
			t.Errorf("darkReply(%q) = %v, %v; want %v, %v", tc.reply, dark, ok, tc.dark, tc.ok)
		}
	}
}

func TestAssumeBackground(t *testing.T) {
	r := lipgloss.NewRenderer(&bytes.Buffer{}, termenv.WithProfile(termenv.ANSI256))
	for _, tc := range []struct {
		colorfgbg string
		dark      bool
	}{{"", true}, {"15;0", true}, {"0;15", false}, {"0;default;7", false}, {"7;4", true}, {"x", true}} {
		assumeBackground(r, tc.colorfgbg)
		if got := r.HasDarkBackground(); got != tc.dark {
			t.Errorf("COLORFGBG=%q: dark %v, want %v", tc.colorfgbg, got, tc.dark)
		}
	}
}

// TestBackgroundReply: the view asks for the background in Init and
// takes the answer, which changes the colours adaptive styles give.
func TestBackgroundReply(t *testing.T) {
	t.Setenv("COLORFGBG", "")
	r := ColorRenderer(&bytes.Buffer{}, "always")
	m := NewModel(Session{Feed: &Feed{}, Now: func() time.Time { return epoch }}, r)
	if !r.HasDarkBackground() {
		t.Fatal("a background other than dark assumed without COLORFGBG")
	}
	if !batchHas(m.Init(), tea.RequestBackgroundColor) {
		t.Error("Init does not ask the terminal for its background")
	}
	dark := m.c.styles.del.Render("x")
	m = step(m, tea.BackgroundColorMsg{Color: "rgb:ffff/ffff/ffff"})
	if r.HasDarkBackground() {
		t.Fatal("a light background's answer not taken")
	}
	if light := m.c.styles.del.Render("x"); light == dark {
		t.Errorf("deletions drawn alike on dark and light backgrounds: %q", light)
	}
	// An answer that is no colour changes nothing.
	m = step(m, tea.BackgroundColorMsg{Color: "?"})
	if r.HasDarkBackground() {
		t.Error("an unreadable answer changed the background")
	}
}

// batchHas reports whether cmd is a batch holding want (compared as
// functions: the others would block, waiting for the comparison).
func batchHas(cmd, want tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	batch, ok := cmd().(tea.BatchMsg)
	if !ok {
		return false
	}
	for _, c := range batch {
		if c != nil && reflect.ValueOf(c).Pointer() == reflect.ValueOf(want).Pointer() {
			return true
		}
	}
	return false
}
