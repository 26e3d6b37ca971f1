package cpio

import (
	"bytes"
	"fmt"
	"testing"

	"isodiff/unpack"
	"isodiff/unpack/internal/testutil"
)

// TestHeapPerMember bounds what an archive of many small members keeps
// per member: an initrd of a million members is two such trees at once.
// It was 1.4 KB per member; the bound leaves room for a field or two, not
// for a second copy of anything.
func TestHeapPerMember(t *testing.T) {
	const members = 200_000
	entries := make([]testutil.CpioEntry, members)
	for i := range entries {
		entries[i] = testutil.CpioEntry{Name: fmt.Sprintf("m%07d", i), Mode: 0o100644, Ino: uint32(i + 1), Data: "x", Mtime: 1}
	}
	b := testutil.NewcArchive("070701", entries...)
	entries = nil
	per := testutil.HeapPerEntry(t, func() (*unpack.Node, error) {
		return Open(bytes.NewReader(b), int64(len(b)), &unpack.Env{TempDir: t.TempDir()})
	})
	t.Logf("%.0f bytes of heap per member", per)
	if per > 240 {
		t.Errorf("%.0f bytes of heap per member, more than 240", per)
	}
}
