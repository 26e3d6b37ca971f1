package elf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var fixtureDir = filepath.Join("..", "..", "fixtures", "elf")

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("fixture %s: %v (rebuild with fixtures/build-elf.sh)", name, err)
	}
	return b
}

func openFixture(t testing.TB, name string) (*unpack.Node, []byte) {
	t.Helper()
	b := readFixture(t, name)
	if !match(b[:min(len(b), unpack.HeadSize)], bytes.NewReader(b), int64(len(b))) {
		t.Fatalf("%s: not detected as ELF", name)
	}
	n, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n, b
}

// openView opens the view of a section, as a comparison does when its
// bytes differ.
func openView(t testing.TB, root *unpack.Node, section string) *unpack.Node {
	t.Helper()
	s := root.Child(section)
	if s == nil {
		t.Fatalf("no section %s among %v", section, testutil.ChildNames(root))
	}
	f, ok := unpack.Detect(s.Data, s.Data.Size(), []unpack.Format{Format})
	if !ok || f.Name != layerName {
		t.Fatalf("section %s not detected as ELF's", section)
	}
	v, err := f.Open(s.Data, s.Data.Size(), nil)
	if err != nil {
		t.Fatalf("section %s: %v", section, err)
	}
	return v
}

func text(t testing.TB, n *unpack.Node) string {
	t.Helper()
	if n == nil || n.Data == nil {
		t.Fatal("no data")
	}
	return string(testutil.DataBytes(t, n.Data))
}

var (
	sectionLine = regexp.MustCompile(`^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s*(\d+)\s+(\d+)\s+(\d+)$`)
	progLine    = regexp.MustCompile(`^\s+([A-Z_0-9a-z]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x([0-9a-f]+)$`)
	buildIDLine = regexp.MustCompile(`Build ID: ([0-9a-f]+)`)
	neededLine  = regexp.MustCompile(`\(NEEDED\)\s+Shared library: \[(.*)\]`)
	symLine     = regexp.MustCompile(`^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+(FUNC|OBJECT)\s+(\w+)\s+(\w+)\s+(\d+)\s+(\S+)$`)
)

func hexNum(t testing.TB, s string) uint64 {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAgainstReadelf: the section headers, program headers, build-id,
// needed libraries and function symbols as readelf lists them (the
// listings fixtures/build-elf.sh made next to the files).
func TestAgainstReadelf(t *testing.T) {
	for _, name := range []string{"hello-a", "hello-stripped", "hello-arm64-a", "module-a.ko"} {
		t.Run(name, func(t *testing.T) {
			root, _ := openFixture(t, name)
			listing := string(readFixture(t, name+".readelf.txt"))
			ds := string(readFixture(t, name+".readelf-ds.txt"))
			sections := 0
			inSections, inProgs := false, false
			seg := 0
			for _, line := range strings.Split(listing, "\n") {
				switch {
				case strings.HasPrefix(line, "Section Headers:"):
					inSections = true
					continue
				case strings.HasPrefix(line, "Program Headers:"):
					inProgs = true
					continue
				case line == "" || strings.HasPrefix(line, "Key to Flags"):
					inSections, inProgs = false, false
				}
				if m := sectionLine.FindStringSubmatch(line); inSections && m != nil {
					if m[1] == "0" {
						continue
					}
					sections++
					n := root.Child(m[2])
					if n == nil {
						t.Errorf("section %s missing", m[2])
						continue
					}
					testutil.WantField(t, n, "index", m[1])
					testutil.WantField(t, n, "type", m[3])
					testutil.WantField(t, n, "address", fmt.Sprintf("%#x", hexNum(t, m[4])))
					testutil.WantField(t, n, "offset", fmt.Sprint(hexNum(t, m[5])))
					testutil.WantField(t, n, "size", fmt.Sprint(hexNum(t, m[6])))
					testutil.WantField(t, n, "entry size", fmt.Sprint(hexNum(t, m[7])))
					flags := m[8]
					if flags == "" {
						flags = "-"
					}
					testutil.WantField(t, n, "flags", flags)
					testutil.WantField(t, n, "alignment", m[11])
					if got, _ := n.Field("link"); strings.Fields(got)[0] != m[9] {
						t.Errorf("%s: link %s, readelf %s", m[2], got, m[9])
					}
				}
				if m := progLine.FindStringSubmatch(line); inProgs && m != nil {
					n := root.Child(ProgramHeadersName).Child(fmt.Sprintf("segment %02d", seg))
					seg++
					if n == nil {
						t.Errorf("segment %d missing", seg-1)
						continue
					}
					testutil.WantField(t, n, "type", m[1])
					testutil.WantField(t, n, "offset", fmt.Sprint(hexNum(t, m[2])))
					testutil.WantField(t, n, "virtual address", fmt.Sprintf("%#x", hexNum(t, m[3])))
					testutil.WantField(t, n, "file size", fmt.Sprint(hexNum(t, m[5])))
					testutil.WantField(t, n, "memory size", fmt.Sprint(hexNum(t, m[6])))
					testutil.WantField(t, n, "flags", strings.ReplaceAll(m[7], " ", ""))
				}
			}
			if sections == 0 {
				t.Fatal("no section in the readelf listing")
			}
			if pt := root.Child(ProgramHeadersName); pt != nil && len(pt.Children) != seg {
				t.Errorf("%d segments, readelf %d", len(pt.Children), seg)
			}
			if m := buildIDLine.FindStringSubmatch(listing); m != nil {
				v := openView(t, root, ".note.gnu.build-id")
				testutil.WantField(t, v, "build-id", m[1])
			}
			var needed []string
			for _, m := range neededLine.FindAllStringSubmatch(ds, -1) {
				needed = append(needed, m[1])
			}
			if len(needed) > 0 {
				testutil.WantField(t, openView(t, root, ".dynamic"), "NEEDED", strings.Join(needed, ", "))
			}
			// Every sized function in .text of the full symbol table is an
			// entry of the .text view, of its size.
			if !strings.Contains(ds, "Symbol table '.symtab'") {
				return
			}
			textIndex, _ := root.Child(".text").Field("index")
			var v *unpack.Node
			checked := 0
			for _, line := range strings.Split(ds[strings.Index(ds, "Symbol table '.symtab'"):], "\n") {
				m := symLine.FindStringSubmatch(line)
				if m == nil || m[3] != "FUNC" || m[6] != textIndex || m[2] == "0" {
					continue
				}
				if v == nil {
					v = openView(t, root, ".text")
				}
				fn := v.Child(m[7])
				if fn == nil {
					t.Errorf("function %s missing from %v", m[7], testutil.ChildNames(v))
					continue
				}
				testutil.WantField(t, fn, "size", m[2])
				testutil.WantField(t, fn, "address", fmt.Sprintf("%#x", hexNum(t, m[1])))
				checked++
			}
			if checked == 0 {
				t.Error("no function of .text checked")
			}
		})
	}
}

// TestViews: what the views of the sections show.
func TestViews(t *testing.T) {
	root, _ := openFixture(t, "hello-a")
	testutil.WantField(t, root, "machine", "EM_X86_64")
	testutil.WantField(t, root, "type", "ET_DYN")

	code := openView(t, root, ".text")
	for _, fn := range []string{"parse_args", "compute", "main"} {
		if code.Child(fn) == nil {
			t.Errorf(".text: no function %s in %v", fn, testutil.ChildNames(code))
		}
	}
	if got := text(t, code.Child("compute")); got != "\tlea 0x7(%rdi,%rdi,2),%rax\n\tretq\n" {
		t.Errorf("compute disassembles to %q", got)
	}
	// A call names its target, a jump its place in the function.
	if got := text(t, code.Child("main")); !strings.Contains(got, "call") || !strings.Contains(got, "compute") || !strings.Contains(got, "parse_args") {
		t.Errorf("main:\n%s", got)
	}

	if got := text(t, openView(t, root, ".rodata").Child("strings")); !strings.Contains(got, "built Jan  1 1980 00:00:00\n") || !strings.Contains(got, "verbose\n") {
		t.Errorf(".rodata strings:\n%s", got)
	}
	if got := text(t, openView(t, root, ".comment").Child("strings")); !strings.HasPrefix(got, "GCC: (") {
		t.Errorf(".comment strings:\n%s", got)
	}
	if got := text(t, openView(t, root, ".interp").Child("strings")); got != "/lib64/ld-linux-x86-64.so.2\n" {
		t.Errorf(".interp: %q", got)
	}

	syms := openView(t, root, ".symtab")
	if got := text(t, syms.Child("symbols")); !regexp.MustCompile(`(?m)^compute FUNC GLOBAL DEFAULT \.text size \d+$`).MatchString(got) || !strings.Contains(got, "puts@GLIBC_2.2.5 FUNC GLOBAL DEFAULT UND\n") {
		t.Errorf("symbols:\n%s", got)
	}
	if got := text(t, syms.Child("addresses")); !regexp.MustCompile(`(?m)^compute \.text\+0x[0-9a-f]+$`).MatchString(got) {
		t.Errorf("addresses:\n%s", got)
	}

	dyn := openView(t, root, ".dynamic")
	testutil.WantField(t, dyn, "NEEDED", "libc.so.6")
	for _, f := range dyn.Fields() {
		if f.Name == "STRTAB" && !f.Role.Is(unpack.Placement) {
			t.Errorf("STRTAB is not placement")
		}
	}

	note := openView(t, root, ".note.gnu.build-id")
	for _, f := range note.Fields() {
		if f.Name == "build-id" && (f.Role == nil || f.Role.Cause != "ELF build-id") {
			t.Errorf("build-id role %+v", f.Role)
		}
	}
	testutil.WantField(t, openView(t, root, ".note.ABI-tag"), "ABI tag", "Linux 3.2.0")

	// The layout names the function holding a byte of the file.
	off, _ := strconv.ParseInt(fieldOf(t, root.Child(".text"), "offset"), 10, 64)
	fnOff := code.Child("compute").Offset
	if got := testutil.HeldAt(root, off+fnOff+3); len(got) != 1 || got[0] != "section .text, in compute+0x3" {
		t.Errorf("byte 3 of compute held by %q", got)
	}
	if got := testutil.HeldAt(code, fnOff+3); len(got) != 1 || got[0] != "compute+0x3" {
		t.Errorf("in the .text view, byte 3 of compute held by %q", got)
	}
}

func fieldOf(t testing.TB, n *unpack.Node, name string) string {
	t.Helper()
	v, ok := n.Field(name)
	if !ok {
		t.Fatalf("%s: no field %s", n.Name, name)
	}
	return v
}

// TestArm64: functions of an arm64 file disassemble, branches named.
func TestArm64(t *testing.T) {
	root, _ := openFixture(t, "hello-arm64-a")
	code := openView(t, root, ".text")
	if got := text(t, code.Child("compute")); got != "\tadd x0, x0, x0, lsl #1\n\tadd x0, x0, #0x7\n\tret\n" {
		t.Errorf("compute: %q", got)
	}
	if got := text(t, code.Child("main")); !strings.Contains(got, "bl compute") || !strings.Contains(got, "bl parse_args") {
		t.Errorf("main:\n%s", got)
	}
}

// TestSameFunctionNotDisassembled: functions whose bytes are the same are
// equal without being disassembled; only those that differ are.
func TestSameFunctionNotDisassembled(t *testing.T) {
	a, _ := openFixture(t, "hello-a")
	b, _ := openFixture(t, "hello-func")
	va, vb := openView(t, a, ".text"), openView(t, b, ".text")
	for _, fn := range []string{"parse_args", "compute"} {
		ca, cb := va.Child(fn).Data.(*codeData), vb.Child(fn).Data.(*codeData)
		same, err := ca.SameStored(cb)
		if err != nil {
			t.Fatal(err)
		}
		if same != (fn == "parse_args") {
			t.Errorf("%s: same %v", fn, same)
		}
		if ca.text != nil || cb.text != nil {
			t.Errorf("%s: disassembled to compare", fn)
		}
	}
}

// TestModuleSignature: the signature appended to a module is an entry of
// its own, its bytes explained as the signature's, and the ELF file ends
// where it starts.
func TestModuleSignature(t *testing.T) {
	root, b := openFixture(t, "module-a.ko")
	sig := root.Child(SignatureName)
	if sig == nil {
		t.Fatalf("no signature among %v", testutil.ChildNames(root))
	}
	testutil.WantField(t, sig, "key identifier type", "PKCS#7")
	n, _ := strconv.Atoi(fieldOf(t, sig, "signature length"))
	if sig.Data.Size() != int64(n) || sig.Offset+int64(n)+moduleSigInfo+int64(len(moduleMarker)) != int64(len(b)) {
		t.Errorf("signature of %d bytes at %d in %d", sig.Data.Size(), sig.Offset, len(b))
	}
	// A PKCS#7 signedData in DER.
	if d := testutil.DataBytes(t, sig.Data); d[0] != 0x30 {
		t.Errorf("signature starts %x", d[:4])
	}
	p, ok := sig.Data.(unpack.Patched)
	if !ok || len(p.Patches()) != 1 || p.Patches()[0].Role.Cause != "module signature" {
		t.Errorf("signature bytes not explained")
	}
	// The module's functions are those of a relocatable file.
	code := openView(t, root, ".text")
	if code.Child("isodiff_init") == nil || code.Child("isodiff_exit") == nil {
		t.Errorf(".text: %v", testutil.ChildNames(code))
	}
	if got := text(t, openView(t, root, ".modinfo").Child("strings")); !strings.Contains(got, "license=GPL\n") {
		t.Errorf(".modinfo: %q", got)
	}
}

// TestEveryByteClaimed: in every fixture each byte is claimed by a
// structure, and every Data reads; the views hold for every section.
func TestEveryByteClaimed(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join(fixtureDir, "*"))
	for _, p := range names {
		name := filepath.Base(p)
		if strings.Contains(name, ".txt") || name == "SHA256SUMS" || name == "README.md" || name == "keys" {
			continue
		}
		root, b := openFixture(t, name)
		claims := root.Layout().(*layout.Claims)
		// Alignment padding between sections is what no structure holds:
		// it is compared in [unclaimed bytes], and no more than that is.
		un := claims.Unclaimed(int64(len(b)))
		if len(un) > 0 && root.Child(layout.UnclaimedName) == nil {
			t.Errorf("%s: bytes %v neither claimed nor in %s", name, un, layout.UnclaimedName)
		}
		for _, r := range un {
			if !bytes.Equal(b[r.Start:r.End], make([]byte, r.Len())) {
				t.Errorf("%s: unclaimed bytes %v are not padding", name, r)
			}
		}
		testutil.CheckRecordInvariants(t, root, claims, int64(len(b)))
		testutil.CheckLayerTree(t, root, 0)
		for _, s := range root.Children {
			if d, ok := s.Data.(*sectionData); ok && d.hasView() {
				v := openView(t, root, s.Name)
				if v.Err != nil {
					t.Errorf("%s %s: %v", name, s.Name, v.Err)
				}
				testutil.CheckLayerTree(t, v, 0)
			}
		}
	}
}

// TestHostile: damaged headers are marked entries, never a panic or an
// allocation from a size field.
func TestHostile(t *testing.T) {
	orig := readFixture(t, "hello-a")
	le := func(b []byte, off int, v uint64, n int) {
		for i := range n {
			b[off+i] = byte(v >> (8 * i))
		}
	}
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
		want string
	}{
		{"section count past the file", func(b []byte) []byte { le(b, 60, 0xfff0, 2); return b }, "do not fit in the file"},
		{"section table past the file", func(b []byte) []byte { le(b, 40, 1<<40, 8); return b }, "past the end of the file"},
		{"program headers past the file", func(b []byte) []byte { le(b, 32, uint64(len(b)-8), 8); return b }, "program headers of 56 bytes do not fit"},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, "past the end of the file"},
		{"header only", func(b []byte) []byte { return b[:64] }, ""},
		{"name table index out of range", func(b []byte) []byte { le(b, 62, 0x7fff, 2); return b }, "section name table index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.edit(bytes.Clone(orig))
			root, err := Open(bytes.NewReader(b), int64(len(b)), nil)
			if err != nil {
				t.Fatalf("whole file rejected: %v", err)
			}
			var errs []string
			var walk func(n *unpack.Node)
			walk = func(n *unpack.Node) {
				if n.Err != nil {
					var fe *unpack.FormatError
					if !errors.As(n.Err, &fe) {
						t.Errorf("%s: %v is no FormatError", n.Name, n.Err)
					}
					errs = append(errs, n.Err.Error())
				}
				for _, c := range n.Children {
					walk(c)
				}
			}
			walk(root)
			if tc.want != "" && !strings.Contains(strings.Join(errs, "\n"), tc.want) {
				t.Errorf("errors %q lack %q", errs, tc.want)
			}
			testutil.CheckLayerTree(t, root, 0)
		})
	}
	if _, err := Open(bytes.NewReader(orig[:40]), 40, nil); err == nil {
		t.Error("a cut ELF header opened")
	}
}

// TestFlipAccounting: every single-bit change of a fixture changes
// something a comparison sees of it.
func TestFlipAccounting(t *testing.T) {
	names := []string{"module-a.ko", "hello-a"}
	if testing.Short() || testutil.RaceEnabled {
		// Some ten times slower: the module alone has every kind of
		// structure but program headers.
		names = names[:1]
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c := testutil.RunFlips(t, testutil.FlipSubject{File: name, Open: Open, Data: readFixture(t, name)}, testutil.CurrentFlipPlan())
			t.Logf("%s: %d flips, %d invisible", name, c.Flips, c.Invisible)
		})
	}
}

// readAll reads every Data of a tree, views included, as a comparison of
// two wholly different files would.
func readAll(t testing.TB, n *unpack.Node, depth int) {
	if depth > 64 {
		t.Fatal("too deep")
	}
	if n.Data != nil {
		io.Copy(io.Discard, io.NewSectionReader(n.Data, 0, n.Data.Size()))
		// A section's view; a section holding an ELF file of its own is
		// another layer, which a comparison opens at the next depth.
		if s, ok := n.Data.(*sectionData); ok && s.hasView() {
			readAll(t, s.open(), depth+1)
		}
	}
	for _, c := range n.Children {
		readAll(t, c, depth+1)
	}
}
