package unpack

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
)

// A spooled stream is kept in a store: an append-only run of bytes in
// which blocks of zeros take no room (holes), whose other bytes lie in
// memory while the store is small and in an unlinked temporary file once
// it is not. Bytes once appended never change, so that two Data reading
// the same range of one store hold the same bytes (SharedStorer).

const (
	// spoolChunk is how much of a decoded stream is read at a time, and,
	// for two streams spooled in step, compared with the partner's.
	spoolChunk = 1 << 20
	// holeBlock is the granularity of holes: a block of zeros this large,
	// aligned in the stream, is not stored. Smaller runs of zeros are
	// common in any archive and not worth an extent each.
	holeBlock = 64 << 10
	// maxMemStore is how many bytes of a stream are kept in memory
	// before they move to a temporary file: the streams of most initrds
	// and compressed files never touch the disk.
	maxMemStore = 1 << 20
	// maxMemSpooled bounds the bytes the stores of one comparison keep in
	// memory together: a comparison runs a few layers at once, and a
	// layer may hold many small streams (the entries of a jar).
	maxMemSpooled = 32 << 20
)

// zeroBlock is compared against to find holes.
var zeroBlock [holeBlock]byte

// extent is a run of a store's bytes: a hole, or bytes kept at an offset
// of its memory or file.
type extent struct {
	start, end int64 // in the store
	at         int64 // where start is kept; -1 for a hole
}

// store is one run of spooled bytes; see above.
type store struct {
	budget  *spoolBudget
	tempDir string
	memCap  int64 // how many bytes it may keep in memory

	mu      sync.RWMutex
	exts    []extent
	size    int64  // bytes appended, holes included
	mem     []byte // kept bytes while in memory
	memHeld int64  // what mem holds of the budget's memory allowance
	f       *os.File
	fsize   int64 // kept bytes in f
	closed  bool
	refs    atomic.Int32 // Envs that release it
}

// newStore is an empty store that keeps up to memCap bytes in memory.
func newStore(b *spoolBudget, tempDir string, memCap int64) *store {
	return &store{budget: b, tempDir: tempDir, memCap: memCap}
}

// errSpoolFull stops a stream at the comparison's spool limit.
var errSpoolFull = errors.New("spool limit reached")

// storeError is a failure to keep bytes: the machine's (a temporary file
// that cannot be made or written), or the comparison's limit.
type storeError struct {
	op  string // what failed, for a LocalError
	err error
}

// Size is the number of bytes appended.
func (s *store) Size() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.size
}

// append adds p, blocks of zeros as holes, and returns how many of its
// bytes were added: fewer when the comparison's limit is reached (the
// error is then errSpoolFull) or the bytes cannot be kept.
func (s *store) append(p []byte, limit int64) (int, *storeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, &storeError{op: "spooling a decompressed stream", err: os.ErrClosed}
	}
	done := 0
	for done < len(p) {
		// Holes start at holeBlock boundaries of the store.
		k := min(len(p)-done, int(holeBlock-s.size%holeBlock))
		b := p[done : done+k]
		if k == holeBlock && bytes.Equal(b, zeroBlock[:]) {
			s.addExtent(int64(k), -1)
			done += k
			continue
		}
		// Take the room first: streams spooled at once share the limit.
		room := int64(k)
		if used := s.budget.used.Add(int64(k)); limit > 0 && used > limit {
			room = max(0, int64(k)-(used-limit))
			s.budget.used.Add(room - int64(k))
		}
		n, serr := s.keep(b[:room])
		if int64(n) < room {
			s.budget.used.Add(int64(n) - room)
		}
		done += n
		if serr != nil {
			return done, serr
		}
		if room < int64(k) {
			return done, &storeError{err: errSpoolFull}
		}
	}
	return done, nil
}

// keep stores b (no hole) after what the store holds, in memory while
// it is small and the comparison's memory allows, else in the file.
func (s *store) keep(b []byte) (int, *storeError) {
	if s.f == nil {
		if int64(len(s.mem)+len(b)) <= s.memCap && s.budget.takeMem(int64(len(b))) {
			s.memHeld += int64(len(b))
			s.addExtent(int64(len(b)), int64(len(s.mem)))
			s.mem = append(s.mem, b...)
			return len(b), nil
		}
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	n, err := s.f.Write(b)
	if n > 0 {
		s.addExtent(int64(n), s.fsize)
		s.fsize += int64(n)
	}
	if err != nil {
		return n, &storeError{op: "writing a decompressed stream to " + s.tempDir, err: err}
	}
	return n, nil
}

// spill moves the bytes kept in memory to a new temporary file.
func (s *store) spill() *storeError {
	f, err := os.CreateTemp(s.tempDir, "stream-*")
	if err != nil {
		return &storeError{op: "spooling a decompressed stream", err: err}
	}
	// The name is not needed once open: unlinking now means nothing is
	// left behind, however the process ends.
	os.Remove(f.Name())
	if _, err := f.Write(s.mem); err != nil {
		f.Close()
		return &storeError{op: "writing a decompressed stream to " + s.tempDir, err: err}
	}
	// The file keeps the bytes where memory kept them.
	s.f, s.fsize = f, int64(len(s.mem))
	s.mem = nil
	s.budget.mem.Add(-s.memHeld)
	s.memHeld = 0
	return nil
}

// addExtent appends n bytes kept at at (-1: a hole), joining them to the
// last extent when they follow it.
func (s *store) addExtent(n, at int64) {
	if k := len(s.exts) - 1; k >= 0 {
		last := &s.exts[k]
		if (at < 0 && last.at < 0) || (at >= 0 && last.at >= 0 && last.at+last.end-last.start == at) {
			last.end += n
			s.size += n
			return
		}
	}
	s.exts = append(s.exts, extent{start: s.size, end: s.size + n, at: at})
	s.size += n
}

// ReadAt reads the store's bytes, zeros in holes.
func (s *store) ReadAt(p []byte, off int64) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, os.ErrClosed
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	i := sort.Search(len(s.exts), func(i int) bool { return s.exts[i].end > off })
	n := 0
	for ; n < len(p) && i < len(s.exts); i++ {
		e := s.exts[i]
		from := off + int64(n) - e.start
		k := int(min(int64(len(p)-n), e.end-e.start-from))
		switch {
		case e.at < 0:
			clear(p[n : n+k])
		case s.f == nil:
			copy(p[n:n+k], s.mem[e.at+from:])
		default:
			if m, err := s.f.ReadAt(p[n:n+k], e.at+from); m < k {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return n + m, err
			}
		}
		n += k
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// holes are the holes of [0, end).
func (s *store) holes(end int64) []Range {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Range
	for _, e := range s.exts {
		if e.start >= end {
			break
		}
		if e.at < 0 {
			out = append(out, Range{e.start, min(e.end, end)})
		}
	}
	return out
}

// hold adds an Env that releases the store.
func (s *store) hold() { s.refs.Add(1) }

// release drops one Env's hold; the last frees the memory and closes the
// file.
func (s *store) release() error {
	if s.refs.Add(-1) > 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.mem = nil
	s.budget.mem.Add(-s.memHeld)
	s.memHeld = 0
	if s.f != nil {
		return s.f.Close()
	}
	return nil
}

// spoolData is a spooled stream: the first plen bytes of a store shared
// with the partner stream it was spooled in step with (none when it was
// spooled alone), then olen bytes of a store of its own.
type spoolData struct {
	prefix *store
	plen   int64
	own    *store
	olen   int64
}

func (d *spoolData) Size() int64 { return d.plen + d.olen }

func (d *spoolData) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= d.Size() {
		return 0, io.EOF
	}
	want := len(p)
	p = p[:min(int64(len(p)), d.Size()-off)]
	n := 0
	if off < d.plen {
		k := int(min(int64(len(p)), d.plen-off))
		m, err := d.prefix.ReadAt(p[:k], off)
		n += m
		if m < k {
			return n, unexpected(err)
		}
	}
	if n < len(p) {
		k := len(p) - n
		m, err := d.own.ReadAt(p[n:], off+int64(n)-d.plen)
		n += m
		if m < k {
			return n, unexpected(err)
		}
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// unexpected is err, or io.ErrUnexpectedEOF when a store ended inside
// what it holds (it cannot: that would be a bug, not an end).
func unexpected(err error) error {
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Holes are the blocks of zeros that were not stored: two streams whose
// differences lie between long runs of zeros are compared there only.
func (d *spoolData) Holes() []Range {
	var out []Range
	if d.prefix != nil {
		out = d.prefix.holes(d.plen)
	}
	if d.own != nil {
		for _, r := range d.own.holes(d.olen) {
			r.Start, r.End = r.Start+d.plen, r.End+d.plen
			// A hole may go on across the seam.
			if k := len(out) - 1; k >= 0 && out[k].End == r.Start {
				out[k].End = r.End
				continue
			}
			out = append(out, r)
		}
	}
	return out
}

// StoredRanges: the shared prefix, then the own part.
func (d *spoolData) StoredRanges() []StoredRange {
	var out []StoredRange
	if d.plen > 0 {
		out = append(out, StoredRange{Range: Range{0, d.plen}, Store: d.prefix, At: 0})
	}
	if d.olen > 0 {
		out = append(out, StoredRange{Range: Range{d.plen, d.plen + d.olen}, Store: d.own, At: 0})
	}
	return out
}

// SameStored: two streams that were spooled in step and decoded to the
// same bytes are one range of one store.
func (d *spoolData) SameStored(other Data) (bool, error) {
	o, ok := other.(*spoolData)
	if !ok || o.Size() != d.Size() {
		return false, nil
	}
	return SameStorage(d, 0, o, 0, d.Size()), nil
}
