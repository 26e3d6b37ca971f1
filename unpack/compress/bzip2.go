package compress

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
	"isodiff/unpack"
)

const layerBzip2 = "bzip2"

// Bzip2Format detects and opens bzip2 streams.
var Bzip2 = unpack.Format{Name: layerBzip2, Match: matchBzip2, Open: openBzip2}

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
func openBzip2(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	var h [4]byte
	if n, _ := r.ReadAt(h[:], 0); n < 4 || string(h[:3]) != "BZh" || h[3] < '1' || h[3] > '9' {
		return nil, unpack.Errorf(layerBzip2, 0, `no bzip2 magic ("BZh" and a digit 1-9)`)
	}
	in := &bzip2Input{bufferedInput: newBufferedInput(r, 0, size)}
	return openStream(layerBzip2, r, size, env, &bzip2Stream{r: r, in: in, size: size, dec: bzip2.NewReader(in)})
}

// bzip2Input is the input followed by two made-up zero bytes. It notes
// where each stream after the first starts, as the decoder reads it: at
// "BZh" and a level digit right after an end-of-stream mark. (The
// decoder goes from one stream to the next by itself and says nothing.)
type bzip2Input struct {
	*bufferedInput
	madeUp int64
	n      int64    // real bytes handed out
	ring   [16]byte // the last of them: byte i is ring[i%16]
	starts []int64  // the streams after the first
}

func (in *bzip2Input) ReadByte() (byte, error) {
	b, err := in.bufferedInput.ReadByte()
	if err == io.EOF && in.madeUp < 2 {
		in.madeUp++
		return 0, nil
	}
	if err != nil {
		return b, err
	}
	in.ring[in.n%16] = b
	in.n++
	if b >= '1' && b <= '9' && in.n >= 15 {
		if o := in.n - 4; in.ring[o%16] == 'B' && in.ring[(o+1)%16] == 'Z' && in.ring[(o+2)%16] == 'h' {
			var before [11]byte
			for i := range before {
				before[i] = in.ring[(o-11+int64(i))%16]
			}
			if _, _, ok := bzip2EOS(before); ok {
				in.starts = append(in.starts, o)
			}
		}
	}
	return b, nil
}

// bzip2EOSMagic starts the end-of-stream mark, which the stream CRC and
// 0 to 7 padding bits to a byte boundary follow.
const bzip2EOSMagic = 0x177245385090

// bzip2EOS finds the end-of-stream mark in the 11 bytes that end a
// stream: the number of padding bits after it and their value.
func bzip2EOS(b [11]byte) (pad int, bits byte, ok bool) {
	bit := func(i int) uint64 { return uint64(b[i/8]>>(7-i%8)) & 1 }
	for pad = 0; pad < 8; pad++ {
		start := 88 - pad - 80
		var m uint64
		for i := start; i < start+48; i++ {
			m = m<<1 | bit(i)
		}
		if m == bzip2EOSMagic {
			return pad, b[10] & (1<<pad - 1), true
		}
	}
	return 0, 0, false
}

// offset counts the made-up bytes read too.
func (in *bzip2Input) offset() int64 { return in.bufferedInput.offset() + in.madeUp }

type bzip2Stream struct {
	streamParts
	r      io.ReaderAt
	in     *bzip2Input
	size   int64
	dec    io.Reader
	endOff int64
	err    error
	spans  []bzip2Span // once described
}

// bzip2Span is one stream: where it starts, its level digit, where its
// end-of-stream mark starts (-1: not found) and its padding bits.
type bzip2Span struct {
	start, eos, end int64
	level           byte
	pad             int
	padBits         byte
}

// errBzip2Continuation is what compress/bzip2 says when the bytes after
// a stream are not another stream.
const errBzip2Continuation = bzip2.StructuralError("bad magic value in continuation file")

func (s *bzip2Stream) pos() int64 { return min(s.in.offset(), s.size) }
func (s *bzip2Stream) end() int64 { return s.endOff }
func (s *bzip2Stream) release()   {}

// describe finds the streams, once the decoder is done.
func (s *bzip2Stream) describe() {
	if s.spans != nil {
		return
	}
	starts := append([]int64{0}, s.in.starts...)
	for i, st := range starts {
		sp := bzip2Span{start: st, eos: -1, end: -1}
		if i+1 < len(starts) {
			sp.end = starts[i+1]
		} else if s.err == io.EOF {
			sp.end = s.endOff
		}
		var h [4]byte
		s.r.ReadAt(h[:], st)
		sp.level = h[3]
		var b [11]byte
		if sp.end >= st+14 {
			if n, _ := s.r.ReadAt(b[:], sp.end-11); n == len(b) {
				if pad, bits, ok := bzip2EOS(b); ok {
					sp.pad, sp.padBits = pad, bits
					sp.eos = (sp.end*8 - int64(pad) - 80) / 8
				}
			}
		}
		s.spans = append(s.spans, sp)
	}
}

func (s *bzip2Stream) fields() []unpack.Field {
	s.describe()
	var units [][]unpack.Field
	var unlisted unlistedUnits
	for i, sp := range s.spans {
		if i >= maxListedUnits {
			unlisted.add(s.r, sp.start, 4)
			if sp.end > 0 {
				unlisted.add(s.r, sp.end-1, 1)
			}
			continue
		}
		fs := []unpack.Field{{Name: "block size", Value: fmt.Sprintf("%c00 kB (level %c)", sp.level, sp.level)}}
		if sp.padBits != 0 {
			// The decoder skips them: they show when not zero.
			fs = append(fs, unpack.Field{Name: "padding bits after the end-of-stream mark", Value: fmt.Sprintf("%0*b", sp.pad, sp.padBits)})
		}
		units = append(units, fs)
	}
	var fs []unpack.Field
	if len(s.spans) > 1 {
		fs = append(fs, unpack.Field{Name: "streams", Value: fmt.Sprint(len(s.spans))})
	}
	fs = append(fs, unitFields("stream", units, len(s.spans))...)
	return append(fs, unlisted.field("stream")...)
}

func (s *bzip2Stream) parts() *streamParts {
	s.describe()
	for i, sp := range s.spans {
		if i == maxNamedParts {
			s.claims.Addf(sp.start, s.spans[len(s.spans)-1].end-sp.start, "bzip2 streams %d to %d", i+1, len(s.spans))
			break
		}
		name := "bzip2 "
		if len(s.spans) > 1 {
			name = fmt.Sprintf("bzip2 stream %d ", i+1)
		}
		s.claims.Add(sp.start, 4, name+"header")
		blocks := sp.start + 4
		if hasPrefixAt(s.r, blocks, s.size, []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}) {
			// The first block's magic and CRC are whole bytes.
			s.claims.Add(blocks, 10, name+"block 1 header")
			blocks += 10
		}
		end := sp.end
		if end < 0 {
			end = min(s.in.offset(), s.size)
		}
		if sp.eos >= 0 {
			s.claims.Add(blocks, sp.eos-blocks, name+"blocks")
			s.claims.Add(sp.eos, end-sp.eos, name+"end-of-stream mark")
		} else {
			s.claims.Add(blocks, end-blocks, name+"blocks")
		}
	}
	return &s.streamParts
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
		s.err = &unpack.FormatError{Layer: layerBzip2, Offset: s.size, Msg: "stream cut by the end of input", Err: io.ErrUnexpectedEOF}
	default:
		s.err = &unpack.FormatError{Layer: layerBzip2, Offset: s.in.offset(), Msg: "decoding failed (the decoder had read the input up to here)", Err: err}
	}
	if n > 0 {
		return n, nil
	}
	return 0, s.err
}
