package zip

import (
	stdzip "archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/testutil"
	"strconv"
	"strings"
	"testing"
)

func openZip(t testing.TB, b []byte, env *unpack.Env) *unpack.Node {
	t.Helper()
	n, err := Open(bytes.NewReader(b), int64(len(b)), env)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestZipAgainstArchiveZip: every entry archive/zip lists is in the tree,
// with its data, time and mode.
func TestZipAgainstArchiveZip(t *testing.T) {
	for _, name := range []string{"zip-X.zip", "zip-extra.zip", "zip-mtime.zip", "jar-a.jar"} {
		t.Run(name, func(t *testing.T) {
			b := testutil.ReadArchiveFixture(t, name)
			if !matchZip(b[:min(len(b), unpack.HeadSize)], bytes.NewReader(b), int64(len(b))) {
				t.Fatal("not detected")
			}
			root := openZip(t, b, testutil.Env(t, 1<<20))
			if root.Err != nil {
				t.Fatal(root.Err)
			}
			zr, err := stdzip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			testutil.WantField(t, root, "entries", strconv.Itoa(len(zr.File)))
			for _, f := range zr.File {
				n := testutil.TreeNode(t, root, "/"+strings.TrimSuffix(f.Name, "/"))
				if n.Err != nil {
					t.Errorf("%s: %v", f.Name, n.Err)
				}
				testutil.WantField(t, n, "mtime", f.Modified.UTC().Format("2006-01-02 15:04:05"))
				if f.Mode().IsRegular() {
					rc, _ := f.Open()
					want, _ := io.ReadAll(rc)
					if got := testutil.DataBytes(t, n.Data); !bytes.Equal(got, want) {
						t.Errorf("%s: data differs from archive/zip's", f.Name)
					}
				}
				if f.Mode()&0o777 != 0 && f.CreatorVersion>>8 == 3 {
					if v, _ := n.Field("mode"); !strings.HasPrefix(v, modeLetter(n)+f.Mode().Perm().String()[1:]) {
						t.Errorf("%s: mode %q, archive/zip %s", f.Name, v, f.Mode())
					}
				}
			}
			testutil.CheckLayerTree(t, root, 0)
		})
	}
}

func modeLetter(n *unpack.Node) string {
	switch n.Type {
	case unpack.TypeDir:
		return "d"
	case unpack.TypeSymlink:
		return "l"
	}
	return "-"
}

// TestZipFields: what zip without -X adds, and what the local headers
// hold apart from the central directory.
func TestZipFields(t *testing.T) {
	root := openZip(t, testutil.ReadArchiveFixture(t, "zip-extra.zip"), nil)
	conf := testutil.TreeNode(t, root, "/etc/tool.conf")
	testutil.WantField(t, conf, "method", "deflated (8)")
	testutil.WantField(t, conf, "version made by", "3.0 (Unix)")
	testutil.WantField(t, conf, "mode", "-rw-r--r-- (00644)")
	testutil.WantField(t, conf, "extended mtime", "2023-11-14T22:13:20Z")
	testutil.WantField(t, conf, "local extended atime", "2023-11-14T22:13:20Z")
	testutil.WantField(t, conf, "uid", "0")
	link := testutil.TreeNode(t, root, "/bin/tool-link")
	if link.Type != unpack.TypeSymlink {
		t.Errorf("tool-link is a %s", link.Type)
	}
	testutil.WantField(t, link, "link target", "tool")
	plain := openZip(t, testutil.ReadArchiveFixture(t, "zip-X.zip"), nil)
	testutil.NoField(t, testutil.TreeNode(t, plain, "/etc/tool.conf"), "extended mtime")

	jar := openZip(t, testutil.ReadArchiveFixture(t, "jar-a.jar"), nil)
	meta := testutil.TreeNode(t, jar, "/META-INF")
	testutil.WantField(t, meta, "jar marker", "0xcafe")
	main := testutil.TreeNode(t, jar, "/org/example/Main.class")
	testutil.WantField(t, main, "data descriptor", "16 bytes")
	testutil.WantField(t, main, "local crc32", "0x00000000")
	if got := strings.Join(testutil.TreeNode(t, jar, "/org/example").Order(), " "); got != "Main.class Util.class messages.properties" {
		t.Errorf("order %q", got)
	}
}

// TestZipLayoutNames: a byte is named by the header and field holding it.
func TestZipLayoutNames(t *testing.T) {
	b := testutil.ReadArchiveFixture(t, "zip-extra.zip")
	root := openZip(t, b, nil)
	conf := testutil.TreeNode(t, root, "/etc/tool.conf")
	lh, _ := conf.Field("local header offset")
	lo, _ := strconv.ParseInt(lh, 10, 64)
	for _, tc := range []struct {
		off  int64
		want string
	}{
		{lo + 11, "local header of entry etc/tool.conf: mtime"},
		{lo + 31, "name in the local header of entry etc/tool.conf"},
		{conf.Offset, "compressed data of entry etc/tool.conf"},
		{int64(len(b)) - 10, "end of central directory record"},
	} {
		if got := strings.Join(testutil.HeldAt(root, tc.off), "; "); got != tc.want {
			t.Errorf("byte %d held by %q, want %q", tc.off, got, tc.want)
		}
	}
}

// TestZipDetect: only an archive whose end record the spec finds is a
// zip; one behind a stub is found from its end and its stub is a child.
func TestZipDetect(t *testing.T) {
	b := testutil.ReadArchiveFixture(t, "zip-X.zip")
	head := func(b []byte) []byte { return b[:min(len(b), unpack.HeadSize)] }
	pk := append([]byte("PK\x03\x04"), make([]byte, 200)...)
	if matchZip(head(pk), bytes.NewReader(pk), int64(len(pk))) {
		t.Error("a file starting with PK but no end record is a zip")
	}
	stub := append(bytes.Repeat([]byte("#!stub\n"), 20), b...)
	r := bytes.NewReader(stub)
	if matchZip(head(stub), r, int64(len(stub))) || !matchAppended(head(stub), r, int64(len(stub))) {
		t.Fatal("a zip behind a stub: not found from its end only")
	}
	root := openZip(t, stub, nil)
	if root.Err != nil {
		t.Fatal(root.Err)
	}
	if got := string(testutil.ChildData(t, root, "[prefix]")); got != string(stub[:140]) {
		t.Errorf("prefix %q", got)
	}
	conf := testutil.TreeNode(t, root, "/etc/tool.conf")
	if !strings.HasPrefix(string(testutil.DataBytes(t, conf.Data)), "setting_01") {
		t.Error("data behind a stub not read")
	}
	if matchAppended(head(b), bytes.NewReader(b), int64(len(b))) {
		t.Error("a plain zip matches as appended")
	}
}

// TestZipHostile: sizes and counts are checked before anything is
// allocated or decoded; a wrong CRC or size fails the entry's reads with
// the reason; entries sharing their data are marked.
func TestZipHostile(t *testing.T) {
	b := testutil.ReadArchiveFixture(t, "zip-X.zip")
	end := len(b) - endLen
	cdOff := int(binary.LittleEndian.Uint32(b[end+16:]))
	// The central directory header of etc/tool.conf.
	i := -1
	for off := cdOff; off < end; {
		nameLen := int(binary.LittleEndian.Uint16(b[off+28:]))
		if string(b[off+46:off+46+nameLen]) == "etc/tool.conf" {
			i = off
			break
		}
		off += 46 + nameLen + int(binary.LittleEndian.Uint16(b[off+30:])) + int(binary.LittleEndian.Uint16(b[off+32:]))
	}
	if i < 0 {
		t.Fatal("no central directory header of etc/tool.conf")
	}

	crc := bytes.Clone(b)
	crc[i+16] ^= 0xff
	n := testutil.TreeNode(t, openZip(t, crc, nil), "/etc/tool.conf")
	if _, err := n.Data.ReadAt(make([]byte, 10), 0); err == nil || !strings.Contains(err.Error(), "CRC-32") {
		t.Errorf("wrong CRC: read error %v", err)
	}

	size := bytes.Clone(b)
	binary.LittleEndian.PutUint32(size[i+24:], 5)
	n = testutil.TreeNode(t, openZip(t, size, nil), "/etc/tool.conf")
	if _, err := n.Data.ReadAt(make([]byte, 5), 0); err == nil || !strings.Contains(err.Error(), "more than the 5 bytes") {
		t.Errorf("short size: read error %v", err)
	}

	huge := bytes.Clone(b)
	binary.LittleEndian.PutUint32(huge[i+24:], 0xfffffff0)
	n = testutil.TreeNode(t, openZip(t, huge, testutil.Env(t, 4096)), "/etc/tool.conf")
	if !errors.Is(n.Err, unpack.ErrTooLarge) || n.Data.Size() != 4096 {
		t.Errorf("a size beyond --max-decompressed: err %v, size %d", n.Err, n.Data.Size())
	}

	count := bytes.Clone(b)
	binary.LittleEndian.PutUint16(count[end+10:], 0xffff)
	binary.LittleEndian.PutUint16(count[end+8:], 0xffff)
	if _, err := Open(bytes.NewReader(count), int64(len(count)), nil); err == nil {
		t.Error("65535 entries in a small central directory: no error")
	}

	// Two central directory entries for one local header.
	shared := bytes.Clone(b)
	binary.LittleEndian.PutUint32(shared[i+42:], 0)
	n = testutil.TreeNode(t, openZip(t, shared, nil), "/etc/tool.conf")
	if n.Err == nil {
		t.Error("an entry whose local header is another's: no error")
	}
}

// TestZipSameStored: entries stored as the same compressed bytes are
// equal without decoding.
func TestZipSameStored(t *testing.T) {
	a := openZip(t, testutil.ReadArchiveFixture(t, "zip-extra.zip"), nil)
	b := openZip(t, testutil.ReadArchiveFixture(t, "zip-mtime.zip"), nil)
	da := testutil.TreeNode(t, a, "/etc/tool.conf").Data.(*entryData)
	db := testutil.TreeNode(t, b, "/etc/tool.conf").Data.(*entryData)
	same, err := da.SameStored(db)
	if !same || err != nil || da.content != nil || db.content != nil {
		t.Errorf("same %v err %v, decoded %v %v", same, err, da.content != nil, db.content != nil)
	}
	other := testutil.TreeNode(t, b, "/bin/tool").Data
	if same, _ := da.SameStored(other); same {
		t.Error("different entries are the same")
	}
}

// TestZipFlipAccounting: every single-bit change of an archive changes
// something a comparison sees, but a change of compressed data that
// decodes to the same bytes (left to the comparison's raw bytes).
func TestZipFlipAccounting(t *testing.T) {
	for _, name := range []string{"zip-extra.zip", "jar-a.jar"} {
		t.Run(name, func(t *testing.T) {
			orig := testutil.ReadArchiveFixture(t, name)
			env := testutil.Env(t, 1<<20)
			root := openZip(t, orig, env)
			stride := 7
			if testing.Short() {
				stride = 31
			}
			b := bytes.Clone(orig)
			flips, invisible := 0, 0
			for off := range b {
				held := testutil.HeldAt(root, int64(off))
				compressed := len(held) == 1 && strings.HasPrefix(held[0], "compressed data of")
				if compressed && off%stride != 0 {
					continue
				}
				bit := off % 8
				b[off] ^= 1 << bit
				n, err := Open(bytes.NewReader(b), int64(len(b)), env)
				flips++
				if err == nil && testutil.TreeDiff(root, n, nil) == "" && !compressed {
					invisible++
					t.Errorf("flipping bit %d of byte %d (%q) changes nothing the comparison sees", bit, off, held)
				}
				b[off] ^= 1 << bit
			}
			t.Logf("%s: %d flips, %d invisible", name, flips, invisible)
		})
	}
}

// FuzzZip feeds archives to the reader and reads every entry.
func FuzzZip(f *testing.F) {
	for _, name := range []string{"zip-X.zip", "zip-extra.zip", "jar-a.jar"} {
		f.Add(testutil.ReadArchiveFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		r := bytes.NewReader(b)
		head := b[:min(len(b), unpack.HeadSize)]
		matchZip(head, r, int64(len(b)))
		matchAppended(head, r, int64(len(b)))
		env := &unpack.Env{TempDir: t.TempDir(), MaxDecompressed: 1 << 20}
		defer env.Close()
		n, err := Open(r, int64(len(b)), env)
		if err != nil {
			var fe *unpack.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is no FormatError", err)
			}
			return
		}
		testutil.DropUnreadableData(t, n)
		testutil.CheckLayerTree(t, n, 0)
	})
}
