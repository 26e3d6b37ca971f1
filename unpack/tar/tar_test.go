package tar

import (
	stdtar "archive/tar"
	"bytes"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/testutil"
	"strconv"
	"strings"
	"testing"
)

func openTar(t testing.TB, b []byte) *unpack.Node {
	t.Helper()
	n, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTarAgainstArchiveTar: every member archive/tar lists is in the tree
// with its name, type, size, mtime, owner and data.
func TestTarAgainstArchiveTar(t *testing.T) {
	for _, name := range []string{"tar-a.tar", "tar-pax.tar", "tar-order.tar"} {
		t.Run(name, func(t *testing.T) {
			b := testutil.ReadArchiveFixture(t, name)
			if !matchTar(b[:unpack.HeadSize], nil, 0) {
				t.Fatal("not detected")
			}
			root := openTar(t, b)
			if root.Err != nil {
				t.Fatal(root.Err)
			}
			tr := stdtar.NewReader(bytes.NewReader(b))
			count := 0
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				count++
				n := testutil.TreeNode(t, root, "/"+strings.Trim(strings.TrimPrefix(h.Name, "./"), "/"))
				testutil.WantField(t, n, "uid", "0")
				testutil.WantField(t, n, "mtime", "2023-11-14T22:13:20Z")
				switch h.Typeflag {
				case stdtar.TypeDir:
					if n.Type != unpack.TypeDir {
						t.Errorf("%s: %s", h.Name, n.Type)
					}
				case stdtar.TypeSymlink:
					testutil.WantField(t, n, "link target", h.Linkname)
				case stdtar.TypeReg:
					want, _ := io.ReadAll(tr)
					if got := testutil.DataBytes(t, n.Data); !bytes.Equal(got, want) {
						t.Errorf("%s: data differs from archive/tar's", h.Name)
					}
				}
			}
			testutil.WantField(t, root, "members", strconv.Itoa(count))
			if v, _ := root.Field("padding"); !strings.HasSuffix(v, " zero bytes") {
				t.Errorf("padding to the record size: %q", v)
			}
			testutil.CheckLayerTree(t, root, 0)
		})
	}
}

// TestTarLongNames: a GNU long name and a pax path record give the same
// tree; how each archive stored the name shows in the extended header's
// fields.
func TestTarLongNames(t *testing.T) {
	const long = "/share/doc/a-directory-whose-name-is-long-enough/to-need-a-gnu-long-name-or-a-pax-path-record-in-tar.txt"
	gnu := testutil.TreeNode(t, openTar(t, testutil.ReadArchiveFixture(t, "tar-a.tar")), long)
	pax := testutil.TreeNode(t, openTar(t, testutil.ReadArchiveFixture(t, "tar-pax.tar")), long)
	testutil.WantField(t, gnu, "GNU long name header name", "././@LongLink")
	// GNU tar cuts the pax header's own name to the 100-byte field.
	testutil.WantField(t, pax, "pax header name", "./share/doc/a-directory-whose-name-is-long-enough/PaxHeaders/to-need-a-gnu-long-name-or-a-pax-path-r")
	testutil.WantField(t, pax, "format", "PAX")
	if string(testutil.DataBytes(t, gnu.Data)) != "a file with a long path\n" || testutil.ReadDiff(gnu.Data, pax.Data) != "" {
		t.Errorf("long-named member's data")
	}
}

// TestTarLayoutNames: bytes are named by the member and header field
// that hold them.
func TestTarLayoutNames(t *testing.T) {
	b := testutil.ReadArchiveFixture(t, "tar-a.tar")
	root := openTar(t, b)
	conf := testutil.TreeNode(t, root, "/etc/tool.conf")
	for _, tc := range []struct {
		off  int64
		want string
	}{
		{conf.Offset - 512 + 140, "header of member ./etc/tool.conf: mtime"},
		{conf.Offset + 10, "data of member ./etc/tool.conf"},
		{conf.Offset + conf.Data.Size() + 1, "padding after the data of member ./etc/tool.conf"},
		{int64(len(b)) - 1, "zero padding after the end of the archive"},
	} {
		if got := strings.Join(testutil.HeldAt(root, tc.off), "; "); got != tc.want {
			t.Errorf("byte %d held by %q, want %q", tc.off, got, tc.want)
		}
	}
}

// TestTarBroken: a bad checksum ends the walk with an error at the
// header, and the rest is compared as unclaimed bytes; a size beyond the
// input is refused before anything is read.
func TestTarBroken(t *testing.T) {
	b := testutil.ReadArchiveFixture(t, "tar-a.tar")
	root := openTar(t, b)
	tool := testutil.TreeNode(t, root, "/bin/tool")
	hdr := tool.Offset - 512
	bad := bytes.Clone(b)
	bad[hdr+10] ^= 1
	n := openTar(t, bad)
	testutil.WantFormatErr(t, n.Err, layerName, hdr+148, hdr+148)
	if n.Child("[unclaimed bytes]") == nil {
		t.Error("no [unclaimed bytes] after the damaged header")
	}
	big := bytes.Clone(b)
	copy(big[hdr+124:], "77777777777\x00")
	fixChecksum(big[hdr : hdr+512])
	n = openTar(t, big)
	testutil.WantFormatErr(t, n.Err, layerName, hdr+124, hdr+124)
}

func fixChecksum(h []byte) {
	u, _ := sums(h)
	copy(h[148:], []byte(strings.Repeat("0", 6-len(octal(u)))+octal(u)+"\x00 "))
}

func octal(v uint64) string { return strconv.FormatUint(v, 8) }

// TestTarFlipAccounting: every single-bit change of an archive changes
// something a comparison sees.
func TestTarFlipAccounting(t *testing.T) {
	for _, name := range []string{"tar-a.tar", "tar-pax.tar"} {
		t.Run(name, func(t *testing.T) {
			b := testutil.ReadArchiveFixture(t, name)
			// The zero padding to a 10 KiB record, as flips in it show the
			// same way every time: the first blocks of it only.
			b = b[:len(b)-16384]
			c := testutil.RunFlips(t, testutil.FlipSubject{File: name, Open: Open, Data: b}, testutil.CurrentFlipPlan())
			t.Logf("%s: %d flips, %d invisible", name, c.Flips, c.Invisible)
		})
	}
}

// FuzzTar feeds archives to the reader.
func FuzzTar(f *testing.F) {
	for _, name := range []string{"tar-a.tar", "tar-pax.tar"} {
		b := testutil.ReadArchiveFixture(f, name)
		f.Add(b[:len(b)-16384])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		if len(b) >= blockSize {
			matchTar(b[:blockSize], nil, 0)
		}
		if n, err := Open(bytes.NewReader(b), int64(len(b)), nil); err == nil {
			testutil.CheckLayerTree(t, n, 0)
		}
	})
}
