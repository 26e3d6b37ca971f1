//go:build unix

package main

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openNonBlocking opens a path for reading without waiting for a writer
// when it is a FIFO; for a regular file or directory the flag changes
// nothing.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// defaultSpooled is the spool limit unless the temporary directory has
// less than twice as much free.
const defaultSpooled = 4 << 30

// freeSpace is the space available to this user in dir, 0 when it cannot
// be told (the directory is missing: spooling then fails and says so).
func freeSpace(dir string) int64 {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
