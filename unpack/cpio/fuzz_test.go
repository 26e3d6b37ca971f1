package cpio

import (
	"bytes"
	"errors"
	"isodiff/unpack"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/testutil"
	"testing"
)

// FuzzCpio feeds archives to the cpio reader and
// the trailer walk Match uses.
func FuzzCpio(f *testing.F) {
	for _, name := range []string{"base.cpio", "base-odc.cpio", "base-crc.cpio", "base-bin.cpio", binBE, "absurd-size.cpio", "initrd-microcode"} {
		b := readFixture(f, name)
		f.Add(b[:min(len(b), maxFuzzInput)])
	}
	const file = 0o100644
	f.Add(testutil.NewcArchive("070701", testutil.CpioEntry{Name: ".", Mode: 0o40755}, testutil.CpioEntry{Name: "./a/b", Mode: file, Data: "x"}, testutil.CpioEntry{Name: "a", Mode: 0o40755},
		testutil.CpioEntry{Name: "h1", Mode: file, Ino: 5, Nlink: 2}, testutil.CpioEntry{Name: "h2", Mode: file, Ino: 5, Nlink: 2, Data: "yy"}, testutil.CpioEntry{Name: "l", Mode: 0o120777, Data: "t"}))
	f.Add(testutil.NewcArchive("070702", testutil.CpioEntry{Name: "c", Mode: file, Data: "abc"}, testutil.CpioEntry{Name: "d", Mode: 0o20644, RdevMaj: 1, RdevMin: 3}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		r := bytes.NewReader(data)
		size := int64(len(data))
		if n, err := Open(r, size, nil); err == nil {
			testutil.CheckLayerTree(t, n, 0)
		}
		end, err := ArchiveEnd(readat.NewPeek(r, size), 0, size, 1000)
		if err == nil && (end <= 0 || end > size) {
			t.Fatalf("archive end %d of %d", end, size)
		}
		if err != nil {
			var fe *unpack.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v", err)
			}
		}
	})
}

// maxFuzzInput caps a fuzz input: a small archive exercises every path.
const maxFuzzInput = 64 << 10
