package compress

// lzop: the file format of the lzop tool, and of initrds compressed with
// lzo (the kernel's decompress_unlzo reads it). A header, then blocks, each
// at most 64 MiB decompressed:
//
//	magic       89 4c 5a 4f 00 0d 0a 1a 0a
//	version     u16, library version u16, version needed u16 (>= 0x0940)
//	method      u8 (1, 2: LZO1X-1, 3: LZO1X-999), level u8 (>= 0x0940)
//	flags       u32 (checksums present, filter, extra field, OS)
//	filter      u32, when flags has 0x800
//	mode        u32, mtime u32 (+ u32 high half, >= 0x0940)
//	name        u8 length, then the name
//	checksum    u32 of the header from the version on: adler32, or crc32
//	            when flags has 0x1000
//	extra field u32 length, data, u32 checksum, when flags has 0x40
//	blocks      u32 decompressed size (0 ends the file), u32 stored size,
//	            checksums of the decompressed and (when it is compressed)
//	            the stored bytes as the flags say, the stored bytes: stored
//	            as is when the two sizes are equal
//
// All numbers are big-endian. Like gzip, the header keeps the name and the
// mtime of the file compressed (from standard input: the mtime of what
// standard input is, no name), which a reproducible build must not leak.
// Every checksum present is checked. Several files in one archive are
// lzop files one after another: the first is this layer, the rest its
// trailing bytes, which a comparison unpacks in their own right.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/show"
	"strings"
	"time"

	"github.com/anchore/go-lzo"
)

const layerLzop = "lzop"

var lzopMagic = []byte{0x89, 'L', 'Z', 'O', 0, '\r', '\n', 0x1a, '\n'}

const (
	lzopAdler32D    = 0x1
	lzopAdler32C    = 0x2
	lzopStdin       = 0x4
	lzopStdout      = 0x8
	lzopNameDefault = 0x10
	lzopDosish      = 0x20
	lzopExtraField  = 0x40
	lzopGMTDiff     = 0x80
	lzopCRC32D      = 0x100
	lzopCRC32C      = 0x200
	lzopMultipart   = 0x400
	lzopFilter      = 0x800
	lzopHCRC32      = 0x1000
	lzopPathname    = 0x2000
	// lzopMaxBlock is lzop's MAX_BLOCK_SIZE: no block decompresses to more.
	lzopMaxBlock = 64 << 20
)

// LzopFormat detects and opens lzop files.
var Lzop = unpack.Format{Name: layerLzop, Match: matchLzop, Open: openLzop}

func matchLzop(head []byte, _ io.ReaderAt, _ int64) bool {
	return len(head) >= 16 && bytes.Equal(head[:9], lzopMagic)
}

// OpenLzop reads an lzop file: its header fields, the decompressed
// content, and what follows the end-of-file mark.
func openLzop(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	s := &lzopStream{pr: readat.NewPeek(r, size), size: size}
	if err := s.header(); err != nil {
		return nil, err
	}
	return openStream(layerLzop, r, size, env, s)
}

type lzopStream struct {
	streamParts
	pr     *readat.Peek
	size   int64
	next   int64 // offset of the next block header
	flags  uint32
	hdr    []unpack.Field
	blocks int
	restAt int64 // where block maxNamedParts+1 starts
	src    []byte
	dst    []byte
	endOff int64
	blockedOutput
}

func (s *lzopStream) pos() int64 { return s.next }
func (s *lzopStream) end() int64 { return s.endOff }
func (s *lzopStream) release()   { s.src, s.dst, s.out = nil, nil, nil }
func (s *lzopStream) parts() *streamParts {
	if s.restAt > 0 {
		s.claims.Addf(s.restAt, s.next-s.restAt, "lzop blocks %d to %d", maxNamedParts+1, s.blocks)
	}
	return &s.streamParts
}

func (s *lzopStream) fields() []unpack.Field {
	return append(append([]unpack.Field{}, s.hdr...), unpack.Field{Name: "blocks", Value: fmt.Sprint(s.blocks)})
}

// cursor reads the header field by field; the first error sticks.
type lzopCursor struct {
	s   *lzopStream
	off int64
	err error
}

func (c *lzopCursor) bytes(n int, what string) []byte {
	if c.err != nil {
		return make([]byte, n)
	}
	b, err := c.s.pr.At(c.off, n)
	if err != nil || len(b) < n {
		c.err = &unpack.FormatError{Layer: layerLzop, Offset: c.off, Msg: "header cut short at the " + what, Err: io.ErrUnexpectedEOF}
		return make([]byte, n)
	}
	c.off += int64(n)
	return bytes.Clone(b)
}

func (c *lzopCursor) u8(what string) uint8   { return c.bytes(1, what)[0] }
func (c *lzopCursor) u16(what string) uint16 { return binary.BigEndian.Uint16(c.bytes(2, what)) }
func (c *lzopCursor) u32(what string) uint32 { return binary.BigEndian.Uint32(c.bytes(4, what)) }

// header reads and checks the file header, and sets s.next to the first
// block.
func (s *lzopStream) header() error {
	c := &lzopCursor{s: s}
	if m := c.bytes(len(lzopMagic), "magic"); c.err != nil || !bytes.Equal(m, lzopMagic) {
		return unpack.Errorf(layerLzop, 0, "no lzop magic")
	}
	start := c.off
	version := c.u16("version")
	lib := c.u16("library version")
	if version < 0x0900 {
		return unpack.Errorf(layerLzop, start, "version 0x%04x: older than any lzop this reads (0x0900)", version)
	}
	var needed uint16
	if version >= 0x0940 {
		needed = c.u16("version needed")
	}
	method := c.u8("method")
	var level uint8
	if version >= 0x0940 {
		level = c.u8("level")
	}
	s.flags = c.u32("flags")
	var filter uint32
	if s.flags&lzopFilter != 0 {
		filter = c.u32("filter")
	}
	mode := c.u32("mode")
	mtime := int64(c.u32("mtime"))
	if version >= 0x0940 {
		mtime |= int64(c.u32("mtime")) << 32
	}
	nameLen := c.u8("name length")
	name := c.bytes(int(nameLen), "name")
	headerEnd := c.off
	sum := c.u32("header checksum")
	if c.err != nil {
		return c.err
	}
	hdr, _ := s.pr.At(start, int(headerEnd-start))
	if got := lzopChecksum(s.flags&lzopHCRC32 != 0, hdr); got != sum {
		return unpack.Errorf(layerLzop, headerEnd, "header checksum 0x%08x, but the header sums to 0x%08x", sum, got)
	}
	s.claims.Add(0, c.off, "lzop header")
	var extra []byte
	if s.flags&lzopExtraField != 0 {
		extraAt := c.off
		n := c.u32("extra field length")
		if int64(n) > s.size-c.off {
			return unpack.Errorf(layerLzop, c.off-4, "extra field of %d bytes, past the end of the input", n)
		}
		extra = c.bytes(int(n), "extra field")
		esum := c.u32("extra field checksum")
		s.claims.Add(extraAt, c.off-extraAt, "lzop extra field")
		if c.err != nil {
			return c.err
		}
		if got := lzopChecksum(s.flags&lzopHCRC32 != 0, extra); got != esum {
			return unpack.Errorf(layerLzop, c.off-4, "extra field checksum 0x%08x, but the field sums to 0x%08x", esum, got)
		}
	}
	switch method {
	case 1, 2, 3:
	default:
		return unpack.Errorf(layerLzop, start+6, "method %d: not an LZO1X method (1-3)", method)
	}
	if s.flags&lzopFilter != 0 {
		return unpack.Errorf(layerLzop, start+12, "filter %d: lzop's filters (of old versions) are not supported", filter)
	}

	s.hdr = []unpack.Field{
		{Name: "version", Value: lzopVersion(version)},
		{Name: "library version", Value: lzopVersion(lib)},
	}
	if version >= 0x0940 {
		s.hdr = append(s.hdr, unpack.Field{Name: "version needed", Value: lzopVersion(needed)})
	}
	methods := map[uint8]string{1: "LZO1X-1", 2: "LZO1X-1(15)", 3: "LZO1X-999"}
	m := methods[method]
	if level != 0 {
		m += fmt.Sprintf(", level %d", level)
	}
	s.hdr = append(s.hdr,
		unpack.Field{Name: "method", Value: m},
		unpack.Field{Name: "flags", Value: lzopFlags(s.flags), Role: roleLzopHeader},
		unpack.Field{Name: "mode", Value: show.Mode(mode), Role: roleLzopHeader},
		unpack.Field{Name: "mtime", Value: time.Unix(mtime, 0).UTC().Format(time.RFC3339), Role: roleLzopHeader},
		unpack.Field{Name: "name", Value: show.QuoteName(string(name)), Role: roleLzopHeader},
	)
	if t := mode & 0o170000; t != 0 && !show.KnownFileType(uint64(t)) {
		s.hdr = append(s.hdr, unpack.Field{Name: "file type bits", Value: fmt.Sprintf("0%06o", t)})
	}
	if extra != nil {
		s.hdr = append(s.hdr, unpack.Field{Name: "extra field", Value: fmt.Sprintf("%x", extra)})
	}
	s.next = c.off
	return nil
}

// lzopChecksum is the checksum lzop uses for headers and blocks: adler32
// (starting at 1, as zlib's), or crc32 (IEEE).
func lzopChecksum(crc bool, b []byte) uint32 {
	if crc {
		return crc32.ChecksumIEEE(b)
	}
	return adler32.Checksum(b)
}

func lzopVersion(v uint16) string {
	return fmt.Sprintf("%x.%03x", v>>12, v&0xfff)
}

var lzopFlagNames = []bin.Flag[uint32]{
	{Bit: lzopAdler32D, Name: "adler32 of data"}, {Bit: lzopAdler32C, Name: "adler32 of compressed data"},
	{Bit: lzopStdin, Name: "stdin"}, {Bit: lzopStdout, Name: "stdout"}, {Bit: lzopNameDefault, Name: "name default"},
	{Bit: lzopDosish, Name: "dosish"}, {Bit: lzopExtraField, Name: "extra field"}, {Bit: lzopGMTDiff, Name: "GMT diff"},
	{Bit: lzopCRC32D, Name: "crc32 of data"}, {Bit: lzopCRC32C, Name: "crc32 of compressed data"},
	{Bit: lzopMultipart, Name: "multipart"}, {Bit: lzopFilter, Name: "filter"}, {Bit: lzopHCRC32, Name: "crc32 header"},
	{Bit: lzopPathname, Name: "path name"},
}

func lzopFlags(f uint32) string {
	// The top byte is the OS and character set.
	out, rest := bin.NamedFlags(f&^0xff000000, lzopFlagNames)
	if rest != 0 {
		out = append(out, fmt.Sprintf("0x%x", rest))
	}
	oses := map[uint32]string{0: "FAT", 1: "Amiga", 2: "VMS", 3: "Unix", 4: "VM/CMS", 5: "Atari", 6: "OS/2", 7: "Mac", 10: "TOPS-20", 11: "NTFS", 12: "QDOS", 13: "Acorn", 55: "VFAT", 56: "MFS", 57: "BeOS", 58: "Tandem"}
	osID := f >> 24 & 0x3f // the top two bits are the character set
	if name, ok := oses[osID]; ok {
		out = append(out, "OS "+name)
	} else {
		out = append(out, fmt.Sprintf("OS %d", osID))
	}
	if cs := f >> 30; cs != 0 {
		out = append(out, fmt.Sprintf("character set %d", cs))
	}
	return strings.Join(out, ", ")
}

func (s *lzopStream) Read(p []byte) (int, error) { return s.read(p, s.nextBlock) }

// nextBlock decodes the next block into s.out, or ends the stream.
func (s *lzopStream) nextBlock() error {
	c := &lzopCursor{s: s, off: s.next}
	at := c.off
	dLen := c.u32("block size")
	if c.err != nil {
		return &unpack.FormatError{Layer: layerLzop, Offset: at, Msg: "no end-of-file mark: the input ends before it", Err: io.ErrUnexpectedEOF}
	}
	if dLen == 0 {
		s.claims.Add(at, 4, "lzop end-of-file mark")
		s.next = c.off
		s.endOff = c.off
		return io.EOF
	}
	cLen := c.u32("stored size")
	if dLen > lzopMaxBlock {
		return unpack.Errorf(layerLzop, at, "block %d decompresses to %d bytes, more than lzop's largest block (%d)", s.blocks+1, dLen, lzopMaxBlock)
	}
	if cLen > dLen {
		return unpack.Errorf(layerLzop, at+4, "block %d stores %d bytes for %d: more than stored as is", s.blocks+1, cLen, dLen)
	}
	var dAdler, dCRC, cAdler, cCRC uint32
	if s.flags&lzopAdler32D != 0 {
		dAdler = c.u32("checksum")
	}
	if s.flags&lzopCRC32D != 0 {
		dCRC = c.u32("checksum")
	}
	compressed := cLen < dLen
	if compressed && s.flags&lzopAdler32C != 0 {
		cAdler = c.u32("checksum")
	}
	if compressed && s.flags&lzopCRC32C != 0 {
		cCRC = c.u32("checksum")
	}
	if c.err != nil {
		return &unpack.FormatError{Layer: layerLzop, Offset: at, Msg: fmt.Sprintf("block %d header cut by the end of input", s.blocks+1), Err: io.ErrUnexpectedEOF}
	}
	dataAt := c.off
	if int64(cLen) > s.size-dataAt {
		return &unpack.FormatError{Layer: layerLzop, Offset: dataAt, Msg: fmt.Sprintf("block %d of %d stored bytes cut by the end of input", s.blocks+1, cLen), Err: io.ErrUnexpectedEOF}
	}
	if cap(s.src) < int(cLen) {
		s.src = make([]byte, cLen)
	}
	src := s.src[:cLen]
	if err := bin.ReadFull(s.pr, src, dataAt, layerLzop, "block data"); err != nil {
		return err
	}
	s.blocks++
	s.next = dataAt + int64(cLen)
	switch {
	case s.blocks > maxNamedParts:
		if s.restAt == 0 {
			s.restAt = at
		}
	case compressed:
		s.claims.Addf(at, dataAt-at, "lzop block %d header", s.blocks)
		s.claims.Addf(dataAt, int64(cLen), "lzop block %d compressed data", s.blocks)
	default:
		s.claims.Addf(at, dataAt-at, "lzop block %d header", s.blocks)
		s.claims.Addf(dataAt, int64(cLen), "lzop block %d stored data", s.blocks)
	}
	check := func(what string, flag uint32, want uint32, crc bool, b []byte) error {
		if s.flags&flag == 0 {
			return nil
		}
		if got := lzopChecksum(crc, b); got != want {
			return unpack.Errorf(layerLzop, at, "block %d: %s 0x%08x, but the bytes sum to 0x%08x", s.blocks, what, want, got)
		}
		return nil
	}
	if !compressed {
		s.out = src
	} else {
		if err := check("adler32 of the stored bytes", lzopAdler32C, cAdler, false, src); err != nil {
			return err
		}
		if err := check("crc32 of the stored bytes", lzopCRC32C, cCRC, true, src); err != nil {
			return err
		}
		if cap(s.dst) < int(dLen) {
			s.dst = make([]byte, dLen)
		}
		dst := s.dst[:dLen]
		n, err := lzo.Decompress(src, dst)
		if err != nil {
			return &unpack.FormatError{Layer: layerLzop, Offset: dataAt, Msg: fmt.Sprintf("block %d: decompressing", s.blocks), Err: err}
		}
		if n != int(dLen) {
			return unpack.Errorf(layerLzop, dataAt, "block %d decompresses to %d bytes, %d expected", s.blocks, n, dLen)
		}
		s.out = dst
	}
	if err := check("adler32", lzopAdler32D, dAdler, false, s.out); err != nil {
		s.out = nil
		return err
	}
	if err := check("crc32", lzopCRC32D, dCRC, true, s.out); err != nil {
		s.out = nil
		return err
	}
	return nil
}

// lzopStreamEnd is where the lzop file at off ends, just after its
// end-of-file mark, found by walking the block headers without
// decompressing; ok is false when the framing is broken before it.
func lzopStreamEnd(pr *readat.Peek, off, size int64) (end int64, ok bool) {
	s := &lzopStream{pr: readat.NewPeek(io.NewSectionReader(pr, off, size-off), size-off), size: size - off}
	if s.header() != nil {
		return size, false
	}
	c := &lzopCursor{s: s, off: s.next}
	for c.err == nil {
		dLen := c.u32("block size")
		if c.err == nil && dLen == 0 {
			return off + c.off, true
		}
		cLen := c.u32("stored size")
		if c.err != nil || dLen > lzopMaxBlock || cLen > dLen {
			break
		}
		sums := 0
		for _, f := range []uint32{lzopAdler32D, lzopCRC32D} {
			if s.flags&f != 0 {
				sums++
			}
		}
		if cLen < dLen {
			for _, f := range []uint32{lzopAdler32C, lzopCRC32C} {
				if s.flags&f != 0 {
					sums++
				}
			}
		}
		c.off += int64(4*sums) + int64(cLen)
		if c.off > s.size {
			break
		}
	}
	return size, false
}

// roleLzopHeader marks what an lzop header keeps of the file compressed:
// its name, mode and mtime, and the flags saying so.
var roleLzopHeader = &unpack.Role{Kind: unpack.Header, Cause: "lzop header"}
