// Package squashfs reads squashfs 4.0 file systems, every compressor
// included, comparing file contents as stored where it can.
package squashfs

// Squashfs 4.0, read-only, walked by inode.
//
// Why our own reader and not go-diskfs (v1.9.4, filesystem/squashfs), which
// the tests still use as a cross-check where it is right: it fails on xz
// blocks with the x86 BCJ filter (nixpkgs' squashfs default before 24.11:
// -comp xz -Xbcj x86) because github.com/ulikunitz/xz has no BCJ; it cannot
// open lz4 images (it uses the lz4 frame reader, while squashfs stores raw
// lz4 blocks); it drops the setuid, setgid and sticky bits, has no device
// numbers, loses the user./trusted./security. prefix of xattr names and
// breaks on a file with three xattrs; and it walks directories by path,
// re-reading every ancestor, which is quadratic in a wide nix store (76 s
// to list 5,000 store paths). This reader walks the directory table by
// inode reference, keeps every field of every inode, and decompresses file
// data lazily, block by block, through a small cache shared by the image.
//
// Layout (squashfs-tools' squashfs_fs.h, the kernel's fs/squashfs): a 96-byte
// superblock; optionally a compressor options metadata block; data and
// fragment blocks; then the inode table and directory table (streams of
// metadata blocks of at most 8 KiB, each with a 2-byte header), and the
// fragment, export, id and xattr tables (arrays of u64 pointers to
// metadata blocks). Inode references are (metadata block offset from the
// table start) << 16 | (offset in the decompressed block).
//
// Node shape: the layer root (TypeRecord, Layer "squashfs") has the
// superblock as fields (version, compressor and its options, block size,
// mkfs time, flags, inode/id/fragment counts, bytes used, root inode) and
// one child "/", the root directory. Entries have mode, uid, gid, nlink,
// inode, then rdev (devices) or size (files, directories: the listing size
// + 3 as unsquashfs shows it, symlinks: the target length), mtime, link
// target, and for regular files blocks (stored full blocks, holes
// included), fragment ("index I, offset O") when the tail is in a fragment
// block, sparse (bytes in holes, from an extended inode) when not 0; then
// one "xattr NAME" field per xattr, and "hard link of" on every name of an
// inode but the first in sorted path order. Block start offsets are not
// fields (they shift whenever anything before them changes): see
// SquashfsData.Blocks. The root also has "[unclaimed bytes]" (every byte no
// structure accounts for, in practice the padding after the tables), and,
// only when some decompressed metadata byte is decoded into nothing,
// "[unread metadata]"; fields that show bits mksquashfs always writes the
// same way appear only when they are not so (see "Byte accounting" below).

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const layerName = "squashfs"

const (
	magicBytes   = 0x73717368 // "hsqs"
	superSize    = 96
	metaSize     = 8192
	metaUncomp   = 0x8000
	maxBlocks    = 1 << 24 // data blocks of one file read (16 TiB at 1 MiB blocks)
	maxDepth     = 1024
	sqMaxEntries = 4_000_000
	// Data blocks listed by all the file inodes of an image: 1 TiB of 16
	// KiB blocks, 64 TiB of 1 MiB blocks; 256 MiB of block list.
	maxTotalBlocks = 1 << 26
	// Bits of inode numbers kept to notice hard links (8 MiB); larger
	// numbers go to a map.
	inoBits      = 1 << 26
	metaCacheLen = 1024    // decompressed metadata blocks kept while walking (8 MiB)
	dataCache    = 8 << 20 // bytes of decompressed data blocks kept per image
)

// Superblock flags.
var flagNames = []bin.Flag[uint16]{
	{Bit: 0x0001, Name: "uncompressed inodes"},
	{Bit: 0x0002, Name: "uncompressed data"},
	{Bit: 0x0004, Name: "check"},
	{Bit: 0x0008, Name: "uncompressed fragments"},
	{Bit: 0x0010, Name: "no fragments"},
	{Bit: 0x0020, Name: "always fragments"},
	{Bit: 0x0040, Name: "duplicates"},
	{Bit: 0x0080, Name: "exportable"},
	{Bit: 0x0100, Name: "uncompressed xattrs"},
	{Bit: 0x0200, Name: "no xattrs"},
	{Bit: 0x0400, Name: "compressor options"},
	{Bit: 0x0800, Name: "uncompressed ids"},
}

const flagCompressorOptions = 0x0400

// SquashfsFormat detects and opens squashfs 4.0 file systems.
var Format = unpack.Format{Name: layerName, Match: matchSquashfs, Open: Open}

// matchSquashfs looks for the "hsqs" magic and major version 4.
func matchSquashfs(head []byte, _ io.ReaderAt, _ int64) bool {
	return len(head) >= superSize && binary.LittleEndian.Uint32(head) == magicBytes && binary.LittleEndian.Uint16(head[28:]) == 4
}

// superBlock is the squashfs 4.0 superblock.
type superBlock struct {
	inodeCount, mkfsTime, blockSize, fragCount uint32
	compressor, blockLog, flags, idCount       uint16
	major, minor                               uint16
	rootRef, bytesUsed                         uint64
	idTable, xattrTable, inodeTable, dirTable  uint64
	fragTable, exportTable                     uint64
}

func parseSqSuperblock(b []byte) superBlock {
	le := binary.LittleEndian
	return superBlock{
		inodeCount: le.Uint32(b[4:]), mkfsTime: le.Uint32(b[8:]), blockSize: le.Uint32(b[12:]), fragCount: le.Uint32(b[16:]),
		compressor: le.Uint16(b[20:]), blockLog: le.Uint16(b[22:]), flags: le.Uint16(b[24:]), idCount: le.Uint16(b[26:]),
		major: le.Uint16(b[28:]), minor: le.Uint16(b[30:]),
		rootRef: le.Uint64(b[32:]), bytesUsed: le.Uint64(b[40:]),
		idTable: le.Uint64(b[48:]), xattrTable: le.Uint64(b[56:]), inodeTable: le.Uint64(b[64:]), dirTable: le.Uint64(b[72:]),
		fragTable: le.Uint64(b[80:]), exportTable: le.Uint64(b[88:]),
	}
}

// imageInfo is what file Data needs of an open image; it is shared by every
// file and safe for concurrent use once Open has returned.
type imageInfo struct {
	r         io.ReaderAt
	size      int64
	blockSize uint32
	dec       sqDecompressor
	compName  string
	cache     *blockCache
	// sameFrag remembers which stored fragment blocks were found
	// byte-identical to which of another image (see SameStored): tens of
	// thousands of small files share a few hundred fragment blocks.
	sameFrag sync.Map // fragPair -> bool
	// decompressed counts the blocks decompressed (for tests).
	decompressed atomic.Int64
	// tails indexes the tail ends of every fragment block (see
	// tails.go).
	tails tailIndex

	// Used by Open only (one goroutine).
	inodeTable, dirTable int64
	meta                 *metaCache
	metaBudget           int64
	metaInfo             map[int64]metaBlockInfo // every metadata block decompressed, by header offset
}

// metaBlockInfo is what the accounting needs of a metadata block once its
// bytes are gone from the cache.
type metaBlockInfo struct {
	n    int   // decompressed bytes
	next int64 // where the next block's header is
}

// OpenSquashfs reads a squashfs 4.0 image: the superblock as the root's
// fields, the file tree under "/".
func Open(r io.ReaderAt, size int64, _ *unpack.Env) (*unpack.Node, error) {
	var sbb [superSize]byte
	if err := bin.ReadFull(r, sbb[:], 0, layerName, "superblock"); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(sbb[:]) != magicBytes {
		return nil, unpack.Errorf(layerName, 0, "no squashfs magic (hsqs)")
	}
	sb := parseSqSuperblock(sbb[:])
	if sb.major != 4 || sb.minor != 0 {
		return nil, unpack.Errorf(layerName, 28, "version %d.%d (only 4.0 is read)", sb.major, sb.minor)
	}
	if sb.blockSize < 4096 || sb.blockSize > 1<<20 || sb.blockSize&(sb.blockSize-1) != 0 {
		return nil, unpack.Errorf(layerName, 12, "block size %d (a power of two from 4096 to 1048576)", sb.blockSize)
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	var problems []error
	note := func(err error) {
		if err != nil {
			problems = append(problems, err)
		}
	}
	if uint32(1)<<sb.blockLog != sb.blockSize {
		note(unpack.Errorf(layerName, 22, "block log %d does not match block size %d", sb.blockLog, sb.blockSize))
	}
	if sb.bytesUsed > uint64(size) {
		note(unpack.Errorf(layerName, 40, "bytes used %d, but the image has only %d bytes", sb.bytesUsed, size))
	}

	img := &imageInfo{
		r: r, size: size, blockSize: sb.blockSize, compName: compressorName(sb.compressor),
		cache: newBlockCache(dataCache, int(sb.blockSize)), meta: newMetaCache(metaCacheLen), metaInfo: map[int64]metaBlockInfo{}, tails: tailIndex{},
		inodeTable: int64(min(sb.inodeTable, 1<<62)), dirTable: int64(min(sb.dirTable, 1<<62)),
		// Bytes of metadata decompressed while opening: a hostile image
		// cannot make the walk decompress more than this.
		metaBudget: 64*size + 64<<20,
	}
	var err error
	img.dec, err = newSqDecompressor(sb.compressor, sb.blockSize)
	note(err)

	w := &treeWalker{
		img: img, sb: sb,
		maxEntries: int(min(sqMaxEntries, size+4096)),
		visited:    map[uint64]bool{},
		files:      map[uint64]*fileContent{},
		linked:     map[uint32]bool{},
		blocksLeft: maxTotalBlocks,
		xattrs:     map[uint32]*sqXattrSet{},
	}
	// About one span of decoded metadata per inode.
	w.spans = make([]sqSpan, 0, 64) // adjacent spans merge: few, however many inodes
	root.AddField("version", "%d.%d", sb.major, sb.minor)
	root.AddField("compressor", "%s", img.compName)
	if sb.flags&flagCompressorOptions != 0 {
		note(w.compressorOptions(root, sb.compressor))
	}
	root.AddField("block size", "%d", sb.blockSize)
	root.AddRoleField(roleMkfsTime, "mkfs time", "%s", time.Unix(int64(sb.mkfsTime), 0).UTC().Format(time.RFC3339))
	root.AddField("flags", "%s", sqFlags(sb.flags))
	root.AddField("inode count", "%d", sb.inodeCount)
	root.AddField("id count", "%d", sb.idCount)
	root.AddField("fragment count", "%d", sb.fragCount)
	root.AddRoleField(unpack.RoleDerived, "bytes used", "%d", sb.bytesUsed)
	root.AddRoleField(unpack.RolePlacement, "root inode", "block %d, offset %d", sb.rootRef>>16, sb.rootRef&0xffff)

	w.ids, err = w.readIDs()
	note(err)
	if sb.xattrTable != ^uint64(0) {
		note(w.readXattrHeader())
	}

	tree := &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: layerName, Offset: -1}
	root.Children = []*unpack.Node{tree}
	rootIno, err := w.readInode(sb.rootRef)
	switch {
	case err != nil:
		tree.Err = err
	case rootIno.basicType() != basicDir:
		tree.Err = unpack.Errorf(layerName, rootIno.pos, "root inode is of type %d, not a directory", rootIno.typ)
	default:
		// The root's mode says whether this image stores the file type
		// bits in the modes (mksquashfs does not): see oddInodeFields.
		w.modeTypeStored = uint32(rootIno.perm)&modeTypeMask == formatBits[basicDir]
		if w.modeTypeStored {
			root.AddField("mode type bits", "stored")
		}
		w.describe(tree, rootIno)
		w.visited[rootIno.ref] = true
		// mksquashfs makes the root its own parent's child: its parent
		// is the number after the last inode's.
		w.readDir(tree, ownInode(rootIno), 0, uint64(sb.inodeCount)+1)
	}
	img.tails.seal()
	w.account(root, note)
	root.Sort()
	w.markHardLinks(tree)
	if len(problems) > 0 {
		root.Err = errors.Join(problems...)
	}
	img.meta = nil // only needed while opening
	img.metaInfo = nil
	return root, nil
}

func sqFlags(f uint16) string {
	s, f := bin.NamedFlags(f, flagNames)
	if f != 0 {
		s = append(s, fmt.Sprintf("unknown 0x%04x", f))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// compressorOptions reads the options metadata block that follows the
// superblock and adds its fields.
func (w *treeWalker) compressorOptions(n *unpack.Node, comp uint16) error {
	img := w.img
	c := img.cursor(superSize, 0)
	need := map[uint16]int{sqGzip: 8, sqXz: 8, sqLz4: 8, sqZstd: 4, sqLzo: 8}[comp]
	if need == 0 {
		return unpack.Errorf(layerName, superSize, "compressor options flag set, but %s has no options", img.compName)
	}
	start := c.pos()
	b, err := c.take(need)
	if err != nil {
		return err
	}
	w.use(streamOptions, start, &c)
	le := binary.LittleEndian
	switch comp {
	case sqGzip:
		n.AddField("compression level", "%d", le.Uint32(b))
		n.AddField("window size", "%d", le.Uint16(b[4:]))
		n.AddField("strategies", "%s", bitNames(uint32(le.Uint16(b[6:])), []string{"default", "filtered", "huffman only", "run length encoded", "fixed"}))
	case sqXz:
		n.AddField("dictionary size", "%d", le.Uint32(b))
		n.AddField("filters", "%s", bitNames(le.Uint32(b[4:]), []string{"x86", "powerpc", "ia64", "arm", "armthumb", "sparc"}))
	case sqLz4:
		n.AddField("lz4 version", "%d", le.Uint32(b))
		n.AddField("lz4 flags", "%s", bitNames(le.Uint32(b[4:]), []string{"high compression"}))
	case sqZstd:
		n.AddField("compression level", "%d", le.Uint32(b))
	case sqLzo:
		algos := []string{"lzo1x_1", "lzo1x_1_11", "lzo1x_1_12", "lzo1x_1_15", "lzo1x_999"}
		a := le.Uint32(b)
		if int(a) < len(algos) {
			n.AddField("algorithm", "%s", algos[a])
		} else {
			n.AddField("algorithm", "unknown (%d)", a)
		}
		n.AddField("compression level", "%d", le.Uint32(b[4:]))
	}
	return nil
}

// bitNames names the set bits of v (bit i is names[i]).
func bitNames(v uint32, names []string) string {
	var s []string
	for i, name := range names {
		if v&(1<<i) != 0 {
			s = append(s, name)
			v &^= 1 << i
		}
	}
	if v != 0 {
		s = append(s, fmt.Sprintf("unknown 0x%x", v))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// metaBlock is one decompressed metadata block and where the next begins.
type metaBlock struct {
	data []byte
	next int64
}

// metaCache keeps the most recently used metadata blocks (a walk reads the
// inode and directory tables mostly in order, with jumps back to shared
// blocks), evicting the least recently used.
type metaCache struct {
	max   int
	tick  uint64
	items map[int64]*metaCacheItem
}

type metaCacheItem struct {
	mb   *metaBlock
	used uint64
}

func newMetaCache(n int) *metaCache { return &metaCache{max: n, items: map[int64]*metaCacheItem{}} }

func (c *metaCache) get(off int64) *metaBlock {
	if it, ok := c.items[off]; ok {
		c.tick++
		it.used = c.tick
		return it.mb
	}
	return nil
}

func (c *metaCache) add(off int64, mb *metaBlock) {
	if len(c.items) >= c.max {
		// Evict the older half at once: rare, and cheaper than keeping a
		// list in order on every hit.
		ticks := make([]uint64, 0, len(c.items))
		for _, it := range c.items {
			ticks = append(ticks, it.used)
		}
		sort.Slice(ticks, func(i, j int) bool { return ticks[i] < ticks[j] })
		cut := ticks[len(ticks)/2]
		for k, it := range c.items {
			if it.used <= cut {
				delete(c.items, k)
			}
		}
	}
	c.tick++
	c.items[off] = &metaCacheItem{mb, c.tick}
}

// metaBlockAt reads the metadata block whose header is at byte off.
func (img *imageInfo) metaBlockAt(off int64) (*metaBlock, error) {
	if mb := img.meta.get(off); mb != nil {
		return mb, nil
	}
	if off < 0 || off+2 > img.size {
		return nil, unpack.Errorf(layerName, off, "metadata block outside the image (%d bytes)", img.size)
	}
	var h [2]byte
	if err := bin.ReadFull(img.r, h[:], off, layerName, "metadata block header"); err != nil {
		return nil, err
	}
	hdr := binary.LittleEndian.Uint16(h[:])
	n := int64(hdr &^ metaUncomp)
	if n == 0 || n > metaSize {
		return nil, unpack.Errorf(layerName, off, "metadata block of %d stored bytes (1 to %d)", n, metaSize)
	}
	if off+2+n > img.size {
		return nil, unpack.Errorf(layerName, off, "metadata block of %d bytes runs past the end of the image", n)
	}
	if img.metaBudget < metaSize {
		return nil, unpack.Errorf(layerName, off, "the image makes the reader decompress too much metadata: not read")
	}
	src := make([]byte, n)
	if err := bin.ReadFull(img.r, src, off+2, layerName, "metadata block"); err != nil {
		return nil, err
	}
	mb := &metaBlock{data: src, next: off + 2 + n}
	if hdr&metaUncomp == 0 {
		out, err := img.dec.decompress(make([]byte, 0, metaSize), src)
		if err != nil {
			return nil, &unpack.FormatError{Layer: layerName, Offset: off, Msg: fmt.Sprintf("decompressing a %d-byte %s metadata block", n, img.compName), Err: err}
		}
		mb.data = out
	}
	img.metaBudget -= int64(len(mb.data)) + n
	img.meta.add(off, mb)
	if img.metaInfo != nil {
		img.metaInfo[off] = metaBlockInfo{len(mb.data), mb.next}
	}
	return mb, nil
}

// sqCursor reads a stream of metadata blocks from a position.
type sqCursor struct {
	img      *imageInfo
	blockPos int64 // byte offset of the current block's header
	mb       *metaBlock
	off      int
	err      error
	scratch  []byte
}

// cursor starts at reference ref ((block offset from table) << 16 | offset
// in the block) of the table at byte tableStart.
func (img *imageInfo) cursor(tableStart int64, ref uint64) sqCursor {
	c := sqCursor{img: img, blockPos: tableStart + int64(ref>>16), off: int(ref & 0xffff)}
	if ref>>16 > 1<<46 {
		c.err = unpack.Errorf(layerName, tableStart, "metadata reference 0x%x beyond any image", ref)
		return c
	}
	c.mb, c.err = img.metaBlockAt(c.blockPos)
	if c.err == nil && c.off > len(c.mb.data) {
		c.err = unpack.Errorf(layerName, c.blockPos, "offset %d in a metadata block of %d bytes", c.off, len(c.mb.data))
	}
	return c
}

// pos is where the cursor is.
func (c *sqCursor) pos() sqPos { return sqPos{c.blockPos, c.off} }

// normalize moves past the end of an exhausted block, so that blockPos is
// where the next byte lies.
func (c *sqCursor) normalize() error {
	for c.err == nil && c.off == len(c.mb.data) {
		next := c.mb.next
		c.mb, c.err = c.img.metaBlockAt(next)
		c.blockPos, c.off = next, 0
	}
	return c.err
}

// take returns the next n bytes: a slice of the cached block when they lie
// in one block (valid until the next take), else a copy.
func (c *sqCursor) take(n int) ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	if c.off+n <= len(c.mb.data) {
		b := c.mb.data[c.off : c.off+n]
		c.off += n
		return b, nil
	}
	if n > cap(c.scratch) {
		c.scratch = make([]byte, 0, n)
	}
	out := c.scratch[:0]
	for len(out) < n {
		if err := c.normalize(); err != nil {
			return nil, err
		}
		k := min(n-len(out), len(c.mb.data)-c.off)
		out = append(out, c.mb.data[c.off:c.off+k]...)
		c.off += k
	}
	return out, nil
}

// treeWalker builds the file tree.
type treeWalker struct {
	img        *imageInfo
	sb         superBlock
	ids        []uint32
	entries    int
	maxEntries int
	visited    map[uint64]bool         // directory inodes entered
	files      map[uint64]*fileContent // by inode reference: hard links share Data
	empty      *fileContent            // the Data of every empty file
	nonDirs    []numbered              // the entries but directories whose Meta does not hold their inode number
	inoSeen    []uint64                // bit set of the inode numbers of nonDirs
	inoSeenBig map[uint32]bool
	linked     map[uint32]bool // inode numbers of more than one entry
	ino        inodeRecord     // scratch for readInode
	blocksLeft int64
	idStr      []string
	fragBlocks map[uint32][]byte // fragment table metadata blocks, decoded
	xattrStart int64
	xattrIDs   uint32
	xattrPtrs  int64 // byte offset of the xattr id table's block pointers
	xattrs     map[uint32]*sqXattrSet

	// For the byte accounting (see below).
	spans          []sqSpan         // decompressed metadata bytes decoded
	lastBlock      [sqStreams]int64 // the last block of each stream decoded
	dataRuns       []unpack.Range   // stored bytes of each file's blocks
	dirs           []dirPlace       // where each directory's listing is
	refs           []uint64         // inode references by number - 1, for the export table
	idUsed         []bool
	idBlocks       []int64 // the id table's metadata blocks
	xattrUsed      map[uint32]bool
	modeTypeStored bool // the image stores the file type bits in modes
	holeStarts     []holeStart
}

// holeStart is a file of holes only and the start its inode gives.
type holeStart struct {
	n     *unpack.Node
	start int64
}

func (w *treeWalker) entriesLeft() int { return w.maxEntries - w.entries }

// readIDs reads the uid/gid table: blocks of up to 2048 ids, each block
// as long as the ids it holds (more would be bytes no field shows).
func (w *treeWalker) readIDs() ([]uint32, error) {
	n := int(w.sb.idCount)
	ids := make([]uint32, 0, n)
	for blk := 0; len(ids) < n; blk++ {
		ptr, err := w.u64At(int64(w.sb.idTable)+int64(blk)*8, "id table pointer")
		if err != nil {
			return ids, err
		}
		at := int64(min(ptr, 1<<62))
		mb, err := w.img.metaBlockAt(at)
		if err != nil {
			return ids, err
		}
		w.idBlocks = append(w.idBlocks, at)
		k := min(n-len(ids), 2048)
		if len(mb.data) < 4*k {
			return ids, unpack.Errorf(layerName, at, "id table block %d holds %d bytes, %d ids (%d bytes) expected", blk, len(mb.data), k, 4*k)
		}
		w.spans = append(w.spans, sqSpan{sqPos{at, 0}, sqPos{at, 4 * k}})
		for i := 0; i < k; i++ {
			ids = append(ids, binary.LittleEndian.Uint32(mb.data[4*i:]))
		}
	}
	w.idStr = make([]string, len(ids))
	for i, id := range ids {
		w.idStr[i] = strconv.FormatUint(uint64(id), 10)
	}
	w.idUsed = make([]bool, len(ids))
	return ids, nil
}

func (w *treeWalker) u64At(off int64, what string) (uint64, error) {
	if off < 0 || off > w.img.size {
		return 0, unpack.Errorf(layerName, off, "%s outside the image", what)
	}
	var b [8]byte
	if err := bin.ReadFull(w.img.r, b[:], off, layerName, what); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// fragment finds fragment entry idx: the stored fragment block.
func (w *treeWalker) fragment(idx uint32) (storedBlock, error) {
	if idx >= w.sb.fragCount {
		return storedBlock{}, unpack.Errorf(layerName, 16, "fragment %d, but the image has %d", idx, w.sb.fragCount)
	}
	blk := idx / 512
	data, ok := w.fragBlocks[blk]
	if !ok {
		ptr, err := w.u64At(int64(w.sb.fragTable)+int64(blk)*8, "fragment table pointer")
		if err != nil {
			return storedBlock{}, err
		}
		mb, err := w.img.metaBlockAt(int64(min(ptr, 1<<62)))
		if err != nil {
			return storedBlock{}, err
		}
		data = mb.data
		if w.fragBlocks == nil {
			w.fragBlocks = map[uint32][]byte{}
		}
		w.fragBlocks[blk] = data
	}
	at := int(idx%512) * 16
	if at+16 > len(data) {
		return storedBlock{}, unpack.Errorf(layerName, int64(w.sb.fragTable), "fragment %d is past the end of its table block", idx)
	}
	start := binary.LittleEndian.Uint64(data[at:])
	sz := binary.LittleEndian.Uint32(data[at+8:])
	b := storedBlock{Start: int64(min(start, 1<<62)), DiskSize: sz &^ blockUncompressed, Compressed: sz&blockUncompressed == 0}
	if b.DiskSize == 0 || b.DiskSize > w.img.blockSize || b.Start+int64(b.DiskSize) > w.img.size {
		return b, unpack.Errorf(layerName, b.Start, "fragment %d: a block of %d bytes at %d does not fit", idx, b.DiskSize, b.Start)
	}
	return b, nil
}

// readDir reads the listing of directory inode dir into n and descends.
// parent is the inode number the directory's parent field should hold.
func (w *treeWalker) readDir(n *unpack.Node, dir *inodeRecord, depth int, parent uint64) {
	if depth > maxDepth {
		n.Err = unpack.Errorf(layerName, dir.pos, "directories nested deeper than %d", maxDepth)
		return
	}
	if uint64(dir.parent) != parent {
		n.AddField("parent inode", "%d", dir.parent)
	}
	self := uint64(dir.number)
	// The listing's sequence is the on-disk order: sorted, unless damaged.
	defer n.OrderFromChildren()
	// Entries are made into Nodes as the listing is read, a header's worth
	// (at most 256) allocated at once: a directory of a million entries
	// holds no list of them besides its children.
	var nodes []unpack.Node
	// mksquashfs writes names sorted, so a duplicate is next to its twin;
	// only an unsorted (damaged) listing needs the map.
	var seen map[string]bool
	count, headers, err := w.readListing(dir, n, func(e *dirEntry, left int) {
		w.entries++
		if len(nodes) == 0 {
			nodes = make([]unpack.Node, left)
		}
		c := &nodes[0]
		nodes = nodes[1:]
		i := len(n.Children)
		*c = unpack.Node{Name: e.name, Layer: layerName, Offset: -1}
		if bad := show.BadName(e.name); bad != "" {
			c.Err = unpack.Errorf(layerName, e.pos, "entry name %q %s", e.name, bad)
			c.Name = strconv.Quote(e.name)
		}
		if seen == nil && i > 0 && c.Name <= n.Children[i-1].Name {
			seen = make(map[string]bool, len(n.Children))
			for _, prev := range n.Children {
				seen[prev.Name] = true
			}
		}
		if seen != nil {
			if seen[c.Name] {
				base := c.Name
				for k := 2; seen[c.Name]; k++ {
					c.Name = fmt.Sprintf("%s (duplicate %d)", base, k)
				}
				c.Err = unpack.Errorf(layerName, e.pos, "a second entry named %q in this directory", base)
			}
			seen[c.Name] = true
		}
		n.Children = append(n.Children, c)

		if e.typ < 1 || e.typ > 7 {
			c.Type = unpack.TypeFile
			c.AddErr(unpack.Errorf(layerName, e.pos, "directory entry of type %d", e.typ))
			return
		}
		c.Type = show.ModeType(formatBits[e.typ])
		in, err := w.readInode(e.ref)
		if err != nil {
			c.AddErr(err)
			if in == nil || in.typ < 1 || in.typ > 14 {
				return
			}
		}
		if in.basicType() != e.typ {
			c.AddErr(unpack.Errorf(layerName, e.pos, "entry says type %d, its inode (reference 0x%x) is of type %d", e.typ, e.ref, in.typ))
			return
		}
		if in.number != e.number {
			c.AddErr(unpack.Errorf(layerName, e.pos, "entry says inode number %d, its inode says %d", e.number, in.number))
		}
		w.describe(c, in)
		if in.basicType() != basicDir {
			w.noteNonDir(c, in.number)
			return
		}
		if err == nil {
			if w.visited[in.ref] {
				c.AddErr(unpack.Errorf(layerName, in.pos, "directory inode %d is already in the tree: not read again", in.number))
				return
			}
			w.visited[in.ref] = true
			w.readDir(c, ownInode(in), depth+1, self)
		}
	})
	if err != nil {
		n.AddErr(err)
	} else if dir.extended && !longDir(dir, count, headers) {
		// mksquashfs uses the extended form only where the basic one
		// cannot say everything (or for a large listing): the form is
		// otherwise a bit no other field shows.
		n.AddField("inode form", "extended")
	}
}

// ownInode copies a directory inode out of the walker's scratch, which
// the inodes read while its listing is being read reuse, slices and all.
func ownInode(in *inodeRecord) *inodeRecord {
	own := *in
	own.indexes = slices.Clone(in.indexes)
	own.blockSizes, own.target = nil, nil
	return &own
}

// noteNonDir records a non-directory entry and whether its inode number
// was seen before (then it is a hard link).
func (w *treeWalker) noteNonDir(n *unpack.Node, number uint32) {
	if m, ok := n.Meta().(*inodeMeta); !ok || m.number != number {
		// Most entries' Meta holds the number: only the others are listed,
		// so that an image of a million files keeps no list of them.
		w.nonDirs = append(w.nonDirs, numbered{n, number})
	}
	seen := false
	if number < inoBits {
		word := int(number / 64)
		if word >= len(w.inoSeen) {
			w.inoSeen = append(w.inoSeen, make([]uint64, word+1-len(w.inoSeen)+len(w.inoSeen)/2)...)
		}
		bit := uint64(1) << (number % 64)
		seen = w.inoSeen[word]&bit != 0
		w.inoSeen[word] |= bit
	} else {
		if w.inoSeenBig == nil {
			w.inoSeenBig = map[uint32]bool{}
		}
		seen = w.inoSeenBig[number]
		w.inoSeenBig[number] = true
	}
	if seen {
		w.linked[number] = true
	}
}

type numbered struct {
	n      *unpack.Node
	number uint32
}

// describe sets the fields (and Data) of n from its inode. The usual
// fields are a Meta of the decoded inode values, formatted only when a
// comparison finds them different or a presenter shows them: an image of
// half a million files would otherwise hold ten strings for each.
func (w *treeWalker) describe(n *unpack.Node, in *inodeRecord) {
	mode := in.mode()
	n.Type = show.ModeType(mode)
	m := &inodeMeta{kind: uint8(in.basicType()), mode: mode, nlink: in.nlink, number: in.number, mtime: in.mtime}
	w.id(n, in.uidIdx)
	w.id(n, in.gidIdx)
	m.uid, m.gid = w.idValue(in.uidIdx, &m.badIDs, badUID), w.idValue(in.gidIdx, &m.badIDs, badGID)
	switch m.kind {
	case basicBlock, basicChar:
		m.rdevBlocks = in.rdev
	case basicDir:
		m.size = uint64(in.dirSize)
	case basicFile:
		m.size = in.fileSize
		m.rdevBlocks = uint32(len(in.blockSizes))
		if in.shared != nil {
			m.rdevBlocks = uint32(len(in.shared.blocks))
		}
		m.fragIdx, m.fragOffset = in.fragIdx, in.fragOffset
	case basicSymlink:
		m.size = uint64(len(in.target))
	}
	var f []unpack.Field
	if m.kind == basicFile && in.sparse != 0 {
		// Last of the usual fields of a file, rare enough to be formatted
		// now rather than kept in every file's Meta.
		f = append(f, unpack.Field{Name: "sparse", Value: strconv.FormatUint(in.sparse, 10)})
	}
	if m.kind == basicSymlink {
		// The target sits among the usual fields: formatted now, with them.
		f = m.AppendFields(make([]unpack.Field, 0, 9))
		f = append(f, unpack.Field{Name: "link target", Value: show.QuoteName(string(in.target))})
	} else {
		n.SetMeta(m)
	}
	f = w.oddInodeFields(f, in)
	if n.Fields() == nil {
		n.SetFields(f)
	} else {
		n.AddFields(f...)
	}
	if in.xattr != noXattr {
		xs := w.xattrSet(in.xattr)
		n.AddFields(xs.fields...)
		n.AddErr(xs.err)
	}
	if in.basicType() == basicFile && (in.shared != nil || len(in.blockSizes) == int(w.blockCount(in))) {
		d, err := w.fileData(in)
		n.AddErr(err)
		if d != nil {
			n.Data = d
			for _, b := range d.blocks {
				if !b.Sparse {
					n.Offset = b.Start
					break
				}
			}
			if n.Offset < 0 && len(d.blocks) > 0 {
				// Only holes: the start is where mksquashfs was writing,
				// read by nothing; checked against the data area.
				w.holeStarts = append(w.holeStarts, holeStart{n, int64(min(in.blocksStart, 1<<62))})
			}
		}
	}
}

// inodeMeta is the Meta of an inode: the values of its usual fields, 48
// bytes, as an image may have millions.
type inodeMeta struct {
	size                 uint64 // a directory's listing size, a file's or a symlink target's size
	mode                 uint32
	nlink, number, mtime uint32
	// uid and gid are the ids, or the indexes the id table has no entry
	// for when badIDs says so.
	uid, gid   uint32
	rdevBlocks uint32 // a device's rdev, a file's count of full data blocks
	fragIdx    uint32
	fragOffset uint32
	kind       uint8 // basic inode type
	badIDs     uint8 // badUID, badGID
}

const (
	badUID = 1 << iota
	badGID
)

// idValue is the id at index idx, or idx itself with bit set in bad when
// the table has no such entry (the reader reported it).
func (w *treeWalker) idValue(idx uint16, bad *uint8, bit uint8) uint32 {
	if int(idx) < len(w.ids) {
		return w.ids[idx]
	}
	*bad |= bit
	return uint32(idx)
}

func idString(v uint32, bad bool) string {
	if bad {
		return fmt.Sprintf("index %d (no such id)", v)
	}
	return strconv.FormatUint(uint64(v), 10)
}

// AppendFields formats the inode's usual fields.
func (m *inodeMeta) AppendFields(f []unpack.Field) []unpack.Field {
	num := func(v uint64) string { return strconv.FormatUint(v, 10) }
	f = append(f, unpack.Field{Name: "mode", Value: show.Mode(m.mode)}, unpack.Field{Name: "uid", Value: idString(m.uid, m.badIDs&badUID != 0)}, unpack.Field{Name: "gid", Value: idString(m.gid, m.badIDs&badGID != 0)},
		unpack.Field{Name: "nlink", Value: num(uint64(m.nlink))}, unpack.Field{Name: "inode", Value: num(uint64(m.number)), Role: unpack.RolePlacement})
	switch m.kind {
	case basicBlock, basicChar:
		major := (m.rdevBlocks >> 8) & 0xfff
		minor := (m.rdevBlocks & 0xff) | ((m.rdevBlocks >> 12) & 0xfff00)
		f = append(f, unpack.Field{Name: "rdev", Value: fmt.Sprintf("%d,%d", major, minor)})
	case basicDir:
		// A directory's size is its listing's: where its entries fall.
		f = append(f, unpack.Field{Name: "size", Value: num(m.size), Role: unpack.RolePlacement})
	case basicFile, basicSymlink:
		f = append(f, unpack.Field{Name: "size", Value: num(m.size), Role: unpack.RoleDerived})
	}
	f = append(f, unpack.Field{Name: "mtime", Value: time.Unix(int64(m.mtime), 0).UTC().Format(time.RFC3339), Role: unpack.RoleTime})
	if m.kind == basicFile {
		f = append(f, unpack.Field{Name: "blocks", Value: num(uint64(m.rdevBlocks))})
		if m.fragIdx != noFragment {
			f = append(f, unpack.Field{Name: "fragment", Value: "index " + num(uint64(m.fragIdx)) + ", offset " + num(uint64(m.fragOffset)), Role: unpack.RolePlacement})
		}
	}
	return f
}

// SameMeta compares the values (ids by what they name): the same values
// format to the same fields.
func (m *inodeMeta) SameMeta(other unpack.Meta) bool {
	o, ok := other.(*inodeMeta)
	return ok && *m == *o
}

// oddInodeFields adds a field for each inode bit that the usual fields do
// not show and mksquashfs always writes the same way: present only in an
// odd image, so that such a bit still shows when it differs.
func (w *treeWalker) oddInodeFields(f []unpack.Field, in *inodeRecord) []unpack.Field {
	w.noteRef(in)
	want := uint32(0)
	if w.modeTypeStored {
		want = formatBits[in.basicType()]
	}
	if tb := uint32(in.perm) & modeTypeMask; tb != want {
		f = append(f, unpack.Field{Name: "mode type bits", Value: fmt.Sprintf("0%06o", tb)})
	}
	if in.extended && in.basicType() != basicDir && !longNeeded(in) {
		f = append(f, unpack.Field{Name: "inode form", Value: "extended"})
	}
	if in.basicType() == basicFile {
		if in.fragIdx == noFragment && in.fragOffset != 0 {
			f = append(f, unpack.Field{Name: "fragment offset", Value: strconv.FormatUint(uint64(in.fragOffset), 10)})
		}
		// A file without blocks has no use for its start (mksquashfs
		// writes 0); one with blocks is read from it.
		if in.shared == nil && len(in.blockSizes) == 0 && in.blocksStart != 0 {
			f = append(f, unpack.Field{Name: "blocks start", Value: strconv.FormatUint(in.blocksStart, 10)})
		}
	}
	return f
}

func (w *treeWalker) id(n *unpack.Node, idx uint16) string {
	if int(idx) < len(w.idStr) {
		w.idUsed[idx] = true
		return w.idStr[idx]
	}
	n.AddErr(unpack.Errorf(layerName, int64(w.sb.idTable), "id index %d, but the id table has %d ids", idx, len(w.idStr)))
	return fmt.Sprintf("index %d (no such id)", idx)
}

// fileData makes the Data of a regular file inode, shared by the entries
// that name the same inode.
func (w *treeWalker) fileData(in *inodeRecord) (*fileContent, error) {
	if in.shared != nil {
		return in.shared, nil
	}
	if in.fileSize > 1<<62 {
		return nil, unpack.Errorf(layerName, in.pos, "inode %d: file size %d", in.number, in.fileSize)
	}
	if in.fileSize == 0 && len(in.blockSizes) == 0 && in.fragIdx == noFragment {
		// Every empty file reads the same: one Data for all of them.
		if w.empty == nil {
			w.empty = &fileContent{img: w.img}
		}
		return w.empty, nil
	}
	d := &fileContent{img: w.img, size: int64(in.fileSize), blocks: make([]storedBlock, len(in.blockSizes))}
	pos := int64(min(in.blocksStart, 1<<62))
	var err error
	for i, s := range in.blockSizes {
		disk := s &^ blockUncompressed
		b := storedBlock{Start: pos, DiskSize: disk, Compressed: s&blockUncompressed == 0 && disk != 0, Sparse: disk == 0}
		if s&^(blockUncompressed|(blockUncompressed-1)) != 0 || disk > w.img.blockSize {
			b.Sparse, b.Compressed = false, false
			if err == nil {
				err = unpack.Errorf(layerName, in.pos, "inode %d: block %d has stored size word 0x%x", in.number, i, s)
			}
		}
		d.blocks[i] = b
		pos += int64(disk)
	}
	if start := int64(min(in.blocksStart, 1<<62)); pos > start {
		w.addDataRun(unpack.Range{Start: start, End: pos})
	}
	if pos > w.img.size && err == nil {
		err = unpack.Errorf(layerName, int64(min(in.blocksStart, 1<<62)), "inode %d: data blocks run to byte %d, past the end of the image", in.number, pos)
	}
	if in.fragIdx != noFragment {
		tail := in.fileSize % uint64(w.img.blockSize)
		blk, ferr := w.fragment(in.fragIdx)
		if ferr != nil && err == nil {
			err = ferr
		}
		d.frag = &fragmentRef{Index: in.fragIdx, Offset: in.fragOffset, Length: uint32(tail), Block: blk}
		if ferr == nil && tail > 0 {
			w.img.tails.add(d.frag)
		}
		if tail == 0 && err == nil {
			err = unpack.Errorf(layerName, in.pos, "inode %d: a fragment for a file whose size is a multiple of the block size", in.number)
		}
	}
	// Kept for the other names of a hard link, and for any large block
	// list (so that entries repeating one inode cannot make it be read
	// and copied again and again); a plain small file needs no map entry.
	if in.nlink > 1 || len(d.blocks) > 256 {
		w.files[in.ref] = d
	}
	return d, err
}

// markHardLinks gives every non-directory that shares its inode number
// with another entry the field "hard link of": the first path in sorted
// order with that inode (none on the first itself). Paths are built only
// when some inode has several names (never in a -no-hardlinks nix store).
func (w *treeWalker) markHardLinks(tree *unpack.Node) {
	if len(w.linked) == 0 {
		return
	}
	listed := map[*unpack.Node]uint32{}
	for _, e := range w.nonDirs {
		listed[e.n] = e.number
	}
	inode := func(n *unpack.Node) (uint32, bool) {
		num, ok := listed[n]
		if !ok {
			m, isMeta := n.Meta().(*inodeMeta)
			if !isMeta {
				return 0, false
			}
			num = m.number
		}
		return num, w.linked[num]
	}
	first := map[uint32]string{}
	var walk func(n *unpack.Node, path string)
	walk = func(n *unpack.Node, path string) {
		for _, c := range n.Children {
			if c.Type == unpack.TypeDir {
				walk(c, show.JoinPath(path, c.Name))
				continue
			}
			num, ok := inode(c)
			if !ok {
				continue
			}
			if p, ok := first[num]; ok {
				c.AddField("hard link of", "%s", p)
			} else {
				first[num] = show.JoinPath(path, c.Name)
			}
		}
	}
	walk(tree, "/")
}

// Byte accounting.
//
// Every byte of the image is claimed by the structure that holds it, or
// left to the "[unclaimed bytes]" child (gaps, the padding after the
// tables), and a claim is made only where every bit of the claimed bytes
// shows in what the tree holds:
//   - the superblock: its fields, the table starts checked against the
//     order mksquashfs writes the tables in ("table layout" when a start
//     is elsewhere);
//   - data and fragment blocks: file contents (a fragment block must be
//     exactly the tails of the files it holds; blocks overlapping each
//     other, but for files sharing all their blocks, are an error);
//   - metadata blocks: their decompressed bytes, every one of which is
//     decoded, or else shown under "[unread metadata]";
//   - the index tables, id, fragment, export and xattr id tables: decoded
//     whole and checked against the tree (an id no inode uses, an export
//     entry pointing elsewhere than the inode of that number, ...).
// Compressed bytes that decompress to the same bytes are left to the
// comparison of the raw bytes.

// Metadata streams whose decoded bytes are recorded.
const (
	streamOptions = iota
	streamInode
	streamDir
	streamXattr
	sqStreams
)

var streamNames = [sqStreams]string{"compressor options", "inode table", "directory table", "xattr table"}

// sqPos is a place in the metadata: the byte offset of a block's header in
// the image and an offset in the block's decompressed bytes.
type sqPos struct {
	block int64
	off   int
}

func cmpSqPos(a, b sqPos) int {
	if a.block != b.block {
		return cmp.Compare(a.block, b.block)
	}
	return cmp.Compare(a.off, b.off)
}

// sqSpan is a run of decompressed metadata bytes the reader decoded.
type sqSpan struct{ from, to sqPos }

// dirPlace is where a directory inode and its listing are.
type dirPlace struct {
	inode, start, end sqPos
	n                 *unpack.Node
	block             uint32
	offset            uint16
}

// use records that the bytes from from to the cursor's place were decoded.
func (w *treeWalker) use(stream int, from sqPos, c *sqCursor) {
	to := c.pos()
	if cmpSqPos(to, from) <= 0 {
		return
	}
	w.lastBlock[stream] = max(w.lastBlock[stream], to.block)
	if n := len(w.spans); n > 0 && w.spans[n-1].to == from {
		w.spans[n-1].to = to
		return
	}
	w.spans = append(w.spans, sqSpan{from, to})
}

// addDataRun records the stored bytes of one file's blocks. Runs are
// merged only once sorted: a file sharing another's blocks (mksquashfs
// stores duplicates once) must be seen to have exactly the same run.
func (w *treeWalker) addDataRun(r unpack.Range) {
	w.dataRuns = append(w.dataRuns, r)
}

// sqClaim is a structure and the bytes it holds.
type sqClaim struct {
	unpack.Range
	what string
}

// sqAccount is the state of the accounting of one image.
type sqAccount struct {
	w      *treeWalker
	claims []sqClaim
	blocks []sqPos // metadata blocks whose bytes must all be decoded (off: length)
	layout []string
	note   func(error)
}

func (a *sqAccount) claim(start, end int64, what string) {
	if end > start {
		a.claims = append(a.claims, sqClaim{unpack.Range{Start: start, End: end}, what})
	}
}

// expect checks a table start against where mksquashfs would put it.
func (a *sqAccount) expect(what string, got uint64, want int64) {
	if int64(min(got, 1<<62)) != want {
		a.layout = append(a.layout, fmt.Sprintf("%s at %d (%d expected)", what, got, want))
	}
}

// metaBlock records a metadata block of a table: claimed whole, and its
// decompressed bytes to be decoded; it returns the block (nil if it cannot
// be read: the error is noted).
func (a *sqAccount) metaBlock(at int64, what string) *metaBlock {
	mb, err := a.w.img.metaBlockAt(at)
	if err != nil {
		a.note(err)
		return nil
	}
	if what != "" {
		a.claim(at, mb.next, what)
	}
	a.blocks = append(a.blocks, sqPos{at, len(mb.data)})
	return mb
}

// tableBlocks reads the block pointers at at of a table of count entries
// of entrySize bytes (up to 8 KiB of them per metadata block) and the
// blocks, each expected where *cur says (then *cur moves past it), and
// calls each for every entry. It returns the number of pointers.
func (a *sqAccount) tableBlocks(name string, at uint64, count uint64, entrySize int, cur *int64, each func(i uint64, b []byte)) int64 {
	w := a.w
	perBlock := uint64(metaSize / entrySize)
	nBlocks := (count + perBlock - 1) / perBlock
	done := uint64(0)
	for k := uint64(0); k < nBlocks; k++ {
		ptr, err := w.u64At(int64(min(at, 1<<62))+int64(k)*8, name+" pointer")
		if err != nil {
			a.note(err)
			break
		}
		what := fmt.Sprintf("%s block %d", name, k)
		a.expect(what, ptr, *cur)
		mb := a.metaBlock(int64(min(ptr, 1<<62)), what)
		if mb == nil {
			break
		}
		*cur = mb.next
		n := min(perBlock, count-done)
		need := int(n) * entrySize
		if len(mb.data) < need {
			a.note(unpack.Errorf(layerName, int64(ptr), "%s of %d bytes, %d entries (%d bytes) expected", what, len(mb.data), n, need))
			break
		}
		w.spans = append(w.spans, sqSpan{sqPos{int64(ptr), 0}, sqPos{int64(ptr), need}})
		for i := uint64(0); i < n; i++ {
			each(done+i, mb.data[int(i)*entrySize:])
		}
		done += n
	}
	return int64(min(nBlocks, 1<<40))
}

// index claims the n block pointers of a table at at, expected at *cur.
func (a *sqAccount) index(name string, at uint64, n int64, cur *int64) {
	a.expect(name, at, *cur)
	start := int64(min(at, 1<<62))
	a.claim(start, start+8*n, name+" index")
	*cur = start + 8*n
}

// chain claims the metadata blocks of a stream from its start to the last
// block decoded, and returns where the next structure should begin.
func (a *sqAccount) chain(stream int, start int64) int64 {
	last := a.w.lastBlock[stream]
	if last < start {
		return start // nothing decoded: an empty table
	}
	// One claim for the whole stream: its blocks follow one another.
	at := start
	defer func() { a.claim(start, at, streamNames[stream]) }()
	for {
		// The walk has seen most blocks: what it learnt of them is
		// enough, without decompressing them again.
		info, ok := a.w.img.metaInfo[at]
		if !ok {
			mb := a.metaBlock(at, "")
			if mb == nil {
				return at
			}
			info = metaBlockInfo{len(mb.data), mb.next}
		} else {
			a.blocks = append(a.blocks, sqPos{at, info.n})
		}
		done := at >= last
		at = info.next
		if done {
			return at
		}
	}
}

// account claims the structures of the image, checks what the walk has not
// (see above), and adds "[unread metadata]" (only when some metadata byte
// was not decoded) and "[unclaimed bytes]" to root.
func (w *treeWalker) account(root *unpack.Node, note func(error)) {
	img, sb := w.img, w.sb
	a := &sqAccount{w: w, note: note}
	a.claim(0, superSize, "superblock")
	dataStart := int64(superSize)
	if sb.flags&flagCompressorOptions != 0 {
		if info, ok := img.metaInfo[superSize]; ok {
			a.claim(superSize, info.next, "compressor options")
			a.blocks = append(a.blocks, sqPos{superSize, info.n})
			dataStart = info.next
		}
	}
	w.checkTails(note)

	// mksquashfs writes the data, then the inode, directory, fragment,
	// export, id and xattr tables, each right after the previous one.
	inodeEnd := a.chain(streamInode, img.inodeTable)
	a.expect("directory table", sb.dirTable, inodeEnd)
	cur := a.chain(streamDir, img.dirTable)

	type frag struct {
		start, size int64
	}
	var frags []frag
	if sb.fragCount > 0 {
		n := a.tableBlocks("fragment table", sb.fragTable, uint64(sb.fragCount), 16, &cur, func(i uint64, b []byte) {
			if unused := binary.LittleEndian.Uint32(b[12:]); unused != 0 {
				note(unpack.Errorf(layerName, int64(min(sb.fragTable, 1<<62)), "fragment %d: unused field 0x%x, not 0", i, unused))
			}
			frags = append(frags, frag{int64(min(binary.LittleEndian.Uint64(b), 1<<62)), int64(binary.LittleEndian.Uint32(b[8:]) &^ blockUncompressed)})
		})
		a.index("fragment table", sb.fragTable, n, &cur)
	} else {
		a.expect("fragment table", sb.fragTable, cur)
	}

	exportable := sb.flags&0x0080 != 0
	if (sb.exportTable != ^uint64(0)) != exportable {
		a.layout = append(a.layout, fmt.Sprintf("export table at %d with the exportable flag %v", sb.exportTable, exportable))
	}
	if sb.exportTable != ^uint64(0) {
		refs := w.refs
		reported := false
		n := a.tableBlocks("export table", sb.exportTable, uint64(sb.inodeCount), 8, &cur, func(i uint64, b []byte) {
			ref := binary.LittleEndian.Uint64(b)
			if reported || (i < uint64(len(refs)) && refs[i] == ref) {
				return
			}
			reported = true
			want := "no inode of that number in the tree"
			if i < uint64(len(refs)) && refs[i] != ^uint64(0) {
				want = fmt.Sprintf("the tree's is at 0x%x", refs[i])
			}
			note(unpack.Errorf(layerName, int64(min(sb.exportTable, 1<<62)), "export table: inode %d at reference 0x%x, but %s", i+1, ref, want))
		})
		a.index("export table", sb.exportTable, n, &cur)
	}

	// The id table was read before the walk; its blocks are checked here.
	for k, at := range w.idBlocks {
		what := fmt.Sprintf("id table block %d", k)
		a.expect(what, uint64(at), cur)
		if mb := a.metaBlock(at, what); mb != nil {
			cur = mb.next
		}
	}
	a.index("id table", sb.idTable, (int64(sb.idCount)+2047)/2048, &cur)
	w.checkIDs(root)

	if sb.xattrTable != ^uint64(0) && w.xattrPtrs != 0 {
		a.expect("xattr key/value table", uint64(w.xattrStart), cur)
		if end := a.chain(streamXattr, w.xattrStart); end > w.xattrStart {
			cur = end
		}
		unused := 0
		n := a.tableBlocks("xattr id table", uint64(w.xattrPtrs), uint64(w.xattrIDs), 16, &cur, func(i uint64, b []byte) {
			if !w.xattrUsed[uint32(i)] {
				if unused++; unused == 1 {
					note(unpack.Errorf(layerName, w.xattrPtrs-16, "xattr id %d (pairs at 0x%x, %d pairs, %d bytes) is used by no inode", i, binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:])))
				}
			}
		})
		a.expect("xattr id table", sb.xattrTable, cur)
		a.claim(w.xattrPtrs-16, w.xattrPtrs, "xattr id table header")
		cur = w.xattrPtrs
		a.index("xattr id table", uint64(w.xattrPtrs), n, &cur)
		w.checkXattrSets(note)
	}

	// The data area: every file's blocks and every fragment block.
	data := make([]sqClaim, 0, len(w.dataRuns)+len(frags))
	for _, r := range w.dataRuns {
		data = append(data, sqClaim{r, "data blocks"})
	}
	for i, f := range frags {
		if ft := img.tails[f.start]; ft == nil {
			note(unpack.Errorf(layerName, f.start, "fragment %d (%d bytes at %d) holds no file's tail", i, f.size, f.start))
		}
		data = append(data, sqClaim{unpack.Range{Start: f.start, End: f.start + f.size}, fmt.Sprintf("fragment block %d", i)})
	}
	dataEnd := a.dataClaims(data, dataStart)
	a.expect("inode table", sb.inodeTable, dataEnd)
	w.checkHoleStarts(data, dataStart)

	if len(a.layout) > 0 {
		root.AddField("table layout", "%s", strings.Join(a.layout, "; "))
	}
	a.checkOverlaps()
	w.checkDirPlaces()
	if n := a.unread(); n != nil {
		root.Children = append(root.Children, n)
	}
	var claims layout.Claims
	for _, c := range a.claims {
		claims.Add(c.Start, c.Len(), c.what)
	}
	root.Children = append(root.Children, claims.UnclaimedNode(layerName, img.r, img.size))
	root.SetLayout(&claims)
}

// checkTails checks that the tails in each fragment block follow one
// another from its start, and, for a block stored uncompressed, end at
// its end; a compressed block is checked when decompressed (see
// fragmentBlock), against the end recorded here.
func (w *treeWalker) checkTails(note func(error)) {
	starts := make([]int64, 0, len(w.img.tails))
	for s := range w.img.tails {
		starts = append(starts, s)
	}
	slices.Sort(starts) // one error message whatever the map's order
	for _, s := range starts {
		ft := w.img.tails[s]
		end := uint32(0)
		for _, t := range ft.tails {
			if t.offset != end {
				note(unpack.Errorf(layerName, s, "fragment block at %d: bytes %d to %d hold no file's tail, or two tails", s, min(end, t.offset), max(end, t.offset)))
				end = 0
				break
			}
			end = t.offset + t.length
		}
		ft.end = end
		if end != 0 && !ft.block.Compressed && end != ft.block.DiskSize {
			note(unpack.Errorf(layerName, s, "fragment block at %d: %d bytes, the tails in it end at %d", s, ft.block.DiskSize, end))
		}
	}
}

// noteRef records the reference of inode number n at n-1, for the export
// table (whose entries are the same). Numbers past the inode count have
// no entry there.
func (w *treeWalker) noteRef(in *inodeRecord) {
	if w.sb.exportTable == ^uint64(0) {
		return
	}
	if w.refs == nil {
		w.refs = make([]uint64, min(int(w.sb.inodeCount), w.maxEntries))
		for i := range w.refs {
			w.refs[i] = ^uint64(0)
		}
	}
	if i := int64(in.number) - 1; i >= 0 && i < int64(len(w.refs)) {
		w.refs[i] = in.ref
	}
}

// checkIDs shows the id table as a field when the uids and gids shown do
// not say all of it: an id no inode uses, or the same id twice (then
// which index an inode uses would not show).
func (w *treeWalker) checkIDs(root *unpack.Node) {
	if len(w.idUsed) != len(w.ids) {
		return // the table could not be read: an error says so
	}
	odd := false
	seen := make(map[uint32]bool, len(w.ids))
	for i, id := range w.ids {
		if !w.idUsed[i] || seen[id] {
			odd = true
		}
		seen[id] = true
	}
	if odd {
		root.AddField("id table", "%s", strings.Join(w.idStr, ", "))
	}
}

// checkXattrSets reports two xattr ids with the same pairs (mksquashfs
// stores each set once), since which of them an inode uses would not show.
func (w *treeWalker) checkXattrSets(note func(error)) {
	ids := make([]uint32, 0, len(w.xattrs))
	for id := range w.xattrs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	seen := make(map[string]uint32, len(ids))
	for _, id := range ids {
		var b strings.Builder
		for _, f := range w.xattrs[id].fields {
			b.WriteString(strconv.Quote(f.Name))
			b.WriteString(strconv.Quote(f.Value))
		}
		if other, ok := seen[b.String()]; ok {
			note(unpack.Errorf(layerName, w.xattrPtrs, "xattr ids %d and %d hold the same pairs", other, id))
			return
		}
		seen[b.String()] = id
	}
}

// dataClaims claims the data area: runs of blocks, merged where they
// follow one another. Runs that overlap are an error unless they are the
// same (files sharing their blocks): a block that runs into the next one
// would decompress the same. It returns where the data ends.
func (a *sqAccount) dataClaims(data []sqClaim, start int64) int64 {
	slices.SortFunc(data, func(x, y sqClaim) int {
		if c := cmp.Compare(x.Start, y.Start); c != 0 {
			return c
		}
		return cmp.Compare(x.End, y.End)
	})
	end := start
	var run unpack.Range
	flush := func() {
		a.claim(run.Start, run.End, "data blocks")
	}
	reported := false
	for i, d := range data {
		if i > 0 && d.Range == data[i-1].Range {
			continue
		}
		if d.Start < end && !reported {
			reported = true
			a.note(unpack.Errorf(layerName, d.Start, "%s at %d to %d overlap what comes before, up to %d", d.what, d.Start, d.End, end))
		}
		end = max(end, d.End)
		if d.what != "data blocks" {
			a.claim(d.Start, d.End, d.what)
			continue
		}
		if d.Start == run.End && run.End > 0 {
			run.End = d.End
			continue
		}
		flush()
		run = d.Range
	}
	flush()
	return end
}

// checkHoleStarts shows the start of a file of holes only ("blocks start")
// when it is not a place where mksquashfs could have been writing: the
// start or end of some stored blocks, or of the data area.
func (w *treeWalker) checkHoleStarts(data []sqClaim, dataStart int64) {
	if len(w.holeStarts) == 0 {
		return
	}
	edges := map[int64]bool{dataStart: true}
	for _, d := range data {
		edges[d.Start], edges[d.End] = true, true
	}
	for _, h := range w.holeStarts {
		if !edges[h.start] {
			h.n.AddField("blocks start", "%d", h.start)
		}
	}
}

// checkOverlaps reports structures that overlap (the data area's own
// overlaps are reported by dataClaims).
func (a *sqAccount) checkOverlaps() {
	cl := slices.Clone(a.claims)
	slices.SortFunc(cl, func(x, y sqClaim) int { return cmp.Compare(x.Start, y.Start) })
	end, what := int64(0), ""
	for _, c := range cl {
		if c.Start < end && !(isDataClaim(c.what) && isDataClaim(what)) {
			a.note(unpack.Errorf(layerName, c.Start, "%s at %d overlaps %s", c.what, c.Start, what))
			return
		}
		if c.End > end {
			end, what = c.End, c.what
		}
	}
}

func isDataClaim(what string) bool {
	return what == "data blocks" || strings.HasPrefix(what, "fragment block ")
}

// samePlace says whether two places in the metadata are the same byte: the
// end of a block is the start of the next.
func (img *imageInfo) samePlace(p, q sqPos) bool {
	norm := func(p sqPos) sqPos {
		if info, ok := img.metaInfo[p.block]; ok && p.off == info.n {
			return sqPos{info.next, 0}
		}
		return p
	}
	return norm(p) == norm(q)
}

// checkDirPlaces checks that each directory's listing starts where the
// previous directory's (in inode table order) ends, the first at the start
// of the directory table: mksquashfs writes a listing and then its inode.
// An empty listing's place is otherwise read by nothing.
func (w *treeWalker) checkDirPlaces() {
	slices.SortFunc(w.dirs, func(x, y dirPlace) int { return cmpSqPos(x.inode, y.inode) })
	want := sqPos{w.img.dirTable, 0}
	for _, d := range w.dirs {
		if !w.img.samePlace(d.start, want) {
			d.n.AddField("listing at", "block %d, offset %d", d.block, d.offset)
		}
		want = d.end
	}
}

// unread returns "[unread metadata]": the decompressed metadata bytes no
// field shows, one child per run, or nil when every byte was decoded.
func (a *sqAccount) unread() *unpack.Node {
	w := a.w
	slices.SortFunc(a.blocks, func(x, y sqPos) int { return cmp.Compare(x.block, y.block) })
	a.blocks = slices.Compact(a.blocks)
	spans := w.spans
	slices.SortFunc(spans, func(x, y sqSpan) int { return cmpSqPos(x.from, y.from) })
	var out *unpack.Node
	i := 0
	for _, b := range a.blocks {
		for i < len(spans) && cmpSqPos(spans[i].to, sqPos{b.block, 0}) <= 0 {
			i++
		}
		covered := 0 // decoded up to here in b
		for j := i; j < len(spans) && cmpSqPos(spans[j].from, sqPos{b.block, b.off}) < 0; j++ {
			from, to := 0, b.off
			if spans[j].from.block == b.block {
				from = spans[j].from.off
			}
			if spans[j].to.block == b.block {
				to = min(spans[j].to.off, b.off)
			}
			if from > covered {
				out = w.unreadRun(out, b.block, covered, from)
			}
			covered = max(covered, to)
		}
		if covered < b.off {
			out = w.unreadRun(out, b.block, covered, b.off)
		}
	}
	return out
}

func (w *treeWalker) unreadRun(out *unpack.Node, block int64, from, to int) *unpack.Node {
	if out == nil {
		out = &unpack.Node{Name: "[unread metadata]", Type: unpack.TypeRecord, Layer: layerName, Offset: -1}
	}
	n := &unpack.Node{Name: fmt.Sprintf("block at %d, bytes %d to %d", block, from, to), Type: unpack.TypeRecord, Layer: layerName, Offset: block}
	if mb, err := w.img.metaBlockAt(block); err != nil {
		n.Err = err
	} else if to <= len(mb.data) {
		n.Data = bytes.NewReader(bytes.Clone(mb.data[from:to]))
	}
	out.Children = append(out.Children, n)
	return out
}

// roleMkfsTime marks the superblock's time of making, which mksquashfs
// takes from the clock unless SOURCE_DATE_EPOCH or -mkfs-time says
// otherwise.
var roleMkfsTime = &unpack.Role{Kind: unpack.Time, Cause: "squashfs mkfs_time"}
