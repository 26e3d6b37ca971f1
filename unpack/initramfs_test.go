package unpack

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"isodiff/unpack/internal/readat"
	"testing"
)

// segmentsOf opens b as an initramfs and returns its segments in order.
func segmentsOf(t testing.TB, b []byte) (*Node, []*Node) {
	t.Helper()
	root := openAs(t, b, "initramfs", nil)
	if root.Err != nil {
		t.Fatal(root.Err)
	}
	if !root.Positional {
		t.Error("segments are not positional")
	}
	var segs []*Node
	for _, name := range root.Order {
		segs = append(segs, root.Child(name))
	}
	if len(segs) != len(root.Children) {
		t.Fatalf("order %v, children %v", root.Order, names(root))
	}
	wantField(t, root, "segments", fmt.Sprint(len(segs)))
	return root, segs
}

func wantSegment(t testing.TB, s *Node, off, size int64, format string, padding int64) {
	t.Helper()
	wantField(t, s, "offset", fmt.Sprint(off))
	wantField(t, s, "size", fmt.Sprint(size))
	wantField(t, s, "format", format)
	if padding > 0 {
		wantField(t, s, "padding", fmt.Sprintf("%d zero bytes", padding))
	} else {
		noField(t, s, "padding")
	}
	if s.Offset != off || s.Data == nil || s.Data.Size() != size || s.Type != TypeFile {
		t.Errorf("%s: offset %d, data %v", s.Name, s.Offset, s.Data)
	}
}

func TestInitramfsMicrocode(t *testing.T) {
	b := readInitrdFixture(t, "initrd-microcode")
	zst := readInitrdFixture(t, "initrd-a.zst")
	ucode := int64(len(b) - len(zst))
	_, segs := segmentsOf(t, b)
	if len(segs) != 2 {
		t.Fatalf("%d segments", len(segs))
	}
	// GNU cpio pads the microcode archive to 512 bytes; the archive
	// itself ends after its trailer, 4-byte aligned.
	end, err := cpioArchiveEnd(readat.NewPeek(bytes.NewReader(b), int64(len(b))), 0, int64(len(b)), 100)
	if err != nil {
		t.Fatal(err)
	}
	wantSegment(t, segs[0], 0, end, "cpio", ucode-end)
	wantSegment(t, segs[1], ucode, int64(len(zst)), "zstd", 0)
	if !bytes.Equal(dataBytes(t, segs[1].Data), zst) {
		t.Error("segment 2 is not the zstd stream")
	}
	// What a comparison does next: detect each segment's format.
	for i, want := range []string{"cpio", "zstd"} {
		if f, ok := Detect(segs[i].Data, segs[i].Data.Size(), testFormats); !ok || f.Name != want {
			t.Errorf("segment %d detected as %q", i+1, f.Name)
		}
	}
	env := testEnv(t, 0)
	ucodeTree := openAs(t, dataBytes(t, segs[0].Data), "cpio", env)
	if ucodeTree.Err != nil {
		t.Fatal(ucodeTree.Err)
	}
	if n := cpioTreeNode(t, ucodeTree, "/kernel/x86/microcode/GenuineIntel.bin"); n.Data.Size() != 2048 {
		t.Errorf("microcode size %d", n.Data.Size())
	}
	noField(t, ucodeTree, "padding") // the padding is the initramfs layer's
}

func TestInitramfsBrokenZstd(t *testing.T) {
	b := readInitrdFixture(t, "initrd-broken-zstd")
	_, segs := segmentsOf(t, b)
	if len(segs) != 2 {
		t.Fatalf("%d segments", len(segs))
	}
	z := openAs(t, dataBytes(t, segs[1].Data), "zstd", testEnv(t, 0))
	_, c := contentOf(t, z)
	wantFormatErr(t, c.Err, "zstd", 0, segs[1].Data.Size())
}

// A plain archive, even padded, is cpio, not initramfs.
func TestInitramfsMatch(t *testing.T) {
	base := readInitrdFixture(t, "base.cpio") // padded to 512 by GNU cpio
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"plain padded", base, "cpio"},
		{"plain with garbage after", append(bytes.Clone(base), "garbage"...), "cpio"},
		{"two archives", append(bytes.Clone(base), base...), "initramfs"},
		{"archive and zstd", readInitrdFixture(t, "initrd-microcode"), "initramfs"},
		{"zstd", readInitrdFixture(t, "initrd-a.zst"), "zstd"},
	} {
		f, ok := Detect(bytes.NewReader(tc.b), int64(len(tc.b)), testFormats)
		if !ok || f.Name != tc.want {
			t.Errorf("%s: detected %q, want %q", tc.name, f.Name, tc.want)
		}
	}
}

// A kernel-style image of every kind of segment, with zero padding of
// odd lengths between them.
func TestInitramfsSegments(t *testing.T) {
	a := newcArchive("070701", cpioEntry{name: "kernel/x86/microcode/AuthenticAMD.bin", mode: 0o100644, data: "ucode"})
	b2 := newcArchive("070701", cpioEntry{name: "etc/extra", mode: 0o100644, data: "extra"})
	main := newcArchive("070701", cpioEntry{name: "init", mode: 0o100755, data: "#!/bin/sh\n"})
	zst := zstdCompress(t, main)
	lz := lz4LegacyCompress(t, main, 8<<20)
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
	add(readInitrdFixture(t, "initrd-a.lzo"), "lzop", 5)
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
	g := openAs(t, dataBytes(t, segs[5].Data), "gzip", testEnv(t, 0))
	wantField(t, g, "padding", "100 zero bytes")

	// Junk after a segment: an "unknown" segment with an error, as the
	// kernel stops there.
	junk := append(bytes.Clone(img[:want[3].off]), "not a known magic"...)
	_, segs = segmentsOf(t, junk)
	last := segs[len(segs)-1]
	wantField(t, last, "format", "unknown")
	wantFormatErr(t, last.Err, "initramfs", want[3].off, want[3].off)
}
