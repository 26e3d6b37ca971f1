package diff

import (
	"context"
	"slices"
	"testing"

	"isodiff/unpack"
)

func TestSummarize(t *testing.T) {
	derived := &unpack.Role{Kind: unpack.Derived}
	withRole := func(n *unpack.Node, name, value string, r *unpack.Role) *unpack.Node {
		n.Fields = append(n.Fields, unpack.Field{Name: name, Value: value, Role: r})
		return n
	}
	a := dir("", dir("/",
		file("touched", "x", "mtime", "1"),                // timestamp only: explained
		file("moved", "x", "lba", "5"),                    // placement only: no difference of its own
		file("edited", "old\n", "mtime", "1"),             // content: unexplained
		file("chmod", "x", "mode", "0644"),                // a plain field: unexplained
		withRole(file("sum", "x"), "total", "1", derived), // derived only: follows
		file("gone", "x"),
	))
	b := dir("", dir("/",
		file("touched", "x", "mtime", "2"),
		file("moved", "x", "lba", "6"),
		file("edited", "new\n", "mtime", "2"),
		file("chmod", "x", "mode", "0755"),
		withRole(file("sum", "x"), "total", "2", derived),
		file("new", "x"),
	))
	root, err := Compare(context.Background(), "x", a, b, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(root)
	var names []string
	for _, n := range s.Unexplained {
		names = append(names, n.Name)
	}
	if want := []string{"chmod", "edited", "gone", "new"}; !slices.Equal(names, want) {
		t.Errorf("unexplained %q, want %q", names, want)
	}
	if c := root.Count().Total(); s.Differences != c {
		t.Errorf("%d differences, Count says %d", s.Differences, c)
	}
	if want := []CauseCount{{"timestamp", 2}, {"layout", 1}}; !slices.Equal(s.ByCause, want) {
		t.Errorf("by cause %v, want %v", s.ByCause, want)
	}
}
