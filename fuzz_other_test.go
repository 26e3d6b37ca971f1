//go:build !linux

package main

import "testing"

func newScratchFile(tb testing.TB) *scratchFile { return newScratchOnDisk(tb) }
