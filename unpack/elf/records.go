package elf

import (
	"debug/elf"
	"encoding/hex"
	"fmt"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"strings"
)

// roleBuildID explains a difference in a GNU build-id: a hash of the
// linked output (or a value given to the linker), which changes with
// anything else that does, and alone when the linker was given another.
var roleBuildID = &unpack.Role{Kind: unpack.Identity, Cause: "ELF build-id"}

// maxNoteHex bounds the bytes of a note's description shown as a field;
// a longer one shows its start and length, and the bytes beyond are
// compared by the section's bytes.
const maxNoteHex = 256

// notesView decodes a note section: each note a field of the layer,
// named by its owner and type.
func (d *sectionData) notesView(root *unpack.Node, claims *layout.Claims, b []byte) {
	bo := d.f.bo
	align := 4
	if d.s.align == 8 {
		// .note.gnu.property and other 8-aligned notes pad to 8.
		align = 8
	}
	pad := func(n int) int { return (n + align - 1) &^ (align - 1) }
	used := map[string]int{}
	field := func(name string) string { return unique(used, name) }
	off := 0
	for i := 0; off < len(b); i++ {
		if len(b)-off < 12 {
			root.AddField(field("trailing bytes"), "%x", b[off:])
			claims.Add(int64(off), int64(len(b)-off), "bytes after the last note")
			return
		}
		namesz, descsz, typ := int(bo.Uint32(b[off:])), int(bo.Uint32(b[off+4:])), bo.Uint32(b[off+8:])
		nameOff := off + 12
		// The description and the next note start aligned, counted from
		// the section's start (which is itself aligned).
		if namesz < 0 || descsz < 0 || namesz > len(b)-nameOff || pad(nameOff+namesz) > len(b) || descsz > len(b)-pad(nameOff+namesz) {
			root.AddErr(unpack.Errorf(layerName, int64(d.s.off)+int64(off), "note %d: name of %d and description of %d bytes past the end of section %s", i, namesz, descsz, show.QuoteName(d.s.name)))
			root.AddField(field("undecoded bytes"), "%s", hexBounded(b[off:]))
			claims.Add(int64(off), int64(len(b)-off), "undecoded note")
			return
		}
		descOff := pad(nameOff + namesz)
		end := min(len(b), pad(descOff+descsz))
		owner := strings.TrimRight(string(b[nameOff:nameOff+namesz]), "\x00")
		desc := b[descOff : descOff+descsz]
		label, value, role := describeNote(owner, typ, desc, bo)
		name := field(label)
		if role != nil {
			root.AddRoleField(role, name, "%s", value)
		} else {
			root.AddField(name, "%s", value)
		}
		if owner+"\x00" != string(b[nameOff:nameOff+namesz]) {
			root.AddField(field(label+" owner"), "%q", b[nameOff:nameOff+namesz])
		}
		if p := b[nameOff+namesz : descOff]; !allZero(p) {
			root.AddField(field(label+" name padding"), "%x", p)
		}
		if p := b[descOff+descsz : end]; !allZero(p) {
			root.AddField(field(label+" padding"), "%x", p)
		}
		claims.Addf(int64(off), int64(end-off), "note %d (%s)", i, label)
		off = end
	}
}

// describeNote names a note and shows its description.
func describeNote(owner string, typ uint32, desc []byte, bo interface{ Uint32([]byte) uint32 }) (label, value string, role *unpack.Role) {
	if owner == "GNU" {
		switch typ {
		case 3: // NT_GNU_BUILD_ID
			return "build-id", hex.EncodeToString(desc), roleBuildID
		case 1: // NT_GNU_ABI_TAG
			if len(desc) == 16 {
				oses := map[uint32]string{0: "Linux", 1: "Hurd", 2: "Solaris", 3: "FreeBSD"}
				os, ok := oses[bo.Uint32(desc)]
				if !ok {
					os = fmt.Sprintf("OS %d", bo.Uint32(desc))
				}
				return "ABI tag", fmt.Sprintf("%s %d.%d.%d", os, bo.Uint32(desc[4:]), bo.Uint32(desc[8:]), bo.Uint32(desc[12:])), nil
			}
		case 4: // NT_GNU_GOLD_VERSION
			return "gold version", escapeLine(desc), nil
		case 5: // NT_GNU_PROPERTY_TYPE_0
			return "GNU property", hexBounded(desc), nil
		}
	}
	return fmt.Sprintf("note %s %#x", show.QuoteName(owner), typ), hexBounded(desc), nil
}

// hexBounded is b in hex, at most maxNoteHex bytes of it.
func hexBounded(b []byte) string {
	if len(b) <= maxNoteHex {
		return hex.EncodeToString(b)
	}
	return fmt.Sprintf("%s… (%d bytes)", hex.EncodeToString(b[:maxNoteHex]), len(b))
}

// dynamicView decodes the dynamic table: each tag a field, the libraries
// needed in order, string values from the table's string section,
// addresses as placement and sizes as derived.
func (d *sectionData) dynamicView(root *unpack.Node, claims *layout.Claims, b []byte) {
	f := d.f
	var strtab []byte
	if int(d.s.link) < len(f.sections) && d.s.link != 0 {
		var err error
		if strtab, err = readSection(f, f.sections[d.s.link], maxStringTable); err != nil {
			root.AddErr(err)
		}
	}
	esz := 8
	if f.is64 {
		esz = 16
	}
	values := map[string][]string{}
	var order []string
	roles := map[string]*unpack.Role{}
	add := func(name, value string, role *unpack.Role) {
		if values[name] == nil {
			order = append(order, name)
			roles[name] = role
		}
		values[name] = append(values[name], value)
	}
	off := 0
	for ; off+esz <= len(b); off += esz {
		var tag elf.DynTag
		var val uint64
		if f.is64 {
			tag, val = elf.DynTag(f.bo.Uint64(b[off:])), f.bo.Uint64(b[off+8:])
		} else {
			tag, val = elf.DynTag(f.bo.Uint32(b[off:])), uint64(f.bo.Uint32(b[off+4:]))
		}
		claims.Addf(int64(off), int64(esz), "dynamic entry %d", off/esz)
		if tag == elf.DT_NULL {
			off += esz
			break
		}
		name := strings.TrimPrefix(tag.String(), "DT_")
		switch tag {
		case elf.DT_NEEDED, elf.DT_SONAME, elf.DT_RPATH, elf.DT_RUNPATH, elf.DT_AUXILIARY, elf.DT_FILTER:
			s, ok := cString(strtab, uint32(min(val, 1<<32-1)))
			if !ok {
				s = fmt.Sprintf("[string at %d]", val)
			}
			add(name, escapeLine([]byte(s)), nil)
		case elf.DT_PLTGOT, elf.DT_HASH, elf.DT_STRTAB, elf.DT_SYMTAB, elf.DT_RELA, elf.DT_INIT, elf.DT_FINI,
			elf.DT_REL, elf.DT_DEBUG, elf.DT_JMPREL, elf.DT_INIT_ARRAY, elf.DT_FINI_ARRAY, elf.DT_PREINIT_ARRAY,
			elf.DT_GNU_HASH, elf.DT_VERSYM, elf.DT_VERNEED, elf.DT_VERDEF:
			add(name, fmt.Sprintf("%#x", val), unpack.RolePlacement)
		case elf.DT_STRSZ, elf.DT_RELASZ, elf.DT_RELSZ, elf.DT_PLTRELSZ, elf.DT_INIT_ARRAYSZ, elf.DT_FINI_ARRAYSZ,
			elf.DT_PREINIT_ARRAYSZ, elf.DT_RELACOUNT, elf.DT_RELCOUNT, elf.DT_VERNEEDNUM, elf.DT_VERDEFNUM:
			add(name, fmt.Sprintf("%d", val), unpack.RoleDerived)
		case elf.DT_FLAGS:
			add(name, elf.DynFlag(val).String(), nil)
		case elf.DT_FLAGS_1:
			add(name, elf.DynFlag1(val).String(), nil)
		default:
			add(name, fmt.Sprintf("%#x", val), nil)
		}
	}
	for _, name := range order {
		if r := roles[name]; r != nil {
			root.AddRoleField(r, name, "%s", strings.Join(values[name], ", "))
		} else {
			root.AddField(name, "%s", strings.Join(values[name], ", "))
		}
	}
	// The unused entries after DT_NULL (the linker reserves a few), and
	// what does not make a whole entry.
	if rest := b[off:]; len(rest) > 0 {
		claims.Add(int64(off), int64(len(rest)), "after DT_NULL")
		if allZero(rest) {
			root.AddField("unused entries", "%d", len(rest)/esz)
		} else {
			root.AddField("after DT_NULL", "%s", hexBounded(rest))
		}
	}
}

// debuglinkView decodes .gnu_debuglink: the name of the file holding the
// debug information, and the CRC-32 of that file.
func (d *sectionData) debuglinkView(root *unpack.Node, claims *layout.Claims, b []byte) {
	i := strings.IndexByte(string(b), 0)
	if i < 0 {
		root.AddErr(unpack.Errorf(layerName, int64(d.s.off), ".gnu_debuglink: no NUL after the file name"))
		root.AddField("debug file", "%s", escapeLine(b))
		claims.Add(0, int64(len(b)), "debug file name")
		return
	}
	root.AddField("debug file", "%s", escapeLine(b[:i]))
	crcOff := (i + 4) &^ 3
	claims.Add(0, int64(min(crcOff, len(b))), "debug file name")
	if p := b[i:min(crcOff, len(b))]; !allZero(p) {
		root.AddField("debug file name padding", "%x", p)
	}
	if crcOff+4 > len(b) {
		root.AddErr(unpack.Errorf(layerName, int64(d.s.off)+int64(crcOff), ".gnu_debuglink: CRC cut short"))
		return
	}
	root.AddField("debug file CRC", "%08x", d.f.bo.Uint32(b[crcOff:]))
	claims.Add(int64(crcOff), 4, "debug file CRC")
	if rest := b[crcOff+4:]; len(rest) > 0 {
		root.AddField("trailing bytes", "%x", rest)
		claims.Add(int64(crcOff+4), int64(len(rest)), "bytes after the CRC")
	}
}
