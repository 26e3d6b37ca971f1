// Package compress reads compressed streams (gzip, xz, zstd, lz4 frame and
// legacy, bzip2, lzma, lzop) as layers: the stream's header fields on the
// root and the decompressed bytes as its one child, "content".
package compress

// Compressed streams: gzip, xz, zstd, lz4 (frame and legacy), bzip2, lzma
// and lzop, one file each (compress_*.go). Every one is a layer whose root
// holds the stream's own header fields and one child, "content": the
// decompressed bytes, spooled by Env.Spool for random access: blocks of
// zeros as holes, a stream of up to a MiB in memory, a larger one in an
// unlinked temporary file.
//
// A comparison opens the two sides of a differing stream at once, each in
// its own goroutine, with the two Envs of a Pair: the two decoders then
// run in step, a MiB at a time, and what they decode alike is kept once.
// Two initrds whose gzip headers alone differ share one copy of their
// content, which the comparison proves the same without reading it
// (unpack.SharedStorer); two bombs of zeros store nothing; after the
// first chunk that differs, each side goes on into storage of its own.
//
// Decompression happens at Open, not lazily: whether the stream is sound
// (a CRC, a truncated block, a bomb cut at Env.MaxDecompressed) is part of
// what a comparison reports, and it is known only once the whole stream
// has been read. The formats whose framing can be walked without
// decompressing (zstd, lz4) are walked first, so that each frame is
// decoded on its own and an error names the frame and block it is in.
//
// Every stream reader knows where it is in its input, so that an error is
// a FormatError at the offset of the compressed byte the decoder had
// reached, and the bytes after the last stream (zero padding, another
// archive) are reported rather than silently ignored: zeros as a field
// "padding", anything else as a child "[trailing bytes]" that a
// comparison unpacks in its own right.

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/trailing"
)

// maxListedUnits bounds how many members (gzip), frames (zstd, lz4) or
// streams (xz) have their header fields listed one by one: a hostile
// input of millions of empty members must not make millions of fields.
const maxListedUnits = 64

// stream is a decompressor that knows where it is in its input.
type stream interface {
	// Read returns decompressed bytes. An error other than io.EOF is a
	// *FormatError at an offset of the compressed input.
	io.Reader
	// pos is how far into the input the decoder has read.
	pos() int64
	// end, once Read has returned io.EOF, is where the last stream ends:
	// what follows is padding or trailing data.
	end() int64
	// fields are the header fields seen so far.
	fields() []unpack.Field
	// release returns pooled decoders; the stream is not read again.
	release()
	// parts is where the stream's structures lie (headers, compressed
	// data, trailers, as far as the stream was read) and the records of
	// bytes no decoder reads (skippable frames).
	parts() *streamParts
}

// streamParts accounts for the bytes of a compressed layer. Every header
// and trailer byte is a field of the root or checked by the decoder; the
// compressed data is decoded into "content", except where a change would
// decode to the same bytes, which the comparison's raw-byte backstop
// shows. The claims name each part, so that such a byte is named.
type streamParts struct {
	claims layout.Claims
	extra  []*unpack.Node // records of bytes nothing decodes, children of the root
}

func (p *streamParts) parts() *streamParts { return p }

// maxNamedParts bounds the blocks whose parts are claimed one by one in a
// stream: a hostile input of millions of tiny blocks must not make
// millions of claims. The blocks after them are claimed as one part.
const maxNamedParts = 1024

// openStream spools s and builds the layer: the root with s's fields,
// the "content" child, and what follows the stream.
func openStream(layer string, r io.ReaderAt, size int64, env *unpack.Env, s stream) (*unpack.Node, error) {
	if env == nil {
		return nil, fmt.Errorf("%s: no Env to spool the decompressed stream to", layer)
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layer, Offset: 0}
	content := &unpack.Node{Name: "content", Type: unpack.TypeFile, Layer: layer, Offset: -1}
	data, err := env.Spool(s)
	s.release()
	root.SetFields(s.fields())
	content.Data = data
	parts := s.parts()
	var fe *unpack.FormatError
	switch {
	case err == nil:
		trailing.Add(root, layer, r, s.end(), size)
		if _, zeros := root.Field("padding"); zeros {
			parts.claims.Addf(s.end(), size-s.end(), "zero padding after the %s stream", layer)
		} else {
			parts.claims.Add(s.end(), size-s.end(), "trailing bytes")
		}
	case errors.Is(err, unpack.ErrTooLarge):
		content.Err = &unpack.FormatError{Layer: layer, Offset: s.pos(),
			Msg: fmt.Sprintf("decompressed stream cut after %d bytes (the decoder had read the input up to here)", dataSize(data)), Err: err}
		// The fields were read as far as the decoder went, not to the
		// end of the stream.
		root.Err = unpack.Errorf(layer, s.pos(), "stream cut after %d decompressed bytes (--max-decompressed): the fields describe the part decoded", dataSize(data))
	case errors.As(err, &fe):
		content.Err = err
	case unpack.IsLocal(err):
		content.Err = err // the machine's failure, nothing to do with the input
	default:
		content.Err = &unpack.FormatError{Layer: layer, Offset: s.pos(), Msg: "decompressing", Err: err}
	}
	if err != nil {
		// What follows the point where the decoder stopped (an error, the
		// size limit).
		parts.claims.Addf(s.pos(), size-s.pos(), "%s input the decoder did not reach", layer)
	}
	root.Children = append(root.Children, content)
	root.Children = append(root.Children, parts.extra...)
	root.SetLayout(&parts.claims)
	root.Sort()
	return root, nil
}

func dataSize(d unpack.Data) int64 {
	if d == nil {
		return 0
	}
	return d.Size()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// bufferedInput reads r[off:size] through a bufio.Reader and knows the
// offset of the next byte it will hand out: decoders that read byte by
// byte from an io.ByteReader (flate, bzip2, lzma) then consume exactly the
// bytes of their stream, and where they stopped is known to the byte.
type bufferedInput struct {
	*bufio.Reader
	start int64
	cr    countingReader
}

func newBufferedInput(r io.ReaderAt, off, size int64) *bufferedInput {
	in := &bufferedInput{start: off}
	in.cr.r = io.NewSectionReader(r, off, size-off)
	in.Reader = bufio.NewReaderSize(&in.cr, 64<<10)
	return in
}

// offset is the input offset of the next byte Read or ReadByte returns.
func (in *bufferedInput) offset() int64 { return in.start + in.cr.n - int64(in.Buffered()) }

// chunkedReader hands out at most max bytes per Read, so that a decoder
// with an input buffer of its own (xz) never reads far past the byte it
// is decoding: where it stopped is then known to within max bytes.
type chunkedReader struct {
	r   io.Reader
	max int
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if len(p) > c.max {
		p = p[:c.max]
	}
	return c.r.Read(p)
}

// unlistedUnits digests the headers of the units whose fields are not
// listed (after maxListedUnits of them), so that a difference there still
// shows, in one field.
type unlistedUnits struct {
	h hash.Hash
}

// add digests r[off:off+n], the header of an unlisted unit.
func (u *unlistedUnits) add(r io.ReaderAt, off, n int64) {
	if u.h == nil {
		u.h = sha256.New()
	}
	fmt.Fprintf(u.h, "%d:", n)
	io.Copy(u.h, io.NewSectionReader(r, off, n))
}

// field is the digest field, or nothing when every unit was listed.
func (u *unlistedUnits) field(unit string) []unpack.Field {
	if u.h == nil {
		return nil
	}
	return []unpack.Field{{Name: unit + "s not listed: sha256 of their headers", Value: hex.EncodeToString(u.h.Sum(nil))}}
}

// unitFields flattens the header fields of the units of a stream (gzip
// members, zstd or lz4 frames, xz streams): the first unit's fields as
// they are, and, when there are several, each later one's prefixed "<unit>
// N ". units holds the first maxListedUnits of total units; the others are
// counted, not listed.
func unitFields(unit string, units [][]unpack.Field, total int) []unpack.Field {
	var out []unpack.Field
	for i, fs := range units {
		if i >= maxListedUnits {
			break
		}
		for _, f := range fs {
			if i > 0 {
				f.Name = fmt.Sprintf("%s %d %s", unit, i+1, f.Name)
			}
			out = append(out, f)
		}
	}
	if total > maxListedUnits {
		out = append(out, unpack.Field{Name: unit + "s not listed", Value: fmt.Sprint(total - maxListedUnits)})
	}
	return out
}

// sizeString shows a byte count the way compressors state block and
// window sizes: "8 MiB", "900 kB" for bzip2's decimal sizes stays a
// number of bytes.
func sizeString(n uint64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// hasPrefixAt reports whether r holds magic at off.
func hasPrefixAt(r io.ReaderAt, off, size int64, magic []byte) bool {
	if off < 0 || off+int64(len(magic)) > size {
		return false
	}
	b := make([]byte, len(magic))
	if n, _ := r.ReadAt(b, off); n != len(b) {
		return false
	}
	return string(b) == string(magic)
}

// blockedOutput serves a stream decoded block by block to Read.
type blockedOutput struct {
	out []byte // decoded bytes not yet returned
	err error  // what ends the stream, once known
}

// read fills p from the decoded block, calling next to decode another
// (into out) or to say why there is none.
func (b *blockedOutput) read(p []byte, next func() error) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		b.err = next()
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// walkedFrame is one frame of a framed format (zstd, lz4) as walked
// without decompressing it.
type walkedFrame interface {
	bounds() (off, end int64) // end: where the walk stopped when walkErr is set
	isSkippable() bool
	walkErr() error // the framing is broken here
	fields() []unpack.Field
	span() *frameSpan
}

// frameSpan is where a walked frame lies: the walkedFrame part of the
// frame types.
type frameSpan struct {
	off, end  int64 // end: where the walk stopped when err is set
	skippable bool
	skipID    byte   // a skippable frame's magic nibble
	skipSize  uint32 // a skippable frame's size field
	err       error  // the framing is broken here (a truncated or impossible block)
	parts     []framePart
	headerLen int64 // the frame header's bytes, magic included
	restAt    int64 // where the blocks past maxNamedParts start, or 0
	restFrom  int   // the first of them
}

// framePart is one structure of a frame: "header", "block 3 compressed
// data", "checksum".
type framePart struct {
	off, n int64
	what   string
}

func (f *frameSpan) bounds() (int64, int64) { return f.off, f.end }
func (f *frameSpan) isSkippable() bool      { return f.skippable }
func (f *frameSpan) walkErr() error         { return f.err }
func (f *frameSpan) span() *frameSpan       { return f }

// walkSkippable walks the skippable frame whose magic, b, starts at f.off:
// zstd and lz4 share the format (magic 0x184D2A50-5F, a 4-byte size, that
// many bytes nothing decodes).
func (f *frameSpan) walkSkippable(pr *readat.Peek, layer string, b []byte, size int64) {
	off := f.off
	f.skippable, f.skipID = true, b[0]&0x0f
	b, err := pr.At(off+4, 4)
	if err != nil {
		f.end = size
		f.err = unpack.Errorf(layer, off+4, "skippable frame: size cut by the end of input")
		return
	}
	f.skipSize = binary.LittleEndian.Uint32(b)
	f.end = off + 8 + int64(f.skipSize)
	if f.end > size {
		f.err = unpack.Errorf(layer, off+4, "skippable frame of %d bytes: only %d before the end of input", f.skipSize, size-off-8)
		f.end = size
	}
	f.headerLen = 8
	f.addPart(off, 8, "header")
	f.addPart(off+8, f.end-off-8, "content")
}

// addPart records a part of the frame.
func (f *frameSpan) addPart(off, n int64, format string, args ...any) {
	f.parts = append(f.parts, framePart{off, n, fmt.Sprintf(format, args...)})
}

// blockParts records the parts of block number n (from 1) at off: its
// header or size field of hlen bytes, its data (what, n bytes) and a
// checksum of clen bytes. Past maxNamedParts blocks, the rest of the
// blocks are one part, closed by endBlocks.
func (f *frameSpan) blockParts(n int, off, hlen int64, what string, dlen, clen int64) {
	if n > maxNamedParts {
		if f.restAt == 0 {
			f.restAt, f.restFrom = off, n
		}
		return
	}
	f.addPart(off, hlen, "block %d header", n)
	f.addPart(off+hlen, dlen, "block %d %s", n, what)
	f.addPart(off+hlen+dlen, clen, "block %d checksum", n)
}

// endBlocks closes the part of the blocks past maxNamedParts, the last
// of which, number n, ends at end.
func (f *frameSpan) endBlocks(n int, end int64) {
	if f.restAt != 0 {
		f.addPart(f.restAt, end-f.restAt, "blocks %d to %d", f.restFrom, n)
		f.restAt = 0
	}
}

// frameFormat is what framedStream needs of a format.
type frameFormat interface {
	// walk walks the frame at off; false when no frame starts there.
	walk(pr *readat.Peek, off, size int64) (walkedFrame, bool)
	// skipped notes a skippable frame.
	skipped(f walkedFrame)
	// start readies the decoder on the bytes of frame number n, f.
	start(f walkedFrame, n int, in io.Reader) (io.Reader, error)
	// decodeErr places an error of the decoder in frame number n, f,
	// whose decoder had read through in.
	decodeErr(err error, f walkedFrame, n int, in *countingReader) error
}

// framesEnd is where the run of frames of format at off ends, walking
// their framing without decompressing: the first byte that starts no
// frame. ok is false when a frame's framing is broken.
func framesEnd(format frameFormat, pr *readat.Peek, off, size int64) (end int64, ok bool) {
	for off < size {
		f, isFrame := format.walk(pr, off, size)
		if !isFrame {
			break
		}
		if f.walkErr() != nil {
			return size, false
		}
		_, off = f.bounds()
	}
	return off, true
}

// framedStream decodes the frames of a framed format one after the
// other, each from exactly its own bytes as the walk found them, so that
// an error names its frame and where the decoder was; skippable frames
// are counted and passed over.
type framedStream struct {
	streamParts
	layer  string
	format frameFormat
	r      io.ReaderAt
	pr     *readat.Peek
	size   int64
	next   int64 // where the next frame starts
	cur    walkedFrame
	in     countingReader
	dec    io.Reader
	frames [][]unpack.Field // the first maxListedUnits frames' fields
	count  int              // frames, skippable ones aside
	nSkip  int
	endOff int64
	err    error
	// unlisted and unlistedSkip digest the frames past maxListedUnits.
	unlisted, unlistedSkip unlistedUnits
}

func newFramedStream(layer string, format frameFormat, r io.ReaderAt, pr *readat.Peek, size int64) framedStream {
	return framedStream{layer: layer, format: format, r: r, pr: pr, size: size}
}

func (s *framedStream) pos() int64 {
	if s.cur != nil {
		off, _ := s.cur.bounds()
		return off + s.in.n
	}
	return s.next
}

func (s *framedStream) end() int64 { return s.endOff }

// frameFields are the fields every framed format lists: the count of
// frames, skippable ones (described by skipped), and the frames' own.
func (s *framedStream) frameFields(skipped string) []unpack.Field {
	fs := []unpack.Field{{Name: "frames", Value: fmt.Sprint(s.count)}}
	if s.nSkip > 0 {
		fs = append(fs, unpack.Field{Name: "skippable frames", Value: skipped})
	}
	fs = append(fs, unitFields("frame", s.frames, s.count)...)
	fs = append(fs, s.unlisted.field("frame")...)
	return append(fs, s.unlistedSkip.field("skippable frame")...)
}

// claimFrame names the parts of frame f, the n-th of its kind.
func (s *framedStream) claimFrame(f walkedFrame, kind string, n int) {
	for _, p := range f.span().parts {
		s.claims.Addf(p.off, p.n, "%s %s %d %s", s.layer, kind, n, p.what)
	}
}

// skippedFrame accounts for a skippable frame, which no decoder reads:
// the first ones are records of their own, "[skippable frame N]", with
// the frame's magic and its bytes; the others are digested.
func (s *framedStream) skippedFrame(f walkedFrame) {
	off, end := f.bounds()
	s.claimFrame(f, "skippable frame", s.nSkip)
	if s.nSkip > maxListedUnits {
		s.unlistedSkip.add(s.r, off, end-off)
		return
	}
	var magic [4]byte
	s.r.ReadAt(magic[:], off)
	n := &unpack.Node{Name: fmt.Sprintf("[skippable frame %d]", s.nSkip), Type: unpack.TypeRecord, Layer: s.layer, Offset: off}
	n.AddField("magic", "%x", magic)
	if end > off+8 {
		n.Data = io.NewSectionReader(s.r, off+8, end-off-8)
	}
	s.extra = append(s.extra, n)
}

func (s *framedStream) Read(p []byte) (int, error) {
	for {
		if s.err != nil {
			return 0, s.err
		}
		if s.cur == nil {
			if err := s.nextFrame(); err != nil {
				s.err = err
				continue
			}
		}
		n, err := s.dec.Read(p)
		switch {
		case err == io.EOF:
			if werr := s.cur.walkErr(); werr != nil {
				// The decoder got through what the walk could not.
				s.err = werr
			}
			_, s.next = s.cur.bounds()
			s.cur = nil
		case err != nil:
			s.err = s.format.decodeErr(err, s.cur, s.count, &s.in)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// nextFrame walks to the next frame, past skippable ones, and starts
// decoding it; io.EOF where no frame starts.
func (s *framedStream) nextFrame() error {
	for {
		f, ok := s.format.walk(s.pr, s.next, s.size)
		if !ok || s.next >= s.size {
			s.endOff = s.next
			return io.EOF
		}
		off, end := f.bounds()
		if f.isSkippable() {
			s.nSkip++
			s.skippedFrame(f)
			s.format.skipped(f)
			if err := f.walkErr(); err != nil {
				return err
			}
			s.next = end
			continue
		}
		s.count++
		if len(s.frames) < maxListedUnits {
			s.frames = append(s.frames, f.fields())
		} else {
			s.unlisted.add(s.r, off, f.span().headerLen)
		}
		s.claimFrame(f, "frame", s.count)
		s.cur = f
		// A frame whose framing is broken is still decoded up to where
		// the decoder fails, which is where the damage is.
		s.in = countingReader{r: io.NewSectionReader(s.r, off, end-off)}
		dec, err := s.format.start(f, s.count, &s.in)
		if err != nil {
			return err
		}
		s.dec = dec
		return nil
	}
}

// sniffStream names the compressed stream that starts with b (at least 6
// bytes, when there are so many) by its magic, as the Linux kernel's
// decompress_method does (its lzma magic is 5d 00 00), with the name of
// the format that unpacks it; "" for none.
func SniffStream(b []byte) string {
	if len(b) < 3 {
		return ""
	}
	switch {
	case b[0] == 0x1f && (b[1] == 0x8b || b[1] == 0x9e):
		return layerGzip
	case string(b[:3]) == "BZh":
		return layerBzip2
	case b[0] == 0x5d && b[1] == 0 && b[2] == 0:
		return layerLZMA
	case len(b) >= 6 && string(b[:6]) == string(xzMagic):
		return layerXz
	}
	if len(b) < 4 {
		return ""
	}
	switch binary.LittleEndian.Uint32(b) {
	case 0x4f5a4c89: // 89 4c 5a 4f: lzop
		return layerLzop
	case lz4LegacyMagic:
		return layerLz4Legacy
	case lz4FrameMagic:
		return layerLz4
	case zstdMagic:
		return layerZstd
	}
	return ""
}

// streamEnd returns where the stream of the named format that starts at
// off ends, for the formats whose framing says so without decompressing
// (zstd, lz4, lzop); for the others it is size and ok is false.
func StreamEnd(format string, pr *readat.Peek, off, size int64) (end int64, ok bool) {
	switch format {
	case layerZstd:
		return zstdStreamEnd(pr, off, size)
	case layerLz4:
		return lz4StreamEnd(pr, off, size)
	case layerLz4Legacy:
		return lz4LegacyEnd(pr, off, size), true
	case layerLzop:
		return lzopStreamEnd(pr, off, size)
	}
	return size, false
}
