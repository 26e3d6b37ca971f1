package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key of the interactive UI, shown by the help bar.
type KeyMap struct {
	Up, Down, Expand, Collapse, ExpandAll   key.Binding
	NextDiff, PrevDiff, Parent, SwitchPane  key.Binding
	PageUp, PageDown, Home, End             key.Binding
	TextView, HexView, SideBySide, ShowSame key.Binding
	Unified, Wrap, HideExplained            key.Binding
	StateFilter, CauseFilter                key.Binding
	ExpandTree, CollapseTree, Toggle        key.Binding
	ZoomIn, ZoomOut, Pager, Editor          key.Binding
	NextRegion, PrevRegion                  key.Binding
	Filter, ClearFilter, Copy, Write, Help  key.Binding
	Quit, ForceQuit                         key.Binding
	// In the filter prompt.
	FilterApply, FilterCancel key.Binding
}

// DefaultKeyMap is the key map the UI starts with.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:            b([]string{"up", "k"}, "↑/k", "up"),
		Down:          b([]string{"down", "j"}, "↓/j", "down"),
		Expand:        b([]string{"right", "l", "enter"}, "→/l/enter", "open; scroll right"),
		Collapse:      b([]string{"left", "h"}, "←/h", "close/parent; scroll left"),
		ExpandAll:     b([]string{"*", "e"}, "*/e", "expand all below"),
		ExpandTree:    b([]string{"E"}, "E", "expand everything"),
		CollapseTree:  b([]string{"C"}, "C", "collapse everything"),
		Toggle:        b([]string{"o"}, "o", "open/close the subtree"),
		NextDiff:      b([]string{"n"}, "n", "next difference (match)"),
		PrevDiff:      b([]string{"N"}, "N", "previous difference (match)"),
		Parent:        b([]string{"p", "backspace"}, "p/backspace", "parent"),
		SwitchPane:    b([]string{"tab"}, "tab", "switch pane"),
		PageUp:        b([]string{"pgup", "ctrl+b"}, "pgup/ctrl+b", "page up"),
		PageDown:      b([]string{"pgdown", "ctrl+f", " "}, "pgdn/space/ctrl+f", "page down"),
		Home:          b([]string{"home", "g"}, "home/g", "top"),
		End:           b([]string{"end", "G"}, "end/G", "bottom"),
		TextView:      b([]string{"t"}, "t", "text view"),
		HexView:       b([]string{"x"}, "x", "hex view"),
		SideBySide:    b([]string{"s"}, "s", "side by side"),
		Unified:       b([]string{"u"}, "u", "unified"),
		Wrap:          b([]string{"W"}, "W", "wrap long lines"),
		ShowSame:      b([]string{"a"}, "a", "show identical"),
		HideExplained: b([]string{"H"}, "H", "hide explained"),
		StateFilter:   b([]string{"T"}, "T", "only modified/added/…"),
		CauseFilter:   b([]string{"K"}, "K", "only one known cause"),
		NextRegion:    b([]string{"]", "}"}, "]/}", "next region"),
		PrevRegion:    b([]string{"[", "{"}, "[/{", "previous region"),
		Filter:        b([]string{"/"}, "/", "filter; search in a pane"),
		ZoomIn:        b([]string{"+"}, "+", "zoom the focused pane"),
		ZoomOut:       b([]string{"_"}, "_", "zoom out"),
		Pager:         b([]string{"v"}, "v", "report in $PAGER"),
		Editor:        b([]string{"V"}, "V", "report in $EDITOR, read-only"),
		ClearFilter:   b([]string{"esc"}, "esc", "to the tree; no filter"),
		Copy:          b([]string{"y"}, "y", "copy path"),
		Write:         b([]string{"w"}, "w", "write report"),
		Help:          b([]string{"?"}, "?", "help"),
		Quit:          b([]string{"q"}, "q", "quit"),
		ForceQuit:     b([]string{"ctrl+c"}, "ctrl+c", "quit from anywhere"),
		FilterApply:   b([]string{"enter"}, "enter", "keep the filter typed"),
		FilterCancel:  b([]string{"esc"}, "esc", "drop the filter"),
	}
}

// ShortHelp is the one-line help bar.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.NextDiff, k.Expand, k.Collapse, k.SwitchPane, k.TextView, k.HexView, k.SideBySide, k.ShowSame, k.Filter, k.Help, k.Quit}
}

// FullHelp is the help screen, in columns.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Parent},
		{k.Expand, k.Collapse, k.ExpandAll, k.Toggle, k.ExpandTree, k.CollapseTree, k.NextDiff, k.PrevDiff, k.SwitchPane},
		{k.TextView, k.HexView, k.SideBySide, k.Unified, k.Wrap, k.NextRegion, k.PrevRegion},
		{k.ShowSame, k.HideExplained, k.StateFilter, k.CauseFilter, k.Filter, k.ClearFilter, k.FilterApply},
		{k.ZoomIn, k.ZoomOut, k.Pager, k.Editor, k.Copy, k.Write, k.Help, k.Quit, k.ForceQuit},
	}
}
