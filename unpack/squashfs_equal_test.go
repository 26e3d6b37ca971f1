package unpack

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func openSquashfsFixture(t *testing.T, name string) (*Node, []byte) {
	t.Helper()
	img, err := os.ReadFile(filepath.Join("..", "fixtures", "squashfs", name))
	if err != nil {
		t.Fatal(err)
	}
	root, err := OpenSquashfs(bytes.NewReader(img), int64(len(img)), &Env{})
	if err != nil {
		t.Fatal(err)
	}
	return root, img
}

// squashfsFiles maps path to content of every regular file.
func squashfsFiles(n *Node, path string, out map[string]*SquashfsData) {
	if d, ok := n.Data.(*SquashfsData); ok {
		out[path] = d
	}
	for _, c := range n.Children {
		squashfsFiles(c, path+"/"+c.Name, out)
	}
}

func TestSameStored(t *testing.T) {
	// Two separate opens of one image: every file proven equal from its
	// stored bytes.
	a, _ := openSquashfsFixture(t, "zstd.sqfs")
	b, _ := openSquashfsFixture(t, "zstd.sqfs")
	fa, fb := map[string]*SquashfsData{}, map[string]*SquashfsData{}
	squashfsFiles(a, "", fa)
	squashfsFiles(b, "", fb)
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
	oa, _ := openSquashfsFixture(t, "order-a.sqfs")
	ob, _ := openSquashfsFixture(t, "order-b.sqfs")
	ga, gb := map[string]*SquashfsData{}, map[string]*SquashfsData{}
	squashfsFiles(oa, "", ga)
	squashfsFiles(ob, "", gb)
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
	var first *SquashfsData
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
