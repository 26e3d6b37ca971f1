package squashfs

import (
	"bytes"
	"isodiff/unpack"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSquashfsHoles: the holes of the 5 GiB sparse file of large.sqfs are
// its blocks stored as nothing, they read as zeros, and what is left to
// read once they are skipped is the few blocks holding data.
func TestSquashfsHoles(t *testing.T) {
	root, _ := openSqFixture(t, "large")
	d := root.Child("/").Child("five-gib.bin").Data.(*fileContent)
	holes := d.Holes()
	blocks, _ := d.Blocks()
	bs := int64(d.img.blockSize)
	hole := func(off int64) bool {
		for _, h := range holes {
			if off >= h.Start && off < h.End {
				return true
			}
		}
		return false
	}
	for i, b := range blocks {
		if hole(int64(i)*bs) != b.Sparse {
			t.Fatalf("block %d: sparse %v, in a hole %v", i, b.Sparse, !b.Sparse)
		}
	}
	for i := 1; i < len(holes); i++ {
		if holes[i].Start <= holes[i-1].End {
			t.Fatalf("holes %v and %v not sorted and merged", holes[i-1], holes[i])
		}
	}
	buf := make([]byte, 4096)
	for _, h := range holes {
		for _, off := range []int64{h.Start, (h.Start + h.End) / 2, h.End - int64(len(buf))} {
			if _, err := d.ReadAt(buf, off); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf, make([]byte, len(buf))) {
				t.Fatalf("hole %v: bytes at %d are not zeros", h, off)
			}
		}
	}
	// Against itself, only the stored blocks (and the tail) are left.
	rest := unpack.WithoutCommonHoles([]unpack.Range{{Start: 0, End: d.Size()}}, d, d, 0)
	var left int64
	for _, r := range rest {
		left += r.Len()
	}
	stored := int64(0)
	for _, b := range blocks {
		if !b.Sparse {
			stored += bs
		}
	}
	if tail := d.Size() - int64(len(blocks))*bs; left > stored+max(tail, 0) || left == 0 {
		t.Errorf("%d bytes left to read of %d, %d stored", left, d.Size(), stored)
	}
	// "past 4 GiB" lies in what is left, not in a hole.
	if hole(4294968530) {
		t.Error("the data past 4 GiB is in a hole")
	}
	// Not both Holed: nothing skipped.
	if got := unpack.WithoutCommonHoles([]unpack.Range{{Start: 0, End: 10}}, d, bytes.NewReader(nil), 0); len(got) != 1 || got[0] != (unpack.Range{Start: 0, End: 10}) {
		t.Errorf("with plain data: %v", got)
	}
}

// TestSquashfsSparseCompare builds two images with mksquashfs, each with a
// 1 GiB sparse file that differs in one byte near its end, and compares
// the files the way a comparison should: reading only what is not a hole
// on both sides. The difference is found, and hardly anything is read.
func TestSquashfsSparseCompare(t *testing.T) {
	if _, err := exec.LookPath("mksquashfs"); err != nil {
		t.Skip("mksquashfs not installed")
	}
	if testing.Short() {
		t.Skip("reads 2 GiB of holes into mksquashfs")
	}
	const size = 1 << 30
	const at = size - 100
	dir := t.TempDir()
	build := func(name string, b byte) *fileContent {
		src := filepath.Join(dir, name)
		if err := os.MkdirAll(src, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(src, "sparse.bin"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte{b}, at); err != nil {
			t.Fatal(err)
		}
		f.Close()
		out := filepath.Join(dir, name+".sqfs")
		cmd := exec.Command("mksquashfs", src, out, "-noappend", "-no-progress", "-quiet", "-all-root", "-b", "1M", "-comp", "gzip")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mksquashfs: %v\n%s", err, msg)
		}
		img, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		root, err := Open(bytes.NewReader(img), int64(len(img)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return root.Child("/").Child("sparse.bin").Data.(*fileContent)
	}
	da, db := build("a", 'A'), build("b", 'B')
	if same, err := da.SameStored(db); same || err != nil {
		t.Fatalf("SameStored %v, %v", same, err)
	}
	rest := unpack.WithoutCommonHoles([]unpack.Range{{Start: 0, End: size}}, da, db, 0)
	var read int64
	found := int64(-1)
	for _, r := range rest {
		read += r.Len()
		pa, pb := make([]byte, r.Len()), make([]byte, r.Len())
		if _, err := da.ReadAt(pa, r.Start); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ReadAt(pb, r.Start); err != nil {
			t.Fatal(err)
		}
		for i := range pa {
			if pa[i] != pb[i] && found < 0 {
				found = r.Start + int64(i)
			}
		}
	}
	if found != at {
		t.Errorf("first difference at %d, want %d", found, at)
	}
	if read > 2<<20 {
		t.Errorf("%d bytes read to compare two %d-byte files", read, int64(size))
	}
	if n := da.img.decompressed.Load() + db.img.decompressed.Load(); n > 2 {
		t.Errorf("%d blocks decompressed", n)
	}
	// With a margin, the ends of the holes are read too (context), and
	// what is read starts and ends on 4 KiB pages.
	for _, r := range rest {
		if r.Start%4096 != 0 || (r.End%4096 != 0 && r.End != size) {
			t.Errorf("range %v not on pages", r)
		}
	}
	withMargin := unpack.WithoutCommonHoles([]unpack.Range{{Start: 0, End: size}}, da, db, 64)
	var readM int64
	for _, r := range withMargin {
		readM += r.Len()
	}
	if readM <= read || readM > read+2*(64+4096)*int64(len(withMargin)+1) {
		t.Errorf("with a 64-byte margin, %d bytes to read (%d without)", readM, read)
	}
}

// TestSquashfsHoleOnlyFile: a file of zeros only is stored as holes, with
// a start that nothing reads; mksquashfs writes where it was writing, and
// any other start shows as "blocks start".
func TestSquashfsHoleOnlyFile(t *testing.T) {
	if _, err := exec.LookPath("mksquashfs"); err != nil {
		t.Skip("mksquashfs not installed")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	text := bytes.Repeat([]byte("not zeros, and not compressible to nothing either 0123456789\n"), 5000)
	for name, content := range map[string][]byte{"a.txt": text, "zeros.bin": make([]byte, 3*4096), "z.txt": text[:9000]} {
		if err := os.WriteFile(filepath.Join(src, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "img.sqfs")
	cmd := exec.Command("mksquashfs", src, out, "-noappend", "-no-progress", "-quiet", "-all-root", "-b", "4K", "-noI", "-no-fragments")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, msg)
	}
	orig, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	open := func(b []byte) *unpack.Node {
		root, err := Open(bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	zeros := open(orig).Child("/").Child("zeros.bin")
	d := zeros.Data.(*fileContent)
	if h := d.Holes(); len(h) != 1 || h[0] != (unpack.Range{Start: 0, End: d.Size()}) {
		t.Fatalf("holes %v of a file of %d zeros", h, d.Size())
	}
	if v, ok := zeros.Field("blocks start"); ok {
		t.Fatalf("blocks start %s in mksquashfs's own image", v)
	}
	// Its inode, in uncompressed metadata: the start is right after the
	// 16-byte common header.
	sb := parseSqSuperblock(orig)
	entries := rootListing(t, orig, sb)
	for _, e := range entries {
		if e.name != "zeros.bin" {
			continue
		}
		at := int64(sb.inodeTable) + int64(e.ref>>16) + 2 + int64(e.ref&0xffff) + 16
		for bit := 0; bit < 16; bit++ {
			b := bytes.Clone(orig)
			b[at+int64(bit/8)] ^= 1 << (bit % 8)
			if _, ok := open(b).Child("/").Child("zeros.bin").Field("blocks start"); !ok {
				t.Errorf("bit %d of the start flipped: no blocks start field", bit)
			}
		}
		return
	}
	t.Fatal("zeros.bin not in the listing")
}
