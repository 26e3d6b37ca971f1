package diff

import (
	"bytes"
	"fmt"
	"regexp"

	"isodiff/unpack"
)

// A store path names its content by a hash: /nix/store/<32 characters of
// nix base32>-name. When one input of a build changes, every file that
// mentions it mentions another hash, while saying the same thing. A pair
// of contents that differ only in such hashes is explained by the cause
// "store path hash"; with Options.MaskStoreHashes, text diffs are made
// with every hash masked on both sides, so that only the lines that differ
// in more than hashes show.

// storeHashRe matches a store path's hash, with the "/nix/store/" before
// it and the "-" after it.
var storeHashRe = regexp.MustCompile(`/nix/store/[0-9abcdfghijklmnpqrsvwxyz]{32}-`)

const (
	storePrefix = 11 // "/nix/store/"
	storeHash   = 32
	// storeMatch is the length of a storeHashRe match.
	storeMatch = storePrefix + storeHash + 1
	// MaskedStoreHash is what a masked hash reads as.
	MaskedStoreHash = "/nix/store/<hash>-"
)

// maskStoreHashes masks every store path hash in s.
func maskStoreHashes(s string) string {
	if !storeHashRe.MatchString(s) {
		return s
	}
	return storeHashRe.ReplaceAllLiteralString(s, MaskedStoreHash)
}

// storeHashesOnly reports whether texts a and b differ in store path
// hashes alone, and in how many of them.
func storeHashesOnly(a, b string) (int, bool) {
	ma, mb := storeHashRe.FindAllStringIndex(a, -1), storeHashRe.FindAllStringIndex(b, -1)
	if len(ma) != len(mb) || len(ma) == 0 {
		return 0, false
	}
	differ, pa, pb := 0, 0, 0
	for i := range ma {
		if a[pa:ma[i][0]] != b[pb:mb[i][0]] {
			return 0, false
		}
		if a[ma[i][0]:ma[i][1]] != b[mb[i][0]:mb[i][1]] {
			differ++
		}
		pa, pb = ma[i][1], mb[i][1]
	}
	if a[pa:] != b[pb:] || differ == 0 {
		return 0, false
	}
	return differ, true
}

func storeHashes(n int) string {
	if n == 1 {
		return "1 store path hash"
	}
	return fmt.Sprintf("%d store path hashes", n)
}

// storeHashText labels a text pair that differs in store path hashes
// alone, and with masking on, makes its diff from the masked texts.
func (c *comparer) storeHashText(n *Node, a, b string) {
	if k, only := storeHashesOnly(a, b); only {
		n.addCause(CauseStoreHash, storeHashes(k)+" in the text")
		n.contentExplained = true
		return
	}
	if !c.opt.MaskStoreHashes {
		return
	}
	ma, mb := maskStoreHashes(a), maskStoreHashes(b)
	if ma == a && mb == b {
		return
	}
	if td := textDiff(c.ctx, ma, mb, c.opt); td != nil {
		n.Content.Text = td
		n.Notes = append(n.Notes, "store path hashes masked as "+MaskedStoreHash+" (--mask-store-hashes)")
	}
}

// storeHashBytes labels a binary pair of one size whose differing bytes
// all lie inside store path hashes, on both sides.
func (c *comparer) storeHashBytes(n *Node, da, db unpack.Data) {
	h := n.Content.Hex
	if h == nil || da == nil || db == nil || n.Content.SizeA != n.Content.SizeB || h.FirstDiff < 0 {
		return
	}
	size := n.Content.SizeA
	// First the bytes around the first and last differences: most pairs
	// are told apart there without reading the rest again.
	for _, off := range []int64{h.FirstDiff, h.LastDiff} {
		if k, err := hashesOnlyIn(da, db, max(0, off-storeMatch), min(size, off+storeMatch), size); err != nil || k == 0 {
			return
		}
	}
	k, err := hashesOnlyIn(da, db, 0, size, size)
	if err != nil || k == 0 {
		return
	}
	n.addCause(CauseStoreHash, "every differing byte lies in "+storeHashes(k))
	n.contentExplained = true
}

// hashesOnlyIn checks bytes [from, to) of two contents of size bytes: it
// returns how many store path hashes differ there, or 0 when a differing
// byte lies outside the hash of a store path on either side.
func hashesOnlyIn(da, db unpack.Data, from, to, size int64) (int, error) {
	const chunk = 1 << 20
	bufA, bufB := make([]byte, min(to-from, chunk)+2*storeMatch), make([]byte, min(to-from, chunk)+2*storeMatch)
	count := 0
	for off := from; off < to; off += chunk {
		end := min(to, off+chunk)
		// The window reaches a match's length either side, so that a hash
		// across the chunk's edge is seen whole.
		lo, hi := max(0, off-storeMatch), min(size, end+storeMatch)
		a, b := bufA[:hi-lo], bufB[:hi-lo]
		if k, err := da.ReadAt(a, lo); k != len(a) {
			return 0, err
		}
		if k, err := db.ReadAt(b, lo); k != len(b) {
			return 0, err
		}
		if bytes.Equal(a[off-lo:end-lo], b[off-lo:end-lo]) {
			continue
		}
		ha, hb := hashSpans(a), hashSpans(b)
		for i := off - lo; i < end-lo; i++ {
			if a[i] == b[i] {
				continue
			}
			sa, sb := spanAt(ha, int(i)), spanAt(hb, int(i))
			if sa < 0 || sa != sb {
				return 0, nil
			}
			// Count each hash once: at its first differing byte.
			if first := firstDiffIn(a, b, sa); int(i) == first && first >= int(off-lo) {
				count++
			}
		}
	}
	return count, nil
}

// hashSpans are the starts of the hashes of the store paths in b.
func hashSpans(b []byte) []int {
	var out []int
	for _, m := range storeHashRe.FindAllIndex(b, -1) {
		out = append(out, m[0]+storePrefix)
	}
	return out
}

// spanAt is the start of the hash holding byte i, or -1.
func spanAt(starts []int, i int) int {
	for _, s := range starts {
		if s <= i && i < s+storeHash {
			return s
		}
		if s > i {
			break
		}
	}
	return -1
}

func firstDiffIn(a, b []byte, start int) int {
	for i := start; i < start+storeHash; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
