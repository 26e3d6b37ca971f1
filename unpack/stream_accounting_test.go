package unpack

// The fields that show header bytes readers used to read past, and the
// names the Layout gives each part of a layer.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"slices"
	"strings"
	"testing"
)

// heldAt names what holds byte off of a layer.
func heldAt(n *Node, off int64) []string { return n.Layout.Holding(Range{off, off + 1}) }

func TestCpioOddHeaderFields(t *testing.T) {
	const file = 0o100644
	b := newcArchive("070701", cpioEntry{name: "f", mode: file, data: "abc", ino: 0xab})
	root := openCpioBytes(t, b)
	f := cpioTreeNode(t, root, "/f")
	for _, name := range []string{"lower-case hex", "check", "rdev", "file type bits", "format"} {
		noField(t, f, name)
	}
	tr := root.Child("[trailer]")
	if tr == nil {
		t.Fatalf("no trailer record: %v", names(root))
	}
	wantField(t, tr, "nlink", "1")
	if root.Child("[unclaimed bytes]") != nil {
		t.Error("an archive read to its end has unclaimed bytes")
	}
	if got := heldAt(root, 0); !slices.Equal(got, []string{"header of member f"}) {
		t.Errorf("byte 0 held by %q", got)
	}

	// The upper-case hex GNU cpio writes, spelled in lower case: the
	// values are the same, the bytes are not.
	low := bytes.Clone(b)
	copy(low[6:14], "000000ab")
	wantField(t, cpioTreeNode(t, openCpioBytes(t, low), "/f"), "lower-case hex", "ino 000000ab")

	odd := newcArchive("070701",
		cpioEntry{name: "f", mode: file, data: "abc", rdevMaj: 8, rdevMin: 1},
		cpioEntry{name: "g", mode: 0o030644, check: 7})
	root = openCpioBytes(t, odd)
	wantField(t, cpioTreeNode(t, root, "/f"), "rdev", "8,1")
	g := cpioTreeNode(t, root, "/g")
	wantField(t, g, "check", "0x00000007")
	wantField(t, g, "file type bits", "0030000")

	// A crc member in a newc archive.
	mixed := bytes.Clone(b)
	trailerAt := bytes.Index(mixed, []byte(cpioTrailer)) - cpioNewcHeader
	copy(mixed[trailerAt:], "070702")
	tr = openCpioBytes(t, mixed).Child("[trailer]")
	wantField(t, tr, "format", "crc (070702)")

	// After a damaged header the rest of the archive is unclaimed, and
	// shows as it is.
	cut := bytes.Clone(b)
	i := trailerAt
	cut[i+3] = 'x'
	root = openCpioBytes(t, cut)
	un := root.Child("[unclaimed bytes]")
	if root.Err == nil || un == nil {
		t.Fatalf("damaged trailer header: err %v, children %v", root.Err, names(root))
	}
	if r := un.Data.(*MaskedData).Ranges(); len(r) != 1 || r[0] != (Range{int64(i), int64(len(cut))}) {
		t.Errorf("unclaimed %v, want [%d, %d)", r, i, len(cut))
	}
}

func TestZstdOddHeaderBits(t *testing.T) {
	env := testEnv(t, 0)
	b := readInitrdFixture(t, "initrd-a.zst")
	n := openAs(t, b, "zstd", env)
	noField(t, n, "header descriptor unused bit")
	if got := heldAt(n, 4); !slices.Equal(got, []string{"zstd frame 1 header"}) {
		t.Errorf("byte 4 held by %q", got)
	}
	odd := bytes.Clone(b)
	odd[4] |= 0x10 // the Frame_Header_Descriptor's unused bit
	n = openAs(t, odd, "zstd", env)
	wantField(t, n, "header descriptor unused bit", "set")
	if _, c := contentOf(t, n); c.Err != nil {
		t.Errorf("the unused bit is an error: %v", c.Err)
	}

	n = openAs(t, readInitrdFixture(t, "skippable-two-frames.zst"), "zstd", env)
	sk := n.Child("[skippable frame 1]")
	if sk == nil {
		t.Fatalf("no skippable frame record: %v", names(n))
	}
	wantField(t, sk, "magic", "502a4d18")
	if got := dataBytes(t, sk.Data); string(got) != "ISODIFF!" {
		t.Errorf("skippable frame data %q", got)
	}
	for off, want := range map[int64]string{0: "zstd skippable frame 1 header", 8: "zstd skippable frame 1 content", 16: "zstd frame 1 header"} {
		if got := heldAt(n, off); !slices.Equal(got, []string{want}) {
			t.Errorf("byte %d held by %q, want %q", off, got, want)
		}
	}
}

func TestGzipLayoutAndUnlistedMembers(t *testing.T) {
	env := testEnv(t, 0)
	b := readInitrdFixture(t, "multimember.gz")
	n := openAs(t, b, "gzip", env)
	if got := heldAt(n, 0); !slices.Equal(got, []string{"gzip member 1 header"}) {
		t.Errorf("byte 0 held by %q", got)
	}
	if got := heldAt(n, int64(len(b)-1)); !slices.Equal(got, []string{"gzip member 2 trailer"}) {
		t.Errorf("the last byte held by %q", got)
	}
	one := readInitrdFixture(t, "initrd-a.gz")
	n = openAs(t, one, "gzip", env)
	if got := heldAt(n, 20); !slices.Equal(got, []string{"gzip deflate stream"}) {
		t.Errorf("byte 20 held by %q", got)
	}

	// Members past those listed still show, in a digest of their headers.
	var many, other []byte
	for i := 0; i < maxListedUnits+6; i++ {
		mtime := uint32(0)
		m := gzipMember(t, 0, 0, 3, mtime, nil, "", "", []byte("x"), 6)
		many = append(many, m...)
		if i == maxListedUnits+4 {
			m = gzipMember(t, 0, 0, 3, 1, nil, "", "", []byte("x"), 6)
		}
		other = append(other, m...)
	}
	const digest = "members not listed: sha256 of their headers"
	a, _ := openAs(t, many, "gzip", env).Field(digest)
	o, _ := openAs(t, other, "gzip", env).Field(digest)
	if a == "" || a == o {
		t.Errorf("digests %q and %q", a, o)
	}
}

func TestBzip2StreamsAndPaddingBits(t *testing.T) {
	env := testEnv(t, 0)
	b := readInitrdFixture(t, "initrd-a.bz2")
	two := append(bytes.Clone(b), b...)
	n := openAs(t, two, "bzip2", env)
	wantField(t, n, "streams", "2")
	wantField(t, n, "stream 2 block size", "900 kB (level 9)")
	if got := heldAt(n, int64(len(b))); !slices.Equal(got, []string{"bzip2 stream 2 header"}) {
		t.Errorf("byte %d held by %q", len(b), got)
	}
	var tail [11]byte
	copy(tail[:], b[len(b)-11:])
	pad, bits, ok := bzip2EOS(tail)
	if !ok || bits != 0 {
		t.Fatalf("end-of-stream mark: pad %d bits %b ok %v", pad, bits, ok)
	}
	if pad == 0 {
		t.Skip("bzip2 fixture ends on a byte boundary: no padding bits")
	}
	odd := bytes.Clone(b)
	odd[len(odd)-1] |= 1
	n = openAs(t, odd, "bzip2", env)
	wantField(t, n, "padding bits after the end-of-stream mark", fmt.Sprintf("%0*b", pad, 1))
}

func TestLzopCharsetAndExtraField(t *testing.T) {
	env := testEnv(t, 0)
	b := readInitrdFixture(t, "initrd-a.lzo")
	// Version, library version, version needed (2 bytes each), method,
	// level: the flags are at 9+8.
	const flagsAt = 17
	odd := bytes.Clone(b)
	odd[flagsAt] |= 0x40 // character set 1 (the top two bits)
	// The header checksum (adler32, from the version to the name) follows
	// the name.
	nameLen := int(odd[flagsAt+4+4+4+4])
	end := flagsAt + 4 + 4 + 4 + 4 + 1 + nameLen
	binary.BigEndian.PutUint32(odd[end:], adler32.Checksum(odd[9:end]))
	n := openAs(t, odd, "lzop", env)
	if v, _ := n.Field("flags"); !strings.HasSuffix(v, "character set 1") {
		t.Errorf("flags %q", v)
	}
	if _, c := contentOf(t, n); c.Err != nil {
		t.Fatal(c.Err)
	}
	if got := heldAt(n, 0); !slices.Equal(got, []string{"lzop header"}) {
		t.Errorf("byte 0 held by %q", got)
	}
}
