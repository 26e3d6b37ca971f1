package compress

// Zstandard (RFC 8878): frames (magic 28 b5 2f fd) and skippable frames
// (magic 50..5f 2a 4d 18, a 4-byte size, then bytes any decoder skips).
//
// The framing is walked here, block header by block header, without
// decompressing: that gives every frame's header fields, the frame
// boundaries (where an initrd's next segment starts; see initramfs.go),
// and the block an error is in. Each frame is then decoded on its own by
// klauspost/compress/zstd, with pooled decoders in synchronous low-memory
// mode (one block in flight, so where the decoder stopped in its input is
// exact, and memory stays at about one window). Skippable frames are
// never handed to it: besides being reported here, it prints a line to
// stderr for each one it skips (println in framedec.go, v1.20.4).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/readat"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

const layerZstd = "zstd"

const (
	zstdMagic = 0xFD2FB528
	// zstdMaxWindow is the largest window decoded: what the zstd CLI
	// decodes without --memory (levels up to 22 use at most 128 MiB;
	// only --long=28 and up need more).
	zstdMaxWindow = 128 << 20
	// zstdMaxBlock is Block_Maximum_Size.
	zstdMaxBlock = 128 << 10
	// maxListedSkippable bounds the skippable frame sizes listed.
	maxListedSkippable = 16
)

// ZstdFormat detects and opens zstd frames.
var Zstd = unpack.Format{Name: layerZstd, Match: matchZstd, Open: openZstd}

// isSkippableMagic reports a skippable frame's magic (zstd and lz4 share
// it).
func isSkippableMagic(b []byte) bool {
	return len(b) >= 4 && b[0]&0xf0 == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18
}

// matchZstd: a frame magic, after any skippable frames.
func matchZstd(head []byte, r io.ReaderAt, size int64) bool {
	return matchAfterSkippable(head, r, size, []byte{0x28, 0xb5, 0x2f, 0xfd})
}

// matchAfterSkippable looks for magic at the start or after up to 16
// skippable frames (only their sizes are read, no parse).
func matchAfterSkippable(head []byte, r io.ReaderAt, size int64, magic []byte) bool {
	off := int64(0)
	var b [8]byte
	for i := 0; i < 16; i++ {
		n, _ := r.ReadAt(b[:], off)
		if n >= 4 && string(b[:4]) == string(magic) {
			return true
		}
		if n < 8 || !isSkippableMagic(b[:4]) {
			return false
		}
		off += 8 + int64(binary.LittleEndian.Uint32(b[4:]))
		if off >= size {
			return false
		}
	}
	return false
}

// zstdFrame is a frame as walked.
type zstdFrame struct {
	frameSpan   // end: after the checksum
	windowSize  uint64
	single      bool
	unusedBit   bool
	contentSize uint64
	fcsSize     int // 0: not declared
	dictID      uint32
	didSize     int // 0: none
	checksum    bool
	blocks      int
}

// walkZstdFrame walks the frame at off. ok is false when no frame (of
// either kind) starts there.
func walkZstdFrame(pr *readat.Peek, off, size int64) (f zstdFrame, ok bool) {
	f = zstdFrame{frameSpan: frameSpan{off: off, end: off}}
	b, err := pr.At(off, 4)
	if err != nil {
		return f, false
	}
	if isSkippableMagic(b) {
		f.walkSkippable(pr, layerZstd, b, size)
		return f, true
	}
	if binary.LittleEndian.Uint32(b) != zstdMagic {
		return f, false
	}
	fail := func(at int64, format string, args ...any) (zstdFrame, bool) {
		f.err = unpack.Errorf(layerZstd, at, format, args...)
		f.end = size
		return f, true
	}
	// Frame_Header_Descriptor, Window_Descriptor, Dictionary_ID and
	// Frame_Content_Size: 14 bytes at most.
	h, _ := pr.At(off+4, 14)
	if len(h) < 1 {
		return fail(off+4, "frame header cut by the end of input")
	}
	fhd := h[0]
	if fhd&0x08 != 0 {
		return fail(off+4, "frame header descriptor 0x%02x: reserved bit set", fhd)
	}
	single := fhd&0x20 != 0
	f.single = single
	// Decoders ignore the unused bit: it shows when set.
	f.unusedBit = fhd&0x10 != 0
	f.checksum = fhd&0x04 != 0
	need := 1
	if !single {
		need++
	}
	didSize := [4]int{0, 1, 2, 4}[fhd&3]
	fcsSize := [4]int{0, 2, 4, 8}[fhd>>6]
	if single && fhd>>6 == 0 {
		fcsSize = 1
	}
	need += didSize + fcsSize
	if len(h) < need {
		return fail(off+4, "frame header of %d bytes cut by the end of input", need)
	}
	p := 1
	if !single {
		wd := h[p]
		p++
		base := uint64(1) << (10 + wd>>3)
		f.windowSize = base + base/8*uint64(wd&7)
	}
	if didSize > 0 {
		var id [4]byte
		copy(id[:], h[p:p+didSize])
		f.dictID, f.didSize = binary.LittleEndian.Uint32(id[:]), didSize
		p += didSize
	}
	if fcsSize > 0 {
		var v [8]byte
		copy(v[:], h[p:p+fcsSize])
		fcs := binary.LittleEndian.Uint64(v[:])
		if fcsSize == 2 {
			fcs += 256
		}
		p += fcsSize
		f.contentSize, f.fcsSize = fcs, fcsSize
		if single {
			f.windowSize = fcs
		}
	}
	pos := off + 4 + int64(p)
	f.headerLen = 4 + int64(p)
	f.addPart(off, f.headerLen, "header")
	for {
		bh, err := pr.At(pos, 3)
		if err != nil {
			return fail(pos, "block header cut by the end of input")
		}
		v := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
		last, typ, bsize := v&1 != 0, (v>>1)&3, int64(v>>3)
		adv := bsize
		switch typ {
		case 1: // RLE: one byte, repeated bsize times
			adv = 1
		case 3:
			return fail(pos, "block type 3 (reserved)")
		}
		if bsize > zstdMaxBlock {
			return fail(pos, "block of %d bytes (at most %d)", bsize, zstdMaxBlock)
		}
		if pos+3+adv > size {
			return fail(pos, "block of %d bytes cut by the end of input", adv)
		}
		f.blocks++
		f.blockParts(f.blocks, pos, 3, [4]string{"raw data", "RLE byte", "compressed data"}[typ], adv, 0)
		pos += 3 + adv
		if last {
			break
		}
	}
	f.endBlocks(f.blocks, pos)
	if f.checksum {
		if pos+4 > size {
			return fail(pos, "content checksum cut by the end of input")
		}
		f.addPart(pos, 4, "content checksum")
		pos += 4
	}
	f.end = pos
	return f, true
}

// zstdBlockAt is the offset of the block header of the block holding
// byte at of the frame at off, or -1 (a header, the checksum).
func zstdBlockAt(pr *readat.Peek, off, at int64) int64 {
	f, ok := walkZstdFrame(pr, off, pr.Size())
	if !ok || f.skippable {
		return -1
	}
	h, _ := pr.At(off+4, 1)
	if len(h) < 1 {
		return -1
	}
	fhd := h[0]
	p := int64(1 + [4]int{0, 1, 2, 4}[fhd&3])
	if fhd&0x20 == 0 {
		p++
	}
	if fcs := [4]int64{0, 2, 4, 8}[fhd>>6]; fcs > 0 {
		p += fcs
	} else if fhd&0x20 != 0 {
		p++
	}
	pos := off + 4 + p
	for i := 0; i < f.blocks+1 && pos < pr.Size(); i++ {
		bh, err := pr.At(pos, 3)
		if err != nil {
			return -1
		}
		v := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
		adv := int64(v >> 3)
		if (v>>1)&3 == 1 {
			adv = 1
		}
		if at >= pos && at < pos+3+adv {
			return pos
		}
		pos += 3 + adv
		if v&1 != 0 {
			break
		}
	}
	return -1
}

// zstdStreamEnd is where the run of frames starting at off ends, found by
// walking their framing: the offset of the first byte that starts no
// frame. ok is false when a frame's framing is broken.
func zstdStreamEnd(pr *readat.Peek, off, size int64) (end int64, ok bool) {
	return framesEnd(&zstdStream{}, pr, off, size)
}

func (f *zstdFrame) fields() []unpack.Field {
	var fs []unpack.Field
	add := func(name, format string, args ...any) {
		fs = append(fs, unpack.Field{Name: name, Value: fmt.Sprintf(format, args...)})
	}
	if f.fcsSize > 0 {
		add("content size", "%d", f.contentSize)
	}
	add("window size", "%s", sizeString(f.windowSize))
	if f.checksum {
		add("checksum", "XXH64")
	} else {
		add("checksum", "none")
	}
	if f.didSize > 0 {
		add("dictionary id", "%d", f.dictID)
	}
	add("blocks", "%d", f.blocks)
	// What the header spells otherwise than the zstd library would for
	// the same values shows, so that no header bit goes unseen.
	if f.single {
		add("single segment", "yes")
	}
	if f.unusedBit {
		add("header descriptor unused bit", "set")
	}
	if f.fcsSize > 0 && f.fcsSize != zstdFieldSize(f.contentSize, f.single, []uint64{256, 65536 + 256, 1 << 32}) {
		add("content size field", "%d bytes", f.fcsSize)
	}
	if f.didSize > 0 && f.didSize != zstdFieldSize(uint64(f.dictID), true, []uint64{256, 65536}) {
		add("dictionary id field", "%d bytes", f.didSize)
	}
	return fs
}

// zstdFieldSize is the size the zstd library gives a header field of
// value v: the smallest whose range, bounded by limits, holds it.
func zstdFieldSize(v uint64, oneByte bool, limits []uint64) int {
	sizes := []int{1, 2, 4, 8}
	if len(limits) == 2 {
		sizes = []int{1, 2, 4}
	}
	i := 0
	for i < len(limits) && v >= limits[i] {
		i++
	}
	if i == 0 && !oneByte {
		return 2
	}
	return sizes[i]
}

var zstdDecoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		panic(err) // the options are constants
	}
	return d
}}

// OpenZstd reads a zstd file: the frames' header fields, the skippable
// frames, the decompressed content, and what follows the last frame.
func openZstd(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	pr := readat.NewPeek(r, size)
	if f, ok := walkZstdFrame(pr, 0, size); !ok {
		return nil, unpack.Errorf(layerZstd, 0, "no zstd frame magic (28 b5 2f fd) or skippable frame")
	} else if f.skippable && !matchZstd(nil, r, size) {
		return nil, unpack.Errorf(layerZstd, 0, "skippable frames but no zstd frame")
	}
	return openStream(layerZstd, r, size, env, newZstdStream(r, pr, size))
}

// zstdStream walks and decodes the frames one after the other.
type zstdStream struct {
	framedStream
	decoder  *zstd.Decoder // from zstdDecoders
	skipList []string      // the sizes of the first skippable frames
}

func newZstdStream(r io.ReaderAt, pr *readat.Peek, size int64) *zstdStream {
	s := &zstdStream{}
	s.framedStream = newFramedStream(layerZstd, s, r, pr, size)
	return s
}

func (s *zstdStream) release() {
	if s.decoder != nil {
		s.decoder.Reset(nil)
		zstdDecoders.Put(s.decoder)
		s.decoder = nil
	}
}

func (s *zstdStream) fields() []unpack.Field {
	v := fmt.Sprintf("%d", s.nSkip)
	if len(s.skipList) > 0 {
		v += " (" + strings.Join(s.skipList, ", ")
		if s.nSkip > len(s.skipList) {
			v += ", ..."
		}
		v += ")"
	}
	return s.frameFields(v)
}

func (*zstdStream) walk(pr *readat.Peek, off, size int64) (walkedFrame, bool) {
	f, ok := walkZstdFrame(pr, off, size)
	return &f, ok
}

func (s *zstdStream) skipped(f walkedFrame) {
	if len(s.skipList) < maxListedSkippable {
		s.skipList = append(s.skipList, fmt.Sprintf("%d bytes", f.(*zstdFrame).skipSize))
	}
}

func (s *zstdStream) start(f walkedFrame, n int, in io.Reader) (io.Reader, error) {
	if s.decoder == nil {
		s.decoder = zstdDecoders.Get().(*zstd.Decoder)
	}
	if err := s.decoder.Reset(in); err != nil {
		off, _ := f.bounds()
		return nil, &unpack.FormatError{Layer: layerZstd, Offset: off, Msg: fmt.Sprintf("frame %d", n), Err: err}
	}
	return s.decoder, nil
}

// decodeErr places a decoder error: the decoder reads a whole block
// before decoding it, so the last byte it read is in the bad block.
func (s *zstdStream) decodeErr(err error, wf walkedFrame, n int, in *countingReader) error {
	f := wf.(*zstdFrame)
	at := f.off + in.n
	if errors.Is(err, zstd.ErrCRCMismatch) && f.checksum && f.err == nil {
		return &unpack.FormatError{Layer: layerZstd, Offset: f.end - 4, Msg: fmt.Sprintf("frame %d (at %d): the content checksum does not match the decoded bytes", n, f.off), Err: err}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &unpack.FormatError{Layer: layerZstd, Offset: at, Msg: fmt.Sprintf("frame %d (at %d) cut by the end of input", n, f.off), Err: err}
	}
	if b := zstdBlockAt(s.pr, f.off, at-1); b >= 0 {
		return &unpack.FormatError{Layer: layerZstd, Offset: b, Msg: fmt.Sprintf("frame %d (at %d), block at %d", n, f.off, b), Err: err}
	}
	return &unpack.FormatError{Layer: layerZstd, Offset: at, Msg: fmt.Sprintf("frame %d (at %d)", n, f.off), Err: err}
}
