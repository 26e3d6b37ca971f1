package png

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	stdpng "image/png"
	"isodiff/unpack"
	"isodiff/unpack/internal/testutil"
	"strings"
	"testing"
)

func openPNG(t testing.TB, b []byte) *unpack.Node {
	t.Helper()
	n, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPNGChunks: the chunks in order, the header's fields, the times
// ImageMagick writes, and the pixels as image/png decodes them.
func TestPNGChunks(t *testing.T) {
	plain := openPNG(t, testutil.ReadArchiveFixture(t, "png-plain.png"))
	timed := openPNG(t, testutil.ReadArchiveFixture(t, "png-time.png"))
	if plain.Err != nil || timed.Err != nil {
		t.Fatal(plain.Err, timed.Err)
	}
	if got := strings.Join(plain.Order(), " "); got != "IHDR gAMA cHRM bKGD IDAT IEND" {
		t.Errorf("order %q", got)
	}
	if got := strings.Join(timed.Order(), " "); got != "IHDR gAMA cHRM bKGD tIME IDAT tEXt date:create tEXt date:modify IEND" {
		t.Errorf("order %q", got)
	}
	ihdr := plain.Child("IHDR")
	testutil.WantField(t, ihdr, "width", "24")
	testutil.WantField(t, ihdr, "height", "16")
	testutil.WantField(t, ihdr, "colour type", "2 (truecolour)")
	testutil.WantField(t, timed.Child("tIME"), "tIME", "2023-11-14T22:13:20Z")
	testutil.WantField(t, timed.Child("tEXt date:modify"), "date:modify", "2023-11-14T22:13:20+00:00")
	if testutil.ReadDiff(plain.Child(PixelsName).Data, timed.Child(PixelsName).Data) != "" {
		t.Error("the same image with and without times: pixels differ")
	}
	pixels := openPNG(t, testutil.ReadArchiveFixture(t, "png-pixels.png"))
	pa, pb := testutil.DataBytes(t, plain.Child(PixelsName).Data), testutil.DataBytes(t, pixels.Child(PixelsName).Data)
	var differ []int
	for i := 0; i < len(pa); i += bytesPerPixel {
		if !bytes.Equal(pa[i:i+bytesPerPixel], pb[i:i+bytesPerPixel]) {
			differ = append(differ, i/bytesPerPixel)
		}
	}
	// Points (5,3) and (9,7) of a 24-pixel-wide image.
	if len(differ) != 2 || differ[0] != 3*24+5 || differ[1] != 7*24+9 {
		t.Errorf("differing pixels %v", differ)
	}
	testutil.CheckLayerTree(t, timed, 0)
}

// TestPNGGoEncoded: an image image/png writes (a palette, transparency) decodes to its own pixels.
func TestPNGGoEncoded(t *testing.T) {
	img := image.NewPaletted(image.Rect(0, 0, 300, 200), color.Palette{color.Black, color.White, color.NRGBA{R: 255, A: 128}})
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 % 3)
	}
	var buf bytes.Buffer
	enc := stdpng.Encoder{CompressionLevel: stdpng.NoCompression}
	if err := enc.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	root := openPNG(t, buf.Bytes())
	if root.Err != nil || root.Child("PLTE") == nil || root.Child("tRNS") == nil {
		t.Fatalf("err %v, chunks %v", root.Err, root.Order())
	}
	px := testutil.DataBytes(t, root.Child(PixelsName).Data)
	// Pixel 1 is palette entry 1, white; pixel 2 half-transparent red.
	if !bytes.Equal(px[8:16], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) || !bytes.Equal(px[16:24], []byte{0xff, 0xff, 0, 0, 0, 0, 0x80, 0x80}) {
		t.Errorf("pixels %x", px[:24])
	}
}

// TestPNGBounded: a header asking for more pixels than the budget is not
// decoded; a wrong CRC marks its chunk; text is bounded.
func TestPNGBounded(t *testing.T) {
	b := testutil.ReadArchiveFixture(t, "png-plain.png")
	huge := bytes.Clone(b)
	binary.BigEndian.PutUint32(huge[16:], 100000)
	binary.BigEndian.PutUint32(huge[20:], 100000)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	root := openPNG(t, huge)
	if root.Child(PixelsName) != nil {
		t.Error("10^10 pixels decoded")
	}
	if v, _ := root.Field("pixels"); !strings.HasPrefix(v, "not decoded: 100000x100000") {
		t.Errorf("pixels field %q", v)
	}
	bad := bytes.Clone(b)
	bad[23] ^= 1 // the height: 17 rows
	root = openPNG(t, bad)
	testutil.WantFormatErr(t, root.Child("IHDR").Err, layerName, 29, 29)
	if _, err := root.Child(PixelsName).Data.ReadAt(make([]byte, 8), 0); err == nil {
		t.Error("pixels of an image with a broken header read without error")
	}
}

// TestPNGFlipAccounting: every single-bit change of an image changes
// something a comparison sees.
func TestPNGFlipAccounting(t *testing.T) {
	for _, name := range []string{"png-time.png", "png-plain.png"} {
		t.Run(name, func(t *testing.T) {
			b := testutil.ReadArchiveFixture(t, name)
			c := testutil.RunFlips(t, testutil.FlipSubject{File: name, Open: Open, Data: b}, testutil.CurrentFlipPlan())
			t.Logf("%s: %d flips, %d invisible", name, c.Flips, c.Invisible)
		})
	}
}

// FuzzPNG feeds images to the reader and decodes their pixels.
func FuzzPNG(f *testing.F) {
	for _, name := range []string{"png-plain.png", "png-time.png", "png-pixels.png"} {
		f.Add(testutil.ReadArchiveFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		n, err := Open(bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			return
		}
		testutil.DropUnreadableData(t, n)
		testutil.CheckLayerTree(t, n, 0)
	})
}
