// Package tar reads tar archives (POSIX ustar and pax, GNU, v7 headers
// found after a ustar one) into a tree of their members.
package tar

// The archive is walked here block by block, so that the place of every
// header, extended header, data and padding block is known; each member's
// headers are then decoded by archive/tar, which knows the pax records,
// GNU long names, base-256 numbers and sparse maps. archive/tar alone
// would hide where a member lies, the headers of the extended headers (a
// pax header's name holds the process id of GNU tar by default), the
// checksums, the padding, and how the archive ends.

import (
	stdtar "archive/tar"
	"bytes"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/pathtree"
	"isodiff/unpack/internal/show"
	"isodiff/unpack/internal/trailing"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	layerName = "tar"
	blockSize = 512
	// MaxMembers bounds the members of one archive.
	MaxMembers = 4_000_000
	// maxExtended bounds the data of one extended header (pax records, a
	// long name), which is read into memory.
	maxExtended = 1 << 20
	// maxExtendedPerMember bounds the extended headers before a member.
	maxExtendedPerMember = 16
	// maxSparseBlocks bounds the extension blocks of an old GNU sparse
	// header.
	maxSparseBlocks = 4096
)

// Format detects tar archives by the ustar magic of their first header,
// whose checksum must hold.
var Format = unpack.Format{Name: layerName, Match: matchTar, Open: Open}

func matchTar(head []byte, _ io.ReaderAt, _ int64) bool {
	if len(head) < blockSize {
		return false
	}
	b := head[:blockSize]
	if string(b[257:263]) != "ustar\x00" && string(b[257:265]) != "ustar  \x00" {
		return false
	}
	return checksumOK(b)
}

// checksumOK: the sum of the header's bytes with the checksum field read
// as spaces, unsigned (or signed, as some old tars summed).
func checksumOK(b []byte) bool {
	want, ok := parseOctal(b[148:156])
	if !ok {
		return false
	}
	u, s := sums(b)
	return want == u || want == uint64(s)
}

func sums(b []byte) (unsigned uint64, signed int64) {
	for i, c := range b[:blockSize] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		unsigned += uint64(c)
		signed += int64(int8(c))
	}
	return unsigned, signed
}

// parseOctal reads an octal field: leading spaces, digits, then NULs or
// spaces.
func parseOctal(b []byte) (uint64, bool) {
	s := strings.TrimRight(strings.TrimLeft(string(b), " "), " \x00")
	if s == "" {
		return 0, true
	}
	v, err := strconv.ParseUint(s, 8, 64)
	return v, err == nil
}

// parseSize reads the size field: octal, or base-256 with the high bit of
// the first byte set (GNU, for sizes of 8 GiB and more).
func parseSize(b []byte) (int64, bool) {
	f := b[124:136]
	if f[0]&0x80 != 0 {
		if f[0] != 0x80 || bytes.ContainsFunc(f[1:4], func(r rune) bool { return r != 0 }) {
			return 0, false // negative, or more than 2^63
		}
		var v uint64
		for _, c := range f[4:] {
			v = v<<8 | uint64(c)
		}
		return int64(v & (1<<63 - 1)), v < 1<<63
	}
	v, ok := parseOctal(f)
	return int64(v), ok && v < 1<<62
}

// headerOnly are the types whose size field counts no data blocks, as
// archive/tar and GNU tar read them.
func headerOnly(flag byte) bool {
	switch flag {
	case stdtar.TypeLink, stdtar.TypeSymlink, stdtar.TypeChar, stdtar.TypeBlock, stdtar.TypeDir, stdtar.TypeFifo:
		return true
	}
	return false
}

func extendedType(flag byte) bool {
	return flag == stdtar.TypeXHeader || flag == stdtar.TypeGNULongName || flag == stdtar.TypeGNULongLink
}

// member is where one member's blocks lie.
type member struct {
	start    int64 // first extended header, or the header
	header   int64 // the member's own header
	dataOff  int64
	stored   int64 // data bytes stored
	end      int64 // after the data's padding
	extended []int64
	name     string // as the header block spells it, for naming bytes
}

// Open reads a tar archive up to its end-of-archive blocks: a tree of its
// members, with their headers' fields; the end of the archive and what
// follows as the root's fields or "[trailing bytes]".
func Open(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	var first [blockSize]byte
	if err := bin.ReadFull(r, first[:], 0, layerName, "first header"); err != nil {
		return nil, err
	}
	if !checksumOK(first[:]) {
		return nil, unpack.Errorf(layerName, 148, "first header: checksum does not match")
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	tree := pathtree.New(layerName)
	lay := &tarLayout{}
	lay.namer.Name = lay.name
	var members []*member
	var globals []*unpack.Node
	type memberFormat struct {
		node   *unpack.Node
		format string
	}
	var formats []memberFormat
	off := int64(0)
	end := int64(-1)
	block := make([]byte, blockSize)
	read := func(at int64) error {
		return bin.ReadFull(r, block, at, layerName, "header block")
	}
	for {
		if len(members) >= MaxMembers {
			root.AddErr(unpack.Errorf(layerName, off, "more than %d members: the rest is not read", MaxMembers))
			break
		}
		if off+blockSize > size {
			if off < size {
				root.AddErr(unpack.Errorf(layerName, off, "%d bytes after the last member, less than a block", size-off))
			} else {
				root.AddField("end of archive", "none: the input ends after the last member")
				end = off
			}
			break
		}
		if err := read(off); err != nil {
			root.AddErr(err)
			break
		}
		if bin.AllZero(block) {
			end = endBlocks(r, root, lay, off, size)
			break
		}
		m, err := readMember(r, block, off, size)
		if err != nil {
			root.AddErr(err)
			break
		}
		members = append(members, m)
		lay.members = append(lay.members, m)
		lay.claims.AddNamed(m.start, m.end-m.start, &lay.namer)
		n, flag, format := memberNode(r, m)
		formats = append(formats, memberFormat{n, format})
		if flag == stdtar.TypeXGlobalHeader {
			n.Name = fmt.Sprintf("[pax global header %d]", len(globals)+1)
			globals = append(globals, n)
		} else {
			comps := show.PathComponents(m.name)
			tree.Add(comps, n, m.header)
		}
		off = m.end
	}
	// Where every member has the archive's format, the archive says it
	// once; else every member says its own.
	sameFormat := true
	for _, f := range formats {
		sameFormat = sameFormat && f.format == formats[0].format
	}
	if sameFormat && len(formats) > 0 {
		root.AddField("format", "%s", formats[0].format)
	} else {
		for _, f := range formats {
			f.node.AddField("format", "%s", f.format)
		}
	}
	root.AddRoleField(unpack.RoleDerived, "members", "%d", len(members))
	if end >= 0 {
		root.AddRoleField(unpack.RoleDerived, "archive size", "%d", end)
		trailing.Add(root, layerName, r, end, size)
		if _, zeros := root.Field("padding"); zeros {
			lay.claims.Add(end, size-end, "zero padding after the end of the archive")
		} else {
			lay.claims.Add(end, size-end, "trailing bytes")
		}
	}
	unpack.RecordOrders(tree.Root) // members join their parents in archive order
	root.Children = append(root.Children, tree.Root)
	root.Children = append(root.Children, globals...)
	if len(lay.claims.Unclaimed(size)) > 0 {
		root.Children = append(root.Children, lay.claims.UnclaimedNode(layerName, r, size))
	}
	root.SetLayout(&lay.claims)
	root.Sort()
	return root, nil
}

// endBlocks reads the end-of-archive blocks at off (the first is zero)
// and returns where the archive ends.
func endBlocks(r io.ReaderAt, root *unpack.Node, lay *tarLayout, off, size int64) int64 {
	if off+2*blockSize > size {
		root.AddField("end of archive", "one zero block")
		lay.claims.Add(off, blockSize, "end-of-archive block")
		return off + blockSize
	}
	second := make([]byte, blockSize)
	if err := bin.ReadFull(r, second, off+blockSize, layerName, "end-of-archive block"); err != nil {
		root.AddErr(err)
		return off + blockSize
	}
	if !bin.AllZero(second) {
		root.AddField("end of archive", "one zero block")
		lay.claims.Add(off, blockSize, "end-of-archive block")
		return off + blockSize
	}
	lay.claims.Add(off, 2*blockSize, "end-of-archive blocks")
	return off + 2*blockSize
}

// readMember finds the blocks of the member whose first header block,
// already read into b, is at off.
func readMember(r io.ReaderAt, b []byte, off, size int64) (*member, error) {
	m := &member{start: off}
	for {
		if !checksumOK(b) {
			return nil, unpack.Errorf(layerName, off+148, "header checksum %q does not match the header's bytes", strings.TrimRight(string(b[148:156]), "\x00 "))
		}
		n, ok := parseSize(b)
		if !ok {
			return nil, unpack.Errorf(layerName, off+124, "size field %q is no number", b[124:136])
		}
		flag := b[156]
		if !extendedType(flag) {
			m.header = off
			m.name = headerName(b)
			m.dataOff = off + blockSize
			if flag == stdtar.TypeGNUSparse && b[482] != 0 {
				// Old GNU sparse: extension blocks of the sparse map
				// follow the header, each saying whether another does.
				ext := make([]byte, blockSize)
				for i := 0; ; i++ {
					if i == maxSparseBlocks {
						return nil, unpack.Errorf(layerName, m.dataOff, "more than %d sparse map blocks", maxSparseBlocks)
					}
					if err := bin.ReadFull(r, ext, m.dataOff, layerName, "sparse map block"); err != nil {
						return nil, err
					}
					m.dataOff += blockSize
					if ext[504] == 0 {
						break
					}
				}
			}
			if !headerOnly(flag) {
				m.stored = n
			}
			if m.stored > size-m.dataOff {
				return nil, unpack.Errorf(layerName, off+124, "member %s: size %d beyond the end of input (%d bytes left)", show.QuoteName(m.name), m.stored, size-m.dataOff)
			}
			m.end = min(m.dataOff+roundUp(m.stored), size)
			return m, nil
		}
		if len(m.extended) == maxExtendedPerMember {
			return nil, unpack.Errorf(layerName, off, "more than %d extended headers before one member", maxExtendedPerMember)
		}
		if n > maxExtended {
			return nil, unpack.Errorf(layerName, off+124, "extended header of %d bytes (at most %d read)", n, maxExtended)
		}
		m.extended = append(m.extended, off)
		next := off + blockSize + roundUp(n)
		if next+blockSize > size {
			return nil, unpack.Errorf(layerName, off, "extended header with no member header after it before the end of input")
		}
		off = next
		if err := bin.ReadFull(r, b, off, layerName, "header block"); err != nil {
			return nil, err
		}
	}
}

func roundUp(n int64) int64 { return (n + blockSize - 1) &^ (blockSize - 1) }

// headerName is the name a header block spells: the ustar prefix, a
// slash and the name.
func headerName(b []byte) string {
	name := cString(b[0:100])
	if string(b[257:263]) == "ustar\x00" {
		if p := cString(b[345:500]); p != "" {
			name = p + "/" + name
		}
	}
	return name
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

var typeNames = map[byte]string{
	stdtar.TypeReg: "regular file", stdtar.TypeRegA: "regular file (old)", stdtar.TypeLink: "hard link",
	stdtar.TypeSymlink: "symlink", stdtar.TypeChar: "character device", stdtar.TypeBlock: "block device",
	stdtar.TypeDir: "directory", stdtar.TypeFifo: "fifo", stdtar.TypeCont: "contiguous file",
	stdtar.TypeXGlobalHeader: "pax global header", stdtar.TypeGNUSparse: "GNU sparse file",
	'D': "GNU directory dump", 'M': "GNU multi-volume continuation", 'V': "GNU volume label",
}

var typeBits = map[byte]uint32{
	stdtar.TypeReg: 0o100000, stdtar.TypeRegA: 0o100000, stdtar.TypeLink: 0o100000, stdtar.TypeSymlink: 0o120000,
	stdtar.TypeChar: 0o020000, stdtar.TypeBlock: 0o060000, stdtar.TypeDir: 0o040000, stdtar.TypeFifo: 0o010000,
	stdtar.TypeCont: 0o100000, stdtar.TypeGNUSparse: 0o100000,
}

// memberNode decodes the member's headers with archive/tar and makes its
// node.
func memberNode(r io.ReaderAt, m *member) (*unpack.Node, byte, string) {
	var raw [blockSize]byte
	bin.ReadFull(r, raw[:], m.header, layerName, "header block")
	flag := raw[156]
	n := &unpack.Node{Layer: layerName, Offset: m.header, Type: unpack.TypeFile}
	n.SetFields(make([]unpack.Field, 0, 16))
	// archive/tar reads the headers and, for a pax sparse file, the map
	// at the start of the data; a zero block after them ends the archive
	// it sees.
	src := io.MultiReader(io.NewSectionReader(r, m.start, m.end-m.start), bytes.NewReader(make([]byte, 2*blockSize)))
	hdr, err := stdtar.NewReader(src).Next()
	if err != nil {
		n.AddField("name", "%s", show.QuoteName(m.name))
		n.AddField("type", "%s", typeName(flag))
		n.Err = &unpack.FormatError{Layer: layerName, Offset: m.start, Msg: "reading the member's headers", Err: err}
		return n, flag, "unreadable"
	}
	if t, ok := typeBits[flag]; ok {
		n.Type = show.ModeType(t)
	}
	if flag == stdtar.TypeLink {
		n.Type = unpack.TypeFile
	}
	m.name = hdr.Name
	mode := uint32(hdr.Mode) & 0o7777
	n.AddField("type", "%s", typeName(flag))
	n.AddField("mode", "%s", show.Mode(mode|typeBits[flag]))
	if extra := uint32(hdr.Mode) &^ 0o7777; extra != 0 {
		n.AddField("mode bits beyond permissions", "0%o", extra)
	}
	n.AddField("uid", "%d", hdr.Uid)
	n.AddField("gid", "%d", hdr.Gid)
	n.AddField("uname", "%s", show.QuoteName(hdr.Uname))
	n.AddField("gname", "%s", show.QuoteName(hdr.Gname))
	if n.Type == unpack.TypeDir {
		n.AddRoleField(unpack.RolePlacement, "size", "%d", hdr.Size)
	} else {
		n.AddRoleField(unpack.RoleDerived, "size", "%d", hdr.Size)
	}
	n.AddRoleField(unpack.RoleTime, "mtime", "%s", tarTime(hdr.ModTime))
	if !hdr.AccessTime.IsZero() {
		n.AddRoleField(unpack.RoleTime, "atime", "%s", tarTime(hdr.AccessTime))
	}
	if !hdr.ChangeTime.IsZero() {
		n.AddRoleField(unpack.RoleTime, "ctime", "%s", tarTime(hdr.ChangeTime))
	}
	switch flag {
	case stdtar.TypeSymlink:
		n.AddField("link target", "%s", show.QuoteName(hdr.Linkname))
	case stdtar.TypeLink:
		n.AddField("hard link to", "%s", show.QuoteName(hdr.Linkname))
	default:
		if hdr.Linkname != "" {
			n.AddField("link name", "%s", show.QuoteName(hdr.Linkname))
		}
	}
	if flag == stdtar.TypeChar || flag == stdtar.TypeBlock || hdr.Devmajor != 0 || hdr.Devminor != 0 {
		n.AddField("rdev", "%d,%d", hdr.Devmajor, hdr.Devminor)
	}
	if raw := hdr.Name; raw != strings.Join(show.PathComponents(raw), "/") {
		n.AddField("name", "%s", show.QuoteName(raw))
	}
	for _, k := range slices.Sorted(maps.Keys(hdr.PAXRecords)) {
		if k == "path" && hdr.PAXRecords[k] == hdr.Name || k == "linkpath" && hdr.PAXRecords[k] == hdr.Linkname {
			continue // shown as the name and the link
		}
		role := (*unpack.Role)(nil)
		if k == "mtime" || k == "atime" || k == "ctime" {
			role = unpack.RoleTime
		}
		n.AddRoleField(role, "pax "+k, "%s", show.Quote(hdr.PAXRecords[k]))
	}
	n.AddRoleField(unpack.RoleDerived, "checksum", "%s", strings.TrimRight(string(raw[148:156]), "\x00 "))
	extendedFields(r, n, m)
	if pad := m.end - m.dataOff - m.stored; pad > 0 {
		p := make([]byte, pad)
		if err := bin.ReadFull(r, p, m.dataOff+m.stored, layerName, "padding after data"); err == nil && !bin.AllZero(p) {
			n.AddField("padding after data", "%x", p)
		}
	}
	if m.dataOff > m.header+blockSize {
		n.AddField("sparse map blocks", "%d", (m.dataOff-m.header)/blockSize-1)
	}
	if !headerOnly(flag) && flag != stdtar.TypeXGlobalHeader {
		n.Data = io.NewSectionReader(r, m.dataOff, m.stored)
		n.Offset = m.dataOff
		if flag == stdtar.TypeGNUSparse || hdr.Size != m.stored {
			n.AddField("stored data", "%d bytes (sparse: the holes are not stored)", m.stored)
		}
	}
	if flag == stdtar.TypeXGlobalHeader {
		n.Type = unpack.TypeRecord
	}
	return n, flag, hdr.Format.String()
}

// extendedFields shows the headers of a member's extended headers, whose
// names, times and checksums archive/tar reads past.
func extendedFields(r io.ReaderAt, n *unpack.Node, m *member) {
	var b [blockSize]byte
	for i, off := range m.extended {
		if bin.ReadFull(r, b[:], off, layerName, "extended header") != nil {
			continue
		}
		what := "pax header"
		switch b[156] {
		case stdtar.TypeGNULongName:
			what = "GNU long name header"
		case stdtar.TypeGNULongLink:
			what = "GNU long link header"
		}
		if i > 0 {
			what += fmt.Sprintf(" %d", i+1)
		}
		mt, _ := parseOctal(b[136:148])
		mode, _ := parseOctal(b[100:108])
		uid, _ := parseOctal(b[108:116])
		gid, _ := parseOctal(b[116:124])
		n.AddField(what+" name", "%s", show.QuoteName(headerName(b[:])))
		n.AddRoleField(unpack.RoleTime, what+" mtime", "%s", time.Unix(int64(mt), 0).UTC().Format(time.RFC3339))
		n.AddField(what+" owner", "mode %o, uid %d, gid %d, %s:%s", mode, uid, gid, show.QuoteName(cString(b[265:297])), show.QuoteName(cString(b[297:329])))
		n.AddRoleField(unpack.RoleDerived, what+" checksum", "%s", strings.TrimRight(string(b[148:156]), "\x00 "))
	}
}

func typeName(flag byte) string {
	if s, ok := typeNames[flag]; ok {
		return s
	}
	return fmt.Sprintf("%q", flag)
}

func tarTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// tarLayout names the bytes of an archive: members through one Namer,
// named from their headers only when a difference is reported.
type tarLayout struct {
	claims  layout.Claims
	namer   layout.Namer
	members []*member
}

func (l *tarLayout) name(off int64) string {
	i := sort.Search(len(l.members), func(i int) bool { return l.members[i].start > off }) - 1
	if i < 0 {
		return "tar archive"
	}
	m := l.members[i]
	what := "member " + show.QuoteName(m.name)
	switch {
	case off < m.header:
		return "extended header of " + what
	case off < m.header+blockSize:
		return "header of " + what + ": " + headerFieldAt(off-m.header)
	case off < m.dataOff:
		return "sparse map of " + what
	case off < m.dataOff+m.stored:
		return "data of " + what
	}
	return "padding after the data of " + what
}

func headerFieldAt(rel int64) string {
	for _, f := range []struct {
		end  int64
		name string
	}{{100, "name"}, {108, "mode"}, {116, "uid"}, {124, "gid"}, {136, "size"}, {148, "mtime"}, {156, "checksum"},
		{157, "type"}, {257, "link name"}, {265, "magic and version"}, {297, "uname"}, {329, "gname"},
		{337, "devmajor"}, {345, "devminor"}, {500, "prefix or GNU fields"}} {
		if rel < f.end {
			return f.name
		}
	}
	return "padding"
}
