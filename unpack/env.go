package unpack

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Env is what format readers share for one comparison: where decompressed
// streams are spooled, and the limits that keep any input from taking
// unbounded memory or disk.
//
// A spooled stream is read a MiB at a time into a store (spool.go):
// blocks of zeros are not stored at all, and a stream of up to a MiB is
// kept in memory, a larger one in an unlinked temporary file. The two
// sides of a layer open at once through the two Envs of a Pair (pair.go),
// whose streams are read in step: bytes the two streams have in common
// are stored once and proven the same without reading (SharedStorer), so
// that two initrds differing only in a gzip header take one copy, and two
// bombs of zeros none.
type Env struct {
	// TempDir holds spooled streams; the caller creates it and removes it
	// (Close removes the files this Env made).
	TempDir string
	// MaxDecompressed caps the bytes one decompressed stream may spool; a
	// stream that would exceed it (a compression bomb) is cut there and
	// its Node marked.
	MaxDecompressed int64
	// MaxSpooled caps the bytes spooled by all streams of the comparison
	// together, this Env and every Env made from it by Sub or Pair, so
	// that many bombs at once cannot fill the disk either: the bytes
	// stored, in memory or on disk, each once however many streams share
	// it, holes not at all; 0 for no cap beyond
	// MaxDecompressed per stream. Reaching it makes the comparison
	// incomplete (SpoolLimitReached) rather than cutting a stream: which
	// stream would be cut where depends on the schedule, and a report must
	// not.
	MaxSpooled int64

	mu     sync.Mutex
	stores []*store
	shared *spoolBudget
	once   sync.Once
	// link, for an Env of a Pair, meets the partner's streams; side is
	// which of the two this Env is.
	link *pairLink
	side int
}

// spoolBudget counts what an Env and its Subs have spooled: the bytes
// stored (used), and those of them kept in memory (mem).
type spoolBudget struct {
	used    atomic.Int64
	mem     atomic.Int64
	reached atomic.Bool
}

// takeMem takes n bytes of the memory the stores may keep, if there are.
func (b *spoolBudget) takeMem(n int64) bool {
	if b.mem.Add(n) > maxMemSpooled {
		b.mem.Add(-n)
		return false
	}
	return true
}

func (e *Env) budget() *spoolBudget {
	e.once.Do(func() {
		if e.shared == nil {
			e.shared = &spoolBudget{}
		}
	})
	return e.shared
}

// Spooled is the number of bytes stored so far by this Env and every Env
// made from it: bytes two streams share count once, blocks of zeros not
// at all.
func (e *Env) Spooled() int64 { return e.budget().used.Load() }

// SpoolLimitReached reports whether a stream of this Env or of an Env made
// from it needed more than MaxSpooled: the comparison is then incomplete.
// Whether it happens does not depend on the schedule: the bytes spooled
// add up to the same total in any order, and the streams of a Pair meet
// by their order in each side's layer, not by timing.
func (e *Env) SpoolLimitReached() bool { return e.budget().reached.Load() }

// ErrSpoolLimit marks a stream stopped at Env.MaxSpooled.
var ErrSpoolLimit = errors.New("temporary space limit reached (--max-spooled)")

// ErrTooLarge marks a stream cut at Env.MaxDecompressed.
var ErrTooLarge = errors.New("decompressed size limit reached")

// DefaultMaxDecompressed is generous: far beyond any real initrd or
// compressed file in an OS image, small enough that a bomb stops early.
const DefaultMaxDecompressed = 16 << 30

// LocalError is a failure of the machine isodiff runs on rather than of
// an input: a temporary directory that is missing or cannot be written, a
// full disk, a directory of a directory input that cannot be listed. A
// comparison it stops is incomplete, not different.
type LocalError struct {
	Op  string
	Err error
}

func (e *LocalError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *LocalError) Unwrap() error { return e.Err }

// IsLocal reports whether err is, or wraps, a LocalError.
func IsLocal(err error) bool {
	var le *LocalError
	return errors.As(err, &le)
}

// Spool reads a decompressed stream and returns random access to it.
// When the stream exceeds MaxDecompressed, it returns the bytes up to the
// limit and an error wrapping ErrTooLarge; on a read error, the bytes
// before it and the error; when the bytes cannot be kept (a temporary
// file that cannot be made or written) or the comparison has spooled
// MaxSpooled bytes, the bytes kept and a *LocalError.
//
// The bytes are kept a chunk at a time: blocks of zeros not at all (the
// Data is Holed), the first MiB in memory, the rest in an unlinked
// temporary file. An Env of a Pair keeps what its stream has in common
// with its partner's once, for both (see pairLink); once its layer is
// open (Done), it spools alone, as any other Env.
func (e *Env) Spool(src io.Reader) (Data, error) {
	limit := e.MaxDecompressed
	if limit <= 0 {
		limit = DefaultMaxDecompressed
	}
	m, counted := e.link.arrive(e.side, func() *store { return e.newStore(maxMemStore) })
	if counted {
		defer e.link.leave(e.side)
	}
	d := &spoolData{}
	if m != nil {
		d.prefix = m.prefix
		e.keep(m.prefix)
		defer m.leave(e.side)
	}
	lr := io.LimitReader(src, limit)
	buf := chunkPool.Get().(*[spoolChunk]byte)
	defer chunkPool.Put(buf)
	next := func() ([]byte, error) {
		k, err := readChunk(lr, buf[:])
		return buf[:k], err
	}
	stopAhead := func() {}
	if m != nil {
		// Decoding ahead of the partner by a few chunks keeps a side
		// from waiting for every moment its partner is not scheduled.
		ra := startReadAhead(lr)
		defer ra.stop()
		next = ra.next
		stopAhead = ra.stop
	}
	var read int64
	var rerr error
	var serr *storeError
	for {
		chunk, err := next()
		k := len(chunk)
		read += int64(k)
		rerr = err
		last := k < spoolChunk
		if m != nil {
			shared, err := m.step(e.side, chunk, e.MaxSpooled)
			if err != nil {
				serr = err
				break
			}
			if shared {
				if last {
					break
				}
				continue
			}
			// Apart: what the two have in common is settled.
			d.plen = m.prefix.Size()
			m.leave(e.side)
			m = nil
		}
		if k > 0 {
			if d.own == nil {
				// A stream of up to maxMemStore bytes stays in memory,
				// whatever part of it the partner shares.
				d.own = e.newStore(maxMemStore - d.plen)
				e.keep(d.own)
			}
			if _, serr = d.own.append(chunk, e.MaxSpooled); serr != nil {
				break
			}
		}
		if last {
			break
		}
	}
	stopAhead()
	if m != nil {
		d.plen = m.prefix.Size()
	}
	if d.own != nil {
		d.olen = d.own.Size()
	}
	switch {
	case serr != nil && serr.err == errSpoolFull:
		e.budget().reached.Store(true)
		return d, &LocalError{Op: fmt.Sprintf("spooling more than %d bytes of decompressed streams", e.MaxSpooled), Err: ErrSpoolLimit}
	case serr != nil:
		return d, &LocalError{Op: serr.op, Err: serr.err}
	}
	if rerr == nil && read == limit {
		var one [1]byte
		if k, _ := io.ReadFull(src, one[:]); k > 0 {
			rerr = fmt.Errorf("%w: more than %d bytes (--max-decompressed)", ErrTooLarge, limit)
		}
	}
	return d, rerr
}

// readChunk fills p from r as io.ReadFull does, returning nil at the end
// of the stream and any other error as it is (io.ReadFull would make a
// reader's own io.ErrUnexpectedEOF look like the end).
func readChunk(r io.Reader, p []byte) (int, error) {
	n, idle := 0, 0
	for n < len(p) {
		k, err := r.Read(p[n:])
		n += k
		switch {
		case err == io.EOF:
			return n, nil
		case err != nil:
			return n, err
		case k > 0:
			idle = 0
		default:
			// As bufio: a reader that neither reads nor fails would
			// otherwise hold the comparison for ever.
			if idle++; idle == 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

// chunkPool holds the buffers streams are read into: a comparison of
// thousands of small compressed files must not allocate a fresh MiB for
// each.
var chunkPool = sync.Pool{New: func() any { return new([spoolChunk]byte) }}

// newStore is an empty store of this Env's comparison, keeping up to
// memCap bytes in memory; the caller keeps it (keep) where this Env
// releases it.
func (e *Env) newStore(memCap int64) *store { return newStore(e.budget(), e.TempDir, memCap) }

// keep makes Close release s.
func (e *Env) keep(s *store) {
	s.hold()
	e.mu.Lock()
	e.stores = append(e.stores, s)
	e.mu.Unlock()
}

// Sub returns an Env with the same settings whose spooled streams are
// released by its own Close: a comparison opens an inner layer with one
// and closes it once the layer is compared, so that thousands of
// compressed files do not hold thousands of open files.
func (e *Env) Sub() *Env {
	return &Env{TempDir: e.TempDir, MaxDecompressed: e.MaxDecompressed, MaxSpooled: e.MaxSpooled, shared: e.budget()}
}

// Pair returns two Envs made as Sub makes one, for the two sides of a
// layer opened at once: a stream spooled by one is read in step with the
// stream of the same number spooled by the other, and what the two have
// in common is kept once (two initrds that differ in their gzip header
// only are then one copy, proven the same without reading: SameStored).
// Each side calls Done once its layer is open; a side waits for its
// partner's stream only until then. Close each.
func (e *Env) Pair() (a, b *Env) {
	l := newPairLink()
	a, b = e.Sub(), e.Sub()
	a.link, b.link = l, l
	b.side = 1
	return a, b
}

// Done says that this Env's layer is open: a stream it spools from now
// (one decoded lazily, while the layer is compared) meets none of its
// partner's, and its partner waits for it no longer. On an Env not of a
// Pair it does nothing.
func (e *Env) Done() { e.link.finish(e.side) }

// Close releases every spooled stream; a store shared by the two Envs of
// a Pair is released by the second Close.
func (e *Env) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, s := range e.stores {
		errs = append(errs, s.release())
	}
	e.stores = nil
	return errors.Join(errs...)
}
