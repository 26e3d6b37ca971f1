// Package testutil holds what the format packages' tests share: fixture
// readers, field checks, tree walks and the single-bit flip runner.
package testutil

import (
	"crypto/sha256"
	"encoding/hex"
	"isodiff/unpack"
)

// HeldAt names what holds byte off of a layer.
func HeldAt(n *unpack.Node, off int64) []string {
	return n.Layout.Holding(unpack.Range{Start: off, End: off + 1})
}

// Sha is the SHA-256 of b in hex.
func Sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
