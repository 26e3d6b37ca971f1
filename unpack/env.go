package unpack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
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

	mu    sync.Mutex
	files []*os.File
}

// ErrTooLarge marks a stream cut at Env.MaxDecompressed.
var ErrTooLarge = errors.New("decompressed size limit reached")

// DefaultMaxDecompressed is generous: far beyond any real initrd or
// compressed file in an OS image, small enough that a bomb stops early.
const DefaultMaxDecompressed = 16 << 30

// Spool copies a stream into a temporary file and returns random access to
// what was written. When the stream exceeds MaxDecompressed, it returns
// the first MaxDecompressed bytes and an error wrapping ErrTooLarge; on a
// read error, the bytes before it and the error.
func (e *Env) Spool(src io.Reader) (Data, error) {
	f, err := os.CreateTemp(e.TempDir, "stream-*")
	if err != nil {
		return nil, fmt.Errorf("spooling: %w", err)
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
	n, err := io.Copy(f, io.LimitReader(src, limit))
	if err == nil && n == limit {
		var one [1]byte
		if k, _ := io.ReadFull(src, one[:]); k > 0 {
			err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}
	}
	return io.NewSectionReader(f, 0, n), err
}

// Sub returns an Env with the same settings whose spooled streams are
// released by its own Close: a comparison opens an inner layer with one
// and closes it once the layer is compared, so that thousands of
// compressed files do not hold thousands of open files.
func (e *Env) Sub() *Env {
	return &Env{TempDir: e.TempDir, MaxDecompressed: e.MaxDecompressed}
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
