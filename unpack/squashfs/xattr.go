package squashfs

import (
	"encoding/binary"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/show"
	"sort"
	"strconv"
)

// Extended attributes: the xattr id table (at the superblock's xattr table
// start) begins with the start of the key/value metadata stream and the
// number of ids, then pointers to metadata blocks of 16-byte id entries
// (reference into the key/value stream, count, total size). Each pair is a
// key (type: prefix in the low byte, 0x100 = value stored out of line; name
// without its prefix) and a value (size, bytes; or, out of line, an 8-byte
// reference to where size and bytes are, shared by equal values).

const (
	xattrOutOfLine = 0x100
	maxXattrs      = 1 << 16   // pairs of one id
	maxXattrValue  = 1 << 20   // bytes of one value (Linux: 64 KiB)
	xattrIDsPerBlk = 8192 / 16 // id entries per metadata block
)

var xattrPrefixes = []string{"user.", "trusted.", "security."}

// sqXattrSet is the decoded xattrs of one xattr id: one field per pair,
// sorted by name.
type sqXattrSet struct {
	fields []unpack.Field
	err    error
}

func (w *treeWalker) readXattrHeader() error {
	off := int64(min(w.sb.xattrTable, 1<<62))
	if off+16 > w.img.size {
		return unpack.Errorf(layerName, off, "xattr id table outside the image")
	}
	var b [16]byte
	if err := bin.ReadFull(w.img.r, b[:], off, layerName, "xattr id table"); err != nil {
		return err
	}
	w.xattrStart = int64(min(binary.LittleEndian.Uint64(b[:]), 1<<62))
	w.xattrIDs = binary.LittleEndian.Uint32(b[8:])
	w.xattrPtrs = off + 16
	if unused := binary.LittleEndian.Uint32(b[12:]); unused != 0 {
		return unpack.Errorf(layerName, off+12, "xattr id table header: unused field 0x%x, not 0", unused)
	}
	return nil
}

// xattrSet decodes (once) the xattrs of id.
func (w *treeWalker) xattrSet(id uint32) *sqXattrSet {
	if w.xattrUsed == nil {
		w.xattrUsed = map[uint32]bool{}
	}
	w.xattrUsed[id] = true
	if xs, ok := w.xattrs[id]; ok {
		return xs
	}
	xs := &sqXattrSet{}
	xs.fields, xs.err = w.readXattrs(id)
	sort.SliceStable(xs.fields, func(i, j int) bool { return xs.fields[i].Name < xs.fields[j].Name })
	if len(w.xattrs) < 1<<20 {
		w.xattrs[id] = xs
	}
	return xs
}

func (w *treeWalker) readXattrs(id uint32) ([]unpack.Field, error) {
	if w.xattrPtrs == 0 || id >= w.xattrIDs {
		return nil, unpack.Errorf(layerName, int64(min(w.sb.xattrTable, 1<<62)), "xattr id %d, but the image has %d", id, w.xattrIDs)
	}
	ptr, err := w.u64At(w.xattrPtrs+int64(id/xattrIDsPerBlk)*8, "xattr id table pointer")
	if err != nil {
		return nil, err
	}
	mb, err := w.img.metaBlockAt(int64(min(ptr, 1<<62)))
	if err != nil {
		return nil, err
	}
	at := int(id%xattrIDsPerBlk) * 16
	if at+16 > len(mb.data) {
		return nil, unpack.Errorf(layerName, int64(ptr), "xattr id %d is past the end of its table block", id)
	}
	ref := binary.LittleEndian.Uint64(mb.data[at:])
	count := binary.LittleEndian.Uint32(mb.data[at+8:])
	total := binary.LittleEndian.Uint32(mb.data[at+12:])
	if count > maxXattrs {
		return nil, unpack.Errorf(layerName, int64(ptr), "xattr id %d has %d pairs", id, count)
	}
	c := w.img.cursor(w.xattrStart, ref)
	start := c.pos()
	defer w.use(streamXattr, start, &c)
	var fields []unpack.Field
	var bad error // a pair that could be read but is odd: reported, the rest still read
	// The id's size is that of its names (with their prefixes), each
	// with a terminating NUL, and values: derived, so checked.
	size := uint64(0)
	for i := uint32(0); i < count; i++ {
		kb, err := c.take(4)
		if err != nil {
			return fields, err
		}
		typ := binary.LittleEndian.Uint16(kb)
		nameLen := int(binary.LittleEndian.Uint16(kb[2:]))
		if typ&^(xattrOutOfLine|0xff) != 0 {
			setFirst(&bad, unpack.Errorf(layerName, c.blockPos, "xattr of type 0x%04x (unknown bits)", typ))
		}
		nb, err := c.take(nameLen)
		if err != nil {
			return fields, err
		}
		name := string(nb)
		if prefix := int(typ & 0xff); prefix < len(xattrPrefixes) {
			name = xattrPrefixes[prefix] + name
		} else {
			setFirst(&bad, unpack.Errorf(layerName, c.blockPos, "xattr %q of unknown prefix type %d", name, prefix))
			name = "prefix" + strconv.Itoa(prefix) + "." + name
		}
		vb, err := c.take(4)
		if err != nil {
			return fields, err
		}
		vlen := binary.LittleEndian.Uint32(vb)
		var value []byte
		if typ&xattrOutOfLine != 0 {
			if vlen != 8 {
				return fields, unpack.Errorf(layerName, c.blockPos, "out-of-line xattr %q with a reference of %d bytes", name, vlen)
			}
			rb, err := c.take(8)
			if err != nil {
				return fields, err
			}
			vc := w.img.cursor(w.xattrStart, binary.LittleEndian.Uint64(rb))
			vstart := vc.pos()
			value, err = readXattrValue(&vc)
			w.use(streamXattr, vstart, &vc)
			if err != nil {
				return fields, err
			}
		} else {
			if vlen > maxXattrValue {
				return fields, unpack.Errorf(layerName, c.blockPos, "xattr %q value of %d bytes", name, vlen)
			}
			if value, err = c.take(int(vlen)); err != nil {
				return fields, err
			}
		}
		size += uint64(len(name)) + 1 + uint64(len(value))
		fields = append(fields, unpack.Field{Name: "xattr " + show.QuoteName(name), Value: show.QuoteName(string(value))})
	}
	if size != uint64(total) {
		setFirst(&bad, unpack.Errorf(layerName, int64(ptr), "xattr id %d: its pairs take %d bytes, its entry says %d", id, size, total))
	}
	return fields, bad
}

func readXattrValue(c *sqCursor) ([]byte, error) {
	vb, err := c.take(4)
	if err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(vb)
	if n > maxXattrValue {
		return nil, unpack.Errorf(layerName, c.blockPos, "xattr value of %d bytes", n)
	}
	return c.take(int(n))
}

func setFirst(err *error, e error) {
	if *err == nil {
		*err = e
	}
}
