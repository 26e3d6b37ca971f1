package main

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// newScratchFile makes side B a memfd, which isodiff opens through its
// /proc path like any file: rewriting a file on disk for each input cost
// more than comparing a small image (ext4 flushes a file that was
// truncated and written again when it is closed).
func newScratchFile(tb testing.TB) *scratchFile {
	fd, err := unix.MemfdCreate("isodiff-fuzz-b", unix.MFD_CLOEXEC)
	if err != nil {
		return newScratchOnDisk(tb)
	}
	f := os.NewFile(uintptr(fd), "isodiff-fuzz-b")
	tb.Cleanup(func() { f.Close() })
	return &scratchFile{f: f, path: fmt.Sprintf("/proc/self/fd/%d", fd)}
}
