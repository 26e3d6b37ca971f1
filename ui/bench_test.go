package ui

import (
	"fmt"
	"testing"

	"isodiff/diff"
	"isodiff/unpack"
)

// bigTree is a comparison of two trees of n files in directories of 100,
// each file differing in a field.
func bigTree(tb testing.TB, n int) *diff.Node {
	tree := func(side string) *unpack.Node {
		root := &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: "test", Offset: -1}
		var dir *unpack.Node
		for i := range n {
			if i%100 == 0 {
				dir = &unpack.Node{Name: fmt.Sprintf("dir-%04d", i/100), Type: unpack.TypeDir, Layer: "test", Offset: -1}
				root.Children = append(root.Children, dir)
			}
			f := &unpack.Node{Name: fmt.Sprintf("file-%05d.txt", i), Type: unpack.TypeFile, Layer: "test", Offset: -1}
			f.AddField("owner", "%s", side)
			dir.Children = append(dir.Children, f)
		}
		return root
	}
	return compare(tb, "big.img", tree("a"), tree("b"), diff.DefaultOptions())
}

// BenchmarkFilterKey is one key typed into the filter over 46,000 rows,
// all shown (E): the rows are filtered once typing pauses, so a key
// costs the prompt's update alone; applying the filter is measured
// apart.
func BenchmarkFilterKey(b *testing.B) {
	root := bigTree(b, 46000)
	m := finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, nil, 120, 40)
	m = keys(m, "E", "/")
	b.Run("key", func(b *testing.B) {
		for b.Loop() {
			next, _ := m.Update(keyMsg("7"))
			_ = next.(Model).View()
		}
	})
	b.Run("apply", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			m.tree.filter.SetValue(fmt.Sprintf("file-%d", i%10))
			m.tree.applyFilter()
			_ = m.View()
		}
	})
}
