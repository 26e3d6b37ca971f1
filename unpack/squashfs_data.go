package unpack

import (
	"container/list"
	"fmt"
	"io"
	"sync"
)

// SquashfsBlock describes one data block of a squashfs file as stored.
type SquashfsBlock struct {
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
type SquashfsFragmentRef struct {
	Index  uint32
	Offset uint32
	Length uint32
	// Block is the stored fragment block holding the tail (Sparse never set).
	Block SquashfsBlock
}

// SquashfsData is the content of a squashfs regular file. Blocks are
// decompressed when read, through a cache shared by every file of the image;
// nothing is read at open time.
type SquashfsData struct {
	img    *sqImage
	size   int64
	blocks []SquashfsBlock
	frag   *SquashfsFragmentRef
}

// Size is the file size.
func (d *SquashfsData) Size() int64 { return d.size }

// Blocks describes how the file is stored: its full data blocks in order
// and, when its tail end is in a fragment block, where. Two files of images
// with the same compressor and block size whose stored blocks (and fragment
// tail bytes, decompressed) are byte-identical have the same content, so a
// comparison may compare the stored bytes first and decompress only when
// they differ. The offsets shift whenever anything before the file changes
// in the image, which is why they are not Node fields. The slice is shared:
// do not modify it.
func (d *SquashfsData) Blocks() (compressed []SquashfsBlock, fragment *SquashfsFragmentRef) {
	return d.blocks, d.frag
}

// ReadAt reads file content, decompressing the blocks it spans.
func (d *SquashfsData) ReadAt(p []byte, off int64) (int, error) {
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
		var err error
		if bi < int64(len(d.blocks)) {
			want := min(bs, d.size-bi*bs)
			chunk, err = d.img.dataBlock(d.blocks[bi], int(want), p[n:], within)
			if chunk == nil && err == nil {
				// Read straight into p (uncompressed block).
				k := min(int64(len(p)-n), want-within)
				n += int(k)
				off += k
				continue
			}
		} else if d.frag != nil && bi == int64(len(d.blocks)) {
			chunk, err = d.img.fragmentTail(d.frag)
		} else {
			err = formatErr(squashfsLayer, -1, "file of %d bytes has no block or fragment for byte %d", d.size, off)
		}
		if err != nil {
			return n, err
		}
		if within >= int64(len(chunk)) {
			return n, formatErr(squashfsLayer, -1, "block %d of the file decompresses to %d bytes, too few to hold byte %d", bi, len(chunk), off)
		}
		k := copy(p[n:], chunk[within:min(int64(len(chunk)), within+d.size-off)])
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

// dataBlock returns the decompressed block b, which must hold want bytes.
// For a block stored uncompressed it reads the needed part straight into
// dst (from byte within of the block) and returns nil, nil.
func (img *sqImage) dataBlock(b SquashfsBlock, want int, dst []byte, within int64) ([]byte, error) {
	if b.Sparse {
		return zeroBlock[:want], nil
	}
	if !b.Compressed {
		if int64(b.DiskSize) != int64(want) {
			return nil, formatErr(squashfsLayer, b.Start, "uncompressed block of %d bytes where %d are needed", b.DiskSize, want)
		}
		k := min(int64(len(dst)), int64(want)-within)
		if err := readFull(img.r, dst[:k], b.Start+within, squashfsLayer, "data block"); err != nil {
			return nil, err
		}
		return nil, nil
	}
	out, err := img.cachedBlock(b, uint32(img.blockSize))
	if err != nil {
		return nil, err
	}
	if len(out) != want {
		return nil, formatErr(squashfsLayer, b.Start, "data block decompresses to %d bytes, %d expected", len(out), want)
	}
	return out, nil
}

// fragmentTail returns the tail end held in a fragment block.
func (img *sqImage) fragmentTail(f *SquashfsFragmentRef) ([]byte, error) {
	var blk []byte
	if f.Block.Compressed {
		var err error
		if blk, err = img.cachedBlock(f.Block, uint32(img.blockSize)); err != nil {
			return nil, err
		}
	} else {
		var err error
		if blk, err = img.cachedRaw(f.Block); err != nil {
			return nil, err
		}
	}
	end := int64(f.Offset) + int64(f.Length)
	if end > int64(len(blk)) {
		return nil, formatErr(squashfsLayer, f.Block.Start, "fragment %d holds %d bytes, a tail end of %d bytes at offset %d does not fit", f.Index, len(blk), f.Length, f.Offset)
	}
	return blk[f.Offset:end], nil
}

// cachedBlock reads and decompresses a stored block, through the cache.
func (img *sqImage) cachedBlock(b SquashfsBlock, maxOut uint32) ([]byte, error) {
	key := sqBlockKey{b.Start, b.DiskSize, b.Compressed}
	if v, ok := img.cache.get(key); ok {
		return v, nil
	}
	if int64(b.DiskSize) > int64(maxOut)+1024 || b.Start < 0 || b.Start+int64(b.DiskSize) > img.size {
		return nil, formatErr(squashfsLayer, b.Start, "stored block of %d bytes does not fit in the image (or exceeds the block size)", b.DiskSize)
	}
	src := getScratch(int(b.DiskSize))
	defer putScratch(src)
	if err := readFull(img.r, src, b.Start, squashfsLayer, "data block"); err != nil {
		return nil, err
	}
	out, err := img.dec.decompress(make([]byte, 0, maxOut), src)
	if err != nil {
		return nil, &FormatError{Layer: squashfsLayer, Offset: b.Start, Msg: fmt.Sprintf("decompressing a %d-byte %s block", b.DiskSize, img.compName), Err: err}
	}
	img.cache.add(key, out)
	return out, nil
}

// cachedRaw reads a block stored uncompressed (a fragment block: read
// whole once, then shared by the files whose tails it holds).
func (img *sqImage) cachedRaw(b SquashfsBlock) ([]byte, error) {
	key := sqBlockKey{b.Start, b.DiskSize, false}
	if v, ok := img.cache.get(key); ok {
		return v, nil
	}
	if b.DiskSize > img.blockSize || b.Start < 0 || b.Start+int64(b.DiskSize) > img.size {
		return nil, formatErr(squashfsLayer, b.Start, "stored block of %d bytes does not fit in the image (or exceeds the block size)", b.DiskSize)
	}
	out := make([]byte, b.DiskSize)
	if err := readFull(img.r, out, b.Start, squashfsLayer, "fragment block"); err != nil {
		return nil, err
	}
	img.cache.add(key, out)
	return out, nil
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

// sqBlockKey names a stored block: the same start with another size is
// another block (only in a damaged image).
type sqBlockKey struct {
	start      int64
	diskSize   uint32
	compressed bool
}

// blockCache is a byte-bounded LRU of decompressed blocks, safe for
// concurrent use. Two readers missing the same block both decompress it;
// that costs time only in a race, and keeps the lock out of decompression.
type blockCache struct {
	mu    sync.Mutex
	max   int
	used  int
	order *list.List // front: most recent; values *blockEntry
	items map[sqBlockKey]*list.Element
}

type blockEntry struct {
	key  sqBlockKey
	data []byte
}

func newBlockCache(maxBytes int) *blockCache {
	return &blockCache{max: maxBytes, order: list.New(), items: map[sqBlockKey]*list.Element{}}
}

func (c *blockCache) get(k sqBlockKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*blockEntry).data, true
	}
	return nil, false
}

func (c *blockCache) add(k sqBlockKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.order.PushFront(&blockEntry{k, data})
	c.used += cap(data)
	for c.used > c.max && c.order.Len() > 1 {
		e := c.order.Back()
		be := e.Value.(*blockEntry)
		c.order.Remove(e)
		delete(c.items, be.key)
		c.used -= cap(be.data)
	}
}
