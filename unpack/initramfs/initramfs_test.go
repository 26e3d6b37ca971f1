package initramfs

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"isodiff/unpack"
	"isodiff/unpack/cpio"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/testutil"
	"testing"
)

// segmentsOf opens b as an initramfs and returns its segments in order.
func segmentsOf(t testing.TB, b []byte) (*unpack.Node, []*unpack.Node) {
	t.Helper()
	root := testutil.OpenAs(t, b, "initramfs", nil, testFormats)
	if root.Err != nil {
		t.Fatal(root.Err)
	}
	if !root.Positional() {
		t.Error("segments are not positional")
	}
	var segs []*unpack.Node
	for _, name := range root.Order() {
		segs = append(segs, root.Child(name))
	}
	if len(segs) != len(root.Children) {
		t.Fatalf("order %v, children %v", root.Order(), testutil.ChildNames(root))
	}
	testutil.WantField(t, root, "segments", fmt.Sprint(len(segs)))
	return root, segs
}

func wantSegment(t testing.TB, s *unpack.Node, off, size int64, format string, padding int64) {
	t.Helper()
	testutil.WantField(t, s, "offset", fmt.Sprint(off))
	testutil.WantField(t, s, "size", fmt.Sprint(size))
	testutil.WantField(t, s, "format", format)
	if padding > 0 {
		testutil.WantField(t, s, "padding", fmt.Sprintf("%d zero bytes", padding))
	} else {
		testutil.NoField(t, s, "padding")
	}
	if s.Offset != off || s.Data == nil || s.Data.Size() != size || s.Type != unpack.TypeFile {
		t.Errorf("%s: offset %d, data %v", s.Name, s.Offset, s.Data)
	}
}

func TestInitramfsMicrocode(t *testing.T) {
	b := testutil.ReadInitrdFixture(t, "initrd-microcode")
	zst := testutil.ReadInitrdFixture(t, "initrd-a.zst")
	ucode := int64(len(b) - len(zst))
	_, segs := segmentsOf(t, b)
	if len(segs) != 2 {
		t.Fatalf("%d segments", len(segs))
	}
	// GNU cpio pads the microcode archive to 512 bytes; the archive
	// itself ends after its trailer, 4-byte aligned.
	end, err := cpio.ArchiveEnd(readat.NewPeek(bytes.NewReader(b), int64(len(b))), 0, int64(len(b)), 100)
	if err != nil {
		t.Fatal(err)
	}
	wantSegment(t, segs[0], 0, end, "cpio", ucode-end)
	wantSegment(t, segs[1], ucode, int64(len(zst)), "zstd", 0)
	if !bytes.Equal(testutil.DataBytes(t, segs[1].Data), zst) {
		t.Error("segment 2 is not the zstd stream")
	}
	// What a comparison does next: detect each segment's format.
	for i, want := range []string{"cpio", "zstd"} {
		if f, ok := unpack.Detect(segs[i].Data, segs[i].Data.Size(), testFormats); !ok || f.Name != want {
			t.Errorf("segment %d detected as %q", i+1, f.Name)
		}
	}
	env := testutil.Env(t, 0)
	ucodeTree := testutil.OpenAs(t, testutil.DataBytes(t, segs[0].Data), "cpio", env, testFormats)
	if ucodeTree.Err != nil {
		t.Fatal(ucodeTree.Err)
	}
	if n := testutil.TreeNode(t, ucodeTree, "/kernel/x86/microcode/GenuineIntel.bin"); n.Data.Size() != 2048 {
		t.Errorf("microcode size %d", n.Data.Size())
	}
	testutil.NoField(t, ucodeTree, "padding") // the padding is the initramfs layer's
}

func TestInitramfsBrokenZstd(t *testing.T) {
	b := testutil.ReadInitrdFixture(t, "initrd-broken-zstd")
	_, segs := segmentsOf(t, b)
	if len(segs) != 2 {
		t.Fatalf("%d segments", len(segs))
	}
	z := testutil.OpenAs(t, testutil.DataBytes(t, segs[1].Data), "zstd", testutil.Env(t, 0), testFormats)
	_, c := testutil.ContentOf(t, z)
	testutil.WantFormatErr(t, c.Err, "zstd", 0, segs[1].Data.Size())
}

// A plain archive, even padded, is cpio, not initramfs.
func TestInitramfsMatch(t *testing.T) {
	base := testutil.ReadInitrdFixture(t, "base.cpio") // padded to 512 by GNU cpio
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"plain padded", base, "cpio"},
		{"plain with garbage after", append(bytes.Clone(base), "garbage"...), "cpio"},
		{"two archives", append(bytes.Clone(base), base...), "initramfs"},
		{"archive and zstd", testutil.ReadInitrdFixture(t, "initrd-microcode"), "initramfs"},
		{"zstd", testutil.ReadInitrdFixture(t, "initrd-a.zst"), "zstd"},
	} {
		f, ok := unpack.Detect(bytes.NewReader(tc.b), int64(len(tc.b)), testFormats)
		if !ok || f.Name != tc.want {
			t.Errorf("%s: detected %q, want %q", tc.name, f.Name, tc.want)
		}
	}
}

// A kernel-style image of every kind of segment, with zero padding of
// odd lengths between them.
func TestInitramfsSegments(t *testing.T) {
	a := testutil.NewcArchive("070701", testutil.CpioEntry{Name: "kernel/x86/microcode/AuthenticAMD.bin", Mode: 0o100644, Data: "ucode"})
	b2 := testutil.NewcArchive("070701", testutil.CpioEntry{Name: "etc/extra", Mode: 0o100644, Data: "extra"})
	main := testutil.NewcArchive("070701", testutil.CpioEntry{Name: "init", Mode: 0o100755, Data: "#!/bin/sh\n"})
	zst := testutil.ZstdCompress(t, main)
	lz := testutil.Lz4LegacyCompress(t, main, 8<<20)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(main)
	w.Close()

	var img []byte
	type seg struct {
		off, size int64
		format    string
		pad       int
	}
	var want []seg
	add := func(b []byte, format string, pad int) {
		want = append(want, seg{int64(len(img)), int64(len(b)), format, pad})
		img = append(img, b...)
		img = append(img, make([]byte, pad)...)
	}
	add(a, "cpio", 0) // no padding: the next archive right after the trailer
	add(b2, "cpio", 512-len(b2)%512)
	add(zst, "zstd", 3)
	add(lz, "lz4-legacy", 8)
	add(testutil.ReadInitrdFixture(t, "initrd-a.lzo"), "lzop", 5)
	add(gz.Bytes(), "gzip", 0) // the last: to the end, its padding its own
	img = append(img, make([]byte, 100)...)
	want[len(want)-1].size += 100

	_, segs := segmentsOf(t, img)
	if len(segs) != len(want) {
		t.Fatalf("%d segments, want %d", len(segs), len(want))
	}
	for i, w := range want {
		wantSegment(t, segs[i], w.off, w.size, w.format, int64(w.pad))
	}
	// The gzip segment reports its own padding when unpacked.
	g := testutil.OpenAs(t, testutil.DataBytes(t, segs[5].Data), "gzip", testutil.Env(t, 0), testFormats)
	testutil.WantField(t, g, "padding", "100 zero bytes")

	// Junk after a segment: an "unknown" segment with an error, as the
	// kernel stops there.
	junk := append(bytes.Clone(img[:want[3].off]), "not a known magic"...)
	_, segs = segmentsOf(t, junk)
	last := segs[len(segs)-1]
	testutil.WantField(t, last, "format", "unknown")
	testutil.WantFormatErr(t, last.Err, "initramfs", want[3].off, want[3].off)
}

func TestFlipAccountingInitramfs(t *testing.T) {
	for _, file := range []string{"initrd-microcode"} {
		t.Run(file, func(t *testing.T) {
			c := testutil.RunFlips(t, testutil.FlipSubject{File: file, Open: Open}, testutil.CurrentFlipPlan())
			t.Logf("%s: %d flips, %d invisible", file, c.Flips, c.Invisible)
		})
	}
}
