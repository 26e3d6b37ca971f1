// Package bin holds small helpers for reading binary structures: flag
// words, reserved areas, zero runs, UTF-16 text.
package bin

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"isodiff/unpack"
	"slices"
	"unicode/utf16"
)

// Flag names one bit of a flags word.
type Flag[T ~uint16 | ~uint32] struct {
	Bit  T
	Name string
}

// NamedFlags lists the names of the bits of f that names know, and
// returns the bits left unnamed.
func NamedFlags[T ~uint16 | ~uint32](f T, names []Flag[T]) ([]string, T) {
	var out []string
	for _, n := range names {
		if f&n.Bit != 0 {
			out = append(out, n.Name)
			f &^= n.Bit
		}
	}
	return out, f
}

// AllZero reports whether every byte of b is zero.
func AllZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// UnusedBytes describes the non-zero bytes of b[from:to], a reserved area,
// as "@offset: hex"; "" when all are zero.
func UnusedBytes(b []byte, from, to int) string {
	area := b[from:to]
	start := 0
	for start < len(area) && area[start] == 0 {
		start++
	}
	if start == len(area) {
		return ""
	}
	return fmt.Sprintf("@%d: %s", from+start, HexNonZero(area[start:]))
}

// UTF16Exact says whether UTF-16 text b decodes to runes that encode back
// to b (no unpaired surrogates).
func UTF16Exact(b []byte, order binary.ByteOrder) bool {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	return slices.Equal(utf16.Encode(utf16.Decode(u)), u)
}

// ZeroRun counts the zero bytes of r starting at off, up to size.
func ZeroRun(r io.ReaderAt, off, size int64) int64 {
	buf := make([]byte, 32<<10)
	n := int64(0)
	for off+n < size {
		k := int(min(int64(len(buf)), size-off-n))
		got, _ := r.ReadAt(buf[:k], off+n)
		for i := 0; i < got; i++ {
			if buf[i] != 0 {
				return n + int64(i)
			}
		}
		n += int64(got)
		if got < k {
			break
		}
	}
	return n
}

// HexNonZero shows a mostly-zero area: "zero", "spaces", or the hex of
// everything up to its last non-zero byte.
func HexNonZero(b []byte) string {
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	if end == 0 {
		return "zero"
	}
	if len(bytes.Trim(b, " ")) == 0 {
		return "spaces"
	}
	return hex.EncodeToString(b[:end])
}

// ReadFull reads exactly len(b) bytes at off, reporting a short read as a
// FormatError of the given layer.
func ReadFull(r io.ReaderAt, b []byte, off int64, layer, what string) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		return &unpack.FormatError{Layer: layer, Offset: off, Msg: fmt.Sprintf("%s: %d bytes wanted, %d found before end of input", what, len(b), n), Err: io.ErrUnexpectedEOF}
	}
	return &unpack.FormatError{Layer: layer, Offset: off, Msg: "reading " + what, Err: err}
}
