package compress

// Byte accounting of the cpio, initramfs and compressed-stream readers:
// every single-bit change of a committed fixture must change something
// the comparison sees (a name, type, field, data byte, order, error or
// child), except a change inside compressed data that still decodes,
// without error, to the same bytes. Such a change is left to the
// comparison's raw-byte backstop; the test checks both that the stream
// decodes to the same bytes and that the changed byte lies in a part of
// the layer's Layout that holds compressed data.

import (
	"isodiff/unpack/internal/testutil"
	"testing"
)

// TestFlipAccountingLz4Frames: the lz4 frame format, which no initrd
// fixture uses (the kernel reads the legacy one), as the lz4 tool writes
// it with every optional part: content size, block and content checksums,
// several blocks.
func TestFlipAccountingLz4Frames(t *testing.T) {
	testutil.NeedCmds(t, "lz4")
	b := testutil.RunCmd(t, testutil.ReadInitrdFixture(t, "base.cpio"), "", "lz4", "-c", "-B4", "-BX", "--content-size", "-9")
	c := testutil.RunFlips(t, testutil.FlipSubject{File: "base.cpio (lz4 -B4 -BX --content-size)", Open: openLz4, Data: b}, testutil.CurrentFlipPlan())
	t.Logf("lz4 frames: %d flips, %d invisible, %d of them exempt", c.Flips, c.Invisible, c.Exempt)
}

func TestFlipAccountingStreams(t *testing.T) {
	for _, s := range []testutil.FlipSubject{
		{File: "initrd-a.gz", Open: openGzip},
		{File: "multimember.gz", Open: openGzip},
		{File: "initrd-a.xz", Open: openXz},
		{File: "initrd-a.zst", Open: openZstd},
		{File: "skippable-two-frames.zst", Open: openZstd},
		{File: "initrd-a.lz4", Open: openLz4Legacy},
		{File: "initrd-a.lzo", Open: openLzop},
		{File: "initrd-a.bz2", Open: openBzip2},
		{File: "initrd-a.lzma", Open: openLZMA},
	} {
		t.Run(s.File, func(t *testing.T) {
			c := testutil.RunFlips(t, s, testutil.CurrentFlipPlan())
			t.Logf("%s: %d flips, %d invisible, %d of them exempt (compressed data decoding to the same bytes)",
				s.File, c.Flips, c.Invisible, c.Exempt)
		})
	}
}
