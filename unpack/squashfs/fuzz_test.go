package squashfs

import (
	"bytes"
	"io"
	"isodiff/unpack"
	"os"
	"path/filepath"
	"testing"
)

const (
	fuzzMaxInput = 512 << 10 // the largest fixture, uncompressed.sqfs, is 388 KiB
	// Bytes read from one file's Data: a sparse file may claim terabytes,
	// which would be readable (zeros) but not in a fuzz iteration.
	fuzzMaxRead = 4 << 20
)

// FuzzSquashfs opens mutated images, walks the tree and reads every file:
// no panic, and every read ends.
func FuzzSquashfs(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(fixtureDir, "*.sqfs"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err == nil && len(b) <= fuzzMaxInput {
			f.Add(b)
		}
	}
	// Small crafted images with uncompressed metadata: mutations reach the
	// inode and directory parsers instead of failing in a decompressor.
	f.Add(craft([]craftEntry{{"a", 0, 1, basicFile}, {"b", 0, 1, basicFile}, {"self", 32, 2, basicDir}}, 0, 0))
	f.Add(craft(nil, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > fuzzMaxInput {
			return
		}
		root, err := Open(bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			if root != nil {
				t.Fatalf("error %v with a root", err)
			}
			return
		}
		var visit func(n *unpack.Node)
		visit = func(n *unpack.Node) {
			if n.Err != nil {
				_ = n.Err.Error()
			}
			if n.Data != nil {
				sz := n.Data.Size()
				if sz < 0 {
					t.Fatalf("%s: size %d", n.Name, sz)
				}
				io.Copy(io.Discard, io.NewSectionReader(n.Data, 0, min(sz, fuzzMaxRead)))
				if sz > fuzzMaxRead {
					// And the end, far away.
					var tail [64]byte
					n.Data.ReadAt(tail[:], sz-int64(len(tail)))
				}
				if d, ok := n.Data.(*fileContent); ok {
					d.Blocks()
				}
			}
			for _, c := range n.Children {
				visit(c)
			}
		}
		visit(root)
	})
}
