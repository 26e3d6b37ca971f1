package elf

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"isodiff/unpack"
	"sort"
	"strings"
	"sync"

	"golang.org/x/arch/arm64/arm64asm"
	"golang.org/x/arch/x86/x86asm"
)

// disassembles reports whether functions of a machine are shown as
// instructions.
func disassembles(m elf.Machine) bool {
	return m == elf.EM_X86_64 || m == elf.EM_386 || m == elf.EM_AARCH64
}

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
// instruction; bytes that decode to no instruction are a .byte line each.
func disassemble(f *file, sec *section, pc uint64, code []byte) string {
	var b strings.Builder
	name := newNamer(f, sec)
	for i := 0; i < len(code); {
		var text string
		n := 0
		switch f.machine {
		case elf.EM_X86_64, elf.EM_386:
			mode := 64
			if f.machine == elf.EM_386 {
				mode = 32
			}
			if inst, err := x86asm.Decode(code[i:], mode); err == nil {
				text, n = x86asm.GNUSyntax(inst, pc+uint64(i), name.lookup), inst.Len
			}
		case elf.EM_AARCH64:
			if len(code)-i >= 4 {
				n = 4
				if inst, err := decodeArm64(code[i:]); err == nil {
					text = arm64Syntax(inst, pc+uint64(i), name)
				} else {
					text = fmt.Sprintf(".inst %#08x", f.bo.Uint32(code[i:]))
				}
			}
		}
		if n == 0 {
			text, n = fmt.Sprintf(".byte %#02x", code[i]), 1
		}
		b.WriteString("\t")
		b.WriteString(text)
		b.WriteString("\n")
		i += n
	}
	return b.String()
}

// arm64Decode serialises arm64asm.Decode, which records the formats it
// matched in a package variable (decoderCover) with no lock: functions of
// a file are disassembled in parallel.
var arm64Decode sync.Mutex

func decodeArm64(code []byte) (arm64asm.Inst, error) {
	arm64Decode.Lock()
	defer arm64Decode.Unlock()
	return arm64asm.Decode(code)
}

// arm64Syntax is GNU syntax with pc-relative operands named by what lies
// at their target.
func arm64Syntax(inst arm64asm.Inst, pc uint64, name *namer) string {
	s := arm64asm.GNUSyntax(inst)
	for _, a := range inst.Args {
		rel, ok := a.(arm64asm.PCRel)
		if !ok {
			continue
		}
		target := pc + uint64(rel)
		if inst.Op == arm64asm.ADRP {
			target = pc&^0xfff + uint64(rel)
		}
		if label, _ := name.lookup(target); label != "" {
			s = strings.Replace(s, strings.ToLower(rel.String()), label, 1)
		}
	}
	return s
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
	for _, s := range n.f.sections {
		if s.flags&uint64(elf.SHF_ALLOC) != 0 && s.addr != 0 && addr >= s.addr && addr-s.addr < s.size {
			return fmt.Sprintf("%s+%#x", escapeLine([]byte(s.name)), addr-s.addr), addr
		}
	}
	return "", 0
}
