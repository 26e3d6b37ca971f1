package elf

import (
	"bytes"
	"errors"
	"isodiff/unpack"
	"isodiff/unpack/internal/testutil"
	"testing"
)

// FuzzELF opens mutated ELF files, and every view of their sections, and
// reads everything they hold.
func FuzzELF(f *testing.F) {
	for _, name := range []string{"hello-a", "hello-arm64-a", "module-a.ko", "hello-stripped"} {
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			return
		}
		if !match(b[:min(len(b), unpack.HeadSize)], bytes.NewReader(b), int64(len(b))) {
			return
		}
		root, err := Open(bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			var fe *unpack.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is no FormatError", err)
			}
			return
		}
		testutil.CheckLayerTree(t, root, 0)
		readAll(t, root, 0)
	})
}

// maxFuzzInput caps a fuzz input: the fixtures are a few KiB.
const maxFuzzInput = 64 << 10
