package testutil

import (
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
