package diff

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"isodiff/unpack"
)

// BenchmarkTextDiff: a 20,000-line file with a change every 500 lines.
func BenchmarkTextDiff(b *testing.B) {
	var ta, tb strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&ta, "line %d of a configuration file, with some text\n", i)
		if i%500 == 250 {
			fmt.Fprintf(&tb, "line %d changed\n", i)
			continue
		}
		fmt.Fprintf(&tb, "line %d of a configuration file, with some text\n", i)
	}
	benchText(b, ta.String(), tb.String())
}

// BenchmarkTextDiffEdit: a 50,000-line listing with a line changed, one
// removed and one added, the usual change between two builds.
func BenchmarkTextDiffEdit(b *testing.B) {
	var ta, tb strings.Builder
	for i := range 50000 {
		line := fmt.Sprintf("/nix/store/%032d-package-%d/share/doc/file-%d\n", i*7919, i%97, i)
		ta.WriteString(line)
		switch i {
		case 10000:
			tb.WriteString("/nix/store/changed\n")
		case 20000:
		case 30000:
			tb.WriteString(line)
			tb.WriteString("/nix/store/added\n")
		default:
			tb.WriteString(line)
		}
	}
	benchText(b, ta.String(), tb.String())
}

// BenchmarkTextDiffReversed: 240,000 lines against the same lines in
// reverse order, the worst case of Myers's algorithm.
func BenchmarkTextDiffReversed(b *testing.B) {
	a, c := reversedLines(240000)
	benchText(b, a, c)
}

func benchText(b *testing.B, a, c string) {
	b.SetBytes(int64(len(a) + len(c)))
	b.ReportAllocs()
	for b.Loop() {
		if textDiff(context.Background(), a, c, DefaultOptions()) == nil {
			b.Fatal("no text diff")
		}
	}
}

// BenchmarkHexDiff: 64 MiB with a few scattered changes, all kept.
func BenchmarkHexDiff(b *testing.B) {
	a := make([]byte, 64<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range a {
		a[i] = byte(r.Uint32())
	}
	c := bytes.Clone(a)
	for i := 0; i < len(c); i += 4 << 20 {
		c[i+8] ^= 0xff
	}
	opt := DefaultOptions()
	opt.MaxHexBytes = 1 << 20
	b.SetBytes(int64(len(a) + len(c)))
	b.ReportAllocs()
	for b.Loop() {
		hexDiff(context.Background(), viewOf(data(a)), viewOf(data(c)), opt)
	}
}

// BenchmarkEqualData: comparing two equal 64 MiB contents, the cost of
// proving content identical.
func BenchmarkEqualData(b *testing.B) {
	a := bytes.Repeat([]byte("0123456789abcdef"), 4<<20)
	c := bytes.Clone(a)
	b.SetBytes(int64(len(a) + len(c)))
	b.ReportAllocs()
	for b.Loop() {
		if same, _ := equalData(context.Background(), data(a), data(c), nil); !same {
			b.Fatal("differ")
		}
	}
}

// BenchmarkCompareTree: pairing two trees of 60,000 entries that differ
// in one file, as a nix store walk produces.
func BenchmarkCompareTree(b *testing.B) {
	mk := func(changed bool) *unpack.Node {
		root := &unpack.Node{Name: "/", Type: unpack.TypeDir}
		for i := range 600 {
			d := &unpack.Node{Name: fmt.Sprintf("%032d-pkg-%d", i, i), Type: unpack.TypeDir}
			for j := range 100 {
				content := fmt.Sprintf("file %d/%d\n", i, j)
				if changed && i == 300 && j == 50 {
					content = "changed\n"
				}
				d.Children = append(d.Children, file(fmt.Sprintf("f%03d", j), content,
					"mode", "-r--r--r-- (00444)", "uid", "0", "gid", "0", "mtime", "1970-01-01T00:00:01Z"))
			}
			root.Children = append(root.Children, d)
		}
		top := &unpack.Node{Type: unpack.TypeRecord, Children: []*unpack.Node{root}}
		top.Sort()
		return top
	}
	a, c := mk(false), mk(true)
	b.ReportAllocs()
	for b.Loop() {
		if root := compare(b, "x", a, c, DefaultOptions()); root.Count().Modified != 1 {
			b.Fatal(root.Count())
		}
	}
}
