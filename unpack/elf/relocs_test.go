package elf

import (
	"bytes"
	"debug/elf"
	"io"
	"slices"
	"strings"
	"testing"
)

// functionText is the disassembly of a function of .text.
func functionText(t *testing.T, file, function string) string {
	t.Helper()
	root, _ := openFixture(t, file)
	n := openView(t, root, ".text").Child(function)
	if n == nil {
		t.Fatalf("%s: no function %s", file, function)
	}
	b, err := io.ReadAll(io.NewSectionReader(n.Data, 0, n.Data.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPLTNames: a call through the PLT is named after the symbol whose
// GOT slot the PLT entry jumps through, as objdump names it, on x86-64
// and arm64; every slot debug/elf reads from .rela.plt has its entry, and
// every name is a dynamic symbol's.
func TestPLTNames(t *testing.T) {
	for _, tc := range []struct{ file, call string }{
		{"hello-a", "\tcallq %s@plt\n"},
		{"hello-arm64-a", "\tbl %s@plt\n"},
	} {
		text := functionText(t, tc.file, "main")
		for _, callee := range []string{"printf", "puts"} {
			if want := strings.Replace(tc.call, "%s", callee, 1); !strings.Contains(text, want) {
				t.Errorf("%s: main lacks %q:\n%s", tc.file, want, text)
			}
		}
		if strings.Contains(text, ".plt+") {
			t.Errorf("%s: a PLT entry unnamed:\n%s", tc.file, text)
		}

		b := readFixture(t, tc.file)
		ef, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		dyn, err := ef.DynamicSymbols()
		if err != nil {
			t.Fatal(err)
		}
		rela, err := ef.Section(".rela.plt").Data()
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for e := rela; len(e) >= 24; e = e[24:] {
			want = append(want, dyn[ef.ByteOrder.Uint64(e[8:])>>32-1].Name+"@plt")
		}
		f := fileOf(t, b)
		var got []string
		for _, name := range f.pltNames() {
			got = append(got, name)
		}
		// .plt.got's entries (a GOT slot filled by GLOB_DAT, as
		// __cxa_finalize's) are named too.
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: PLT entries named %v, none %s", tc.file, got, w)
			}
		}
		if len(want) == 0 {
			t.Errorf("%s: no .rela.plt entries", tc.file)
		}
		for _, g := range got {
			if !slices.ContainsFunc(dyn, func(s elf.Symbol) bool { return s.Name+"@plt" == g }) {
				t.Errorf("%s: %s names no dynamic symbol", tc.file, g)
			}
		}
	}
}

// fileOf opens the ELF file of a fixture's bytes.
func fileOf(t *testing.T, b []byte) *file {
	t.Helper()
	root, err := openFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range root.Children {
		if d, ok := c.Data.(*sectionData); ok {
			return d.f
		}
	}
	t.Fatal("no section")
	return nil
}

// TestModuleRelocations: in a kernel module (an object file), whose
// address fields are zero until it is loaded, a call, a %rip-relative
// store and an absolute address are named by their relocations: the
// called function, the variable, the section of the string.
func TestModuleRelocations(t *testing.T) {
	text := functionText(t, "module-a.ko", "isodiff_init")
	for _, want := range []string{"\tcallq printk\n", "\tmovl $0x2a,isodiff_counter\n", "\tmov $.rodata.str1.1,%edi\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("isodiff_init lacks %q:\n%s", want, text)
		}
	}
	// isodiff_exit's store is at another place of the same variable.
	if text := functionText(t, "module-a.ko", "isodiff_exit"); !strings.Contains(text, "isodiff_counter") {
		t.Errorf("isodiff_exit:\n%s", text)
	}
}
