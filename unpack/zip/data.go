package zip

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"sort"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"
)

// zstdMaxWindow bounds the window a zstd entry may ask for.
const zstdMaxWindow = 128 << 20

// decoders are the methods whose data is decoded; any other is compared
// as the stored bytes.
var decoders = map[uint16]func(io.Reader) (io.Reader, func(), error){
	8: func(r io.Reader) (io.Reader, func(), error) {
		f := flate.NewReader(r)
		return f, func() { f.Close() }, nil
	},
	12: func(r io.Reader) (io.Reader, func(), error) { return bzip2.NewReader(r), func() {}, nil },
	93: func(r io.Reader) (io.Reader, func(), error) {
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, nil, err
		}
		return d, d.Close, nil
	},
}

// newEntryData returns the content of an entry: a section of the input
// for a stored entry, the decoded bytes of a compressed one (decoded when
// first read), or the stored bytes of one compressed by a method not
// decoded or encrypted, with an error saying so.
func newEntryData(r io.ReaderAt, e *entry, env *unpack.Env, budget *memBudget) (unpack.Data, error) {
	stored := io.NewSectionReader(r, e.dataOff, int64(e.csize))
	name := show.QuoteName(string(e.name))
	switch _, known := decoders[e.method]; {
	case e.flags&flagEncrypted != 0:
		return stored, unpack.Errorf(layerName, e.cdOff+8, "entry %s is encrypted: its stored bytes are compared", name)
	case e.method == 0:
		if e.csize != e.usize {
			return stored, unpack.Errorf(layerName, e.cdOff+20, "stored entry %s: compressed size %d, size %d", name, e.csize, e.usize)
		}
		return stored, nil
	case !known:
		return stored, unpack.Errorf(layerName, e.cdOff+10, "entry %s: compression method %s is not decoded: its stored bytes are compared", name, methodString(e.method))
	}
	limit := int64(unpack.DefaultMaxDecompressed)
	if env != nil && env.MaxDecompressed > 0 {
		limit = env.MaxDecompressed
	}
	d := &entryData{r: r, e: e, env: env, budget: budget, size: int64(min(e.usize, uint64(limit)))}
	if e.usize > uint64(limit) {
		return d, &unpack.FormatError{Layer: layerName, Offset: e.cdOff + 24, Msg: fmt.Sprintf("entry %s: size %d, compared up to %d bytes (--max-decompressed)", name, e.usize, limit), Err: unpack.ErrTooLarge}
	}
	return d, nil
}

// entryData is the decoded content of a compressed entry. Its size is the
// one the central directory gives; decoding it to another size, or to
// bytes of another CRC-32, makes every read fail with the reason.
type entryData struct {
	r      io.ReaderAt
	e      *entry
	env    *unpack.Env
	budget *memBudget
	size   int64

	once    sync.Once
	content io.ReaderAt
	err     error
}

func (d *entryData) Size() int64 { return d.size }

func (d *entryData) ReadAt(p []byte, off int64) (int, error) {
	d.once.Do(d.decode)
	if d.err != nil {
		return 0, d.err
	}
	if off >= d.size {
		return 0, io.EOF
	}
	n, err := d.content.ReadAt(p[:min(int64(len(p)), d.size-off)], off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// SameStored: the same method and stored bytes decode to the same bytes.
func (d *entryData) SameStored(other unpack.Data) (bool, error) {
	o, ok := other.(*entryData)
	if !ok || o.e.method != d.e.method || o.e.csize != d.e.csize || o.e.crc != d.e.crc || o.size != d.size || o.e.usize != d.e.usize {
		return false, nil
	}
	same, err := unpack.EqualAt(d.r, d.e.dataOff, o.r, o.e.dataOff, int64(d.e.csize))
	if err != nil {
		// Reading the stored bytes failed: whichever side it was, reading
		// the content will say so.
		return false, nil
	}
	return same, nil
}

func (d *entryData) decode() {
	e := d.e
	name := show.QuoteName(string(e.name))
	fail := func(off int64, err error, format string, args ...any) {
		d.err = &unpack.FormatError{Layer: layerName, Offset: off, Msg: fmt.Sprintf("entry %s: ", name) + fmt.Sprintf(format, args...), Err: err}
	}
	dec, done, err := decoders[e.method](io.NewSectionReader(d.r, e.dataOff, int64(e.csize)))
	if err != nil {
		fail(e.dataOff, err, "starting the %s decoder", methodString(e.method))
		return
	}
	defer done()
	crc := crc32.NewIEEE()
	src := io.TeeReader(dec, crc)
	var got int64
	if d.size <= maxMemEntry && (d.env == nil || d.budget.take(d.size)) {
		buf := make([]byte, d.size)
		k, rerr := io.ReadFull(src, buf)
		got, err = int64(k), rerr
		d.content = bytes.NewReader(buf)
	} else if d.env == nil {
		fail(e.dataOff, nil, "%d bytes are more than are decoded without a temporary directory", d.size)
		return
	} else {
		data, serr := d.env.Spool(io.LimitReader(src, d.size))
		if data != nil {
			got = data.Size()
		}
		if unpack.IsLocal(serr) {
			d.err = serr
			return
		}
		err = serr
		d.content = data
	}
	if got < d.size {
		if err == nil || errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			fail(e.dataOff, err, "data decodes to %d bytes, the central directory says %d", got, d.size)
		} else {
			fail(e.dataOff, err, "decoding the %s data after %d bytes", methodString(e.method), got)
		}
		return
	}
	if uint64(d.size) < e.usize {
		return // cut at the limit: the rest is not decoded
	}
	var one [1]byte
	if k, _ := io.ReadFull(dec, one[:]); k > 0 {
		fail(e.dataOff, nil, "data decodes to more than the %d bytes the central directory says", d.size)
		return
	}
	if sum := crc.Sum32(); sum != e.crc {
		fail(e.cdOff+16, nil, "CRC-32 of the decoded data is 0x%08x, the central directory says 0x%08x", sum, e.crc)
	}
}

// zipLayout names what holds each byte of an archive: the claims made
// while reading, and for entries' headers and data, spans named from the
// entry only when a difference in them is reported.
type zipLayout struct {
	claims  layout.Claims
	spans   []span
	entries []*entry
}

type span struct {
	start, end int64
	part       uint8
	entry      int
}

const (
	spanCentral uint8 = iota
	spanLocal
	spanData
	spanDescriptor
)

func newZipLayout() *zipLayout { return &zipLayout{} }

func (l *zipLayout) span(off, n int64, part uint8, entry int) {
	if n > 0 {
		l.spans = append(l.spans, span{off, off + n, part, entry})
		l.claims.Add(off, n, "")
	}
}

func (l *zipLayout) finish() {
	sort.SliceStable(l.spans, func(i, j int) bool { return l.spans[i].start < l.spans[j].start })
}

// Holding names the structures over r: the claims made by name, and the
// parts of entries.
func (l *zipLayout) Holding(r unpack.Range) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	i := sort.Search(len(l.spans), func(i int) bool { return l.spans[i].start >= r.End })
	// Spans may overlap (entries sharing data): look back over all that
	// start before r ends.
	for k := 0; k < i; k++ {
		s := l.spans[k]
		if s.end <= r.Start {
			continue
		}
		add(l.name(s, max(r.Start, s.start)))
	}
	for _, h := range l.claims.Holding(r) {
		add(h)
	}
	return out
}

// name names the part of an entry's structure that holds byte off.
func (l *zipLayout) name(s span, off int64) string {
	e := l.entries[s.entry]
	what := "entry " + show.QuoteName(string(e.name))
	switch s.part {
	case spanCentral:
		rel := off - e.cdOff
		switch {
		case rel < centralLen:
			return "central directory header of " + what + ": " + centralFieldAt(rel)
		case rel < centralLen+int64(len(e.name)):
			return "name in the central directory header of " + what
		case rel < centralLen+int64(len(e.name)+len(e.extra)):
			return "extra field in the central directory header of " + what
		}
		return "comment of " + what
	case spanLocal:
		rel := off - e.lOff
		switch {
		case rel < localLen:
			return "local header of " + what + ": " + localFieldAt(rel)
		case rel < localLen+int64(len(e.lName)):
			return "name in the local header of " + what
		}
		return "extra field in the local header of " + what
	case spanData:
		if e.method == 0 {
			return "data of " + what
		}
		return "compressed data of " + what
	}
	return "data descriptor of " + what
}

// centralFieldAt and localFieldAt name the field of a header at a byte.
func centralFieldAt(rel int64) string {
	return fieldAt(rel, []headerField{{4, "signature"}, {6, "version made by"}, {8, "version needed"}, {10, "flags"}, {12, "method"},
		{14, "mtime"}, {16, "mtime"}, {20, "crc32"}, {24, "compressed size"}, {28, "size"}, {30, "name length"},
		{32, "extra length"}, {34, "comment length"}, {36, "disk"}, {38, "internal attributes"}, {42, "external attributes"}, {46, "local header offset"}})
}

func localFieldAt(rel int64) string {
	return fieldAt(rel, []headerField{{4, "signature"}, {6, "version needed"}, {8, "flags"}, {10, "method"}, {12, "mtime"},
		{14, "mtime"}, {18, "crc32"}, {22, "compressed size"}, {26, "size"}, {28, "name length"}, {30, "extra length"}})
}

type headerField struct {
	end  int64
	name string
}

func fieldAt(rel int64, fields []headerField) string {
	for _, f := range fields {
		if rel < f.end {
			return f.name
		}
	}
	return "?"
}
