package elf

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"isodiff/unpack"
	"sort"
	"sync"

	"isodiff/unpack/internal/disasm"
)

// disassembles reports whether functions of a machine are shown as
// instructions.
func disassembles(m elf.Machine) bool { return archOf(m) != disasm.None }

// codeData is a function's instructions as text, a line each, made only
// when read: two functions whose bytes are the same are equal without it
// (SameStored), so only the functions that differ are disassembled.
//
// Operands that are addresses are named by what lies there ("parse_args",
// "options+0x10", ".rodata+0x4"), not by their number, and a line has no
// address of its own: a function that moved, or that calls one that
// moved, reads the same, and the diff shows the instructions that
// changed. The bytes that differ only in such addresses show in the
// section's hex when nothing else in it differs.
type codeData struct {
	f   *file
	sec *section
	sym symbol
	raw *io.SectionReader

	once sync.Once
	text *bytes.Reader
	err  error
}

func (c *codeData) SameStored(other unpack.Data) (bool, error) {
	o, ok := other.(*codeData)
	if !ok || o.raw.Size() != c.raw.Size() {
		return false, nil
	}
	return unpack.EqualAt(c.raw, 0, o.raw, 0, c.raw.Size())
}

func (c *codeData) Size() int64 {
	c.render()
	return c.text.Size()
}

func (c *codeData) ReadAt(p []byte, off int64) (int, error) {
	c.render()
	if c.err != nil {
		return 0, c.err
	}
	return c.text.ReadAt(p, off)
}

func (c *codeData) render() {
	c.once.Do(func() {
		code := make([]byte, c.raw.Size())
		if n, err := c.raw.ReadAt(code, 0); n < len(code) {
			c.err = &unpack.FormatError{Layer: layerName, Offset: int64(c.sec.off) + int64(c.f.offsetIn(c.sym)) + int64(n), Msg: "function " + c.sym.name + " cut short", Err: err}
			c.text = bytes.NewReader(nil)
			return
		}
		c.text = bytes.NewReader([]byte(disassemble(c.f, c.sec, c.sym.value, code)))
	})
}

// disassemble renders code, which starts at address pc, a line an
// instruction (see disasm.Text).
func disassemble(f *file, sec *section, pc uint64, code []byte) string {
	return disasm.Text(archOf(f.machine), pc, code, newNamer(f, sec).lookup, f.relocsOf(sec, pc), f.bo)
}

// archOf is the instruction set of a machine, disasm.None for one that is
// not disassembled.
func archOf(m elf.Machine) disasm.Arch {
	switch m {
	case elf.EM_X86_64:
		return disasm.X86_64
	case elf.EM_386:
		return disasm.X86
	case elf.EM_AARCH64:
		return disasm.ARM64
	}
	return disasm.None
}

// namer names addresses by the symbol or section holding them.
type namer struct {
	f   *file
	sec *section
	// syms are the symbols an address may fall in, sorted by address:
	// those of every section of a linked file, those of the section
	// itself in an object file, whose addresses are offsets in their
	// own sections.
	syms []symbol
}

func newNamer(f *file, sec *section) *namer {
	st := f.symbolsOf()
	n := &namer{f: f, sec: sec}
	if f.typ == elf.ET_REL {
		n.syms = st.bySec[sec.index]
		return n
	}
	n.syms = st.sortedByValue()
	return n
}

// lookup is x86asm's SymLookup: the name for an address, and the address
// the name stands for (the address itself, so that the name is printed
// with no offset after it).
func (n *namer) lookup(addr uint64) (string, uint64) {
	i := sort.Search(len(n.syms), func(i int) bool { return n.syms[i].value > addr })
	for j := i - 1; j >= 0 && i-j <= 64; j-- {
		if s := n.syms[j]; addr-s.value < s.size {
			return symbolOffset(s.name, addr-s.value), addr
		}
	}
	if n.f.typ == elf.ET_REL {
		if addr < n.sec.size {
			return fmt.Sprintf("%s+%#x", escapeLine([]byte(n.sec.name)), addr), addr
		}
		return "", 0
	}
	if name, ok := n.f.pltNames()[addr]; ok {
		return name, addr
	}
	for _, s := range n.f.sections {
		if s.flags&uint64(elf.SHF_ALLOC) != 0 && s.addr != 0 && addr >= s.addr && addr-s.addr < s.size {
			return fmt.Sprintf("%s+%#x", escapeLine([]byte(s.name)), addr-s.addr), addr
		}
	}
	return "", 0
}
