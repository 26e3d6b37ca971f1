package elf

import (
	"debug/elf"
	"fmt"
	"sort"

	"isodiff/unpack/internal/disasm"
	"isodiff/unpack/internal/show"
)

// Calls through the PLT and the address fields of an object file's code
// are named as objdump names them: "puts@plt" from the relocation that
// fills the GOT slot a PLT entry jumps through, and "printk" from the
// relocation of a call in a kernel module.

// reloc is one relocation of a section: where, of what symbol, its type
// and addend.
type reloc struct {
	off    uint64
	sym    uint32
	typ    uint32
	addend int64
}

// maxRelocs bounds the relocations of one table read for names; a larger
// table is not read (the instructions then read unnamed).
const maxRelocs = 1 << 20

// readRelocs decodes a SHT_RELA or SHT_REL table.
func (f *file) readRelocs(s *section) []reloc {
	esz := uint64(8)
	switch {
	case f.is64 && s.typ == elf.SHT_RELA:
		esz = 24
	case f.is64:
		esz = 16
	case s.typ == elf.SHT_RELA:
		esz = 12
	}
	if uint64(s.fileSize)/esz > maxRelocs {
		return nil
	}
	b, err := readSection(f, s, int64(maxRelocs*esz))
	if err != nil {
		return nil
	}
	out := make([]reloc, 0, uint64(len(b))/esz)
	for e := b; uint64(len(e)) >= esz; e = e[esz:] {
		var r reloc
		if f.is64 {
			info := f.bo.Uint64(e[8:])
			r.off, r.sym, r.typ = f.bo.Uint64(e), uint32(info>>32), uint32(info)
			if s.typ == elf.SHT_RELA {
				r.addend = int64(f.bo.Uint64(e[16:]))
			}
		} else {
			info := f.bo.Uint32(e[4:])
			r.off, r.sym, r.typ = uint64(f.bo.Uint32(e)), info>>8, info&0xff
			if s.typ == elf.SHT_RELA {
				r.addend = int64(int32(f.bo.Uint32(e[8:])))
			}
		}
		out = append(out, r)
	}
	return out
}

// relocTables are the relocation tables of the file.
func (f *file) relocTables() []*section {
	var out []*section
	for _, s := range f.sections {
		if s.typ == elf.SHT_RELA || s.typ == elf.SHT_REL {
			out = append(out, s)
		}
	}
	return out
}

// symbolName names entry i of the symbol table in section link: its name,
// or that of its section for a section symbol.
func (f *file) symbolName(syms []symbol, i uint32) string {
	if i == 0 || int(i) > len(syms) {
		return ""
	}
	sym := syms[i-1]
	if sym.typ == elf.STT_SECTION && int(sym.shndx) < len(f.sections) {
		return f.sections[sym.shndx].name
	}
	return sym.name
}

// relocsOf names the relocated operands of code at offset codeOff of
// section sec of an object file; nil for a linked file, whose code holds
// its addresses.
func (f *file) relocsOf(sec *section, codeOff uint64) disasm.Relocs {
	if f.typ != elf.ET_REL {
		return nil
	}
	f.relocMu.Lock()
	if f.relocs == nil {
		f.relocs = map[int][]reloc{}
		for _, t := range f.relocTables() {
			if int(t.info) < len(f.sections) {
				f.relocs[int(t.info)] = append(f.relocs[int(t.info)], f.readRelocs(t)...)
			}
		}
		for k, list := range f.relocs {
			sort.SliceStable(list, func(i, j int) bool { return list[i].off < list[j].off })
			f.relocs[k] = list
		}
	}
	list := f.relocs[sec.index]
	f.relocMu.Unlock()
	if len(list) == 0 {
		return nil
	}
	st := f.symbolsOf()
	return func(start, end int) (string, bool) {
		lo, hi := codeOff+uint64(start), codeOff+uint64(end)
		i := sort.Search(len(list), func(i int) bool { return list[i].off >= lo })
		if i == len(list) || list[i].off >= hi {
			return "", false
		}
		r := list[i]
		name := f.symbolName(st.all, r.sym)
		if name == "" {
			return "", false
		}
		// A pc-relative field is relative to its own place, and the
		// instruction's target to its end: the addend counts the bytes
		// between them.
		add := r.addend
		if f.pcRelative(r.typ) && f.machine == elf.EM_X86_64 {
			add += int64(hi - r.off)
		}
		return offsetName(name, add), true
	}
}

// pcRelative reports whether a relocation type fills a field relative to
// its own place.
func (f *file) pcRelative(typ uint32) bool {
	switch f.machine {
	case elf.EM_X86_64:
		switch elf.R_X86_64(typ) {
		case elf.R_X86_64_PC32, elf.R_X86_64_PLT32, elf.R_X86_64_GOTPCREL, elf.R_X86_64_GOTPCRELX, elf.R_X86_64_REX_GOTPCRELX, elf.R_X86_64_PC64:
			return true
		}
	}
	return false
}

// offsetName spells a name and an offset from it.
func offsetName(name string, off int64) string {
	name = show.Quote(name)
	switch {
	case off > 0:
		return fmt.Sprintf("%s+%#x", name, off)
	case off < 0:
		return fmt.Sprintf("%s-%#x", name, -off)
	}
	return name
}

// pltNames names the entries of the PLT sections by the symbol whose GOT
// slot each jumps through, found by decoding the entry's indirect jump:
// the layout of lazy (.plt), IBT (.plt.sec) and eager (.plt.got) entries
// alike, on x86-64 and arm64.
func (f *file) pltNames() map[uint64]string {
	f.pltOnce.Do(func() {
		if f.typ == elf.ET_REL || f.machine != elf.EM_X86_64 && f.machine != elf.EM_AARCH64 {
			return
		}
		slots := map[uint64]string{}
		for _, t := range f.relocTables() {
			if int(t.link) >= len(f.sections) || t.link == 0 || f.sections[t.link].typ != elf.SHT_DYNSYM {
				continue
			}
			syms, err := f.readSymbols(f.sections[t.link])
			if err != nil {
				continue
			}
			for _, r := range f.readRelocs(t) {
				slot := false
				switch f.machine {
				case elf.EM_X86_64:
					slot = elf.R_X86_64(r.typ) == elf.R_X86_64_JMP_SLOT || elf.R_X86_64(r.typ) == elf.R_X86_64_GLOB_DAT
				case elf.EM_AARCH64:
					slot = elf.R_AARCH64(r.typ) == elf.R_AARCH64_JUMP_SLOT || elf.R_AARCH64(r.typ) == elf.R_AARCH64_GLOB_DAT
				}
				if name := f.symbolName(syms, r.sym); slot && name != "" {
					slots[r.off] = name
				}
			}
		}
		if len(slots) == 0 {
			return
		}
		f.plt = map[uint64]string{}
		for _, s := range f.sections {
			if s.name != ".plt" && s.name != ".plt.sec" && s.name != ".plt.got" || s.fileSize > maxView {
				continue
			}
			b, err := readSection(f, s, maxView)
			if err != nil {
				continue
			}
			for at, slot := range f.pltJumps(s, b) {
				if name, ok := slots[slot]; ok {
					f.plt[at] = name + "@plt"
				}
			}
		}
	})
	return f.plt
}

// pltJumps yields, for each PLT entry of section s (bytes b), where the
// entry starts and the GOT slot it jumps through.
func (f *file) pltJumps(s *section, b []byte) map[uint64]uint64 {
	out := map[uint64]uint64{}
	switch f.machine {
	case elf.EM_X86_64:
		step := s.entsize
		if step != 8 && step != 16 {
			step = 16
		}
		// jmp *disp32(%rip), at the entry's start or after endbr64 and
		// a bnd prefix.
		for e := uint64(0); e+step <= uint64(len(b)); e += step {
			for _, p := range []uint64{0, 1, 4, 5} {
				if p+6 <= step && b[e+p] == 0xff && b[e+p+1] == 0x25 {
					disp := int64(int32(f.bo.Uint32(b[e+p+2:])))
					out[s.addr+e] = uint64(int64(s.addr+e+p+6) + disp)
					break
				}
			}
		}
	case elf.EM_AARCH64:
		// adrp x16, page; ldr x17, [x16, #off]
		for e := uint64(0); e+8 <= uint64(len(b)); e += 4 {
			w0, w1 := f.bo.Uint32(b[e:]), f.bo.Uint32(b[e+4:])
			if w0&0x9f00001f != 0x90000010 || w1&0xffc003ff != 0xf9400211 {
				continue
			}
			imm := int64(w0>>29&3 | w0>>5&0x7ffff<<2)
			imm = imm << 43 >> 43 // sign-extend 21 bits
			pc := s.addr + e
			page := uint64(int64(pc&^0xfff) + imm<<12)
			out[pc] = page + uint64(w1>>10&0xfff)*8
		}
	}
	return out
}
