package elf

import (
	"cmp"
	"debug/elf"
	"fmt"
	"isodiff/unpack/internal/show"
	"slices"
	"sort"
	"sync"
)

// symbol is one entry of a symbol table, decoded.
type symbol struct {
	name        string
	value, size uint64
	typ         elf.SymType
	bind        elf.SymBind
	vis         elf.SymVis
	shndx       uint16
}

// symbols are the symbols that name the bytes of sections: functions and
// objects with a size, by section, sorted by value.
type symbols struct {
	table *section // the table read: .symtab, else .dynsym
	all   []symbol // every entry but the first, in table order
	bySec map[int][]symbol
	err   error

	// byValue is every section's symbols sorted by value, made once when
	// a linked file's first function is disassembled.
	byValueOnce sync.Once
	byValue     []symbol
}

// sortedByValue returns the symbols of every section sorted by value.
func (st *symbols) sortedByValue() []symbol {
	st.byValueOnce.Do(func() {
		secs := make([]int, 0, len(st.bySec))
		for sec := range st.bySec {
			secs = append(secs, sec)
		}
		slices.Sort(secs) // a stable sort of a map's lists needs one order
		for _, sec := range secs {
			st.byValue = append(st.byValue, st.bySec[sec]...)
		}
		slices.SortStableFunc(st.byValue, func(a, b symbol) int { return cmp.Compare(a.value, b.value) })
	})
	return st.byValue
}

// symbolsOf reads the file's symbol table once: the full table when the
// file has one, else the dynamic one, which names the exported symbols.
func (f *file) symbolsOf() *symbols {
	f.symOnce.Do(func() {
		st := &symbols{bySec: map[int][]symbol{}}
		f.syms = st
		for _, want := range []elf.SectionType{elf.SHT_SYMTAB, elf.SHT_DYNSYM} {
			for _, s := range f.sections {
				if s.typ == want && st.table == nil {
					st.table = s
				}
			}
		}
		if st.table == nil {
			return
		}
		st.all, st.err = f.readSymbols(st.table)
		for _, sym := range st.all {
			if sym.size == 0 || sym.shndx == 0 || int(sym.shndx) >= len(f.sections) {
				continue
			}
			if sym.typ != elf.STT_FUNC && sym.typ != elf.STT_OBJECT && sym.typ != elf.STT_TLS && sym.typ != elf.STT_GNU_IFUNC {
				continue
			}
			// A symbol outside its section names nothing there.
			sec := f.sections[sym.shndx]
			if f.typ != elf.ET_REL && sym.value < sec.addr {
				continue
			}
			if off := f.offsetIn(sym); off > sec.size || sym.size > sec.size-off {
				continue
			}
			st.bySec[int(sym.shndx)] = append(st.bySec[int(sym.shndx)], sym)
		}
		for k, list := range st.bySec {
			slices.SortStableFunc(list, func(a, b symbol) int {
				return cmp.Or(cmp.Compare(a.value, b.value), cmp.Compare(b.size, a.size), cmp.Compare(a.name, b.name))
			})
			st.bySec[k] = list
		}
	})
	return f.syms
}

// symbolSize is the size of one entry of a symbol table.
func (f *file) symbolSize() uint64 {
	if f.is64 {
		return elf.Sym64Size
	}
	return elf.Sym32Size
}

// readSymbols decodes a symbol table, its names from the string table its
// header links to. The count follows from the section's bytes, which lie
// in the file.
func (f *file) readSymbols(s *section) ([]symbol, error) {
	b, err := readSection(f, s, maxStringTable)
	if err != nil {
		return nil, err
	}
	var names []byte
	if int(s.link) < len(f.sections) && s.link != 0 {
		if names, err = readSection(f, f.sections[s.link], maxStringTable); err != nil {
			return nil, err
		}
	}
	esz := f.symbolSize()
	n := uint64(len(b)) / esz
	out := make([]symbol, 0, n)
	bo := f.bo
	for i := uint64(1); i < n; i++ {
		e := b[i*esz:]
		var sym symbol
		var nameOff uint32
		var info, other byte
		if f.is64 {
			nameOff, info, other, sym.shndx = bo.Uint32(e), e[4], e[5], bo.Uint16(e[6:])
			sym.value, sym.size = bo.Uint64(e[8:]), bo.Uint64(e[16:])
		} else {
			nameOff, sym.value, sym.size = bo.Uint32(e), uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:]))
			info, other, sym.shndx = e[12], e[13], bo.Uint16(e[14:])
		}
		sym.typ, sym.bind, sym.vis = elf.ST_TYPE(info), elf.ST_BIND(info), elf.ST_VISIBILITY(other)
		if name, ok := cString(names, nameOff); ok {
			sym.name = name
		} else if nameOff != 0 {
			sym.name = fmt.Sprintf("[name at %d]", nameOff)
		}
		out = append(out, sym)
	}
	return out, nil
}

// offsetIn is where a symbol's value lies in its section's bytes: the
// value itself in an object file, the value less the section's address
// in a linked one.
func (f *file) offsetIn(sym symbol) uint64 {
	if f.typ == elf.ET_REL || int(sym.shndx) >= len(f.sections) {
		return sym.value
	}
	return sym.value - f.sections[sym.shndx].addr
}

// holding names the symbol holding byte off of section sec, as
// "name+0x2c", or "" when none does.
func (f *file) holding(sec int, off uint64) string {
	list := f.symbolsOf().bySec[sec]
	// The last symbol starting at or before off that covers it; symbols
	// nest rarely, and the innermost starts last.
	i := sort.Search(len(list), func(i int) bool { return f.offsetIn(list[i]) > off })
	for j := i - 1; j >= 0 && i-j <= 64; j-- {
		sym := list[j]
		if start := f.offsetIn(sym); off-start < sym.size {
			return symbolOffset(sym.name, off-start)
		}
	}
	return ""
}

// symbolOffset spells a place in a symbol as objdump does.
func symbolOffset(name string, off uint64) string {
	name = show.Quote(name)
	if off == 0 {
		return name
	}
	return fmt.Sprintf("%s+%#x", name, off)
}
