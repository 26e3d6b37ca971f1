package compress

// gzip (RFC 1952): one or more members, each a header, a deflate stream
// and a trailer (CRC-32 and size mod 2^32 of the member's data).
//
// The members are walked here rather than by compress/gzip's Multistream
// reader because the header fields that make two builds differ are ones
// neither compress/gzip nor klauspost/compress/gzip exposes (XFL, the
// flag byte, FHCRC), because each member's header is listed, and because
// what follows the last member (zero padding, which gzip -d accepts, or
// another archive) must be reported, not be an "invalid header" error.
//
// Deflate is klauspost/compress/flate rather than compress/flate: on a
// *bufio.Reader it decodes through a specialised path, measured with
// BenchmarkGzipInflate (16 MiB of executables, gzip -6, on a shared
// 2-core machine) at 90-127 MB/s against 66-81 MB/s, with a seventeenth
// of the allocations. Like compress/flate it reads exactly the bytes of
// the deflate stream from an io.ByteReader, so that the trailer and the
// next member are found where they are.

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/show"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

const layerGzip = "gzip"

// gzip header flag bits.
const (
	gzipFText    = 1 << 0
	gzipFHCRC    = 1 << 1
	gzipFExtra   = 1 << 2
	gzipFName    = 1 << 3
	gzipFComment = 1 << 4
)

// maxGzipString bounds FNAME and FCOMMENT: gzip sets no limit, but a
// name of a megabyte is not a name.
const maxGzipString = 1 << 20

// GzipFormat detects and opens gzip streams.
var Gzip = unpack.Format{Name: layerGzip, Match: matchGzip, Open: openGzip}

// matchGzip: ID1 ID2 and CM 8 (deflate, the only method defined).
func matchGzip(head []byte, _ io.ReaderAt, _ int64) bool {
	return len(head) >= 10 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8
}

// OpenGzip reads a gzip file: fields of the first member's header (and of
// every further member's when there are several), the decompressed
// content, and what follows the last member.
func openGzip(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	var head [3]byte
	if n, _ := r.ReadAt(head[:], 0); n < 3 || head[0] != 0x1f || head[1] != 0x8b {
		return nil, unpack.Errorf(layerGzip, 0, "no gzip magic (1f 8b)")
	}
	if head[2] != 8 {
		return nil, unpack.Errorf(layerGzip, 2, "compression method %d, only 8 (deflate) is defined", head[2])
	}
	s := &gzipStream{r: r, in: newBufferedInput(r, 0, size), size: size, crc: crc32.NewIEEE()}
	return openStream(layerGzip, r, size, env, s)
}

// gzipHeader is one member's header.
type gzipHeader struct {
	flags   byte
	mtime   uint32
	xfl     byte
	os      byte
	extra   []byte // nil when FEXTRA is not set
	name    []byte // nil when FNAME is not set
	comment []byte // nil when FCOMMENT is not set
	hcrc    uint16 // when FHCRC is set
	length  int64  // bytes of the header
}

type byteReader interface {
	io.Reader
	io.ByteReader
}

// readGzipHeader reads a member header from br, which is at offset off of
// the input (for errors). It reads no more than the header.
func readGzipHeader(br byteReader, off int64) (gzipHeader, error) {
	var h gzipHeader
	crc := crc32.NewIEEE()
	var fixed [10]byte
	if n, err := io.ReadFull(br, fixed[:]); err != nil {
		return h, &unpack.FormatError{Layer: layerGzip, Offset: off + int64(n), Msg: fmt.Sprintf("member header: %d of 10 bytes before the end of input", n), Err: io.ErrUnexpectedEOF}
	}
	crc.Write(fixed[:])
	if fixed[0] != 0x1f || fixed[1] != 0x8b {
		return h, unpack.Errorf(layerGzip, off, "member header: magic %02x %02x, want 1f 8b", fixed[0], fixed[1])
	}
	if fixed[2] != 8 {
		return h, unpack.Errorf(layerGzip, off+2, "member header: compression method %d, only 8 (deflate) is defined", fixed[2])
	}
	h.flags = fixed[3]
	if h.flags&0xe0 != 0 {
		return h, unpack.Errorf(layerGzip, off+3, "member header: reserved flag bits set (flags 0x%02x)", h.flags)
	}
	h.mtime = binary.LittleEndian.Uint32(fixed[4:8])
	h.xfl, h.os = fixed[8], fixed[9]
	pos := off + 10
	short := func(what string) error {
		return &unpack.FormatError{Layer: layerGzip, Offset: pos, Msg: "member header: " + what + " cut by the end of input", Err: io.ErrUnexpectedEOF}
	}
	if h.flags&gzipFExtra != 0 {
		var xlen [2]byte
		if _, err := io.ReadFull(br, xlen[:]); err != nil {
			return h, short("extra field length")
		}
		crc.Write(xlen[:])
		pos += 2
		h.extra = make([]byte, binary.LittleEndian.Uint16(xlen[:])) // at most 64 KiB
		if _, err := io.ReadFull(br, h.extra); err != nil {
			return h, short("extra field")
		}
		crc.Write(h.extra)
		pos += int64(len(h.extra))
	}
	readString := func(what string) ([]byte, error) {
		var s []byte
		for {
			c, err := br.ReadByte()
			if err != nil {
				return nil, short(what)
			}
			crc.Write([]byte{c})
			pos++
			if c == 0 {
				if s == nil {
					s = []byte{}
				}
				return s, nil
			}
			if len(s) >= maxGzipString {
				return nil, unpack.Errorf(layerGzip, pos, "member header: %s longer than %d bytes", what, maxGzipString)
			}
			s = append(s, c)
		}
	}
	var err error
	if h.flags&gzipFName != 0 {
		if h.name, err = readString("file name"); err != nil {
			return h, err
		}
	}
	if h.flags&gzipFComment != 0 {
		if h.comment, err = readString("comment"); err != nil {
			return h, err
		}
	}
	if h.flags&gzipFHCRC != 0 {
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return h, short("header CRC")
		}
		h.hcrc = binary.LittleEndian.Uint16(b[:])
		if want := uint16(crc.Sum32()); h.hcrc != want {
			return h, unpack.Errorf(layerGzip, pos, "member header: header CRC 0x%04x, computed 0x%04x", h.hcrc, want)
		}
		pos += 2
	}
	h.length = pos - off
	return h, nil
}

var gzipOSNames = map[byte]string{
	0: "FAT", 1: "Amiga", 2: "VMS", 3: "Unix", 4: "VM/CMS", 5: "Atari TOS", 6: "HPFS",
	7: "Macintosh", 8: "Z-System", 9: "CP/M", 10: "TOPS-20", 11: "NTFS", 12: "QDOS",
	13: "Acorn RISCOS", 255: "unknown",
}

// fields are the header's fields, in the order presenters show them.
func (h *gzipHeader) fields() []unpack.Field {
	var fs []unpack.Field
	add := func(name, format string, args ...any) {
		fs = append(fs, unpack.Field{Name: name, Value: fmt.Sprintf(format, args...), Role: roleGzipHeader})
	}
	add("flags", "%s", gzipFlags(h.flags))
	if h.mtime == 0 {
		add("mtime", "unset")
	} else {
		add("mtime", "%s", time.Unix(int64(h.mtime), 0).UTC().Format(time.RFC3339))
	}
	if h.name != nil {
		add("name", "%s", gzipString(h.name))
	}
	if h.comment != nil {
		add("comment", "%s", gzipString(h.comment))
	}
	if h.extra != nil {
		add("extra", "%s", hex.EncodeToString(h.extra))
	}
	switch h.xfl {
	case 2:
		add("compression", "2 (maximum)")
	case 4:
		add("compression", "4 (fastest)")
	default:
		add("compression", "%d", h.xfl)
	}
	if name, ok := gzipOSNames[h.os]; ok {
		add("OS", "%d (%s)", h.os, name)
	} else {
		add("OS", "%d", h.os)
	}
	if h.flags&gzipFHCRC != 0 {
		add("header crc", "0x%04x", h.hcrc)
	}
	return fs
}

func gzipFlags(f byte) string {
	var s []string
	for i, name := range []string{"FTEXT", "FHCRC", "FEXTRA", "FNAME", "FCOMMENT"} {
		if f&(1<<i) != 0 {
			s = append(s, name)
		}
	}
	if f&0xe0 != 0 {
		s = append(s, fmt.Sprintf("reserved 0x%02x", f&0xe0))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

// gzipString shows a header string, marking one read as ISO 8859-1 so
// that it never reads like a UTF-8 string of other bytes.
func gzipString(b []byte) string {
	if utf8.Valid(b) {
		return show.QuoteName(string(b))
	}
	return show.QuoteName(latin1(b)) + " (ISO 8859-1)"
}

// latin1 decodes a gzip header string: ISO 8859-1 by the RFC, UTF-8 in
// practice, so UTF-8 when it is valid.
func latin1(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// gzipStream decompresses every member in turn.
type gzipStream struct {
	streamParts
	r         io.ReaderAt
	in        *bufferedInput
	size      int64
	fl        io.ReadCloser
	inMember  bool
	bodyStart int64
	crc       hash.Hash32
	isize     uint32
	members   [][]unpack.Field
	count     int
	endOff    int64
	err       error
	unlisted  unlistedUnits
	// the parts of each member: header, deflate stream and trailer
	// offsets, named once the count of members is known.
	spans    []gzipSpan
	restFrom int64 // the header of member maxNamedParts+1, when there is one
	lastEnd  int64 // the end of the last member's trailer
}

type gzipSpan struct{ header, body, trailer, end int64 }

func (s *gzipStream) parts() *streamParts {
	name := func(i int, what string) string {
		if s.count == 1 {
			return "gzip " + what
		}
		return fmt.Sprintf("gzip member %d %s", i+1, what)
	}
	if s.restFrom > 0 {
		s.claims.Addf(s.restFrom, s.lastEnd-s.restFrom, "gzip members %d to %d", maxNamedParts+1, s.count)
	}
	for i, m := range s.spans {
		s.claims.Add(m.header, m.body-m.header, name(i, "header"))
		if m.trailer > 0 {
			s.claims.Add(m.body, m.trailer-m.body, name(i, "deflate stream"))
			s.claims.Add(m.trailer, m.end-m.trailer, name(i, "trailer"))
		} else {
			s.claims.Add(m.body, s.in.offset()-m.body, name(i, "deflate stream"))
		}
	}
	s.spans = nil
	return &s.streamParts
}

func (s *gzipStream) pos() int64 { return s.in.offset() }
func (s *gzipStream) end() int64 { return s.endOff }
func (s *gzipStream) release()   {}

func (s *gzipStream) fields() []unpack.Field {
	fs := []unpack.Field{{Name: "members", Value: fmt.Sprint(s.count)}}
	fs = append(fs, unitFields("member", s.members, s.count)...)
	return append(fs, s.unlisted.field("member")...)
}

func (s *gzipStream) Read(p []byte) (int, error) {
	for {
		if s.err != nil {
			return 0, s.err
		}
		if !s.inMember {
			if err := s.nextMember(); err != nil {
				s.err = err
				continue
			}
		}
		n, err := s.fl.Read(p)
		s.crc.Write(p[:n])
		s.isize += uint32(n)
		switch {
		case err == io.EOF:
			s.inMember = false
			s.lastEnd = s.in.offset() + 8
			if s.count <= maxNamedParts {
				s.spans[s.count-1].trailer = s.in.offset()
				s.spans[s.count-1].end = s.lastEnd
			}
			if terr := s.checkTrailer(); terr != nil {
				s.err = terr
			}
		case err != nil:
			var ce flate.CorruptInputError
			if errors.As(err, &ce) {
				s.err = unpack.Errorf(layerGzip, s.bodyStart+int64(ce), "member %d: corrupt deflate data", s.count)
			} else if errors.Is(err, io.ErrUnexpectedEOF) {
				s.err = &unpack.FormatError{Layer: layerGzip, Offset: s.in.offset(), Msg: fmt.Sprintf("member %d: deflate data cut by the end of input", s.count), Err: err}
			} else {
				s.err = &unpack.FormatError{Layer: layerGzip, Offset: s.in.offset(), Msg: fmt.Sprintf("member %d", s.count), Err: err}
			}
		}
		if n > 0 {
			return n, nil
		}
	}
}

// nextMember reads the next member header, or ends the stream (io.EOF)
// where no member starts.
func (s *gzipStream) nextMember() error {
	off := s.in.offset()
	if b, _ := s.in.Peek(2); s.count > 0 && (len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b) {
		s.endOff = off
		return io.EOF
	}
	h, err := readGzipHeader(s.in, off)
	if err != nil {
		return err
	}
	s.count++
	if len(s.members) < maxListedUnits {
		s.members = append(s.members, h.fields())
	} else {
		s.unlisted.add(s.r, off, h.length)
	}
	s.bodyStart = s.in.offset()
	if s.count <= maxNamedParts {
		s.spans = append(s.spans, gzipSpan{header: off, body: s.bodyStart})
	} else if s.count == maxNamedParts+1 {
		s.restFrom = off
	}
	if s.fl == nil {
		s.fl = flate.NewReader(s.in.Reader)
	} else if err := s.fl.(flate.Resetter).Reset(s.in.Reader, nil); err != nil {
		return &unpack.FormatError{Layer: layerGzip, Offset: s.bodyStart, Msg: "resetting the inflater", Err: err}
	}
	s.crc.Reset()
	s.isize = 0
	s.inMember = true
	return nil
}

// checkTrailer reads and checks the CRC-32 and ISIZE after a member.
func (s *gzipStream) checkTrailer() error {
	off := s.in.offset()
	var t [8]byte
	if n, err := io.ReadFull(s.in, t[:]); err != nil {
		return &unpack.FormatError{Layer: layerGzip, Offset: off + int64(n), Msg: fmt.Sprintf("member %d: trailer cut by the end of input (%d of 8 bytes)", s.count, n), Err: io.ErrUnexpectedEOF}
	}
	if got, want := binary.LittleEndian.Uint32(t[:4]), s.crc.Sum32(); got != want {
		return unpack.Errorf(layerGzip, off, "member %d: CRC-32 0x%08x in the trailer, 0x%08x computed", s.count, got, want)
	}
	if got := binary.LittleEndian.Uint32(t[4:]); got != s.isize {
		return unpack.Errorf(layerGzip, off+4, "member %d: size %d (mod 2^32) in the trailer, %d decompressed", s.count, got, s.isize)
	}
	return nil
}

// roleGzipHeader marks what a gzip header keeps of the file compressed
// (its name, its mtime unless gzip -n) and of the compressor.
var roleGzipHeader = &unpack.Role{Kind: unpack.Header, Cause: "gzip header"}
