package elf

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// viewKind is how a section's bytes are read when they differ.
type viewKind uint8

const (
	viewRaw viewKind = iota
	// viewSymbols: a section of code or data, read as the functions or
	// objects its symbols name.
	viewSymbols
	// viewStrings: text, one string a line.
	viewStrings
	viewSymtab
	viewNotes
	viewDynamic
	viewDebuglink
)

// kindOf says how a section is read when its bytes differ.
func (f *file) kindOf(s *section) viewKind {
	switch {
	case s.typ == elf.SHT_NOTE:
		return viewNotes
	case s.typ == elf.SHT_DYNAMIC:
		return viewDynamic
	case s.typ == elf.SHT_SYMTAB || s.typ == elf.SHT_DYNSYM:
		return viewSymtab
	case s.name == ".gnu_debuglink":
		return viewDebuglink
	case s.flags&uint64(elf.SHF_COMPRESSED) != 0:
		return viewRaw
	case s.typ == elf.SHT_STRTAB || s.flags&uint64(elf.SHF_STRINGS) != 0 && s.flags&uint64(elf.SHF_EXECINSTR) == 0,
		s.name == ".rodata" || strings.HasPrefix(s.name, ".rodata."), s.name == ".comment", s.name == ".modinfo", s.name == ".interp":
		return viewStrings
	case s.typ == elf.SHT_PROGBITS || s.typ == elf.SHT_INIT_ARRAY || s.typ == elf.SHT_FINI_ARRAY:
		return viewSymbols
	}
	return viewRaw
}

// sectionData is the bytes of a section, as stored. The comparison
// detects it as this package's Format only when it has a view (see
// match), so that only sections whose bytes differ are read further.
type sectionData struct {
	*io.SectionReader
	f    *file
	s    *section
	kind viewKind
}

// hasView reports whether the section is read as more than bytes: a
// section of code or data only when symbols name what it holds.
func (d *sectionData) hasView() bool {
	switch d.kind {
	case viewRaw:
		return false
	case viewSymbols:
		return len(d.f.symbolsOf().bySec[d.s.index]) > 0
	}
	return true
}

// open reads the section's view: a layer whose root holds what the
// section decodes to as fields (notes, the dynamic table) and whose
// children hold the rest as text or bytes.
func (d *sectionData) open() *unpack.Node {
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: "ELF section", Offset: 0}
	claims := &layout.Claims{}
	root.SetLayout(claims)
	d.claimSymbols(claims)
	b, err := readSection(d.f, d.s, maxView)
	if err != nil {
		root.AddErr(err)
		// The bytes are compared as they are, in a child that holds
		// them all.
		root.Children = append(root.Children, &unpack.Node{Name: "[bytes]", Type: unpack.TypeRecord, Layer: "ELF section", Offset: 0, Data: d.SectionReader})
		return root
	}
	switch d.kind {
	case viewSymbols:
		d.symbolView(root, claims)
	case viewStrings:
		stringsView(root, claims, b, d.s.flags&uint64(elf.SHF_STRINGS) != 0 || d.s.typ == elf.SHT_STRTAB || d.s.name == ".comment" || d.s.name == ".modinfo")
	case viewSymtab:
		d.symtabView(root)
	case viewNotes:
		d.notesView(root, claims, b)
	case viewDynamic:
		d.dynamicView(root, claims, b)
	case viewDebuglink:
		d.debuglinkView(root, claims, b)
	}
	root.Sort()
	return root
}

// maxView bounds the bytes of a section read whole for its view; a larger
// one (a symbol table of millions of entries) is compared as bytes.
const maxView = 64 << 20

// claimSymbols names the bytes of the section by the symbols holding them.
func (d *sectionData) claimSymbols(claims *layout.Claims) {
	syms := d.f.symbolsOf().bySec[d.s.index]
	if len(syms) == 0 {
		return
	}
	n := &layout.Namer{Name: func(off int64) string { return d.f.holding(d.s.index, uint64(off)) }}
	for _, sym := range syms {
		claims.AddNamed(int64(d.f.offsetIn(sym)), int64(sym.size), n)
	}
}

// textData is text made from a section: a line each.
type textData struct{ *bytes.Reader }

func newText(lines []string) *textData {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return &textData{bytes.NewReader([]byte(b.String()))}
}

// stringsView shows the strings of a section a line each, in their
// order: every NUL-terminated string of a string section, the runs of
// four or more printable characters of other data (as strings(1) does).
func stringsView(root *unpack.Node, claims *layout.Claims, b []byte, terminated bool) {
	var lines []string
	add := func(start, end int) {
		claims.Add(int64(start), int64(end-start), "string")
		lines = append(lines, escapeLine(b[start:end]))
	}
	if terminated {
		start := 0
		for i, c := range b {
			if c == 0 {
				if i > start {
					add(start, i)
				}
				start = i + 1
			}
		}
		if start < len(b) {
			add(start, len(b))
		}
	} else {
		start := -1
		runes := 0
		for i := 0; i <= len(b); {
			r, size := utf8.RuneError, 1
			if i < len(b) {
				r, size = utf8.DecodeRune(b[i:])
			}
			if i < len(b) && r != utf8.RuneError && (unicode.IsPrint(r) || r == '\t' || r == '\n') {
				if start < 0 {
					start, runes = i, 0
				}
				runes++
			} else if start >= 0 {
				if runes >= 4 {
					add(start, i)
				}
				start = -1
			}
			i += size
		}
	}
	root.Children = append(root.Children, &unpack.Node{Name: "strings", Type: unpack.TypeFile, Layer: "ELF section", Offset: -1, Data: newText(lines)})
}

// escapeLine makes a string one printable line.
func escapeLine(b []byte) string {
	s := string(b)
	if show.Printable(s) {
		return s
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}

// symbolView makes an entry of every function or object the section's
// symbols name (one entry for aliases of the same bytes), and one of the
// bytes none names.
func (d *sectionData) symbolView(root *unpack.Node, claims *layout.Claims) {
	f, s := d.f, d.s
	syms := f.symbolsOf().bySec[s.index]
	used := map[string]int{gapName: 1}
	var covered []unpack.Range
	code := s.flags&uint64(elf.SHF_EXECINSTR) != 0
	for i := 0; i < len(syms); {
		sym := syms[i]
		off := f.offsetIn(sym)
		var aliases []string
		j := i + 1
		for ; j < len(syms) && syms[j].value == sym.value && syms[j].size == sym.size; j++ {
			aliases = append(aliases, show.Quote(syms[j].name))
		}
		i = j
		name := unique(used, show.QuoteName(sym.name))
		layer := "ELF object"
		if sym.typ == elf.STT_FUNC || sym.typ == elf.STT_GNU_IFUNC {
			layer = "ELF function"
		}
		n := &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: layer, Offset: int64(off)}
		n.AddRoleField(unpack.RolePlacement, "address", "%#x", sym.value)
		n.AddRoleField(unpack.RoleDerived, "size", "%d", sym.size)
		n.AddField("binding", "%s", strings.TrimPrefix(sym.bind.String(), "STB_"))
		if sym.vis != elf.STV_DEFAULT {
			n.AddField("visibility", "%s", strings.TrimPrefix(sym.vis.String(), "STV_"))
		}
		if len(aliases) > 0 {
			n.AddField("aliases", "%s", strings.Join(aliases, ", "))
		}
		if s.typ != elf.SHT_NOBITS {
			end := min(off+sym.size, uint64(s.fileSize))
			if off < end {
				raw := io.NewSectionReader(d.SectionReader, int64(off), int64(end-off))
				n.Data = raw
				if code && disassembles(f.machine) && end-off <= maxFunction {
					n.Data = &codeData{f: f, sec: s, sym: sym, raw: raw}
				}
				covered = append(covered, unpack.Range{Start: int64(off), End: int64(end)})
			}
		}
		root.Children = append(root.Children, n)
	}
	// The bytes between symbols (alignment padding, code no symbol
	// names), compared where they are.
	slices.SortFunc(covered, func(a, b unpack.Range) int { return int(a.Start - b.Start) })
	var gaps []unpack.Range
	pos := int64(0)
	for _, r := range covered {
		if r.Start > pos {
			gaps = append(gaps, unpack.Range{Start: pos, End: r.Start})
		}
		pos = max(pos, r.End)
	}
	if pos < s.fileSize {
		gaps = append(gaps, unpack.Range{Start: pos, End: s.fileSize})
	}
	if len(gaps) > 0 {
		for _, g := range gaps {
			claims.Add(g.Start, g.Len(), "no symbol")
		}
		root.Children = append(root.Children, &unpack.Node{Name: gapName, Type: unpack.TypeRecord, Layer: "ELF section", Offset: 0,
			Data: layout.NewMasked(d.SectionReader, s.fileSize, gaps)})
	}
}

// gapName is the entry of a section's bytes that no symbol names.
const gapName = "[not in a symbol]"

// maxFunction bounds the bytes of one function disassembled; a larger
// one is compared as bytes.
const maxFunction = 1 << 20

// symtabView lists a symbol table twice, each sorted: what the symbols
// are (name, type, binding, visibility, section, size), and where they
// are. A function that moved changes only the second list.
func (d *sectionData) symtabView(root *unpack.Node) {
	f := d.f
	syms, err := f.readSymbols(d.s)
	if err != nil {
		root.AddErr(err)
	}
	var what, where []string
	for _, sym := range syms {
		name := escapeLine([]byte(sym.name))
		sec := f.symbolSection(sym.shndx)
		line := fmt.Sprintf("%s %s %s %s %s", name, strings.TrimPrefix(sym.typ.String(), "STT_"), strings.TrimPrefix(sym.bind.String(), "STB_"),
			strings.TrimPrefix(sym.vis.String(), "STV_"), sec)
		if sym.size != 0 {
			line += fmt.Sprintf(" size %d", sym.size)
		}
		what = append(what, line)
		switch {
		case sym.shndx == uint16(elf.SHN_UNDEF):
		case sym.shndx == uint16(elf.SHN_ABS) || sym.shndx >= uint16(elf.SHN_LORESERVE) || int(sym.shndx) >= len(f.sections):
			where = append(where, fmt.Sprintf("%s %s %#x", name, sec, sym.value))
		default:
			where = append(where, fmt.Sprintf("%s %s+%#x", name, sec, f.offsetIn(sym)))
		}
	}
	slices.Sort(what)
	slices.Sort(where)
	root.Children = append(root.Children,
		&unpack.Node{Name: "symbols", Type: unpack.TypeFile, Layer: "ELF section", Offset: -1, Data: newText(what)},
		&unpack.Node{Name: "addresses", Type: unpack.TypeFile, Layer: "ELF section", Offset: -1, Data: newText(where)})
}

// symbolSection names the section of a symbol's section index.
func (f *file) symbolSection(i uint16) string {
	switch elf.SectionIndex(i) {
	case elf.SHN_UNDEF:
		return "UND"
	case elf.SHN_ABS:
		return "ABS"
	case elf.SHN_COMMON:
		return "COMMON"
	}
	if int(i) < len(f.sections) {
		return escapeLine([]byte(f.sections[i].name))
	}
	return fmt.Sprintf("[section %d]", i)
}
