package unpack

// bzip2: "BZh", the block size digit (1-9: 100 kB to 900 kB blocks), then
// blocks (magic 31 41 59 26 53 59, the digits of pi) and an end-of-stream
// mark (17 72 45 38 50 90, of sqrt(pi)) with the stream CRC, bit-packed.
// Streams may be concatenated (pbzip2, lbzip2 write several).
//
// Decoding is compress/bzip2, which checks block and stream CRCs and goes
// on into a concatenated stream by itself. Fed an io.ByteReader, it reads
// exactly the bytes of the streams, plus the two bytes after the last one
// where it looks for the "BZ" of another: that is how the end of the last
// stream is known, and what follows it (zero padding, another archive)
// reported. So that this works with no byte, one byte or more after the
// stream alike, the input is followed by two made-up zero bytes: the
// decoder always ends by rejecting a continuation magic, and having read
// past the real end means the stream itself was cut short.

import (
	"compress/bzip2"
	"fmt"
	"io"
)

const layerBzip2 = "bzip2"

func init() {
	register(Format{Name: layerBzip2, Rank: rankCompressed, Match: matchBzip2, Open: OpenBzip2})
}

// matchBzip2: "BZh", a level digit, then a block or the end-of-stream mark
// (an empty stream).
func matchBzip2(head []byte, _ io.ReaderAt, _ int64) bool {
	if len(head) < 10 || string(head[:3]) != "BZh" || head[3] < '1' || head[3] > '9' {
		return false
	}
	m := string(head[4:10])
	return m == "\x31\x41\x59\x26\x53\x59" || m == "\x17\x72\x45\x38\x50\x90"
}

// OpenBzip2 reads a bzip2 file: the block size, the decompressed content,
// and what follows the last stream.
func OpenBzip2(r io.ReaderAt, size int64, env *Env) (*Node, error) {
	var h [4]byte
	if n, _ := r.ReadAt(h[:], 0); n < 4 || string(h[:3]) != "BZh" || h[3] < '1' || h[3] > '9' {
		return nil, formatErr(layerBzip2, 0, `no bzip2 magic ("BZh" and a digit 1-9)`)
	}
	in := &bzip2Input{bufferedInput: newBufferedInput(r, 0, size)}
	return openStream(layerBzip2, r, size, env, &bzip2Stream{in: in, size: size, dec: bzip2.NewReader(in), level: h[3]})
}

// bzip2Input is the input followed by two made-up zero bytes.
type bzip2Input struct {
	*bufferedInput
	madeUp int64
}

func (in *bzip2Input) ReadByte() (byte, error) {
	b, err := in.bufferedInput.ReadByte()
	if err == io.EOF && in.madeUp < 2 {
		in.madeUp++
		return 0, nil
	}
	return b, err
}

// offset counts the made-up bytes read too.
func (in *bzip2Input) offset() int64 { return in.bufferedInput.offset() + in.madeUp }

type bzip2Stream struct {
	in     *bzip2Input
	size   int64
	dec    io.Reader
	level  byte
	endOff int64
	err    error
}

// errBzip2Continuation is what compress/bzip2 says when the bytes after
// a stream are not another stream.
const errBzip2Continuation = bzip2.StructuralError("bad magic value in continuation file")

func (s *bzip2Stream) pos() int64 { return min(s.in.offset(), s.size) }
func (s *bzip2Stream) end() int64 { return s.endOff }
func (s *bzip2Stream) release()   {}

func (s *bzip2Stream) fields() []Field {
	return []Field{{Name: "block size", Value: fmt.Sprintf("%c00 kB (level %c)", s.level, s.level)}}
}

func (s *bzip2Stream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.dec.Read(p)
	switch {
	case err == nil:
	case err == errBzip2Continuation && s.in.offset()-2 <= s.size:
		// The two bytes read after the stream were not "BZ": the stream
		// ended before them.
		s.endOff = s.in.offset() - 2
		s.err = io.EOF
	case err == io.EOF:
		s.endOff = min(s.in.offset(), s.size)
		s.err = io.EOF
	case err == io.ErrUnexpectedEOF || s.in.madeUp > 0:
		s.err = &FormatError{Layer: layerBzip2, Offset: s.size, Msg: "stream cut by the end of input", Err: io.ErrUnexpectedEOF}
	default:
		s.err = &FormatError{Layer: layerBzip2, Offset: s.in.offset(), Msg: "decoding failed (the decoder had read the input up to here)", Err: err}
	}
	if n > 0 {
		return n, nil
	}
	return 0, s.err
}
