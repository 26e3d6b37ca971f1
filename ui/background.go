package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// The view's colours depend on the terminal's background (bright red on
// black, plain red on white). lipgloss would ask the terminal itself, and
// wait up to five seconds for a terminal that never answers, reading and
// dropping whatever is typed meanwhile. So the view tells lipgloss what to
// assume from the start (COLORFGBG, else dark) and asks the terminal once,
// through the program's own input loop (tea.RequestBackgroundColor): the
// reply, when one comes, changes the colours; nothing waits for it.

// assumeBackground sets what r assumes of the background until the
// terminal answers: what COLORFGBG says ("15;0" is white on black), else
// dark.
func assumeBackground(r *lipgloss.Renderer, colorfgbg string) {
	dark := true
	if i := strings.LastIndexByte(colorfgbg, ';'); i >= 0 {
		if c, err := strconv.Atoi(colorfgbg[i+1:]); err == nil {
			// Of the 16 ANSI colours, 0 to 6 are dark in xterm's
			// palette (HSL lightness below one half, as termenv
			// decides); a colour of the 256 is left as dark.
			dark = c < 7 || c > 15
		}
	}
	r.SetHasDarkBackground(dark)
}

// darkReply reads the colour of an OSC 11 reply ("rgb:RRRR/GGGG/BBBB",
// one to four hex digits a channel) and reports whether it is dark, as
// termenv decides: HSL lightness below one half.
func darkReply(color string) (dark, ok bool) {
	spec, found := strings.CutPrefix(color, "rgb:")
	if !found {
		return false, false
	}
	parts := strings.Split(spec, "/")
	if len(parts) != 3 {
		return false, false
	}
	var lo, hi float64 = 1, 0
	for _, p := range parts {
		if len(p) < 1 || len(p) > 4 {
			return false, false
		}
		v, err := strconv.ParseUint(p, 16, 16)
		if err != nil {
			return false, false
		}
		f := float64(v) / float64(uint64(1)<<(4*len(p))-1)
		lo, hi = min(lo, f), max(hi, f)
	}
	return (lo+hi)/2 < 0.5, true
}
