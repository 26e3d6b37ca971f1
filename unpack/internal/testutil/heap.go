package testutil

import (
	"runtime"
	"testing"

	"isodiff/unpack"
)

// HeapPerEntry opens a layer and returns the heap it keeps per Node below
// its root, once collected: what one side of a comparison holds for each
// entry while both trees are open.
func HeapPerEntry(t testing.TB, open func() (*unpack.Node, error)) float64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	root, err := open()
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	n := 0
	root.Walk("/", func(*unpack.Node, string) { n++ })
	runtime.KeepAlive(root)
	if n == 0 {
		t.Fatal("no entries")
	}
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}
