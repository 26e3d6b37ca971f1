package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"isodiff/diff"
	"isodiff/unpack"
)

// tarOf writes a tar archive holding one file, name, of the given bytes,
// with fixed metadata: only the file's bytes can differ.
func tarOf(t *testing.T, path, name string, data []byte) string {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(315532800, 0), Format: tar.FormatUSTAR}
	if err := w.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// gzipAt is text gzipped with the given mtime in the header.
func gzipAt(text []byte, mtime time.Time) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	w.ModTime = mtime
	w.Write(text)
	w.Close()
	return buf.Bytes()
}

// zstdZeros is n zero bytes through zstd, the last one last instead: the
// encoder is fed a MiB at a time, so that the test holds no more.
func zstdZeros(t *testing.T, n int64, last byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, io.LimitReader(zeroReader{}, n-1)); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{last})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// compareSpooling compares two files as the command does, through env,
// and returns the comparison's tree.
func compareSpooling(t *testing.T, env *unpack.Env, a, b string) *diff.Node {
	t.Helper()
	cfg, pa, pb, err := parseFlags([]string{a, b}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.opt.Env = env
	c := runComparison(context.Background(), cfg, pa, pb, env)
	t.Cleanup(c.close)
	if len(c.errs) > 0 {
		t.Fatal(c.errs)
	}
	return c.root
}

// TestStreamsInStep: the two compressed streams of a pair are read in
// step. Two initrds that differ only in their gzip mtime keep one copy of
// their content, proven the same without a byte of it compared, and the
// report names the header alone; two bombs of zeros that differ in their
// last byte, cut by --max-decompressed before it, store nothing and still
// differ, in compressed bytes the report shows.
func TestStreamsInStep(t *testing.T) {
	dir := t.TempDir()
	text := lines(400000, false) // 2.6 MB: more than is kept in memory
	gzA := gzipAt(text, time.Unix(1700000000, 0))
	gzB := gzipAt(text, time.Unix(1700000001, 0))
	if len(gzA) != len(gzB) || bytes.Equal(gzA, gzB) {
		t.Fatal("the two gzip streams should differ in their header only")
	}
	for _, tc := range []struct{ name, a, b string }{
		{"in an archive", tarOf(t, filepath.Join(dir, "a.tar"), "initrd.gz", gzA), tarOf(t, filepath.Join(dir, "b.tar"), "initrd.gz", gzB)},
		{"given as they are", write(t, filepath.Join(dir, "a.gz"), gzA), write(t, filepath.Join(dir, "b.gz"), gzB)},
	} {
		t.Run("gzip mtime "+tc.name, func(t *testing.T) {
			env := &unpack.Env{TempDir: t.TempDir()}
			defer env.Close()
			root := compareSpooling(t, env, tc.a, tc.b)
			if got := env.Spooled(); got != int64(len(text)) {
				t.Errorf("spooled %d bytes, want the content once: %d", got, len(text))
			}
			var where []string
			for _, n := range deepest(root) {
				for _, f := range n.Changed() {
					where = append(where, n.Path()+": "+f.Name)
				}
				if n.Content != nil {
					where = append(where, n.Path()+": content")
				}
			}
			if len(where) != 1 || !strings.HasSuffix(where[0], "mtime") {
				t.Errorf("differences %q, want the gzip mtime alone", where)
			}
			out, errs, status := runIsodiff(t, tc.a, tc.b)
			if status != 1 || errs != "" || !strings.Contains(out, "known cause: gzip header") {
				t.Errorf("status %d, stderr %q, report:\n%s", status, errs, out)
			}
		})
	}

	const n, limit = 64 << 20, 32 << 20
	zA, zB := zstdZeros(t, n, 0), zstdZeros(t, n, 1)
	for _, tc := range []struct{ name, a, b string }{
		{"in an archive", tarOf(t, filepath.Join(dir, "za.tar"), "initrd.zst", zA), tarOf(t, filepath.Join(dir, "zb.tar"), "initrd.zst", zB)},
		{"given as they are", write(t, filepath.Join(dir, "a.zst"), zA), write(t, filepath.Join(dir, "b.zst"), zB)},
	} {
		t.Run("zstd bombs "+tc.name, func(t *testing.T) {
			env := &unpack.Env{TempDir: t.TempDir(), MaxDecompressed: limit}
			defer env.Close()
			root := compareSpooling(t, env, tc.a, tc.b)
			if got := env.Spooled(); got != 0 {
				t.Errorf("spooled %d bytes of zeros", got)
			}
			if !root.Differs() {
				t.Error("the two bombs compare identical")
			}
			out, errs, status := runIsodiff(t, "--max-decompressed", fmt.Sprint(limit), tc.a, tc.b)
			if status != 1 || !strings.Contains(out, "(--max-decompressed)") {
				t.Errorf("status %d, stderr %q, report:\n%s", status, errs, out)
			}
			// What differs lies past the cut: those compressed bytes are
			// shown, named, and counted as unexplained, even where the
			// sizes of the two streams differ too (in the archive).
			if !strings.Contains(out, "zstd input the decoder did not reach") || !strings.Contains(out, "unexplained: 1") {
				t.Errorf("the bytes past the cut are not shown as unexplained; report:\n%s", out)
			}
		})
	}
}

func write(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
