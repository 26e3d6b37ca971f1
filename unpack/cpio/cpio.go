// Package cpio reads cpio archives in the newc, crc, odc and old binary
// formats into a tree of their members.
package cpio

// cpio archives in the three ASCII formats GNU cpio writes and the Linux
// kernel (newc and crc) unpacks as initramfs:
//
//   - newc, magic "070701": a 110-byte header of 13 eight-digit hex
//     fields, the name (its size counts the NUL), padding to 4 bytes, the
//     data, padding to 4 bytes;
//   - crc, "070702": the same, with the field c_check holding the sum of
//     the data bytes (mod 2^32);
//   - odc, "070707": a 76-byte header of octal fields, no padding;
//   - old binary (GNU cpio's -H bin), 070707 as a 16-bit word in either
//     byte order (c7 71 little-endian, 71 c7 big-endian): a 26-byte header
//     of 16-bit words, mtime and file size as two words each (the more
//     significant first), the name and the data each padded to an even
//     length. GNU cpio writes the host's byte order and reads both.
//
// The archive ends at the member named "TRAILER!!!". Hard links in newc
// are members sharing c_ino and c_dev: GNU cpio and the kernel's
// gen_init_cpio store the data once, with the last of them, and give the
// others size 0.
//
// Member names are normalised into the "/" tree ("./init", "/init" and
// "init" are all /init; "." is the root itself), keeping the raw name in a
// field "name" where it differs, so that make-initrd-ng's "./"-style
// archives compare entry by entry against plain ones and the name style
// still shows. Member data are sections of the archive reader.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/show"
	"isodiff/unpack/internal/trailing"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	layerName = "cpio"

	newcHeader = 110
	odcHeader  = 76
	binHeader  = 26
	// maxName bounds a member name (PATH_MAX is 4096).
	maxName = 64 << 10
	// MaxMembers bounds the members of one archive.
	MaxMembers = 4_000_000
	// maxLink bounds a symlink target read.
	maxLink     = 64 << 10
	trailerName = "TRAILER!!!"
)

type headerKind uint8

const (
	cpioNewc headerKind = iota
	cpioCRC
	cpioODC
	cpioBinLE
	cpioBinBE
)

var kindNames = [...]string{cpioNewc: "newc (070701)", cpioCRC: "crc (070702)", cpioODC: "odc (070707)",
	cpioBinLE: "bin (070707 little-endian)", cpioBinBE: "bin (070707 big-endian)"}

func (k headerKind) binary() bool { return k == cpioBinLE || k == cpioBinBE }

// headerLen is the size of a member header of format k, without its name.
func (k headerKind) headerLen() int {
	switch k {
	case cpioODC:
		return odcHeader
	case cpioBinLE, cpioBinBE:
		return binHeader
	}
	return newcHeader
}

// pad rounds n up to the alignment of names and data of format k: 4 bytes
// for newc and crc, 2 for bin, none for odc.
func (k headerKind) pad(n int64) int64 {
	switch k {
	case cpioODC:
		return n
	case cpioBinLE, cpioBinBE:
		return (n + 1) &^ 1
	}
	return align4(n)
}

// CpioFormat detects and opens cpio archives.
var Format = unpack.Format{Name: layerName, Match: matchCpio, Open: Open}

func matchCpio(head []byte, r io.ReaderAt, size int64) bool {
	kind, ok := magicKind(head)
	if !ok || len(head) < kind.headerLen() {
		return false
	}
	if !kind.binary() {
		return true
	}
	// Two bytes of magic are found in any binary data: the first header
	// must read whole, its name end with its NUL, and its mode be a file
	// type's.
	h, err := readCpioHeader(readat.NewPeek(r, size), 0, size)
	return err == nil && h.nameErr == "" && show.KnownFileType(h.mode&0o170000)
}

// magicKind names the format whose magic b starts with.
func magicKind(b []byte) (headerKind, bool) {
	if len(b) >= 2 {
		switch {
		case b[0] == 0xc7 && b[1] == 0x71:
			return cpioBinLE, true
		case b[0] == 0x71 && b[1] == 0xc7:
			return cpioBinBE, true
		}
	}
	if len(b) < 6 {
		return 0, false
	}
	switch string(b[:6]) {
	case "070701":
		return cpioNewc, true
	case "070702":
		return cpioCRC, true
	case "070707":
		return cpioODC, true
	}
	return 0, false
}

// memberHeader is one member header.
type memberHeader struct {
	kind                 headerKind
	off                  int64 // of the header
	hdrLen               int64
	ino, mode, uid, gid  uint64
	nlink                uint64
	mtime                int64
	fileSize             int64
	devMajor, devMinor   uint64
	rdevMajor, rdevMinor uint64
	check                uint64
	nameSize             int64
	rawName              string
	nameTail             []byte // what follows a NUL inside the name
	named                bool   // the name was read (an error after it is the member's)
	nameErr              string // the name is not NUL-terminated, ...
	spelling             string // hex fields not spelled as GNU cpio and the kernel's gen_init_cpio do
	dataOff              int64
	next                 int64  // the next header
	namePad, dataPad     []byte // the padding after the name and after the data, when not all zero
}

func (h *memberHeader) isTrailer() bool { return h.rawName == trailerName }

// readCpioHeader parses the member header at off, its name, and checks
// that its data lies within the input. Nothing is allocated from a size
// field before it is checked against the input.
func readCpioHeader(pr *readat.Peek, off, size int64) (memberHeader, error) {
	h := memberHeader{off: off}
	b, err := pr.At(off, 6)
	kind, ok := magicKind(b)
	if !ok && err != nil {
		return h, &unpack.FormatError{Layer: layerName, Offset: off, Msg: "member header cut by the end of input", Err: err}
	}
	if !ok {
		return h, unpack.Errorf(layerName, off, "no cpio magic (070701, 070702, 070707 or binary 070707) where a member header should start: %q", b)
	}
	h.kind = kind
	hdrLen := kind.headerLen()
	h.hdrLen = int64(hdrLen)
	b, err = pr.At(off, hdrLen)
	if err != nil {
		return h, &unpack.FormatError{Layer: layerName, Offset: off, Msg: fmt.Sprintf("member header: %d of %d bytes before the end of input", len(b), hdrLen), Err: err}
	}
	var nameSize uint64
	var bad string
	if kind.binary() {
		var order binary.ByteOrder = binary.LittleEndian
		if kind == cpioBinBE {
			order = binary.BigEndian
		}
		var w [binHeader / 2]uint64
		for i := range w {
			w[i] = uint64(order.Uint16(b[2*i:]))
		}
		// magic, dev, ino, mode, uid, gid, nlink, rdev, mtime (2 words),
		// namesize, filesize (2 words)
		h.devMajor, h.devMinor = oldDevSplit(w[1])
		h.ino, h.mode, h.uid, h.gid, h.nlink = w[2], w[3], w[4], w[5], w[6]
		h.rdevMajor, h.rdevMinor = oldDevSplit(w[7])
		h.mtime = int64(w[8]<<16 | w[9])
		nameSize = w[10]
		h.fileSize = int64(w[11]<<16 | w[12])
	} else if kind == cpioODC {
		var dev, rdev, mtime, fsize uint64
		fields := []struct {
			name string
			v    *uint64
			w    int
		}{{"dev", &dev, 6}, {"ino", &h.ino, 6}, {"mode", &h.mode, 6}, {"uid", &h.uid, 6}, {"gid", &h.gid, 6},
			{"nlink", &h.nlink, 6}, {"rdev", &rdev, 6}, {"mtime", &mtime, 11}, {"namesize", &nameSize, 6}, {"filesize", &fsize, 11}}
		p := 6
		for _, f := range fields {
			v, ok := parseCpioNumber(b[p:p+f.w], 8)
			if !ok && bad == "" {
				bad = fmt.Sprintf("field %s %q is not octal", f.name, b[p:p+f.w])
			}
			*f.v = v
			p += f.w
		}
		h.devMajor, h.devMinor = oldDevSplit(dev)
		h.rdevMajor, h.rdevMinor = oldDevSplit(rdev)
		h.mtime, h.fileSize = int64(mtime), int64(fsize)
	} else {
		var mtime, fsize uint64
		vals := []*uint64{&h.ino, &h.mode, &h.uid, &h.gid, &h.nlink, &mtime, &fsize, &h.devMajor, &h.devMinor, &h.rdevMajor, &h.rdevMinor, &nameSize, &h.check}
		names := []string{"ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check"}
		var spelled []string
		for i, v := range vals {
			p := 6 + 8*i
			x, ok := parseCpioNumber(b[p:p+8], 16)
			if !ok && bad == "" {
				bad = fmt.Sprintf("field %s %q is not hexadecimal", names[i], b[p:p+8])
			}
			*v = x
			// Upper and lower case read alike: a field spelled in lower
			// case shows, so that no header byte goes unseen.
			if bytes.ContainsAny(b[p:p+8], "abcdef") {
				spelled = append(spelled, fmt.Sprintf("%s %s", names[i], b[p:p+8]))
			}
		}
		h.spelling = strings.Join(spelled, ", ")
		h.mtime, h.fileSize = int64(mtime), int64(fsize)
	}
	if bad != "" {
		return h, unpack.Errorf(layerName, off, "member header: %s", bad)
	}
	nameOff := off + int64(hdrLen)
	if nameSize == 0 {
		return h, unpack.Errorf(layerName, off, "member header: name size 0 (the name's NUL counts)")
	}
	if left := size - nameOff; nameSize > uint64(left) {
		return h, unpack.Errorf(layerName, off, "member header: name size %d beyond the end of input (%d bytes left)", nameSize, left)
	}
	if nameSize > maxName {
		return h, unpack.Errorf(layerName, off, "member header: name size %d (at most %d accepted)", nameSize, maxName)
	}
	h.nameSize = int64(nameSize)
	h.dataOff = kind.pad(nameOff + int64(nameSize))
	nb, err := pr.At(nameOff, int(h.dataOff-nameOff))
	if err != nil {
		return h, &unpack.FormatError{Layer: layerName, Offset: nameOff, Msg: "member name and its padding cut by the end of input", Err: err}
	}
	name := nb[:nameSize]
	if i := bytes.IndexByte(name, 0); i < 0 {
		h.nameErr = "the name is not NUL-terminated"
		h.rawName = string(name)
	} else {
		if i != len(name)-1 {
			h.nameErr = fmt.Sprintf("the name has a NUL at byte %d of %d", i, len(name))
			h.nameTail = bytes.Clone(name[i+1:])
		}
		h.rawName = string(name[:i])
	}
	h.namePad = appendNonZero(nil, nb[nameSize:])
	h.named = true
	if left := size - h.dataOff; uint64(h.fileSize) > uint64(max(left, 0)) {
		return h, unpack.Errorf(layerName, off, "member %q: file size %d beyond the end of input (%d bytes left)", h.rawName, h.fileSize, max(left, 0))
	}
	h.next = kind.pad(h.dataOff + h.fileSize)
	if kind != cpioODC {
		if h.next > h.dataOff+h.fileSize {
			pad, _ := pr.At(h.dataOff+h.fileSize, int(h.next-h.dataOff-h.fileSize))
			h.dataPad = appendNonZero(nil, pad)
		}
		h.next = min(h.next, size)
	}
	return h, nil
}

func align4(n int64) int64 { return (n + 3) &^ 3 }

// appendNonZero appends b to dst when any byte of b is not zero (a copy:
// b may be a readat.Peek buffer).
func appendNonZero(dst, b []byte) []byte {
	for _, c := range b {
		if c != 0 {
			return append(dst, b...)
		}
	}
	return dst
}

func parseCpioNumber(b []byte, base uint64) (uint64, bool) {
	var v uint64
	for _, c := range b {
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		v = v*base + d
	}
	return v, true
}

// oldDevSplit splits an odc device number as glibc's makedev encodes it
// (the low 18 bits are all odc keeps): major in bits 8-19, minor in 0-7
// and 20 up.
func oldDevSplit(d uint64) (major, minor uint64) {
	return (d >> 8) & 0xfff, (d & 0xff) | ((d >> 12) &^ 0xff)
}

// archiveEnd walks the member headers of the archive at off up to
// its trailer and returns the offset after the trailer and its padding.
// It stops with an error at a damaged header, or after maxMembers.
func ArchiveEnd(pr *readat.Peek, off, size int64, maxMembers int) (int64, error) {
	for i := 0; i < maxMembers; i++ {
		h, err := readCpioHeader(pr, off, size)
		if err != nil {
			return off, err
		}
		if h.isTrailer() {
			return h.next, nil
		}
		off = h.next
		if off >= size {
			return off, unpack.Errorf(layerName, off, "no %s member before the end of input", trailerName)
		}
	}
	return off, unpack.Errorf(layerName, off, "more than %d members", maxMembers)
}

// memberTree builds the "/" tree as members arrive.
type memberTree struct {
	root  *unpack.Node
	nodes map[string]*unpack.Node // by normalised path; the root is ""
	// dups counts the members named again, by parent and name; rootDups
	// the members for the root after the first.
	dups     map[dupKey]int
	rootDups int
}

type dupKey struct {
	parent *unpack.Node
	name   string
}

func newCpioTree() *memberTree {
	root := &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: layerName, Offset: -1}
	root.AddField("implied", "yes")
	return &memberTree{root: root, nodes: map[string]*unpack.Node{"": root}, dups: map[dupKey]int{}}
}

func isImplied(n *unpack.Node) bool {
	v, ok := n.Field("implied")
	return ok && v == "yes"
}

// dir returns the directory at path, whose components are comps,
// creating the missing ones as implied directories.
func (t *memberTree) dir(path string, comps []string) *unpack.Node {
	n := t.root
	end := 0
	for i := range comps {
		if i > 0 {
			end++ // the "/"
		}
		end += len(comps[i])
		p := path[:end]
		c := t.nodes[p]
		if c == nil {
			c = &unpack.Node{Name: comps[i], Type: unpack.TypeDir, Layer: layerName, Offset: -1}
			c.AddField("implied", "yes")
			t.add(n, c, false)
			t.nodes[p] = c
		} else if c.Type != unpack.TypeDir && c.Err == nil {
			c.Err = unpack.Errorf(layerName, max(c.Offset, 0), "a %s, yet later members are below it", c.Type)
		}
		n = c
	}
	return n
}

// add appends c to parent, renaming it when it collides with a sibling's
// name (a member named again).
func (t *memberTree) add(parent, c *unpack.Node, collides bool) {
	if collides {
		k := dupKey{parent, c.Name}
		t.dups[k]++
		c.Name = fmt.Sprintf("%s (duplicate %d)", c.Name, t.dups[k]+1)
	}
	parent.Children = append(parent.Children, c)
}

// linkMember is a member that may be one of several hard links to one
// file, kept for the hard link pass: an archive's other members need
// nothing kept.
type linkMember struct {
	key  linkKey
	size int64
	node *unpack.Node
	path string
}

// linkKey is what the hard links to one file share.
type linkKey struct{ maj, min, ino uint64 }

// OpenCpio reads a cpio archive (newc, crc, odc or bin) up to its trailer.
// Every byte of it is accounted for: member headers, names and data are
// fields and content of the tree's nodes, the trailer is the record
// "[trailer]", what follows it a field or "[trailing bytes]", and what no
// member reaches (after a damaged header) shows in "[unclaimed bytes]".
func Open(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	var magic [6]byte
	if n, _ := r.ReadAt(magic[:], 0); n < 6 {
		return nil, unpack.Errorf(layerName, 0, "input of %d bytes is no cpio archive", size)
	}
	kind, ok := magicKind(magic[:])
	if !ok {
		return nil, unpack.Errorf(layerName, 0, "no cpio magic (070701, 070702, 070707 or binary 070707): %q", magic[:])
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	root.AddField("format", "%s", kindNames[kind])
	tree := newCpioTree()
	pr := readat.NewPeek(r, size)
	lay := newCpioLayout(r, size, kind)
	claims := &lay.claims
	var links []linkMember
	members := 0
	var trailer *unpack.Node
	off := int64(0)
	end := int64(-1)
	for {
		if members >= MaxMembers {
			root.Err = unpack.Errorf(layerName, off, "more than %d members: the rest is not read", MaxMembers)
			break
		}
		h, err := readCpioHeader(pr, off, size)
		if err != nil {
			if h.named {
				// The member is named: the error is its own, and the
				// archive is not read past it.
				memberNode(r, tree, &h, kind, err, lay)
				root.Err = unpack.Errorf(layerName, off, "archive not read past the member at %d (%q)", off, h.rawName)
			} else {
				root.Err = err
			}
			break
		}
		if h.isTrailer() {
			trailer = &unpack.Node{Name: "[trailer]", Type: unpack.TypeRecord, Layer: layerName, Offset: h.off}
			headerFields(r, trailer, &h, kind, nil, "", lay)
			end = h.next
			break
		}
		n, path := memberNode(r, tree, &h, kind, nil, lay)
		members++
		if h.nlink > 1 && n.Type != unpack.TypeDir {
			links = append(links, linkMember{linkKey{h.devMajor, h.devMinor, h.ino}, h.fileSize, n, path})
		}
		off = h.next
		if off >= size {
			root.Err = unpack.Errorf(layerName, off, "no %s member before the end of input", trailerName)
			break
		}
	}
	linkCpioHardLinks(links)
	root.AddRoleField(unpack.RoleDerived, "members", "%d", members)
	if end >= 0 {
		root.AddRoleField(unpack.RoleDerived, "archive size", "%d", end)
		trailing.Add(root, layerName, r, end, size)
		if _, zeros := root.Field("padding"); zeros {
			claims.Add(end, size-end, "zero padding after the trailer")
		} else {
			claims.Add(end, size-end, "trailing bytes")
		}
	}
	// Members are added to their parents as they come: the children's
	// sequence is the archive's order.
	unpack.RecordOrders(tree.root)
	root.Children = append(root.Children, tree.root)
	if trailer != nil {
		root.Children = append(root.Children, trailer)
	}
	if len(claims.Unclaimed(size)) > 0 {
		// Bytes no member reached (after a damaged header, or a symlink
		// target too long to read): compared as they are.
		root.Children = append(root.Children, claims.UnclaimedNode(layerName, r, size))
	}
	root.SetLayout(claims)
	root.Sort()
	return root, nil
}

// memberNode makes the node of a member and puts it in the tree.
// When broken is set, the member's data cannot be read: it gets fields but
// no data.
func memberNode(r io.ReaderAt, t *memberTree, h *memberHeader, kind headerKind, broken error, lay *layoutNamer) (*unpack.Node, string) {
	comps := show.PathComponents(h.rawName)
	path := strings.Join(comps, "/")
	typ := show.ModeType(uint32(h.mode))
	var n *unpack.Node
	if len(comps) == 0 {
		// "." (or "/"): the root directory's own metadata.
		n = t.root
		if !isImplied(n) {
			dup := &unpack.Node{Name: ". (duplicate)", Type: typ, Layer: layerName}
			dup.Err = unpack.Errorf(layerName, h.off, "a second member for the root directory (%q)", h.rawName)
			t.add(t.root, dup, t.rootDups > 0)
			t.rootDups++
			n = dup
		}
		n.SetFields(nil)
	} else {
		name := comps[len(comps)-1]
		parent := t.dir(path[:len(path)-len(name)], comps[:len(comps)-1])
		if c := t.nodes[path]; c != nil && isImplied(c) && typ == unpack.TypeDir {
			// A directory whose members came first (reverse order).
			n = c
			n.SetFields(nil)
		} else {
			n = &unpack.Node{Name: name, Type: typ, Layer: layerName}
			t.add(parent, n, c != nil)
			if c == nil {
				t.nodes[path] = n
			} else {
				n.Err = unpack.Errorf(layerName, h.off, "a second member named %q", path)
			}
		}
	}
	if n != t.root {
		n.Type = typ
	}
	n.Offset = h.off
	raw := ""
	if h.rawName != path {
		raw = h.rawName
	}
	headerFields(r, n, h, kind, broken, raw, lay)
	return n, path
}

// headerFields gives n the fields and data of the member h, and
// claims the bytes they show. raw is the member's name where the tree
// does not spell it, kind the archive's format. The fields of a member
// read whole are its Meta, decoded from its header again only when a
// comparison or a presenter asks (an archive of a million members would
// otherwise hold a dozen formatted strings for each); those of the
// trailer, of a damaged member and of a symlink (whose target is read
// now, to report a failure) are formatted at once.
func headerFields(r io.ReaderAt, n *unpack.Node, h *memberHeader, kind headerKind, broken error, raw string, lay *layoutNamer) {
	typ := show.ModeType(uint32(h.mode))
	if n.Type == unpack.TypeRecord {
		// The trailer: its mode is no file's.
		typ = unpack.TypeRecord
	}
	lay.member(h.off)
	lay.claim(h.off, h.dataOff-h.off) // header, name and the padding after it
	// One small value is the member's Meta and its Data: a million
	// members must not cost a section reader and a Meta each.
	m := &memberEntry{a: lay.archive, off: h.off, head: uint32(h.dataOff - h.off), odd: len(h.dataPad) > 0, size: h.fileSize}
	var data unpack.Data = m
	if h.dataOff-h.off > math.MaxUint32 {
		data = io.NewSectionReader(r, h.dataOff, h.fileSize)
	}
	shown := true
	var link []byte
	switch {
	case broken != nil:
		shown = false
	case typ == unpack.TypeFile:
		n.Data = data
		n.Offset = h.dataOff
	case typ == unpack.TypeSymlink:
		if h.fileSize > maxLink {
			n.Err = unpack.Errorf(layerName, h.dataOff, "symlink target of %d bytes (at most %d read)", h.fileSize, maxLink)
			shown = false
		} else {
			link = make([]byte, h.fileSize)
			if err := bin.ReadFull(r, link, h.dataOff, layerName, "symlink target"); err != nil {
				n.Err = err
			}
		}
	case h.fileSize > 0:
		// A directory, device or trailer with data: the kernel ignores
		// it, a comparison should not.
		n.Data = data
	}
	if shown {
		lay.claim(h.dataOff, h.next-h.dataOff) // data and the padding after it
	}
	if broken == nil && link == nil && typ != unpack.TypeRecord && data == unpack.Data(m) {
		n.SetFields(nil)
		n.SetMeta(m)
	} else {
		n.SetMeta(nil)
		n.SetFields(appendHeaderFields(make([]unpack.Field, 0, 12), h, kind, typ, raw, link))
	}
	if h.kind == cpioCRC && typ == unpack.TypeFile && broken == nil {
		if sum, err := cpioSum(r, h.dataOff, h.fileSize); err != nil {
			n.Err = err
		} else if uint64(sum) != h.check {
			n.Err = unpack.Errorf(layerName, h.off+6+12*8, "checksum 0x%08x in the header, 0x%08x computed from the data", h.check, sum)
		}
	}
	switch {
	case broken != nil && h.nameErr != "":
		n.Err = &unpack.FormatError{Layer: layerName, Offset: h.off, Msg: h.nameErr, Err: broken}
	case broken != nil:
		n.Err = broken
	case h.nameErr != "" && n.Err == nil:
		n.Err = unpack.Errorf(layerName, h.off, "%s", h.nameErr)
	}
}

// appendHeaderFields appends the fields of member h of an archive of
// format kind: typ is the member's type, raw its name where the tree does
// not spell it, link a symlink's target (nil for any other member).
func appendHeaderFields(dst []unpack.Field, h *memberHeader, kind headerKind, typ unpack.Type, raw string, link []byte) []unpack.Field {
	add := func(r *unpack.Role, name, value string) {
		dst = append(dst, unpack.Field{Name: name, Value: value, Role: r})
	}
	num := func(v uint64) string { return strconv.FormatUint(v, 10) }
	add(nil, "mode", show.Mode(uint32(h.mode)))
	if t := h.mode & 0o170000; !show.KnownFileType(t) {
		add(nil, "file type bits", fmt.Sprintf("0%06o", t))
	}
	add(nil, "uid", num(h.uid))
	add(nil, "gid", num(h.gid))
	add(nil, "nlink", num(h.nlink))
	add(unpack.RolePlacement, "inode", num(h.ino))
	add(nil, "dev", num(h.devMajor)+","+num(h.devMinor))
	if typ == unpack.TypeCharDevice || typ == unpack.TypeBlockDevice || h.rdevMajor != 0 || h.rdevMinor != 0 {
		add(nil, "rdev", num(h.rdevMajor)+","+num(h.rdevMinor))
	}
	if typ == unpack.TypeDir {
		// A directory's size, 0 for every archiver but one, is where
		// file systems put its listing: placement, not content.
		add(unpack.RolePlacement, "size", strconv.FormatInt(h.fileSize, 10))
	} else {
		add(unpack.RoleDerived, "size", strconv.FormatInt(h.fileSize, 10))
	}
	add(unpack.RoleTime, "mtime", time.Unix(h.mtime, 0).UTC().Format(time.RFC3339))
	if h.kind != kind {
		add(nil, "format", kindNames[h.kind])
	}
	if link != nil {
		add(nil, "link target", string(link))
	}
	if raw != "" {
		add(nil, "name", show.QuoteName(raw))
	}
	if h.kind == cpioCRC || h.check != 0 {
		// newc and odc have no checksum: a value there is odd and shows.
		add(nil, "check", fmt.Sprintf("0x%08x", h.check))
	}
	if h.spelling != "" {
		add(nil, "lower-case hex", h.spelling)
	}
	if len(h.namePad) > 0 {
		add(nil, "padding after name", fmt.Sprintf("%x", h.namePad))
	}
	if len(h.dataPad) > 0 {
		add(nil, "padding after data", fmt.Sprintf("%x", h.dataPad))
	}
	if len(h.nameTail) > 0 {
		add(nil, "name bytes after NUL", fmt.Sprintf("%x", h.nameTail))
	}
	return dst
}

// archiveInfo is what the Meta of every member of an archive shares.
type archiveInfo struct {
	r    io.ReaderAt
	size int64
	kind headerKind
}

// memberEntry is a member read whole: its Meta, where its header is, and
// its Data, where its data is.
type memberEntry struct {
	a    *archiveInfo
	off  int64  // of the header
	head uint32 // bytes of header, name and the padding after it
	odd  bool   // the padding after the data is not all zero: a field shows it
	size int64  // of the data
}

// ReadAt reads the member's data.
func (m *memberEntry) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("cpio member data: read at offset %d", off)
	}
	if off >= m.size {
		return 0, io.EOF
	}
	if left := m.size - off; int64(len(p)) > left {
		n, err := m.a.r.ReadAt(p[:left], m.dataOff()+off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return m.a.r.ReadAt(p, m.dataOff()+off)
}

// Size is the size of the member's data.
func (m *memberEntry) Size() int64 { return m.size }

// Outer is where the data lies in the archive's reader, as
// io.SectionReader's Outer says, so that comparisons find the file the
// archive is mapped from.
func (m *memberEntry) Outer() (io.ReaderAt, int64, int64) { return m.a.r, m.dataOff(), m.size }

func (m *memberEntry) dataOff() int64 { return m.off + int64(m.head) }

// AppendFields decodes the member's header again.
func (m *memberEntry) AppendFields(dst []unpack.Field) []unpack.Field {
	h, err := readCpioHeader(readat.NewPeekSize(m.a.r, m.a.size, int(m.head)), m.off, m.a.size)
	if err != nil {
		// It was read whole when the archive was opened: only a read
		// failing now can bring this.
		return append(dst, unpack.Field{Name: "header", Value: err.Error()})
	}
	raw := ""
	if path := strings.Join(show.PathComponents(h.rawName), "/"); h.rawName != path {
		raw = h.rawName
	}
	return appendHeaderFields(dst, &h, m.a.kind, show.ModeType(uint32(h.mode)), raw, nil)
}

// headBuf is room for a member header and a usual name, headPool pairs
// of such buffers: SameMeta runs for every pair of a large archive.
const headBuf = 512

var headPool = sync.Pool{New: func() any { return new([2][headBuf]byte) }}

// SameMeta compares the two members' headers, names and the padding
// after them as bytes: the same bytes decode to the same fields. A
// member whose data is followed by padding that is not zero shows that
// padding as a field, read from beyond the header: not proven.
func (m *memberEntry) SameMeta(other unpack.Meta) bool {
	o, ok := other.(*memberEntry)
	if !ok || m.odd || o.odd || m.head != o.head || m.a.kind != o.a.kind {
		return false
	}
	if m.head > headBuf {
		same, err := unpack.EqualAt(m.a.r, m.off, o.a.r, o.off, int64(m.head))
		return same && err == nil
	}
	bufs := headPool.Get().(*[2][headBuf]byte)
	defer headPool.Put(bufs)
	a, b := bufs[0][:m.head], bufs[1][:m.head]
	if k, _ := m.a.r.ReadAt(a, m.off); k != len(a) {
		return false
	}
	if k, _ := o.a.r.ReadAt(b, o.off); k != len(b) {
		return false
	}
	return bytes.Equal(a, b)
}

// cpioSum is the crc format's checksum: the sum of the data bytes.
func cpioSum(r io.ReaderAt, off, n int64) (uint32, error) {
	var sum uint32
	buf := make([]byte, min(n, 64<<10))
	for done := int64(0); done < n; {
		k := min(int64(len(buf)), n-done)
		if err := bin.ReadFull(r, buf[:k], off+done, layerName, "member data"); err != nil {
			return 0, err
		}
		for _, c := range buf[:k] {
			sum += uint32(c)
		}
		done += k
	}
	return sum, nil
}

// linkCpioHardLinks marks hard links: members of one (dev, inode) with a
// link count above 1. The data is stored with one of them (newc: the
// last); the others, stored empty, get its data and a field naming it.
func linkCpioHardLinks(members []linkMember) {
	groups := map[linkKey][]int{}
	for i, m := range members {
		groups[m.key] = append(groups[m.key], i)
	}
	for _, g := range groups {
		if len(g) < 2 {
			continue
		}
		holder := -1
		for _, i := range g {
			if members[i].size > 0 {
				holder = i
			}
		}
		if holder < 0 {
			holder = g[len(g)-1]
		}
		for _, i := range g {
			if i == holder {
				continue
			}
			m := members[i]
			m.node.AddField("hard link of", "/%s", members[holder].path)
			if m.size == 0 && m.node.Type == unpack.TypeFile {
				m.node.Data = members[holder].node.Data
				m.node.Offset = members[holder].node.Offset
			}
		}
	}
}

// layoutNamer claims the bytes of an archive's members through one Namer,
// keeping only where each member starts: a million members cost eight
// bytes each, and a member's parts are named only when a difference in
// them is reported, from its header read again.
type layoutNamer struct {
	archive *archiveInfo
	claims  layout.Claims
	namer   layout.Namer
	r       io.ReaderAt
	size    int64
	starts  []int64 // offsets of the members' headers, in order
}

func newCpioLayout(r io.ReaderAt, size int64, kind headerKind) *layoutNamer {
	l := &layoutNamer{archive: &archiveInfo{r: r, size: size, kind: kind}, r: r, size: size}
	l.namer.Name = l.name
	return l
}

// member records a member whose header starts at off.
func (l *layoutNamer) member(off int64) { l.starts = append(l.starts, off) }

// claim claims [off, off+n) for the member last recorded.
func (l *layoutNamer) claim(off, n int64) { l.claims.AddNamed(off, n, &l.namer) }

// name names the part of a member that holds the byte at off.
func (l *layoutNamer) name(off int64) string {
	i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) - 1
	if i < 0 {
		return "cpio archive"
	}
	h, err := readCpioHeader(readat.NewPeek(l.r, l.size), l.starts[i], l.size)
	if err != nil && !h.named {
		return fmt.Sprintf("member header at byte %d", l.starts[i])
	}
	what := show.QuoteName(h.rawName)
	switch {
	case off < h.off+h.hdrLen:
		return "header of member " + what
	case off < h.off+h.hdrLen+h.nameSize:
		return "name of member " + what
	case off < h.dataOff:
		return "padding after the name of member " + what
	case off < h.dataOff+h.fileSize:
		return "data of member " + what
	}
	return "padding after the data of member " + what
}

// HasMagic reports whether b starts with the magic of a cpio archive
// format this package reads.
func HasMagic(b []byte) bool {
	_, ok := magicKind(b)
	return ok
}
