package unpack

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func mapTemp(t *testing.T, b []byte) (*Mapped, *os.File) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "img"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	m, err := MapFile(f, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, f
}

func TestSameBytes(t *testing.T) {
	data := make([]byte, 3<<20+123)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	other := bytes.Clone(data)
	other[2<<20+77] ^= 1
	ma, _ := mapTemp(t, data)
	mb, _ := mapTemp(t, other)
	n := int64(len(data))

	for _, c := range []struct {
		name       string
		ra, rb     io.ReaderAt
		offA, offB int64
		n          int64
		same, ok   bool
	}{
		{"whole, one byte differs", ma, mb, 0, 0, n, false, true},
		{"before the byte", ma, mb, 0, 0, 2<<20 + 77, true, true},
		{"through sections", io.NewSectionReader(io.NewSectionReader(ma, 10, n-10), 5, n-20), io.NewSectionReader(mb, 15, n-15), 0, 0, 1 << 20, true, true},
		{"sections over the byte", io.NewSectionReader(ma, 1<<20, n-1<<20), io.NewSectionReader(mb, 1<<20, n-1<<20), 1 << 20, 1 << 20, minMappedCompare, false, true},
		{"shifted", ma, ma, 0, 1, minMappedCompare, false, true},
		{"small: left to a read", ma, ma, 0, 0, minMappedCompare - 1, false, false},
		{"itself", ma, ma, 100, 100, n - 100, true, true},
		{"past the end", ma, mb, n - minMappedCompare + 1, n - minMappedCompare + 1, minMappedCompare, false, false},
		{"past a section's end", io.NewSectionReader(ma, 0, minMappedCompare), mb, 50, 50, minMappedCompare, false, false},
		{"negative", ma, mb, -1, 0, minMappedCompare, false, false},
		{"not mapped", bytes.NewReader(data), mb, 0, 0, minMappedCompare, false, false},
	} {
		same, ok := SameBytes(c.ra, c.offA, c.rb, c.offB, c.n)
		if same != c.same || ok != c.ok {
			t.Errorf("%s: same %v ok %v, want %v %v", c.name, same, ok, c.same, c.ok)
		}
	}
	// ReadAt reads the file.
	p := make([]byte, 10)
	if _, err := ma.ReadAt(p, 1000); err != nil || !bytes.Equal(p, data[1000:1010]) {
		t.Errorf("ReadAt: %v %x", err, p)
	}
}

// TestSameBytesTruncated: a file cut short while mapped is not a crash
// (SIGBUS) but "could not compare", and the caller's read says why.
func TestSameBytesTruncated(t *testing.T) {
	data := bytes.Repeat([]byte("isodiff "), 1<<18) // 2 MiB
	ma, fa := mapTemp(t, data)
	mb, _ := mapTemp(t, data)
	if err := fa.Truncate(minMappedCompare); err != nil {
		t.Fatal(err)
	}
	if same, ok := SameBytes(ma, 0, mb, 0, int64(len(data))); ok {
		t.Errorf("truncated file compared: same %v", same)
	}
	if same, ok := SameBytes(ma, 0, mb, 0, minMappedCompare); !ok || !same {
		t.Errorf("what is left: same %v ok %v", same, ok)
	}
}

func TestMapFileEmpty(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "empty"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := MapFile(f, 0); err == nil {
		t.Error("an empty file was mapped")
	}
}
