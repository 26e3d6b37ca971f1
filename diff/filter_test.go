package diff

import (
	"context"
	"slices"
	"testing"
)

func TestGlobs(t *testing.T) {
	const p = "nixos-a.iso :: /nix-store.squashfs :: /abc-python3/lib/__pycache__/x.pyc"
	for _, tc := range []struct {
		glob string
		want bool
	}{
		{"*/x.pyc", true},
		{"x.pyc", true},
		{"*.pyc", true},
		{"**/__pycache__/*", true},
		{"__pycache__/*", true},
		{"__pycache__", false},
		{"*.iso :: /nix-store.squashfs", false},
		{"*.iso :: /nix-store.squashfs :: **", true},
		{"lib/*", false},
		{"lib/**", true},
		{"y.pyc", false},
		{"python3/lib", false},
	} {
		re, err := globPattern(tc.glob)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.MatchString(p); got != tc.want {
			t.Errorf("%q matches %v, want %v", tc.glob, got, tc.want)
		}
	}
}

func TestFilter(t *testing.T) {
	cmp := func() *Node {
		a := dir("", dir("/", file("touched", "x", "mtime", "1"), file("edited", "old\n"), file("gone", "x"), file("moved", "x", "lba", "1")))
		b := dir("", dir("/", file("touched", "x", "mtime", "2"), file("edited", "new\n"), file("moved", "x", "lba", "2")))
		root, err := Compare(context.Background(), "x", a, b, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	names := func(root *Node) []string {
		var out []string
		root.Walk(func(n *Node) bool {
			if n.OwnDifferences() {
				out = append(out, n.Name)
			}
			return true
		})
		return out
	}

	root := cmp()
	h := Filter{Hide: []string{"timestamp", "layout"}}.Apply(root)
	if got := names(root); !slices.Equal(got, []string{"edited", "gone"}) {
		t.Errorf("left %q", got)
	}
	if h.Total != 2 || h.ByCause["timestamp"] != 1 || h.ByCause["layout"] != 1 || h.String() != "2 hidden: layout 1, timestamp 1" {
		t.Errorf("hidden %+v %q", h, h)
	}

	root = cmp()
	h = Filter{Hide: []string{"timestamp", "layout"}, Exclude: []string{"edited", "g*"}}.Apply(root)
	if root.Differs() || h.Total != 4 || h.Excluded != 2 {
		t.Errorf("differs %v after hiding all; hidden %+v, left %q", root.Differs(), h, names(root))
	}

	root = cmp()
	h = Filter{Only: []string{"edited"}}.Apply(root)
	if got := names(root); !slices.Equal(got, []string{"edited"}) || h.Excluded != 3 {
		t.Errorf("only edited: left %q, %d left out", got, h.Excluded)
	}

	root = cmp()
	if h := (Filter{}).Apply(root); h.Total != 0 || len(names(root)) != 4 {
		t.Errorf("an empty filter left out %+v", h)
	}
}
