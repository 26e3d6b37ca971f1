package unpack

import (
	"bytes"
	"io"
)

// Format is a kind of layer isodiff can unpack.
type Format struct {
	Name string
	// Open unpacks the layer held in r[0:size].
	Open func(r io.ReaderAt, size int64) (*Node, error)
}

// ISO9660 is an ISO 9660 image with its system area and El Torito catalog.
var ISO9660 = Format{Name: "iso9660", Open: OpenISO}

// Detect names the format of r[0:size] by its magic bytes, or returns
// false when it is none isodiff knows.
func Detect(r io.ReaderAt, size int64) (Format, bool) {
	// ISO 9660: a volume descriptor ("\x01CD001" primary, or any type) at
	// sector 16.
	if size >= 16*2048+2048 {
		var id [6]byte
		if n, _ := r.ReadAt(id[:], 16*2048); n == len(id) && bytes.Equal(id[1:], []byte("CD001")) {
			return ISO9660, true
		}
	}
	return Format{}, false
}
