package pe

import (
	"bytes"
	"cmp"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/disasm"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
)

// A code section of an image with a COFF symbol table (mingw-w64 links
// one unless told to strip it) is read, when its bytes differ, as the
// functions its symbols name, each disassembled only when its own bytes
// differ, as objdump -d shows them. COFF symbols have no size: a function
// runs to the next symbol of its section, as objdump takes it.

const (
	// maxSymbols bounds the COFF symbols read; the table must lie in the
	// file as well.
	maxSymbols = 1 << 22
	// maxFunction bounds the bytes of one function disassembled; a larger
	// one is compared as bytes.
	maxFunction = 1 << 20
	// functionType is a COFF symbol's Type for a function (DT_FCN << 4).
	functionType  = 0x20
	classExternal = 2
	classStatic   = 3
	classLabel    = 6
	// gapName is the entry of a code section's bytes no function holds.
	gapName = "[not in a symbol]"
)

// coffSymbol is one symbol of the COFF symbol table, auxiliary records
// skipped.
type coffSymbol struct {
	name    string
	value   uint32 // offset in its section
	section int    // index in the section table, -1 for none
	typ     uint16
	class   uint8
	aux     uint8
}

// function is a symbol of a code section with the bytes up to the next
// symbol of that section.
type function struct {
	name    string
	aliases []string
	off     uint32 // in the section
	size    uint32
	class   uint8
}

// codeFile is what the code sections of one opened image share: its
// symbols, read once, when the first code section that differs is read.
type codeFile struct {
	r    io.ReaderAt
	size int64
	h    *Header
	arch disasm.Arch

	once  sync.Once
	funcs map[int][]function // by section index, sorted by offset
	names []name             // every named address, sorted
	err   error
}

// name is an address a symbol names, up to the next symbol of its
// section.
type name struct {
	name       string
	addr, size uint64
}

func archOf(machine uint16) disasm.Arch {
	switch machine {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		return disasm.X86_64
	case pe.IMAGE_FILE_MACHINE_I386:
		return disasm.X86
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return disasm.ARM64
	}
	return disasm.None
}

// imageBase is the address the image is linked at.
func (h *Header) imageBase() uint64 {
	switch o := h.Optional.(type) {
	case *pe.OptionalHeader64:
		return o.ImageBase
	case *pe.OptionalHeader32:
		return uint64(o.ImageBase)
	}
	return 0
}

// isCode reports whether section i holds instructions.
func (h *Header) isCode(i int) bool {
	return h.Sections[i].Characteristics&(pe.IMAGE_SCN_CNT_CODE|pe.IMAGE_SCN_MEM_EXECUTE) != 0
}

// newCodeFile returns what the code sections of the image share, or nil
// when none is read as functions: no symbol table, or a machine not
// disassembled.
func newCodeFile(r io.ReaderAt, size int64, h *Header) *codeFile {
	arch := archOf(h.File.Machine)
	if arch == disasm.None || h.File.PointerToSymbolTable == 0 || h.File.NumberOfSymbols == 0 {
		return nil
	}
	return &codeFile{r: r, size: size, h: h, arch: arch}
}

// readSymbols reads the symbol table: the records must lie in the file,
// so their count is bounded by its size.
func (c *codeFile) readSymbols() ([]coffSymbol, error) {
	h := c.h
	start, n := int64(h.File.PointerToSymbolTable), int64(h.File.NumberOfSymbols)
	if n > maxSymbols || start+n*symbolSize > c.size {
		return nil, unpack.Errorf(layerName, start, "symbol table of %d symbols beyond the end of the image (%d bytes)", n, c.size)
	}
	b := make([]byte, n*symbolSize)
	if err := bin.ReadFull(c.r, b, start, layerName, "COFF symbol table"); err != nil {
		return nil, err
	}
	var out []coffSymbol
	for i := int64(0); i < n; i++ {
		e := b[i*symbolSize : (i+1)*symbolSize]
		s := coffSymbol{
			value:   binary.LittleEndian.Uint32(e[8:]),
			section: int(int16(binary.LittleEndian.Uint16(e[12:]))) - 1,
			typ:     binary.LittleEndian.Uint16(e[14:]),
			class:   e[16],
			aux:     e[17],
		}
		if binary.LittleEndian.Uint32(e) == 0 {
			off := binary.LittleEndian.Uint32(e[4:])
			s.name = fmt.Sprintf("[name at %d]", off)
			if int64(off) < int64(len(h.Strings)) {
				if end := bytes.IndexByte(h.Strings[off:], 0); end >= 0 {
					s.name = string(h.Strings[off : int(off)+end])
				}
			}
		} else {
			s.name = string(bytes.TrimRight(e[:8], "\x00"))
		}
		out = append(out, s)
		i += int64(s.aux)
	}
	return out, nil
}

// symbols reads the symbol table once and sorts what it names.
func (c *codeFile) symbols() {
	c.once.Do(func() {
		c.funcs = map[int][]function{}
		syms, err := c.readSymbols()
		if err != nil {
			c.err = err
			return
		}
		h := c.h
		bySec := map[int][]coffSymbol{}
		for _, s := range syms {
			if s.section < 0 || s.section >= len(h.Sections) || s.value >= h.Sections[s.section].VirtualSize && h.Sections[s.section].VirtualSize != 0 {
				continue
			}
			if s.class != classExternal && s.class != classStatic && s.class != classLabel {
				continue
			}
			bySec[s.section] = append(bySec[s.section], s)
		}
		base := h.imageBase()
		for sec, list := range bySec {
			slices.SortStableFunc(list, func(a, b coffSymbol) int {
				return cmp.Or(cmp.Compare(a.value, b.value), cmp.Compare(b.typ&0x30, a.typ&0x30), cmp.Compare(a.name, b.name))
			})
			s := h.Sections[sec]
			end := s.VirtualSize
			if end == 0 {
				end = s.SizeOfRawData
			}
			for i := 0; i < len(list); {
				sym := list[i]
				j := i + 1
				var aliases []string
				for ; j < len(list) && list[j].value == sym.value; j++ {
					if list[j].typ&0x30 == functionType && !sectionSymbol(list[j]) {
						aliases = append(aliases, show.Quote(list[j].name))
					}
				}
				next := end
				if j < len(list) {
					next = list[j].value
				}
				i = j
				// A section definition (".text" of one object file) marks
				// where that object's code starts: it bounds the symbol
				// before it, but names nothing.
				if sectionSymbol(sym) {
					continue
				}
				c.names = append(c.names, name{sym.name, base + uint64(s.VirtualAddress) + uint64(sym.value), uint64(next - sym.value)})
				if sym.typ&0x30 == functionType {
					c.funcs[sec] = append(c.funcs[sec], function{name: sym.name, aliases: aliases, off: sym.value, size: next - sym.value, class: sym.class})
				}
			}
		}
		slices.SortStableFunc(c.names, func(a, b name) int { return cmp.Compare(a.addr, b.addr) })
	})
}

// sectionSymbol reports whether s is the definition of a section of one
// of the linked objects (static, with an auxiliary record, no type).
func sectionSymbol(s coffSymbol) bool {
	return s.class == classStatic && s.aux > 0 && s.typ == 0
}

// lookup names an address by the symbol holding it, else by its section.
func (c *codeFile) lookup(addr uint64) (string, uint64) {
	i := sort.Search(len(c.names), func(i int) bool { return c.names[i].addr > addr })
	if i > 0 {
		if s := c.names[i-1]; addr-s.addr < s.size {
			return symbolOffset(s.name, addr-s.addr), addr
		}
	}
	base := c.h.imageBase()
	names := c.h.SectionNames()
	for k, s := range c.h.Sections {
		start := base + uint64(s.VirtualAddress)
		if s.VirtualAddress != 0 && addr >= start && addr-start < uint64(max(s.VirtualSize, s.SizeOfRawData)) {
			return symbolOffset(names[k], addr-start), addr
		}
	}
	return "", 0
}

// symbolOffset spells a place in a symbol as objdump does.
func symbolOffset(name string, off uint64) string {
	name = show.Quote(name)
	if off == 0 {
		return name
	}
	return fmt.Sprintf("%s+%#x", name, off)
}

// codeSection is the bytes of a code section, as stored. The comparison
// detects it as this package's Format only when symbols name functions in
// it (see Match), so that only code sections whose bytes differ are read
// as functions.
type codeSection struct {
	*io.SectionReader
	c     *codeFile
	index int
}

func (d *codeSection) hasView() bool {
	d.c.symbols()
	return len(d.c.funcs[d.index]) > 0
}

// open reads the section as its functions: an entry each, whose bytes
// read as instructions, and one entry of the bytes no function holds.
func (d *codeSection) open() *unpack.Node {
	c := d.c
	c.symbols()
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: "PE section", Offset: 0}
	claims := &layout.Claims{}
	root.SetLayout(claims)
	if c.err != nil {
		root.AddErr(c.err)
	}
	size := d.Size()
	funcs := c.funcs[d.index]
	namer := &layout.Namer{Name: func(off int64) string { return d.holding(off) }}
	used := map[string]int{gapName: 1}
	var covered []unpack.Range
	base := c.h.imageBase() + uint64(c.h.Sections[d.index].VirtualAddress)
	for _, f := range funcs {
		n := &unpack.Node{Name: unique(used, show.QuoteName(f.name)), Type: unpack.TypeRecord, Layer: "PE function", Offset: int64(f.off)}
		n.AddRoleField(unpack.RolePlacement, "address", "%#x", base+uint64(f.off))
		n.AddRoleField(unpack.RoleDerived, "size", "%d", f.size)
		if f.class == classStatic {
			n.AddField("storage class", "static")
		} else {
			n.AddField("storage class", "external")
		}
		if len(f.aliases) > 0 {
			n.AddField("aliases", "%s", strings.Join(f.aliases, ", "))
		}
		end := min(int64(f.off)+int64(f.size), size)
		if int64(f.off) < end {
			raw := io.NewSectionReader(d.SectionReader, int64(f.off), end-int64(f.off))
			n.Data = raw
			if raw.Size() <= maxFunction {
				n.Data = &codeData{c: c, pc: base + uint64(f.off), raw: raw}
			}
			claims.AddNamed(int64(f.off), end-int64(f.off), namer)
			covered = append(covered, unpack.Range{Start: int64(f.off), End: end})
		}
		root.Children = append(root.Children, n)
	}
	var gaps []unpack.Range
	pos := int64(0)
	for _, r := range covered {
		if r.Start > pos {
			gaps = append(gaps, unpack.Range{Start: pos, End: r.Start})
		}
		pos = max(pos, r.End)
	}
	if pos < size {
		gaps = append(gaps, unpack.Range{Start: pos, End: size})
	}
	if len(gaps) > 0 {
		for _, g := range gaps {
			claims.Add(g.Start, g.Len(), "no symbol")
		}
		root.Children = append(root.Children, &unpack.Node{Name: gapName, Type: unpack.TypeRecord, Layer: "PE section", Offset: 0,
			Data: layout.NewMasked(d.SectionReader, size, gaps)})
	}
	root.Sort()
	return root
}

// holding names the function holding byte off of the section, as
// "name+0x2c", or "" when none does.
func (d *codeSection) holding(off int64) string {
	funcs := d.c.funcs[d.index]
	i := sort.Search(len(funcs), func(i int) bool { return int64(funcs[i].off) > off })
	if i > 0 {
		if f := funcs[i-1]; off-int64(f.off) < int64(f.size) {
			return symbolOffset(f.name, uint64(off-int64(f.off)))
		}
	}
	return ""
}

// unique returns name, or name with a number after it when that is
// taken (two static functions of one name in two objects), and takes it.
func unique(used map[string]int, name string) string {
	k := used[name]
	used[name] = k + 1
	if k == 0 {
		return name
	}
	for {
		k++
		n := fmt.Sprintf("%s (%d)", name, k)
		if used[n] == 0 {
			used[n] = 1
			used[name] = k
			return n
		}
	}
}

// codeData is a function's instructions as text, a line each, made only
// when read: two functions whose bytes are the same are equal without it
// (SameStored).
type codeData struct {
	c   *codeFile
	pc  uint64
	raw *io.SectionReader

	once sync.Once
	text *bytes.Reader
	err  error
}

func (d *codeData) SameStored(other unpack.Data) (bool, error) {
	o, ok := other.(*codeData)
	if !ok || o.raw.Size() != d.raw.Size() {
		return false, nil
	}
	return unpack.EqualAt(d.raw, 0, o.raw, 0, d.raw.Size())
}

func (d *codeData) Size() int64 {
	d.render()
	return d.text.Size()
}

func (d *codeData) ReadAt(p []byte, off int64) (int, error) {
	d.render()
	if d.err != nil {
		return 0, d.err
	}
	return d.text.ReadAt(p, off)
}

func (d *codeData) render() {
	d.once.Do(func() {
		code := make([]byte, d.raw.Size())
		if n, err := d.raw.ReadAt(code, 0); n < len(code) {
			_, start, _ := d.raw.Outer()
			d.err = &unpack.FormatError{Layer: layerName, Offset: start + int64(n), Msg: "function cut short", Err: err}
			d.text = bytes.NewReader(nil)
			return
		}
		d.text = bytes.NewReader([]byte(disasm.Text(d.c.arch, d.pc, code, d.c.lookup, nil, binary.LittleEndian)))
	})
}
