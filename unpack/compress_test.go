package unpack

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"isodiff/unpack/internal/readat"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// initrdFixtureDir holds the files fixtures/build-initrd.sh makes.
var initrdFixtureDir = filepath.Join("..", "fixtures", "initrd")

func readInitrdFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(initrdFixtureDir, name))
	if err != nil {
		t.Fatalf("fixture %s: %v (rebuild with fixtures/build-initrd.sh)", name, err)
	}
	return b
}

// testEnv is an Env in a test's temporary directory, closed at cleanup.
func testEnv(t testing.TB, maxDecompressed int64) *Env {
	t.Helper()
	env := &Env{TempDir: t.TempDir(), MaxDecompressed: maxDecompressed}
	t.Cleanup(func() { env.Close() })
	return env
}

// openAs detects b, checks the format is want, and opens it.
func openAs(t testing.TB, b []byte, want string, env *Env) *Node {
	t.Helper()
	r := bytes.NewReader(b)
	f, ok := Detect(r, int64(len(b)), testFormats)
	if !ok {
		t.Fatalf("not detected, want %s", want)
	}
	if f.Name != want {
		t.Fatalf("detected as %s, want %s", f.Name, want)
	}
	n, err := f.Open(r, int64(len(b)), env)
	if err != nil {
		t.Fatalf("open %s: %v", want, err)
	}
	return n
}

func dataBytes(t testing.TB, d Data) []byte {
	t.Helper()
	if d == nil {
		return nil
	}
	b, err := io.ReadAll(io.NewSectionReader(d, 0, d.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func contentOf(t testing.TB, root *Node) ([]byte, *Node) {
	t.Helper()
	c := root.Child("content")
	if c == nil {
		t.Fatalf("%s layer has no content child", root.Layer)
	}
	return dataBytes(t, c.Data), c
}

func wantField(t testing.TB, n *Node, name, want string) {
	t.Helper()
	got, ok := n.Field(name)
	if !ok {
		t.Errorf("%s %q: no field %q (fields %v)", n.Layer, n.Name, name, n.Fields)
		return
	}
	if got != want {
		t.Errorf("%s %q: field %q = %q, want %q", n.Layer, n.Name, name, got, want)
	}
}

func noField(t testing.TB, n *Node, name string) {
	t.Helper()
	if v, ok := n.Field(name); ok {
		t.Errorf("%s %q: unexpected field %q = %q", n.Layer, n.Name, name, v)
	}
}

// wantFormatErr checks that err is a FormatError of layer at an offset in
// [lo, hi].
func wantFormatErr(t testing.TB, err error, layer string, lo, hi int64) *FormatError {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is no FormatError", err)
	}
	if fe.Layer != layer || fe.Offset < lo || fe.Offset > hi {
		t.Fatalf("error %v: want layer %s, offset in [%d, %d]", err, layer, lo, hi)
	}
	return fe
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The acceptance example: a man page gzipped with and without -n differs
// in the gzip header's mtime and name only.
func TestGzipManPageWithAndWithoutN(t *testing.T) {
	env := testEnv(t, 0)
	withN := openAs(t, readInitrdFixture(t, "manpage-n.1.gz"), "gzip", env)
	without := openAs(t, readInitrdFixture(t, "manpage.1.gz"), "gzip", env)

	wantField(t, withN, "mtime", "unset")
	noField(t, withN, "name")
	wantField(t, withN, "flags", "none")
	wantField(t, without, "mtime", "2001-09-09T01:46:40Z")
	wantField(t, without, "name", "isodiff.1")
	wantField(t, without, "flags", "FNAME")
	for _, n := range []*Node{withN, without} {
		wantField(t, n, "members", "1")
		wantField(t, n, "OS", "3 (Unix)")
		wantField(t, n, "compression", "2 (maximum)")
	}
	a, ca := contentOf(t, withN)
	b, cb := contentOf(t, without)
	if ca.Err != nil || cb.Err != nil {
		t.Fatalf("errors: %v, %v", ca.Err, cb.Err)
	}
	if !bytes.Equal(a, b) || !strings.HasPrefix(string(a), ".TH ISODIFF 1") {
		t.Fatalf("contents differ or are wrong: %q / %q", a[:20], b[:20])
	}
	// Every other field is the same.
	diff := map[string]bool{}
	for _, f := range withN.Fields {
		if v, ok := without.Field(f.Name); !ok || v != f.Value {
			diff[f.Name] = true
		}
	}
	for _, f := range without.Fields {
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
	env := testEnv(t, 0)
	data := []byte(strings.Repeat("hello gzip\n", 100))
	all := gzipFText | gzipFHCRC | gzipFExtra | gzipFName | gzipFComment
	m := gzipMember(t, byte(all), 4, 11, 1000000000, []byte{'A', 'B', 2, 0, 1, 2}, "na\xefve.txt", "a comment", data, 1)
	n := openAs(t, m, "gzip", env)
	wantField(t, n, "flags", "FTEXT FHCRC FEXTRA FNAME FCOMMENT")
	wantField(t, n, "mtime", "2001-09-09T01:46:40Z")
	// Latin-1, as the RFC says, when not UTF-8, and marked so: the same
	// text in UTF-8 is other bytes.
	wantField(t, n, "name", "naïve.txt (ISO 8859-1)")
	wantField(t, n, "comment", "a comment")
	wantField(t, n, "extra", "414202000102")
	wantField(t, n, "compression", "4 (fastest)")
	wantField(t, n, "OS", "11 (NTFS)")
	if _, ok := n.Field("header crc"); !ok {
		t.Error("no header crc field")
	}
	got, c := contentOf(t, n)
	if c.Err != nil || !bytes.Equal(got, data) {
		t.Fatalf("content %d bytes, err %v", len(got), c.Err)
	}

	// A wrong header CRC.
	bad := bytes.Clone(m)
	hlen := bytes.IndexByte(bad[bytes.Index(bad, []byte("a comment")):], 0) + bytes.Index(bad, []byte("a comment")) + 1
	bad[hlen] ^= 0xff
	n = openAs(t, bad, "gzip", env)
	_, c = contentOf(t, n)
	wantFormatErr(t, c.Err, "gzip", int64(hlen), int64(hlen))

	// Reserved flag bits.
	bad = bytes.Clone(m)
	bad[3] |= 0x80
	n = openAs(t, bad, "gzip", env)
	_, c = contentOf(t, n)
	wantFormatErr(t, c.Err, "gzip", 3, 3)
}

func TestGzipMultiMemberAndTrailing(t *testing.T) {
	env := testEnv(t, 0)
	a := []byte(strings.Repeat("first member ", 50))
	b := []byte(strings.Repeat("second member ", 70))
	m1 := gzipMember(t, gzipFName, 2, 3, 0, nil, "a", "", a, 9)
	m2 := gzipMember(t, 0, 4, 255, 1, nil, "", "", b, 1)
	two := append(bytes.Clone(m1), m2...)
	n := openAs(t, two, "gzip", env)
	wantField(t, n, "members", "2")
	wantField(t, n, "name", "a")
	wantField(t, n, "member 2 mtime", "1970-01-01T00:00:01Z")
	wantField(t, n, "member 2 OS", "255 (unknown)")
	wantField(t, n, "member 2 compression", "4 (fastest)")
	got, c := contentOf(t, n)
	if c.Err != nil || !bytes.Equal(got, append(bytes.Clone(a), b...)) {
		t.Fatalf("content wrong (err %v)", c.Err)
	}
	noField(t, n, "padding")

	// Zero padding after the last member (as in a padded initrd).
	n = openAs(t, append(bytes.Clone(two), make([]byte, 300)...), "gzip", env)
	wantField(t, n, "padding", "300 zero bytes")
	if n.Child(TrailingName) != nil {
		t.Error("zero padding shown as trailing bytes")
	}

	// Something else after it: shown, and unpacked in turn.
	tail := append(make([]byte, 4), []byte("070701 and more")...)
	n = openAs(t, append(bytes.Clone(two), tail...), "gzip", env)
	tr := n.Child(TrailingName)
	if tr == nil || !bytes.Equal(dataBytes(t, tr.Data), tail) || tr.Offset != int64(len(two)) {
		t.Fatalf("trailing bytes child %+v", tr)
	}

	// A bad CRC-32 in the second member's trailer.
	bad := bytes.Clone(two)
	bad[len(bad)-8] ^= 1
	n = openAs(t, bad, "gzip", env)
	got, c = contentOf(t, n)
	wantFormatErr(t, c.Err, "gzip", int64(len(bad)-8), int64(len(bad)-8))
	if !bytes.Equal(got, append(bytes.Clone(a), b...)) {
		t.Errorf("content before the bad CRC: %d bytes", len(got))
	}
	// A bad ISIZE.
	bad = bytes.Clone(two)
	bad[len(bad)-1] ^= 1
	_, c = contentOf(t, openAs(t, bad, "gzip", env))
	wantFormatErr(t, c.Err, "gzip", int64(len(bad)-4), int64(len(bad)-4))

	// Truncated in the middle of the second member's data.
	cut := two[:len(m1)+len(m2)/2]
	got, c = contentOf(t, openAs(t, cut, "gzip", env))
	wantFormatErr(t, c.Err, "gzip", int64(len(m1)), int64(len(cut)))
	if !bytes.HasPrefix(got, a) {
		t.Errorf("the first member's content is not kept")
	}

	// Corrupt deflate data: an error at an offset inside the member.
	bad = bytes.Clone(m1)
	bad[12] = 0xff // BTYPE 11 (reserved) in the first block header
	_, c = contentOf(t, openAs(t, bad, "gzip", env))
	wantFormatErr(t, c.Err, "gzip", 10, int64(len(bad)))
}

func TestGzipFixtureMultiMember(t *testing.T) {
	env := testEnv(t, 0)
	n := openAs(t, readInitrdFixture(t, "multimember.gz"), "gzip", env)
	wantField(t, n, "members", "2")
	wantField(t, n, "compression", "2 (maximum)")
	wantField(t, n, "member 2 compression", "4 (fastest)")
	got, c := contentOf(t, n)
	if c.Err != nil || !bytes.Equal(got, readInitrdFixture(t, "base.cpio")) {
		t.Fatalf("content differs from base.cpio (err %v)", c.Err)
	}
}

// A bomb is cut at Env.MaxDecompressed, with what came before kept.
func TestDecompressionBomb(t *testing.T) {
	const limit = 1 << 20
	env := testEnv(t, limit)
	bomb := readInitrdFixture(t, "bomb.gz")
	got, c := contentOf(t, openAs(t, bomb, "gzip", env))
	if !errors.Is(c.Err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", c.Err)
	}
	wantFormatErr(t, c.Err, "gzip", 1, int64(len(bomb)))
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
		{"zstd", zstdCompress(t, zeros)},
		{"lz4-legacy", lz4LegacyCompress(t, zeros, 8<<20)},
	} {
		got, c := contentOf(t, openAs(t, tc.stream, tc.name, env))
		if !errors.Is(c.Err, ErrTooLarge) || len(got) != limit {
			t.Errorf("%s: err %v, %d bytes", tc.name, c.Err, len(got))
		}
	}
}

// lz4LegacyCompress writes the legacy format with blocks of block bytes.
func lz4LegacyCompress(t testing.TB, data []byte, block int) []byte {
	t.Helper()
	out := []byte{0x02, 0x21, 0x4c, 0x18}
	for len(data) > 0 {
		n := min(block, len(data))
		dst := make([]byte, lz4.CompressBlockBound(n))
		k, err := lz4.CompressBlock(data[:n], dst, nil)
		if err != nil || k == 0 {
			t.Fatalf("CompressBlock: %d, %v", k, err)
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(k))
		out = append(out, dst[:k]...)
		data = data[n:]
	}
	return out
}

func TestLz4Legacy(t *testing.T) {
	env := testEnv(t, 0)
	data := bytes.Repeat([]byte("legacy lz4 block data, "), 4000)
	one := lz4LegacyCompress(t, data, 8<<20)
	many := lz4LegacyCompress(t, data, 10000)

	n := openAs(t, one, "lz4-legacy", env)
	wantField(t, n, "blocks", "1")
	if got, c := contentOf(t, n); c.Err != nil || !bytes.Equal(got, data) {
		t.Fatalf("one block: err %v", c.Err)
	}
	n = openAs(t, many, "lz4-legacy", env)
	wantField(t, n, "blocks", "10")
	if got, c := contentOf(t, n); c.Err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ten blocks: err %v", c.Err)
	}

	// Concatenated: the magic again between blocks.
	cat := append(bytes.Clone(one), one...)
	n = openAs(t, cat, "lz4-legacy", env)
	wantField(t, n, "frames", "2")
	if got, _ := contentOf(t, n); !bytes.Equal(got, append(bytes.Clone(data), data...)) {
		t.Error("concatenated streams")
	}

	// A zero size ends the stream: the rest is padding.
	n = openAs(t, append(bytes.Clone(many), make([]byte, 12)...), "lz4-legacy", env)
	wantField(t, n, "padding", "12 zero bytes")
	// An implausible size ends it too: the kernel's appended size word,
	// or the next segment.
	tail := binary.LittleEndian.AppendUint32(nil, uint32(len(data)<<8))
	n = openAs(t, append(bytes.Clone(many), tail...), "lz4-legacy", env)
	if got, c := contentOf(t, n); c.Err != nil || !bytes.Equal(got, data) {
		t.Fatalf("with a size word after it: err %v", c.Err)
	}
	if tr := n.Child(TrailingName); tr == nil || tr.Offset != int64(len(many)) {
		t.Errorf("trailing size word not reported: %+v", n.Children)
	}
	if end := lz4LegacyEnd(readat.NewPeek(bytes.NewReader(append(bytes.Clone(many), tail...)), int64(len(many)+4)), 0, int64(len(many)+4)); end != int64(len(many)) {
		t.Errorf("lz4LegacyEnd = %d, want %d", end, len(many))
	}

	// A truncated block.
	_, c := contentOf(t, openAs(t, many[:len(many)-10], "lz4-legacy", env))
	wantFormatErr(t, c.Err, "lz4-legacy", 4, int64(len(many)))
	// A corrupt block: the error names the block's size field offset.
	bad := bytes.Clone(one)
	binary.LittleEndian.PutUint32(bad[4:], binary.LittleEndian.Uint32(bad[4:])-7)
	bad = bad[:len(bad)-7]
	got, c := contentOf(t, openAs(t, bad, "lz4-legacy", env))
	wantFormatErr(t, c.Err, "lz4-legacy", 4, 4)
	if len(got) != 0 {
		t.Errorf("%d bytes from a corrupt block", len(got))
	}
}

// zstdCompress compresses with klauspost's encoder.
func zstdCompress(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	enc.Write(data)
	enc.Close()
	return buf.Bytes()
}

func TestZstdFrames(t *testing.T) {
	env := testEnv(t, 0)
	b := readInitrdFixture(t, "skippable-two-frames.zst")
	n := openAs(t, b, "zstd", env)
	wantField(t, n, "frames", "2")
	wantField(t, n, "skippable frames", "1 (8 bytes)")
	wantField(t, n, "checksum", "XXH64")
	wantField(t, n, "frame 2 checksum", "none")
	wantField(t, n, "content size", "3000")
	got, c := contentOf(t, n)
	if c.Err != nil || !bytes.Equal(got, readInitrdFixture(t, "base.cpio")) {
		t.Fatalf("content differs from base.cpio (err %v)", c.Err)
	}

	single := readInitrdFixture(t, "initrd-a.zst")
	n = openAs(t, single, "zstd", env)
	wantField(t, n, "frames", "1")
	noField(t, n, "skippable frames")
	if _, ok := n.Field("window size"); !ok {
		t.Error("no window size")
	}

	// Truncated: the error is at the end, the bytes before it kept.
	got, c = contentOf(t, openAs(t, single[:len(single)-100], "zstd", env))
	wantFormatErr(t, c.Err, "zstd", 0, int64(len(single)))
	// The end of a run of frames, without decoding.
	pr := readat.NewPeek(bytes.NewReader(b), int64(len(b)))
	if end, ok := zstdStreamEnd(pr, 0, int64(len(b))); !ok || end != int64(len(b)) {
		t.Errorf("zstdStreamEnd = %d, %v", end, ok)
	}
}

func TestZstdBrokenFrame(t *testing.T) {
	env := testEnv(t, 0)
	b := readInitrdFixture(t, "initrd-broken-zstd")
	good := readInitrdFixture(t, "initrd-a.zst")
	off := int64(len(b) - len(good)) // the zstd segment
	z := b[off:]
	n := openAs(t, z, "zstd", env)
	got, c := contentOf(t, n)
	if c.Err == nil {
		t.Fatal("a broken frame decoded without error")
	}
	// Bytes were flipped at len/2: the error names the block holding them
	// (or the checksum after it).
	fe := wantFormatErr(t, c.Err, "zstd", 4, int64(len(z)))
	t.Logf("broken frame: %v (%d bytes decoded before)", fe, len(got))
	base := readInitrdFixture(t, "base.cpio")
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
	env := testEnv(t, 0)
	b := readInitrdFixture(t, "initrd-a.lzma")
	n := openAs(t, b, "lzma", env)
	wantField(t, n, "properties", "lc=3 lp=0 pb=2")
	wantField(t, n, "dictionary size", "64 MiB")
	wantField(t, n, "uncompressed size", "unknown (end marker)")
	if got, c := contentOf(t, n); c.Err != nil || !bytes.Equal(got, readInitrdFixture(t, "base.cpio")) {
		t.Fatalf("content differs from base.cpio (err %v)", c.Err)
	}
}

func TestCompressedFixtures(t *testing.T) {
	env := testEnv(t, 0)
	base := readInitrdFixture(t, "base.cpio")
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
			n := openAs(t, readInitrdFixture(t, tc.file), tc.format, env)
			if n.Layer != tc.format || n.Type != TypeRecord || len(n.Children) != 1 {
				t.Fatalf("root %+v", n)
			}
			for k, v := range tc.fields {
				wantField(t, n, k, v)
			}
			got, c := contentOf(t, n)
			if c.Err != nil || !bytes.Equal(got, base) || c.Type != TypeFile {
				t.Fatalf("content: %d bytes, err %v", len(got), c.Err)
			}
			// Padding and trailing data are told apart in every format.
			padded := append(readInitrdFixture(t, tc.file), make([]byte, 8)...)
			n = openAs(t, padded, tc.format, env)
			if _, c := contentOf(t, n); c.Err != nil {
				t.Fatalf("padded: %v", c.Err)
			}
			wantField(t, n, "padding", "8 zero bytes")
		})
	}
}

// What follows a bzip2 stream, whatever its length, is told apart from a
// stream cut short.
func TestBzip2Trailing(t *testing.T) {
	env := testEnv(t, 0)
	bz := readInitrdFixture(t, "initrd-a.bz2")
	base := readInitrdFixture(t, "base.cpio")
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
		n := openAs(t, append(bytes.Clone(bz), tc.tail...), "bzip2", env)
		got, c := contentOf(t, n)
		if c.Err != nil || !bytes.Equal(got, base) {
			t.Errorf("%s: err %v", tc.name, c.Err)
			continue
		}
		if tc.padding != "" {
			wantField(t, n, "padding", tc.padding)
		} else {
			noField(t, n, "padding")
		}
		if tr := n.Child(TrailingName); (tr != nil) != tc.trailing || (tr != nil && tr.Offset != int64(len(bz))) {
			t.Errorf("%s: trailing %+v", tc.name, tr)
		}
	}
	for _, cut := range []int{1, 2, 5, len(bz) / 2} {
		got, c := contentOf(t, openAs(t, bz[:len(bz)-cut], "bzip2", env))
		wantFormatErr(t, c.Err, "bzip2", 0, int64(len(bz)))
		if !bytes.HasPrefix(base, got) {
			t.Errorf("cut %d: the bytes before the error are wrong", cut)
		}
	}
}

// Layers are opened concurrently (both sides of a comparison, and the
// entries of each): pooled decoders must not mix streams.
func TestStreamsConcurrently(t *testing.T) {
	env := testEnv(t, 0)
	base := readInitrdFixture(t, "base.cpio")
	files := map[string]string{"initrd-a.zst": "zstd", "skippable-two-frames.zst": "zstd", "initrd-a.gz": "gzip",
		"initrd-a.xz": "xz", "initrd-a.lz4": "lz4-legacy", "initrd-a.bz2": "bzip2", "multimember.gz": "gzip",
		"initrd-a.lzo": "lzop"}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		for file, format := range files {
			b := readInitrdFixture(t, file)
			wg.Go(func() {
				n, err := testFormats[slices.IndexFunc(testFormats, func(f Format) bool { return f.Name == format })].Open(bytes.NewReader(b), int64(len(b)), env)
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
	env := testEnv(t, 0)
	good := readInitrdFixture(t, "initrd-a.lzo")
	// The header: magic 9, version 2, library 2, needed 2, method 1,
	// level 1, flags 4, mode 4, mtime 8, name length 1 (0), checksum 4.
	const headerSum = 9 + 2 + 2 + 2 + 1 + 1 + 4 + 4 + 8 + 1
	const firstBlock = headerSum + 4
	// The block: sizes 8, adler32 of the data 4 (the flags ask for no
	// other), then the stored bytes.
	const blockData = firstBlock + 8 + 4

	broken := bytes.Clone(good)
	broken[headerSum-2] ^= 1 // in the mtime
	if _, err := OpenLzop(bytes.NewReader(broken), int64(len(broken)), env); err == nil || !strings.Contains(err.Error(), "header checksum") {
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
		n, err := OpenLzop(bytes.NewReader(tc.b), int64(len(tc.b)), env)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		c := n.Child("content")
		var fe *FormatError
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
