package cpio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
	"isodiff/unpack/internal/trailing"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func openCpioBytes(t testing.TB, b []byte) *unpack.Node {
	t.Helper()
	n, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCpioTree(t *testing.T) {
	const dir, file, link = 0o040755, 0o100644, 0o120777
	b := testutil.NewcArchive("070701",
		testutil.CpioEntry{Name: ".", Mode: dir, Ino: 1, Mtime: 1},
		testutil.CpioEntry{Name: "./b/c/file", Mode: file, Ino: 2, Data: "hello", Mtime: 1},
		testutil.CpioEntry{Name: "./b", Mode: dir, Ino: 3, Mtime: 1},
		testutil.CpioEntry{Name: "/a", Mode: file, Ino: 4, Data: "abc"},
		testutil.CpioEntry{Name: "dev/tty", Mode: 0o020620, Ino: 5, RdevMaj: 4, RdevMin: 1},
		testutil.CpioEntry{Name: "init", Mode: link, Ino: 6, Data: "/nix/store/x-init"},
		testutil.CpioEntry{Name: "a", Mode: file, Ino: 7, Data: "dup"},
		testutil.CpioEntry{Name: "h1", Mode: file, Ino: 8, Nlink: 2},
		testutil.CpioEntry{Name: "h2", Mode: file, Ino: 8, Nlink: 2, Data: "shared"},
	)
	root := openCpioBytes(t, b)
	if root.Err != nil {
		t.Fatal(root.Err)
	}
	testutil.WantField(t, root, "format", "newc (070701)")
	testutil.WantField(t, root, "members", "9")
	top := root.Child("/")
	testutil.WantField(t, top, "name", ".")
	testutil.WantField(t, top, "mode", "drwxr-xr-x (00755)")
	testutil.NoField(t, top, "implied")
	if got := strings.Join(top.Order(), " "); got != "b a dev init a (duplicate 2) h1 h2" {
		t.Errorf("root order %q", got)
	}
	for i, c := range top.Children[1:] {
		if top.Children[i].Name >= c.Name {
			t.Errorf("children not sorted: %v", testutil.ChildNames(top))
		}
	}

	f := testutil.TreeNode(t, root, "/b/c/file")
	testutil.WantField(t, f, "name", "./b/c/file")
	testutil.WantField(t, f, "size", "5")
	testutil.WantField(t, f, "inode", "2")
	testutil.WantField(t, f, "mtime", "1970-01-01T00:00:01Z")
	if got := testutil.DataBytes(t, f.Data); string(got) != "hello" {
		t.Errorf("data %q", got)
	}
	// b came after its own member: the implied directory became it.
	bdir := testutil.TreeNode(t, root, "/b")
	testutil.NoField(t, bdir, "implied")
	testutil.WantField(t, bdir, "inode", "3")
	c := testutil.TreeNode(t, root, "/b/c")
	testutil.WantField(t, c, "implied", "yes")
	if c.Type != unpack.TypeDir {
		t.Errorf("implied c is a %s", c.Type)
	}

	a := testutil.TreeNode(t, root, "/a")
	testutil.WantField(t, a, "name", "/a")
	dup := testutil.TreeNode(t, root, "/a (duplicate 2)")
	if dup.Err == nil || string(testutil.DataBytes(t, dup.Data)) != "dup" {
		t.Errorf("duplicate: err %v", dup.Err)
	}
	testutil.NoField(t, dup, "name")

	tty := testutil.TreeNode(t, root, "/dev/tty")
	if tty.Type != unpack.TypeCharDevice || tty.Data != nil {
		t.Errorf("tty: %s", tty.Type)
	}
	testutil.WantField(t, tty, "rdev", "4,1")
	testutil.WantField(t, testutil.TreeNode(t, root, "/dev"), "implied", "yes")
	testutil.WantField(t, testutil.TreeNode(t, root, "/init"), "link target", "/nix/store/x-init")

	h1 := testutil.TreeNode(t, root, "/h1")
	testutil.WantField(t, h1, "hard link of", "/h2")
	testutil.NoField(t, testutil.TreeNode(t, root, "/h2"), "hard link of")
	if got := testutil.DataBytes(t, h1.Data); string(got) != "shared" {
		t.Errorf("hard link data %q", got)
	}
	testutil.NoField(t, root, "padding")
}

func TestCpioNameStyles(t *testing.T) {
	// "./init" and "init": the same tree, the same order, and a
	// difference in the field "name" only.
	plain := openCpioBytes(t, testutil.NewcArchive("070701", testutil.CpioEntry{Name: "init", Mode: 0o100755, Data: "x"}, testutil.CpioEntry{Name: "etc", Mode: 0o040755}))
	dots := openCpioBytes(t, testutil.NewcArchive("070701", testutil.CpioEntry{Name: ".", Mode: 0o040755}, testutil.CpioEntry{Name: "./init", Mode: 0o100755, Data: "x"}, testutil.CpioEntry{Name: "./etc", Mode: 0o040755}))
	for _, p := range []string{"/init", "/etc"} {
		a, b := testutil.TreeNode(t, plain, p), testutil.TreeNode(t, dots, p)
		testutil.NoField(t, a, "name")
		testutil.WantField(t, b, "name", "."+p)
	}
	if a, b := strings.Join(plain.Child("/").Order(), " "), strings.Join(dots.Child("/").Order(), " "); a != b {
		t.Errorf("orders differ: %q vs %q", a, b)
	}
}

func TestCpioErrors(t *testing.T) {
	const file = 0o100644
	good := testutil.CpioEntry{Name: "first", Mode: file, Data: "data"}
	for _, tc := range []struct {
		name    string
		b       []byte
		member  string // the member holding the error, "" for the root
		members string
	}{
		{"file size beyond input", testutil.NewcArchive("070701", good, testutil.CpioEntry{Name: "big", Mode: file, Size: 0xfffffff0}), "/big", "1"},
		{"name size beyond input", testutil.NewcArchive("070701", good, testutil.CpioEntry{Name: "n", Mode: file, Namesize: 0x7fffffff}), "", "1"},
		{"name size 0", testutil.NewcArchive("070701", good, testutil.CpioEntry{Name: "n", Mode: file, Namesize: -1}), "", "1"},
		{"data cut", testutil.NewcArchive("070701", good)[:116], "/first", "0"},
		{"no trailer", testutil.NewcArchive("070701", good)[:120], "", "1"},
		{"truncated header", testutil.NewcArchive("070701", good)[:150], "", "1"},
		{"crc mismatch", testutil.NewcArchive("070702", good, testutil.CpioEntry{Name: "bad", Mode: file, Data: "xyz", Check: 5}), "/bad", "2"},
		{"bad hex", bytes.Replace(testutil.NewcArchive("070701", good), []byte("00000001"), []byte("0000000G"), 1), "", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := openCpioBytes(t, tc.b)
			testutil.WantField(t, root, "members", tc.members)
			var err error
			if tc.member == "" {
				err = root.Err
			} else {
				err = testutil.TreeNode(t, root, tc.member).Err
			}
			var fe *unpack.FormatError
			if !errors.As(err, &fe) || fe.Layer != "cpio" || fe.Offset < 0 || fe.Offset > int64(len(tc.b)) {
				t.Fatalf("err %v", err)
			}
			if tc.member != "" && tc.name != "crc mismatch" && root.Err == nil {
				t.Error("the archive is not marked as read only in part")
			}
		})
	}
}

func TestCpioPaddingAndTrailing(t *testing.T) {
	b := testutil.NewcArchive("070701", testutil.CpioEntry{Name: "f", Mode: 0o100644, Data: "a"})
	root := openCpioBytes(t, append(bytes.Clone(b), make([]byte, 400)...))
	testutil.WantField(t, root, "padding", "400 zero bytes")
	testutil.WantField(t, root, "archive size", fmt.Sprint(len(b)))
	root = openCpioBytes(t, append(bytes.Clone(b), "garbage"...))
	if tr := root.Child(trailing.Name); tr == nil || string(testutil.DataBytes(t, tr.Data)) != "garbage" {
		t.Fatalf("trailing: %v", testutil.ChildNames(root))
	}
	// Non-zero padding after data is a field of the member.
	bad := bytes.Clone(b)
	i := bytes.Index(bad, []byte("f\x00")) + 2
	for bad[i] == 0 {
		i++
	}
	bad[i+1] = 'Z' // after the data byte "a"
	testutil.WantField(t, testutil.TreeNode(t, openCpioBytes(t, bad), "/f"), "padding after data", "5a0000")
	// So is non-zero padding after the name, apart from the data's.
	bad = testutil.NewcArchive("070701", testutil.CpioEntry{Name: "fg", Mode: 0o100644, Data: "a"})
	bad[bytes.Index(bad, []byte("fg\x00"))+4] = 'Y' // 110 + 3 bytes: 3 of padding
	f := testutil.TreeNode(t, openCpioBytes(t, bad), "/fg")
	testutil.WantField(t, f, "padding after name", "005900")
	testutil.NoField(t, f, "padding after data")
}

// binBE is the big-endian form of base-bin.cpio, which GNU cpio writes
// only on a big-endian machine (it has no option for the other order).
const binBE = "base-bin.cpio, swapped"

// readFixture reads a fixture of fixtures/initrd, or derives binBE.
func readFixture(t testing.TB, name string) []byte {
	if name == binBE {
		return testutil.SwapBinHeaders(testutil.ReadInitrdFixture(t, "base-bin.cpio"))
	}
	return testutil.ReadInitrdFixture(t, name)
}

func TestCpioFixtureFormats(t *testing.T) {
	newc := openCpioBytes(t, testutil.ReadInitrdFixture(t, "base.cpio"))
	for _, tc := range []struct{ file, format string }{
		{"base-odc.cpio", "odc (070707)"},
		{"base-crc.cpio", "crc (070702)"},
		{"base-bin.cpio", "bin (070707 little-endian)"},
		{binBE, "bin (070707 big-endian)"},
	} {
		n := openCpioBytes(t, readFixture(t, tc.file))
		if n.Err != nil {
			t.Fatalf("%s: %v", tc.file, n.Err)
		}
		testutil.WantField(t, n, "format", tc.format)
		// The same tree, the same contents, whatever the format.
		var walk func(a, b *unpack.Node, path string)
		walk = func(a, b *unpack.Node, path string) {
			if a.Type != b.Type || len(a.Children) != len(b.Children) {
				t.Fatalf("%s %s: %s vs %s", tc.file, path, a.Type, b.Type)
			}
			for _, f := range []string{"mode", "uid", "gid", "size", "mtime", "link target", "rdev"} {
				va, _ := a.Field(f)
				vb, _ := b.Field(f)
				// odc and bin store a hard link's data with every link.
				if va != vb && !(f == "size" && (tc.format[:3] == "odc" || tc.format[:3] == "bin")) {
					t.Errorf("%s %s: %s %q vs %q", tc.file, path, f, va, vb)
				}
			}
			if a.Data != nil && !bytes.Equal(testutil.DataBytes(t, a.Data), testutil.DataBytes(t, b.Data)) {
				t.Errorf("%s %s: contents differ", tc.file, path)
			}
			for i := range a.Children {
				walk(a.Children[i], b.Children[i], path+"/"+a.Children[i].Name)
			}
		}
		walk(newc.Child("/"), n.Child("/"), "")
	}
	crc := openCpioBytes(t, testutil.ReadInitrdFixture(t, "base-crc.cpio"))
	if _, ok := testutil.TreeNode(t, crc, "/etc/passwd").Field("check"); !ok {
		t.Error("crc archive without check field")
	}
}

func TestCpioAbsurdFixture(t *testing.T) {
	root := openCpioBytes(t, testutil.ReadInitrdFixture(t, "absurd-size.cpio"))
	if root.Err == nil {
		t.Fatal("no error")
	}
	n := testutil.TreeNode(t, root, "/init")
	testutil.WantFormatErr(t, n.Err, "cpio", 0, 1<<20)
	if n.Data != nil {
		t.Error("data for a member whose size is beyond the input")
	}
}

// readAt failures of the underlying reader are errors, not panics.
func TestCpioShortReader(t *testing.T) {
	b := testutil.NewcArchive("070701", testutil.CpioEntry{Name: "f", Mode: 0o100644, Data: "abc"})
	r := io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b)))
	n, err := Open(r, int64(len(b))+1000, nil) // a size beyond what reads
	if err != nil {
		t.Fatal(err)
	}
	_ = n
}

func TestCpioOddHeaderFields(t *testing.T) {
	const file = 0o100644
	b := testutil.NewcArchive("070701", testutil.CpioEntry{Name: "f", Mode: file, Data: "abc", Ino: 0xab})
	root := openCpioBytes(t, b)
	f := testutil.TreeNode(t, root, "/f")
	for _, name := range []string{"lower-case hex", "check", "rdev", "file type bits", "format"} {
		testutil.NoField(t, f, name)
	}
	tr := root.Child("[trailer]")
	if tr == nil {
		t.Fatalf("no trailer record: %v", testutil.ChildNames(root))
	}
	testutil.WantField(t, tr, "nlink", "1")
	if root.Child("[unclaimed bytes]") != nil {
		t.Error("an archive read to its end has unclaimed bytes")
	}
	if got := testutil.HeldAt(root, 0); !slices.Equal(got, []string{"header of member f"}) {
		t.Errorf("byte 0 held by %q", got)
	}

	// The upper-case hex GNU cpio writes, spelled in lower case: the
	// values are the same, the bytes are not.
	low := bytes.Clone(b)
	copy(low[6:14], "000000ab")
	testutil.WantField(t, testutil.TreeNode(t, openCpioBytes(t, low), "/f"), "lower-case hex", "ino 000000ab")

	odd := testutil.NewcArchive("070701",
		testutil.CpioEntry{Name: "f", Mode: file, Data: "abc", RdevMaj: 8, RdevMin: 1},
		testutil.CpioEntry{Name: "g", Mode: 0o030644, Check: 7})
	root = openCpioBytes(t, odd)
	testutil.WantField(t, testutil.TreeNode(t, root, "/f"), "rdev", "8,1")
	g := testutil.TreeNode(t, root, "/g")
	testutil.WantField(t, g, "check", "0x00000007")
	testutil.WantField(t, g, "file type bits", "0030000")

	// A crc member in a newc archive.
	mixed := bytes.Clone(b)
	trailerAt := bytes.Index(mixed, []byte(trailerName)) - newcHeader
	copy(mixed[trailerAt:], "070702")
	tr = openCpioBytes(t, mixed).Child("[trailer]")
	testutil.WantField(t, tr, "format", "crc (070702)")

	// After a damaged header the rest of the archive is unclaimed, and
	// shows as it is.
	cut := bytes.Clone(b)
	i := trailerAt
	cut[i+3] = 'x'
	root = openCpioBytes(t, cut)
	un := root.Child("[unclaimed bytes]")
	if root.Err == nil || un == nil {
		t.Fatalf("damaged trailer header: err %v, children %v", root.Err, testutil.ChildNames(root))
	}
	if r := un.Data.(*layout.Masked).Ranges(); len(r) != 1 || r[0] != (unpack.Range{Start: int64(i), End: int64(len(cut))}) {
		t.Errorf("unclaimed %v, want [%d, %d)", r, i, len(cut))
	}
}

func TestFlipAccountingCpio(t *testing.T) {
	for _, file := range []string{"base.cpio", "base-crc.cpio", "base-odc.cpio", "base-bin.cpio", binBE, "absurd-size.cpio"} {
		t.Run(file, func(t *testing.T) {
			c := testutil.RunFlips(t, testutil.FlipSubject{File: file, Open: Open, Data: readFixture(t, file)}, testutil.CurrentFlipPlan())
			t.Logf("%s: %d flips, %d invisible", file, c.Flips, c.Invisible)
		})
	}
}

// TestMemberMeta checks the fields a member keeps as its header's place:
// decoded again they are what the header says, two members of the same
// header bytes are proven equal without decoding, and one header byte
// changed is not.
func TestMemberMeta(t *testing.T) {
	for _, name := range []string{"base.cpio", "base-crc.cpio", "base-odc.cpio", "base-bin.cpio", binBE} {
		t.Run(name, func(t *testing.T) {
			b := readFixture(t, name)
			a, same := openCpioBytes(t, b), openCpioBytes(t, b)
			metas := 0
			file := ""
			a.Child("/").Walk("/", func(n *unpack.Node, path string) {
				o := testutil.TreeNode(t, same, path)
				if n.Meta() == nil {
					return
				}
				metas++
				if file == "" && n.Type == unpack.TypeFile {
					file = path
				}
				if !n.Meta().SameMeta(o.Meta()) {
					t.Errorf("%s: the same header bytes not proven equal", path)
				}
				if !slices.Equal(n.AllFields(), o.AllFields()) || len(n.AllFields()) < 8 {
					t.Errorf("%s: fields %v, %v", path, n.AllFields(), o.AllFields())
				}
				if v, ok := n.Field("mode"); !ok || v == "" {
					t.Errorf("%s: no mode field in %v", path, n.AllFields())
				}
				// The data read through the entry is the member's bytes.
				if n.Data != nil {
					_, off, size := n.Data.(interface {
						Outer() (io.ReaderAt, int64, int64)
					}).Outer()
					if err := iotest.TestReader(io.NewSectionReader(n.Data, 0, n.Data.Size()), b[off:off+size]); err != nil {
						t.Errorf("%s: %v", path, err)
					}
				}
			})
			if metas < 5 {
				t.Fatalf("%d members with a Meta", metas)
			}
			// The uid of a file (newc: the third of 13 eight-digit fields,
			// odc: the fourth six-digit one, bin: the fifth word) changed
			// to another digit.
			init := testutil.TreeNode(t, a, file)
			hdr := init.Meta().(*memberEntry).off
			at := hdr + 6 + 2*8 + 7
			switch name {
			case "base-odc.cpio":
				at = hdr + 6 + 3*6 + 5
			case "base-bin.cpio":
				at = hdr + 2*4
			case binBE:
				at = hdr + 2*4 + 1
			}
			c := bytes.Clone(b)
			c[at] ^= 1
			other := testutil.TreeNode(t, openCpioBytes(t, c), file)
			if init.Meta().SameMeta(other.Meta()) {
				t.Fatal("a changed uid proven equal")
			}
			ua, _ := init.Field("uid")
			ub, _ := other.Field("uid")
			if ua == ub {
				t.Errorf("uid %q on both sides after the header changed", ua)
			}
		})
	}
}
