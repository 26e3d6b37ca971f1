package unpack

import (
	"bytes"
	"io"
	"sort"
	"sync"
)

// Format is a kind of layer isodiff can unpack.
type Format struct {
	// Name is the layer name shown to users ("iso9660", "gzip", ...).
	Name string
	// Rank orders detection: lower ranks are tried first, so that a format
	// whose magic can sit inside another's (a FAT boot sector inside an
	// isohybrid ISO's MBR) is tried after it.
	Rank int
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

var (
	registryMu sync.Mutex
	registry   []Format
)

// register adds a format; each format's file registers itself in init.
func register(f Format) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry = append(registry, f)
	sort.SliceStable(registry, func(i, j int) bool {
		if registry[i].Rank != registry[j].Rank {
			return registry[i].Rank < registry[j].Rank
		}
		return registry[i].Name < registry[j].Name
	})
}

// Formats lists the registered formats in detection order.
func Formats() []Format {
	registryMu.Lock()
	defer registryMu.Unlock()
	return append([]Format(nil), registry...)
}

// Detect names the format of r[0:size] by its magic bytes, or returns
// false when it is none isodiff knows.
func Detect(r io.ReaderAt, size int64) (Format, bool) {
	head := make([]byte, min(size, HeadSize))
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	for _, f := range Formats() {
		if f.Match(head, r, size) {
			return f, true
		}
	}
	return Format{}, false
}

func init() {
	register(Format{Name: "iso9660", Rank: 10, Match: matchISO, Open: func(r io.ReaderAt, size int64, _ *Env) (*Node, error) {
		return OpenISO(r, size)
	}})
}

// matchISO looks for a volume descriptor ("CD001") at sector 16.
func matchISO(_ []byte, r io.ReaderAt, size int64) bool {
	if size < 16*2048+2048 {
		return false
	}
	var id [6]byte
	n, _ := r.ReadAt(id[:], 16*2048)
	return n == len(id) && bytes.Equal(id[1:], []byte("CD001"))
}
