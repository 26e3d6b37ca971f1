package unpack

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// zeros is an endless stream of zero bytes, as a decompression bomb gives.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// ones is an endless stream of 0x01 bytes: a bomb whose bytes are stored.
type ones struct{}

func (ones) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 1
	}
	return len(p), nil
}

// TestSpoolTotalLimit: streams spooled at once, from an Env and its Subs,
// share one limit, so that many bombs cannot fill the disk together.
func TestSpoolTotalLimit(t *testing.T) {
	const limit = 12 << 20
	env := &Env{TempDir: t.TempDir(), MaxDecompressed: 8 << 20, MaxSpooled: limit}
	defer env.Close()
	var wg sync.WaitGroup
	sizes := make([]int64, 4)
	errs := make([]error, 4)
	for i := range 4 {
		sub := env.Sub()
		defer sub.Close()
		wg.Go(func() {
			d, err := sub.Spool(ones{})
			sizes[i], errs[i] = dataSize(d), err
		})
	}
	wg.Wait()
	var total int64
	stopped := 0
	for i := range 4 {
		total += sizes[i]
		switch {
		case errors.Is(errs[i], ErrSpoolLimit):
			stopped++
			if !IsLocal(errs[i]) {
				t.Errorf("stream %d: the limit is not a local failure: %v", i, errs[i])
			}
		case !errors.Is(errs[i], ErrTooLarge):
			t.Errorf("stream %d: error %v, want the per-stream or the total limit", i, errs[i])
		}
		if sizes[i] > 8<<20 {
			t.Errorf("stream %d: %d bytes spooled, more than the per-stream limit", i, sizes[i])
		}
	}
	if total != limit || env.Spooled() != limit {
		t.Errorf("spooled %d bytes in all (Env says %d), want exactly the limit %d", total, env.Spooled(), limit)
	}
	if stopped == 0 || !env.SpoolLimitReached() {
		t.Errorf("no stream stopped at the comparison's limit (reached: %v): %v", env.SpoolLimitReached(), errs)
	}
}

// TestSpoolLocalFailures: a temporary directory that is missing, or a
// write that fails, is the machine's trouble, not the input's.
func TestSpoolLocalFailures(t *testing.T) {
	env := &Env{TempDir: filepath.Join(t.TempDir(), "missing")}
	defer env.Close()
	// A small stream is kept in memory: no temporary file, no failure.
	if d, err := env.Spool(strings.NewReader("x")); err != nil || d.Size() != 1 {
		t.Errorf("a 1-byte stream without a temporary directory: %v, %d bytes", err, dataSize(d))
	}
	d, err := env.Spool(io.LimitReader(ones{}, 3<<20))
	if !IsLocal(err) {
		t.Errorf("missing temporary directory: error %v, want a LocalError", err)
	}
	// What memory kept is still read as it was.
	if n := dataSize(d); n != maxMemStore {
		t.Errorf("%d bytes kept before the failure, want the %d kept in memory", n, maxMemStore)
	} else if ok, err := sameAs(d, io.LimitReader(ones{}, n)); !ok {
		t.Errorf("the bytes kept before the failure read wrong (%v)", err)
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	full.Close()
	s := newStore(&spoolBudget{}, "", 0)
	s.f = mustOpen(t, "/dev/full")
	if n, serr := s.append(bytes.Repeat([]byte{1}, 1<<20), 0); serr == nil || serr.err == errSpoolFull || n != 0 {
		t.Errorf("writing to a full disk: %d bytes kept, error %v; want none and a write error", n, serr)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func dataSize(d Data) int64 {
	if d == nil {
		return 0
	}
	return d.Size()
}
