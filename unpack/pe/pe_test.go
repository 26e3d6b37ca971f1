package pe

import (
	"bytes"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixtures are the images fixtures/build-pe.sh makes.
var fixtures = []string{"hello-a.exe", "hello-time.exe", "hello-code.exe", "symbols.exe", "efi-a.efi", "efi-b.efi",
	"uki-a.efi", "uki-cmdline.efi", "uki-initrd.efi", "memtest86+x64.efi"}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "pe", name))
	if err != nil {
		t.Fatalf("fixture %s: %v (rebuild with fixtures/build-pe.sh)", name, err)
	}
	return b
}

func open(t testing.TB, b []byte) *unpack.Node {
	t.Helper()
	if !Match(b[:min(len(b), unpack.HeadSize)], bytes.NewReader(b), int64(len(b))) {
		t.Fatal("not matched as PE")
	}
	n, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAgainstDebugPE: the headers and section table read as debug/pe
// reads them, on every fixture.
func TestAgainstDebugPE(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			b := readFixture(t, name)
			f, err := pe.NewFile(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			h, err := ReadHeaders(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if h.File != f.FileHeader {
				t.Errorf("file header %+v, debug/pe %+v", h.File, f.FileHeader)
			}
			switch o := f.OptionalHeader.(type) {
			case *pe.OptionalHeader64:
				mine := *h.Optional.(*pe.OptionalHeader64)
				copy(mine.DataDirectory[:], h.Dirs)
				if mine != *o {
					t.Errorf("optional header %+v, debug/pe %+v", mine, *o)
				}
			case *pe.OptionalHeader32:
				mine := *h.Optional.(*pe.OptionalHeader32)
				copy(mine.DataDirectory[:], h.Dirs)
				if mine != *o {
					t.Errorf("optional header %+v, debug/pe %+v", mine, *o)
				}
			}
			if len(h.Sections) != len(f.Sections) {
				t.Fatalf("%d sections, debug/pe %d", len(h.Sections), len(f.Sections))
			}
			for i, s := range f.Sections {
				m := h.Sections[i]
				if m.Name != s.Name || m.VirtualSize != s.VirtualSize || m.VirtualAddress != s.VirtualAddress ||
					m.SizeOfRawData != s.Size || m.PointerToRawData != s.Offset || m.Characteristics != s.Characteristics {
					t.Errorf("section %d: %+v, debug/pe %+v", i, m, s.SectionHeader)
				}
			}
		})
	}
}

// TestEveryByteClaimed: the fixtures have no byte that no structure
// claims, and every layer is a well-formed tree. In a bzImage read as a
// PE, the setup header and code lie in the PE headers' space, which the
// PE view does not decode: they are its unclaimed bytes.
func TestEveryByteClaimed(t *testing.T) {
	for _, name := range fixtures {
		b := readFixture(t, name)
		n := open(t, b)
		testutil.CheckLayerTree(t, n, 0)
		if name == "memtest86+x64.efi" {
			u := n.Child(layout.UnclaimedName)
			if u == nil || !bytes.Equal(testutil.DataBytes(t, u.Data)[0x1f1:0x1f1+15], b[0x1f1:0x1f1+15]) {
				t.Errorf("%s: the setup header is not in %s", name, layout.UnclaimedName)
			}
			continue
		}
		if un := n.Layout().(*layout.Claims).Unclaimed(int64(len(b))); len(un) > 0 {
			t.Errorf("%s: unclaimed %v", name, un)
		}
		if n.Child(layout.UnclaimedName) != nil {
			t.Errorf("%s: has %s", name, layout.UnclaimedName)
		}
	}
}

// TestHeaderFields: the COFF header's fields and what holds their bytes.
func TestHeaderFields(t *testing.T) {
	b := readFixture(t, "hello-time.exe")
	n := open(t, b)
	coff := n.Child("COFF header")
	testutil.WantField(t, coff, "TimeDateStamp", "2023-11-14T22:13:20Z (0x6553f100)")
	testutil.WantField(t, coff, "Machine", "x86-64 (0x8664)")
	for _, f := range coff.Fields() {
		if f.Name == "TimeDateStamp" && f.Role != unpack.RoleTime {
			t.Errorf("TimeDateStamp role %v", f.Role)
		}
	}
	opt := n.Child("optional header")
	for _, f := range opt.Fields() {
		if f.Name == "CheckSum" && f.Role != unpack.RoleDerived {
			t.Errorf("CheckSum role %v", f.Role)
		}
	}
	testutil.WantField(t, opt, "Subsystem", "Windows console (3)")
	lfanew := int64(b[0x3c]) | int64(b[0x3d])<<8
	if got := testutil.HeldAt(n, lfanew+4+4); len(got) != 1 || got[0] != "COFF header: TimeDateStamp" {
		t.Errorf("TimeDateStamp held by %q", got)
	}
	text := n.Child(".text")
	if text == nil || text.Data == nil {
		t.Fatal("no .text data")
	}
	if got := testutil.HeldAt(n, text.Offset); len(got) != 1 || got[0] != "section .text" {
		t.Errorf(".text held by %q", got)
	}
}

// TestDebugDirectory: the CodeView record ld --build-id writes, decoded,
// and its bytes marked in the section that holds them.
func TestDebugDirectory(t *testing.T) {
	n := open(t, readFixture(t, "hello-a.exe"))
	d := n.Child("debug directory")
	if d == nil || len(d.Children) != 1 {
		t.Fatalf("debug directory %v", d)
	}
	cv := d.Child("0 CodeView")
	if cv == nil {
		t.Fatalf("children %v", testutil.ChildNames(d))
	}
	testutil.WantField(t, cv, "Type", "2")
	testutil.WantField(t, cv, "PDB path", `""`)
	if g, ok := cv.Field("CodeView GUID"); !ok || len(g) != 36 {
		t.Errorf("GUID %q", g)
	}
	sec := n.Child(".buildid")
	p, ok := sec.Data.(unpack.Patched)
	if !ok || len(p.Patches()) != 2 {
		t.Fatalf(".buildid data %T", sec.Data)
	}
	if p.Patches()[0].Role != unpack.RoleTime || p.Patches()[1].Role != roleBuildID {
		t.Errorf("patches %+v", p.Patches())
	}
}

// TestUKI: a unified kernel image's sections, the text ones as text.
func TestUKI(t *testing.T) {
	n := open(t, readFixture(t, "uki-a.efi"))
	testutil.WantField(t, n, "image", "unified kernel image")
	for name, want := range map[string]string{
		".cmdline": "init=/init console=ttyS0 loglevel=4\n",
		".uname":   "6.10-memtest86+\n",
		".osrel":   "NAME=\"isodiff test\"\nID=isodiff\nVERSION_ID=1\nPRETTY_NAME=\"isodiff test 1\"\n",
	} {
		if got := string(testutil.ChildData(t, n, name)); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if got := testutil.ChildData(t, n, ".initrd"); !bytes.HasPrefix(got, []byte{0x1f, 0x8b}) {
		t.Errorf(".initrd starts % x", got[:min(len(got), 4)])
	}
	linux := testutil.ChildData(t, n, ".linux")
	if want := readFixture(t, "memtest86+x64.efi"); !bytes.Equal(linux, want) {
		t.Errorf(".linux: %d bytes, not the kernel (%d bytes)", len(linux), len(want))
	}
	if sbat := string(testutil.ChildData(t, n, ".sbat")); !strings.HasPrefix(sbat, "sbat,1,") || strings.ContainsRune(sbat, 0) {
		t.Errorf(".sbat %q", sbat)
	}
}

// TestSymbolTable: an unstripped image's long section names come from the
// string table, and the symbol and string tables are an entry.
func TestSymbolTable(t *testing.T) {
	n := open(t, readFixture(t, "symbols.exe"))
	info := n.Child(".debug_info")
	if info == nil {
		t.Fatalf("no .debug_info: %v", testutil.ChildNames(n))
	}
	if v, ok := info.Field("Name bytes"); !ok || !strings.HasPrefix(v, `"/`) {
		t.Errorf("Name bytes %q", v)
	}
	if s := n.Child("COFF symbol table"); s == nil || s.Data == nil || s.Data.Size() == 0 {
		t.Errorf("symbol table %v", s)
	}
}

// TestSignature: a certificate table is an entry explained as an
// Authenticode signature; one cut by the end of the image is marked.
func TestSignature(t *testing.T) {
	b := readFixture(t, "efi-a.efi")
	h, err := ReadHeaders(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	// Append a WIN_CERTIFICATE and point the certificate table at it, as
	// sbsign does.
	cert := append([]byte{16, 0, 0, 0, 0, 2, 2, 0}, []byte("signatur")...)
	signed := append(bytes.Clone(b), cert...)
	dir := h.OptOff + 112 + certificateDir*8
	putU32(signed[dir:], uint32(len(b)))
	putU32(signed[dir+4:], uint32(len(cert)))
	n := open(t, signed)
	c := n.Child("certificate table")
	if c == nil {
		t.Fatalf("no certificate table: %v", testutil.ChildNames(n))
	}
	testutil.WantField(t, c, "certificate 0 wCertificateType", "PKCS #7 SignedData (0x0002)")
	if p, ok := c.Data.(unpack.Patched); !ok || p.Patches()[0].Role != roleSignature {
		t.Errorf("certificate data %T", c.Data)
	}
	if n.Child("[overlay]") != nil {
		t.Error("the certificate table is also an overlay")
	}
	cut := signed[:len(signed)-4]
	n = open(t, cut)
	if c := n.Child("certificate table"); c == nil || c.Err == nil {
		t.Errorf("cut certificate table not marked: %v", c)
	}
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// TestOverlay: bytes appended after the last section are an entry.
func TestOverlay(t *testing.T) {
	b := append(readFixture(t, "efi-a.efi"), "appended payload"...)
	n := open(t, b)
	if got := string(testutil.ChildData(t, n, "[overlay]")); got != "appended payload" {
		t.Errorf("overlay %q", got)
	}
}

// TestBroken: damaged headers are errors at their offset; a section cut
// by the end of the image is a marked entry and the rest is read.
func TestBroken(t *testing.T) {
	b := readFixture(t, "hello-a.exe")
	bad := bytes.Clone(b)
	bad[0x3c] = 0xff
	bad[0x3f] = 0x7f
	_, err := Open(bytes.NewReader(bad), int64(len(bad)), nil)
	testutil.WantFormatErr(t, err, layerName, 0x3c, 0x3c)
	for _, size := range []int{0x40, 0x90, 0x200, len(b) / 2} {
		n, err := Open(bytes.NewReader(b[:size]), int64(size), nil)
		if err != nil {
			var fe *unpack.FormatError
			if !errors.As(err, &fe) {
				t.Errorf("cut at %d: %v", size, err)
			}
			continue
		}
		testutil.CheckLayerTree(t, n, 0)
		marked := false
		n.Walk("", func(c *unpack.Node, _ string) { marked = marked || c.Err != nil })
		if !marked {
			t.Errorf("cut at %d: nothing marked", size)
		}
	}
}

// TestFlips: no single-bit change of a fixture goes unseen.
func TestFlips(t *testing.T) {
	for _, name := range []string{"efi-a.efi", "symbols.exe"} {
		t.Run(name, func(t *testing.T) {
			c := testutil.RunFlips(t, testutil.FlipSubject{File: name, Open: Open, Data: readFixture(t, name)}, testutil.CurrentFlipPlan())
			t.Logf("%d flips, %d invisible", c.Flips, c.Invisible)
		})
	}
}

// FuzzPE feeds images to the PE reader, and reads the functions of their
// code sections.
func FuzzPE(f *testing.F) {
	for _, name := range []string{"efi-a.efi", "symbols.exe", "hello-a.exe"} {
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 256<<10 {
			return
		}
		r := bytes.NewReader(data)
		n, err := Open(r, int64(len(data)), nil)
		if err != nil {
			var fe *unpack.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is no FormatError", err)
			}
			return
		}
		testutil.CheckLayerTree(t, n, 0)
		readAll := func(n *unpack.Node) {
			n.Walk("", func(c *unpack.Node, _ string) {
				if c.Data != nil {
					io.Copy(io.Discard, io.NewSectionReader(c.Data, 0, c.Data.Size()))
				}
			})
		}
		readAll(n)
		// The functions of code sections, as the comparison reads them
		// where they differ.
		for _, c := range n.Children {
			if d, ok := c.Data.(*codeSection); ok && Match(nil, d, d.Size()) {
				v, err := Open(d, d.Size(), nil)
				if err != nil {
					t.Fatal(err)
				}
				testutil.CheckLayerTree(t, v, 0)
				readAll(v)
			}
		}
	})
}

// TestPE32OptionalHeader: a PE32 image (Debian's memtest86+ for 32-bit
// EFI; no committed fixture is PE32) gets the PE32+ list of fields with
// BaseOfData after BaseOfCode, each the value debug/pe reads.
func TestPE32OptionalHeader(t *testing.T) {
	const path = "/boot/memtest86+ia32.efi"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("%v (Debian package memtest86+)", err)
	}
	f, err := pe.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	o, ok := f.OptionalHeader.(*pe.OptionalHeader32)
	if !ok {
		t.Fatalf("%s is not PE32", path)
	}
	opt := open(t, b).Child("optional header")
	for name, want := range map[string]string{
		"Magic":              fmt.Sprintf("PE32 (0x%x)", o.Magic),
		"BaseOfCode":         fmt.Sprintf("0x%x", o.BaseOfCode),
		"BaseOfData":         fmt.Sprintf("0x%x", o.BaseOfData),
		"ImageBase":          fmt.Sprintf("0x%x", o.ImageBase),
		"SizeOfStackReserve": fmt.Sprintf("0x%x", o.SizeOfStackReserve),
		"SizeOfHeapCommit":   fmt.Sprintf("0x%x", o.SizeOfHeapCommit),
		"SectionAlignment":   fmt.Sprintf("0x%x", o.SectionAlignment),
		"SizeOfImage":        fmt.Sprintf("0x%x", o.SizeOfImage),
		"LinkerVersion":      fmt.Sprintf("%d.%d", o.MajorLinkerVersion, o.MinorLinkerVersion),
	} {
		testutil.WantField(t, opt, name, want)
	}
	wide := open(t, readFixture(t, "efi-a.efi")).Child("optional header")
	testutil.NoField(t, wide, "BaseOfData")
	var names, wideNames []string
	for _, f := range opt.Fields() {
		if f.Name != "BaseOfData" {
			names = append(names, f.Name)
		}
	}
	for _, f := range wide.Fields() {
		wideNames = append(wideNames, f.Name)
	}
	// The data directories present differ; the fixed fields do not.
	if n := 22; len(names) < n || len(wideNames) < n || !slices.Equal(names[:n], wideNames[:n]) {
		t.Errorf("PE32 fields %q, PE32+ fields %q", names, wideNames)
	}
}
