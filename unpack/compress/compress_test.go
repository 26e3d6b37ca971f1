package compress

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/testutil"
	"isodiff/unpack/internal/trailing"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The acceptance example: a man page gzipped with and without -n differs
// in the gzip header's mtime and name only.
func TestGzipManPageWithAndWithoutN(t *testing.T) {
	env := testutil.Env(t, 0)
	withN := testutil.OpenAs(t, testutil.ReadInitrdFixture(t, "manpage-n.1.gz"), "gzip", env, testFormats)
	without := testutil.OpenAs(t, testutil.ReadInitrdFixture(t, "manpage.1.gz"), "gzip", env, testFormats)

	testutil.WantField(t, withN, "mtime", "unset")
	testutil.NoField(t, withN, "name")
	testutil.WantField(t, withN, "flags", "none")
	testutil.WantField(t, without, "mtime", "2001-09-09T01:46:40Z")
	testutil.WantField(t, without, "name", "isodiff.1")
	testutil.WantField(t, without, "flags", "FNAME")
	for _, n := range []*unpack.Node{withN, without} {
		testutil.WantField(t, n, "members", "1")
		testutil.WantField(t, n, "OS", "3 (Unix)")
		testutil.WantField(t, n, "compression", "2 (maximum)")
	}
	a, ca := testutil.ContentOf(t, withN)
	b, cb := testutil.ContentOf(t, without)
	if ca.Err != nil || cb.Err != nil {
		t.Fatalf("errors: %v, %v", ca.Err, cb.Err)
	}
	if !bytes.Equal(a, b) || !strings.HasPrefix(string(a), ".TH ISODIFF 1") {
		t.Fatalf("contents differ or are wrong: %q / %q", a[:20], b[:20])
	}
	// Every other field is the same.
	diff := map[string]bool{}
	for _, f := range withN.Fields() {
		if v, ok := without.Field(f.Name); !ok || v != f.Value {
			diff[f.Name] = true
		}
	}
	for _, f := range without.Fields() {
		if v, ok := withN.Field(f.Name); !ok || v != f.Value {
			diff[f.Name] = true
		}
	}
	if len(diff) != 3 || !diff["mtime"] || !diff["name"] || !diff["flags"] {
		t.Errorf("differing fields %v, want mtime, name and flags", diff)
	}
}

// gzipMember builds a member by hand: the header fields compress/gzip
// cannot write (FHCRC, XFL, reserved bits) included.
func gzipMember(t testing.TB, flags, xfl, os byte, mtime uint32, extra []byte, name, comment string, data []byte, level int) []byte {
	t.Helper()
	var h bytes.Buffer
	h.Write([]byte{0x1f, 0x8b, 8, flags})
	binary.Write(&h, binary.LittleEndian, mtime)
	h.Write([]byte{xfl, os})
	if flags&gzipFExtra != 0 {
		binary.Write(&h, binary.LittleEndian, uint16(len(extra)))
		h.Write(extra)
	}
	if flags&gzipFName != 0 {
		h.WriteString(name)
		h.WriteByte(0)
	}
	if flags&gzipFComment != 0 {
		h.WriteString(comment)
		h.WriteByte(0)
	}
	if flags&gzipFHCRC != 0 {
		binary.Write(&h, binary.LittleEndian, uint16(crc32.ChecksumIEEE(h.Bytes())))
	}
	// A raw deflate stream: compress/gzip's output minus its header and
	// trailer.
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, level)
	w.Write(data)
	w.Close()
	body := z.Bytes()[10 : z.Len()-8]
	h.Write(body)
	binary.Write(&h, binary.LittleEndian, crc32.ChecksumIEEE(data))
	binary.Write(&h, binary.LittleEndian, uint32(len(data)))
	return h.Bytes()
}

func TestGzipHeaderFields(t *testing.T) {
	env := testutil.Env(t, 0)
	data := []byte(strings.Repeat("hello gzip\n", 100))
	all := gzipFText | gzipFHCRC | gzipFExtra | gzipFName | gzipFComment
	m := gzipMember(t, byte(all), 4, 11, 1000000000, []byte{'A', 'B', 2, 0, 1, 2}, "na\xefve.txt", "a comment", data, 1)
	n := testutil.OpenAs(t, m, "gzip", env, testFormats)
	testutil.WantField(t, n, "flags", "FTEXT FHCRC FEXTRA FNAME FCOMMENT")
	testutil.WantField(t, n, "mtime", "2001-09-09T01:46:40Z")
	// Latin-1, as the RFC says, when not UTF-8, and marked so: the same
	// text in UTF-8 is other bytes.
	testutil.WantField(t, n, "name", "naïve.txt (ISO 8859-1)")
	testutil.WantField(t, n, "comment", "a comment")
	testutil.WantField(t, n, "extra", "414202000102")
	testutil.WantField(t, n, "compression", "4 (fastest)")
	testutil.WantField(t, n, "OS", "11 (NTFS)")
	if _, ok := n.Field("header crc"); !ok {
		t.Error("no header crc field")
	}
	got, c := testutil.ContentOf(t, n)
	if c.Err != nil || !bytes.Equal(got, data) {
		t.Fatalf("content %d bytes, err %v", len(got), c.Err)
	}

	// A wrong header CRC.
	bad := bytes.Clone(m)
	hlen := bytes.IndexByte(bad[bytes.Index(bad, []byte("a comment")):], 0) + bytes.Index(bad, []byte("a comment")) + 1
	bad[hlen] ^= 0xff
	n = testutil.OpenAs(t, bad, "gzip", env, testFormats)
	_, c = testutil.ContentOf(t, n)
	testutil.WantFormatErr(t, c.Err, "gzip", int64(hlen), int64(hlen))

	// Reserved flag bits.
	bad = bytes.Clone(m)
	bad[3] |= 0x80
	n = testutil.OpenAs(t, bad, "gzip", env, testFormats)
	_, c = testutil.ContentOf(t, n)
	testutil.WantFormatErr(t, c.Err, "gzip", 3, 3)
}

func TestGzipMultiMemberAndTrailing(t *testing.T) {
	env := testutil.Env(t, 0)
	a := []byte(strings.Repeat("first member ", 50))
	b := []byte(strings.Repeat("second member ", 70))
	m1 := gzipMember(t, gzipFName, 2, 3, 0, nil, "a", "", a, 9)
	m2 := gzipMember(t, 0, 4, 255, 1, nil, "", "", b, 1)
	two := append(bytes.Clone(m1), m2...)
	n := testutil.OpenAs(t, two, "gzip", env, testFormats)
	testutil.WantField(t, n, "members", "2")
	testutil.WantField(t, n, "name", "a")
	testutil.WantField(t, n, "member 2 mtime", "1970-01-01T00:00:01Z")
	testutil.WantField(t, n, "member 2 OS", "255 (unknown)")
	testutil.WantField(t, n, "member 2 compression", "4 (fastest)")
	got, c := testutil.ContentOf(t, n)
	if c.Err != nil || !bytes.Equal(got, append(bytes.Clone(a), b...)) {
		t.Fatalf("content wrong (err %v)", c.Err)
	}
	testutil.NoField(t, n, "padding")

	// Zero padding after the last member (as in a padded initrd).
	n = testutil.OpenAs(t, append(bytes.Clone(two), make([]byte, 300)...), "gzip", env, testFormats)
	testutil.WantField(t, n, "padding", "300 zero bytes")
	if n.Child(trailing.Name) != nil {
		t.Error("zero padding shown as trailing bytes")
	}

	// Something else after it: shown, and unpacked in turn.
	tail := append(make([]byte, 4), []byte("070701 and more")...)
	n = testutil.OpenAs(t, append(bytes.Clone(two), tail...), "gzip", env, testFormats)
	tr := n.Child(trailing.Name)
	if tr == nil || !bytes.Equal(testutil.DataBytes(t, tr.Data), tail) || tr.Offset != int64(len(two)) {
		t.Fatalf("trailing bytes child %+v", tr)
	}

	// A bad CRC-32 in the second member's trailer.
	bad := bytes.Clone(two)
	bad[len(bad)-8] ^= 1
	n = testutil.OpenAs(t, bad, "gzip", env, testFormats)
	got, c = testutil.ContentOf(t, n)
	testutil.WantFormatErr(t, c.Err, "gzip", int64(len(bad)-8), int64(len(bad)-8))
	if !bytes.Equal(got, append(bytes.Clone(a), b...)) {
		t.Errorf("content before the bad CRC: %d bytes", len(got))
	}
	// A bad ISIZE.
	bad = bytes.Clone(two)
	bad[len(bad)-1] ^= 1
	_, c = testutil.ContentOf(t, testutil.OpenAs(t, bad, "gzip", env, testFormats))
	testutil.WantFormatErr(t, c.Err, "gzip", int64(len(bad)-4), int64(len(bad)-4))

	// Truncated in the middle of the second member's data.
	cut := two[:len(m1)+len(m2)/2]
	got, c = testutil.ContentOf(t, testutil.OpenAs(t, cut, "gzip", env, testFormats))
	testutil.WantFormatErr(t, c.Err, "gzip", int64(len(m1)), int64(len(cut)))
	if !bytes.HasPrefix(got, a) {
		t.Errorf("the first member's content is not kept")
	}

	// Corrupt deflate data: an error at an offset inside the member.
	bad = bytes.Clone(m1)
	bad[12] = 0xff // BTYPE 11 (reserved) in the first block header
	_, c = testutil.ContentOf(t, testutil.OpenAs(t, bad, "gzip", env, testFormats))
	testutil.WantFormatErr(t, c.Err, "gzip", 10, int64(len(bad)))
}

func TestGzipFixtureMultiMember(t *testing.T) {
	env := testutil.Env(t, 0)
	n := testutil.OpenAs(t, testutil.ReadInitrdFixture(t, "multimember.gz"), "gzip", env, testFormats)
	testutil.WantField(t, n, "members", "2")
	testutil.WantField(t, n, "compression", "2 (maximum)")
	testutil.WantField(t, n, "member 2 compression", "4 (fastest)")
	got, c := testutil.ContentOf(t, n)
	if c.Err != nil || !bytes.Equal(got, testutil.ReadInitrdFixture(t, "base.cpio")) {
		t.Fatalf("content differs from base.cpio (err %v)", c.Err)
	}
}

// A bomb is cut at Env.MaxDecompressed, with what came before kept.
func TestDecompressionBomb(t *testing.T) {
	const limit = 1 << 20
	env := testutil.Env(t, limit)
	bomb := testutil.ReadInitrdFixture(t, "bomb.gz")
	got, c := testutil.ContentOf(t, testutil.OpenAs(t, bomb, "gzip", env, testFormats))
	if !errors.Is(c.Err, unpack.ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", c.Err)
	}
	testutil.WantFormatErr(t, c.Err, "gzip", 1, int64(len(bomb)))
	if len(got) != limit || c.Data.Size() != limit {
		t.Fatalf("kept %d bytes, want %d", len(got), limit)
	}
	if bytes.IndexFunc(got, func(r rune) bool { return r != 0 }) >= 0 {
		t.Fatal("the bomb is zeros")
	}

	// The same cap on every format.
	zeros := make([]byte, 3*limit)
	for _, tc := range []struct {
		name   string
		stream []byte
	}{
		{"zstd", testutil.ZstdCompress(t, zeros)},
		{"lz4-legacy", testutil.Lz4LegacyCompress(t, zeros, 8<<20)},
	} {
		got, c := testutil.ContentOf(t, testutil.OpenAs(t, tc.stream, tc.name, env, testFormats))
		if !errors.Is(c.Err, unpack.ErrTooLarge) || len(got) != limit {
			t.Errorf("%s: err %v, %d bytes", tc.name, c.Err, len(got))
		}
	}
}

func TestLz4Legacy(t *testing.T) {
	env := testutil.Env(t, 0)
	data := bytes.Repeat([]byte("legacy lz4 block data, "), 4000)
	one := testutil.Lz4LegacyCompress(t, data, 8<<20)
	many := testutil.Lz4LegacyCompress(t, data, 10000)

	n := testutil.OpenAs(t, one, "lz4-legacy", env, testFormats)
	testutil.WantField(t, n, "blocks", "1")
	if got, c := testutil.ContentOf(t, n); c.Err != nil || !bytes.Equal(got, data) {
		t.Fatalf("one block: err %v", c.Err)
	}
	n = testutil.OpenAs(t, many, "lz4-legacy", env, testFormats)
	testutil.WantField(t, n, "blocks", "10")
	if got, c := testutil.ContentOf(t, n); c.Err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ten blocks: err %v", c.Err)
	}

	// Concatenated: the magic again between blocks.
	cat := append(bytes.Clone(one), one...)
	n = testutil.OpenAs(t, cat, "lz4-legacy", env, testFormats)
	testutil.WantField(t, n, "frames", "2")
	if got, _ := testutil.ContentOf(t, n); !bytes.Equal(got, append(bytes.Clone(data), data...)) {
		t.Error("concatenated streams")
	}

	// A zero size ends the stream: the rest is padding.
	n = testutil.OpenAs(t, append(bytes.Clone(many), make([]byte, 12)...), "lz4-legacy", env, testFormats)
	testutil.WantField(t, n, "padding", "12 zero bytes")
	// An implausible size ends it too: the kernel's appended size word,
	// or the next segment.
	tail := binary.LittleEndian.AppendUint32(nil, uint32(len(data)<<8))
	n = testutil.OpenAs(t, append(bytes.Clone(many), tail...), "lz4-legacy", env, testFormats)
	if got, c := testutil.ContentOf(t, n); c.Err != nil || !bytes.Equal(got, data) {
		t.Fatalf("with a size word after it: err %v", c.Err)
	}
	if tr := n.Child(trailing.Name); tr == nil || tr.Offset != int64(len(many)) {
		t.Errorf("trailing size word not reported: %+v", n.Children)
	}
	if end := lz4LegacyEnd(readat.NewPeek(bytes.NewReader(append(bytes.Clone(many), tail...)), int64(len(many)+4)), 0, int64(len(many)+4)); end != int64(len(many)) {
		t.Errorf("lz4LegacyEnd = %d, want %d", end, len(many))
	}

	// A truncated block.
	_, c := testutil.ContentOf(t, testutil.OpenAs(t, many[:len(many)-10], "lz4-legacy", env, testFormats))
	testutil.WantFormatErr(t, c.Err, "lz4-legacy", 4, int64(len(many)))
	// A corrupt block: the error names the block's size field offset.
	bad := bytes.Clone(one)
	binary.LittleEndian.PutUint32(bad[4:], binary.LittleEndian.Uint32(bad[4:])-7)
	bad = bad[:len(bad)-7]
	got, c := testutil.ContentOf(t, testutil.OpenAs(t, bad, "lz4-legacy", env, testFormats))
	testutil.WantFormatErr(t, c.Err, "lz4-legacy", 4, 4)
	if len(got) != 0 {
		t.Errorf("%d bytes from a corrupt block", len(got))
	}
}

func TestZstdFrames(t *testing.T) {
	env := testutil.Env(t, 0)
	b := testutil.ReadInitrdFixture(t, "skippable-two-frames.zst")
	n := testutil.OpenAs(t, b, "zstd", env, testFormats)
	testutil.WantField(t, n, "frames", "2")
	testutil.WantField(t, n, "skippable frames", "1 (8 bytes)")
	testutil.WantField(t, n, "checksum", "XXH64")
	testutil.WantField(t, n, "frame 2 checksum", "none")
	testutil.WantField(t, n, "content size", "3000")
	got, c := testutil.ContentOf(t, n)
	if c.Err != nil || !bytes.Equal(got, testutil.ReadInitrdFixture(t, "base.cpio")) {
		t.Fatalf("content differs from base.cpio (err %v)", c.Err)
	}

	single := testutil.ReadInitrdFixture(t, "initrd-a.zst")
	n = testutil.OpenAs(t, single, "zstd", env, testFormats)
	testutil.WantField(t, n, "frames", "1")
	testutil.NoField(t, n, "skippable frames")
	if _, ok := n.Field("window size"); !ok {
		t.Error("no window size")
	}

	// Truncated: the error is at the end, the bytes before it kept.
	got, c = testutil.ContentOf(t, testutil.OpenAs(t, single[:len(single)-100], "zstd", env, testFormats))
	testutil.WantFormatErr(t, c.Err, "zstd", 0, int64(len(single)))
	// The end of a run of frames, without decoding.
	pr := readat.NewPeek(bytes.NewReader(b), int64(len(b)))
	if end, ok := zstdStreamEnd(pr, 0, int64(len(b))); !ok || end != int64(len(b)) {
		t.Errorf("zstdStreamEnd = %d, %v", end, ok)
	}
}

func TestZstdBrokenFrame(t *testing.T) {
	env := testutil.Env(t, 0)
	b := testutil.ReadInitrdFixture(t, "initrd-broken-zstd")
	good := testutil.ReadInitrdFixture(t, "initrd-a.zst")
	off := int64(len(b) - len(good)) // the zstd segment
	z := b[off:]
	n := testutil.OpenAs(t, z, "zstd", env, testFormats)
	got, c := testutil.ContentOf(t, n)
	if c.Err == nil {
		t.Fatal("a broken frame decoded without error")
	}
	// Bytes were flipped at len/2: the error names the block holding them
	// (or the checksum after it).
	fe := testutil.WantFormatErr(t, c.Err, "zstd", 4, int64(len(z)))
	t.Logf("broken frame: %v (%d bytes decoded before)", fe, len(got))
	base := testutil.ReadInitrdFixture(t, "base.cpio")
	if !bytes.Equal(got, base[:len(got)]) && len(got) > 0 {
		t.Log("bytes before the error differ from the original (the damage is inside them)")
	}
}

func TestLZMAHeaderCheck(t *testing.T) {
	h := func(props byte, dict uint32, size uint64, first byte) []byte {
		b := []byte{props}
		b = binary.LittleEndian.AppendUint32(b, dict)
		b = binary.LittleEndian.AppendUint64(b, size)
		return append(b, first, 0x12)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"lzma -9", h(0x5d, 64<<20, ^uint64(0), 0), true},
		{"known size", h(0x5d, 8<<20, 14848, 0), true},
		{"2^n+2^(n-1)", h(0x5d, 3<<20, ^uint64(0), 0), true},
		{"props 225", h(225, 8<<20, ^uint64(0), 0), false},
		{"lc+lp > 4", h(4*9*5/5+4+0, 8<<20, ^uint64(0), 0), false},
		{"odd dictionary", h(0x5d, 1000000, ^uint64(0), 0), false},
		{"huge size", h(0x5d, 8<<20, 1<<41, 0), false},
		{"rc byte not 0", h(0x5d, 8<<20, ^uint64(0), 1), false},
		{"short", h(0x5d, 8<<20, ^uint64(0), 0)[:13], false},
	} {
		if got := lzmaHeaderPlausible(tc.b); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	env := testutil.Env(t, 0)
	b := testutil.ReadInitrdFixture(t, "initrd-a.lzma")
	n := testutil.OpenAs(t, b, "lzma", env, testFormats)
	testutil.WantField(t, n, "properties", "lc=3 lp=0 pb=2")
	testutil.WantField(t, n, "dictionary size", "64 MiB")
	testutil.WantField(t, n, "uncompressed size", "unknown (end marker)")
	if got, c := testutil.ContentOf(t, n); c.Err != nil || !bytes.Equal(got, testutil.ReadInitrdFixture(t, "base.cpio")) {
		t.Fatalf("content differs from base.cpio (err %v)", c.Err)
	}
}

// TestLZMADictionaryBound: a header asking for a 1 GiB dictionary (valid,
// as liblzma writes them) is refused with an error on the stream rather
// than allocated, since nothing bounds how many streams decode at once.
func TestLZMADictionaryBound(t *testing.T) {
	b := bytes.Clone(testutil.ReadInitrdFixture(t, "initrd-a.lzma"))
	binary.LittleEndian.PutUint32(b[1:5], 1<<30)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := testutil.OpenAs(t, b, "lzma", testutil.Env(t, 0), testFormats)
	testutil.WantField(t, n, "dictionary size", "1 GiB")
	_, c := testutil.ContentOf(t, n)
	runtime.ReadMemStats(&after)
	if c.Err == nil || !strings.Contains(c.Err.Error(), "dictionary") {
		t.Errorf("content error %v, want one about the dictionary", c.Err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
		t.Errorf("opening and reading allocated %d MiB", grew>>20)
	}
}

func TestCompressedFixtures(t *testing.T) {
	env := testutil.Env(t, 0)
	base := testutil.ReadInitrdFixture(t, "base.cpio")
	for _, tc := range []struct {
		file, format string
		fields       map[string]string
	}{
		{"initrd-a.zst", "zstd", map[string]string{"frames": "1", "checksum": "XXH64", "window size": "4 MiB"}},
		{"initrd-a.gz", "gzip", map[string]string{"members": "1", "mtime": "unset", "compression": "2 (maximum)"}},
		{"initrd-a.xz", "xz", map[string]string{"streams": "1", "check": "CRC32", "blocks": "1", "filters": "LZMA2 (dictionary 8 MiB)"}},
		{"initrd-a.lz4", "lz4-legacy", map[string]string{"blocks": "1"}},
		{"initrd-a.bz2", "bzip2", map[string]string{"block size": "900 kB (level 9)"}},
		{"initrd-a.lzma", "lzma", nil},
		{"initrd-a.lzo", "lzop", map[string]string{"version": "1.040", "library version": "2.0a0", "method": "LZO1X-999, level 9",
			"flags": "adler32 of data, stdin, stdout, OS Unix", "mode": "-rw-r--r-- (00644)", "mtime": "1970-01-01T00:00:01Z", "name": `""`, "blocks": "1"}},
		{"initrd-named.lzo", "lzop", map[string]string{"flags": "adler32 of data, stdout, OS Unix", "mtime": "1980-01-01T00:00:00Z", "name": "initrd"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			n := testutil.OpenAs(t, testutil.ReadInitrdFixture(t, tc.file), tc.format, env, testFormats)
			if n.Layer != tc.format || n.Type != unpack.TypeRecord || len(n.Children) != 1 {
				t.Fatalf("root %+v", n)
			}
			for k, v := range tc.fields {
				testutil.WantField(t, n, k, v)
			}
			got, c := testutil.ContentOf(t, n)
			if c.Err != nil || !bytes.Equal(got, base) || c.Type != unpack.TypeFile {
				t.Fatalf("content: %d bytes, err %v", len(got), c.Err)
			}
			// Padding and trailing data are told apart in every format.
			padded := append(testutil.ReadInitrdFixture(t, tc.file), make([]byte, 8)...)
			n = testutil.OpenAs(t, padded, tc.format, env, testFormats)
			if _, c := testutil.ContentOf(t, n); c.Err != nil {
				t.Fatalf("padded: %v", c.Err)
			}
			testutil.WantField(t, n, "padding", "8 zero bytes")
		})
	}
}

// What follows a bzip2 stream, whatever its length, is told apart from a
// stream cut short.
func TestBzip2Trailing(t *testing.T) {
	env := testutil.Env(t, 0)
	bz := testutil.ReadInitrdFixture(t, "initrd-a.bz2")
	base := testutil.ReadInitrdFixture(t, "base.cpio")
	for _, tc := range []struct {
		name, tail string
		padding    string
		trailing   bool
	}{
		{"nothing", "", "", false},
		{"one zero", "\x00", "1 zero bytes", false},
		{"two zeros", "\x00\x00", "2 zero bytes", false},
		{"three zeros", "\x00\x00\x00", "3 zero bytes", false},
		{"a B", "B", "", true},
		{"garbage", "garbage", "", true},
	} {
		n := testutil.OpenAs(t, append(bytes.Clone(bz), tc.tail...), "bzip2", env, testFormats)
		got, c := testutil.ContentOf(t, n)
		if c.Err != nil || !bytes.Equal(got, base) {
			t.Errorf("%s: err %v", tc.name, c.Err)
			continue
		}
		if tc.padding != "" {
			testutil.WantField(t, n, "padding", tc.padding)
		} else {
			testutil.NoField(t, n, "padding")
		}
		if tr := n.Child(trailing.Name); (tr != nil) != tc.trailing || (tr != nil && tr.Offset != int64(len(bz))) {
			t.Errorf("%s: trailing %+v", tc.name, tr)
		}
	}
	for _, cut := range []int{1, 2, 5, len(bz) / 2} {
		got, c := testutil.ContentOf(t, testutil.OpenAs(t, bz[:len(bz)-cut], "bzip2", env, testFormats))
		testutil.WantFormatErr(t, c.Err, "bzip2", 0, int64(len(bz)))
		if !bytes.HasPrefix(base, got) {
			t.Errorf("cut %d: the bytes before the error are wrong", cut)
		}
	}
}

// Layers are opened concurrently (both sides of a comparison, and the
// entries of each): pooled decoders must not mix streams.
func TestStreamsConcurrently(t *testing.T) {
	env := testutil.Env(t, 0)
	base := testutil.ReadInitrdFixture(t, "base.cpio")
	files := map[string]string{"initrd-a.zst": "zstd", "skippable-two-frames.zst": "zstd", "initrd-a.gz": "gzip",
		"initrd-a.xz": "xz", "initrd-a.lz4": "lz4-legacy", "initrd-a.bz2": "bzip2", "multimember.gz": "gzip",
		"initrd-a.lzo": "lzop"}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		for file, format := range files {
			b := testutil.ReadInitrdFixture(t, file)
			wg.Go(func() {
				n, err := testFormats[slices.IndexFunc(testFormats, func(f unpack.Format) bool { return f.Name == format })].Open(bytes.NewReader(b), int64(len(b)), env)
				if err != nil {
					t.Error(err)
					return
				}
				c := n.Child("content")
				got, err := io.ReadAll(io.NewSectionReader(c.Data, 0, c.Data.Size()))
				if err != nil || c.Err != nil || !bytes.Equal(got, base) {
					t.Errorf("%s: content differs (err %v, %v)", file, err, c.Err)
				}
			})
		}
	}
	wg.Wait()
}

// TestLzopDamage: every checksum lzop writes is checked, and a cut or
// damaged file is an error at the offset where it is found.
func TestLzopDamage(t *testing.T) {
	env := testutil.Env(t, 0)
	good := testutil.ReadInitrdFixture(t, "initrd-a.lzo")
	// The header: magic 9, version 2, library 2, needed 2, method 1,
	// level 1, flags 4, mode 4, mtime 8, name length 1 (0), checksum 4.
	const headerSum = 9 + 2 + 2 + 2 + 1 + 1 + 4 + 4 + 8 + 1
	const firstBlock = headerSum + 4
	// The block: sizes 8, adler32 of the data 4 (the flags ask for no
	// other), then the stored bytes.
	const blockData = firstBlock + 8 + 4

	broken := bytes.Clone(good)
	broken[headerSum-2] ^= 1 // in the mtime
	if _, err := openLzop(bytes.NewReader(broken), int64(len(broken)), env); err == nil || !strings.Contains(err.Error(), "header checksum") {
		t.Errorf("damaged header: %v", err)
	}

	for _, tc := range []struct {
		name string
		b    []byte
		at   int64
		msg  string
	}{
		{"stored byte flipped", flip(good, blockData+100), firstBlock, ""},
		{"data checksum flipped", flip(good, firstBlock+9), firstBlock, "adler32 0x"},
		{"cut in the block", good[:blockData+50], blockData, "cut by the end of input"},
		{"no end mark", good[:len(good)-4], int64(len(good) - 4), "no end-of-file mark"},
	} {
		n, err := openLzop(bytes.NewReader(tc.b), int64(len(tc.b)), env)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		c := n.Child("content")
		var fe *unpack.FormatError
		if !errors.As(c.Err, &fe) || fe.Layer != "lzop" || (tc.msg != "" && !strings.Contains(c.Err.Error(), tc.msg)) {
			t.Errorf("%s: %v", tc.name, c.Err)
			continue
		}
		// A flipped stored byte is found by the decoder or, where it
		// still decodes, by the checksum of the block: either way in the
		// first (and only) block.
		if fe.Offset < tc.at || fe.Offset > int64(len(tc.b)) {
			t.Errorf("%s: error at %d, want at or after %d: %v", tc.name, fe.Offset, tc.at, c.Err)
		}
	}

	// Where the stream ends is found without decompressing, as the
	// initramfs splitter needs it.
	padded := append(bytes.Clone(good), "next segment"...)
	end, ok := lzopStreamEnd(readat.NewPeek(bytes.NewReader(padded), int64(len(padded))), 0, int64(len(padded)))
	if !ok || end != int64(len(good)) {
		t.Errorf("lzopStreamEnd %d %v, want %d", end, ok, len(good))
	}
	if _, ok := lzopStreamEnd(readat.NewPeek(bytes.NewReader(good[:200]), 200), 0, 200); ok {
		t.Error("lzopStreamEnd found the end of a cut stream")
	}
}

func flip(b []byte, at int) []byte {
	c := bytes.Clone(b)
	c[at] ^= 0x55
	return c
}

// TestXzDecoderReuse: xz decoders are reused, dictionary and all, and a
// decoder that stopped at an error decodes the next stream as a new one
// would.
func TestXzDecoderReuse(t *testing.T) {
	env := testutil.Env(t, 0)
	base := testutil.ReadInitrdFixture(t, "base.cpio")
	good := testutil.ReadInitrdFixture(t, "initrd-a.xz")
	broken := bytes.Clone(good)
	broken[len(broken)/2] ^= 0x55
	n := testutil.OpenAs(t, broken, "xz", env, testFormats)
	if _, c := testutil.ContentOf(t, n); c.Err == nil {
		t.Fatal("a damaged block decoded without an error")
	}
	const opens = 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range opens {
		n := testutil.OpenAs(t, good, "xz", env, testFormats)
		if got, c := testutil.ContentOf(t, n); c.Err != nil || !bytes.Equal(got, base) {
			t.Fatalf("content: %d bytes, err %v", len(got), c.Err)
		}
	}
	runtime.ReadMemStats(&after)
	// The stream's dictionary is 8 MiB: allocated for each open, it would
	// be 80 MiB; a garbage collection may drop a pooled decoder now and
	// then.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > opens/2*8<<20 {
		t.Errorf("%d opens allocated %d MiB", opens, grew>>20)
	}
}
