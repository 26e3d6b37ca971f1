//go:build unix

package compress

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	kflate "github.com/klauspost/compress/flate"
)

// TestPeakMemory decompresses large streams through Open and reports time,
// peak Go heap and peak RSS. It makes gigabytes of temporary files, so it
// runs only with ISODIFF_MEMTEST=1:
//
//	ISODIFF_MEMTEST=1 go test ./unpack -run TestPeakMemory -v -timeout 30m
//
// ISODIFF_MEMTEST_TREE names the tree tarred for the second case
// (default /usr/lib).
func TestPeakMemory(t *testing.T) {
	if os.Getenv("ISODIFF_MEMTEST") == "" {
		t.Skip("set ISODIFF_MEMTEST=1 to run")
	}
	testutil.NeedCmds(t, "zstd", "tar", "sh", "xz", "gzip")
	dir := t.TempDir()
	tree := os.Getenv("ISODIFF_MEMTEST_TREE")
	if tree == "" {
		tree = "/usr/lib"
	}
	for _, tc := range []struct{ name, format, cmd string }{
		{"1 GiB of zeros, zstd -10", "zstd", "head -c 1073741824 /dev/zero | zstd -10 -T2 -q -c"},
		{"1 GiB of zeros, gzip -1", "gzip", "head -c 1073741824 /dev/zero | gzip -1 -c"},
		{tree + " tarred, zstd -3", "zstd", "tar -C / -cf - " + tree[1:] + " 2>/dev/null | zstd -3 -T2 -q -c"},
		{tree + " tarred (first 1 GiB), xz -1", "xz", "tar -C / -cf - " + tree[1:] + " 2>/dev/null | head -c 1073741824 | xz -1 -T2 -c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "stream")
			cmd := exec.Command("sh", "-c", tc.cmd+" > "+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", tc.cmd, err, out)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			env := &unpack.Env{TempDir: dir}
			defer env.Close()

			runtime.GC()
			var peakHeap atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peakHeap.Load() {
						peakHeap.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			})
			start := time.Now()
			n, err := testFormats[formatIndex(t, tc.format)].Open(f, st.Size(), env)
			elapsed := time.Since(start)
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			c := n.Child("content")
			if c.Err != nil {
				t.Fatal(c.Err)
			}
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			out := c.Data.Size()
			t.Logf("%s: %d -> %d bytes in %v (%.0f MB/s of output); peak heap in use %.1f MiB; process peak RSS so far %.1f MiB",
				tc.name, st.Size(), out, elapsed.Round(time.Millisecond), float64(out)/elapsed.Seconds()/1e6,
				float64(peakHeap.Load())/(1<<20), float64(ru.Maxrss)/1024)
		})
	}
}

func formatIndex(t *testing.T, name string) int {
	for i, f := range testFormats {
		if f.Name == name {
			return i
		}
	}
	t.Fatalf("no format %s", name)
	return -1
}

// BenchmarkGzipInflate compares compress/flate with klauspost's on the
// same gzip member body (a corpus of executables and text), both reading
// from a *bufio.Reader as the gzip reader here does.
func BenchmarkGzipInflate(b *testing.B) {
	var corpus bytes.Buffer
	for _, dir := range []string{"/usr/bin", "/usr/share/common-licenses"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if corpus.Len() > 16<<20 || !e.Type().IsRegular() {
				continue
			}
			if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				corpus.Write(data)
			}
		}
	}
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, 6)
	w.Write(corpus.Bytes())
	w.Close()
	body := z.Bytes()[10 : z.Len()-8]
	for _, tc := range []struct {
		name string
		open func(r io.Reader) io.Reader
	}{
		{"compress-flate", func(r io.Reader) io.Reader { return flate.NewReader(r) }},
		{"klauspost-flate", func(r io.Reader) io.Reader { return kflate.NewReader(r) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(corpus.Len()))
			b.ReportAllocs()
			for b.Loop() {
				in := newBufferedInput(bytes.NewReader(body), 0, int64(len(body)))
				if _, err := io.Copy(io.Discard, tc.open(in.Reader)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
