package diff

import (
	"bytes"
	"strings"
	"testing"
)

func TestStoreHashesOnly(t *testing.T) {
	const (
		h1 = "/nix/store/g3nd7j0vqw8bgljxdw408s7y6l95a9hy-python3"
		h2 = "/nix/store/a5hvk4wrbzzhcnp9nc4ls1qx7qd0ifbm-python3"
		h3 = "/nix/store/a5hvk4wrbzzhcnp9nc4ls1qx7qd0ifbm-python4"
	)
	for _, tc := range []struct {
		a, b string
		n    int
		only bool
	}{
		{"x " + h1 + "\n" + h1, "x " + h2 + "\n" + h2, 2, true},
		{"x " + h1 + "\n" + h1, "x " + h2 + "\n" + h1, 1, true},
		{"x " + h1, "y " + h2, 0, false}, // a change besides
		{"x " + h1, "x " + h3, 0, false}, // the name after the hash
		{h1 + h1, h2, 0, false},          // another count
		{"x " + h1, "x " + h1, 0, false}, // nothing differs
		{"/nix/store/g3nd7j0vqw8bgljxdw408s7y6l95a9hy", "/nix/store/a5hvk4wrbzzhcnp9nc4ls1qx7qd0ifbm", 0, false},     // no "-": no store path
		{"/nix/store/E3nd7j0vqw8bgljxdw408s7y6l95a9hy-a", "/nix/store/e3nd7j0vqw8bgljxdw408s7y6l95a9hy-a", 0, false}, // not nix base32
	} {
		n, only := storeHashesOnly(tc.a, tc.b)
		if n != tc.n || only != tc.only {
			t.Errorf("storeHashesOnly(%q, %q) = %d, %v; want %d, %v", tc.a, tc.b, n, only, tc.n, tc.only)
		}
	}
	if got := maskStoreHashes("a " + h1 + " b " + h2); got != "a /nix/store/<hash>-python3 b /nix/store/<hash>-python3" {
		t.Errorf("masked: %q", got)
	}
}

// TestHashesOnlyIn: the bytes of a binary, across the edge of the chunks
// it is read in.
func TestHashesOnlyIn(t *testing.T) {
	base := bytes.Repeat([]byte{0xff, 0, 1, 2}, (3<<20)/4)
	put := func(b []byte, off int, hash string) []byte {
		b = bytes.Clone(b)
		copy(b[off:], "/nix/store/"+hash+"-glibc")
		return b
	}
	const h1, h2 = "l6kk57m66yc42vspx4p777j7ssdkrpwl", "0v9c3ifz1ss6xd3zdmm9p0ylrk3jgqdk"
	for _, off := range []int{0, 100, 1<<20 - 20, 1<<20 - 11, 1<<20 - 43, 3<<20 - 49} {
		a, b := put(base, off, h1), put(base, off, h2)
		a, b = put(a, 2<<20, h2), put(b, 2<<20, h1)
		size := int64(len(a))
		if k, err := hashesOnlyIn(bytes.NewReader(a), bytes.NewReader(b), 0, size, size); k != 2 || err != nil {
			t.Errorf("hash at %d: %d hashes, %v; want 2", off, k, err)
		}
		// One byte more, after the hash.
		c := bytes.Clone(b)
		c[off+storeMatch+1] ^= 1
		if k, _ := hashesOnlyIn(bytes.NewReader(a), bytes.NewReader(c), 0, size, size); k != 0 {
			t.Errorf("hash at %d and a byte after it: %d hashes, want 0", off, k)
		}
	}
	// A hash on one side only (the other has no store path there).
	a := put(base, 500, h1)
	b := bytes.Clone(a)
	copy(b[500:], strings.Repeat("x", 11))
	if k, _ := hashesOnlyIn(bytes.NewReader(a), bytes.NewReader(b), 0, int64(len(a)), int64(len(a))); k != 0 {
		t.Errorf("a differing prefix: %d hashes, want 0", k)
	}
}
