package unpack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// Env is what format readers share for one comparison: where decompressed
// streams are spooled, and the limits that keep any input from taking
// unbounded memory or disk.
type Env struct {
	// TempDir holds spooled streams; the caller creates it and removes it
	// (Close removes the files this Env made).
	TempDir string
	// MaxDecompressed caps the bytes one decompressed stream may spool; a
	// stream that would exceed it (a compression bomb) is cut there and
	// its Node marked.
	MaxDecompressed int64
	// MaxSpooled caps the bytes spooled by all streams of the comparison
	// together, this Env and every Env made from it by Sub, so that many
	// bombs at once cannot fill the disk either; 0 for no cap beyond
	// MaxDecompressed per stream. Reaching it makes the comparison
	// incomplete (SpoolLimitReached) rather than cutting a stream: which
	// stream would be cut where depends on the schedule, and a report must
	// not.
	MaxSpooled int64

	mu     sync.Mutex
	files  []*os.File
	shared *spoolBudget
	once   sync.Once
}

// spoolBudget counts what an Env and its Subs have spooled.
type spoolBudget struct {
	used    atomic.Int64
	reached atomic.Bool
}

func (e *Env) budget() *spoolBudget {
	e.once.Do(func() {
		if e.shared == nil {
			e.shared = &spoolBudget{}
		}
	})
	return e.shared
}

// Spooled is the number of bytes spooled so far by this Env and every Env
// made from it.
func (e *Env) Spooled() int64 { return e.budget().used.Load() }

// SpoolLimitReached reports whether a stream of this Env or of an Env made
// from it needed more than MaxSpooled: the comparison is then incomplete.
// Whether it happens does not depend on the schedule: the bytes spooled
// add up to the same total in any order.
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

// Spool copies a stream into a temporary file and returns random access to
// what was written. When the stream exceeds MaxDecompressed, it returns the
// bytes up to the limit and an error wrapping ErrTooLarge; on a read error,
// the bytes before it and the error; when the temporary file cannot be made
// or written, or the comparison has spooled MaxSpooled bytes, a
// *LocalError.
func (e *Env) Spool(src io.Reader) (Data, error) {
	f, err := os.CreateTemp(e.TempDir, "stream-*")
	if err != nil {
		return nil, &LocalError{Op: "spooling a decompressed stream", Err: err}
	}
	// The name is not needed once open: unlinking now means nothing is
	// left behind, however the process ends.
	os.Remove(f.Name())
	e.mu.Lock()
	e.files = append(e.files, f)
	e.mu.Unlock()

	limit := e.MaxDecompressed
	if limit <= 0 {
		limit = DefaultMaxDecompressed
	}
	w := &spoolWriter{f: f, budget: e.budget(), max: e.MaxSpooled}
	n, err := io.Copy(w, io.LimitReader(src, limit))
	switch {
	case w.werr != nil:
		return io.NewSectionReader(f, 0, n), &LocalError{Op: "writing a decompressed stream to " + e.TempDir, Err: w.werr}
	case w.full:
		e.budget().reached.Store(true)
		return io.NewSectionReader(f, 0, n), &LocalError{Op: fmt.Sprintf("spooling more than %d bytes of decompressed streams", e.MaxSpooled), Err: ErrSpoolLimit}
	}
	if err == nil && n == limit {
		var one [1]byte
		if k, _ := io.ReadFull(src, one[:]); k > 0 {
			err = fmt.Errorf("%w: more than %d bytes (--max-decompressed)", ErrTooLarge, limit)
		}
	}
	return io.NewSectionReader(f, 0, n), err
}

// errSpoolFull stops a copy at the comparison's spool limit.
var errSpoolFull = errors.New("spool limit reached")

// spoolWriter writes a spooled stream, telling a failed write (the
// machine's trouble) from a failed read (the input's), and stopping at
// the comparison's limit.
type spoolWriter struct {
	f      *os.File
	budget *spoolBudget
	max    int64
	werr   error
	full   bool
}

func (w *spoolWriter) Write(p []byte) (int, error) {
	if w.max > 0 {
		// Take the room first: streams spooled at once share the limit.
		if used := w.budget.used.Add(int64(len(p))); used > w.max {
			room := max(0, int64(len(p))-(used-w.max))
			w.budget.used.Add(room - int64(len(p)))
			w.full = true
			n, err := w.f.Write(p[:room])
			if err != nil {
				w.werr = err
				return n, err
			}
			return n, errSpoolFull
		}
	} else {
		w.budget.used.Add(int64(len(p)))
	}
	n, err := w.f.Write(p)
	if err != nil {
		w.werr = err
	}
	return n, err
}

// Sub returns an Env with the same settings whose spooled streams are
// released by its own Close: a comparison opens an inner layer with one
// and closes it once the layer is compared, so that thousands of
// compressed files do not hold thousands of open files.
func (e *Env) Sub() *Env {
	return &Env{TempDir: e.TempDir, MaxDecompressed: e.MaxDecompressed, MaxSpooled: e.MaxSpooled, shared: e.budget()}
}

// Close releases every spooled stream.
func (e *Env) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, f := range e.files {
		errs = append(errs, f.Close())
	}
	e.files = nil
	return errors.Join(errs...)
}
