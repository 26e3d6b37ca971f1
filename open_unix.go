//go:build unix

package main

import (
	"os"
	"syscall"
)

// openNonBlocking opens a path for reading without waiting for a writer
// when it is a FIFO; for a regular file or directory the flag changes
// nothing.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
