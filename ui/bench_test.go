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

// BenchmarkDetailKey is a key in the right pane showing 100,000 lines
// (a long list of moved entries), the frame drawn after it: scrolling a
// line down, or sideways, costs the page shown, not the lines laid out.
func BenchmarkDetailKey(b *testing.B) {
	root := bigTree(b, 100)
	m := finishedOn(root, Input{Path: "a"}, Input{Path: "b"}, nil, nil, 120, 40)
	m = keys(m, "tab")
	d := detail{node: m.selected().d, made: m.layout()}
	for i := range 100000 {
		d.addGutter(fmt.Sprintf("  usr/share/doc/package-%06d/changelog.gz  placement 0x%x → 0x%x", i, i*2048, i*2048+4096), 2)
	}
	next, _ := m.Update(detailMsg(d))
	m = next.(Model)
	if len(m.detail.det.lines) != 100000 {
		b.Fatalf("%d lines shown", len(m.detail.det.lines))
	}
	for _, k := range []string{"j", "l"} {
		b.Run(k, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				next, _ := m.Update(keyMsg(k))
				_ = next.(Model).View()
			}
		})
	}
}
