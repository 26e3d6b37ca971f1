package iso9660

import (
	"bytes"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
	"testing"
)

func FuzzBootCatalog(f *testing.F) {
	seed := func(entries ...[]byte) []byte {
		// Catalog at block 1, a few blocks of boot images after it.
		img := make([]byte, 8*2048)
		off := 2048
		for _, e := range entries {
			off += copy(img[off:], e)
		}
		return img
	}
	f.Add(seed(validationEntry(0, ""), bootEntry(0x88, 0, 4, 2), sectionHeader(0x91, 0xEF, 1, ""), bootEntry(0x88, 0, 0, 4)), int64(1))
	f.Add(seed(validationEntry(0, "x"), bootEntry(0x88, 0, 4, 2), sectionHeader(0x90, 0xEF, 1, "a"),
		bootEntry(0x88, 0x20, 4, 3), extensionEntry(0, "ext"), sectionHeader(0x91, 2, 2, "b"),
		bootEntry(0x00, 2, 1, 4), bootEntry(0x88, 4, 1, 5)), int64(1))
	f.Add(seed(validationEntry(0, ""), bootEntry(0x88, 0, 4, 9)), int64(1))
	f.Add(seed(validationEntry(0, "")), int64(7))
	for _, b := range testutil.FixtureImageHeads(f, 1<<20) {
		if lba := catalogLBAFromBootRecord(b); lba >= 0 && (lba+1)*2048 <= int64(len(b)) {
			// The catalog block first, as block 0, then the blocks
			// after it where xorriso puts the boot images.
			f.Add(b[lba*2048:min(len(b), int(lba*2048)+16<<10)], int64(0))
		}
	}
	// A file starts at every third block, of a size that depends on
	// where: enough to exercise the "whole file" rule.
	files := func(off int64) (string, int64, bool) {
		return "/f", off%10007 + 1, off%(3*2048) == 0
	}
	f.Fuzz(func(t *testing.T, img []byte, lba int64) {
		if len(img) > catalogFuzzMaxInput {
			return
		}
		var claims layout.Claims
		root := readBootCatalog(bytes.NewReader(img), int64(len(img)), lba, files, &claims)
		testutil.CheckRecordInvariants(t, root, &claims, int64(len(img)))
		if len(root.Children) > catalogMaxSectors*catalogSectorSize/catalogEntrySize {
			t.Fatalf("%d entries", len(root.Children))
		}
		padded := append(bytes.Clone(img), bytes.Repeat([]byte{0xA5}, 4096)...)
		again := readBootCatalog(bytes.NewReader(padded), int64(len(img)), lba, files, &layout.Claims{})
		if a, b := testutil.DumpRecords(root), testutil.DumpRecords(again); a != b {
			t.Fatalf("reading beyond size changed the result:\n%s\n---\n%s", a, b)
		}
	})
}

// catalogFuzzMaxInput caps a fuzz input: a catalog is a few sectors.
const catalogFuzzMaxInput = 256 << 10
