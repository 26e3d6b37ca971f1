// Package ar reads ar archives (static libraries, .deb packages) into a
// list of their members.
package ar

// An ar archive is the magic "!<arch>\n", then members: a 60-byte header
// of space-padded ASCII fields (name 16, date 12, uid 6, gid 6, mode 8
// octal, size 10, then "`\n"), the data, and a "\n" when the data's size
// is odd. Names longer than 15 bytes are kept elsewhere: GNU ar writes
// them into a member named "//" and names the member "/<offset>" into it;
// BSD ar names it "#1/<length>" and puts the name before the data.
// "/" (GNU) and "__.SYMDEF" (BSD) are symbol tables.
//
// ar D (deterministic mode, the default of Debian's binutils) writes
// dates, uids and gids 0 and mode 644; without it they are the files'.
// Each member's data is a section of the archive, so that a .deb's
// control.tar.* and data.tar.* are unpacked further by the formats that
// read them.

import (
	"bytes"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"isodiff/unpack/internal/trailing"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	layerName = "ar"
	magic     = "!<arch>\n"
	headerLen = 60
	// MaxMembers bounds the members of one archive.
	MaxMembers = 4_000_000
	// maxNameTable bounds the GNU long name table read into memory.
	maxNameTable = 64 << 20
	// maxBSDName bounds a BSD long name.
	maxBSDName = 64 << 10
)

// Format detects ar archives by their magic.
var Format = unpack.Format{Name: layerName, Match: matchAr, Open: Open}

func matchAr(head []byte, _ io.ReaderAt, _ int64) bool {
	return len(head) >= len(magic) && string(head[:len(magic)]) == magic
}

// roleMemberTime labels a member's date: the time ar read, unless run in
// deterministic mode.
var roleMemberTime = &unpack.Role{Kind: unpack.Time, Cause: "ar member time", NamesField: true}

// header is one member header.
type header struct {
	off                  int64
	raw                  [headerLen]byte
	name                 string // the member's name, long names resolved
	date                 int64
	uid, gid             int64
	mode                 uint64
	size                 int64 // of the data, a BSD long name included
	nameLen              int64 // BSD: name bytes at the start of the data
	dataOff              int64
	next                 int64
	spelling             []string // fields not spelled as ar spells them
	nameErr              error
	symbols, nameTable   bool
	bsdName, gnuLongName bool
}

// Open reads an ar archive: its members in order, each with the fields of
// its header and its data.
func Open(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	var m [len(magic)]byte
	if err := bin.ReadFull(r, m[:], 0, layerName, "magic"); err != nil {
		return nil, err
	}
	if string(m[:]) != magic {
		return nil, unpack.Errorf(layerName, 0, "no ar magic %q: %q", magic, m[:])
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	lay := &arLayout{}
	lay.namer.Name = lay.name
	lay.claims.Add(0, int64(len(magic)), "ar magic")
	var names []byte // the GNU long name table
	used := map[string]int{}
	off := int64(len(magic))
	count := 0
	for off < size {
		if count == MaxMembers {
			root.AddErr(unpack.Errorf(layerName, off, "more than %d members: the rest is not read", MaxMembers))
			break
		}
		h, err := readHeader(r, off, size, names)
		if err != nil {
			root.AddErr(err)
			break
		}
		count++
		lay.headers = append(lay.headers, h)
		lay.claims.AddNamed(h.off, h.next-h.off, &lay.namer)
		if h.nameTable && names == nil && h.size <= maxNameTable {
			names = make([]byte, h.size)
			if err := bin.ReadFull(r, names, h.dataOff, layerName, "long name table"); err != nil {
				root.AddErr(err)
				names = nil
			}
		}
		n := memberNode(r, h)
		used[n.Name]++
		if k := used[n.Name]; k > 1 {
			n.Name = fmt.Sprintf("%s (duplicate %d)", n.Name, k)
		}
		root.Children = append(root.Children, n)
		root.AddOrder(n.Name)
		off = h.next
	}
	root.AddRoleField(unpack.RoleDerived, "members", "%d", count)
	if off < size && root.Err == nil {
		trailing.Add(root, layerName, r, off, size)
	}
	if len(lay.claims.Unclaimed(size)) > 0 {
		root.Children = append(root.Children, lay.claims.UnclaimedNode(layerName, r, size))
	}
	root.SetLayout(&lay.claims)
	root.Sort()
	return root, nil
}

// readHeader reads the member header at off; names is the GNU long name
// table, if one came before.
func readHeader(r io.ReaderAt, off, size int64, names []byte) (*header, error) {
	h := &header{off: off}
	if size-off < headerLen {
		return nil, unpack.Errorf(layerName, off, "%d bytes after the last member, less than a member header", size-off)
	}
	if err := bin.ReadFull(r, h.raw[:], off, layerName, "member header"); err != nil {
		return nil, err
	}
	b := h.raw[:]
	if string(b[58:60]) != "`\n" {
		return nil, unpack.Errorf(layerName, off+58, "member header does not end in \"`\\n\": %q", b[58:60])
	}
	num := func(name string, f []byte, base int) (int64, error) {
		s := strings.TrimRight(string(f), " ")
		if s == "" {
			// GNU ar leaves the fields of its tables blank, which reads
			// as 0 and must still show apart from a 0.
			h.spelling = append(h.spelling, name+" blank")
			return 0, nil
		}
		v, err := strconv.ParseInt(s, base, 64)
		if err != nil || v < 0 {
			return 0, unpack.Errorf(layerName, off, "member header: %s %q is no number", name, f)
		}
		if s != strconv.FormatInt(v, base) {
			h.spelling = append(h.spelling, fmt.Sprintf("%s %q", name, f))
		}
		return v, nil
	}
	var err error
	if h.date, err = num("date", b[16:28], 10); err != nil {
		return nil, err
	}
	if h.uid, err = num("uid", b[28:34], 10); err != nil {
		return nil, err
	}
	if h.gid, err = num("gid", b[34:40], 10); err != nil {
		return nil, err
	}
	mode, err := num("mode", b[40:48], 8)
	if err != nil {
		return nil, err
	}
	h.mode = uint64(mode)
	if h.size, err = num("size", b[48:58], 10); err != nil {
		return nil, err
	}
	h.dataOff = off + headerLen
	if h.size > size-h.dataOff {
		return nil, unpack.Errorf(layerName, off+48, "member size %d beyond the end of input (%d bytes left)", h.size, size-h.dataOff)
	}
	h.next = h.dataOff + h.size
	if h.size%2 == 1 && h.next < size {
		h.next++
	}
	raw := strings.TrimRight(string(b[0:16]), " ")
	switch {
	case raw == "/" || raw == "/SYM64/":
		h.name, h.symbols = raw, true
	case raw == "//":
		h.name, h.nameTable = raw, true
	case raw == "__.SYMDEF" || raw == "__.SYMDEF SORTED":
		h.name, h.symbols = raw, true
	case strings.HasPrefix(raw, "#1/"):
		n, err := strconv.ParseInt(raw[3:], 10, 64)
		if err != nil || n < 0 || n > h.size || n > maxBSDName {
			return nil, unpack.Errorf(layerName, off, "BSD long name length %q does not fit the member's %d bytes", raw[3:], h.size)
		}
		nb := make([]byte, n)
		if err := bin.ReadFull(r, nb, h.dataOff, layerName, "BSD long name"); err != nil {
			return nil, err
		}
		h.name, h.nameLen, h.bsdName = strings.TrimRight(string(nb), "\x00"), n, true
		if h.name == "__.SYMDEF" || h.name == "__.SYMDEF SORTED" {
			h.symbols = true
		}
	case len(raw) > 1 && raw[0] == '/' && raw[1] >= '0' && raw[1] <= '9':
		h.gnuLongName = true
		at, err := strconv.ParseInt(raw[1:], 10, 64)
		if err != nil || names == nil || at < 0 || at >= int64(len(names)) {
			h.name = raw
			h.nameErr = unpack.Errorf(layerName, off, "long name %q: no such offset in the long name table", raw)
			break
		}
		t := names[at:]
		end := bytes.Index(t, []byte("/\n"))
		if end < 0 {
			h.name = raw
			h.nameErr = unpack.Errorf(layerName, off, "long name %q is not terminated in the long name table", raw)
			break
		}
		h.name = string(t[:end])
	default:
		// GNU ends a short name with "/", so that it may hold spaces.
		h.name = strings.TrimSuffix(raw, "/")
	}
	return h, nil
}

// memberNode makes the node of a member.
func memberNode(r io.ReaderAt, h *header) *unpack.Node {
	name := h.name
	switch {
	case h.name == "/":
		name = "[symbol table]"
	case h.name == "/SYM64/":
		name = "[symbol table, 64-bit]"
	case h.nameTable:
		name = "[long name table]"
	case show.BadName(name) != "":
		name = show.QuoteName(name) + " (raw)"
	}
	n := &unpack.Node{Name: name, Type: unpack.TypeFile, Layer: layerName, Offset: h.dataOff + h.nameLen}
	if h.symbols || h.nameTable {
		n.Type = unpack.TypeRecord
	}
	n.AddRoleField(roleMemberTime, "date", "%s", time.Unix(h.date, 0).UTC().Format(time.RFC3339))
	n.AddField("uid", "%d", h.uid)
	n.AddField("gid", "%d", h.gid)
	n.AddField("mode", "%s", arMode(h.mode))
	n.AddRoleField(unpack.RoleDerived, "size", "%d", h.size-h.nameLen)
	switch {
	case h.bsdName:
		n.AddField("name stored", "BSD, %d bytes before the data", h.nameLen)
	case h.gnuLongName:
		n.AddField("name stored", "GNU long name table, %s", strings.TrimRight(string(h.raw[:16]), " "))
	}
	if raw := string(h.raw[:16]); !h.bsdName && !h.gnuLongName && raw != fmt.Sprintf("%-16s", h.name+"/") && !h.symbols && !h.nameTable {
		n.AddField("name field", "%q", raw)
	}
	if len(h.spelling) > 0 {
		n.AddField("header spelling", "%s", strings.Join(h.spelling, ", "))
	}
	if h.next > h.dataOff+h.size {
		var pad [1]byte
		r.ReadAt(pad[:], h.dataOff+h.size)
		if pad[0] != '\n' {
			n.AddField("padding", "%q", pad[:])
		}
	}
	n.Data = io.NewSectionReader(r, h.dataOff+h.nameLen, h.size-h.nameLen)
	n.Err = h.nameErr
	return n
}

// arMode shows a member's mode as ls does; ar in deterministic mode
// writes the permission bits alone (644), without the file type bits
// (100644) it writes otherwise.
func arMode(m uint64) string {
	if m&0o170000 == 0 && m <= 0o7777 {
		return strings.TrimPrefix(show.Mode(uint32(m)|0o100000), "-") + ", no file type bits"
	}
	return show.Mode(uint32(m))
}

// arLayout names the bytes of an archive's members, from their headers.
type arLayout struct {
	claims  layout.Claims
	namer   layout.Namer
	headers []*header
}

func (l *arLayout) name(off int64) string {
	i := sort.Search(len(l.headers), func(i int) bool { return l.headers[i].off > off }) - 1
	if i < 0 {
		return "ar archive"
	}
	h := l.headers[i]
	what := "member " + show.QuoteName(h.name)
	switch rel := off - h.off; {
	case rel < 16:
		return "header of " + what + ": name"
	case rel < 28:
		return "header of " + what + ": date"
	case rel < 34:
		return "header of " + what + ": uid"
	case rel < 40:
		return "header of " + what + ": gid"
	case rel < 48:
		return "header of " + what + ": mode"
	case rel < 58:
		return "header of " + what + ": size"
	case rel < headerLen:
		return "header of " + what + ": end marker"
	case off < h.dataOff+h.nameLen:
		return "BSD long name of " + what
	case off < h.dataOff+h.size:
		return "data of " + what
	}
	return "padding after the data of " + what
}
