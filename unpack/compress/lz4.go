package compress

// LZ4, in both of its stream formats.
//
// The frame format (magic 04 22 4d 18): a descriptor, blocks of a 4-byte
// size (high bit: stored uncompressed) each maybe followed by a checksum,
// an end mark (size 0), maybe a content checksum. Frames may follow one
// another and skippable frames (magic 50..5f 2a 4d 18) may sit between
// them. The framing is walked here for the fields and frame boundaries;
// each frame is decoded by github.com/pierrec/lz4/v4's Reader.
//
// The legacy format (magic 02 21 4c 18), which `lz4 -l` writes and the
// Linux kernel decompresses initramfs and kernel images in: blocks of a
// 4-byte little-endian compressed size and the compressed bytes, each
// decompressing to at most 8 MiB, with no end mark and no checksum.
//
// This reader follows lib/decompress_unlz4.c: the magic may appear again
// between blocks (concatenated streams: skipped), and the stream ends at
// the end of input, with fewer than 4 bytes left, or at a size of 0 (the
// zero padding after it). The kernel's in-memory path (initramfs) stops
// nowhere else: a size that is no block fails to decode there ("Decoding
// failed", "data corrupted"), which is why the kernel cannot unpack a
// segment after a legacy lz4 one. Here, to report what follows rather
// than a decoding error, the stream also ends at a size above
// LZ4_compressBound(8 MiB) (the bound the kernel's buffered path
// enforces: the size word the kernel build appends to a compressed
// kernel image, the magic of zstd, xz, bzip2 or cpio) and at the gzip
// magic 1f 8b 08 (whose little-endian value, 0x00088b1f and up, is a
// plausible size); that is reported as trailing bytes. Blocks are
// decoded with lz4.UncompressBlock.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/readat"

	"github.com/pierrec/lz4/v4"
)

const (
	layerLz4       = "lz4"
	layerLz4Legacy = "lz4-legacy"

	lz4FrameMagic  = 0x184D2204
	lz4LegacyMagic = 0x184C2102
	// lz4LegacyBlock is the most a legacy block decompresses to.
	lz4LegacyBlock = 8 << 20
	// lz4LegacyMaxCompressed is LZ4_COMPRESSBOUND(8 MiB): a size field
	// above it is no block (decompress_unlz4.c: "chunk length is longer
	// than allocated").
	lz4LegacyMaxCompressed = lz4LegacyBlock + lz4LegacyBlock/255 + 16
)

// Lz4Format detects and opens lz4 frames.
var Lz4 = unpack.Format{Name: layerLz4, Match: matchLz4, Open: openLz4}

// Lz4LegacyFormat detects and opens lz4 legacy-format streams (as the Linux kernel writes them).
var Lz4Legacy = unpack.Format{Name: layerLz4Legacy, Match: matchLz4Legacy, Open: openLz4Legacy}

func matchLz4(head []byte, r io.ReaderAt, size int64) bool {
	return matchAfterSkippable(head, r, size, []byte{0x04, 0x22, 0x4d, 0x18})
}

func matchLz4Legacy(head []byte, _ io.ReaderAt, _ int64) bool {
	return len(head) >= 8 && binary.LittleEndian.Uint32(head) == lz4LegacyMagic
}

// lz4Frame is a frame as walked.
type lz4Frame struct {
	frameSpan       // end: after the content checksum
	blockMax        int
	independent     bool
	blockChecksum   bool
	contentChecksum bool
	contentSize     uint64
	hasContentSize  bool
	dictID          uint32
	hasDictID       bool
	blocks          int
}

// walkLz4Frame walks the frame at off; ok is false when none starts there.
func walkLz4Frame(pr *readat.Peek, off, size int64) (f lz4Frame, ok bool) {
	f = lz4Frame{frameSpan: frameSpan{off: off, end: off}}
	b, err := pr.At(off, 4)
	if err != nil {
		return f, false
	}
	fail := func(at int64, format string, args ...any) (lz4Frame, bool) {
		f.err = unpack.Errorf(layerLz4, at, format, args...)
		f.end = size
		return f, true
	}
	if isSkippableMagic(b) {
		f.walkSkippable(pr, layerLz4, b, size)
		return f, true
	}
	if binary.LittleEndian.Uint32(b) != lz4FrameMagic {
		return f, false
	}
	h, _ := pr.At(off+4, 2)
	if len(h) < 2 {
		return fail(off+4, "frame descriptor cut by the end of input")
	}
	flg, bd := h[0], h[1]
	if flg>>6 != 1 {
		return fail(off+4, "frame version %d (only 1 is defined)", flg>>6)
	}
	if flg&0x02 != 0 || bd&0x8f != 0 {
		return fail(off+4, "reserved bits set in the frame descriptor (FLG 0x%02x, BD 0x%02x)", flg, bd)
	}
	idx := bd >> 4 & 7
	if idx < 4 {
		return fail(off+5, "block maximum size index %d (4 to 7 are defined)", idx)
	}
	f.blockMax = 1 << (8 + 2*idx)
	f.independent = flg&0x20 != 0
	f.blockChecksum = flg&0x10 != 0
	f.contentChecksum = flg&0x04 != 0
	pos := off + 6
	if flg&0x08 != 0 {
		v, err := pr.At(pos, 8)
		if err != nil {
			return fail(pos, "content size cut by the end of input")
		}
		f.contentSize, f.hasContentSize = binary.LittleEndian.Uint64(v), true
		pos += 8
	}
	if flg&0x01 != 0 {
		v, err := pr.At(pos, 4)
		if err != nil {
			return fail(pos, "dictionary id cut by the end of input")
		}
		f.dictID, f.hasDictID = binary.LittleEndian.Uint32(v), true
		pos += 4
	}
	pos++ // header checksum (checked by the decoder)
	f.headerLen = pos - off
	f.addPart(off, f.headerLen, "descriptor")
	for {
		v, err := pr.At(pos, 4)
		if err != nil {
			return fail(pos, "block size cut by the end of input")
		}
		bs := binary.LittleEndian.Uint32(v)
		if bs == 0 {
			f.endBlocks(f.blocks, pos)
			f.addPart(pos, 4, "end mark")
			pos += 4
			break
		}
		n := int64(bs & 0x7fffffff)
		if n > int64(f.blockMax) {
			return fail(pos, "block of %d bytes in a frame of %s blocks", n, sizeString(uint64(f.blockMax)))
		}
		n += 4
		if f.blockChecksum {
			n += 4
		}
		if pos+n > size {
			return fail(pos, "block of %d bytes cut by the end of input", n-4)
		}
		f.blocks++
		what := "compressed data"
		if bs&0x80000000 != 0 {
			what = "stored data"
		}
		f.blockParts(f.blocks, pos, 4, what, int64(bs&0x7fffffff), n-4-int64(bs&0x7fffffff))
		pos += n
	}
	if f.contentChecksum {
		if pos+4 > size {
			return fail(pos, "content checksum cut by the end of input")
		}
		f.addPart(pos, 4, "content checksum")
		pos += 4
	}
	f.end = pos
	return f, true
}

func (f *lz4Frame) fields() []unpack.Field {
	var fs []unpack.Field
	add := func(name, format string, args ...any) {
		fs = append(fs, unpack.Field{Name: name, Value: fmt.Sprintf(format, args...)})
	}
	if f.hasContentSize {
		add("content size", "%d", f.contentSize)
	}
	add("block size", "%s", sizeString(uint64(f.blockMax)))
	if f.independent {
		add("blocks are", "independent")
	} else {
		add("blocks are", "linked")
	}
	add("block checksum", "%s", yesNo(f.blockChecksum))
	add("content checksum", "%s", yesNo(f.contentChecksum))
	if f.hasDictID {
		add("dictionary id", "%d", f.dictID)
	}
	add("blocks", "%d", f.blocks)
	return fs
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// lz4StreamEnd is where the run of lz4 frames at off ends; ok is false
// when a frame's framing is broken.
func lz4StreamEnd(pr *readat.Peek, off, size int64) (end int64, ok bool) {
	return framesEnd(&lz4Stream{}, pr, off, size)
}

// OpenLz4 reads an lz4 frame-format file.
func openLz4(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	if !matchLz4(nil, r, size) {
		return nil, unpack.Errorf(layerLz4, 0, "no lz4 frame magic (04 22 4d 18)")
	}
	return openStream(layerLz4, r, size, env, newLz4Stream(r, size))
}

// lz4Stream walks and decodes the frames one after the other.
type lz4Stream struct {
	framedStream
	decoder *lz4.Reader
}

func newLz4Stream(r io.ReaderAt, size int64) *lz4Stream {
	s := &lz4Stream{}
	s.framedStream = newFramedStream(layerLz4, s, r, readat.NewPeek(r, size), size)
	return s
}

func (s *lz4Stream) release() { s.decoder = nil }

func (s *lz4Stream) fields() []unpack.Field { return s.frameFields(fmt.Sprint(s.nSkip)) }

func (*lz4Stream) walk(pr *readat.Peek, off, size int64) (walkedFrame, bool) {
	f, ok := walkLz4Frame(pr, off, size)
	return &f, ok
}

func (*lz4Stream) skipped(walkedFrame) {}

func (s *lz4Stream) start(_ walkedFrame, _ int, in io.Reader) (io.Reader, error) {
	if s.decoder == nil {
		s.decoder = lz4.NewReader(in)
	} else {
		s.decoder.Reset(in)
	}
	return s.decoder, nil
}

func (*lz4Stream) decodeErr(err error, f walkedFrame, n int, in *countingReader) error {
	off, _ := f.bounds()
	msg := fmt.Sprintf("frame %d (at %d)", n, off)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		msg += " cut by the end of input"
	}
	return &unpack.FormatError{Layer: layerLz4, Offset: off + in.n, Msg: msg, Err: err}
}

// OpenLz4Legacy reads an lz4 legacy-format file (lz4 -l, Linux initramfs).
func openLz4Legacy(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	if !hasPrefixAt(r, 0, size, []byte{0x02, 0x21, 0x4c, 0x18}) {
		return nil, unpack.Errorf(layerLz4Legacy, 0, "no lz4 legacy magic (02 21 4c 18)")
	}
	return openStream(layerLz4Legacy, r, size, env, newLz4LegacyStream(r, size))
}

// lz4LegacyEnds reports whether the 4 bytes where a block size should be
// end the stream instead (see the top of this file).
func lz4LegacyEnds(b []byte) bool {
	v := binary.LittleEndian.Uint32(b)
	return v == 0 || v > lz4LegacyMaxCompressed || (b[0] == 0x1f && b[1] == 0x8b && b[2] == 0x08)
}

// lz4LegacyEnd is where the legacy stream at off ends: at the end of
// input (also after a block cut by it), with fewer than 4 bytes left, or
// where lz4LegacyEnds says.
func lz4LegacyEnd(pr *readat.Peek, off, size int64) int64 {
	pos := off + 4
	for pos+4 <= size {
		b, err := pr.At(pos, 4)
		if err != nil {
			break
		}
		v := binary.LittleEndian.Uint32(b)
		if v == lz4LegacyMagic {
			pos += 4
			continue
		}
		if lz4LegacyEnds(b) {
			break
		}
		if pos+4+int64(v) > size {
			return size
		}
		pos += 4 + int64(v)
	}
	return pos
}

// lz4LegacyStream decodes legacy blocks one at a time.
type lz4LegacyStream struct {
	r      io.ReaderAt
	pr     *readat.Peek
	size   int64
	next   int64 // offset of the next size field
	src    []byte
	dst    []byte
	blocks int
	frames int
	endOff int64
	blockedOutput
	streamParts
}

func newLz4LegacyStream(r io.ReaderAt, size int64) *lz4LegacyStream {
	s := &lz4LegacyStream{r: r, pr: readat.NewPeek(r, size), size: size, next: 4, frames: 1}
	s.claims.Add(0, 4, "lz4 magic")
	return s
}

func (s *lz4LegacyStream) pos() int64 { return s.next }
func (s *lz4LegacyStream) end() int64 { return s.endOff }
func (s *lz4LegacyStream) release()   { s.src, s.dst, s.out = nil, nil, nil }

func (s *lz4LegacyStream) fields() []unpack.Field {
	fs := []unpack.Field{{Name: "blocks", Value: fmt.Sprint(s.blocks)}}
	if s.frames > 1 {
		fs = append(fs, unpack.Field{Name: "frames", Value: fmt.Sprint(s.frames)})
	}
	return fs
}

func (s *lz4LegacyStream) Read(p []byte) (int, error) { return s.read(p, s.nextBlock) }

// nextBlock decodes the next block into s.out, or ends the stream.
func (s *lz4LegacyStream) nextBlock() error {
	for {
		if s.next+4 > s.size {
			s.endOff = s.next
			return io.EOF
		}
		b, err := s.pr.At(s.next, 4)
		if err != nil {
			return &unpack.FormatError{Layer: layerLz4Legacy, Offset: s.next, Msg: "reading a block size", Err: err}
		}
		v := binary.LittleEndian.Uint32(b)
		if v == lz4LegacyMagic {
			s.frames++
			s.claims.Addf(s.next, 4, "lz4 magic %d", s.frames)
			s.next += 4
			continue
		}
		if lz4LegacyEnds(b) {
			s.endOff = s.next
			return io.EOF
		}
		if s.blocks < maxNamedParts {
			s.claims.Addf(s.next, 4, "lz4 block %d size", s.blocks+1)
			s.claims.Addf(s.next+4, int64(v), "lz4 block %d compressed data", s.blocks+1)
		} else {
			s.claims.Add(s.next, 4+int64(v), "lz4 blocks past the first 1024: compressed data")
		}
		if rest := s.size - s.next - 4; int64(v) > rest {
			return &unpack.FormatError{Layer: layerLz4Legacy, Offset: s.next, Msg: fmt.Sprintf("block %d: %d bytes, only %d before the end of input", s.blocks+1, v, rest), Err: io.ErrUnexpectedEOF}
		}
		if cap(s.src) < int(v) {
			s.src = make([]byte, v)
		}
		src := s.src[:v]
		if err := bin.ReadFull(s.r, src, s.next+4, layerLz4Legacy, "block"); err != nil {
			return err
		}
		// A block decompresses to at most 255 times its size (LZ4's
		// best ratio) and at most 8 MiB: no 8 MiB buffer for a small
		// input.
		want := min(lz4LegacyBlock, int(v)*255+64)
		if cap(s.dst) < want {
			s.dst = make([]byte, want)
		}
		n, err := lz4.UncompressBlock(src, s.dst[:want])
		if err != nil {
			return &unpack.FormatError{Layer: layerLz4Legacy, Offset: s.next, Msg: fmt.Sprintf("block %d (%d bytes) does not decode to at most 8 MiB", s.blocks+1, v), Err: err}
		}
		s.blocks++
		s.next += 4 + int64(v)
		s.out = s.dst[:n]
		if n > 0 {
			return nil
		}
	}
}
