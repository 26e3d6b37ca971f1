package testutil

import (
	"errors"
	"io"
	"isodiff/unpack"
	"os"
	"path/filepath"
	"testing"
)

// ArchiveFixtureDir holds the files fixtures/build-archives.sh makes, seen
// from the directory of a package under unpack/.
var ArchiveFixtureDir = filepath.Join("..", "..", "fixtures", "archives")

// ReadArchiveFixture reads a file of fixtures/archives.
func ReadArchiveFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ArchiveFixtureDir, name))
	if err != nil {
		t.Fatalf("fixture %s: %v (rebuild with fixtures/build-archives.sh)", name, err)
	}
	return b
}

// DropUnreadableData reads the data of every node of a tree and drops
// what fails to read with a FormatError: data decoded when first read
// (a zip entry, a PNG's pixels) say so there, and a comparison shows the
// entry unreadable. Any other failure fails the test.
func DropUnreadableData(t testing.TB, n *unpack.Node) {
	t.Helper()
	if n.Data != nil {
		_, err := io.Copy(io.Discard, io.NewSectionReader(n.Data, 0, n.Data.Size()))
		var fe *unpack.FormatError
		switch {
		case errors.As(err, &fe):
			n.Data = nil
		case err != nil:
			t.Fatalf("%q: reading data: %v", n.Name, err)
		}
	}
	for _, c := range n.Children {
		DropUnreadableData(t, c)
	}
}
