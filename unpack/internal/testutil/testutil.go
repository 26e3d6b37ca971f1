// Package testutil holds what the format packages' tests share: fixture
// readers, field checks, tree walks and the single-bit flip runner.
package testutil

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"isodiff/unpack"
	"testing"
)

// HeldAt names what holds byte off of a layer.
func HeldAt(n *unpack.Node, off int64) []string {
	return n.Layout().Holding(unpack.Range{Start: off, End: off + 1})
}

// Sha is the SHA-256 of b in hex.
func Sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// DataSHA256 is the SHA-256, in hex, of all of d, read as a stream.
func DataSHA256(t testing.TB, d unpack.Data) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(d, 0, d.Size())); err != nil {
		t.Fatalf("reading content: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
