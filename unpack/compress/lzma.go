package compress

// Legacy .lzma ("LZMA_Alone", written by `lzma`, `xz --format=lzma`, and
// supported by the Linux kernel for initramfs): a 13-byte header of a
// properties byte (lc, lp, pb), a 4-byte dictionary size and an 8-byte
// uncompressed size (all ones: unknown, the stream ends with an end
// marker), then the range-coded data. There is no magic number.
//
// So detection checks what every real encoder writes, strictly enough
// that other data practically never passes (about one 32-bit value in
// 70 million is a valid dictionary size, before the other checks):
//   - properties below 225 (9 * 5 * 5), and lc + lp <= 4 as liblzma
//     requires, so 0x5d (lc=3 lp=0 pb=2) and friends;
//   - a dictionary size of 2^n or 2^n + 2^(n-1), n from 12 to 30: liblzma
//     rounds to these, and the LZMA SDK's sizes are powers of 2;
//   - an uncompressed size that is unknown or below 2^40;
//   - a first range-coder byte of 0, which every encoder writes (liblzma
//     rejects anything else).
// It is ranked after every format with a real magic number.
//
// Decoding is github.com/ulikunitz/xz/lzma.

import (
	"encoding/binary"
	"fmt"
	"io"
	"isodiff/unpack"

	"github.com/ulikunitz/xz/lzma"
)

const (
	layerLZMA = "lzma"
	// lzmaDictMax is the largest dictionary decoded (lzma -9 uses 64 MiB;
	// the decoder allocates it whole).
	lzmaDictMax = 64 << 20
)

// LZMAFormat detects and opens lzma (LZMA-alone) streams.
var LZMA = unpack.Format{Name: layerLZMA, Match: matchLZMA, Open: openLZMA}

func matchLZMA(head []byte, _ io.ReaderAt, _ int64) bool {
	return lzmaHeaderPlausible(head)
}

func lzmaHeaderPlausible(h []byte) bool {
	if len(h) < 14 {
		return false
	}
	props := int(h[0])
	if props >= 9*5*5 {
		return false
	}
	lc, lp := props%9, props/9%5
	if lc+lp > 4 {
		return false
	}
	if !lzmaDictSizeValid(binary.LittleEndian.Uint32(h[1:5])) {
		return false
	}
	if size := binary.LittleEndian.Uint64(h[5:13]); size != ^uint64(0) && size >= 1<<40 {
		return false
	}
	return h[13] == 0
}

func lzmaDictSizeValid(d uint32) bool {
	for n := 12; n <= 30; n++ {
		if d == 1<<n || d == 1<<n+1<<(n-1) {
			return true
		}
	}
	return false
}

// OpenLZMA reads a legacy .lzma file.
func openLZMA(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	h := make([]byte, 14)
	if n, _ := r.ReadAt(h, 0); n < len(h) || !lzmaHeaderPlausible(h) {
		return nil, unpack.Errorf(layerLZMA, 0, "no plausible lzma header")
	}
	s := &lzmaStream{in: newBufferedInput(r, 0, size), props: h[0], dict: binary.LittleEndian.Uint32(h[1:5]), size: binary.LittleEndian.Uint64(h[5:13])}
	return openStream(layerLZMA, r, size, env, s)
}

type lzmaStream struct {
	streamParts
	in     *bufferedInput
	dec    io.Reader
	props  byte
	dict   uint32
	size   uint64
	endOff int64
	err    error
}

func (s *lzmaStream) pos() int64 { return s.in.offset() }
func (s *lzmaStream) end() int64 { return s.endOff }
func (s *lzmaStream) release()   { s.dec = nil }

func (s *lzmaStream) parts() *streamParts {
	s.claims.Add(0, 13, "lzma header")
	end := s.endOff
	if s.err != io.EOF {
		end = s.in.offset()
	}
	s.claims.Add(13, end-13, "lzma range-coded data")
	return &s.streamParts
}

func (s *lzmaStream) fields() []unpack.Field {
	p := int(s.props)
	fs := []unpack.Field{
		{Name: "properties", Value: fmt.Sprintf("lc=%d lp=%d pb=%d", p%9, p/9%5, p/45)},
		{Name: "dictionary size", Value: sizeString(uint64(s.dict))},
	}
	if s.size == ^uint64(0) {
		fs = append(fs, unpack.Field{Name: "uncompressed size", Value: "unknown (end marker)"})
	} else {
		fs = append(fs, unpack.Field{Name: "uncompressed size", Value: fmt.Sprint(s.size)})
	}
	return fs
}

func (s *lzmaStream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.dec == nil {
		dec, err := lzma.ReaderConfig{DictCap: lzmaDictMax}.NewReader(s.in)
		if err != nil {
			s.err = &unpack.FormatError{Layer: layerLZMA, Offset: 0, Msg: "header", Err: err}
			return 0, s.err
		}
		s.dec = dec
	}
	n, err := s.dec.Read(p)
	switch {
	case err == nil:
	case err == io.EOF:
		s.endOff = s.in.offset()
		s.err = io.EOF
	default:
		s.err = &unpack.FormatError{Layer: layerLZMA, Offset: s.in.offset(), Msg: "decoding failed (the decoder had read the input up to here)", Err: err}
	}
	if n > 0 {
		return n, nil
	}
	return 0, s.err
}
