package initramfs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"isodiff/unpack"
	"isodiff/unpack/internal/testutil"
)

// maxFuzzInput caps a fuzz input: segments are found by walking headers
// and frames, and a small input exercises every path.
const maxFuzzInput = 64 << 10

// FuzzInitramfs feeds images to Match and to the segment splitter, seeded
// with the initrd fixtures (cut to maxFuzzInput).
func FuzzInitramfs(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testutil.InitrdFixtureDir, "*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b[:min(len(b), maxFuzzInput)])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		r := bytes.NewReader(data)
		size := int64(len(data))
		_ = Format.Match(data[:min(len(data), unpack.HeadSize)], r, size)
		n, err := Open(r, size, nil)
		if err != nil {
			return
		}
		testutil.CheckLayerTree(t, n, 0)
		var sum int64
		for _, s := range n.Children {
			sum += s.Data.Size()
		}
		if sum > size {
			t.Fatalf("segments hold %d bytes of %d", sum, size)
		}
	})
}
