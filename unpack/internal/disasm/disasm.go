// Package disasm renders machine code as text, an instruction a line, in
// GNU syntax, with the addresses an instruction refers to named by the
// caller: what the ELF and PE readers show of a function whose bytes
// differ.
package disasm

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/arch/arm64/arm64asm"
	"golang.org/x/arch/x86/x86asm"
)

// Arch is an instruction set this package decodes.
type Arch uint8

const (
	None Arch = iota
	X86_64
	X86
	ARM64
)

// Lookup names an address: the name, and the address the name stands
// for (x86asm's SymLookup), or "" when nothing is known there.
type Lookup func(addr uint64) (string, uint64)

// Text renders code, which starts at address pc, a line an instruction,
// each line a tab and the instruction; bytes that decode to no
// instruction are a .byte (x86) or .inst (arm64) line each. Lines carry
// no addresses: a function that moved, or that calls one that moved,
// reads the same, so that a diff shows the instructions that changed.
// bo is the byte order of arm64 instruction words.
func Text(arch Arch, pc uint64, code []byte, lookup Lookup, bo binary.ByteOrder) string {
	var b strings.Builder
	for i := 0; i < len(code); {
		var text string
		n := 0
		switch arch {
		case X86_64, X86:
			mode := 64
			if arch == X86 {
				mode = 32
			}
			if inst, err := x86asm.Decode(code[i:], mode); err == nil {
				text, n = x86asm.GNUSyntax(inst, pc+uint64(i), x86asm.SymLookup(lookup)), inst.Len
			}
		case ARM64:
			if len(code)-i >= 4 {
				n = 4
				if inst, err := arm64asm.Decode(code[i:]); err == nil {
					text = arm64Syntax(inst, pc+uint64(i), lookup)
				} else {
					text = fmt.Sprintf(".inst %#08x", bo.Uint32(code[i:]))
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

// arm64Syntax is GNU syntax with pc-relative operands named by what lies
// at their target.
func arm64Syntax(inst arm64asm.Inst, pc uint64, lookup Lookup) string {
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
		if label, _ := lookup(target); label != "" {
			s = strings.Replace(s, strings.ToLower(rel.String()), label, 1)
		}
	}
	return s
}
