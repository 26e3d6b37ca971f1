package compress

// The fields that show header bytes readers used to read past, and the
// names the Layout gives each part of a layer.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"isodiff/unpack/internal/testutil"
	"slices"
	"strings"
	"testing"
)

func TestZstdOddHeaderBits(t *testing.T) {
	env := testutil.Env(t, 0)
	b := testutil.ReadInitrdFixture(t, "initrd-a.zst")
	n := testutil.OpenAs(t, b, "zstd", env, testFormats)
	testutil.NoField(t, n, "header descriptor unused bit")
	if got := testutil.HeldAt(n, 4); !slices.Equal(got, []string{"zstd frame 1 header"}) {
		t.Errorf("byte 4 held by %q", got)
	}
	odd := bytes.Clone(b)
	odd[4] |= 0x10 // the Frame_Header_Descriptor's unused bit
	n = testutil.OpenAs(t, odd, "zstd", env, testFormats)
	testutil.WantField(t, n, "header descriptor unused bit", "set")
	if _, c := testutil.ContentOf(t, n); c.Err != nil {
		t.Errorf("the unused bit is an error: %v", c.Err)
	}

	n = testutil.OpenAs(t, testutil.ReadInitrdFixture(t, "skippable-two-frames.zst"), "zstd", env, testFormats)
	sk := n.Child("[skippable frame 1]")
	if sk == nil {
		t.Fatalf("no skippable frame record: %v", testutil.ChildNames(n))
	}
	testutil.WantField(t, sk, "magic", "502a4d18")
	if got := testutil.DataBytes(t, sk.Data); string(got) != "ISODIFF!" {
		t.Errorf("skippable frame data %q", got)
	}
	for off, want := range map[int64]string{0: "zstd skippable frame 1 header", 8: "zstd skippable frame 1 content", 16: "zstd frame 1 header"} {
		if got := testutil.HeldAt(n, off); !slices.Equal(got, []string{want}) {
			t.Errorf("byte %d held by %q, want %q", off, got, want)
		}
	}
}

func TestGzipLayoutAndUnlistedMembers(t *testing.T) {
	env := testutil.Env(t, 0)
	b := testutil.ReadInitrdFixture(t, "multimember.gz")
	n := testutil.OpenAs(t, b, "gzip", env, testFormats)
	if got := testutil.HeldAt(n, 0); !slices.Equal(got, []string{"gzip member 1 header"}) {
		t.Errorf("byte 0 held by %q", got)
	}
	if got := testutil.HeldAt(n, int64(len(b)-1)); !slices.Equal(got, []string{"gzip member 2 trailer"}) {
		t.Errorf("the last byte held by %q", got)
	}
	one := testutil.ReadInitrdFixture(t, "initrd-a.gz")
	n = testutil.OpenAs(t, one, "gzip", env, testFormats)
	if got := testutil.HeldAt(n, 20); !slices.Equal(got, []string{"gzip deflate stream"}) {
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
	a, _ := testutil.OpenAs(t, many, "gzip", env, testFormats).Field(digest)
	o, _ := testutil.OpenAs(t, other, "gzip", env, testFormats).Field(digest)
	if a == "" || a == o {
		t.Errorf("digests %q and %q", a, o)
	}
}

func TestBzip2StreamsAndPaddingBits(t *testing.T) {
	env := testutil.Env(t, 0)
	b := testutil.ReadInitrdFixture(t, "initrd-a.bz2")
	two := append(bytes.Clone(b), b...)
	n := testutil.OpenAs(t, two, "bzip2", env, testFormats)
	testutil.WantField(t, n, "streams", "2")
	testutil.WantField(t, n, "stream 2 block size", "900 kB (level 9)")
	if got := testutil.HeldAt(n, int64(len(b))); !slices.Equal(got, []string{"bzip2 stream 2 header"}) {
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
	n = testutil.OpenAs(t, odd, "bzip2", env, testFormats)
	testutil.WantField(t, n, "padding bits after the end-of-stream mark", fmt.Sprintf("%0*b", pad, 1))
}

func TestLzopCharsetAndExtraField(t *testing.T) {
	env := testutil.Env(t, 0)
	b := testutil.ReadInitrdFixture(t, "initrd-a.lzo")
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
	n := testutil.OpenAs(t, odd, "lzop", env, testFormats)
	if v, _ := n.Field("flags"); !strings.HasSuffix(v, "character set 1") {
		t.Errorf("flags %q", v)
	}
	if _, c := testutil.ContentOf(t, n); c.Err != nil {
		t.Fatal(c.Err)
	}
	if got := testutil.HeldAt(n, 0); !slices.Equal(got, []string{"lzop header"}) {
		t.Errorf("byte 0 held by %q", got)
	}
}
