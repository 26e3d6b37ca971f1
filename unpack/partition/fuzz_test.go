package partition

import (
	"bytes"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
	"testing"
)

// sysFuzzMaxInput caps fuzz inputs: the structures read here are a few KiB,
// and a bigger input only slows the fuzzer down.
const sysFuzzMaxInput = 256 << 10

func FuzzSystemArea(f *testing.F) {
	f.Add(hybridImage())
	f.Add(hybridImage()[:1500])
	small := make([]byte, 40*512)
	copy(small, hybridImage()[:512])
	putGPTPair(small, 512, 4, 128, testGPTEntries[:2])
	f.Add(small)
	big := make([]byte, 16*2048)
	big[510], big[511] = 0x55, 0xAA
	putGPTPair(big, 2048, 8, 256, testGPTEntries[2:])
	f.Add(big)
	for _, b := range testutil.FixtureImageHeads(f, 64<<10) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, img []byte) {
		if len(img) > sysFuzzMaxInput {
			return
		}
		var claims layout.Claims
		root := ReadSystemArea(bytes.NewReader(img), int64(len(img)), &claims)
		testutil.CheckRecordInvariants(t, root, &claims, int64(len(img)))
		// Deterministic, and independent of what lies past size.
		padded := append(bytes.Clone(img), bytes.Repeat([]byte{0xA5}, 4096)...)
		again := ReadSystemArea(bytes.NewReader(padded), int64(len(img)), &layout.Claims{})
		if a, b := testutil.DumpRecords(root), testutil.DumpRecords(again); a != b {
			t.Fatalf("reading beyond size changed the result:\n%s\n---\n%s", a, b)
		}
	})
}
