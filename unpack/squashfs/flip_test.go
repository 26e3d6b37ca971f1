package squashfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"isodiff/unpack/internal/testutil"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The byte accounting of the squashfs reader, proved by flipping bits: every
// single-bit change of a committed image must change the unpacked tree (a
// Name, Type, Field, Order, Err, Data byte or child), or lie in compressed
// bytes that still decompress to the same bytes (those are left to the
// comparison's raw-byte backstop; the test decompresses both to check).
//
// Flipped: every bit of the superblock, the compressor options, the index
// tables (pointer arrays, the xattr id table header) and the small metadata
// blocks they point to; one bit of every byte of the rest of the tables
// (inode, directory, xattr key/value metadata), of the padding after the
// tables and of the data area, each region past a budget sampled (see
// TestSquashfsBitFlips); the compressed images of the source tree, whose
// structure uncompressed.sqfs has too, with an eighth of the budget.

// flipImages are the fixtures flipped: every compressor, the store, the
// sparse 5 GiB file, and fragment-heavy tails.
var flipImages = []string{"gzip", "zstd", "xz", "uncompressed", "store", "lz4", "lzo", "lzma", "xz-bcj", "large", "tails-a"}

// compressedTree are the images of the source tree whose metadata is
// compressed.
var compressedTree = map[string]bool{"gzip": true, "zstd": true, "xz": true, "lz4": true, "lzo": true, "lzma": true, "xz-bcj": true}

// sqStored is a metadata or data block as stored: bytes [start, end) are its
// content, compressed unless raw.
type sqStored struct {
	start, end int64
	raw        bool
	max        int // largest decompressed size
}

// flipPlan lists the bit positions to flip in one image and the stored
// blocks that hold them.
type flipPlan struct {
	bits   []int64 // bit index: byte*8 + bit
	blocks []sqStored
}

// planSqFlips finds the structures of an image from its superblock alone
// (not with the reader under test), and the data blocks from the tree.
func planSqFlips(t *testing.T, img []byte, tree *unpack.Node, budget int64) flipPlan {
	t.Helper()
	sb := parseSqSuperblock(img)
	le := binary.LittleEndian
	size := int64(len(img))
	end := min(int64(sb.bytesUsed), size)
	var plan flipPlan
	// One bit of each byte, a different one from byte to byte.
	oneBit := func(from, to, stride int64) {
		for p := from; p < min(to, size); p += stride {
			plan.bits = append(plan.bits, p*8+(p*3+p>>3)&7)
		}
	}
	// One bit of every byte, or, past budget bytes, of every byte of the
	// first and last quarter-budget and of a sample in between.
	region := func(from, to int64) {
		n := to - from
		if budget <= 0 || n <= budget {
			oneBit(from, to, 1)
			return
		}
		oneBit(from, from+budget/4, 1)
		oneBit(to-budget/4, to, 1)
		oneBit(from+budget/4, to-budget/4, max(1, (n-budget/2)/(budget/2)))
	}
	var done []unpack.Range // regions flipped by everyBit
	everyBit := func(from, to int64) {
		done = append(done, unpack.Range{Start: from, End: to})
		// Small index tables and the superblock bit by bit.
		if budget > 0 && to-from > max(budget/8, 16) && from != 0 {
			region(from, to)
			return
		}
		for p := from; p < min(to, size); p++ {
			for b := int64(0); b < 8; b++ {
				plan.bits = append(plan.bits, p*8+b)
			}
		}
	}
	stops := map[int64]bool{end: true}
	var pointed []int64
	table := func(at int64, n int) {
		if at < 0 || at+int64(n)*8 > size {
			t.Fatalf("index table at %d outside the image", at)
		}
		stops[at] = true
		everyBit(at, at+int64(n)*8)
		for i := 0; i < n; i++ {
			pointed = append(pointed, int64(le.Uint64(img[at+int64(i)*8:])))
		}
	}
	blocksOf := func(entries, size int) int { return (entries*size + 8191) / 8192 }
	everyBit(0, superSize)
	metaStart := int64(superSize)
	if sb.flags&flagCompressorOptions != 0 {
		n := int64(le.Uint16(img[superSize:]) &^ metaUncomp)
		plan.blocks = append(plan.blocks, sqStored{superSize + 2, superSize + 2 + n, le.Uint16(img[superSize:])&metaUncomp != 0, metaSize})
		everyBit(superSize, superSize+2+n)
		metaStart += 2 + n
	}
	if sb.fragCount > 0 {
		table(int64(sb.fragTable), blocksOf(int(sb.fragCount), 16))
	}
	if sb.exportTable != ^uint64(0) {
		table(int64(sb.exportTable), blocksOf(int(sb.inodeCount), 8))
	}
	table(int64(sb.idTable), blocksOf(int(sb.idCount), 4))
	chains := []int64{int64(sb.inodeTable), int64(sb.dirTable)}
	if sb.xattrTable != ^uint64(0) {
		at := int64(sb.xattrTable)
		stops[at] = true
		everyBit(at, at+16)
		chains = append(chains, int64(le.Uint64(img[at:])))
		table(at+16, blocksOf(int(le.Uint32(img[at+8:])), 16))
	}
	// Metadata blocks: chains from each table start, each ending where an
	// index table (or the end) begins.
	seen := map[int64]bool{}
	for _, p := range append(chains, pointed...) {
		for p >= 0 && p+2 <= end && !stops[p] && !seen[p] {
			seen[p] = true
			h := le.Uint16(img[p:])
			n := int64(h &^ metaUncomp)
			plan.blocks = append(plan.blocks, sqStored{p + 2, p + 2 + n, h&metaUncomp != 0, metaSize})
			p += 2 + n
		}
	}
	for _, p := range pointed {
		n := int64(le.Uint16(img[p:]) &^ metaUncomp)
		everyBit(p, p+2+n)
	}
	// The rest of the tables, the padding and the data area.
	handled := map[int64]bool{}
	for _, r := range done {
		for p := r.Start; p < r.End; p++ {
			handled[p] = true
		}
	}
	var rest []int64
	for p := int64(sb.inodeTable); p < end; p++ {
		if !handled[p] {
			rest = append(rest, p)
		}
	}
	for i := 0; i < len(rest); {
		j := i + 1
		for j < len(rest) && rest[j] == rest[j-1]+1 {
			j++
		}
		region(rest[i], rest[j-1]+1)
		i = j
	}
	region(end, size) // padding
	region(metaStart, int64(sb.inodeTable))

	// Data and fragment blocks, from the tree.
	tree.Walk("/", func(n *unpack.Node, _ string) {
		d, ok := n.Data.(*fileContent)
		if !ok {
			return
		}
		blocks, frag := d.Blocks()
		for _, b := range blocks {
			if !b.Sparse {
				plan.blocks = append(plan.blocks, sqStored{b.Start, b.Start + int64(b.DiskSize), !b.Compressed, int(sb.blockSize)})
			}
		}
		if frag != nil {
			plan.blocks = append(plan.blocks, sqStored{frag.Block.Start, frag.Block.Start + int64(frag.Block.DiskSize), !frag.Block.Compressed, int(sb.blockSize)})
		}
	})
	slices.Sort(plan.bits)
	plan.bits = slices.Compact(plan.bits)
	return plan
}

// sameDecompressed reports whether the flip at byte pos lies in a compressed
// block that decompresses to the same bytes before and after.
func (p *flipPlan) sameDecompressed(orig, flipped []byte, pos int64, comp uint16, blockSize uint32) bool {
	dec, err := newSqDecompressor(comp, blockSize)
	if err != nil {
		return false
	}
	for _, b := range p.blocks {
		if b.raw || pos < b.start || pos >= b.end {
			continue
		}
		x, errX := dec.decompress(make([]byte, 0, b.max), orig[b.start:b.end])
		y, errY := dec.decompress(make([]byte, 0, b.max), flipped[b.start:b.end])
		return errX == nil && errY == nil && bytes.Equal(x, y)
	}
	return false
}

// dataDiff compares two Data, "" when they hold the same bytes and read
// with the same errors.
func dataDiff(a, b unpack.Data, flip int64) string {
	if (a == nil) != (b == nil) {
		return "data on one side only"
	}
	if a == nil {
		return ""
	}
	if a.Size() != b.Size() {
		return fmt.Sprintf("data size %d, %d", a.Size(), b.Size())
	}
	// Holes of both sides read as zeros on both: not read.
	var skip []unpack.Range
	from, to := int64(0), a.Size()
	if sa, ok := a.(*fileContent); ok {
		if sb, ok := b.(*fileContent); ok {
			if sameLayout(sa, sb) {
				// Stored alike: only the block holding the flip can differ.
				r, ok := storedAt(sa, flip)
				if !ok {
					return ""
				}
				from, to = r.Start, r.End
			}
			skip = commonHoles(sa, sb)
		}
	}
	const chunk = 1 << 20
	bufA, bufB := make([]byte, chunk), make([]byte, chunk)
	for off := from; off < to; {
		if len(skip) > 0 && off >= skip[0].Start {
			off = max(off, skip[0].End)
			skip = skip[1:]
			continue
		}
		n := min(int64(chunk), to-off)
		if len(skip) > 0 {
			n = min(n, skip[0].Start-off)
		}
		ka, errA := a.ReadAt(bufA[:n], off)
		kb, errB := b.ReadAt(bufB[:n], off)
		if errors.Is(errA, io.EOF) && int64(ka) == n {
			errA = nil
		}
		if errors.Is(errB, io.EOF) && int64(kb) == n {
			errB = nil
		}
		if ka != kb || testutil.ErrString(errA) != testutil.ErrString(errB) || !bytes.Equal(bufA[:ka], bufB[:kb]) {
			return fmt.Sprintf("data differs in %d bytes at %d (%v, %v)", n, off, errA, errB)
		}
		if errA != nil {
			return ""
		}
		off += n
	}
	return ""
}

// sameLayout: the same blocks at the same places, the same tail.
func sameLayout(a, b *fileContent) bool {
	ba, fa := a.Blocks()
	bb, fb := b.Blocks()
	if len(ba) != len(bb) || (fa == nil) != (fb == nil) || (fa != nil && *fa != *fb) {
		return false
	}
	for i := range ba {
		if ba[i] != bb[i] {
			return false
		}
	}
	return true
}

// storedAt returns the file bytes stored in the block that holds byte
// pos of the image, if one of d's blocks (or its fragment block) does.
func storedAt(d *fileContent, pos int64) (unpack.Range, bool) {
	blocks, frag := d.Blocks()
	bs := int64(d.img.blockSize)
	for i, b := range blocks {
		if pos >= b.Start && pos < b.Start+int64(b.DiskSize) {
			return unpack.Range{Start: int64(i) * bs, End: min(int64(i+1)*bs, d.Size())}, true
		}
	}
	if frag != nil && pos >= frag.Block.Start && pos < frag.Block.Start+int64(frag.Block.DiskSize) {
		return unpack.Range{Start: int64(len(blocks)) * bs, End: d.Size()}, true
	}
	return unpack.Range{}, false
}

// commonHoles are the file ranges that are holes in both files.
func commonHoles(a, b *fileContent) []unpack.Range {
	holes := func(d *fileContent) map[int]bool {
		m := map[int]bool{}
		blocks, _ := d.Blocks()
		for i, bl := range blocks {
			if bl.Sparse {
				m[i] = true
			}
		}
		return m
	}
	ha, hb := holes(a), holes(b)
	bs := int64(a.img.blockSize)
	if b.img.blockSize != a.img.blockSize {
		return nil
	}
	var out []unpack.Range
	blocks, _ := a.Blocks()
	for i := range blocks {
		if !ha[i] || !hb[i] {
			continue
		}
		s, e := int64(i)*bs, min(int64(i+1)*bs, a.Size())
		if len(out) > 0 && out[len(out)-1].End == s {
			out[len(out)-1].End = e
		} else {
			out = append(out, unpack.Range{Start: s, End: e})
		}
	}
	return out
}

// TestSquashfsBitFlips flips bits of the fixtures (see the top of this
// file). A region of the tables (or the padding, or the data area) larger
// than a budget of 128 bytes has the first and last quarter-budget flipped
// byte by byte and a sample of half the budget between;
// ISODIFF_SQUASHFS_FLIPS=N sets the budget (512: three minutes), =all
// flips one bit of every byte however large the region (a quarter of an
// hour).
func TestSquashfsBitFlips(t *testing.T) {
	budget := int64(128)
	if v := os.Getenv("ISODIFF_SQUASHFS_FLIPS"); v == "all" {
		budget = 0
	} else if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		budget = n
	}
	images := flipImages
	if testutil.RaceEnabled && budget == 128 {
		images = []string{"gzip", "uncompressed", "store"}
	}
	var total, totalInvisible, totalExempt int
	for _, name := range images {
		t.Run(name, func(t *testing.T) {
			orig, err := os.ReadFile(filepath.Join(fixtureDir, name+".sqfs"))
			if err != nil {
				t.Fatal(err)
			}
			origTree, err := Open(bytes.NewReader(orig), int64(len(orig)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if s := nodeErrors(origTree); len(s) > 0 {
				t.Fatalf("errors in the committed image: %v", s)
			}
			b := budget
			if b > 0 && compressedTree[name] {
				// The same tree as uncompressed.sqfs, whose tables are
				// flipped in full: here the compressed bytes matter.
				b /= 8
			}
			plan := planSqFlips(t, orig, origTree, b)
			sb := parseSqSuperblock(orig)
			type result struct {
				bit               int64
				invisible, exempt bool
			}
			results := make([]result, len(plan.bits))
			var wg sync.WaitGroup
			workers := min(runtime.GOMAXPROCS(0), 4)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					work := bytes.Clone(orig)
					for i := w; i < len(plan.bits); i += workers {
						bit := plan.bits[i]
						pos := bit / 8
						work[pos] ^= 1 << (bit % 8)
						tree, err := Open(bytes.NewReader(work), int64(len(work)), nil)
						same := err == nil && testutil.TreeDiff(origTree, tree, func(a, b *unpack.Node) string { return dataDiff(a.Data, b.Data, pos) }) == ""
						r := result{bit: bit}
						if same {
							if plan.sameDecompressed(orig, work, pos, sb.compressor, sb.blockSize) {
								r.exempt = true
							} else {
								r.invisible = true
							}
						}
						results[i] = r
						work[pos] ^= 1 << (bit % 8)
					}
				}()
			}
			wg.Wait()
			invisible, exempt := 0, 0
			var examples []string
			for _, r := range results {
				switch {
				case r.exempt:
					exempt++
				case r.invisible:
					invisible++
					if len(examples) < 30 {
						examples = append(examples, fmt.Sprintf("%d.%d", r.bit/8, r.bit%8))
					}
				}
			}
			t.Logf("%d flips, %d invisible, %d in compressed bytes that decompress the same", len(plan.bits), invisible, exempt)
			total += len(plan.bits)
			totalInvisible += invisible
			totalExempt += exempt
			if invisible > 0 {
				t.Errorf("%d of %d flips change nothing unpacked (byte.bit): %v", invisible, len(plan.bits), examples)
			}
		})
	}
	t.Logf("in all: %d flips, %d invisible, %d exempt", total, totalInvisible, totalExempt)
}

// oddFields are the fields present only when an image holds something
// mksquashfs never writes.
var oddFields = []string{"table layout", "id table", "mode type bits", "inode form", "parent inode", "listing at", "fragment offset", "blocks start"}

// TestSquashfsAccountingQuiet: the committed images, made by mksquashfs,
// have none of the fields that show odd bits, nothing unread, and no byte
// unclaimed but the padding after the tables; the claims name what holds
// each part.
func TestSquashfsAccountingQuiet(t *testing.T) {
	names := append(append([]string{}, treeImages...), "order-a", "order-b", "tails-a", "tails-b", "store", "large")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			root, img := openSqFixture(t, name)
			var visit func(n *unpack.Node, path string)
			visit = func(n *unpack.Node, path string) {
				for _, f := range oddFields {
					if v, ok := n.Field(f); ok {
						t.Errorf("%s: %s: %s", path, f, v)
					}
				}
				for _, c := range n.Children {
					visit(c, show.JoinPath(path, c.Name))
				}
			}
			visit(root, "")
			if n := root.Child("[unread metadata]"); n != nil {
				t.Errorf("unread metadata: %d runs, first %s", len(n.Children), n.Children[0].Name)
			}
			un := root.Child("[unclaimed bytes]")
			if un == nil || root.Layout() == nil {
				t.Fatal("no [unclaimed bytes] or no layout")
			}
			used := int64(parseSqSuperblock(img).bytesUsed)
			want := []unpack.Range{{Start: used, End: int64(len(img))}}
			if used == int64(len(img)) {
				want = nil
			}
			if got := un.Data.(*layout.Masked).Ranges(); !slices.Equal(got, want) {
				t.Errorf("unclaimed %v, want %v (the padding)", got, want)
			}
			sb := parseSqSuperblock(img)
			for _, c := range []struct {
				at   uint64
				want string
			}{{0, "superblock"}, {sb.inodeTable, "inode table"}, {sb.dirTable, "directory table"}, {sb.idTable, "id table index"}} {
				if got := root.Layout().Holding(unpack.Range{Start: int64(c.at), End: int64(c.at) + 1}); !slices.Contains(got, c.want) {
					t.Errorf("byte %d held by %v, want %q", c.at, got, c.want)
				}
			}
		})
	}
}

// TestSquashfsOddBitsShow: a few of the bits the flips above reach, each
// shown where one would look for it.
func TestSquashfsOddBitsShow(t *testing.T) {
	_, orig := openSqFixture(t, "uncompressed")
	open := func(b []byte) *unpack.Node {
		root, err := Open(bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	sb := parseSqSuperblock(orig)

	// The export table's start, read by nothing else.
	b := bytes.Clone(orig)
	b[88] ^= 0x10
	if v, _ := open(b).Field("table layout"); !strings.Contains(v, "export table at") {
		t.Errorf("export table start moved: table layout %q", v)
	}

	// The file type bits of a mode, which the inode type overrides.
	entries := rootListing(t, orig, sb)
	found := false
	for _, e := range entries {
		if e.name != "README.txt" {
			continue
		}
		found = true
		// Uncompressed metadata: the inode is where its reference says,
		// after the block's 2-byte header; its mode is at byte 2.
		at := int64(sb.inodeTable) + int64(e.ref>>16) + 2 + int64(e.ref&0xffff) + 2
		b := bytes.Clone(orig)
		b[at+1] |= 0x80 // S_IFREG
		n := open(b).Child("/").Child("README.txt")
		if v, ok := n.Field("mode type bits"); !ok || v != "0100000" {
			t.Errorf("README.txt with S_IFREG stored: mode type bits %q", v)
		}
		if m, _ := n.Field("mode"); !strings.HasPrefix(m, "-rw") {
			t.Errorf("mode %q", m)
		}
	}
	if !found {
		t.Fatal("no README.txt in the root listing")
	}

	// The padding after the tables.
	b = bytes.Clone(orig)
	b[len(b)-1] ^= 1
	if dataDiff(open(orig).Child("[unclaimed bytes]").Data, open(b).Child("[unclaimed bytes]").Data, -1) == "" {
		t.Error("a flip in the padding does not show in [unclaimed bytes]")
	}
	if got := open(orig).Layout().Holding(unpack.Range{Start: int64(sb.bytesUsed), End: int64(sb.bytesUsed) + 1}); len(got) != 0 {
		t.Errorf("the padding is held by %v", got)
	}
}

// rootListing reads the root directory's entries of an image the way
// the reader does, for tests that poke at one entry's inode bytes.
func rootListing(t *testing.T, orig []byte, sb superBlock) []dirEntry {
	t.Helper()
	img := &imageInfo{r: bytes.NewReader(orig), size: int64(len(orig)), meta: newMetaCache(16), metaBudget: 1 << 30, blockSize: sb.blockSize}
	img.inodeTable, img.dirTable = int64(sb.inodeTable), int64(sb.dirTable)
	img.dec, _ = newSqDecompressor(sb.compressor, sb.blockSize)
	w := &treeWalker{img: img, sb: sb, maxEntries: 1 << 20}
	rootIno, err := w.readInode(sb.rootRef)
	if err != nil {
		t.Fatal(err)
	}
	var entries []dirEntry
	_, _, err = w.readListing(rootIno, nil, func(e *dirEntry, _ int) { entries = append(entries, *e) })
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
