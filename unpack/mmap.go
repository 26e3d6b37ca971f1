package unpack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"

	"golang.org/x/sys/unix"
)

// Mapped is an input file that is also mapped into memory, so that large
// ranges of it can be compared where they lie instead of being copied out
// first (SameBytes): comparing two 1 GiB images this way takes about half
// the time of reading them, and most of the kernel time goes.
//
// Reads through ReadAt still use the file, and SameBytes hands the pages
// it compared back to the kernel (they stay in the page cache), so that
// the mapping does not add the inputs' size to the process's memory.
type Mapped struct {
	f    *os.File
	size int64
	data []byte
}

// MapFile maps f, of the given size, for reading. It fails where the file
// cannot be mapped (an empty file, a file system without mmap); the caller
// then reads the file as it is.
func MapFile(f *os.File, size int64) (*Mapped, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, errors.New("mmap: nothing to map")
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	return &Mapped{f: f, size: size, data: data}, nil
}

// ReadAt reads from the file.
func (m *Mapped) ReadAt(p []byte, off int64) (int, error) { return m.f.ReadAt(p, off) }

// Size is the size mapped.
func (m *Mapped) Size() int64 { return m.size }

// Close unmaps the file; it does not close the file.
func (m *Mapped) Close() error {
	if m.data == nil {
		return nil
	}
	err := unix.Munmap(m.data)
	m.data = nil
	return err
}

// release gives the pages holding bytes [off, off+n) back to the kernel:
// the next access faults them in again from the page cache.
func (m *Mapped) release(off, n int64) {
	// A fault maps the pages around the one wanted too (fault-around,
	// 64 KiB by default): hand those back as well.
	const around = 2 << 20
	page := int64(os.Getpagesize())
	start := max(off-around, 0) &^ (page - 1)
	end := min(off+n+around+page-1, int64(len(m.data))) &^ (page - 1)
	if end > start {
		_ = unix.Madvise(m.data[start:end], unix.MADV_DONTNEED)
	}
}

// sectioned is a section of another reader, as *io.SectionReader is.
type sectioned interface {
	Outer() (r io.ReaderAt, off int64, n int64)
}

// mapped resolves r, through any sections of it (see sectioned), to a Mapped
// file and the offset there of [off, off+n).
func mapped(r io.ReaderAt, off, n int64) (*Mapped, int64, bool) {
	for {
		switch v := r.(type) {
		case sectioned:
			outer, base, size := v.Outer()
			if off < 0 || n < 0 || off > size-n {
				return nil, 0, false
			}
			r, off = outer, base+off
		case *Mapped:
			if v.data == nil || off < 0 || n < 0 || off > int64(len(v.data))-n {
				return nil, 0, false
			}
			return v, off, true
		default:
			return nil, 0, false
		}
	}
}

// minMappedCompare is the smallest range SameBytes compares in the
// mapping rather than leaving to a read.
const minMappedCompare = 256 << 10

// sameBytesChunk is how much SameBytes compares before handing pages back.
const sameBytesChunk = 1 << 20

// SameBytes compares n bytes at offA of ra with n bytes at offB of rb
// where both are mapped files (or sections of them), without copying. ok
// is false when either is not, or when the file could not be read through
// the mapping (it shrank meanwhile); the caller then reads the bytes.
func SameBytes(ra io.ReaderAt, offA int64, rb io.ReaderAt, offB int64, n int64) (same, ok bool) {
	if n < minMappedCompare {
		// Reading a small range costs less than faulting its pages in
		// and handing them back, which every small file of a large
		// archive would otherwise do.
		return false, false
	}
	ma, offA, okA := mapped(ra, offA, n)
	mb, offB, okB := mapped(rb, offB, n)
	if !okA || !okB {
		return false, false
	}
	// A file cut short while mapped faults (SIGBUS) where its pages are
	// gone: a panic here rather than the end of the process.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			same, ok = false, false
		}
	}()
	for done := int64(0); done < n; {
		k := min(n-done, sameBytesChunk)
		eq := bytes.Equal(ma.data[offA+done:offA+done+k], mb.data[offB+done:offB+done+k])
		ma.release(offA+done, k)
		mb.release(offB+done, k)
		if !eq {
			return false, true
		}
		done += k
	}
	return true, true
}

// compareChunk is how much EqualAt reads of each side at a time.
const compareChunk = 1 << 20

// comparePool holds pairs of chunk buffers: comparing tens of thousands of
// files must not allocate two fresh megabytes for each.
var comparePool = sync.Pool{New: func() any { return new([2][compareChunk]byte) }}

// ReadError is a read that failed on one side of a comparison.
type ReadError struct {
	Side int   // 0 for the first reader, 1 for the second
	Off  int64 // where the failed read started
	Err  error // io.ErrUnexpectedEOF for a read that ended early unexplained
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("reading at byte %d: %v", e.Off, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// EqualAt reports whether the n bytes at offA of ra and at offB of rb are
// the same: without reading where both keep them at one place of one
// storage (SameStorage), compared in place where both are mapped files
// (SameBytes), else read a chunk at a time into pooled buffers. A read
// that fails or ends early is a *ReadError, never "equal".
func EqualAt(ra io.ReaderAt, offA int64, rb io.ReaderAt, offB, n int64) (bool, error) {
	if SameStorage(ra, offA, rb, offB, n) {
		return true, nil
	}
	if same, ok := SameBytes(ra, offA, rb, offB, n); ok {
		return same, nil
	}
	bufs := comparePool.Get().(*[2][compareChunk]byte)
	defer comparePool.Put(bufs)
	for done := int64(0); done < n; {
		k := min(compareChunk, n-done)
		for side, r := range [2]io.ReaderAt{ra, rb} {
			off := offA + done
			if side == 1 {
				off = offB + done
			}
			if m, err := r.ReadAt(bufs[side][:k], off); int64(m) < k {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return false, &ReadError{Side: side, Off: off, Err: err}
			}
		}
		if !bytes.Equal(bufs[0][:k], bufs[1][:k]) {
			return false, nil
		}
		done += k
	}
	return true, nil
}
