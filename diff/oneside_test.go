package diff

import (
	"slices"
	"testing"

	"isodiff/unpack"
)

// chunk is a record of the given fields, as a reader adds them: a length
// and a checksum derived from the rest, and what the record holds.
func chunk(name string, add func(n *unpack.Node)) *unpack.Node {
	n := &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: "test"}
	n.AddRoleField(unpack.RoleDerived, "length", "7")
	n.AddRoleField(unpack.RoleDerived, "crc", "0x1234")
	add(n)
	return n
}

// TestOneSideEntryCauses: an entry on one side only whose fields all have
// roles of known causes, or derived ones, is explained by those causes
// (a PNG tIME chunk, added); one with a plain field, content, entries of
// its own, or derived fields only is not. Every one stays a difference.
func TestOneSideEntryCauses(t *testing.T) {
	header := &unpack.Role{Kind: unpack.Header, Cause: "gzip header"}
	kept := chunk("IHDR", func(n *unpack.Node) { n.AddField("width", "1") })
	a := dir("", kept, chunk("gone tIME", func(n *unpack.Node) { n.AddRoleField(unpack.RoleTime, "tIME", "2001") }))
	b := dir("", kept,
		chunk("tIME", func(n *unpack.Node) { n.AddRoleField(unpack.RoleTime, "tIME", "2023") }),
		chunk("header", func(n *unpack.Node) { n.AddRoleField(header, "gzip mtime", "5") }),
		chunk("plain", func(n *unpack.Node) { n.AddRoleField(unpack.RoleTime, "tIME", "2023"); n.AddField("text", "x") }),
		chunk("derived", func(*unpack.Node) {}),
		func() *unpack.Node {
			n := file("content", "bytes")
			n.AddRoleField(unpack.RoleTime, "mtime", "1")
			return n
		}(),
		dir("parent", chunk("inner", func(n *unpack.Node) { n.AddRoleField(unpack.RoleTime, "tIME", "2023") })),
	)
	root := compare(t, "x", a, b, DefaultOptions())
	want := map[string]struct {
		state     State
		explained bool
		causes    []Cause
	}{
		"gone tIME": {Removed, true, []Cause{{CauseTimestamp, "tIME"}}},
		"tIME":      {Added, true, []Cause{{CauseTimestamp, "tIME"}}},
		"header":    {Added, true, []Cause{{"gzip header", "gzip mtime"}}},
		"plain":     {Added, false, nil},
		"derived":   {Added, false, nil},
		"content":   {Added, false, nil},
		"parent":    {Added, false, nil},
	}
	for name, w := range want {
		n := root.Child(name)
		if n == nil {
			t.Fatalf("no pair %s", name)
		}
		if n.State != w.state || n.Unexplained() == w.explained || !slices.Equal(n.Causes, w.causes) {
			t.Errorf("%s: %v, unexplained %v, causes %v; want %v, explained %v, %v", name, n.State, n.Unexplained(), n.Causes, w.state, w.explained, w.causes)
		}
		if !n.OwnDifferences() {
			t.Errorf("%s: no difference of its own", name)
		}
	}
	if !root.Differs() {
		t.Error("the comparison says identical")
	}
	s := Summarize(root)
	if i := slices.Index(s.ByCause, CauseCount{CauseTimestamp, 2}); i < 0 {
		t.Errorf("by cause %v", s.ByCause)
	}
}

// TestHideOneSideEntry: hiding a cause leaves out the entries on one side
// only that it explains, counted as hidden; what is left of the
// comparison decides whether it is identical after the filter.
func TestHideOneSideEntry(t *testing.T) {
	kept := chunk("IHDR", func(n *unpack.Node) { n.AddField("width", "1") })
	a := dir("", kept)
	b := dir("", kept, chunk("tIME", func(n *unpack.Node) { n.AddRoleField(unpack.RoleTime, "tIME", "2023") }))
	root := compare(t, "x", a, b, DefaultOptions())
	h := Filter{Hide: []string{"layout"}}.Apply(root)
	if h.Total != 0 || root.Child("tIME") == nil || !root.Differs() {
		t.Errorf("another cause hidden: %+v, differs %v", h, root.Differs())
	}
	h = Filter{Hide: []string{CauseTimestamp}}.Apply(root)
	if h.Total != 1 || h.ByCause[CauseTimestamp] != 1 || root.Child("tIME") != nil {
		t.Errorf("hidden %+v, tIME %v", h, root.Child("tIME"))
	}
	if root.Differs() {
		t.Errorf("root %v after the only difference is hidden", root.State)
	}
}
