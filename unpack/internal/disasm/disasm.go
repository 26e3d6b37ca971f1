// Package disasm renders machine code as text, an instruction a line, in
// GNU syntax, with the addresses an instruction refers to named by the
// caller: what the ELF and PE readers show of a function whose bytes
// differ.
package disasm

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"

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

// Relocs names what a relocation applied to code[start:end], the bytes of
// one instruction, makes the instruction refer to ("printk",
// "counter+0x4"), given where the instruction ends; ok is false when no
// relocation applies there. It is how the instructions of an object file
// (a kernel module), whose address fields are still zero, read.
type Relocs func(start, end int) (name string, ok bool)

// relBase shifts the addresses of code with relocations away from zero,
// where x86asm prints a relative target as ".+0x0" without asking for a
// name.
const relBase = 1 << 62

// Text renders code, which starts at address pc, a line an instruction,
// each line a tab and the instruction; bytes that decode to no
// instruction are a .byte (x86) or .inst (arm64) line each. Lines carry
// no addresses: a function that moved, or that calls one that moved,
// reads the same, so that a diff shows the instructions that changed.
// relocs, when not nil, names the targets of the instructions it covers.
// bo is the byte order of arm64 instruction words.
func Text(arch Arch, pc uint64, code []byte, lookup Lookup, relocs Relocs, bo binary.ByteOrder) string {
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
				text, n = x86Syntax(inst, pc+uint64(i), i, lookup, relocs), inst.Len
			}
		case ARM64:
			if len(code)-i >= 4 {
				n = 4
				if inst, err := decodeArm64(code[i:]); err == nil {
					look := lookup
					if relocs != nil {
						if name, ok := relocs(i, i+4); ok {
							look = func(uint64) (string, uint64) { return name, 0 }
						}
					}
					text = arm64Syntax(inst, pc+uint64(i), look)
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

// x86Syntax is GNU syntax; an instruction at offset off of code with
// relocations has its pc-relative operand (a call's target, a
// %rip-relative address) named by the relocation at that operand.
func x86Syntax(inst x86asm.Inst, pc uint64, off int, lookup Lookup, relocs Relocs) string {
	if relocs == nil {
		return x86asm.GNUSyntax(inst, pc, x86asm.SymLookup(lookup))
	}
	pc += relBase
	shifted := func(addr uint64) (string, uint64) {
		name, base := lookup(addr - relBase)
		return name, base + relBase
	}
	// The relocation at the pc-relative field, else any in the
	// instruction (an absolute address as an immediate).
	start := off
	if inst.PCRel != 0 {
		start = off + inst.PCRelOff
	}
	name, ok := relocs(start, off+inst.Len)
	if !ok {
		return x86asm.GNUSyntax(inst, pc, shifted)
	}
	// The address the formatter asks a name for is the operand's target
	// as stored; a %rip-relative operand of displacement 0 is given one
	// so that it asks at all. An immediate is named only as the operand
	// of a 32-bit mov or push, as x86asm names one.
	var target uint64
	for k, a := range inst.Args {
		switch a := a.(type) {
		case x86asm.Rel:
			target = pc + uint64(inst.Len) + uint64(int64(a))
		case x86asm.Mem:
			if a.Base == x86asm.RIP && inst.PCRel != 0 {
				if a.Disp == 0 {
					a.Disp = 1
					inst.Args[k] = a
				}
				target = pc + uint64(inst.Len) + uint64(a.Disp)
			}
		case x86asm.Imm:
			if inst.PCRel == 0 {
				target = uint64(a)
			}
		}
	}
	return x86asm.GNUSyntax(inst, pc, func(addr uint64) (string, uint64) {
		if addr == target {
			return name, addr
		}
		return shifted(addr)
	})
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

// arm64Decode serialises arm64asm.Decode, which records the formats it
// matched in a package variable (decoderCover) with no lock: functions of
// a file are disassembled in parallel.
var arm64Decode sync.Mutex

func decodeArm64(code []byte) (arm64asm.Inst, error) {
	arm64Decode.Lock()
	defer arm64Decode.Unlock()
	return arm64asm.Decode(code)
}
