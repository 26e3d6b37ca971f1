package bzimage

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
	"os"
	"path/filepath"
	"testing"
)

func memtest(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "pe", "memtest86+x64.efi"))
	if err != nil {
		t.Fatalf("%v (rebuild with fixtures/build-pe.sh)", err)
	}
	return b
}

func open(t testing.TB, b []byte) *unpack.Node {
	t.Helper()
	if !Match(b[:min(len(b), unpack.HeadSize)], bytes.NewReader(b), int64(len(b))) {
		t.Fatal("not matched as bzImage")
	}
	n, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// withPayload is memtest86+'s setup code followed by a gzip payload and
// code after it, with payload_offset and payload_length pointing at it,
// as a kernel's build lays out a compressed vmlinux.
func withPayload(t testing.TB, content []byte) ([]byte, []byte) {
	t.Helper()
	b := memtest(t)
	setupEnd := (int(b[0x1f1]) + 1) * 512
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, 9)
	w.Write(content)
	w.Close()
	img := append(bytes.Clone(b[:setupEnd]), "decompressor code"...)
	off := len(img) - setupEnd
	img = append(img, z.Bytes()...)
	img = append(img, "code after the payload"...)
	binary.LittleEndian.PutUint32(img[0x248:], uint32(off))
	binary.LittleEndian.PutUint32(img[0x24c:], uint32(z.Len()))
	return img, z.Bytes()
}

// TestMemtest: a real boot protocol image with an EFI stub.
func TestMemtest(t *testing.T) {
	b := memtest(t)
	n := open(t, b)
	testutil.CheckLayerTree(t, n, 0)
	h := n.Child("setup header")
	testutil.WantField(t, h, "version", "2.12")
	testutil.WantField(t, h, "setup_sects", "2")
	testutil.WantField(t, h, "header", `"HdrS"`)
	testutil.WantField(t, h, "payload_length", "0")
	if v, ok := h.Field("kernel version string"); !ok || v == "" {
		t.Errorf("kernel version string %q", v)
	}
	view := n.Child("PE header")
	if view == nil || view.Child("COFF header") == nil || view.Child("section .text") == nil {
		t.Fatalf("PE header %v", view)
	}
	for _, c := range view.Children {
		if c.Name != "DOS header" && c.Data != nil {
			t.Errorf("%s has bytes: the PE view shows fields only", c.Name)
		}
	}
	code := n.Child("protected-mode code")
	if code == nil || code.Data.Size() != int64(len(b)-3*512) {
		t.Fatalf("protected-mode code %v", code)
	}
	if got := testutil.HeldAt(n, 0x206); len(got) != 1 || got[0] != "setup header: version" {
		t.Errorf("0x206 held by %q", got)
	}
	// Without its MZ header, the same image has a boot sector instead.
	plain := bytes.Clone(b)
	plain[0], plain[1] = 0xea, 0x05
	p := open(t, plain)
	if p.Child("PE header") != nil || p.Child("boot sector") == nil {
		t.Errorf("children %v", testutil.ChildNames(p))
	}
	if un := p.Layout().(*layout.Claims).Unclaimed(int64(len(plain))); len(un) > 0 {
		t.Errorf("unclaimed %v", un)
	}
}

// TestPayload: the compressed kernel is an entry of its own.
func TestPayload(t *testing.T) {
	img, z := withPayload(t, bytes.Repeat([]byte("\x7fELF vmlinux "), 100))
	n := open(t, img)
	testutil.CheckLayerTree(t, n, 0)
	if got := testutil.ChildData(t, n, "payload"); !bytes.Equal(got, z) {
		t.Errorf("payload: %d bytes, want the %d of the gzip stream", len(got), len(z))
	}
	if got := string(testutil.ChildData(t, n, "protected-mode code after the payload")); got != "code after the payload" {
		t.Errorf("after the payload: %q", got)
	}
	if got := string(testutil.ChildData(t, n, "protected-mode code")); got != "decompressor code" {
		t.Errorf("before the payload: %q", got)
	}
	// A payload past the end is marked, and the bytes are still shown.
	binary.LittleEndian.PutUint32(img[0x24c:], uint32(len(img)))
	n = open(t, img)
	if n.Err == nil || n.Child("protected-mode code") == nil {
		t.Errorf("payload past the end: err %v, children %v", n.Err, testutil.ChildNames(n))
	}
}

// TestVmlinuz: a distribution kernel, where one is installed.
func TestVmlinuz(t *testing.T) {
	paths, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(paths) == 0 {
		t.Skip("no /boot/vmlinuz-*")
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Skip(err)
	}
	n := open(t, b)
	p := n.Child("payload")
	if p == nil {
		t.Fatalf("%s: no payload: %v", paths[0], testutil.ChildNames(n))
	}
	head := make([]byte, 6)
	p.Data.ReadAt(head, 0)
	known := [][]byte{{0x1f, 0x8b}, {0xfd, '7', 'z', 'X', 'Z'}, {0x28, 0xb5, 0x2f, 0xfd}, {0x02, 0x21, 0x4c, 0x18}, {0x5d, 0}, {'B', 'Z', 'h'}}
	ok := false
	for _, k := range known {
		ok = ok || bytes.HasPrefix(head, k)
	}
	if !ok {
		t.Errorf("%s: payload starts % x, no compression format's magic", paths[0], head)
	}
}

// TestFlips: no single-bit change of the headers goes unseen.
func TestFlips(t *testing.T) {
	img, _ := withPayload(t, []byte("vmlinux"))
	// The setup code and headers; the rest is plain bytes.
	c := testutil.RunFlips(t, testutil.FlipSubject{File: "memtest86+ setup with a gzip payload", Open: Open, Data: img[:3*512+64]}, testutil.CurrentFlipPlan())
	t.Logf("%d flips, %d invisible", c.Flips, c.Invisible)
}

// FuzzBzImage feeds images to the reader.
func FuzzBzImage(f *testing.F) {
	img, _ := withPayload(f, []byte("vmlinux"))
	f.Add(img)
	f.Add(memtest(f)[:4096])
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 256<<10 {
			return
		}
		n, err := Open(bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			var fe *unpack.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is no FormatError", err)
			}
			return
		}
		testutil.CheckLayerTree(t, n, 0)
		n.Walk("", func(c *unpack.Node, _ string) {
			if c.Data != nil {
				io.Copy(io.Discard, io.NewSectionReader(c.Data, 0, c.Data.Size()))
			}
		})
	})
}
