package diff

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"testing"
)

func causes(n *Node) []string {
	var out []string
	for _, c := range n.Causes {
		out = append(out, c.String())
	}
	return out
}

func TestPycHeaderCause(t *testing.T) {
	// A CPython 3.13 .pyc header: magic f3 0d 0d 0a, flags 0, mtime, size.
	pyc := func(mtime, size uint32) []byte {
		b := []byte{0xf3, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0}
		b = binary.LittleEndian.AppendUint32(b, mtime)
		b = binary.LittleEndian.AppendUint32(b, size)
		return append(b, bytes.Repeat([]byte{0xe3, 0}, 100)...)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"mtime", pyc(1700000000, 500), "pyc header: mtime"},
		{"size", pyc(1, 501), "pyc header: source size"},
		{"both", pyc(2, 600), "pyc header: mtime, source size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := compare(t, "x", file("a.pyc", string(pyc(1, 500))), file("a.pyc", string(tc.b)), DefaultOptions())
			if got := causes(root); len(got) != 1 || got[0] != tc.want {
				t.Errorf("causes %q, want %q", got, tc.want)
			}
		})
	}
	// A change past the header is not a header difference.
	b := pyc(1, 500)
	b[40] ^= 1
	root := compare(t, "x", file("a.pyc", string(pyc(1, 500))), file("a.pyc", string(b)), DefaultOptions())
	if len(root.Causes) != 0 {
		t.Errorf("causes %v for a body change", causes(root))
	}
}

func TestBuildIDCause(t *testing.T) {
	orig, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true to take an ELF file from")
	}
	f, err := elf.NewFile(bytes.NewReader(orig))
	if err != nil {
		t.Skip("/bin/true is not ELF")
	}
	s := f.Section(".note.gnu.build-id")
	if s == nil {
		t.Skip("/bin/true has no build-id note")
	}
	changed := bytes.Clone(orig)
	changed[s.Offset+s.Size-1] ^= 0xff // last byte of the build-id
	root := compare(t, "x", file("true", string(orig)), file("true", string(changed)), DefaultOptions())
	if got := causes(root); len(got) != 1 || got[0] != "ELF build-id: the build-id note differs, and nothing else" {
		t.Errorf("causes %q", got)
	}
	changed[len(changed)-1] ^= 0xff
	root = compare(t, "x", file("true", string(orig)), file("true", string(changed)), DefaultOptions())
	if got := causes(root); len(got) != 1 || got[0] != "ELF build-id: the build-id note differs" {
		t.Errorf("causes %q", got)
	}
}

func TestFieldCauses(t *testing.T) {
	a := dir("", file("f", "x", "mtime", "1", "lba", "5", "mode", "0444"), file("g", "y", "lba", "6"))
	b := dir("", file("f", "x", "mtime", "2", "lba", "6", "mode", "0444"), file("g", "y", "lba", "7"))
	root := compare(t, "x", a, b, DefaultOptions())
	if got := causes(root.Child("f")); len(got) != 1 || got[0] != "timestamp: mtime" {
		t.Errorf("f: causes %q", got)
	}
	if g := root.Child("g"); g.State != Same || !g.Placed() {
		t.Errorf("g moved only: state %v placed %v", g.State, g.Placed())
	}
	if got := causes(root); root.Moved != 2 || len(got) != 1 || got[0] != "layout: 2 entries moved or renumbered" {
		t.Errorf("root: moved %d causes %q", root.Moved, got)
	}
}
