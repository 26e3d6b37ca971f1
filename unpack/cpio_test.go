package unpack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// cpioEntry is one member for newcArchive.
type cpioEntry struct {
	name             string
	mode             uint32
	ino, nlink       uint32
	data             string
	rdevMaj, rdevMin uint32
	mtime            uint32
	size             int64 // 0: len(data)
	check            int64 // 0: computed (crc format)
	namesize         int64 // 0: len(name)+1; -1: 0
}

// newcArchive writes a newc (magic "070701") or crc ("070702") archive of
// the entries and a trailer.
func newcArchive(magic string, entries ...cpioEntry) []byte {
	var b bytes.Buffer
	pad := func() {
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	write := func(e cpioEntry) {
		size := int64(len(e.data))
		if e.size != 0 {
			size = e.size
		}
		var sum uint32
		for _, c := range []byte(e.data) {
			sum += uint32(c)
		}
		check := int64(0)
		if magic == "070702" {
			check = int64(sum)
		}
		if e.check != 0 {
			check = e.check
		}
		ns := int64(len(e.name) + 1)
		if e.namesize > 0 {
			ns = e.namesize
		} else if e.namesize < 0 {
			ns = 0
		}
		nlink := e.nlink
		if nlink == 0 {
			nlink = 1
		}
		fmt.Fprintf(&b, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			magic, e.ino, e.mode, 0, 0, nlink, e.mtime, size, 0, 0, e.rdevMaj, e.rdevMin, ns, check)
		b.WriteString(e.name)
		b.WriteByte(0)
		pad()
		b.WriteString(e.data)
		pad()
	}
	for _, e := range entries {
		write(e)
	}
	write(cpioEntry{name: cpioTrailer})
	return b.Bytes()
}

// cpioTreeNode finds the node at path ("/a/b") below the layer root.
func cpioTreeNode(t testing.TB, root *Node, path string) *Node {
	t.Helper()
	n := root.Child("/")
	if n == nil {
		t.Fatalf("no / child")
	}
	for _, c := range strings.Split(strings.Trim(path, "/"), "/") {
		if c == "" {
			continue
		}
		next := n.Child(c)
		if next == nil {
			t.Fatalf("%s: no %q below %q (children %v)", path, c, n.Name, names(n))
		}
		n = next
	}
	return n
}

func names(n *Node) []string {
	var s []string
	for _, c := range n.Children {
		s = append(s, c.Name)
	}
	return s
}

func openCpioBytes(t testing.TB, b []byte) *Node {
	t.Helper()
	n, err := OpenCpio(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCpioTree(t *testing.T) {
	const dir, file, link = 0o040755, 0o100644, 0o120777
	b := newcArchive("070701",
		cpioEntry{name: ".", mode: dir, ino: 1, mtime: 1},
		cpioEntry{name: "./b/c/file", mode: file, ino: 2, data: "hello", mtime: 1},
		cpioEntry{name: "./b", mode: dir, ino: 3, mtime: 1},
		cpioEntry{name: "/a", mode: file, ino: 4, data: "abc"},
		cpioEntry{name: "dev/tty", mode: 0o020620, ino: 5, rdevMaj: 4, rdevMin: 1},
		cpioEntry{name: "init", mode: link, ino: 6, data: "/nix/store/x-init"},
		cpioEntry{name: "a", mode: file, ino: 7, data: "dup"},
		cpioEntry{name: "h1", mode: file, ino: 8, nlink: 2},
		cpioEntry{name: "h2", mode: file, ino: 8, nlink: 2, data: "shared"},
	)
	root := openCpioBytes(t, b)
	if root.Err != nil {
		t.Fatal(root.Err)
	}
	wantField(t, root, "format", "newc (070701)")
	wantField(t, root, "members", "9")
	top := root.Child("/")
	wantField(t, top, "name", ".")
	wantField(t, top, "mode", "drwxr-xr-x (00755)")
	noField(t, top, "implied")
	if got := strings.Join(top.Order, " "); got != "b a dev init a (duplicate 2) h1 h2" {
		t.Errorf("root order %q", got)
	}
	for i, c := range top.Children[1:] {
		if top.Children[i].Name >= c.Name {
			t.Errorf("children not sorted: %v", names(top))
		}
	}

	f := cpioTreeNode(t, root, "/b/c/file")
	wantField(t, f, "name", "./b/c/file")
	wantField(t, f, "size", "5")
	wantField(t, f, "inode", "2")
	wantField(t, f, "mtime", "1970-01-01T00:00:01Z")
	if got := dataBytes(t, f.Data); string(got) != "hello" {
		t.Errorf("data %q", got)
	}
	// b came after its own member: the implied directory became it.
	bdir := cpioTreeNode(t, root, "/b")
	noField(t, bdir, "implied")
	wantField(t, bdir, "inode", "3")
	c := cpioTreeNode(t, root, "/b/c")
	wantField(t, c, "implied", "yes")
	if c.Type != TypeDir {
		t.Errorf("implied c is a %s", c.Type)
	}

	a := cpioTreeNode(t, root, "/a")
	wantField(t, a, "name", "/a")
	dup := cpioTreeNode(t, root, "/a (duplicate 2)")
	if dup.Err == nil || string(dataBytes(t, dup.Data)) != "dup" {
		t.Errorf("duplicate: err %v", dup.Err)
	}
	noField(t, dup, "name")

	tty := cpioTreeNode(t, root, "/dev/tty")
	if tty.Type != TypeCharDevice || tty.Data != nil {
		t.Errorf("tty: %s", tty.Type)
	}
	wantField(t, tty, "rdev", "4,1")
	wantField(t, cpioTreeNode(t, root, "/dev"), "implied", "yes")
	wantField(t, cpioTreeNode(t, root, "/init"), "link target", "/nix/store/x-init")

	h1 := cpioTreeNode(t, root, "/h1")
	wantField(t, h1, "hard link of", "/h2")
	noField(t, cpioTreeNode(t, root, "/h2"), "hard link of")
	if got := dataBytes(t, h1.Data); string(got) != "shared" {
		t.Errorf("hard link data %q", got)
	}
	noField(t, root, "padding")
}

func TestCpioNameStyles(t *testing.T) {
	// "./init" and "init": the same tree, the same order, and a
	// difference in the field "name" only.
	plain := openCpioBytes(t, newcArchive("070701", cpioEntry{name: "init", mode: 0o100755, data: "x"}, cpioEntry{name: "etc", mode: 0o040755}))
	dots := openCpioBytes(t, newcArchive("070701", cpioEntry{name: ".", mode: 0o040755}, cpioEntry{name: "./init", mode: 0o100755, data: "x"}, cpioEntry{name: "./etc", mode: 0o040755}))
	for _, p := range []string{"/init", "/etc"} {
		a, b := cpioTreeNode(t, plain, p), cpioTreeNode(t, dots, p)
		noField(t, a, "name")
		wantField(t, b, "name", "."+p)
	}
	if a, b := strings.Join(plain.Child("/").Order, " "), strings.Join(dots.Child("/").Order, " "); a != b {
		t.Errorf("orders differ: %q vs %q", a, b)
	}
}

func TestCpioErrors(t *testing.T) {
	const file = 0o100644
	good := cpioEntry{name: "first", mode: file, data: "data"}
	for _, tc := range []struct {
		name    string
		b       []byte
		member  string // the member holding the error, "" for the root
		members string
	}{
		{"file size beyond input", newcArchive("070701", good, cpioEntry{name: "big", mode: file, size: 0xfffffff0}), "/big", "1"},
		{"name size beyond input", newcArchive("070701", good, cpioEntry{name: "n", mode: file, namesize: 0x7fffffff}), "", "1"},
		{"name size 0", newcArchive("070701", good, cpioEntry{name: "n", mode: file, namesize: -1}), "", "1"},
		{"data cut", newcArchive("070701", good)[:116], "/first", "0"},
		{"no trailer", newcArchive("070701", good)[:120], "", "1"},
		{"truncated header", newcArchive("070701", good)[:150], "", "1"},
		{"crc mismatch", newcArchive("070702", good, cpioEntry{name: "bad", mode: file, data: "xyz", check: 5}), "/bad", "2"},
		{"bad hex", bytes.Replace(newcArchive("070701", good), []byte("00000001"), []byte("0000000G"), 1), "", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := openCpioBytes(t, tc.b)
			wantField(t, root, "members", tc.members)
			var err error
			if tc.member == "" {
				err = root.Err
			} else {
				err = cpioTreeNode(t, root, tc.member).Err
			}
			var fe *FormatError
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
	b := newcArchive("070701", cpioEntry{name: "f", mode: 0o100644, data: "a"})
	root := openCpioBytes(t, append(bytes.Clone(b), make([]byte, 400)...))
	wantField(t, root, "padding", "400 zero bytes")
	wantField(t, root, "archive size", fmt.Sprint(len(b)))
	root = openCpioBytes(t, append(bytes.Clone(b), "garbage"...))
	if tr := root.Child(TrailingName); tr == nil || string(dataBytes(t, tr.Data)) != "garbage" {
		t.Fatalf("trailing: %v", names(root))
	}
	// Non-zero padding after data is a field of the member.
	bad := bytes.Clone(b)
	i := bytes.Index(bad, []byte("f\x00")) + 2
	for bad[i] == 0 {
		i++
	}
	bad[i+1] = 'Z' // after the data byte "a"
	wantField(t, cpioTreeNode(t, openCpioBytes(t, bad), "/f"), "padding after data", "5a0000")
	// So is non-zero padding after the name, apart from the data's.
	bad = newcArchive("070701", cpioEntry{name: "fg", mode: 0o100644, data: "a"})
	bad[bytes.Index(bad, []byte("fg\x00"))+4] = 'Y' // 110 + 3 bytes: 3 of padding
	f := cpioTreeNode(t, openCpioBytes(t, bad), "/fg")
	wantField(t, f, "padding after name", "005900")
	noField(t, f, "padding after data")
}

func TestCpioFixtureFormats(t *testing.T) {
	newc := openCpioBytes(t, readInitrdFixture(t, "base.cpio"))
	for _, tc := range []struct{ file, format string }{
		{"base-odc.cpio", "odc (070707)"},
		{"base-crc.cpio", "crc (070702)"},
	} {
		n := openCpioBytes(t, readInitrdFixture(t, tc.file))
		if n.Err != nil {
			t.Fatalf("%s: %v", tc.file, n.Err)
		}
		wantField(t, n, "format", tc.format)
		// The same tree, the same contents, whatever the format.
		var walk func(a, b *Node, path string)
		walk = func(a, b *Node, path string) {
			if a.Type != b.Type || len(a.Children) != len(b.Children) {
				t.Fatalf("%s %s: %s vs %s", tc.file, path, a.Type, b.Type)
			}
			for _, f := range []string{"mode", "uid", "gid", "size", "mtime", "link target", "rdev"} {
				va, _ := a.Field(f)
				vb, _ := b.Field(f)
				if va != vb && !(f == "size" && tc.format[:3] == "odc") {
					t.Errorf("%s %s: %s %q vs %q", tc.file, path, f, va, vb)
				}
			}
			if a.Data != nil && !bytes.Equal(dataBytes(t, a.Data), dataBytes(t, b.Data)) {
				t.Errorf("%s %s: contents differ", tc.file, path)
			}
			for i := range a.Children {
				walk(a.Children[i], b.Children[i], path+"/"+a.Children[i].Name)
			}
		}
		walk(newc.Child("/"), n.Child("/"), "")
	}
	crc := openCpioBytes(t, readInitrdFixture(t, "base-crc.cpio"))
	if _, ok := cpioTreeNode(t, crc, "/etc/passwd").Field("check"); !ok {
		t.Error("crc archive without check field")
	}
}

func TestCpioAbsurdFixture(t *testing.T) {
	root := openCpioBytes(t, readInitrdFixture(t, "absurd-size.cpio"))
	if root.Err == nil {
		t.Fatal("no error")
	}
	n := cpioTreeNode(t, root, "/init")
	wantFormatErr(t, n.Err, "cpio", 0, 1<<20)
	if n.Data != nil {
		t.Error("data for a member whose size is beyond the input")
	}
}

// readAt failures of the underlying reader are errors, not panics.
func TestCpioShortReader(t *testing.T) {
	b := newcArchive("070701", cpioEntry{name: "f", mode: 0o100644, data: "abc"})
	r := io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b)))
	n, err := OpenCpio(r, int64(len(b))+1000, nil) // a size beyond what reads
	if err != nil {
		t.Fatal(err)
	}
	_ = n
}
