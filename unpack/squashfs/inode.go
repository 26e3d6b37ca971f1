package squashfs

import (
	"encoding/binary"
	"fmt"
	"isodiff/unpack"
)

// Inode types (squashfs 4.0). The extended variant of a basic type t is t+7.
const (
	basicDir     = 1
	basicFile    = 2
	basicSymlink = 3
	basicBlock   = 4
	basicChar    = 5
	basicFifo    = 6
	basicSocket  = 7
	extDir       = 8
	extFile      = 9
	extSymlink   = 10
	extBlock     = 11
	extChar      = 12
	extFifo      = 13
	extSocket    = 14
)

const (
	noFragment = 0xffffffff
	noXattr    = 0xffffffff
	// A data block size word: bit 24 set means stored uncompressed.
	blockUncompressed = 1 << 24
	maxTarget         = 64 << 10 // longest symlink target read (Linux: PATH_MAX 4096)
)

// modeTypeMask is the file type part of st_mode (S_IFMT).
const modeTypeMask = 0o170000

// formatBits maps a basic inode type to the file type bits of st_mode.
var formatBits = [8]uint32{
	basicDir:     0o040000,
	basicFile:    0o100000,
	basicSymlink: 0o120000,
	basicBlock:   0o060000,
	basicChar:    0o020000,
	basicFifo:    0o010000,
	basicSocket:  0o140000,
}

// inodeRecord is one decoded inode. Which fields are set depends on the type.
type inodeRecord struct {
	ref      uint64 // inode reference: table block << 16 | offset
	pos      int64  // byte offset of the metadata block holding its start
	typ      uint16
	perm     uint16
	uidIdx   uint16
	gidIdx   uint16
	mtime    uint32
	number   uint32
	nlink    uint32
	xattr    uint32
	extended bool

	// directories
	dirBlock  uint32 // directory table block, relative to its start
	dirOffset uint16
	dirSize   uint32 // listing size + 3
	parent    uint32
	indexes   []dirIndex

	// regular files
	blocksStart uint64
	fileSize    uint64
	sparse      uint64
	fragIdx     uint32
	fragOffset  uint32
	blockSizes  []uint32
	shared      *fileContent // the Data made for this inode before, if kept

	// symlinks
	target []byte

	// devices
	rdev uint32
}

// dirIndex is one entry of an extended directory's index: the byte
// offset in the listing of a directory header, the metadata block (relative
// to the directory table) it lies in, and the first name after it.
type dirIndex struct {
	index uint32
	start uint32
	name  string
}

// basicType is the type with the extended variants folded onto the basic.
func (in *inodeRecord) basicType() uint16 {
	if in.typ > 7 {
		return in.typ - 7
	}
	return in.typ
}

func (in *inodeRecord) mode() uint32 {
	return formatBits[in.basicType()] | uint32(in.perm&0o7777)
}

// readInode decodes the inode at reference ref of the inode table.
func (w *treeWalker) readInode(ref uint64) (*inodeRecord, error) {
	c := w.img.cursor(w.img.inodeTable, ref)
	start := c.pos()
	in, err := w.decodeInode(&c, ref)
	w.use(streamInode, start, &c)
	return in, err
}

func (w *treeWalker) decodeInode(c *sqCursor, ref uint64) (*inodeRecord, error) {
	hdr, err := c.take(16)
	if err != nil {
		return nil, err
	}
	// One inode is decoded at a time: the walker's scratch, whose slices
	// are reused (what must outlive the next call is copied out).
	in := &w.ino
	*in = inodeRecord{
		indexes:    in.indexes[:0],
		blockSizes: in.blockSizes[:0],
		target:     in.target[:0],
		ref:        ref,
		pos:        c.blockPos,
		typ:        binary.LittleEndian.Uint16(hdr[0:]),
		perm:       binary.LittleEndian.Uint16(hdr[2:]),
		uidIdx:     binary.LittleEndian.Uint16(hdr[4:]),
		gidIdx:     binary.LittleEndian.Uint16(hdr[6:]),
		mtime:      binary.LittleEndian.Uint32(hdr[8:]),
		number:     binary.LittleEndian.Uint32(hdr[12:]),
		xattr:      noXattr,
		nlink:      1,
	}
	bad := func(format string, args ...any) (*inodeRecord, error) {
		return in, unpack.Errorf(layerName, in.pos, "inode %d (reference 0x%x): %s", in.number, ref, fmt.Sprintf(format, args...))
	}
	if in.typ < 1 || in.typ > 14 {
		return bad("unknown inode type %d", in.typ)
	}
	in.extended = in.typ > 7
	u32 := func(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[i:]) }
	switch in.typ {
	case basicDir:
		b, err := c.take(16)
		if err != nil {
			return in, err
		}
		in.dirBlock, in.nlink = u32(b, 0), u32(b, 4)
		in.dirSize = uint32(binary.LittleEndian.Uint16(b[8:]))
		in.dirOffset = binary.LittleEndian.Uint16(b[10:])
		in.parent = u32(b, 12)
	case extDir:
		b, err := c.take(24)
		if err != nil {
			return in, err
		}
		in.nlink, in.dirSize, in.dirBlock, in.parent = u32(b, 0), u32(b, 4), u32(b, 8), u32(b, 12)
		n := int(binary.LittleEndian.Uint16(b[16:]))
		in.dirOffset = binary.LittleEndian.Uint16(b[18:])
		in.xattr = u32(b, 20)
		for i := 0; i < n; i++ {
			ib, err := c.take(12)
			if err != nil {
				return in, err
			}
			idx := dirIndex{index: u32(ib, 0), start: u32(ib, 4)}
			nameLen := int(u32(ib, 8)) + 1
			if nameLen > 256 || nameLen <= 0 {
				return bad("directory index %d: name of %d bytes", i, nameLen)
			}
			name, err := c.take(nameLen)
			if err != nil {
				return in, err
			}
			idx.name = string(name)
			in.indexes = append(in.indexes, idx)
		}
	case basicFile:
		b, err := c.take(16)
		if err != nil {
			return in, err
		}
		in.blocksStart = uint64(u32(b, 0))
		in.fragIdx, in.fragOffset = u32(b, 4), u32(b, 8)
		in.fileSize = uint64(u32(b, 12))
		return in, w.readBlockList(c, in)
	case extFile:
		b, err := c.take(40)
		if err != nil {
			return in, err
		}
		in.blocksStart = binary.LittleEndian.Uint64(b[0:])
		in.fileSize = binary.LittleEndian.Uint64(b[8:])
		in.sparse = binary.LittleEndian.Uint64(b[16:])
		in.nlink, in.fragIdx, in.fragOffset, in.xattr = u32(b, 24), u32(b, 28), u32(b, 32), u32(b, 36)
		return in, w.readBlockList(c, in)
	case basicSymlink, extSymlink:
		b, err := c.take(8)
		if err != nil {
			return in, err
		}
		in.nlink = u32(b, 0)
		n := u32(b, 4)
		if n > maxTarget {
			return bad("symlink target of %d bytes (at most %d read)", n, maxTarget)
		}
		t, err := c.take(int(n))
		if err != nil {
			return in, err
		}
		in.target = append(in.target, t...)
		if in.typ == extSymlink {
			x, err := c.take(4)
			if err != nil {
				return in, err
			}
			in.xattr = u32(x, 0)
		}
	case basicBlock, basicChar, extBlock, extChar:
		n := 8
		if in.extended {
			n = 12
		}
		b, err := c.take(n)
		if err != nil {
			return in, err
		}
		in.nlink, in.rdev = u32(b, 0), u32(b, 4)
		if in.extended {
			in.xattr = u32(b, 8)
		}
	case basicFifo, basicSocket, extFifo, extSocket:
		n := 4
		if in.extended {
			n = 8
		}
		b, err := c.take(n)
		if err != nil {
			return in, err
		}
		in.nlink = u32(b, 0)
		if in.extended {
			in.xattr = u32(b, 4)
		}
	}
	return in, nil
}

// longDir says whether mksquashfs would write directory inode dir,
// whose listing has entries in headers, in the extended form: when the
// basic form cannot hold it (an index, an xattr, a size past 16 bits) or
// the listing is large (257 entries, or names and entries of 8 KiB).
func longDir(dir *inodeRecord, entries, headers int) bool {
	listing := int64(dir.dirSize) - 3
	return len(dir.indexes) > 0 || dir.xattr != noXattr || dir.dirSize > 0xffff ||
		entries >= 257 || listing-12*int64(headers) >= metaSize
}

// longNeeded says whether a non-directory inode needs the extended form
// (mksquashfs uses it only then).
func longNeeded(in *inodeRecord) bool {
	if in.basicType() == basicFile {
		return in.nlink != 1 || in.fileSize > 0xffffffff || in.blocksStart > 0xffffffff || in.sparse != 0 || in.xattr != noXattr
	}
	return in.xattr != noXattr
}

// blockCount is the number of full data blocks of a file: every block when
// the tail is not in a fragment, else all but the tail.
func (w *treeWalker) blockCount(in *inodeRecord) uint64 {
	bs := uint64(w.img.blockSize)
	if in.fragIdx == noFragment {
		return (in.fileSize + bs - 1) / bs
	}
	return in.fileSize / bs
}

// readBlockList reads the block size list that follows a file inode.
func (w *treeWalker) readBlockList(c *sqCursor, in *inodeRecord) error {
	if d := w.files[in.ref]; d != nil {
		// Already read (another name of a hard link).
		in.shared = d
		return nil
	}
	n := w.blockCount(in)
	if n > maxBlocks {
		return unpack.Errorf(layerName, in.pos, "inode %d: a file of %d bytes would have %d blocks (at most %d read)", in.number, in.fileSize, n, maxBlocks)
	}
	if int64(n) > w.blocksLeft {
		return unpack.Errorf(layerName, in.pos, "inode %d: the image has more than %d data blocks in all: not read", in.number, maxTotalBlocks)
	}
	w.blocksLeft -= int64(n)
	for left := int(n); left > 0; {
		k := min(left, 2048)
		b, err := c.take(4 * k)
		if err != nil {
			return err
		}
		for i := 0; i < k; i++ {
			in.blockSizes = append(in.blockSizes, binary.LittleEndian.Uint32(b[4*i:]))
		}
		left -= k
	}
	return nil
}

// dirEntry is one entry of a directory listing.
type dirEntry struct {
	name   string
	ref    uint64 // inode reference
	pos    int64  // metadata block holding the entry
	number uint32 // inode number
	typ    uint16 // basic inode type
}

// readListing reads the listing of directory inode dir: headers of up to
// 256 entries sharing an inode table block and a base inode number. It
// hands each entry to each as it is read, with the number of entries
// left under its header (itself included), and returns the number of
// entries and of headers. It records where the listing lies for the
// accounting (n is the directory's Node).
func (w *treeWalker) readListing(dir *inodeRecord, n *unpack.Node, each func(e *dirEntry, left int)) (count, nHeaders int, err error) {
	if dir.dirSize < 3 {
		return 0, 0, unpack.Errorf(layerName, dir.pos, "directory inode %d: listing size %d, less than 3", dir.number, dir.dirSize)
	}
	size := int64(dir.dirSize) - 3
	listStart := sqPos{w.img.dirTable + int64(dir.dirBlock), int(dir.dirOffset)}
	type header struct {
		at    int64 // byte offset in the listing
		block uint32
		first string
	}
	var headers []header
	var c sqCursor
	if size > 0 {
		c = w.img.cursor(w.img.dirTable, uint64(dir.dirBlock)<<16|uint64(dir.dirOffset))
	}
	defer func() {
		end := listStart
		if size > 0 {
			end = c.pos()
			w.use(streamDir, listStart, &c)
		}
		nHeaders = len(headers)
		if err == nil {
			inode := sqPos{w.img.inodeTable + int64(dir.ref>>16), int(dir.ref & 0xffff)}
			w.dirs = append(w.dirs, dirPlace{inode: inode, start: listStart, end: end, n: n, block: dir.dirBlock, offset: dir.dirOffset})
		}
	}()
	read := int64(0)
	for read < size {
		if size-read < 12 {
			return count, 0, unpack.Errorf(layerName, c.blockPos, "directory inode %d: %d bytes left in the listing, too few for a header", dir.number, size-read)
		}
		if err := c.normalize(); err != nil {
			return count, 0, err
		}
		hdrBlock := uint32(c.blockPos - w.img.dirTable)
		hdrAt := read
		h, err := c.take(12)
		if err != nil {
			return count, 0, err
		}
		read += 12
		inHeader := int64(binary.LittleEndian.Uint32(h[0:])) + 1
		start := binary.LittleEndian.Uint32(h[4:])
		base := binary.LittleEndian.Uint32(h[8:])
		if inHeader > 256 {
			return count, 0, unpack.Errorf(layerName, c.blockPos, "directory inode %d: a header of %d entries (at most 256)", dir.number, inHeader)
		}
		for i := int64(0); i < inHeader; i++ {
			if size-read < 8 {
				return count, 0, unpack.Errorf(layerName, c.blockPos, "directory inode %d: listing ends inside an entry", dir.number)
			}
			pos := c.blockPos
			e, err := c.take(8)
			if err != nil {
				return count, 0, err
			}
			off := binary.LittleEndian.Uint16(e[0:])
			delta := int16(binary.LittleEndian.Uint16(e[2:]))
			typ := binary.LittleEndian.Uint16(e[4:])
			nameLen := int64(binary.LittleEndian.Uint16(e[6:])) + 1
			read += 8
			if nameLen > 256 || nameLen > size-read {
				return count, 0, unpack.Errorf(layerName, pos, "directory inode %d: entry name of %d bytes", dir.number, nameLen)
			}
			name, err := c.take(int(nameLen))
			if err != nil {
				return count, 0, err
			}
			read += nameLen
			ent := dirEntry{
				name:   string(name),
				typ:    typ,
				ref:    uint64(start)<<16 | uint64(off),
				number: uint32(int64(base) + int64(delta)),
				pos:    pos,
			}
			if i == 0 {
				headers = append(headers, header{hdrAt, hdrBlock, ent.name})
			}
			if w.entriesLeft() <= 0 {
				return count, 0, unpack.Errorf(layerName, pos, "more than %d entries: the rest of the image is not read", w.maxEntries)
			}
			count++
			each(&ent, int(inHeader-i))
		}
	}
	// The index lets the kernel find a name without reading the whole
	// listing: an entry that points elsewhere would make lookups fail
	// where this walk succeeds, so say so.
	hi := 0
	for i, ix := range dir.indexes {
		for hi < len(headers) && headers[hi].at < int64(ix.index)+12 && headers[hi].at != int64(ix.index) {
			hi++
		}
		// mksquashfs stores the offset of the header relative to the
		// listing start (the index field) and the header's block.
		if hi >= len(headers) || headers[hi].at != int64(ix.index) || headers[hi].block != ix.start || headers[hi].first != ix.name {
			return count, 0, unpack.Errorf(layerName, dir.pos, "directory inode %d: index entry %d (listing offset %d, block %d, name %q) matches no directory header", dir.number, i, ix.index, ix.start, ix.name)
		}
	}
	return count, 0, nil
}
