package compress

import (
	"bufio"
	"bytes"
	"errors"
	"isodiff/unpack"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/testutil"
	"isodiff/unpack/internal/trailing"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz inputs are capped (see maxFuzzInput): structure matters, not size.
const MaxStreamFuzzInput = 64 << 10

// fuzzEnvCap is the decompressed size cap in fuzzing: a bomb stops early.
const fuzzEnvCap = 1 << 20

// initrdFuzzSeeds are the fixtures of fixtures/initrd, each cut to the
// fuzz input cap.
func initrdFuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	files, _ := filepath.Glob(filepath.Join(testutil.InitrdFixtureDir, "*"))
	for _, p := range files {
		if filepath.Base(p) == "SHA256SUMS" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		seeds = append(seeds, b[:min(len(b), MaxStreamFuzzInput)])
	}
	return seeds
}

func fuzzEnv(t *testing.T) *unpack.Env {
	env := &unpack.Env{TempDir: t.TempDir(), MaxDecompressed: fuzzEnvCap}
	t.Cleanup(func() { env.Close() })
	return env
}

// FuzzDetect runs detection and then every registered format's Open on
// the input, as a comparison may.
func FuzzDetect(f *testing.F) {
	for _, s := range initrdFuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxStreamFuzzInput {
			return
		}
		r := bytes.NewReader(data)
		size := int64(len(data))
		env := fuzzEnv(t)
		if f, ok := unpack.Detect(r, size, testFormats); ok {
			if n, err := f.Open(r, size, env); err == nil {
				testutil.CheckLayerTree(t, n, 0)
			}
		}
		for _, f := range testFormats {
			n, err := f.Open(r, size, env)
			if err != nil {
				continue
			}
			testutil.CheckLayerTree(t, n, 0)
		}
	})
}

// FuzzGzipHeader feeds member headers to the header parser and whole
// inputs to the gzip reader.
func FuzzGzipHeader(f *testing.F) {
	for _, name := range []string{"manpage.1.gz", "manpage-n.1.gz", "multimember.gz", "initrd-a.gz", "bomb.gz"} {
		if b, err := os.ReadFile(filepath.Join(testutil.InitrdFixtureDir, name)); err == nil {
			f.Add(b[:min(len(b), 4096)])
		}
	}
	f.Add(gzipMember(f, 0x1f, 2, 3, 1, []byte("extra"), "name", "comment", []byte("data"), 9))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxStreamFuzzInput {
			return
		}
		h, err := readGzipHeader(bufio.NewReader(bytes.NewReader(data)), 0)
		if err == nil {
			if h.length > int64(len(data)) || h.length < 10 {
				t.Fatalf("header length %d of %d bytes", h.length, len(data))
			}
			_ = h.fields()
		} else {
			var fe *unpack.FormatError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(len(data)) {
				t.Fatalf("error %v", err)
			}
		}
		if matchGzip(data, nil, 0) {
			n, err := openGzip(bytes.NewReader(data), int64(len(data)), fuzzEnv(t))
			if err != nil {
				t.Fatalf("matched, then %v", err)
			}
			testutil.CheckLayerTree(t, n, 0)
		}
	})
}

// FuzzLz4Legacy feeds legacy lz4 streams: block sizes, concatenation
// magics, corrupt blocks.
func FuzzLz4Legacy(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(testutil.InitrdFixtureDir, "initrd-a.lz4")); err == nil {
		f.Add(b[:min(len(b), MaxStreamFuzzInput)])
	}
	data := bytes.Repeat([]byte("legacy block "), 3000)
	one := testutil.Lz4LegacyCompress(f, data, 8<<20)
	f.Add(testutil.Lz4LegacyCompress(f, data, 5000))
	f.Add(append(bytes.Clone(one), one...))
	f.Add(append(bytes.Clone(one), 0, 0, 0, 0, 1, 2, 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxStreamFuzzInput {
			return
		}
		b := append([]byte{0x02, 0x21, 0x4c, 0x18}, data...)
		size := int64(len(b))
		n, err := openLz4Legacy(bytes.NewReader(b), size, fuzzEnv(t))
		if err != nil {
			t.Fatal(err)
		}
		testutil.CheckLayerTree(t, n, 0)
		end := lz4LegacyEnd(readat.NewPeek(bytes.NewReader(b), size), 0, size)
		if end < 4 || end > size {
			t.Fatalf("end %d of %d", end, size)
		}
		// The stream reader and the splitter agree on where a sound
		// stream ends.
		if want := soundStreamEnd(n, size); want >= 0 && end != want {
			t.Fatalf("lz4LegacyEnd %d, the stream ended at %d", end, want)
		}
	})
}

// FuzzLzop feeds lzop files: headers with every optional part, blocks
// stored and compressed, damaged checksums and data.
func FuzzLzop(f *testing.F) {
	for _, name := range []string{"initrd-a.lzo", "initrd-named.lzo"} {
		if b, err := os.ReadFile(filepath.Join(testutil.InitrdFixtureDir, name)); err == nil {
			f.Add(b[:min(len(b), MaxStreamFuzzInput)])
			f.Add(append(bytes.Clone(b), b...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxStreamFuzzInput {
			return
		}
		size := int64(len(data))
		end, endOK := lzopStreamEnd(readat.NewPeek(bytes.NewReader(data), size), 0, size)
		if end < 0 || end > size {
			t.Fatalf("end %d of %d", end, size)
		}
		if !matchLzop(data, nil, 0) {
			return
		}
		n, err := openLzop(bytes.NewReader(data), size, fuzzEnv(t))
		if err != nil {
			var fe *unpack.FormatError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > size {
				t.Fatalf("error %v", err)
			}
			return
		}
		testutil.CheckLayerTree(t, n, 0)
		// The stream reader and the splitter agree on where a sound
		// stream ends.
		if want := soundStreamEnd(n, size); want >= 0 && (!endOK || end != want) {
			t.Fatalf("lzopStreamEnd %d %v, the stream ended at %d", end, endOK, want)
		}
	})
}

// soundStreamEnd is where a stream layer that decoded without error says
// its stream ended: where its trailing bytes start, else the end of the
// input; -1 when it is followed by padding (or could not be decoded).
func soundStreamEnd(n *unpack.Node, size int64) int64 {
	if c := n.Child("content"); c == nil || c.Err != nil {
		return -1
	}
	if tr := n.Child(trailing.Name); tr != nil {
		return tr.Offset
	}
	if _, ok := n.Field("padding"); ok {
		return -1
	}
	return size
}
