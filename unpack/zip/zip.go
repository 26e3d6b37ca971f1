// Package zip reads zip archives (and jar files, which are zip archives)
// into a tree of their entries.
package zip

// A zip archive (PKWARE's APPNOTE.TXT) is read from its end: the end of
// central directory record (EOCD), in the last 65,557 bytes, gives where
// the central directory lies; each central directory header gives where
// its entry's local header lies, and the entry's data follows that.
//
// archive/zip reads the same structures but keeps what makes two builds
// of one archive differ out of sight: the local headers (their times,
// extra fields and flags may disagree with the central directory's), the
// raw extra fields (extended timestamps, Unix uid/gid), data descriptors,
// the version and host that made each entry, and the bytes before the
// first entry (a self-extractor's stub). So the structures are walked
// here, and every byte is claimed by the one that holds it.
//
// Entries' data are decoded only when read, and two entries stored as the
// same compressed bytes with the same method, sizes and CRC are equal
// without decoding either (unpack.StoredEqualer): a jar rebuilt with new
// times holds the same deflate streams.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/pathtree"
	"isodiff/unpack/internal/show"
	"isodiff/unpack/internal/trailing"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

const layerName = "zip"

const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigEnd64      = 0x06064b50
	sigLocator64  = 0x07064b50
	sigDescriptor = 0x08074b50

	localLen     = 30
	centralLen   = 46
	endLen       = 22
	end64Len     = 56
	locator64Len = 20
	// maxEndSearch is how far from the end the EOCD may start: its own
	// size and the longest comment.
	maxEndSearch = endLen + 0xffff
	// maxEnd64Extra bounds the extensible data of a zip64 EOCD record
	// that is read.
	maxEnd64Extra = 64 << 10
)

// Format detects zip archives that start with a local header (or are
// empty): zip files, jars, and what is built on them.
var Format = unpack.Format{Name: layerName, Match: matchZip, Open: Open}

// SelfExtracting detects a zip archive behind a stub (a self-extractor, an
// executable with an archive appended), which it finds from the EOCD at
// the very end. It is tried after every format found by its first bytes,
// so that only what no other format claims is read as such.
var SelfExtracting = unpack.Format{Name: layerName, Match: matchAppended, Open: Open}

func matchZip(head []byte, r io.ReaderAt, size int64) bool {
	if len(head) < 4 {
		return false
	}
	switch binary.LittleEndian.Uint32(head) {
	case sigLocal, sigEnd:
		_, err := findEnd(r, size, true)
		return err == nil
	}
	return false
}

func matchAppended(head []byte, r io.ReaderAt, size int64) bool {
	if len(head) >= 4 && binary.LittleEndian.Uint32(head) == sigLocal {
		return false
	}
	d, err := findEnd(r, size, false)
	return err == nil && d.entries > 0 && d.base > 0
}

// directory is what the end records say of the central directory.
type directory struct {
	endOff     int64 // the EOCD record
	end64Off   int64 // the zip64 EOCD record, -1 when none
	locatorOff int64 // the zip64 locator, -1 when none
	end        int64 // after the EOCD and its comment
	disk       uint32
	cdDisk     uint32
	diskCount  uint64 // entries on this disk
	entries    uint64
	cdSize     uint64
	cdOffset   uint64 // as recorded
	base       int64  // what to add to recorded offsets: the length of a stub the offsets do not count
	comment    []byte
	// from the zip64 record
	made64, needed64 uint16
	ext64            []byte
	locDisk          uint32
	locDisks         uint32
	end64Size        uint64
	raw              [endLen]byte // the EOCD record itself
}

// findEnd finds the EOCD record and, where the archive is zip64, its
// zip64 records, and checks that the central directory they describe lies
// within the input and starts with a central directory header. A record
// followed by anything but its comment is accepted only when trailing is
// set (the archive starts at the first byte, so that what follows it is
// plainly not part of it).
func findEnd(r io.ReaderAt, size int64, allowTrailing bool) (*directory, error) {
	n := min(size, maxEndSearch)
	if n < endLen {
		return nil, unpack.Errorf(layerName, 0, "input of %d bytes is shorter than an end of central directory record", size)
	}
	buf := make([]byte, n)
	start := size - n
	if k, err := r.ReadAt(buf, start); int64(k) < n {
		return nil, &unpack.FormatError{Layer: layerName, Offset: start, Msg: "reading the end of the archive", Err: err}
	}
	var firstErr error
	for i := len(buf) - endLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) != sigEnd {
			continue
		}
		commentLen := int(binary.LittleEndian.Uint16(buf[i+20:]))
		if i+endLen+commentLen > len(buf) || (!allowTrailing && i+endLen+commentLen != len(buf)) {
			continue
		}
		d, err := readEnd(r, size, start+int64(i), buf[i:i+endLen+commentLen])
		if err == nil {
			return d, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, unpack.Errorf(layerName, start, "no end of central directory record in the last %d bytes", n)
}

// readEnd reads the EOCD record b found at off, and the zip64 records
// before it when there are.
func readEnd(r io.ReaderAt, size, off int64, b []byte) (*directory, error) {
	le := binary.LittleEndian
	d := &directory{endOff: off, end64Off: -1, locatorOff: -1, end: off + int64(len(b))}
	d.disk, d.cdDisk = uint32(le.Uint16(b[4:])), uint32(le.Uint16(b[6:]))
	d.diskCount, d.entries = uint64(le.Uint16(b[8:])), uint64(le.Uint16(b[10:]))
	d.cdSize, d.cdOffset = uint64(le.Uint32(b[12:])), uint64(le.Uint32(b[16:]))
	d.comment = bytes.Clone(b[endLen:])
	copy(d.raw[:], b)
	cdEnd := off
	if off >= locator64Len {
		var loc [locator64Len]byte
		if _, err := r.ReadAt(loc[:], off-locator64Len); err == nil && le.Uint32(loc[:]) == sigLocator64 {
			d.locatorOff = off - locator64Len
			d.locDisk, d.locDisks = le.Uint32(loc[4:]), le.Uint32(loc[16:])
			rec := le.Uint64(loc[8:])
			if rec > uint64(d.locatorOff) || uint64(d.locatorOff)-rec < end64Len {
				return nil, unpack.Errorf(layerName, d.locatorOff, "zip64 locator: record offset %d leaves no room for the record before the locator at %d", rec, d.locatorOff)
			}
			if err := d.readEnd64(r, d.locatorOff); err != nil {
				return nil, err
			}
			cdEnd = d.end64Off
		}
	}
	if d.disk != 0 || d.cdDisk != 0 {
		return nil, unpack.Errorf(layerName, off+4, "archive spans several disks (disk %d, central directory on disk %d)", d.disk, d.cdDisk)
	}
	if d.cdSize > uint64(cdEnd) {
		return nil, unpack.Errorf(layerName, off+12, "central directory of %d bytes does not fit before its end record at %d", d.cdSize, cdEnd)
	}
	if d.entries > d.cdSize/centralLen {
		return nil, unpack.Errorf(layerName, off+10, "%d entries do not fit in a central directory of %d bytes", d.entries, d.cdSize)
	}
	// The central directory ends where the end records start, unless a
	// stub before the archive is not counted in the offsets.
	cdStart := cdEnd - int64(d.cdSize)
	if d.cdOffset > uint64(cdStart) {
		return nil, unpack.Errorf(layerName, off+16, "central directory offset %d beyond where the central directory ends (%d)", d.cdOffset, cdStart)
	}
	d.base = cdStart - int64(d.cdOffset)
	if d.entries > 0 {
		var sig [4]byte
		if _, err := r.ReadAt(sig[:], cdStart); err != nil || le.Uint32(sig[:]) != sigCentral {
			return nil, unpack.Errorf(layerName, cdStart, "no central directory header where the end record says the central directory starts")
		}
	}
	return d, nil
}

// readEnd64 reads the zip64 EOCD record its locator at loc points to.
func (d *directory) readEnd64(r io.ReaderAt, loc int64) error {
	le := binary.LittleEndian
	var lb [8]byte
	r.ReadAt(lb[:], loc+8)
	off := int64(le.Uint64(lb[:]))
	var b [end64Len]byte
	if err := bin.ReadFull(r, b[:], off, layerName, "zip64 end of central directory record"); err != nil {
		return err
	}
	if le.Uint32(b[:]) != sigEnd64 {
		return unpack.Errorf(layerName, off, "no zip64 end of central directory record where the locator points")
	}
	d.end64Size = le.Uint64(b[4:])
	if d.end64Size < end64Len-12 || d.end64Size-(end64Len-12) > maxEnd64Extra || off+12+int64(d.end64Size) != loc {
		return unpack.Errorf(layerName, off+4, "zip64 end of central directory record of %d bytes does not end at its locator (%d)", d.end64Size, loc)
	}
	d.end64Off = off
	d.made64, d.needed64 = le.Uint16(b[12:]), le.Uint16(b[14:])
	d.disk, d.cdDisk = le.Uint32(b[16:]), le.Uint32(b[20:])
	d.diskCount, d.entries = le.Uint64(b[24:]), le.Uint64(b[32:])
	d.cdSize, d.cdOffset = le.Uint64(b[40:]), le.Uint64(b[48:])
	if n := int64(d.end64Size) - (end64Len - 12); n > 0 {
		d.ext64 = make([]byte, n)
		if err := bin.ReadFull(r, d.ext64, off+end64Len, layerName, "zip64 extensible data"); err != nil {
			return err
		}
	}
	return nil
}

// entry is one central directory header and what it leads to.
type entry struct {
	cdOff                       int64
	made, needed, flags, method uint16
	modTime, modDate            uint16
	crc                         uint32
	csize, usize                uint64
	diskStart                   uint32
	internal                    uint16
	external                    uint32
	localOff                    uint64 // as recorded
	name, extra, comment        []byte
	cdLen                       int64

	// the local header
	lOff                     int64
	lNeeded, lFlags, lMethod uint16
	lModTime, lModDate       uint16
	lCRC                     uint32
	lCsize, lUsize           uint64
	lName, lExtra            []byte
	dataOff                  int64
	descOff, descLen         int64 // the data descriptor, descLen 0 when none
	descSig                  bool
	dCRC                     uint32
	dCsize, dUsize           uint64
	localErr                 error
	node                     *unpack.Node
	path                     string
}

// Open reads a zip archive: the tree of its entries, with the fields of
// their central directory headers and, where they differ, of their local
// headers; the end records as the root's fields; the bytes before the
// first entry as "[prefix]", after the end record as "[trailing bytes]".
func Open(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	d, err := findEnd(r, size, true)
	if err != nil {
		return nil, err
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	lay := newZipLayout()
	endFields(root, d, lay)

	cdStart := d.base + int64(d.cdOffset)
	entries := make([]*entry, 0, min(d.entries, 1<<16))
	off := cdStart
	cdEnd := cdStart + int64(d.cdSize)
	for i := uint64(0); i < d.entries; i++ {
		e, err := readCentral(r, off, cdEnd)
		if err != nil {
			root.AddErr(err)
			break
		}
		entries = append(entries, e)
		lay.span(off, e.cdLen, spanCentral, len(entries)-1)
		off += e.cdLen
	}
	if off < cdEnd && root.Err == nil {
		root.AddErr(unpack.Errorf(layerName, off, "%d bytes of the central directory after its %d entries", cdEnd-off, d.entries))
	}
	tree := pathtree.New(layerName)
	budget := &memBudget{}
	for i, e := range entries {
		e.readLocal(r, d.base, size)
		if e.localErr == nil {
			lay.span(e.lOff, e.dataOff-e.lOff, spanLocal, i)
			lay.span(e.dataOff, int64(e.csize), spanData, i)
			if e.descLen > 0 {
				lay.span(e.descOff, e.descLen, spanDescriptor, i)
			}
		}
		e.node = entryNode(r, e, env, budget)
		comps := show.PathComponents(string(e.name))
		e.node = tree.Add(comps, e.node, e.cdOff)
		e.path = strings.Join(comps, "/")
	}
	markOverlaps(entries)
	root.AddRoleField(unpack.RoleDerived, "entries", "%d", len(entries))
	lay.entries = entries

	// What lies before the first local header (a stub) and between the
	// structures.
	first := cdStart
	for _, e := range entries {
		if e.localErr == nil {
			first = min(first, e.lOff)
		}
	}
	if first > 0 {
		root.Children = append(root.Children, &unpack.Node{Name: "[prefix]", Type: unpack.TypeFile, Layer: layerName, Offset: 0,
			Data: io.NewSectionReader(r, 0, first)})
		root.AddRoleField(unpack.RolePlacement, "prefix", "%d bytes", first)
		lay.claims.Add(0, first, "bytes before the first entry")
	}
	trailing.Add(root, layerName, r, d.end, size)
	if _, zeros := root.Field("padding"); zeros {
		lay.claims.Add(d.end, size-d.end, "zero padding after the end of central directory record")
	} else {
		lay.claims.Add(d.end, size-d.end, "trailing bytes")
	}
	lay.finish()
	unpack.RecordOrders(tree.Root) // members join their parents in archive order
	root.Children = append(root.Children, tree.Root)
	if len(lay.claims.Unclaimed(size)) > 0 {
		root.Children = append(root.Children, lay.claims.UnclaimedNode(layerName, r, size))
	}
	root.SetLayout(lay)
	root.Sort()
	return root, nil
}

// endFields gives the root the fields of the end records and claims them.
func endFields(root *unpack.Node, d *directory, lay *zipLayout) {
	root.AddRoleField(unpack.RolePlacement, "central directory offset", "%d", d.cdOffset)
	root.AddRoleField(unpack.RoleDerived, "central directory size", "%d", d.cdSize)
	if d.diskCount != d.entries {
		root.AddField("entries on this disk", "%d", d.diskCount)
	}
	if len(d.comment) > 0 {
		root.AddField("comment", "%s", show.Quote(string(d.comment)))
	}
	lay.claims.Add(d.endOff, endLen, "end of central directory record")
	lay.claims.Add(d.endOff+endLen, int64(len(d.comment)), "archive comment")
	if d.end64Off >= 0 {
		root.AddField("zip64", "version made by %s, needed %s", version(d.made64), version(d.needed64))
		if len(d.ext64) > 0 {
			root.AddField("zip64 extensible data", "%x", d.ext64)
		}
		if d.locDisk != 0 || d.locDisks != 1 {
			root.AddField("zip64 locator disks", "record on disk %d of %d", d.locDisk, d.locDisks)
		}
		lay.claims.Add(d.end64Off, 12+int64(d.end64Size), "zip64 end of central directory record")
		lay.claims.Add(d.locatorOff, locator64Len, "zip64 end of central directory locator")
		// The EOCD's own fields, which the zip64 record stands in for:
		// all ones, or values that must agree with it.
		le := binary.LittleEndian
		e := d.raw
		for _, f := range []struct {
			name    string
			v, ones uint64
			want    uint64
		}{
			{"end record disk", uint64(le.Uint16(e[4:])), 0xffff, uint64(d.disk)},
			{"end record central directory disk", uint64(le.Uint16(e[6:])), 0xffff, uint64(d.cdDisk)},
			{"end record entries on this disk", uint64(le.Uint16(e[8:])), 0xffff, d.diskCount},
			{"end record entries", uint64(le.Uint16(e[10:])), 0xffff, d.entries},
			{"end record central directory size", uint64(le.Uint32(e[12:])), 0xffffffff, d.cdSize},
			{"end record central directory offset", uint64(le.Uint32(e[16:])), 0xffffffff, d.cdOffset},
		} {
			if f.v != f.ones && f.v != f.want {
				root.AddField(f.name, "%d", f.v)
			}
		}
	}
}

// readCentral reads the central directory header at off.
func readCentral(r io.ReaderAt, off, cdEnd int64) (*entry, error) {
	le := binary.LittleEndian
	if cdEnd-off < centralLen {
		return nil, unpack.Errorf(layerName, off, "central directory header cut by the end of the central directory")
	}
	var b [centralLen]byte
	if err := bin.ReadFull(r, b[:], off, layerName, "central directory header"); err != nil {
		return nil, err
	}
	if le.Uint32(b[:]) != sigCentral {
		return nil, unpack.Errorf(layerName, off, "no central directory header signature (%x)", b[:4])
	}
	e := &entry{cdOff: off}
	e.made, e.needed, e.flags, e.method = le.Uint16(b[4:]), le.Uint16(b[6:]), le.Uint16(b[8:]), le.Uint16(b[10:])
	e.modTime, e.modDate = le.Uint16(b[12:]), le.Uint16(b[14:])
	e.crc = le.Uint32(b[16:])
	e.csize, e.usize = uint64(le.Uint32(b[20:])), uint64(le.Uint32(b[24:]))
	nameLen, extraLen, commentLen := int64(le.Uint16(b[28:])), int64(le.Uint16(b[30:])), int64(le.Uint16(b[32:]))
	e.diskStart, e.internal, e.external = uint32(le.Uint16(b[34:])), le.Uint16(b[36:]), le.Uint32(b[38:])
	e.localOff = uint64(le.Uint32(b[42:]))
	e.cdLen = centralLen + nameLen + extraLen + commentLen
	if off+e.cdLen > cdEnd {
		return nil, unpack.Errorf(layerName, off, "central directory header of %d bytes runs past the end of the central directory", e.cdLen)
	}
	v := make([]byte, nameLen+extraLen+commentLen) // at most 3 x 64 KiB, within the input
	if err := bin.ReadFull(r, v, off+centralLen, layerName, "central directory header name, extra field and comment"); err != nil {
		return nil, err
	}
	e.name, e.extra, e.comment = v[:nameLen], v[nameLen:nameLen+extraLen], v[nameLen+extraLen:]
	// zip64: the sizes and offsets that do not fit in 32 bits are in the
	// extra field, in this order, each only when its field is all ones.
	if z, ok := findExtra(e.extra, 0x0001); ok {
		take := func(v *uint64) {
			if *v == 0xffffffff && len(z) >= 8 {
				*v, z = le.Uint64(z), z[8:]
			}
		}
		take(&e.usize)
		take(&e.csize)
		take(&e.localOff)
		if e.diskStart == 0xffff && len(z) >= 4 {
			e.diskStart = le.Uint32(z)
		}
	}
	return e, nil
}

// readLocal reads the entry's local header, finds its data and its data
// descriptor; a failure is the entry's (localErr).
func (e *entry) readLocal(r io.ReaderAt, base, size int64) {
	le := binary.LittleEndian
	fail := func(err error) { e.localErr = err }
	if e.localOff > uint64(size) || base+int64(e.localOff) > size-localLen {
		fail(unpack.Errorf(layerName, e.cdOff+42, "local header offset %d beyond the end of input", e.localOff))
		return
	}
	e.lOff = base + int64(e.localOff)
	var b [localLen]byte
	if err := bin.ReadFull(r, b[:], e.lOff, layerName, "local header"); err != nil {
		fail(err)
		return
	}
	if le.Uint32(b[:]) != sigLocal {
		fail(unpack.Errorf(layerName, e.lOff, "no local header signature (%x) where the central directory says the entry starts", b[:4]))
		return
	}
	e.lNeeded, e.lFlags, e.lMethod = le.Uint16(b[4:]), le.Uint16(b[6:]), le.Uint16(b[8:])
	e.lModTime, e.lModDate = le.Uint16(b[10:]), le.Uint16(b[12:])
	e.lCRC = le.Uint32(b[14:])
	e.lCsize, e.lUsize = uint64(le.Uint32(b[18:])), uint64(le.Uint32(b[22:]))
	nameLen, extraLen := int64(le.Uint16(b[26:])), int64(le.Uint16(b[28:]))
	if e.lOff+localLen+nameLen+extraLen > size {
		fail(unpack.Errorf(layerName, e.lOff, "local header name and extra field run past the end of input"))
		return
	}
	v := make([]byte, nameLen+extraLen)
	if err := bin.ReadFull(r, v, e.lOff+localLen, layerName, "local header name and extra field"); err != nil {
		fail(err)
		return
	}
	e.lName, e.lExtra = v[:nameLen], v[nameLen:]
	zip64 := false
	if z, ok := findExtra(e.lExtra, 0x0001); ok {
		zip64 = true
		if e.lUsize == 0xffffffff && len(z) >= 8 {
			e.lUsize, z = le.Uint64(z), z[8:]
		}
		if e.lCsize == 0xffffffff && len(z) >= 8 {
			e.lCsize = le.Uint64(z)
		}
	}
	e.dataOff = e.lOff + localLen + nameLen + extraLen
	if e.csize > uint64(size-e.dataOff) {
		fail(unpack.Errorf(layerName, e.cdOff+20, "entry %s: compressed size %d beyond the end of input (%d bytes after its local header)", show.QuoteName(string(e.name)), e.csize, size-e.dataOff))
		return
	}
	if e.lFlags&flagDescriptor == 0 {
		return
	}
	// The data descriptor: an optional signature, the CRC and both sizes,
	// eight bytes each in a zip64 entry.
	e.descOff = e.dataOff + int64(e.csize)
	n := int64(12)
	if zip64 || e.csize >= 0xffffffff || e.usize >= 0xffffffff {
		n = 20
	}
	var db [24]byte
	k, _ := r.ReadAt(db[:min(int64(len(db)), size-e.descOff)], e.descOff)
	if k >= 4 && le.Uint32(db[:]) == sigDescriptor {
		e.descSig = true
		n += 4
	}
	if int64(k) < n {
		fail(unpack.Errorf(layerName, e.descOff, "data descriptor cut by the end of input"))
		return
	}
	p := db[:n]
	if e.descSig {
		p = p[4:]
	}
	e.dCRC = le.Uint32(p)
	if len(p) == 20 {
		e.dCsize, e.dUsize = le.Uint64(p[4:]), le.Uint64(p[12:])
	} else {
		e.dCsize, e.dUsize = uint64(le.Uint32(p[4:])), uint64(le.Uint32(p[8:]))
	}
	e.descLen = n
}

const (
	flagEncrypted  = 1 << 0
	flagDescriptor = 1 << 3
	flagUTF8       = 1 << 11
)

var flagNames = []bin.Flag[uint16]{
	{Bit: flagEncrypted, Name: "encrypted"},
	{Bit: flagDescriptor, Name: "data descriptor"},
	{Bit: 1 << 6, Name: "strong encryption"},
	{Bit: flagUTF8, Name: "UTF-8"},
	{Bit: 1 << 13, Name: "masked local header"},
}

func flagString(f uint16) string {
	names, rest := bin.NamedFlags(f, flagNames)
	if rest != 0 {
		names = append(names, fmt.Sprintf("0x%04x", rest))
	}
	if len(names) == 0 {
		return "none"
	}
	return fmt.Sprintf("0x%04x (%s)", f, strings.Join(names, ", "))
}

var methodNames = map[uint16]string{0: "stored", 1: "shrunk", 6: "imploded", 8: "deflated", 9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstd", 95: "xz", 98: "ppmd"}

func methodString(m uint16) string {
	if s, ok := methodNames[m]; ok {
		return fmt.Sprintf("%s (%d)", s, m)
	}
	return fmt.Sprintf("%d", m)
}

var hostNames = map[uint8]string{0: "MS-DOS", 3: "Unix", 7: "Macintosh", 10: "NTFS", 11: "VFAT", 14: "VFAT", 19: "OS X"}

// version shows a "version made by" or "needed": the spec version and,
// in the high byte of "made by", the host.
func version(v uint16) string {
	return fmt.Sprintf("%d.%d", (v&0xff)/10, (v&0xff)%10)
}

func madeBy(v uint16) string {
	host := uint8(v >> 8)
	name, ok := hostNames[host]
	if !ok {
		name = fmt.Sprintf("host %d", host)
	}
	return version(v) + " (" + name + ")"
}

// dosTime shows an MS-DOS date and time, which have no time zone.
func dosTime(date, tm uint16) string {
	y, mo, d := int(date>>9)+1980, int(date>>5&0xf), int(date&0x1f)
	h, mi, s := int(tm>>11), int(tm>>5&0x3f), int(tm&0x1f)*2
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return fmt.Sprintf("invalid (date 0x%04x, time 0x%04x)", date, tm)
	}
	return fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, s)
}

// roleEntryTime labels the times of an entry: the DOS time every entry
// has and the extended timestamps zip adds without -X.
var roleEntryTime = &unpack.Role{Kind: unpack.Time, Cause: "zip entry time", NamesField: true}

// entryNode makes the node of an entry: its fields, its data.
func entryNode(r io.ReaderAt, e *entry, env *unpack.Env, budget *memBudget) *unpack.Node {
	typ := unpack.TypeFile
	if strings.HasSuffix(string(e.name), "/") {
		typ = unpack.TypeDir
	}
	unix := e.made>>8 == 3 || e.made>>8 == 19
	mode := e.external >> 16
	if unix && mode != 0 {
		typ = show.ModeType(mode)
	}
	n := &unpack.Node{Type: typ, Layer: layerName, Offset: e.cdOff}
	n.SetFields(make([]unpack.Field, 0, 16))
	n.AddField("method", "%s", methodString(e.method))
	if typ == unpack.TypeDir {
		n.AddRoleField(unpack.RolePlacement, "size", "%d", e.usize)
	} else {
		n.AddRoleField(unpack.RoleDerived, "size", "%d", e.usize)
	}
	n.AddRoleField(unpack.RoleDerived, "compressed size", "%d", e.csize)
	n.AddRoleField(unpack.RoleDerived, "crc32", "0x%08x", e.crc)
	n.AddRoleField(roleEntryTime, "mtime", "%s", dosTime(e.modDate, e.modTime))
	n.AddField("version made by", "%s", madeBy(e.made))
	n.AddField("version needed", "%s", version(e.needed))
	n.AddField("flags", "%s", flagString(e.flags))
	if unix && mode != 0 {
		n.AddField("mode", "%s", show.Mode(mode))
		if a := e.external & 0xffff; a != 0 {
			n.AddField("MS-DOS attributes", "0x%04x", a)
		}
	} else {
		n.AddField("external attributes", "0x%08x", e.external)
	}
	if e.internal != 0 {
		n.AddField("internal attributes", "0x%04x", e.internal)
	}
	if e.diskStart != 0 {
		n.AddField("disk", "%d", e.diskStart)
	}
	extraFields(n, "", e.extra)
	if len(e.comment) > 0 {
		n.AddField("comment", "%s", show.Quote(string(e.comment)))
	}
	if raw := string(e.name); raw != strings.Join(show.PathComponents(raw), "/") && raw != strings.Join(show.PathComponents(raw), "/")+"/" {
		n.AddField("name", "%s", show.QuoteName(raw))
	}
	n.AddRoleField(unpack.RolePlacement, "local header offset", "%d", e.localOff)
	if e.localErr != nil {
		n.Err = e.localErr
		return n
	}
	localFields(n, e)
	if typ == unpack.TypeDir && e.usize == 0 && e.csize == 0 {
		return n
	}
	n.Offset = e.dataOff
	data, err := newEntryData(r, e, env, budget)
	if err != nil {
		n.AddErr(err)
	}
	if typ == unpack.TypeSymlink && data != nil && data.Size() <= maxLink {
		b := make([]byte, data.Size())
		if k, err := data.ReadAt(b, 0); k == len(b) {
			n.AddField("link target", "%s", show.Quote(string(b)))
			return n
		} else if err != nil {
			n.AddErr(err)
		}
	}
	if data != nil {
		n.Data = data
	}
	return n
}

// maxLink bounds a symlink target read into a field.
const maxLink = 64 << 10

// localFields shows what the local header says where it differs from the
// central directory (a header written before the data was, with a data
// descriptor after it, holds zeros for the CRC and sizes).
func localFields(n *unpack.Node, e *entry) {
	if e.lNeeded != e.needed {
		n.AddField("local version needed", "%s", version(e.lNeeded))
	}
	if e.lFlags != e.flags {
		n.AddField("local flags", "%s", flagString(e.lFlags))
	}
	if e.lMethod != e.method {
		n.AddField("local method", "%s", methodString(e.lMethod))
	}
	if e.lModTime != e.modTime || e.lModDate != e.modDate {
		n.AddRoleField(roleEntryTime, "local mtime", "%s", dosTime(e.lModDate, e.lModTime))
	}
	if e.lCRC != e.crc {
		n.AddRoleField(unpack.RoleDerived, "local crc32", "0x%08x", e.lCRC)
	}
	if e.lCsize != e.csize {
		n.AddRoleField(unpack.RoleDerived, "local compressed size", "%d", e.lCsize)
	}
	if e.lUsize != e.usize {
		n.AddRoleField(unpack.RoleDerived, "local size", "%d", e.lUsize)
	}
	if !bytes.Equal(e.lName, e.name) {
		n.AddField("local name", "%s", show.QuoteName(string(e.lName)))
	}
	if !bytes.Equal(e.lExtra, e.extra) {
		extraFields(n, "local ", e.lExtra)
		if len(e.lExtra) == 0 {
			n.AddField("local extra", "none")
		}
	}
	if e.descLen > 0 {
		sig := ""
		if !e.descSig {
			sig = ", no signature"
		}
		n.AddField("data descriptor", "%d bytes%s", e.descLen, sig)
		if e.dCRC != e.crc {
			n.AddRoleField(unpack.RoleDerived, "descriptor crc32", "0x%08x", e.dCRC)
		}
		if e.dCsize != e.csize {
			n.AddRoleField(unpack.RoleDerived, "descriptor compressed size", "%d", e.dCsize)
		}
		if e.dUsize != e.usize {
			n.AddRoleField(unpack.RoleDerived, "descriptor size", "%d", e.dUsize)
		}
	}
}

// findExtra returns the data of the first extra field of the given id.
func findExtra(extra []byte, id uint16) ([]byte, bool) {
	for len(extra) >= 4 {
		tag, n := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+n > len(extra) {
			return nil, false
		}
		if tag == id {
			return extra[4 : 4+n], true
		}
		extra = extra[4+n:]
	}
	return nil, false
}

// extraFields shows the extra fields of a header, decoding those that
// record times and owners; prefix is "local " for a local header's.
func extraFields(n *unpack.Node, prefix string, extra []byte) {
	le := binary.LittleEndian
	seen := map[uint16]int{}
	for len(extra) > 0 {
		if len(extra) < 4 {
			n.AddField(prefix+"extra (cut)", "%x", extra)
			return
		}
		tag, size := le.Uint16(extra), int(le.Uint16(extra[2:]))
		if 4+size > len(extra) {
			n.AddField(prefix+"extra (cut)", "%x", extra)
			return
		}
		v := extra[4 : 4+size]
		extra = extra[4+size:]
		seen[tag]++
		name := fmt.Sprintf("%sextra 0x%04x", prefix, tag)
		if k := seen[tag]; k > 1 {
			name += fmt.Sprintf(" (%d)", k)
		}
		switch {
		case tag == 0x5455 && size >= 1: // extended timestamp ("UT")
			flags := v[0]
			n.AddRoleField(roleEntryTime, prefix+"extended timestamp flags", "0x%02x", flags)
			p := v[1:]
			for i, what := range []string{"mtime", "atime", "ctime"} {
				if flags&(1<<i) == 0 || len(p) < 4 {
					continue
				}
				t := int32(le.Uint32(p))
				n.AddRoleField(roleEntryTime, prefix+"extended "+what, "%s", time.Unix(int64(t), 0).UTC().Format(time.RFC3339))
				p = p[4:]
			}
			if len(p) > 0 {
				n.AddField(prefix+"extended timestamp rest", "%x", p)
			}
		case tag == 0x7875 && size >= 1: // Info-ZIP Unix uid/gid ("ux")
			if uid, gid, ok := uxIDs(v); ok {
				n.AddField(prefix+"uid", "%d", uid)
				n.AddField(prefix+"gid", "%d", gid)
			} else {
				n.AddField(name+" (ux)", "%x", v)
			}
		case tag == 0x5855 && size >= 8: // old Info-ZIP Unix ("UX")
			n.AddRoleField(roleEntryTime, prefix+"UX atime", "%s", time.Unix(int64(int32(le.Uint32(v))), 0).UTC().Format(time.RFC3339))
			n.AddRoleField(roleEntryTime, prefix+"UX mtime", "%s", time.Unix(int64(int32(le.Uint32(v[4:]))), 0).UTC().Format(time.RFC3339))
			if size >= 12 {
				n.AddField(prefix+"UX uid", "%d", le.Uint16(v[8:]))
				n.AddField(prefix+"UX gid", "%d", le.Uint16(v[10:]))
			}
			if size != 8 && size != 12 {
				n.AddField(name+" (UX)", "%x", v)
			}
		case tag == 0x000a && size == 32 && le.Uint16(v[4:]) == 1 && le.Uint16(v[6:]) == 24: // NTFS times
			if r := le.Uint32(v); r != 0 {
				n.AddField(prefix+"NTFS reserved", "0x%08x", r)
			}
			for i, what := range []string{"mtime", "atime", "ctime"} {
				ft := le.Uint64(v[8+8*i:])
				n.AddRoleField(roleEntryTime, prefix+"NTFS "+what, "%s", fileTime(ft))
			}
		case tag == 0x0001:
			n.AddField(prefix+"zip64", "%x", v)
		case tag == 0xcafe && size == 0:
			n.AddField(prefix+"jar marker", "0xcafe")
		default:
			n.AddField(name, "%x", v)
		}
	}
}

// fileTime shows a Windows FILETIME (100 ns since 1601) in UTC.
func fileTime(ft uint64) string {
	const epochDiff = 11644473600 // seconds from 1601 to 1970
	s := int64(ft/10_000_000) - epochDiff
	ns := int64(ft%10_000_000) * 100
	return time.Unix(s, ns).UTC().Format(time.RFC3339Nano)
}

// uxIDs decodes the "ux" field: version 1, then the uid and gid, each
// after its size in bytes.
func uxIDs(v []byte) (uid, gid uint64, ok bool) {
	if len(v) < 2 || v[0] != 1 {
		return 0, 0, false
	}
	read := func(p []byte) (uint64, []byte, bool) {
		if len(p) < 1 || int(p[0]) > 8 || len(p) < 1+int(p[0]) {
			return 0, nil, false
		}
		var x uint64
		for i := int(p[0]); i >= 1; i-- {
			x = x<<8 | uint64(p[i])
		}
		return x, p[1+int(p[0]):], true
	}
	uid, rest, ok := read(v[1:])
	if !ok {
		return 0, 0, false
	}
	gid, rest, ok = read(rest)
	return uid, gid, ok && len(rest) == 0
}

// markOverlaps marks entries whose data overlaps another entry's: an
// archive made that way decompresses one stored stream many times over
// (a "non-recursive" zip bomb), which no archiver writes.
func markOverlaps(entries []*entry) {
	idx := make([]int, 0, len(entries))
	for i, e := range entries {
		if e.localErr == nil {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return entries[idx[a]].lOff < entries[idx[b]].lOff })
	for k := 1; k < len(idx); k++ {
		prev, e := entries[idx[k-1]], entries[idx[k]]
		prevEnd := prev.dataOff + int64(prev.csize) + prev.descLen
		if e.lOff < prevEnd {
			e.node.AddErr(unpack.Errorf(layerName, e.lOff, "local header inside entry %s (bytes %d to %d)", show.QuoteName(string(prev.name)), prev.lOff, prevEnd))
		}
	}
}

// memBudget bounds the decoded entries one archive keeps in memory; the
// others are spooled.
type memBudget struct{ used atomic.Int64 }

const (
	maxMemEntry  = 1 << 20
	maxMemBudget = 64 << 20
)

func (b *memBudget) take(n int64) bool {
	if b.used.Add(n) > maxMemBudget {
		b.used.Add(-n)
		return false
	}
	return true
}
