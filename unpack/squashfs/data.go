package squashfs

import (
	"container/list"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"sync"
)

// SquashfsBlock describes one data block of a squashfs file as stored.
type storedBlock struct {
	// Start is the byte offset of the stored block in the image; for a
	// hole it is where the next stored block starts.
	Start int64
	// DiskSize is the number of bytes stored (0 for a hole).
	DiskSize uint32
	// Compressed is false for a block stored as is (and for a hole).
	Compressed bool
	// Sparse marks a hole: a block of zeros with nothing stored.
	Sparse bool
}

// SquashfsFragmentRef says where the tail end of a file lies: Length bytes
// at Offset of the decompressed fragment block Index.
type fragmentRef struct {
	Index  uint32
	Offset uint32
	Length uint32
	// Block is the stored fragment block holding the tail (Sparse never set).
	Block storedBlock
}

// SquashfsData is the content of a squashfs regular file. Blocks are
// decompressed when read, through a cache shared by every file of the image;
// nothing is read at open time.
type fileContent struct {
	img    *imageInfo
	size   int64
	blocks []storedBlock
	frag   *fragmentRef
}

// Size is the file size.
func (d *fileContent) Size() int64 { return d.size }

// Blocks describes how the file is stored: its full data blocks in order
// and, when its tail end is in a fragment block, where. Two files of images
// with the same compressor and block size whose stored blocks (and fragment
// tail bytes, decompressed) are byte-identical have the same content, so a
// comparison may compare the stored bytes first and decompress only when
// they differ. The offsets shift whenever anything before the file changes
// in the image, which is why they are not Node fields. The slice is shared:
// do not modify it.
func (d *fileContent) Blocks() (compressed []storedBlock, fragment *fragmentRef) {
	return d.blocks, d.frag
}

// ReadAt reads file content, decompressing the blocks it spans.
func (d *fileContent) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("squashfs: read at negative offset %d", off)
	}
	if off >= d.size {
		return 0, io.EOF
	}
	bs := int64(d.img.blockSize)
	n := 0
	for n < len(p) && off < d.size {
		bi := off / bs
		within := off - bi*bs
		var chunk []byte
		var pin *blockEntry
		var err error
		if bi < int64(len(d.blocks)) {
			want := min(bs, d.size-bi*bs)
			chunk, pin, err = d.img.dataBlock(d.blocks[bi], int(want), p[n:], within)
			if chunk == nil && err == nil {
				// Read straight into p (uncompressed block).
				k := min(int64(len(p)-n), want-within)
				n += int(k)
				off += k
				continue
			}
		} else if d.frag != nil && bi == int64(len(d.blocks)) {
			chunk, pin, err = d.img.fragmentTail(d.frag)
		} else {
			err = unpack.Errorf(layerName, -1, "file of %d bytes has no block or fragment for byte %d", d.size, off)
		}
		if err != nil {
			return n, err
		}
		if within >= int64(len(chunk)) {
			d.img.cache.release(pin)
			return n, unpack.Errorf(layerName, -1, "block %d of the file decompresses to %d bytes, too few to hold byte %d", bi, len(chunk), off)
		}
		k := copy(p[n:], chunk[within:min(int64(len(chunk)), within+d.size-off)])
		d.img.cache.release(pin)
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// zeroBlock backs holes: read only.
var zeroBlock = make([]byte, 1<<20)

// dataBlock returns the decompressed block b, which must hold want bytes,
// pinned in the cache until released. For a block stored uncompressed it
// reads the needed part straight into dst (from byte within of the block)
// and returns nil, nil, nil.
func (img *imageInfo) dataBlock(b storedBlock, want int, dst []byte, within int64) ([]byte, *blockEntry, error) {
	if b.Sparse {
		return zeroBlock[:want], nil, nil
	}
	if !b.Compressed {
		if int64(b.DiskSize) != int64(want) {
			return nil, nil, unpack.Errorf(layerName, b.Start, "uncompressed block of %d bytes where %d are needed", b.DiskSize, want)
		}
		k := min(int64(len(dst)), int64(want)-within)
		if err := bin.ReadFull(img.r, dst[:k], b.Start+within, layerName, "data block"); err != nil {
			return nil, nil, err
		}
		return nil, nil, nil
	}
	e, err := img.cachedBlock(b)
	if err != nil {
		return nil, nil, err
	}
	if len(e.data) != want {
		img.cache.release(e)
		return nil, nil, unpack.Errorf(layerName, b.Start, "data block decompresses to %d bytes, %d expected", len(e.data), want)
	}
	return e.data, e, nil
}

// fragmentTail returns the tail end held in a fragment block, pinned in
// the cache until released.
func (img *imageInfo) fragmentTail(f *fragmentRef) ([]byte, *blockEntry, error) {
	e, err := img.fragmentBlock(f.Block)
	if err != nil {
		return nil, nil, err
	}
	end := int64(f.Offset) + int64(f.Length)
	if end > int64(len(e.data)) {
		img.cache.release(e)
		return nil, nil, unpack.Errorf(layerName, f.Block.Start, "fragment %d holds %d bytes, a tail end of %d bytes at offset %d does not fit", f.Index, len(e.data), f.Length, f.Offset)
	}
	return e.data[f.Offset:end], e, nil
}

// fragmentBlock returns a whole fragment block, stored compressed or not,
// pinned in the cache.
func (img *imageInfo) fragmentBlock(b storedBlock) (*blockEntry, error) {
	if !b.Compressed {
		return img.cachedRaw(b)
	}
	e, err := img.cachedBlock(b)
	if err != nil {
		return nil, err
	}
	if ft := img.tails[b.Start]; ft != nil && ft.end != 0 && int(ft.end) != len(e.data) {
		img.cache.release(e)
		return nil, unpack.Errorf(layerName, b.Start, "fragment block decompresses to %d bytes, but the tails in it end at %d", len(e.data), ft.end)
	}
	return e, nil
}

// cachedBlock reads and decompresses a stored block through the cache,
// and returns it pinned.
func (img *imageInfo) cachedBlock(b storedBlock) (*blockEntry, error) {
	key := blockKey{b.Start, b.DiskSize, b.Compressed}
	if e := img.cache.get(key); e != nil {
		return e, nil
	}
	if b.DiskSize > img.blockSize+1024 || b.Start < 0 || b.Start+int64(b.DiskSize) > img.size {
		return nil, unpack.Errorf(layerName, b.Start, "stored block of %d bytes does not fit in the image (or exceeds the block size)", b.DiskSize)
	}
	src := getScratch(int(b.DiskSize))
	defer putScratch(src)
	if err := bin.ReadFull(img.r, src, b.Start, layerName, "data block"); err != nil {
		return nil, err
	}
	buf := img.cache.buffer()
	img.decompressed.Add(1)
	out, err := img.dec.decompress(buf, src)
	if err != nil {
		img.cache.recycle(buf)
		return nil, &unpack.FormatError{Layer: layerName, Offset: b.Start, Msg: fmt.Sprintf("decompressing a %d-byte %s block", b.DiskSize, img.compName), Err: err}
	}
	return img.cache.add(key, out), nil
}

// cachedRaw reads a block stored uncompressed (a fragment block: read
// whole once, then shared by the files whose tails it holds), pinned.
func (img *imageInfo) cachedRaw(b storedBlock) (*blockEntry, error) {
	key := blockKey{b.Start, b.DiskSize, false}
	if e := img.cache.get(key); e != nil {
		return e, nil
	}
	if b.DiskSize > img.blockSize || b.Start < 0 || b.Start+int64(b.DiskSize) > img.size {
		return nil, unpack.Errorf(layerName, b.Start, "stored block of %d bytes does not fit in the image (or exceeds the block size)", b.DiskSize)
	}
	out := img.cache.buffer()[:b.DiskSize]
	if err := bin.ReadFull(img.r, out, b.Start, layerName, "fragment block"); err != nil {
		img.cache.recycle(out)
		return nil, err
	}
	return img.cache.add(key, out), nil
}

var scratchPool sync.Pool

func getScratch(n int) []byte {
	if v := scratchPool.Get(); v != nil {
		b := *(v.(*[]byte))
		if cap(b) >= n {
			return b[:n]
		}
	}
	return make([]byte, n)
}

func putScratch(b []byte) {
	scratchPool.Put(&b)
}

// blockKey names a stored block: the same start with another size is
// another block (only in a damaged image).
type blockKey struct {
	start      int64
	diskSize   uint32
	compressed bool
}

// blockCache is a byte-bounded LRU of decompressed blocks, safe for
// concurrent use. Two readers missing the same block both decompress it;
// that costs time only in a race, and keeps the lock out of decompression.
// Entries are pinned while a reader copies from them, and the buffers of
// evicted entries are reused once unpinned: a comparison that decompresses
// gigabytes allocates a few megabytes.
type blockCache struct {
	mu      sync.Mutex
	max     int
	used    int
	bufSize int        // capacity of every buffer (the image's block size)
	free    [][]byte   // evicted, unpinned buffers
	order   *list.List // front: most recent; values *blockEntry
	items   map[blockKey]*list.Element
}

// blockEntry is a cached block; refs counts the readers pinning it.
type blockEntry struct {
	key     blockKey
	data    []byte
	refs    int
	evicted bool
}

func newBlockCache(maxBytes, bufSize int) *blockCache {
	return &blockCache{max: maxBytes, bufSize: bufSize, order: list.New(), items: map[blockKey]*list.Element{}}
}

// get returns the cached block pinned, or nil.
func (c *blockCache) get(k blockKey) *blockEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		e := el.Value.(*blockEntry)
		e.refs++
		return e
	}
	return nil
}

// buffer returns an empty buffer of the block size to decompress into.
func (c *blockCache) buffer() []byte {
	c.mu.Lock()
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free = c.free[:n-1]
		c.mu.Unlock()
		return b[:0]
	}
	c.mu.Unlock()
	return make([]byte, 0, c.bufSize)
}

// recycle takes back a buffer from buffer that was not added.
func (c *blockCache) recycle(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reuse(b)
}

func (c *blockCache) reuse(b []byte) {
	// Keep what the cache can hold: the rest goes to the collector.
	if cap(b) == c.bufSize && (len(c.free)+1)*c.bufSize <= c.max {
		c.free = append(c.free, b)
	}
}

// add caches data under k and returns the entry pinned; if another reader
// added k meanwhile, data is recycled and that entry returned.
func (c *blockCache) add(k blockKey, data []byte) *blockEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.reuse(data)
		e := el.Value.(*blockEntry)
		e.refs++
		return e
	}
	e := &blockEntry{key: k, data: data, refs: 1}
	c.items[k] = c.order.PushFront(e)
	c.used += cap(data)
	for c.used > c.max && c.order.Len() > 1 {
		el := c.order.Back()
		old := el.Value.(*blockEntry)
		c.order.Remove(el)
		delete(c.items, old.key)
		c.used -= cap(old.data)
		old.evicted = true
		if old.refs == 0 {
			c.reuse(old.data)
			old.data = nil
		}
	}
	return e
}

// release unpins an entry from get or add (nil is ignored); an evicted
// entry's buffer is reused when its last reader is done.
func (c *blockCache) release(e *blockEntry) {
	if e == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.refs == 0 && e.evicted && e.data != nil {
		c.reuse(e.data)
		e.data = nil
	}
}

// Holes returns the ranges of the file stored as holes (blocks of zeros
// with nothing stored), merged where they follow one another. A 16 GiB file
// of zeros but for one byte has one or two holes, whatever its block count.
func (d *fileContent) Holes() []unpack.Range {
	bs := int64(d.img.blockSize)
	var out []unpack.Range
	for i, b := range d.blocks {
		if !b.Sparse {
			continue
		}
		s, e := int64(i)*bs, min(int64(i+1)*bs, d.size)
		if s >= e {
			break
		}
		if n := len(out); n > 0 && out[n-1].End == s {
			out[n-1].End = e
		} else {
			out = append(out, unpack.Range{Start: s, End: e})
		}
	}
	return out
}
