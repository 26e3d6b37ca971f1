// Package pe reads PE/COFF images (EFI applications and drivers, Windows
// executables, unified kernel images) into a tree of their headers and
// sections.
//
// The headers are read into debug/pe's types (pe.FileHeader,
// pe.OptionalHeader32/64, pe.SectionHeader32) but not with pe.NewFile:
// NewFile refuses any machine it does not list (EFI byte code, LoongArch
// and MIPS EFI images), fails the whole file on a damaged COFF symbol
// table, and does not say where it found what, while a comparison needs
// every header byte placed so that a difference is named by the structure
// that holds it. The reader tests check it against pe.NewFile on every
// fixture.
//
// A layer is:
//
//   - "DOS header": e_lfanew as a field, the DOS header and stub as bytes;
//   - "COFF header" and "optional header": every field, under the
//     specification's names (TimeDateStamp is a timestamp, CheckSum and
//     the sizes are derived), the data directories among them;
//   - one entry per section, named by its name (long names resolved from
//     the COFF string table), with its section table fields and its bytes
//     as Data, up to VirtualSize: equal sections are never read further,
//     and what a section holds (the kernel and initrd of a unified kernel
//     image) is detected and unpacked like any file; a code section of
//     an image with a COFF symbol table is read as its functions, each
//     disassembled when its bytes differ (see codeSection);
//   - "debug directory": each entry's fields, the CodeView record (GUID,
//     age, PDB path) and the reproducible-build hash decoded;
//   - "certificate table": the Authenticode signature, explained as such;
//   - "COFF symbol table", "[overlay]" (bytes after the last section that
//     no table claims) and "[unclaimed bytes]" (gaps and padding that are
//     not zero).
//
// A unified kernel image (systemd-stub with .linux, .initrd, .cmdline,
// .osrel, .uname, .splash, .dtb sections, as systemd-boot and lanzaboote
// load it) is the same tree: its text sections (.cmdline, .osrel, .uname,
// .sbat, ...) hold their text without the NUL padding after it, so that
// they compare as text.
package pe

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"slices"
	"strconv"
	"strings"
	"time"
)

const layerName = "PE"

// Format detects PE images by the MZ header and the PE signature it
// points to.
var Format = unpack.Format{Name: layerName, Match: Match, Open: Open}

// Match reports whether r starts with a DOS header whose e_lfanew points
// at the PE signature, or is a code section of an image this package
// opened whose symbols name functions in it.
func Match(head []byte, r io.ReaderAt, size int64) bool {
	if d, ok := r.(*codeSection); ok {
		return d.hasView()
	}
	if len(head) < 0x40 || head[0] != 'M' || head[1] != 'Z' {
		return false
	}
	off := int64(binary.LittleEndian.Uint32(head[0x3c:]))
	if off < 0x40 || off+4+20 > size {
		return false
	}
	var sig [4]byte
	if n, _ := r.ReadAt(sig[:], off); n < 4 {
		return false
	}
	return string(sig[:]) == "PE\x00\x00"
}

const (
	dosHeaderSize  = 0x40
	fileHeaderSize = 20
	sectionHdrSize = 40
	symbolSize     = 18
	// maxTextSection bounds a section read as text to trim its padding.
	maxTextSection = 16 << 20
	// maxDebugEntries bounds the debug directory entries listed.
	maxDebugEntries = 64
	// maxCertificates bounds the certificates of the certificate table
	// listed.
	maxCertificates = 64
)

// Roles of this format's fields.
var (
	// roleBuildID: an identifier the linker derives from the image (a
	// CodeView GUID made with --build-id or /Brepro, the REPRO hash).
	roleBuildID = &unpack.Role{Kind: unpack.Derived, Cause: "PE build id"}
	// roleSignature: an Authenticode signature, which differs whenever
	// the signed bytes or the signing time do.
	roleSignature = &unpack.Role{Kind: unpack.Derived, Cause: "Authenticode signature"}
)

// Header is what the headers of a PE image say, as read by ReadHeaders.
type Header struct {
	LfaNew     int64 // where the PE signature is
	File       pe.FileHeader
	Optional   any // *pe.OptionalHeader32 or *pe.OptionalHeader64
	OptOff     int64
	Dirs       []pe.DataDirectory
	Sections   []Section
	TableOff   int64 // of the section table
	Strings    []byte
	HeadersEnd int64 // SizeOfHeaders
}

// Section is one section table entry.
type Section struct {
	pe.SectionHeader32
	Name    string // resolved from the string table when it is "/n"
	NameErr string
}

// ReadHeaders reads the DOS, COFF and optional headers and the section
// table. A header cut short or inconsistent is an error naming its offset;
// a long section name that cannot be resolved is kept raw and noted.
func ReadHeaders(r io.ReaderAt, size int64) (*Header, error) {
	var dos [dosHeaderSize]byte
	if err := bin.ReadFull(r, dos[:], 0, layerName, "DOS header"); err != nil {
		return nil, err
	}
	if dos[0] != 'M' || dos[1] != 'Z' {
		return nil, unpack.Errorf(layerName, 0, "no MZ signature: %q", dos[:2])
	}
	h := &Header{LfaNew: int64(binary.LittleEndian.Uint32(dos[0x3c:]))}
	if h.LfaNew < dosHeaderSize || h.LfaNew > size-4-fileHeaderSize {
		return nil, unpack.Errorf(layerName, 0x3c, "e_lfanew 0x%x outside the image (%d bytes)", h.LfaNew, size)
	}
	var b [4 + fileHeaderSize]byte
	if err := bin.ReadFull(r, b[:], h.LfaNew, layerName, "PE signature and COFF header"); err != nil {
		return nil, err
	}
	if string(b[:4]) != "PE\x00\x00" {
		return nil, unpack.Errorf(layerName, h.LfaNew, "no PE signature: %q", b[:4])
	}
	binary.Read(bytes.NewReader(b[4:]), binary.LittleEndian, &h.File)
	h.OptOff = h.LfaNew + 4 + fileHeaderSize
	if err := h.readOptional(r, size); err != nil {
		return nil, err
	}
	h.TableOff = h.OptOff + int64(h.File.SizeOfOptionalHeader)
	n := int64(h.File.NumberOfSections)
	if h.TableOff+n*sectionHdrSize > size {
		return nil, unpack.Errorf(layerName, h.LfaNew+6, "section table of %d entries at 0x%x beyond the end of the image (%d bytes)", n, h.TableOff, size)
	}
	table := make([]byte, n*sectionHdrSize)
	if err := bin.ReadFull(r, table, h.TableOff, layerName, "section table"); err != nil {
		return nil, err
	}
	h.readStrings(r, size)
	h.Sections = make([]Section, n)
	for i := range h.Sections {
		s := &h.Sections[i]
		binary.Read(bytes.NewReader(table[i*sectionHdrSize:]), binary.LittleEndian, &s.SectionHeader32)
		s.Name, s.NameErr = h.sectionName(s.SectionHeader32.Name)
	}
	return h, nil
}

// readOptional reads the optional header and its data directories.
func (h *Header) readOptional(r io.ReaderAt, size int64) error {
	sz := int64(h.File.SizeOfOptionalHeader)
	if sz == 0 {
		return nil // an object file
	}
	if h.OptOff+sz > size {
		return unpack.Errorf(layerName, h.LfaNew+4+16, "optional header of %d bytes beyond the end of the image (%d bytes)", sz, size)
	}
	b := make([]byte, sz)
	if err := bin.ReadFull(r, b, h.OptOff, layerName, "optional header"); err != nil {
		return err
	}
	if sz < 2 {
		return unpack.Errorf(layerName, h.OptOff, "optional header of %d bytes", sz)
	}
	var fixed int64
	var ndirs uint32
	switch magic := binary.LittleEndian.Uint16(b); magic {
	case 0x10b:
		var o pe.OptionalHeader32
		fixed = 96
		if sz < fixed {
			return unpack.Errorf(layerName, h.OptOff, "PE32 optional header of %d bytes, %d at least", sz, fixed)
		}
		readFixed(b[:fixed], &o)
		h.Optional, ndirs = &o, o.NumberOfRvaAndSizes
	case 0x20b:
		var o pe.OptionalHeader64
		fixed = 112
		if sz < fixed {
			return unpack.Errorf(layerName, h.OptOff, "PE32+ optional header of %d bytes, %d at least", sz, fixed)
		}
		readFixed(b[:fixed], &o)
		h.Optional, ndirs = &o, o.NumberOfRvaAndSizes
	default:
		return unpack.Errorf(layerName, h.OptOff, "optional header magic 0x%x (neither PE32 0x10b nor PE32+ 0x20b)", magic)
	}
	// The directories that fit in the header, however many it claims:
	// the claim itself is a field, and bytes past them stay unclaimed.
	n := min(int64(ndirs), (sz-fixed)/8)
	h.Dirs = make([]pe.DataDirectory, n)
	for i := range h.Dirs {
		p := fixed + int64(i)*8
		h.Dirs[i] = pe.DataDirectory{VirtualAddress: binary.LittleEndian.Uint32(b[p:]), Size: binary.LittleEndian.Uint32(b[p+4:])}
	}
	switch o := h.Optional.(type) {
	case *pe.OptionalHeader32:
		h.HeadersEnd = int64(o.SizeOfHeaders)
	case *pe.OptionalHeader64:
		h.HeadersEnd = int64(o.SizeOfHeaders)
	}
	return nil
}

// readFixed decodes the fixed fields of an optional header into o, whose
// DataDirectory array is left zero: the directories are read apart, as
// many as the header holds.
func readFixed(fixed []byte, o any) {
	buf := make([]byte, len(fixed)+16*8)
	copy(buf, fixed)
	binary.Read(bytes.NewReader(buf), binary.LittleEndian, o)
}

// readStrings reads the COFF string table, which follows the symbol
// table; a table that is not there leaves long names unresolved.
func (h *Header) readStrings(r io.ReaderAt, size int64) {
	if h.File.PointerToSymbolTable == 0 {
		return
	}
	off := int64(h.File.PointerToSymbolTable) + symbolSize*int64(h.File.NumberOfSymbols)
	var lb [4]byte
	if off+4 > size {
		return
	}
	if n, _ := r.ReadAt(lb[:], off); n < 4 {
		return
	}
	l := int64(binary.LittleEndian.Uint32(lb[:]))
	if l < 4 || off+l > size {
		return
	}
	h.Strings = make([]byte, l)
	if err := bin.ReadFull(r, h.Strings, off, layerName, "COFF string table"); err != nil {
		h.Strings = nil
	}
}

// StringTableEnd is where the COFF symbol and string tables end, 0 when
// there are none.
func (h *Header) StringTableEnd() int64 {
	if h.File.PointerToSymbolTable == 0 {
		return 0
	}
	end := int64(h.File.PointerToSymbolTable) + symbolSize*int64(h.File.NumberOfSymbols)
	if h.Strings != nil {
		end += int64(len(h.Strings))
	}
	return end
}

// sectionName resolves a section table name: "/n" names the string at
// offset n of the string table.
func (h *Header) sectionName(raw [8]uint8) (string, string) {
	name := string(raw[:])
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	if !strings.HasPrefix(name, "/") {
		return name, ""
	}
	k, err := strconv.ParseUint(name[1:], 10, 32)
	if err != nil || h.Strings == nil || k < 4 || k >= uint64(len(h.Strings)) {
		return name, "long name " + strconv.Quote(name) + " not in the COFF string table"
	}
	s := h.Strings[k:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s), ""
}

// fileOffset maps an RVA to a file offset through the section holding it.
func (h *Header) fileOffset(rva, n uint32) (int64, bool) {
	for _, s := range h.Sections {
		size := max(s.VirtualSize, s.SizeOfRawData)
		if rva >= s.VirtualAddress && uint64(rva)+uint64(n) <= uint64(s.VirtualAddress)+uint64(min(size, s.SizeOfRawData)) {
			return int64(s.PointerToRawData) + int64(rva-s.VirtualAddress), true
		}
	}
	return 0, false
}

// IsUKI reports whether the image is a unified kernel image: a PE with a
// .linux section.
func (h *Header) IsUKI() bool {
	return slices.ContainsFunc(h.Sections, func(s Section) bool { return s.Name == ".linux" })
}

// textSections hold text: UKI metadata and the SBAT table.
var textSections = map[string]bool{".cmdline": true, ".osrel": true, ".uname": true, ".sbat": true,
	".sdmagic": true, ".pcrsig": true, ".pcrpkey": true, ".profile": true}

var dirNames = []string{"ExportTable", "ImportTable", "ResourceTable", "ExceptionTable", "CertificateTable",
	"BaseRelocationTable", "Debug", "Architecture", "GlobalPtr", "TLSTable", "LoadConfigTable", "BoundImport",
	"IAT", "DelayImportDescriptor", "CLRRuntimeHeader", "Reserved"}

func dirName(i int) string {
	if i < len(dirNames) {
		return dirNames[i]
	}
	return fmt.Sprintf("DataDirectory[%d]", i)
}

// timeStamp shows a TimeDateStamp: seconds since 1970, or 0 where the
// linker wrote none.
func timeStamp(t uint32) string {
	if t == 0 {
		return "0"
	}
	return fmt.Sprintf("%s (0x%08x)", time.Unix(int64(t), 0).UTC().Format(time.RFC3339), t)
}

// HeaderNodes returns the nodes of the DOS, COFF and optional headers and
// the section table records (fields only, no bytes), and claims their
// bytes: what a layer that holds a PE header in its own structure (a
// bzImage with an EFI stub) shows of it.
func (h *Header) HeaderNodes(r io.ReaderAt, claims *layout.Claims) []*unpack.Node {
	dos := &unpack.Node{Name: "DOS header", Type: unpack.TypeRecord, Layer: layerName, Offset: 0,
		Data: io.NewSectionReader(r, 0, h.LfaNew)}
	dos.AddField("e_lfanew", "0x%x", h.LfaNew)
	claims.Add(0, h.LfaNew, "DOS header and stub")
	claims.Add(h.LfaNew, 4, "PE signature")

	coff := &unpack.Node{Name: "COFF header", Type: unpack.TypeRecord, Layer: layerName, Offset: h.LfaNew + 4}
	fh := h.File
	coff.AddField("Machine", "%s", machineName(fh.Machine))
	coff.AddRoleField(unpack.RoleDerived, "NumberOfSections", "%d", fh.NumberOfSections)
	coff.AddRoleField(unpack.RoleTime, "TimeDateStamp", "%s", timeStamp(fh.TimeDateStamp))
	coff.AddRoleField(unpack.RolePlacement, "PointerToSymbolTable", "0x%x", fh.PointerToSymbolTable)
	coff.AddRoleField(unpack.RoleDerived, "NumberOfSymbols", "%d", fh.NumberOfSymbols)
	coff.AddField("SizeOfOptionalHeader", "%d", fh.SizeOfOptionalHeader)
	coff.AddField("Characteristics", "%s", flagString(uint32(fh.Characteristics), fileFlags))
	for i, name := range []string{"Machine", "NumberOfSections", "TimeDateStamp", "PointerToSymbolTable", "NumberOfSymbols", "SizeOfOptionalHeader", "Characteristics"} {
		off, n := coffFieldAt(i)
		claims.Add(h.LfaNew+4+off, n, "COFF header: "+name)
	}
	nodes := []*unpack.Node{dos, coff}
	if h.Optional != nil {
		nodes = append(nodes, h.optionalNode(claims))
	}
	return nodes
}

// coffFieldAt is the offset and size of the i-th COFF header field.
func coffFieldAt(i int) (int64, int64) {
	offs := []int64{0, 2, 4, 8, 12, 16, 18, 20}
	return offs[i], offs[i+1] - offs[i]
}

// optionalNode is the optional header with its data directories.
func (h *Header) optionalNode(claims *layout.Claims) *unpack.Node {
	n := &unpack.Node{Name: "optional header", Type: unpack.TypeRecord, Layer: layerName, Offset: h.OptOff}
	var fixed int64
	add := func(role *unpack.Role, name, format string, v ...any) {
		if role == nil {
			n.AddField(name, format, v...)
		} else {
			n.AddRoleField(role, name, format, v...)
		}
	}
	// The two forms differ in the width of five fields and in BaseOfData,
	// which only PE32 has: one list of fields, from the wider form.
	var o *pe.OptionalHeader64
	form := "PE32+"
	switch v := h.Optional.(type) {
	case *pe.OptionalHeader32:
		fixed, form = 96, "PE32"
		o = widen(v)
	case *pe.OptionalHeader64:
		fixed, o = 112, v
	}
	if o != nil {
		add(nil, "Magic", "%s (0x%x)", form, o.Magic)
		add(nil, "LinkerVersion", "%d.%d", o.MajorLinkerVersion, o.MinorLinkerVersion)
		add(unpack.RoleDerived, "SizeOfCode", "%d", o.SizeOfCode)
		add(unpack.RoleDerived, "SizeOfInitializedData", "%d", o.SizeOfInitializedData)
		add(unpack.RoleDerived, "SizeOfUninitializedData", "%d", o.SizeOfUninitializedData)
		add(nil, "AddressOfEntryPoint", "0x%x", o.AddressOfEntryPoint)
		add(nil, "BaseOfCode", "0x%x", o.BaseOfCode)
		if v, ok := h.Optional.(*pe.OptionalHeader32); ok {
			add(nil, "BaseOfData", "0x%x", v.BaseOfData)
		}
		add(nil, "ImageBase", "0x%x", o.ImageBase)
		add(nil, "SectionAlignment", "0x%x", o.SectionAlignment)
		add(nil, "FileAlignment", "0x%x", o.FileAlignment)
		add(nil, "OperatingSystemVersion", "%d.%d", o.MajorOperatingSystemVersion, o.MinorOperatingSystemVersion)
		add(nil, "ImageVersion", "%d.%d", o.MajorImageVersion, o.MinorImageVersion)
		add(nil, "SubsystemVersion", "%d.%d", o.MajorSubsystemVersion, o.MinorSubsystemVersion)
		add(nil, "Win32VersionValue", "%d", o.Win32VersionValue)
		add(unpack.RoleDerived, "SizeOfImage", "0x%x", o.SizeOfImage)
		add(nil, "SizeOfHeaders", "0x%x", o.SizeOfHeaders)
		add(unpack.RoleDerived, "CheckSum", "0x%08x", o.CheckSum)
		add(nil, "Subsystem", "%s", subsystemName(o.Subsystem))
		add(nil, "DllCharacteristics", "%s", flagString(uint32(o.DllCharacteristics), dllFlags))
		add(nil, "SizeOfStackReserve", "0x%x", o.SizeOfStackReserve)
		add(nil, "SizeOfStackCommit", "0x%x", o.SizeOfStackCommit)
		add(nil, "SizeOfHeapReserve", "0x%x", o.SizeOfHeapReserve)
		add(nil, "SizeOfHeapCommit", "0x%x", o.SizeOfHeapCommit)
		add(nil, "LoaderFlags", "0x%x", o.LoaderFlags)
		add(nil, "NumberOfRvaAndSizes", "%d", o.NumberOfRvaAndSizes)
	}
	claims.Add(h.OptOff, fixed, "optional header")
	for i, d := range h.Dirs {
		claims.Addf(h.OptOff+fixed+int64(i)*8, 8, "optional header: data directory %s", dirName(i))
		if d.VirtualAddress == 0 && d.Size == 0 {
			// Absent: a directory that appears on one side shows.
			continue
		}
		if i == certificateDir {
			n.AddField(dirName(i), "file offset 0x%x, %d bytes", d.VirtualAddress, d.Size)
			continue
		}
		n.AddField(dirName(i), "RVA 0x%x, %d bytes", d.VirtualAddress, d.Size)
	}
	return n
}

// certificateDir is the index of the certificate table, whose "virtual
// address" is a file offset.
const certificateDir = 4

// debugDir is the index of the debug directory.
const debugDir = 6

// widen is a PE32 optional header in the PE32+ form (less BaseOfData),
// every value the same.
func widen(o *pe.OptionalHeader32) *pe.OptionalHeader64 {
	return &pe.OptionalHeader64{
		Magic: o.Magic, MajorLinkerVersion: o.MajorLinkerVersion, MinorLinkerVersion: o.MinorLinkerVersion,
		SizeOfCode: o.SizeOfCode, SizeOfInitializedData: o.SizeOfInitializedData, SizeOfUninitializedData: o.SizeOfUninitializedData,
		AddressOfEntryPoint: o.AddressOfEntryPoint, BaseOfCode: o.BaseOfCode, ImageBase: uint64(o.ImageBase),
		SectionAlignment: o.SectionAlignment, FileAlignment: o.FileAlignment,
		MajorOperatingSystemVersion: o.MajorOperatingSystemVersion, MinorOperatingSystemVersion: o.MinorOperatingSystemVersion,
		MajorImageVersion: o.MajorImageVersion, MinorImageVersion: o.MinorImageVersion,
		MajorSubsystemVersion: o.MajorSubsystemVersion, MinorSubsystemVersion: o.MinorSubsystemVersion,
		Win32VersionValue: o.Win32VersionValue, SizeOfImage: o.SizeOfImage, SizeOfHeaders: o.SizeOfHeaders, CheckSum: o.CheckSum,
		Subsystem: o.Subsystem, DllCharacteristics: o.DllCharacteristics,
		SizeOfStackReserve: uint64(o.SizeOfStackReserve), SizeOfStackCommit: uint64(o.SizeOfStackCommit),
		SizeOfHeapReserve: uint64(o.SizeOfHeapReserve), SizeOfHeapCommit: uint64(o.SizeOfHeapCommit),
		LoaderFlags: o.LoaderFlags, NumberOfRvaAndSizes: o.NumberOfRvaAndSizes,
	}
}

// sectionFields gives n the fields of a section table entry and claims
// the entry's bytes.
func (h *Header) sectionFields(n *unpack.Node, i int, claims *layout.Claims) {
	s := &h.Sections[i]
	n.AddRoleField(unpack.RoleDerived, "VirtualSize", "0x%x", s.VirtualSize)
	n.AddRoleField(unpack.RolePlacement, "VirtualAddress", "0x%x", s.VirtualAddress)
	n.AddRoleField(unpack.RoleDerived, "SizeOfRawData", "0x%x", s.SizeOfRawData)
	n.AddRoleField(unpack.RolePlacement, "PointerToRawData", "0x%x", s.PointerToRawData)
	if s.PointerToRelocations != 0 || s.NumberOfRelocations != 0 {
		n.AddRoleField(unpack.RolePlacement, "PointerToRelocations", "0x%x", s.PointerToRelocations)
		n.AddField("NumberOfRelocations", "%d", s.NumberOfRelocations)
	}
	if s.PointerToLineNumbers != 0 || s.NumberOfLineNumbers != 0 {
		n.AddRoleField(unpack.RolePlacement, "PointerToLinenumbers", "0x%x", s.PointerToLineNumbers)
		n.AddField("NumberOfLinenumbers", "%d", s.NumberOfLineNumbers)
	}
	n.AddField("Characteristics", "%s", flagString(s.Characteristics, sectionFlags))
	// The raw name where it is not the name shown: a string table
	// reference, or bytes after the NUL that ends it.
	raw := s.SectionHeader32.Name[:]
	if shown := strings.TrimRight(string(raw), "\x00"); shown != s.Name || strings.IndexByte(shown, 0) >= 0 {
		n.AddField("Name bytes", "%q", raw)
	}
	if s.NameErr != "" {
		n.AddErr(unpack.Errorf(layerName, h.TableOff+int64(i)*sectionHdrSize, "%s", s.NameErr))
	}
	claims.Addf(h.TableOff+int64(i)*sectionHdrSize, sectionHdrSize, "section table: %s", s.Name)
}

// SectionRecord is the section table entry i, named name, as a record
// of its fields; its bytes are claimed.
func (h *Header) SectionRecord(i int, name string, claims *layout.Claims) *unpack.Node {
	n := &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: layerName, Offset: h.TableOff + int64(i)*sectionHdrSize}
	h.sectionFields(n, i, claims)
	return n
}

// SectionNames names the sections uniquely: a name that repeats gets
// its ordinal.
func (h *Header) SectionNames() []string {
	names := make([]string, len(h.Sections))
	seen := map[string]int{}
	for i, s := range h.Sections {
		name := s.Name
		if name == "" {
			name = "[unnamed]"
		}
		if reserved[name] {
			name += " (section)"
		}
		seen[name]++
		if k := seen[name]; k > 1 {
			name = fmt.Sprintf("%s (%d)", name, k)
		}
		names[i] = name
	}
	return names
}

// reserved are the names of this layer's other entries, which a section
// named so must not take.
var reserved = map[string]bool{"DOS header": true, "COFF header": true, "optional header": true,
	"debug directory": true, "certificate table": true, "COFF symbol table": true, "[overlay]": true,
	layout.UnclaimedName: true}

// Open reads a PE image: headers, sections, debug directory, certificate
// table, symbol table and overlay. Every byte is claimed by one of them
// or shown in "[unclaimed bytes]".
func Open(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	if d, ok := r.(*codeSection); ok {
		return d.open(), nil
	}
	h, err := ReadHeaders(r, size)
	if err != nil {
		return nil, err
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	if h.IsUKI() {
		root.AddField("image", "unified kernel image")
	}
	claims := &layout.Claims{}
	root.Children = h.HeaderNodes(r, claims)
	for _, c := range root.Children {
		root.AddOrder(c.Name)
	}
	tableEnd := h.TableOff + int64(len(h.Sections))*sectionHdrSize
	claimZeros(r, claims, tableEnd, min(max(h.HeadersEnd, tableEnd), size), "header padding")

	names := h.SectionNames()
	var patches [][]unpack.Patch
	var dbg *unpack.Node
	dbg, patches = h.debugDirectory(r, size)
	lastEnd := max(h.HeadersEnd, tableEnd)
	code := newCodeFile(r, size, h)
	for i, s := range h.Sections {
		n := &unpack.Node{Name: names[i], Type: unpack.TypeFile, Layer: layerName, Offset: int64(s.PointerToRawData)}
		h.sectionFields(n, i, claims)
		h.sectionData(r, size, n, i, patches[i], claims)
		if sr, ok := n.Data.(*io.SectionReader); ok && code != nil && h.isCode(i) {
			n.Data = &codeSection{SectionReader: sr, c: code, index: i}
		}
		root.Children = append(root.Children, n)
		root.AddOrder(n.Name)
		if s.PointerToRawData != 0 {
			lastEnd = max(lastEnd, min(int64(s.PointerToRawData)+int64(s.SizeOfRawData), size))
		}
	}
	if dbg != nil {
		root.Children = append(root.Children, dbg)
		root.AddOrder(dbg.Name)
	}
	if end := h.StringTableEnd(); end > 0 {
		start := int64(h.File.PointerToSymbolTable)
		n := &unpack.Node{Name: "COFF symbol table", Type: unpack.TypeRecord, Layer: layerName, Offset: start}
		if end > size {
			n.AddErr(unpack.Errorf(layerName, start, "symbol table of %d symbols beyond the end of the image (%d bytes)", h.File.NumberOfSymbols, size))
			end = size
		}
		if start < size {
			n.Data = io.NewSectionReader(r, start, end-start)
			claims.Add(start, end-start, "COFF symbol and string tables")
		}
		root.Children = append(root.Children, n)
		root.AddOrder(n.Name)
	}
	if n := h.certificateTable(r, size, claims); n != nil {
		root.Children = append(root.Children, n)
		root.AddOrder(n.Name)
	}
	// Bytes after the last section that no table claims: data appended
	// to the image (a self-extractor's payload, debug data).
	if lastEnd < size {
		for _, u := range claims.Unclaimed(size) {
			if u.Start < lastEnd {
				continue
			}
			n := &unpack.Node{Name: "[overlay]", Type: unpack.TypeFile, Layer: layerName, Offset: u.Start,
				Data: io.NewSectionReader(r, u.Start, u.Len())}
			claims.Add(u.Start, u.Len(), "overlay")
			root.Children = append(root.Children, n)
			root.AddOrder(n.Name)
			break
		}
	}
	if len(claims.Unclaimed(size)) > 0 {
		root.Children = append(root.Children, claims.UnclaimedNode(layerName, r, size))
	}
	root.SetLayout(claims)
	root.Sort()
	return root, nil
}

// sectionData gives a section's node its bytes: up to VirtualSize (the
// rest of SizeOfRawData is file alignment padding), without the NULs
// after the text of a text section. Padding that is all zeros is claimed;
// any other is left to "[unclaimed bytes]".
func (h *Header) sectionData(r io.ReaderAt, size int64, n *unpack.Node, i int, patches []unpack.Patch, claims *layout.Claims) {
	s := h.Sections[i]
	if s.PointerToRawData == 0 || s.SizeOfRawData == 0 {
		return
	}
	start, raw := int64(s.PointerToRawData), int64(s.SizeOfRawData)
	if start >= size {
		n.AddErr(unpack.Errorf(layerName, h.TableOff+int64(i)*sectionHdrSize+20, "section data at 0x%x beyond the end of the image (%d bytes)", start, size))
		return
	}
	if start+raw > size {
		n.AddErr(unpack.Errorf(layerName, h.TableOff+int64(i)*sectionHdrSize+16, "section data of %d bytes at 0x%x cut by the end of the image (%d bytes)", raw, start, size))
		raw = size - start
	}
	used := raw
	if s.VirtualSize != 0 && int64(s.VirtualSize) < used {
		used = int64(s.VirtualSize)
	}
	if textSections[s.Name] && used <= maxTextSection {
		b := make([]byte, used)
		if err := bin.ReadFull(r, b, start, layerName, "section "+s.Name); err == nil {
			used = int64(len(bytes.TrimRight(b, "\x00")))
		}
	}
	var d unpack.Data = io.NewSectionReader(r, start, used)
	if len(patches) > 0 {
		var kept []unpack.Patch
		for _, p := range patches {
			if p.End <= used {
				kept = append(kept, p)
			}
		}
		d = &patched{SectionReader: io.NewSectionReader(r, start, used), patches: kept}
	}
	n.Data = d
	claims.Addf(start, used, "section %s", s.Name)
	claimZeros(r, claims, start+used, start+raw, "padding of section "+s.Name)
}

// claimZeros claims [start, end) as what when every byte there is zero.
func claimZeros(r io.ReaderAt, claims *layout.Claims, start, end int64, what string) {
	if start >= end {
		return
	}
	if bin.ZeroRun(r, start, end) == end-start {
		claims.Add(start, end-start, what)
	}
}

// patched is a section's bytes with the ranges the debug directory
// describes, which differ whenever the link time or the build id does.
type patched struct {
	*io.SectionReader
	patches []unpack.Patch
}

func (p *patched) Patches() []unpack.Patch { return p.patches }

// debugDirectory reads the debug directory's entries, and returns, per
// section, the ranges of its bytes that a timestamp or build id fills.
func (h *Header) debugDirectory(r io.ReaderAt, size int64) (*unpack.Node, [][]unpack.Patch) {
	patches := make([][]unpack.Patch, len(h.Sections))
	if len(h.Dirs) <= debugDir || h.Dirs[debugDir].Size == 0 {
		return nil, patches
	}
	d := h.Dirs[debugDir]
	node := &unpack.Node{Name: "debug directory", Type: unpack.TypeRecord, Layer: layerName, Offset: -1}
	node.SetPositional(true)
	off, ok := h.fileOffset(d.VirtualAddress, d.Size)
	if !ok {
		node.AddErr(unpack.Errorf(layerName, h.OptOff, "debug directory at RVA 0x%x (%d bytes) in no section's bytes", d.VirtualAddress, d.Size))
		return node, patches
	}
	node.Offset = off
	count := int64(d.Size) / 28
	if count > maxDebugEntries {
		node.AddErr(unpack.Errorf(layerName, off, "%d debug directory entries, the first %d listed", count, maxDebugEntries))
		count = maxDebugEntries
	}
	// patch records a range of the image as a patch of the section that
	// holds it.
	patch := func(fileOff, n int64, role *unpack.Role) {
		for i, s := range h.Sections {
			start := int64(s.PointerToRawData)
			if s.PointerToRawData != 0 && fileOff >= start && fileOff+n <= start+int64(s.SizeOfRawData) {
				patches[i] = append(patches[i], unpack.Patch{Range: unpack.Range{Start: fileOff - start, End: fileOff - start + n}, Role: role})
				return
			}
		}
	}
	for k := range count {
		var e [28]byte
		eoff := off + k*28
		if err := bin.ReadFull(r, e[:], eoff, layerName, "debug directory entry"); err != nil {
			node.AddErr(err)
			break
		}
		typ := binary.LittleEndian.Uint32(e[12:])
		c := &unpack.Node{Name: fmt.Sprintf("%d %s", k, debugTypeName(typ)), Type: unpack.TypeRecord, Layer: layerName, Offset: eoff}
		c.AddField("Characteristics", "0x%x", binary.LittleEndian.Uint32(e[0:]))
		c.AddRoleField(unpack.RoleTime, "TimeDateStamp", "%s", timeStamp(binary.LittleEndian.Uint32(e[4:])))
		patch(eoff+4, 4, unpack.RoleTime)
		c.AddField("Version", "%d.%d", binary.LittleEndian.Uint16(e[8:]), binary.LittleEndian.Uint16(e[10:]))
		c.AddField("Type", "%d", typ)
		dsize := binary.LittleEndian.Uint32(e[16:])
		c.AddRoleField(unpack.RoleDerived, "SizeOfData", "%d", dsize)
		c.AddRoleField(unpack.RolePlacement, "AddressOfRawData", "0x%x", binary.LittleEndian.Uint32(e[20:]))
		ptr := int64(binary.LittleEndian.Uint32(e[24:]))
		c.AddRoleField(unpack.RolePlacement, "PointerToRawData", "0x%x", ptr)
		if ptr != 0 && dsize > 0 && dsize <= 4096 && ptr+int64(dsize) <= size {
			b := make([]byte, dsize)
			if err := bin.ReadFull(r, b, ptr, layerName, "debug data"); err != nil {
				c.AddErr(err)
			} else if decodeDebugData(c, typ, b, ptr) {
				patch(ptr, int64(dsize), roleBuildID)
			}
		}
		node.Children = append(node.Children, c)
	}
	return node, patches
}

// decodeDebugData shows the CodeView and REPRO records; it reports
// whether the bytes are a build id.
func decodeDebugData(c *unpack.Node, typ uint32, b []byte, off int64) bool {
	switch typ {
	case debugCodeView:
		if len(b) < 24 || string(b[:4]) != "RSDS" {
			c.AddField("CodeView record", "%x", b[:min(len(b), 64)])
			return false
		}
		g := b[4:20]
		c.AddRoleField(roleBuildID, "CodeView GUID", "%08x-%04x-%04x-%x-%x", binary.LittleEndian.Uint32(g), binary.LittleEndian.Uint16(g[4:]),
			binary.LittleEndian.Uint16(g[6:]), g[8:10], g[10:16])
		c.AddRoleField(roleBuildID, "CodeView age", "%d", binary.LittleEndian.Uint32(b[20:]))
		path := b[24:]
		if i := bytes.IndexByte(path, 0); i >= 0 {
			if tail := path[i+1:]; !bin.AllZero(tail) {
				c.AddField("bytes after the PDB path", "%x", tail)
			}
			path = path[:i]
		}
		c.AddField("PDB path", "%q", path)
		return true
	case debugRepro:
		if len(b) >= 4 && int(binary.LittleEndian.Uint32(b)) == len(b)-4 {
			c.AddRoleField(roleBuildID, "REPRO hash", "%x", b[4:])
		} else {
			c.AddRoleField(roleBuildID, "REPRO hash", "%x", b)
		}
		return true
	}
	c.AddField("data", "%x", b)
	return false
}

// certificateTable is the Authenticode signature, its WIN_CERTIFICATE
// headers as fields.
func (h *Header) certificateTable(r io.ReaderAt, size int64, claims *layout.Claims) *unpack.Node {
	if len(h.Dirs) <= certificateDir || h.Dirs[certificateDir].Size == 0 {
		return nil
	}
	d := h.Dirs[certificateDir]
	off, n := int64(d.VirtualAddress), int64(d.Size)
	node := &unpack.Node{Name: "certificate table", Type: unpack.TypeFile, Layer: layerName, Offset: off}
	if off >= size || off+n > size {
		node.AddErr(unpack.Errorf(layerName, h.OptOff, "certificate table at 0x%x (%d bytes) beyond the end of the image (%d bytes)", off, n, size))
		if off >= size {
			return node
		}
		n = size - off
	}
	node.Data = &patched{SectionReader: io.NewSectionReader(r, off, n), patches: []unpack.Patch{{Range: unpack.Range{Start: 0, End: n}, Role: roleSignature}}}
	claims.Add(off, n, "certificate table")
	for k, p := 0, int64(0); p+8 <= n; k++ {
		if k == maxCertificates {
			node.AddErr(unpack.Errorf(layerName, off+p, "more than %d certificates", maxCertificates))
			break
		}
		var hb [8]byte
		if err := bin.ReadFull(r, hb[:], off+p, layerName, "WIN_CERTIFICATE"); err != nil {
			node.AddErr(err)
			break
		}
		l := int64(binary.LittleEndian.Uint32(hb[:]))
		node.AddRoleField(unpack.RoleDerived, fmt.Sprintf("certificate %d dwLength", k), "%d", l)
		node.AddField(fmt.Sprintf("certificate %d wRevision", k), "0x%04x", binary.LittleEndian.Uint16(hb[4:]))
		node.AddField(fmt.Sprintf("certificate %d wCertificateType", k), "%s", certTypeName(binary.LittleEndian.Uint16(hb[6:])))
		if l < 8 {
			node.AddErr(unpack.Errorf(layerName, off+p, "WIN_CERTIFICATE dwLength %d", l))
			break
		}
		p += (l + 7) &^ 7
	}
	return node
}
