package compress

// xz: streams of a 12-byte header (magic fd 37 7a 58 5a 00, the check
// type), blocks, an index and a 12-byte footer ("YZ"), maybe followed by
// stream padding (zeros, a multiple of 4 bytes) and more streams.
//
// Decoding is github.com/xi2/xz (a port of XZ Embedded), not
// ulikunitz/xz: it handles the BCJ filters (x86, ARM, PowerPC, ...) that
// nixpkgs' xz-compressed squashfs and kernel modules use, and it is the
// faster of the two. It reads its input in its own 8 KiB buffer, so it is
// fed 1 KiB at a time: where it stopped (an error, the end of a stream)
// is then known to within 1 KiB. The streams are decoded one at a time;
// each one's exact end is found by its footer (magic, CRC-32, and the
// stream's own alignment), whose index then gives the block count, and
// the first block header gives the filter chain.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/readat"
	"strings"
	"sync"

	"github.com/xi2/xz"
)

const (
	layerXz = "xz"
	// xzFeed is the most input handed to the decoder per read.
	xzFeed = 1 << 10
	// xzDictMax is the largest LZMA2 dictionary decoded: xz -9 and -9e
	// use 64 MiB.
	xzDictMax = 64 << 20
)

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}

// XzFormat detects and opens xz streams.
var Xz = unpack.Format{Name: layerXz, Match: matchXz, Open: openXz}

func matchXz(head []byte, _ io.ReaderAt, _ int64) bool {
	return len(head) >= 12 && string(head[:6]) == string(xzMagic)
}

// OpenXz reads an xz file: each stream's check type, block count and
// filters, the decompressed content, and what follows the last stream.
func openXz(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	if !hasPrefixAt(r, 0, size, xzMagic) {
		return nil, unpack.Errorf(layerXz, 0, "no xz magic (fd 37 7a 58 5a 00)")
	}
	return openStream(layerXz, r, size, env, &xzStream{r: r, pr: readat.NewPeek(r, size), size: size})
}

type xzStream struct {
	streamParts
	unlisted unlistedUnits
	r        io.ReaderAt
	pr       *readat.Peek
	size     int64
	next     int64 // where the next stream (or its padding) starts
	start    int64 // the current stream's start
	inStream bool
	in       countingReader
	dec      *xz.Reader
	streams  [][]unpack.Field
	count    int
	endOff   int64
	err      error
}

func (s *xzStream) pos() int64 {
	if s.inStream {
		return s.start + s.in.n
	}
	return s.next
}
func (s *xzStream) end() int64 { return s.endOff }
func (s *xzStream) release() {
	if s.dec != nil {
		xzReaders.Put(s.dec)
		s.dec = nil
	}
}

// xzReaders are decoders to reuse. A decoder allocates its dictionary
// whole, at the size the block header names (8 MiB for xz -6, whatever
// the stream holds) and keeps it through Reset; a new one for each stream
// cost more than decoding a small stream, a kernel module or an initrd
// segment. Reset restores the whole decoder state, after an error too,
// and the first LZMA2 chunk of every block resets the dictionary, so a
// reused decoder never sees what it decoded before.
var xzReaders sync.Pool

func (s *xzStream) parts() *streamParts {
	if s.inStream || s.err != io.EOF {
		// The stream being decoded when the error came.
		s.claims.Addf(s.start, s.pos()-s.start, "xz stream %d", s.count)
	}
	return &s.streamParts
}

func (s *xzStream) fields() []unpack.Field {
	fs := []unpack.Field{{Name: "streams", Value: fmt.Sprint(s.count)}}
	fs = append(fs, unitFields("stream", s.streams, s.count)...)
	return append(fs, s.unlisted.field("stream")...)
}

func (s *xzStream) Read(p []byte) (int, error) {
	for {
		if s.err != nil {
			return 0, s.err
		}
		if !s.inStream {
			if err := s.nextStream(); err != nil {
				s.err = err
				continue
			}
		}
		n, err := s.dec.Read(p)
		switch {
		case err == io.EOF:
			s.inStream = false
			s.err = s.finishStream()
		case err != nil:
			s.err = &unpack.FormatError{Layer: layerXz, Offset: s.start + s.in.n,
				Msg: fmt.Sprintf("stream %d (at %d): decoding failed within the %d bytes before here", s.count, s.start, xzFeed), Err: err}
		}
		if n > 0 {
			return n, nil
		}
	}
}

// nextStream starts decoding the stream at s.next, after stream padding;
// io.EOF where none starts.
func (s *xzStream) nextStream() error {
	off := s.next
	if s.count > 0 {
		z := bin.ZeroRun(s.r, off, s.size)
		if !hasPrefixAt(s.r, off+z, s.size, xzMagic) {
			s.endOff = off
			return io.EOF
		}
		if z%4 != 0 {
			return unpack.Errorf(layerXz, off, "stream padding of %d bytes (a multiple of 4 is required)", z)
		}
		s.claims.Addf(off, z, "xz stream padding before stream %d", s.count+1)
		off += z
	}
	s.start = off
	s.count++
	s.in = countingReader{r: &chunkedReader{r: io.NewSectionReader(s.r, off, s.size-off), max: xzFeed}}
	var err error
	if s.dec == nil {
		if d, ok := xzReaders.Get().(*xz.Reader); ok {
			s.dec = d
		}
	}
	if s.dec == nil {
		s.dec, err = xz.NewReader(&s.in, xzDictMax)
	} else {
		err = s.dec.Reset(&s.in)
	}
	if err != nil {
		return &unpack.FormatError{Layer: layerXz, Offset: off, Msg: fmt.Sprintf("stream %d header", s.count), Err: err}
	}
	s.dec.Multistream(false)
	s.inStream = true
	return nil
}

// finishStream finds where the stream just decoded ends and records its
// fields.
func (s *xzStream) finishStream() error {
	readTo := s.start + s.in.n
	end, ok := s.findFooter(s.start, readTo)
	if !ok {
		return unpack.Errorf(layerXz, s.start, "stream %d: decoded, but no stream footer found before byte %d", s.count, readTo)
	}
	s.next = end
	fs := s.describe(s.start, end)
	if len(s.streams) < maxListedUnits {
		s.streams = append(s.streams, fs)
	} else {
		s.unlisted.add(s.r, s.start, 12)
		s.unlisted.add(s.r, end-12, 12)
		for _, f := range fs {
			fmt.Fprintf(s.unlisted.h, "%s=%s;", f.Name, f.Value)
		}
	}
	return nil
}

// findFooter finds the end of the stream starting at start, which ends at
// or before readTo: the last 4-byte-aligned position before readTo that
// ends with "YZ" and whose footer CRC-32 holds. Between the footer and
// readTo there are only stream padding and at most xzFeed bytes of
// whatever follows.
func (s *xzStream) findFooter(start, readTo int64) (int64, bool) {
	const win = 32 << 10
	buf := make([]byte, win)
	// e runs over the candidate ends, 4-aligned from start, descending;
	// each window read covers [lo, e).
	e := readTo - (readTo-start)%4
	for e >= start+32 {
		lo := max(start, e-win)
		b := buf[:e-lo]
		if n, _ := s.r.ReadAt(b, lo); n < len(b) {
			return 0, false
		}
		for ; e-12 >= lo && e >= start+32; e -= 4 {
			f := b[e-12-lo : e-lo]
			if f[10] == 'Y' && f[11] == 'Z' && crc32.ChecksumIEEE(f[4:10]) == binary.LittleEndian.Uint32(f[:4]) {
				return e, true
			}
		}
	}
	return 0, false
}

var xzCheckNames = map[byte]string{0: "none", 1: "CRC32", 4: "CRC64", 10: "SHA-256"}

// describe reads the fields of the stream in [start, end): the check
// type, the blocks in its index, the filters of its first block and
// whatever the block headers hold besides; and it names the stream's
// parts, the blocks found by the index.
func (s *xzStream) describe(start, end int64) []unpack.Field {
	var fs []unpack.Field
	add := func(name, format string, args ...any) {
		fs = append(fs, unpack.Field{Name: name, Value: fmt.Sprintf(format, args...)})
	}
	n := s.count
	s.claims.Addf(start, 12, "xz stream %d header", n)
	s.claims.Addf(end-12, 12, "xz stream %d footer", n)
	check := byte(0)
	if h, err := s.pr.At(start, 12); err == nil {
		check = h[7] & 0x0f
		if name, ok := xzCheckNames[check]; ok {
			add("check", "%s", name)
		} else {
			add("check", "type %d", check)
		}
	}
	f, err := s.pr.At(end-12, 12)
	if err != nil {
		return fs
	}
	indexSize := (int64(binary.LittleEndian.Uint32(f[4:8])) + 1) * 4
	indexStart := end - 12 - indexSize
	if indexStart < start+12 {
		return fs
	}
	s.claims.Addf(indexStart, indexSize, "xz stream %d index", n)
	// The index lists each block's unpadded and uncompressed sizes,
	// which the decoder has checked against the blocks: they place the
	// blocks.
	in := bufio.NewReader(io.NewSectionReader(s.r, indexStart, indexSize))
	if c, err := in.ReadByte(); err != nil || c != 0 {
		return fs
	}
	count, err := binary.ReadUvarint(in)
	if err != nil {
		return fs
	}
	add("blocks", "%d", count)
	checkSize := int64(xzCheckSizes[check])
	pos := start + 12
	var first string
	listed := 0
	for i := uint64(1); i <= count; i++ {
		unpadded, err1 := binary.ReadUvarint(in)
		_, err2 := binary.ReadUvarint(in)
		if err1 != nil || err2 != nil || unpadded > uint64(indexStart-pos) {
			break
		}
		bh, ok := xzReadBlockHeader(s.pr, pos)
		if !ok {
			break
		}
		if i == 1 {
			if bh.filters != "" {
				add("filters", "%s", bh.filters)
			}
			if bh.odd != "" {
				add("block header", "%s", bh.odd)
			}
			first = bh.filters + "; " + bh.odd
		} else if d := bh.filters + "; " + bh.odd; d != first && listed < maxListedUnits {
			// Later blocks are listed where they differ from the first.
			listed++
			add(fmt.Sprintf("block %d header", i), "%s", d)
		}
		u := int64(unpadded)
		data := u - bh.size - checkSize
		if i <= maxNamedParts {
			s.claims.Addf(pos, bh.size, "xz stream %d block %d header", n, i)
			s.claims.Addf(pos+bh.size, data, "xz stream %d block %d compressed data", n, i)
			s.claims.Addf(pos+bh.size+data, (u+3)&^3-u, "xz stream %d block %d padding", n, i)
			s.claims.Addf(pos+(u+3)&^3-checkSize, checkSize, "xz stream %d block %d check", n, i)
		} else if i == maxNamedParts+1 {
			s.claims.Addf(pos, indexStart-pos, "xz stream %d blocks %d to %d", n, i, count)
		}
		pos += (u + 3) &^ 3
	}
	return fs
}

// xzCheckSizes are the sizes of the checks by type (xz's file format,
// 3.1.3): unknown types have sizes too, so that a decoder can skip them.
var xzCheckSizes = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

// xzBlockHeader is what a block header holds besides the sizes the
// decoder checks.
type xzBlockHeader struct {
	size    int64  // of the header
	filters string // "x86, LZMA2 (dictionary 8 MiB)"
	odd     string // sizes listed, padding beyond alignment: what xz -T1 does not write
}

var xzFilterNames = map[uint64]string{
	0x03: "delta", 0x04: "x86", 0x05: "PowerPC", 0x06: "IA-64", 0x07: "ARM",
	0x08: "ARM-Thumb", 0x09: "SPARC", 0x0a: "ARM64", 0x0b: "RISC-V",
}

// xzReadBlockHeader reads the block header at off, which the decoder
// has checked (its CRC-32, that its padding is zero, the sizes it lists).
func xzReadBlockHeader(pr *readat.Peek, off int64) (xzBlockHeader, bool) {
	var bh xzBlockHeader
	b, err := pr.At(off, 1)
	if err != nil || b[0] == 0 {
		return bh, false
	}
	hlen := (int(b[0]) + 1) * 4
	h, err := pr.At(off, hlen)
	if err != nil {
		return bh, false
	}
	h = append([]byte(nil), h...)
	bh.size = int64(hlen)
	flags := h[1]
	p := 2
	varint := func() (uint64, bool) {
		if p >= len(h) {
			return 0, false
		}
		v, k := binary.Uvarint(h[p:])
		if k <= 0 {
			return 0, false
		}
		p += k
		return v, true
	}
	var odd []string
	if flags&0x40 != 0 {
		if _, ok := varint(); !ok {
			return bh, false
		}
		odd = append(odd, "compressed size listed")
	}
	if flags&0x80 != 0 {
		if _, ok := varint(); !ok {
			return bh, false
		}
		odd = append(odd, "uncompressed size listed")
	}
	var names []string
	for i := 0; i < int(flags&3)+1; i++ {
		id, ok1 := varint()
		psize, ok2 := varint()
		if !ok1 || !ok2 || psize > uint64(len(h)-p) {
			return bh, false
		}
		props := h[p : p+int(psize)]
		p += int(psize)
		switch {
		case id == 0x21 && len(props) == 1:
			names = append(names, fmt.Sprintf("LZMA2 (dictionary %s)", sizeString(lzma2DictSize(props[0]))))
		case id == 0x03 && len(props) == 1:
			names = append(names, fmt.Sprintf("delta (distance %d)", int(props[0])+1))
		case xzFilterNames[id] != "" && len(props) == 0:
			names = append(names, xzFilterNames[id])
		case xzFilterNames[id] != "":
			names = append(names, fmt.Sprintf("%s (properties %x)", xzFilterNames[id], props))
		default:
			names = append(names, fmt.Sprintf("filter 0x%x (properties %x)", id, props))
		}
	}
	// The header is padded to a multiple of 4 bytes, CRC-32 included.
	if extra := hlen - (p+4+3)&^3; extra > 0 {
		odd = append(odd, fmt.Sprintf("%d bytes of padding beyond alignment", extra))
	}
	bh.filters = strings.Join(names, ", ")
	bh.odd = strings.Join(odd, ", ")
	return bh, true
}

func lzma2DictSize(b byte) uint64 {
	b &= 0x3f
	if b >= 40 {
		return 1<<32 - 1
	}
	return uint64(2|b&1) << (b/2 + 11)
}
