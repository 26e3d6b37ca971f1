package squashfs

// The six squashfs compressors. Every block (metadata or data) is one
// independent compressed unit whose decompressed size is bounded by the
// metadata block size (8 KiB) or the image's block size (at most 1 MiB), so
// each decompressor writes into a buffer of that capacity and fails when the
// block would decompress to more: no block can make the reader allocate past
// that bound, whatever its headers say.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/anchore/go-lzo"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz/lzma"
	"github.com/xi2/xz"
)

// Squashfs compressor ids (superblock compression_id).
const (
	sqGzip = 1
	sqLzma = 2
	sqLzo  = 3
	sqXz   = 4
	sqLz4  = 5
	sqZstd = 6
)

var compressorNames = map[uint16]string{sqGzip: "gzip", sqLzma: "lzma", sqLzo: "lzo", sqXz: "xz", sqLz4: "lz4", sqZstd: "zstd"}

func compressorName(id uint16) string {
	if s, ok := compressorNames[id]; ok {
		return s
	}
	return fmt.Sprintf("unknown (%d)", id)
}

// errBlockTooLarge marks a block that decompresses to more than it may.
var errBlockTooLarge = errors.New("block decompresses to more than its maximum size")

// sqDecompressor decompresses one block. dst has len 0 and the capacity of
// the largest output allowed; the result is dst[:n]. It must be safe for
// concurrent use.
type sqDecompressor interface {
	decompress(dst, src []byte) ([]byte, error)
}

// newSqDecompressor returns the decompressor for a compressor id, or an
// error for one that is unknown (the image may still be readable when all
// of it is stored uncompressed).
func newSqDecompressor(id uint16, blockSize uint32) (sqDecompressor, error) {
	switch id {
	case sqGzip:
		return &sqZlib{}, nil
	case sqLzma:
		return lzmaAlone{}, nil
	case sqLzo:
		return lzoBlock{}, nil
	case sqXz:
		return &xzBlock{dictMax: max(blockSize, 1<<16)}, nil
	case sqLz4:
		return lz4Block{}, nil
	case sqZstd:
		d, err := sharedZstd()
		if err != nil {
			return nil, err
		}
		return zstdBlock{d}, nil
	}
	return noDecompressor{id}, fmt.Errorf("unknown compressor id %d", id)
}

type noDecompressor struct{ id uint16 }

func (d noDecompressor) decompress(dst, src []byte) ([]byte, error) {
	return nil, fmt.Errorf("compressed block, but compressor id %d is unknown", d.id)
}

// readAllCapped reads r into dst up to its capacity and fails when r has
// more to give.
func readAllCapped(dst []byte, r io.Reader) ([]byte, error) {
	buf := dst[:cap(dst)]
	n, err := io.ReadFull(r, buf)
	switch err {
	case io.EOF, io.ErrUnexpectedEOF:
		return buf[:n], nil
	case nil:
		var one [1]byte
		if k, _ := r.Read(one[:]); k > 0 {
			return buf[:n], errBlockTooLarge
		}
		// A stream that exactly fills the buffer may still owe its end
		// (checksum): drain it to see it is whole.
		if _, err := r.Read(one[:]); err != nil && err != io.EOF {
			return buf[:n], err
		}
		return buf[:n], nil
	}
	return buf[:n], err
}

// sqZlib: gzip images hold zlib streams. Readers are pooled (Reset), since
// a new inflater per 8 KiB metadata block would cost more than the block.
type sqZlib struct{ pool sync.Pool }

func (d *sqZlib) decompress(dst, src []byte) ([]byte, error) {
	br := bytes.NewReader(src)
	var zr io.ReadCloser
	if v := d.pool.Get(); v != nil {
		zr = v.(io.ReadCloser)
		if err := zr.(zlib.Resetter).Reset(br, nil); err != nil {
			return nil, err
		}
	} else {
		var err error
		if zr, err = zlib.NewReader(br); err != nil {
			return nil, err
		}
	}
	out, err := readAllCapped(dst, zr)
	if err == nil {
		d.pool.Put(zr)
	}
	return out, err
}

// xzBlock uses github.com/xi2/xz, which implements the BCJ filters
// (x86, ARM, ...) that mksquashfs -Xbcj adds; github.com/ulikunitz/xz
// rejects such streams ("filter ... not supported").
type xzBlock struct {
	dictMax uint32
	pool    sync.Pool
}

func (d *xzBlock) decompress(dst, src []byte) ([]byte, error) {
	br := bytes.NewReader(src)
	var zr *xz.Reader
	if v := d.pool.Get(); v != nil {
		zr = v.(*xz.Reader)
		if err := zr.Reset(br); err != nil {
			return nil, err
		}
	} else {
		var err error
		if zr, err = xz.NewReader(br, d.dictMax); err != nil {
			return nil, err
		}
	}
	zr.Multistream(false)
	out, err := readAllCapped(dst, zr)
	if err == nil {
		d.pool.Put(zr)
	}
	return out, err
}

// lzmaAlone: the legacy .lzma format (13-byte header: properties,
// dictionary size, uncompressed size), as mksquashfs -comp lzma writes it.
type lzmaAlone struct{}

func (lzmaAlone) decompress(dst, src []byte) ([]byte, error) {
	if len(src) < lzma.HeaderLen {
		return nil, fmt.Errorf("lzma block of %d bytes, shorter than its header", len(src))
	}
	var hdr [lzma.HeaderLen]byte
	copy(hdr[:], src)
	// The dictionary never needs to exceed the output; a header asking
	// for more would only make the decoder allocate it.
	limit := uint32(max(cap(dst), lzma.MinDictCap))
	if binary.LittleEndian.Uint32(hdr[1:5]) > limit {
		binary.LittleEndian.PutUint32(hdr[1:5], limit)
	}
	if sz := binary.LittleEndian.Uint64(hdr[5:13]); sz != ^uint64(0) && sz > uint64(cap(dst)) {
		return nil, fmt.Errorf("%w: lzma header says %d bytes", errBlockTooLarge, sz)
	}
	zr, err := lzma.NewReader(io.MultiReader(bytes.NewReader(hdr[:]), bytes.NewReader(src[lzma.HeaderLen:])))
	if err != nil {
		return nil, err
	}
	return readAllCapped(dst, zr)
}

// lzoBlock: raw lzo1x blocks (any of the lzo1x algorithms decode with
// the lzo1x decompressor).
type lzoBlock struct{}

func (lzoBlock) decompress(dst, src []byte) ([]byte, error) {
	buf := dst[:cap(dst)]
	n, err := lzo.Decompress(src, buf)
	if err != nil {
		return buf[:n], fmt.Errorf("lzo: %w", err)
	}
	return buf[:n], nil
}

// lz4Block: squashfs stores raw lz4 blocks, not lz4 frames.
type lz4Block struct{}

func (lz4Block) decompress(dst, src []byte) ([]byte, error) {
	buf := dst[:cap(dst)]
	n, err := lz4.UncompressBlock(src, buf)
	if err != nil {
		return nil, fmt.Errorf("lz4: %w", err)
	}
	return buf[:n], nil
}

// zstdBlock: one zstd frame per block, decoded by a decoder shared by
// every image (DecodeAll is safe for concurrent use and keeps its own pool
// of block decoders), never a new decoder per block.
type zstdBlock struct{ d *zstd.Decoder }

// sharedZstd is the process-wide zstd decoder. The window limit is the
// largest squashfs block (1 MiB) with room to spare; DecodeAllCapLimit
// makes a frame larger than dst's capacity an error, not a reallocation.
var sharedZstd = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(4<<20),
		zstd.WithDecodeAllCapLimit(true))
})

func (d zstdBlock) decompress(dst, src []byte) ([]byte, error) {
	out, err := d.d.DecodeAll(src, dst[:0])
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return out, nil
}
