package unpack

import (
	"io"
)

// Format is a kind of layer isodiff can unpack.
type Format struct {
	// Name is the layer name shown to users ("iso9660", "gzip", ...).
	Name string
	// Match reports whether the layer is of this format, given its first
	// bytes (up to HeadSize of them) and, for magic that lies further in,
	// the whole reader. Match must be cheap: magic bytes and a few sanity
	// checks, never a trial parse.
	Match func(head []byte, r io.ReaderAt, size int64) bool
	// Open unpacks the layer held in r[0:size].
	Open func(r io.ReaderAt, size int64, env *Env) (*Node, error)
}

// HeadSize is how many leading bytes Detect reads for Match.
const HeadSize = 4096

// Detect returns the first of formats that r[0:size] matches, or false
// when it matches none. The order of formats is the order of detection: a
// format whose magic can sit inside another's (a FAT boot sector inside an
// isohybrid ISO's MBR) must come after it.
func Detect(r io.ReaderAt, size int64, formats []Format) (Format, bool) {
	head := make([]byte, min(size, HeadSize))
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	for _, f := range formats {
		if f.Match(head, r, size) {
			return f, true
		}
	}
	return Format{}, false
}
