package ui

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
	"github.com/rivo/uniseg"
)

// cellSafe makes s take as many cells on any terminal as the view counts.
// Terminals disagree on a grapheme cluster of several code points: tmux,
// xterm and VTE give each code point its own width ("👍🏽" four cells, "❤️"
// one), terminals that cluster graphemes give the cluster one ("👍🏽" and
// "❤️" two). A cluster on which the two counts differ is broken up with
// zero-width spaces, after which both count the same, so that a row of
// emoji neither pushes the pane separator nor wraps. Escape sequences
// are ASCII and pass as they are.
func cellSafe(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var out strings.Builder
	state := -1
	for rest := s; rest != ""; {
		var cluster string
		var width int
		cluster, rest, width, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if len(cluster) == 1 || width == perRune(cluster) {
			out.WriteString(cluster)
			continue
		}
		for i, r := range cluster {
			if i > 0 {
				out.WriteString("\u200b")
			}
			out.WriteRune(r)
		}
	}
	return out.String()
}

// perRune is the width of s counted code point by code point.
func perRune(s string) int {
	w := 0
	for _, r := range s {
		if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Variation_Selector) {
			continue
		}
		w += ansi.StringWidthWc(string(r))
	}
	return w
}
