package squashfs

import (
	"cmp"
	"hash/maphash"
	"slices"
	"sync"
)

// Tail ends of files in fragment blocks.
//
// Two images holding the same files may pack their tail ends in other
// orders (a renamed directory sorts elsewhere), so that no two fragment
// blocks are alike and every tail must be decompressed to be compared.
// Compared file by file, in the order of one image, the fragment blocks of
// the other are visited out of order and, whatever the cache, decompressed
// about twice each (measured: 1,833 decompressions of 953 blocks for two
// 1 GiB stores). Instead, the first time a tail of a fragment block is
// wanted, every tail that block holds is hashed at once; after that the
// block is never needed again for a comparison, so each fragment block is
// decompressed at most once per image.
//
// The hash is 128 bits of maphash under two seeds drawn at random for the
// process: an equal hash proves equal bytes except with a probability of
// 2^-128 per pair, and no input can be built to collide without knowing
// the seeds. Unequal hashes prove nothing further: the caller then compares
// the decompressed bytes, as it would have anyway.

// tailSeeds key the tail hashes; the same for every image, so that the
// hashes of two images can be compared.
var tailSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// tailHash is the hash of one tail end.
type tailHash [2]uint64

func hashTail(b []byte) tailHash {
	return tailHash{maphash.Bytes(tailSeeds[0], b), maphash.Bytes(tailSeeds[1], b)}
}

// tailRef is a tail end within its fragment block.
type tailRef struct{ offset, length uint32 }

// compareTails orders tail ends by offset, then length.
func compareTails(a, b tailRef) int {
	if a.offset != b.offset {
		return cmp.Compare(a.offset, b.offset)
	}
	return cmp.Compare(a.length, b.length)
}

// fragTails are the tail ends one fragment block holds, and their hashes
// once computed.
type fragTails struct {
	block storedBlock
	tails []tailRef // sorted, without repeats
	// end is where the last tail ends when the tails follow one another
	// from the block's start (0 otherwise): a block decompressing to more
	// holds bytes of no file.
	end    uint32
	once   sync.Once
	hashes []tailHash // by index of tails; nil if the block could not be read
}

// tailIndex maps fragment blocks (by start) to their tails. It is built by
// Open and read-only afterwards, but for the hashes, which fragTails.once
// guards.
type tailIndex map[int64]*fragTails

// add records a tail end while the image is walked.
func (x tailIndex) add(f *fragmentRef) {
	ft := x[f.Block.Start]
	if ft == nil {
		ft = &fragTails{block: f.Block}
		x[f.Block.Start] = ft
	}
	ft.tails = append(ft.tails, tailRef{f.Offset, f.Length})
}

// seal sorts every block's tails and drops repeats (hard links).
func (x tailIndex) seal() {
	for _, ft := range x {
		slices.SortFunc(ft.tails, compareTails)
		ft.tails = slices.Compact(ft.tails)
		ft.tails = slices.Clip(ft.tails)
	}
}

// tailHash returns the hash of a file's tail end, hashing every tail of
// its fragment block the first time one is asked for. ok is false when
// the tail is unknown to the index or its block cannot be read (the
// caller's own read then says why).
func (img *imageInfo) tailHash(f *fragmentRef) (h tailHash, ok bool) {
	ft := img.tails[f.Block.Start]
	if ft == nil || ft.block != f.Block {
		return h, false
	}
	ft.once.Do(func() {
		e, err := img.fragmentBlock(ft.block)
		if err != nil {
			return
		}
		defer img.cache.release(e)
		hashes := make([]tailHash, len(ft.tails))
		for i, t := range ft.tails {
			end := int64(t.offset) + int64(t.length)
			if end > int64(len(e.data)) {
				return // a damaged reference: no hashes for this block
			}
			hashes[i] = hashTail(e.data[t.offset:end])
		}
		ft.hashes = hashes
	})
	if ft.hashes == nil {
		return h, false
	}
	i, found := slices.BinarySearchFunc(ft.tails, tailRef{f.Offset, f.Length}, compareTails)
	if !found {
		return h, false
	}
	return ft.hashes[i], true
}
