package unpack

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
// SquashfsData.Blocks. The export table (inode number -> inode) is not
// read: the walk does not need it.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const squashfsLayer = "squashfs"

const (
	sqMagic      = 0x73717368 // "hsqs"
	sqSuperSize  = 96
	sqMetaSize   = 8192
	sqMetaUncomp = 0x8000
	sqMaxBlocks  = 1 << 24 // data blocks of one file read (16 TiB at 1 MiB blocks)
	sqMaxDepth   = 1024
	sqMaxEntries = 10_000_000
	// Data blocks listed by all the file inodes of an image: 1 TiB of 16
	// KiB blocks, 64 TiB of 1 MiB blocks; 256 MiB of block list.
	sqMaxTotalBlocks = 1 << 26
	// Bits of inode numbers kept to notice hard links (8 MiB); larger
	// numbers go to a map.
	sqInoBits      = 1 << 26
	sqMetaCacheLen = 1024    // decompressed metadata blocks kept while walking (8 MiB)
	sqDataCache    = 8 << 20 // bytes of decompressed data blocks kept per image
)

// Superblock flags.
var sqFlagNames = []flagName[uint16]{
	{0x0001, "uncompressed inodes"},
	{0x0002, "uncompressed data"},
	{0x0004, "check"},
	{0x0008, "uncompressed fragments"},
	{0x0010, "no fragments"},
	{0x0020, "always fragments"},
	{0x0040, "duplicates"},
	{0x0080, "exportable"},
	{0x0100, "uncompressed xattrs"},
	{0x0200, "no xattrs"},
	{0x0400, "compressor options"},
	{0x0800, "uncompressed ids"},
}

const sqFlagCompressorOptions = 0x0400

func init() {
	register(Format{Name: squashfsLayer, Rank: 20, Match: matchSquashfs, Open: OpenSquashfs})
}

// matchSquashfs looks for the "hsqs" magic and major version 4.
func matchSquashfs(head []byte, _ io.ReaderAt, _ int64) bool {
	return len(head) >= sqSuperSize && binary.LittleEndian.Uint32(head) == sqMagic && binary.LittleEndian.Uint16(head[28:]) == 4
}

// sqSuperblock is the squashfs 4.0 superblock.
type sqSuperblock struct {
	inodeCount, mkfsTime, blockSize, fragCount uint32
	compressor, blockLog, flags, idCount       uint16
	major, minor                               uint16
	rootRef, bytesUsed                         uint64
	idTable, xattrTable, inodeTable, dirTable  uint64
	fragTable, exportTable                     uint64
}

func parseSqSuperblock(b []byte) sqSuperblock {
	le := binary.LittleEndian
	return sqSuperblock{
		inodeCount: le.Uint32(b[4:]), mkfsTime: le.Uint32(b[8:]), blockSize: le.Uint32(b[12:]), fragCount: le.Uint32(b[16:]),
		compressor: le.Uint16(b[20:]), blockLog: le.Uint16(b[22:]), flags: le.Uint16(b[24:]), idCount: le.Uint16(b[26:]),
		major: le.Uint16(b[28:]), minor: le.Uint16(b[30:]),
		rootRef: le.Uint64(b[32:]), bytesUsed: le.Uint64(b[40:]),
		idTable: le.Uint64(b[48:]), xattrTable: le.Uint64(b[56:]), inodeTable: le.Uint64(b[64:]), dirTable: le.Uint64(b[72:]),
		fragTable: le.Uint64(b[80:]), exportTable: le.Uint64(b[88:]),
	}
}

// sqImage is what file Data needs of an open image; it is shared by every
// file and safe for concurrent use once Open has returned.
type sqImage struct {
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
	// squashfs_tails.go).
	tails tailIndex

	// Used by Open only (one goroutine).
	inodeTable, dirTable int64
	meta                 *metaCache
	metaBudget           int64
}

// OpenSquashfs reads a squashfs 4.0 image: the superblock as the root's
// fields, the file tree under "/".
func OpenSquashfs(r io.ReaderAt, size int64, _ *Env) (*Node, error) {
	var sbb [sqSuperSize]byte
	if err := readFull(r, sbb[:], 0, squashfsLayer, "superblock"); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(sbb[:]) != sqMagic {
		return nil, formatErr(squashfsLayer, 0, "no squashfs magic (hsqs)")
	}
	sb := parseSqSuperblock(sbb[:])
	if sb.major != 4 || sb.minor != 0 {
		return nil, formatErr(squashfsLayer, 28, "version %d.%d (only 4.0 is read)", sb.major, sb.minor)
	}
	if sb.blockSize < 4096 || sb.blockSize > 1<<20 || sb.blockSize&(sb.blockSize-1) != 0 {
		return nil, formatErr(squashfsLayer, 12, "block size %d (a power of two from 4096 to 1048576)", sb.blockSize)
	}
	root := &Node{Type: TypeRecord, Layer: squashfsLayer, Offset: 0}
	var problems []error
	note := func(err error) {
		if err != nil {
			problems = append(problems, err)
		}
	}
	if uint32(1)<<sb.blockLog != sb.blockSize {
		note(formatErr(squashfsLayer, 22, "block log %d does not match block size %d", sb.blockLog, sb.blockSize))
	}
	if sb.bytesUsed > uint64(size) {
		note(formatErr(squashfsLayer, 40, "bytes used %d, but the image has only %d bytes", sb.bytesUsed, size))
	}

	img := &sqImage{
		r: r, size: size, blockSize: sb.blockSize, compName: sqCompressorName(sb.compressor),
		cache: newBlockCache(sqDataCache, int(sb.blockSize)), meta: newMetaCache(sqMetaCacheLen), tails: tailIndex{},
		inodeTable: int64(min(sb.inodeTable, 1<<62)), dirTable: int64(min(sb.dirTable, 1<<62)),
		// Bytes of metadata decompressed while opening: a hostile image
		// cannot make the walk decompress more than this.
		metaBudget: 64*size + 64<<20,
	}
	var err error
	img.dec, err = newSqDecompressor(sb.compressor, sb.blockSize)
	note(err)

	root.AddField("version", "%d.%d", sb.major, sb.minor)
	root.AddField("compressor", "%s", img.compName)
	if sb.flags&sqFlagCompressorOptions != 0 {
		note(img.compressorOptions(root, sb.compressor))
	}
	root.AddField("block size", "%d", sb.blockSize)
	root.AddField("mkfs time", "%s", time.Unix(int64(sb.mkfsTime), 0).UTC().Format(time.RFC3339))
	root.AddField("flags", "%s", sqFlags(sb.flags))
	root.AddField("inode count", "%d", sb.inodeCount)
	root.AddField("id count", "%d", sb.idCount)
	root.AddField("fragment count", "%d", sb.fragCount)
	root.AddField("bytes used", "%d", sb.bytesUsed)
	root.AddField("root inode", "block %d, offset %d", sb.rootRef>>16, sb.rootRef&0xffff)

	w := &sqWalker{
		img: img, sb: sb,
		maxEntries: int(min(sqMaxEntries, size+4096)),
		visited:    map[uint64]bool{},
		files:      map[uint64]*SquashfsData{},
		timeStr:    map[uint32]string{},
		modeStr:    map[uint32]string{},
		linked:     map[uint32]bool{},
		blocksLeft: sqMaxTotalBlocks,
		xattrs:     map[uint32]*sqXattrSet{},
	}
	w.ids, err = w.readIDs()
	note(err)
	if sb.xattrTable != ^uint64(0) {
		note(w.readXattrHeader())
	}

	tree := &Node{Name: "/", Type: TypeDir, Layer: squashfsLayer, Offset: -1}
	root.Children = []*Node{tree}
	rootIno, err := w.readInode(sb.rootRef)
	switch {
	case err != nil:
		tree.Err = err
	case rootIno.basicType() != sqBasicDir:
		tree.Err = formatErr(squashfsLayer, rootIno.pos, "root inode is of type %d, not a directory", rootIno.typ)
	default:
		w.describe(tree, rootIno)
		w.visited[rootIno.ref] = true
		w.readDir(tree, rootIno, 0)
	}
	root.Sort()
	img.tails.seal()
	w.markHardLinks(tree)
	if len(problems) > 0 {
		root.Err = errors.Join(problems...)
	}
	img.meta = nil // only needed while opening
	return root, nil
}

func sqFlags(f uint16) string {
	s, f := namedFlags(f, sqFlagNames)
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
func (img *sqImage) compressorOptions(n *Node, comp uint16) error {
	c := img.cursor(sqSuperSize, 0)
	need := map[uint16]int{sqGzip: 8, sqXz: 8, sqLz4: 8, sqZstd: 4, sqLzo: 8}[comp]
	if need == 0 {
		return formatErr(squashfsLayer, sqSuperSize, "compressor options flag set, but %s has no options", img.compName)
	}
	b, err := c.take(need)
	if err != nil {
		return err
	}
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
func (img *sqImage) metaBlockAt(off int64) (*metaBlock, error) {
	if mb := img.meta.get(off); mb != nil {
		return mb, nil
	}
	if off < 0 || off+2 > img.size {
		return nil, formatErr(squashfsLayer, off, "metadata block outside the image (%d bytes)", img.size)
	}
	var h [2]byte
	if err := readFull(img.r, h[:], off, squashfsLayer, "metadata block header"); err != nil {
		return nil, err
	}
	hdr := binary.LittleEndian.Uint16(h[:])
	n := int64(hdr &^ sqMetaUncomp)
	if n == 0 || n > sqMetaSize {
		return nil, formatErr(squashfsLayer, off, "metadata block of %d stored bytes (1 to %d)", n, sqMetaSize)
	}
	if off+2+n > img.size {
		return nil, formatErr(squashfsLayer, off, "metadata block of %d bytes runs past the end of the image", n)
	}
	if img.metaBudget < sqMetaSize {
		return nil, formatErr(squashfsLayer, off, "the image makes the reader decompress too much metadata: not read")
	}
	src := make([]byte, n)
	if err := readFull(img.r, src, off+2, squashfsLayer, "metadata block"); err != nil {
		return nil, err
	}
	mb := &metaBlock{data: src, next: off + 2 + n}
	if hdr&sqMetaUncomp == 0 {
		out, err := img.dec.decompress(make([]byte, 0, sqMetaSize), src)
		if err != nil {
			return nil, &FormatError{Layer: squashfsLayer, Offset: off, Msg: fmt.Sprintf("decompressing a %d-byte %s metadata block", n, img.compName), Err: err}
		}
		mb.data = out
	}
	img.metaBudget -= int64(len(mb.data)) + n
	img.meta.add(off, mb)
	return mb, nil
}

// sqCursor reads a stream of metadata blocks from a position.
type sqCursor struct {
	img      *sqImage
	blockPos int64 // byte offset of the current block's header
	mb       *metaBlock
	off      int
	err      error
	scratch  []byte
}

// cursor starts at reference ref ((block offset from table) << 16 | offset
// in the block) of the table at byte tableStart.
func (img *sqImage) cursor(tableStart int64, ref uint64) sqCursor {
	c := sqCursor{img: img, blockPos: tableStart + int64(ref>>16), off: int(ref & 0xffff)}
	if ref>>16 > 1<<46 {
		c.err = formatErr(squashfsLayer, tableStart, "metadata reference 0x%x beyond any image", ref)
		return c
	}
	c.mb, c.err = img.metaBlockAt(c.blockPos)
	if c.err == nil && c.off > len(c.mb.data) {
		c.err = formatErr(squashfsLayer, c.blockPos, "offset %d in a metadata block of %d bytes", c.off, len(c.mb.data))
	}
	return c
}

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

// sqWalker builds the file tree.
type sqWalker struct {
	img        *sqImage
	sb         sqSuperblock
	ids        []uint32
	entries    int
	maxEntries int
	visited    map[uint64]bool          // directory inodes entered
	files      map[uint64]*SquashfsData // by inode reference: hard links share Data
	timeStr    map[uint32]string
	modeStr    map[uint32]string
	nonDirs    []sqNumbered // every entry but directories, with its inode number
	inoSeen    []uint64     // bit set of the inode numbers of nonDirs
	inoSeenBig map[uint32]bool
	linked     map[uint32]bool // inode numbers of more than one entry
	ino        sqInode         // scratch for readInode
	blocksLeft int64
	idStr      []string
	fragBlocks map[uint32][]byte // fragment table metadata blocks, decoded
	xattrStart int64
	xattrIDs   uint32
	xattrPtrs  int64 // byte offset of the xattr id table's block pointers
	xattrs     map[uint32]*sqXattrSet
}

func (w *sqWalker) entriesLeft() int { return w.maxEntries - w.entries }

// readIDs reads the uid/gid table.
func (w *sqWalker) readIDs() ([]uint32, error) {
	n := int(w.sb.idCount)
	ids := make([]uint32, 0, n)
	for blk := 0; len(ids) < n; blk++ {
		ptr, err := w.u64At(int64(w.sb.idTable)+int64(blk)*8, "id table pointer")
		if err != nil {
			return ids, err
		}
		mb, err := w.img.metaBlockAt(int64(ptr))
		if err != nil {
			return ids, err
		}
		k := min(n-len(ids), 2048, len(mb.data)/4)
		if k == 0 {
			return ids, formatErr(squashfsLayer, int64(ptr), "id table block holds no ids")
		}
		for i := 0; i < k; i++ {
			ids = append(ids, binary.LittleEndian.Uint32(mb.data[4*i:]))
		}
	}
	w.idStr = make([]string, len(ids))
	for i, id := range ids {
		w.idStr[i] = strconv.FormatUint(uint64(id), 10)
	}
	return ids, nil
}

func (w *sqWalker) u64At(off int64, what string) (uint64, error) {
	if off < 0 || off > w.img.size {
		return 0, formatErr(squashfsLayer, off, "%s outside the image", what)
	}
	var b [8]byte
	if err := readFull(w.img.r, b[:], off, squashfsLayer, what); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// fragment finds fragment entry idx: the stored fragment block.
func (w *sqWalker) fragment(idx uint32) (SquashfsBlock, error) {
	if idx >= w.sb.fragCount {
		return SquashfsBlock{}, formatErr(squashfsLayer, 16, "fragment %d, but the image has %d", idx, w.sb.fragCount)
	}
	blk := idx / 512
	data, ok := w.fragBlocks[blk]
	if !ok {
		ptr, err := w.u64At(int64(w.sb.fragTable)+int64(blk)*8, "fragment table pointer")
		if err != nil {
			return SquashfsBlock{}, err
		}
		mb, err := w.img.metaBlockAt(int64(min(ptr, 1<<62)))
		if err != nil {
			return SquashfsBlock{}, err
		}
		data = mb.data
		if w.fragBlocks == nil {
			w.fragBlocks = map[uint32][]byte{}
		}
		w.fragBlocks[blk] = data
	}
	at := int(idx%512) * 16
	if at+16 > len(data) {
		return SquashfsBlock{}, formatErr(squashfsLayer, int64(w.sb.fragTable), "fragment %d is past the end of its table block", idx)
	}
	start := binary.LittleEndian.Uint64(data[at:])
	sz := binary.LittleEndian.Uint32(data[at+8:])
	b := SquashfsBlock{Start: int64(min(start, 1<<62)), DiskSize: sz &^ sqBlockUncompressed, Compressed: sz&sqBlockUncompressed == 0}
	if b.DiskSize == 0 || b.DiskSize > w.img.blockSize || b.Start+int64(b.DiskSize) > w.img.size {
		return b, formatErr(squashfsLayer, b.Start, "fragment %d: a block of %d bytes at %d does not fit", idx, b.DiskSize, b.Start)
	}
	return b, nil
}

// readDir reads the listing of directory inode dir into n and descends.
func (w *sqWalker) readDir(n *Node, dir *sqInode, depth int) {
	if depth > sqMaxDepth {
		n.Err = formatErr(squashfsLayer, dir.pos, "directories nested deeper than %d", sqMaxDepth)
		return
	}
	entries, err := w.readListing(dir)
	if err != nil {
		n.Err = err
	}
	w.entries += len(entries)
	n.Children = make([]*Node, 0, len(entries))
	n.Order = make([]string, 0, len(entries))
	nodes := make([]Node, len(entries)) // one allocation for the whole directory
	// mksquashfs writes names sorted, so a duplicate is next to its twin;
	// only an unsorted (damaged) listing needs the map.
	var seen map[string]bool
	for i, e := range entries {
		c := &nodes[i]
		*c = Node{Name: e.name, Layer: squashfsLayer, Offset: -1}
		if bad := sqBadName(e.name); bad != "" {
			c.Err = formatErr(squashfsLayer, e.pos, "entry name %q %s", e.name, bad)
			c.Name = strconv.Quote(e.name)
		}
		if seen == nil && i > 0 && c.Name <= n.Order[i-1] {
			seen = make(map[string]bool, len(entries))
			for _, name := range n.Order {
				seen[name] = true
			}
		}
		if seen != nil {
			if seen[c.Name] {
				base := c.Name
				for k := 2; seen[c.Name]; k++ {
					c.Name = fmt.Sprintf("%s (duplicate %d)", base, k)
				}
				c.Err = formatErr(squashfsLayer, e.pos, "a second entry named %q in this directory", base)
			}
			seen[c.Name] = true
		}
		n.Children = append(n.Children, c)
		n.Order = append(n.Order, c.Name)

		if e.typ < 1 || e.typ > 7 {
			c.Type = TypeFile
			setErr(c, formatErr(squashfsLayer, e.pos, "directory entry of type %d", e.typ))
			continue
		}
		c.Type = modeType(sqFormatBits[e.typ])
		in, err := w.readInode(e.ref)
		if err != nil {
			setErr(c, err)
			if in == nil || in.typ < 1 || in.typ > 14 {
				continue
			}
		}
		if in.basicType() != e.typ {
			setErr(c, formatErr(squashfsLayer, e.pos, "entry says type %d, its inode (reference 0x%x) is of type %d", e.typ, e.ref, in.typ))
			continue
		}
		if in.number != e.number {
			setErr(c, formatErr(squashfsLayer, e.pos, "entry says inode number %d, its inode says %d", e.number, in.number))
		}
		w.describe(c, in)
		if in.basicType() != sqBasicDir {
			w.noteNonDir(c, in.number)
			continue
		}
		if err == nil {
			if w.visited[in.ref] {
				setErr(c, formatErr(squashfsLayer, in.pos, "directory inode %d is already in the tree: not read again", in.number))
				continue
			}
			w.visited[in.ref] = true
			sub := *in // in is the walker's scratch, reused below
			w.readDir(c, &sub, depth+1)
		}
	}
}

// sqBadName is badName (iso9660.go) without its cost for the usual name.
func sqBadName(s string) string {
	if s != "" && s != "." && s != ".." && strings.IndexByte(s, '/') < 0 && strings.IndexByte(s, 0) < 0 {
		return ""
	}
	return badName(s)
}

// noteNonDir records a non-directory entry and whether its inode number
// was seen before (then it is a hard link).
func (w *sqWalker) noteNonDir(n *Node, number uint32) {
	w.nonDirs = append(w.nonDirs, sqNumbered{n, number})
	seen := false
	if number < sqInoBits {
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

type sqNumbered struct {
	n      *Node
	number uint32
}

func setErr(n *Node, err error) {
	if n.Err == nil {
		n.Err = err
	}
}

// describe sets the fields (and Data) of n from its inode.
func (w *sqWalker) describe(n *Node, in *sqInode) {
	mode := in.mode()
	n.Type = modeType(mode)
	f := make([]Field, 0, 9)
	ms, ok := w.modeStr[mode]
	if !ok {
		ms = modeString(mode)
		w.modeStr[mode] = ms
	}
	f = append(f, Field{"mode", ms}, Field{"uid", w.id(n, in.uidIdx)}, Field{"gid", w.id(n, in.gidIdx)},
		Field{"nlink", strconv.FormatUint(uint64(in.nlink), 10)}, Field{"inode", strconv.FormatUint(uint64(in.number), 10)})
	switch in.basicType() {
	case sqBasicBlock, sqBasicChar:
		major := (in.rdev >> 8) & 0xfff
		minor := (in.rdev & 0xff) | ((in.rdev >> 12) & 0xfff00)
		f = append(f, Field{"rdev", fmt.Sprintf("%d,%d", major, minor)})
	case sqBasicDir:
		f = append(f, Field{"size", strconv.FormatUint(uint64(in.dirSize), 10)})
	case sqBasicFile:
		f = append(f, Field{"size", strconv.FormatUint(in.fileSize, 10)})
	case sqBasicSymlink:
		f = append(f, Field{"size", strconv.Itoa(len(in.target))})
	}
	f = append(f, Field{"mtime", w.time(in.mtime)})
	if in.basicType() == sqBasicSymlink {
		f = append(f, Field{"link target", quoteIfNeeded(string(in.target))})
	}
	if in.basicType() == sqBasicFile {
		nb := len(in.blockSizes)
		if in.shared != nil {
			nb = len(in.shared.blocks)
		}
		f = append(f, Field{"blocks", strconv.Itoa(nb)})
		if in.fragIdx != sqNoFragment {
			f = append(f, Field{"fragment", "index " + strconv.FormatUint(uint64(in.fragIdx), 10) + ", offset " + strconv.FormatUint(uint64(in.fragOffset), 10)})
		}
		if in.sparse != 0 {
			f = append(f, Field{"sparse", strconv.FormatUint(in.sparse, 10)})
		}
	}
	if n.Fields == nil {
		n.Fields = f
	} else {
		n.Fields = append(n.Fields, f...)
	}
	if in.xattr != sqNoXattr {
		xs := w.xattrSet(in.xattr)
		n.Fields = append(n.Fields, xs.fields...)
		setErr(n, xs.err)
	}
	if in.basicType() == sqBasicFile && (in.shared != nil || len(in.blockSizes) == int(w.blockCount(in))) {
		d, err := w.fileData(in)
		setErr(n, err)
		if d != nil {
			n.Data = d
			for _, b := range d.blocks {
				if !b.Sparse {
					n.Offset = b.Start
					break
				}
			}
		}
	}
}

func (w *sqWalker) id(n *Node, idx uint16) string {
	if int(idx) < len(w.idStr) {
		return w.idStr[idx]
	}
	setErr(n, formatErr(squashfsLayer, int64(w.sb.idTable), "id index %d, but the id table has %d ids", idx, len(w.idStr)))
	return fmt.Sprintf("index %d (no such id)", idx)
}

func (w *sqWalker) time(t uint32) string {
	s, ok := w.timeStr[t]
	if !ok {
		s = time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
		if len(w.timeStr) < 1<<16 {
			w.timeStr[t] = s
		}
	}
	return s
}

// fileData makes the Data of a regular file inode, shared by the entries
// that name the same inode.
func (w *sqWalker) fileData(in *sqInode) (*SquashfsData, error) {
	if in.shared != nil {
		return in.shared, nil
	}
	if in.fileSize > 1<<62 {
		return nil, formatErr(squashfsLayer, in.pos, "inode %d: file size %d", in.number, in.fileSize)
	}
	d := &SquashfsData{img: w.img, size: int64(in.fileSize), blocks: make([]SquashfsBlock, len(in.blockSizes))}
	pos := int64(min(in.blocksStart, 1<<62))
	var err error
	for i, s := range in.blockSizes {
		disk := s &^ sqBlockUncompressed
		b := SquashfsBlock{Start: pos, DiskSize: disk, Compressed: s&sqBlockUncompressed == 0 && disk != 0, Sparse: disk == 0}
		if s&^(sqBlockUncompressed|(sqBlockUncompressed-1)) != 0 || disk > w.img.blockSize {
			b.Sparse, b.Compressed = false, false
			if err == nil {
				err = formatErr(squashfsLayer, in.pos, "inode %d: block %d has stored size word 0x%x", in.number, i, s)
			}
		}
		d.blocks[i] = b
		pos += int64(disk)
	}
	if pos > w.img.size && err == nil {
		err = formatErr(squashfsLayer, int64(min(in.blocksStart, 1<<62)), "inode %d: data blocks run to byte %d, past the end of the image", in.number, pos)
	}
	if in.fragIdx != sqNoFragment {
		tail := in.fileSize % uint64(w.img.blockSize)
		blk, ferr := w.fragment(in.fragIdx)
		if ferr != nil && err == nil {
			err = ferr
		}
		d.frag = &SquashfsFragmentRef{Index: in.fragIdx, Offset: in.fragOffset, Length: uint32(tail), Block: blk}
		if ferr == nil && tail > 0 {
			w.img.tails.add(d.frag)
		}
		if tail == 0 && err == nil {
			err = formatErr(squashfsLayer, in.pos, "inode %d: a fragment for a file whose size is a multiple of the block size", in.number)
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
func (w *sqWalker) markHardLinks(tree *Node) {
	if len(w.linked) == 0 {
		return
	}
	number := map[*Node]uint32{}
	for _, e := range w.nonDirs {
		if w.linked[e.number] {
			number[e.n] = e.number
		}
	}
	first := map[uint32]string{}
	var walk func(n *Node, path string)
	walk = func(n *Node, path string) {
		for _, c := range n.Children {
			if c.Type == TypeDir {
				walk(c, joinPath(path, c.Name))
				continue
			}
			num, ok := number[c]
			if !ok {
				continue
			}
			if p, ok := first[num]; ok {
				c.AddField("hard link of", "%s", p)
			} else {
				first[num] = joinPath(path, c.Name)
			}
		}
	}
	walk(tree, "/")
}
