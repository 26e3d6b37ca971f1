package pe

import (
	"bytes"
	"debug/pe"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
	"slices"
	"strings"
	"testing"
)

// openCode opens the view of a code section of an opened image.
func openCode(t testing.TB, root *unpack.Node, name string) *unpack.Node {
	t.Helper()
	s := root.Child(name)
	if s == nil {
		t.Fatalf("no section %s: %v", name, testutil.ChildNames(root))
	}
	d, ok := s.Data.(*codeSection)
	if !ok || !Match(nil, d, d.Size()) {
		t.Fatalf("section %s is not read as functions (%T)", name, s.Data)
	}
	v, err := Open(d, d.Size(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func text(t testing.TB, n *unpack.Node) string {
	t.Helper()
	b, err := io.ReadAll(io.NewSectionReader(n.Data, 0, n.Data.Size()))
	if err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
	return string(b)
}

// TestCodeFunctions: .text of a mingw program is its functions, one
// entry for each function symbol debug/pe reads from the COFF symbol
// table, disassembled with calls named by their targets.
func TestCodeFunctions(t *testing.T) {
	b := readFixture(t, "hello-a.exe")
	v := openCode(t, open(t, b), ".text")
	if v.Err != nil {
		t.Fatal(v.Err)
	}
	testutil.CheckLayerTree(t, v, 0)
	f, err := pe.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// debug/pe's symbols, functions of .text (section 1), each address
	// once: aliases of one address are one entry.
	seen := map[uint32]bool{}
	for _, s := range f.COFFSymbols {
		name, err := s.FullName(f.StringTable)
		if err != nil {
			t.Fatal(err)
		}
		if s.SectionNumber != 1 || s.Type != functionType || s.StorageClass != classExternal && s.StorageClass != classStatic || seen[s.Value] {
			continue
		}
		seen[s.Value] = true
		entry := v.Child(name)
		if entry == nil {
			// An alias of an entry of another name.
			for _, c := range v.Children {
				if aliases, _ := c.Field("aliases"); slices.Contains(strings.Split(aliases, ", "), name) {
					entry = c
				}
			}
		}
		if entry == nil || entry.Offset != int64(s.Value) {
			t.Errorf("function %s at 0x%x: entry %v", name, s.Value, entry)
		}
	}
	if len(seen) < 10 {
		t.Fatalf("only %d functions in .text", len(seen))
	}
	if got := text(t, v.Child("answer")); !strings.HasPrefix(got, "\tlea 0x7(%rcx,%rcx,2),%eax\n\tretq\n") {
		t.Errorf("answer:\n%s", got)
	}
	if got := text(t, v.Child("main")); !strings.Contains(got, "\tcallq answer\n") || !strings.Contains(got, "\tcallq __main\n") {
		t.Errorf("main does not call answer and __main by name:\n%s", got)
	}
	// The bytes no function holds, and every byte of a function, are
	// claimed; those of answer by its name.
	claims := v.Layout().(*layout.Claims)
	if un := claims.Unclaimed(v.Child("answer").Offset + 1); len(un) > 0 {
		t.Errorf("unclaimed %v", un)
	}
	if got := claims.Holding(unpack.Range{Start: v.Child("answer").Offset + 2, End: v.Child("answer").Offset + 3}); !slices.Equal(got, []string{"answer+0x2"}) {
		t.Errorf("byte 2 of answer held by %q", got)
	}
}

// TestCodeChange: of two programs differing in one function, only that
// function's bytes differ among the functions of .text, and its
// instructions show the change.
func TestCodeChange(t *testing.T) {
	a := openCode(t, open(t, readFixture(t, "hello-a.exe")), ".text")
	b := openCode(t, open(t, readFixture(t, "hello-code.exe")), ".text")
	if !slices.Equal(testutil.ChildNames(a), testutil.ChildNames(b)) {
		t.Fatalf("functions differ:\n%v\n%v", testutil.ChildNames(a), testutil.ChildNames(b))
	}
	var differ []string
	for i, fa := range a.Children {
		fb := b.Children[i]
		ca, oka := fa.Data.(*codeData)
		cb, okb := fb.Data.(*codeData)
		if !oka || !okb {
			continue
		}
		if same, err := ca.SameStored(cb); err != nil || !same {
			differ = append(differ, fa.Name)
		}
	}
	if !slices.Equal(differ, []string{"answer"}) {
		t.Errorf("functions that differ: %v", differ)
	}
	if got := text(t, b.Child("answer")); !strings.HasPrefix(got, "\tlea 0x7(%rcx,%rcx,4),%eax\n") {
		t.Errorf("answer:\n%s", got)
	}
}

// TestCodeWithoutSymbols: an image without a COFF symbol table keeps its
// code sections as bytes.
func TestCodeWithoutSymbols(t *testing.T) {
	for _, name := range []string{"efi-a.efi", "uki-a.efi"} {
		n := open(t, readFixture(t, name))
		if d, ok := n.Child(".text").Data.(*codeSection); ok && Match(nil, d, d.Size()) {
			t.Errorf("%s: .text read as functions without symbols", name)
		}
	}
}

// TestCodeHostileSymbols: with a symbol table whose count runs past the
// end of the image, code is compared as bytes (the table's entry is
// marked); symbols that point anywhere give functions within their
// section.
func TestCodeHostileSymbols(t *testing.T) {
	orig := readFixture(t, "hello-a.exe")
	h, err := ReadHeaders(bytes.NewReader(orig), int64(len(orig)))
	if err != nil {
		t.Fatal(err)
	}
	b := bytes.Clone(orig)
	putU32(b[h.LfaNew+4+12:], 1<<30)
	n := open(t, b)
	if d := n.Child(".text").Data.(*codeSection); Match(nil, d, d.Size()) {
		t.Error(".text read as functions with a broken symbol table")
	}
	if n.Child("COFF symbol table").Err == nil {
		t.Error("a symbol table past the end is not marked")
	}
	// Every symbol a function of .text, anywhere in it (auxiliary records
	// included, read as symbols where the count says so).
	b = bytes.Clone(orig)
	start, size := int(h.File.PointerToSymbolTable), h.Sections[0].VirtualSize
	for i := 0; i < int(h.File.NumberOfSymbols); i++ {
		e := b[start+i*symbolSize:]
		putU32(e[8:], uint32(i*7919)%size)
		e[12], e[13], e[14], e[15], e[16], e[17] = 1, 0, functionType, 0, classStatic, 0
	}
	n = open(t, b)
	v := openCode(t, n, ".text")
	testutil.CheckLayerTree(t, v, 0)
	for _, c := range v.Children {
		if d, ok := c.Data.(*codeData); ok {
			_, off, n := d.raw.Outer()
			if off != c.Offset || off < 0 || off+n > int64(size) {
				t.Errorf("%s: bytes [%d, %d) outside .text", c.Name, off, off+n)
			}
		}
		if c.Data != nil {
			text(t, c)
		}
	}
	if len(v.Children) < 100 {
		t.Errorf("%d functions", len(v.Children))
	}
}
