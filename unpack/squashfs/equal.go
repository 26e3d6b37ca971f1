package squashfs

import (
	"errors"
	"io"
	"isodiff/unpack"
)

// SameStored reports whether d and o are proven to hold the same bytes by
// how they are stored, reading compressed blocks without decompressing
// them: same compressor and block size, the same block list (sizes and
// flags), byte-identical stored blocks, and the same tail-end bytes (by
// their place in byte-identical fragment blocks, or by a keyed 128-bit
// hash of the decompressed tails, see tails.go). It decompresses
// nothing but fragment blocks, each at most once per image however many
// files are compared. False means "not proven": the caller
// compares the decompressed bytes, since different stored bytes may still
// decompress to the same content.
func (d *fileContent) SameStored(other unpack.Data) (bool, error) {
	o, ok := other.(*fileContent)
	if !ok {
		return false, nil
	}
	if d.size != o.size || d.img.compName != o.img.compName || d.img.blockSize != o.img.blockSize ||
		len(d.blocks) != len(o.blocks) || (d.frag == nil) != (o.frag == nil) {
		return false, nil
	}
	for i, b := range d.blocks {
		c := o.blocks[i]
		if b.DiskSize != c.DiskSize || b.Compressed != c.Compressed || b.Sparse != c.Sparse {
			return false, nil
		}
	}
	for i, b := range d.blocks {
		if b.Sparse {
			continue
		}
		same, err := sameRange(d.img.r, b.Start, o.img.r, o.blocks[i].Start, int64(b.DiskSize))
		if err != nil || !same {
			return false, err
		}
	}
	if d.frag == nil {
		return true, nil
	}
	if d.frag.Length != o.frag.Length {
		return false, nil
	}
	// The tail: equal when both sit at the same place of byte-identical
	// fragment blocks; else compare the decompressed tails themselves.
	fa, fb := d.frag, o.frag
	if fa.Offset == fb.Offset && fa.Block.DiskSize == fb.Block.DiskSize && fa.Block.Compressed == fb.Block.Compressed {
		key := fragPair{o.img, fa.Block.Start, fb.Block.Start}
		same, known := d.img.sameFrag.Load(key)
		if !known {
			s, err := sameRange(d.img.r, fa.Block.Start, o.img.r, fb.Block.Start, int64(fa.Block.DiskSize))
			if err != nil {
				return false, err
			}
			d.img.sameFrag.Store(key, s)
			same = s
		}
		if same.(bool) {
			return true, nil
		}
	}
	// Elsewhere: compare the hashes of the tails, which decompresses each
	// fragment block once whatever the order of the comparisons (see
	// tails.go). Unequal or unknown hashes prove nothing: the
	// caller compares the decompressed bytes.
	ha, okA := d.img.tailHash(fa)
	hb, okB := o.img.tailHash(fb)
	return okA && okB && ha == hb, nil
}

// fragPair names a fragment block of one image and one of another.
type fragPair struct {
	image                 *imageInfo
	startHere, startThere int64
}

// sameRange compares n stored bytes of two images. A read that ends early
// proves nothing: the caller's comparison of the decompressed bytes will
// say why.
func sameRange(ra io.ReaderAt, offA int64, rb io.ReaderAt, offB int64, n int64) (bool, error) {
	same, err := unpack.EqualAt(ra, offA, rb, offB, n)
	var re *unpack.ReadError
	if errors.As(err, &re) && (re.Err == io.ErrUnexpectedEOF || re.Err == io.EOF) {
		return false, nil
	}
	return same, err
}
