package unpack

import (
	"bytes"
	"errors"
	"isodiff/unpack/internal/readat"
	"testing"
)

// FuzzCpio feeds archives to the cpio reader, the initramfs splitter and
// the trailer walk Match uses.
func FuzzCpio(f *testing.F) {
	for _, name := range []string{"base.cpio", "base-odc.cpio", "base-crc.cpio", "absurd-size.cpio", "initrd-microcode"} {
		b := readInitrdFixture(f, name)
		f.Add(b[:min(len(b), maxStreamFuzzInput)])
	}
	const file = 0o100644
	f.Add(newcArchive("070701", cpioEntry{name: ".", mode: 0o40755}, cpioEntry{name: "./a/b", mode: file, data: "x"}, cpioEntry{name: "a", mode: 0o40755},
		cpioEntry{name: "h1", mode: file, ino: 5, nlink: 2}, cpioEntry{name: "h2", mode: file, ino: 5, nlink: 2, data: "yy"}, cpioEntry{name: "l", mode: 0o120777, data: "t"}))
	f.Add(newcArchive("070702", cpioEntry{name: "c", mode: file, data: "abc"}, cpioEntry{name: "d", mode: 0o20644, rdevMaj: 1, rdevMin: 3}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxStreamFuzzInput {
			return
		}
		r := bytes.NewReader(data)
		size := int64(len(data))
		if n, err := OpenCpio(r, size, nil); err == nil {
			checkLayerTree(t, n, 0)
		}
		if n, err := OpenInitramfs(r, size, nil); err == nil {
			checkLayerTree(t, n, 0)
			var sum int64
			for _, s := range n.Children {
				sum += s.Data.Size()
			}
			if sum > size {
				t.Fatalf("segments hold %d bytes of %d", sum, size)
			}
		}
		end, err := cpioArchiveEnd(readat.NewPeek(r, size), 0, size, 1000)
		if err == nil && (end <= 0 || end > size) {
			t.Fatalf("archive end %d of %d", end, size)
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v", err)
			}
		}
		_ = matchInitramfs(data[:min(len(data), HeadSize)], r, size)
	})
}
