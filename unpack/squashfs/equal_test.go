package squashfs

import (
	"bytes"
	"isodiff/unpack"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func openSquashfsFixture(t *testing.T, name string) (*unpack.Node, []byte) {
	t.Helper()
	img, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "squashfs", name))
	if err != nil {
		t.Fatal(err)
	}
	root, err := Open(bytes.NewReader(img), int64(len(img)), &unpack.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return root, img
}

// filesOf opens a fixture and maps path to content of every
// regular file.
func filesOf(t *testing.T, name string) map[string]*fileContent {
	t.Helper()
	root, _ := openSquashfsFixture(t, name)
	out := map[string]*fileContent{}
	squashfsFiles(root, "", out)
	return out
}

// squashfsFiles maps path to content of every regular file.
func squashfsFiles(n *unpack.Node, path string, out map[string]*fileContent) {
	if d, ok := n.Data.(*fileContent); ok {
		out[path] = d
	}
	for _, c := range n.Children {
		squashfsFiles(c, path+"/"+c.Name, out)
	}
}

func TestSameStored(t *testing.T) {
	// Two separate opens of one image: every file proven equal from its
	// stored bytes.
	fa, fb := filesOf(t, "zstd.sqfs"), filesOf(t, "zstd.sqfs")
	if len(fa) == 0 {
		t.Fatal("no files")
	}
	for p, d := range fa {
		same, err := d.SameStored(fb[p])
		if err != nil || !same {
			t.Errorf("%s: same stored %v, %v", p, same, err)
		}
	}
	// The same content in another block order: SameStored may not prove
	// it, but must never claim equality where the bytes differ.
	ga, gb := filesOf(t, "order-a.sqfs"), filesOf(t, "order-b.sqfs")
	for p, d := range ga {
		e, ok := gb[p]
		if !ok {
			continue
		}
		same, err := d.SameStored(e)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]byte, d.Size())
		y := make([]byte, e.Size())
		d.ReadAt(x, 0)
		e.ReadAt(y, 0)
		if same && !bytes.Equal(x, y) {
			t.Errorf("%s: SameStored claims equal contents that differ", p)
		}
	}
	// Different files are never proven equal.
	var first *fileContent
	for p, d := range fa {
		if d.Size() == 0 {
			continue
		}
		if first != nil && first.Size() == d.Size() {
			x, y := make([]byte, d.Size()), make([]byte, d.Size())
			first.ReadAt(x, 0)
			d.ReadAt(y, 0)
			if same, _ := first.SameStored(d); same != bytes.Equal(x, y) {
				t.Errorf("%s: SameStored %v for contents equal=%v", p, same, bytes.Equal(x, y))
			}
		}
		first = d
	}
}

// TestSameStoredMovedTails: files whose tail ends lie elsewhere in the two
// images (another fragment block, another offset) are proven equal by the
// hashes of their tails, and each fragment block is decompressed at most
// once per image however many of its tails are compared.
func TestSameStoredMovedTails(t *testing.T) {
	ga, gb := filesOf(t, "tails-a.sqfs"), filesOf(t, "tails-b.sqfs")
	type pair struct {
		path string
		a, b *fileContent
		same bool
	}
	var moved []pair
	blocks := map[*imageInfo]map[int64]bool{}
	for p, d := range ga {
		e := gb[p]
		if e == nil || d.frag == nil || e.frag == nil || d.frag.Offset == e.frag.Offset && d.frag.Block == e.frag.Block {
			continue
		}
		for _, x := range []*fileContent{d, e} {
			if blocks[x.img] == nil {
				blocks[x.img] = map[int64]bool{}
			}
			blocks[x.img][x.frag.Block.Start] = true
		}
		same, err := d.SameStored(e)
		if err != nil {
			t.Fatal(err)
		}
		moved = append(moved, pair{p, d, e, same})
	}
	for img, bs := range blocks {
		if n := img.decompressed.Load(); n > int64(len(bs)) {
			t.Errorf("%d decompressions for %d fragment blocks", n, len(bs))
		}
	}
	proven := 0
	for _, p := range moved {
		x, y := make([]byte, p.a.Size()), make([]byte, p.b.Size())
		if _, err := p.a.ReadAt(x, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := p.b.ReadAt(y, 0); err != nil {
			t.Fatal(err)
		}
		// Equal files are proven equal; others never.
		if p.same != bytes.Equal(x, y) {
			t.Errorf("%s: SameStored %v, contents equal %v", p.path, p.same, bytes.Equal(x, y))
		}
		if p.same {
			proven++
		}
	}
	// The 25 files of A under the 4 KiB block size have their tail ends
	// in fragments (mksquashfs stores the tails of larger files as short
	// blocks), all of them moved in B; f17.txt differs.
	if len(moved) != 25 || proven != 24 {
		t.Fatalf("%d files with moved tails, %d proven equal; want 25 and 24", len(moved), proven)
	}
}

// TestInodeMeta: an inode's usual fields, kept as its values, are proven
// equal between two images without formatting them when the values are
// the same (ids by what they name), and format to what unsquashfs lists.
func TestInodeMeta(t *testing.T) {
	a, _ := openSquashfsFixture(t, "gzip.sqfs")
	b, _ := openSquashfsFixture(t, "zstd.sqfs") // the same tree, another compressor
	metas, proven := 0, 0
	var walk func(n, o *unpack.Node, path string)
	walk = func(n, o *unpack.Node, path string) {
		if n.Meta() != nil {
			metas++
			fa, fb := n.AllFields(), o.AllFields()
			got := n.Meta().SameMeta(o.Meta())
			if got {
				proven++
			}
			if got != slices.Equal(fa, fb) {
				t.Errorf("%s: SameMeta %v, fields %v and %v", path, got, fa, fb)
			}
			if _, ok := n.Field("mtime"); !ok {
				t.Errorf("%s: no mtime in %v", path, fa)
			}
		}
		for _, c := range n.Children {
			if oc := o.Child(c.Name); oc != nil {
				walk(c, oc, path+"/"+c.Name)
			}
		}
	}
	walk(a, b, "")
	if metas < 10 || proven == 0 {
		t.Fatalf("%d entries with a Meta, %d proven equal", metas, proven)
	}
	// Another number is another inode: not proven equal, and the fields
	// differ in that one.
	n := a.Child("/")
	for n != nil && n.Meta() == nil && len(n.Children) > 0 {
		n = n.Children[0]
	}
	m := *n.Meta().(*inodeMeta)
	m.number++
	if n.Meta().SameMeta(&m) {
		t.Error("inode numbers differ, proven equal")
	}
}
