// Package elf reads ELF files (executables, shared libraries, object files
// and kernel modules) into a tree: the ELF header as the layer's fields,
// the program headers as records, and every section as an entry holding
// its bytes. A section's bytes are read as what they are (instructions,
// strings, symbols, notes, the dynamic table) only when a comparison finds
// them different: the section's Data is of a type this package's Format
// recognises, and opening it gives the view of that section.
package elf

// The headers are decoded here with debug/elf's types and constants,
// rather than by elf.NewFile, because NewFile rejects a whole file for one
// section name out of range or one section past the end of the file;
// here that section is marked and the rest is compared. Section bytes are
// served raw (debug/elf would decompress SHF_COMPRESSED sections), so
// that every byte is compared as it is stored.
//
// Every byte of the file is claimed: the ELF header, the program and
// section header tables, each section's bytes, an appended module
// signature; what no structure holds is the "[unclaimed bytes]" child.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"strings"
	"sync"
)

const layerName = "ELF"

// Format detects and opens ELF files, and the sections of an opened ELF
// file whose bytes differ (see sectionData).
var Format = unpack.Format{Name: layerName, Match: match, Open: Open}

const (
	header32 = 52
	header64 = 64
	// maxSections bounds the section count taken from an extended count
	// (section 0's sh_size); the table must fit in the file as well.
	maxSections = 1 << 20
	// ProgramHeadersName and SignatureName are children of the file's
	// layer that are not sections; no section takes their names (see
	// uniqueName).
	ProgramHeadersName = "[program headers]"
	SignatureName      = "[module signature]"
)

func match(head []byte, r io.ReaderAt, _ int64) bool {
	if s, ok := r.(*sectionData); ok {
		return s.hasView()
	}
	return len(head) >= header32 && string(head[:4]) == elf.ELFMAG &&
		(head[elf.EI_CLASS] == byte(elf.ELFCLASS32) || head[elf.EI_CLASS] == byte(elf.ELFCLASS64)) &&
		(head[elf.EI_DATA] == byte(elf.ELFDATA2LSB) || head[elf.EI_DATA] == byte(elf.ELFDATA2MSB))
}

// Open reads the ELF file in r[0:size], or, given the Data of a section of
// a file this package opened, that section's view.
func Open(r io.ReaderAt, size int64, _ *unpack.Env) (*unpack.Node, error) {
	if s, ok := r.(*sectionData); ok {
		return s.open(), nil
	}
	return openFile(r, size)
}

// file is an opened ELF file: what the views of its sections share.
type file struct {
	r       io.ReaderAt
	size    int64 // of the ELF file proper, before an appended signature
	bo      binary.ByteOrder
	is64    bool
	typ     elf.Type
	machine elf.Machine

	sections []*section

	symOnce sync.Once
	syms    *symbols

	pltOnce sync.Once
	plt     map[uint64]string // PLT entry address -> "name@plt"

	relocMu sync.Mutex
	relocs  map[int][]reloc // by the index of the section they apply to
}

// section is one section header, decoded.
type section struct {
	index   int
	name    string
	nameOff uint32
	typ     elf.SectionType
	flags   uint64
	addr    uint64
	off     uint64
	size    uint64
	link    uint32
	info    uint32
	align   uint64
	entsize uint64
	// fileSize is what of the section lies in the file: 0 for NOBITS,
	// cut at the end of the file for a section past it.
	fileSize int64
	node     *unpack.Node
}

// data is the section's bytes as stored.
func (s *section) data(f *file) *io.SectionReader {
	return io.NewSectionReader(f.r, int64(s.off), s.fileSize)
}

func openFile(r io.ReaderAt, size int64) (*unpack.Node, error) {
	var ident [elf.EI_NIDENT]byte
	if n, _ := r.ReadAt(ident[:], 0); n < len(ident) || string(ident[:4]) != elf.ELFMAG {
		return nil, unpack.Errorf(layerName, 0, "no ELF magic")
	}
	f := &file{r: r, size: size}
	switch elf.Class(ident[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
	case elf.ELFCLASS64:
		f.is64 = true
	default:
		return nil, unpack.Errorf(layerName, elf.EI_CLASS, "unknown ELF class %d", ident[elf.EI_CLASS])
	}
	switch elf.Data(ident[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		f.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		f.bo = binary.BigEndian
	default:
		return nil, unpack.Errorf(layerName, elf.EI_DATA, "unknown ELF data encoding %d", ident[elf.EI_DATA])
	}

	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	claims := &layout.Claims{}
	root.SetLayout(claims)

	var sig *unpack.Node
	if sig, f.size = readSignature(r, size, claims); sig != nil {
		root.Children = append(root.Children, sig)
	}

	h, err := f.readHeader(ident)
	if err != nil {
		return nil, err
	}
	h.fields(root, ident)
	claims.Add(0, min(int64(h.ehsize()), f.size), "ELF header")

	f.readSections(root, h, claims)
	f.readPrograms(root, h, claims)

	// What follows the last structure of the file (an archive appended
	// to a self-extracting binary) is a child of its own, detected and
	// unpacked like any file; gaps between structures are unclaimed.
	end := int64(0)
	for rg := range claims.All() {
		if rg.End <= f.size {
			end = max(end, rg.End)
		}
	}
	if end < f.size {
		before := len(root.Children)
		addTrailing(root, r, end, f.size)
		if len(root.Children) > before {
			claims.Add(end, f.size-end, "bytes after the last structure")
		}
	}
	if len(claims.Unclaimed(size)) > 0 {
		root.Children = append(root.Children, claims.UnclaimedNode(layerName, r, size))
	}
	root.Sort()
	return root, nil
}

// addTrailing adds what follows the file's last structure: zeros as a
// field, anything else as a child.
func addTrailing(root *unpack.Node, r io.ReaderAt, end, size int64) {
	var buf [4096]byte
	for off := end; off < size; {
		n, _ := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n == 0 {
			break
		}
		for _, b := range buf[:n] {
			if b != 0 {
				root.AddField("trailing bytes", "%d at offset %d", size-end, end)
				root.Children = append(root.Children, &unpack.Node{Name: "[trailing bytes]", Type: unpack.TypeFile, Layer: layerName,
					Offset: end, Data: io.NewSectionReader(r, end, size-end)})
				return
			}
		}
		off += int64(n)
	}
	// All zeros: left to [unclaimed bytes], which shows a byte that is not.
}

// header is the ELF header beyond e_ident.
type header struct {
	is64                          bool
	typ, machine                  uint16
	version                       uint32
	entry, phoff, shoff           uint64
	flags                         uint32
	ehsz, phentsize, phnum        uint16
	shentsize, shnum, shstrndx    uint16
	bo                            binary.ByteOrder
	osabi, abiversion, identVer   byte
	identPad                      []byte
	realPhnum, realShnum, realStr uint64
}

func (h *header) ehsize() int {
	if h.is64 {
		return header64
	}
	return header32
}

func (f *file) readHeader(ident [elf.EI_NIDENT]byte) (*header, error) {
	h := &header{is64: f.is64, bo: f.bo, identVer: ident[elf.EI_VERSION], osabi: ident[elf.EI_OSABI],
		abiversion: ident[elf.EI_ABIVERSION], identPad: append([]byte(nil), ident[elf.EI_PAD:]...)}
	buf := make([]byte, h.ehsize())
	if n, _ := f.r.ReadAt(buf, 0); n < len(buf) {
		return nil, unpack.Errorf(layerName, int64(n), "ELF header cut by the end of the file: %d of %d bytes", n, len(buf))
	}
	bo := f.bo
	h.typ = bo.Uint16(buf[16:])
	h.machine = bo.Uint16(buf[18:])
	h.version = bo.Uint32(buf[20:])
	var p []byte
	if f.is64 {
		h.entry, h.phoff, h.shoff = bo.Uint64(buf[24:]), bo.Uint64(buf[32:]), bo.Uint64(buf[40:])
		p = buf[48:]
	} else {
		h.entry, h.phoff, h.shoff = uint64(bo.Uint32(buf[24:])), uint64(bo.Uint32(buf[28:])), uint64(bo.Uint32(buf[32:]))
		p = buf[36:]
	}
	h.flags = bo.Uint32(p)
	h.ehsz, h.phentsize, h.phnum = bo.Uint16(p[4:]), bo.Uint16(p[6:]), bo.Uint16(p[8:])
	h.shentsize, h.shnum, h.shstrndx = bo.Uint16(p[10:]), bo.Uint16(p[12:]), bo.Uint16(p[14:])
	f.typ, f.machine = elf.Type(h.typ), elf.Machine(h.machine)
	h.realPhnum, h.realShnum, h.realStr = uint64(h.phnum), uint64(h.shnum), uint64(h.shstrndx)
	return h, nil
}

func (h *header) fields(root *unpack.Node, ident [elf.EI_NIDENT]byte) {
	root.AddField("class", "%s", elf.Class(ident[elf.EI_CLASS]))
	root.AddField("data", "%s", elf.Data(ident[elf.EI_DATA]))
	root.AddField("ident version", "%d", h.identVer)
	root.AddField("OS/ABI", "%s", elf.OSABI(h.osabi))
	root.AddField("ABI version", "%d", h.abiversion)
	if !allZero(h.identPad) {
		root.AddField("ident padding", "%x", h.identPad)
	}
	root.AddField("type", "%s", elf.Type(h.typ))
	root.AddField("machine", "%s", elf.Machine(h.machine))
	root.AddField("version", "%d", h.version)
	root.AddRoleField(unpack.RolePlacement, "entry", "%#x", h.entry)
	root.AddRoleField(unpack.RolePlacement, "program headers at", "%d", h.phoff)
	root.AddRoleField(unpack.RolePlacement, "section headers at", "%d", h.shoff)
	root.AddField("flags", "%#x", h.flags)
	root.AddField("header size", "%d", h.ehsz)
	root.AddField("program header size", "%d", h.phentsize)
	root.AddRoleField(unpack.RoleDerived, "program headers", "%d", h.phnum)
	root.AddField("section header size", "%d", h.shentsize)
	root.AddRoleField(unpack.RoleDerived, "section headers", "%d", h.shnum)
	root.AddRoleField(unpack.RolePlacement, "section name table", "%d", h.shstrndx)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// tableFits reports whether count entries of entsize bytes at off lie in
// a file of size bytes.
func tableFits(off, count, entsize uint64, size int64) bool {
	if off > uint64(size) || entsize == 0 {
		return count == 0
	}
	return count <= (uint64(size)-off)/entsize
}

func (f *file) readSections(root *unpack.Node, h *header, claims *layout.Claims) {
	if h.shoff == 0 {
		return
	}
	want := uint64(40)
	if f.is64 {
		want = 64
	}
	if uint64(h.shentsize) < want {
		root.AddErr(unpack.Errorf(layerName, int64(h.shoff), "section header size %d, less than the %d bytes of an entry", h.shentsize, want))
		return
	}
	// Section 0 holds the real count and name table index when they do
	// not fit the ELF header's fields.
	first := make([]byte, h.shentsize)
	if !tableFits(h.shoff, 1, uint64(h.shentsize), f.size) {
		root.AddErr(unpack.Errorf(layerName, int64(h.shoff), "section header table past the end of the file (%d bytes)", f.size))
		return
	}
	f.r.ReadAt(first, int64(h.shoff))
	s0 := f.decodeSection(first)
	if h.shnum == 0 {
		h.realShnum = s0.size
	}
	if h.shstrndx == uint16(elf.SHN_XINDEX) {
		h.realStr = uint64(s0.link)
	}
	count := h.realShnum
	if count > maxSections || !tableFits(h.shoff, count, uint64(h.shentsize), f.size) {
		fit := uint64(0)
		if uint64(f.size) > h.shoff {
			fit = (uint64(f.size) - h.shoff) / uint64(h.shentsize)
		}
		root.AddErr(unpack.Errorf(layerName, int64(h.shoff), "%d section headers of %d bytes do not fit in the file; reading %d", count, h.shentsize, min(fit, maxSections)))
		count = min(fit, maxSections)
	}
	table := make([]byte, count*uint64(h.shentsize))
	f.r.ReadAt(table, int64(h.shoff))
	for i := range int(count) {
		s := f.decodeSection(table[i*int(h.shentsize) : (i+1)*int(h.shentsize)])
		s.index = i
		f.sections = append(f.sections, s)
	}
	// Names come from the section name table, itself a section.
	var names []byte
	var namesErr error
	if h.realStr < uint64(len(f.sections)) {
		st := f.sections[h.realStr]
		names, namesErr = readSection(f, st, maxStringTable)
	} else if len(f.sections) > 0 {
		namesErr = unpack.Errorf(layerName, 0, "section name table index %d, of %d sections", h.realStr, len(f.sections))
	}
	if namesErr != nil {
		root.AddErr(namesErr)
	}
	used := map[string]int{ProgramHeadersName: 1, SignatureName: 1, layout.UnclaimedName: 1, "[trailing bytes]": 1}
	for _, s := range f.sections {
		entryOff := int64(h.shoff) + int64(s.index)*int64(h.shentsize)
		var nameErr error
		if names != nil {
			var ok bool
			if s.name, ok = cString(names, s.nameOff); !ok {
				nameErr = unpack.Errorf(layerName, entryOff, "section %d: name offset %d outside the section name table (%d bytes)", s.index, s.nameOff, len(names))
			}
		}
		// Only the fields are claimed: bytes of a larger entry than
		// they take are unclaimed, and compared as such.
		claims.Addf(entryOff, int64(want), "section header %d (%s)", s.index, show.QuoteName(s.name))
		if s.index == 0 && s.typ == elf.SHT_NULL {
			// The null entry is compared as a field of the layer: it
			// holds the extended counts, and is all zeros otherwise.
			if !allZero(first[:want]) {
				root.AddField("section 0", "%x", first[:want])
			}
			continue
		}
		n := f.sectionNode(s, uniqueName(used, s), entryOff)
		if nameErr != nil {
			n.AddErr(nameErr)
		}
		if s.fileSize > 0 {
			f.claimSection(claims, s)
		}
		root.Children = append(root.Children, n)
	}
}

// uniqueName is the name of a section among the layer's children: its
// name, "[section N]" when it has none, and a number after a name taken.
func uniqueName(used map[string]int, s *section) string {
	name := show.Quote(s.name)
	if s.name == "" {
		name = fmt.Sprintf("[section %d]", s.index)
	}
	return unique(used, name)
}

// unique returns name, or name with a number after it when that is
// taken, and takes it. used counts the names made from each name, so
// that a table of many equal names costs no more than one of different
// names.
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

func (f *file) decodeSection(b []byte) *section {
	bo := f.bo
	s := &section{}
	if f.is64 {
		s.nameOff, s.typ, s.flags = bo.Uint32(b), elf.SectionType(bo.Uint32(b[4:])), bo.Uint64(b[8:])
		s.addr, s.off, s.size = bo.Uint64(b[16:]), bo.Uint64(b[24:]), bo.Uint64(b[32:])
		s.link, s.info = bo.Uint32(b[40:]), bo.Uint32(b[44:])
		s.align, s.entsize = bo.Uint64(b[48:]), bo.Uint64(b[56:])
	} else {
		s.nameOff, s.typ, s.flags = bo.Uint32(b), elf.SectionType(bo.Uint32(b[4:])), uint64(bo.Uint32(b[8:]))
		s.addr, s.off, s.size = uint64(bo.Uint32(b[12:])), uint64(bo.Uint32(b[16:])), uint64(bo.Uint32(b[20:]))
		s.link, s.info = bo.Uint32(b[24:]), bo.Uint32(b[28:])
		s.align, s.entsize = uint64(bo.Uint32(b[32:])), uint64(bo.Uint32(b[36:]))
	}
	if s.typ != elf.SHT_NOBITS && s.typ != elf.SHT_NULL && s.off < uint64(f.size) {
		s.fileSize = int64(min(s.size, uint64(f.size)-s.off))
	}
	return s
}

// maxStringTable bounds a string table read whole (section names, symbol
// names); it is also bounded by the file.
const maxStringTable = 256 << 20

// readSection reads a section's bytes whole, at most limit of them.
func readSection(f *file, s *section, limit int64) ([]byte, error) {
	if s.fileSize > limit {
		return nil, unpack.Errorf(layerName, int64(s.off), "section %d: %d bytes, more than the %d read whole", s.index, s.fileSize, limit)
	}
	b := make([]byte, s.fileSize)
	if n, err := f.r.ReadAt(b, int64(s.off)); n < len(b) {
		return b[:n], &unpack.FormatError{Layer: layerName, Offset: int64(s.off) + int64(n), Msg: fmt.Sprintf("section %d cut short", s.index), Err: err}
	}
	return b, nil
}

// cString is the NUL-terminated string at off of b.
func cString(b []byte, off uint32) (string, bool) {
	if uint64(off) >= uint64(len(b)) {
		return "", false
	}
	rest := b[off:]
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		return string(rest[:i]), true
	}
	return string(rest), true
}

// sectionNode is the entry of a section: its header as fields, its bytes
// as Data.
func (f *file) sectionNode(s *section, name string, entryOff int64) *unpack.Node {
	n := &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: "ELF section", Offset: int64(s.off)}
	s.node = n
	n.AddRoleField(unpack.RolePlacement, "index", "%d", s.index)
	n.AddRoleField(unpack.RolePlacement, "name offset", "%d", s.nameOff)
	n.AddField("type", "%s", sectionType(s.typ))
	n.AddField("flags", "%s", sectionFlags(s.flags))
	n.AddRoleField(unpack.RolePlacement, "address", "%#x", s.addr)
	n.AddRoleField(unpack.RolePlacement, "offset", "%d", s.off)
	n.AddRoleField(unpack.RoleDerived, "size", "%d", s.size)
	n.AddField("link", "%s", f.sectionRef(s.link))
	if s.flags&uint64(elf.SHF_INFO_LINK) != 0 {
		n.AddField("info", "%s", f.sectionRef(s.info))
	} else {
		n.AddField("info", "%d", s.info)
	}
	n.AddField("alignment", "%d", s.align)
	n.AddField("entry size", "%d", s.entsize)
	if s.typ != elf.SHT_NOBITS && s.typ != elf.SHT_NULL {
		if s.off > uint64(f.size) || s.size > uint64(f.size)-s.off {
			n.AddErr(unpack.Errorf(layerName, entryOff, "section %d: %d bytes at offset %d, past the end of the file (%d bytes)", s.index, s.size, s.off, f.size))
		}
		if kind := f.kindOf(s); kind == viewRaw && s.fileSize > 0 {
			// Nothing to read in it: plain bytes, which any format may
			// claim (a compressed blob, an archive).
			n.Data = s.data(f)
		} else if s.fileSize > 0 {
			n.Data = &sectionData{SectionReader: s.data(f), f: f, s: s, kind: kind}
		}
	}
	return n
}

// sectionType names a section type as readelf does.
func sectionType(t elf.SectionType) string {
	switch t {
	case elf.SHT_GNU_VERSYM:
		return "VERSYM"
	case elf.SHT_GNU_VERNEED:
		return "VERNEED"
	case elf.SHT_GNU_VERDEF:
		return "VERDEF"
	}
	return strings.TrimPrefix(t.String(), "SHT_")
}

// sectionRef names the section of an index in a header field.
func (f *file) sectionRef(i uint32) string {
	if i == 0 {
		return "0"
	}
	if int64(i) < int64(len(f.sections)) && f.sections[i].name != "" {
		return fmt.Sprintf("%d (%s)", i, show.Quote(f.sections[i].name))
	}
	return fmt.Sprintf("%d", i)
}

// sectionFlags spells flags as readelf's key does (W, A, X, M, S, I, L,
// O, G, T, C, E), with the rest in hex.
func sectionFlags(fl uint64) string {
	letters := []struct {
		f elf.SectionFlag
		c byte
	}{{elf.SHF_WRITE, 'W'}, {elf.SHF_ALLOC, 'A'}, {elf.SHF_EXECINSTR, 'X'}, {elf.SHF_MERGE, 'M'},
		{elf.SHF_STRINGS, 'S'}, {elf.SHF_INFO_LINK, 'I'}, {elf.SHF_LINK_ORDER, 'L'}, {elf.SHF_OS_NONCONFORMING, 'O'},
		{elf.SHF_GROUP, 'G'}, {elf.SHF_TLS, 'T'}, {elf.SHF_COMPRESSED, 'C'}, {0x80000000, 'E'}}
	var b []byte
	for _, l := range letters {
		if fl&uint64(l.f) != 0 {
			b = append(b, l.c)
			fl &^= uint64(l.f)
		}
	}
	s := string(b)
	if fl != 0 {
		s += fmt.Sprintf("+%#x", fl)
	}
	if s == "" {
		return "-"
	}
	return s
}

// claimSection claims a section's bytes in the file's layout, naming the
// symbol holding a byte where the section has symbols.
func (f *file) claimSection(claims *layout.Claims, s *section) {
	what := "section " + show.QuoteName(s.name)
	if s.flags&uint64(elf.SHF_ALLOC) == 0 && s.typ != elf.SHT_PROGBITS {
		claims.Add(int64(s.off), s.fileSize, what)
		return
	}
	claims.AddNamed(int64(s.off), s.fileSize, &layout.Namer{Name: func(off int64) string {
		if sym := f.holding(s.index, uint64(off)-s.off); sym != "" {
			return what + ", in " + sym
		}
		return what
	}})
}

func (f *file) readPrograms(root *unpack.Node, h *header, claims *layout.Claims) {
	count := h.realPhnum
	if h.phnum == 0xffff && len(f.sections) > 0 {
		count = uint64(f.sections[0].info)
	}
	if count == 0 || h.phoff == 0 {
		return
	}
	want := uint64(32)
	if f.is64 {
		want = 56
	}
	tbl := &unpack.Node{Name: ProgramHeadersName, Type: unpack.TypeRecord, Layer: layerName, Offset: int64(h.phoff)}
	tbl.SetPositional(true)
	root.Children = append(root.Children, tbl)
	if uint64(h.phentsize) < want {
		tbl.AddErr(unpack.Errorf(layerName, int64(h.phoff), "program header size %d, less than the %d bytes of an entry", h.phentsize, want))
		return
	}
	if !tableFits(h.phoff, count, uint64(h.phentsize), f.size) {
		fit := uint64(0)
		if uint64(f.size) > h.phoff {
			fit = (uint64(f.size) - h.phoff) / uint64(h.phentsize)
		}
		tbl.AddErr(unpack.Errorf(layerName, int64(h.phoff), "%d program headers of %d bytes do not fit in the file; reading %d", count, h.phentsize, fit))
		count = fit
	}
	b := make([]byte, count*uint64(h.phentsize))
	f.r.ReadAt(b, int64(h.phoff))
	bo := f.bo
	for i := range int(count) {
		e := b[i*int(h.phentsize):]
		var typ, flags uint32
		var off, vaddr, paddr, filesz, memsz, align uint64
		if f.is64 {
			typ, flags = bo.Uint32(e), bo.Uint32(e[4:])
			off, vaddr, paddr = bo.Uint64(e[8:]), bo.Uint64(e[16:]), bo.Uint64(e[24:])
			filesz, memsz, align = bo.Uint64(e[32:]), bo.Uint64(e[40:]), bo.Uint64(e[48:])
		} else {
			typ, off, vaddr, paddr = bo.Uint32(e), uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:])), uint64(bo.Uint32(e[12:]))
			filesz, memsz, flags, align = uint64(bo.Uint32(e[16:])), uint64(bo.Uint32(e[20:])), bo.Uint32(e[24:]), uint64(bo.Uint32(e[28:]))
		}
		entryOff := int64(h.phoff) + int64(i)*int64(h.phentsize)
		n := &unpack.Node{Name: fmt.Sprintf("segment %02d", i), Type: unpack.TypeRecord, Layer: layerName, Offset: entryOff}
		n.AddField("type", "%s", strings.TrimPrefix(elf.ProgType(typ).String(), "PT_"))
		n.AddField("flags", "%s", progFlags(elf.ProgFlag(flags)))
		n.AddRoleField(unpack.RolePlacement, "offset", "%d", off)
		n.AddRoleField(unpack.RolePlacement, "virtual address", "%#x", vaddr)
		n.AddRoleField(unpack.RolePlacement, "physical address", "%#x", paddr)
		n.AddRoleField(unpack.RoleDerived, "file size", "%d", filesz)
		n.AddRoleField(unpack.RoleDerived, "memory size", "%d", memsz)
		n.AddField("alignment", "%d", align)
		// The sections of each segment, while that is cheap: a table of
		// thousands of both is none a reader makes.
		if count*uint64(len(f.sections)) <= 1<<20 {
			if sec := f.sectionsIn(off, filesz); sec != "" {
				n.AddField("sections", "%s", sec)
			}
		}
		tbl.Children = append(tbl.Children, n)
		claims.Addf(entryOff, int64(want), "program header %d", i)
	}
}

// sectionsIn names the sections whose bytes lie in [off, off+size), as
// readelf's section to segment mapping does.
func (f *file) sectionsIn(off, size uint64) string {
	var names []string
	for _, s := range f.sections {
		if s.index == 0 || s.flags&uint64(elf.SHF_ALLOC) == 0 {
			continue
		}
		if s.typ == elf.SHT_NOBITS {
			continue
		}
		if s.off >= off && s.off-off < size && s.size <= size-(s.off-off) {
			names = append(names, show.QuoteName(s.name))
		}
	}
	return strings.Join(names, " ")
}

func progFlags(fl elf.ProgFlag) string {
	b := []byte("   ")
	if fl&elf.PF_R != 0 {
		b[0] = 'R'
	}
	if fl&elf.PF_W != 0 {
		b[1] = 'W'
	}
	if fl&elf.PF_X != 0 {
		b[2] = 'E'
	}
	s := strings.TrimSpace(strings.ReplaceAll(string(b), " ", ""))
	if rest := fl &^ (elf.PF_R | elf.PF_W | elf.PF_X); rest != 0 {
		s += fmt.Sprintf("+%#x", uint32(rest))
	}
	if s == "" {
		return "-"
	}
	return s
}
