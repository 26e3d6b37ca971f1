package cpio

import (
	"bytes"
	"encoding/binary"
	"isodiff/unpack/internal/testutil"
	"slices"
	"testing"
)

// binMember finds the header of the member named name in an old binary
// archive: the name follows its 26-byte header.
func binMember(t *testing.T, b []byte, name string) int {
	t.Helper()
	key := append([]byte(name), 0)
	for i := 0; ; {
		j := bytes.Index(b[i:], key)
		if j < 0 {
			t.Fatalf("no member %q", name)
		}
		h := i + j - binHeader
		if h >= 0 && b[h] == 0xc7 && b[h+1] == 0x71 && int(binary.LittleEndian.Uint16(b[h+20:])) == len(key) {
			return h
		}
		i += j + 1
	}
}

// putWord sets 16-bit word i of the little-endian header at off.
func putWord(b []byte, off, i int, v uint16) {
	binary.LittleEndian.PutUint16(b[off+2*i:], v)
}

func TestCpioBinDetection(t *testing.T) {
	le := testutil.ReadInitrdFixture(t, "base-bin.cpio")
	be := testutil.SwapBinHeaders(le)
	for _, tc := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"little-endian", le, true},
		{"big-endian", be, true},
		// The magic alone, before bytes that are no header.
		{"magic then text", append([]byte{0xc7, 0x71}, bytes.Repeat([]byte("not a cpio header "), 4)...), false},
		{"header cut", le[:binHeader-1], false},
		// A name size that runs past the NUL of the name.
		{"name without its NUL", func() []byte { b := bytes.Clone(le); putWord(b, 0, 10, 3); return b }(), false},
		{"mode of no file type", func() []byte { b := bytes.Clone(le); putWord(b, 0, 3, 0o070755); return b }(), false},
	} {
		if got := matchCpio(tc.b[:min(len(tc.b), 512)], bytes.NewReader(tc.b), int64(len(tc.b))); got != tc.want {
			t.Errorf("%s: match %v, want %v", tc.name, got, tc.want)
		}
	}
	if !HasMagic(be) || !HasMagic(le) {
		t.Error("HasMagic misses the old binary magic")
	}
}

func TestCpioBinLayout(t *testing.T) {
	b := testutil.ReadInitrdFixture(t, "base-bin.cpio")
	root := openCpioBytes(t, b)
	if root.Err != nil || root.Child("[unclaimed bytes]") != nil {
		t.Fatalf("err %v, children %v", root.Err, testutil.ChildNames(root))
	}
	// The first member, "dev": its header, its name (4 bytes with the
	// NUL, no padding), then the next member's header.
	for _, tc := range []struct {
		off  int64
		want string
	}{{0, "header of member dev"}, {binHeader - 1, "header of member dev"}, {binHeader, "name of member dev"},
		{binHeader + 4, "header of member dev/console"}} {
		if got := testutil.HeldAt(root, tc.off); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("byte %d held by %q, want %q", tc.off, got, tc.want)
		}
	}
	// etc/passwd has an odd name size (11), the stage-1 script an odd
	// data size: each is followed by one byte of padding.
	passwd := binMember(t, b, "etc/passwd")
	if got := testutil.HeldAt(root, int64(passwd+binHeader+11)); !slices.Equal(got, []string{"padding after the name of member etc/passwd"}) {
		t.Errorf("the byte after the name held by %q", got)
	}
	script := "nix/store/y3kqpzbw0lj6c2d7f9g1h4m5n8r0s2va-stage-1-init.sh"
	n := testutil.TreeNode(t, root, "/"+script)
	size := n.Data.Size()
	if size%2 != 1 {
		t.Fatalf("the script's size %d is even", size)
	}
	at := (binMember(t, b, script)+binHeader+len(script)+1+1)&^1 + int(size)
	if got := testutil.HeldAt(root, int64(at)); !slices.Equal(got, []string{"padding after the data of member " + script}) {
		t.Errorf("the byte after the data held by %q", got)
	}

	// Padding that is not zero shows as a field of its member.
	odd := bytes.Clone(b)
	odd[passwd+binHeader+11] = 'Y'
	odd[at] = 'Z'
	root = openCpioBytes(t, odd)
	testutil.WantField(t, testutil.TreeNode(t, root, "/etc/passwd"), "padding after name", "59")
	testutil.WantField(t, testutil.TreeNode(t, root, "/"+script), "padding after data", "5a")

	// A member in the other byte order: the same member, a field says so.
	mixed := bytes.Clone(b)
	copy(mixed[passwd:], testutil.SwapBinHeaders(b[passwd:passwd+binHeader+12+26]))
	f := testutil.TreeNode(t, openCpioBytes(t, mixed), "/etc/passwd")
	testutil.WantField(t, f, "format", "bin (070707 big-endian)")
	testutil.WantField(t, f, "mode", "-r--r--r-- (00444)")
	if got := testutil.DataBytes(t, f.Data); string(got) != "root:x:0:0::/root:/bin/sh\n" {
		t.Errorf("data %q", got)
	}
}

func TestCpioBinErrors(t *testing.T) {
	b := testutil.ReadInitrdFixture(t, "base-bin.cpio")
	passwd := binMember(t, b, "etc/passwd")
	for _, tc := range []struct {
		name   string
		edit   func(b []byte) []byte
		member string // the member holding the error, "" for the root
	}{
		// The high word of the file size: 0xffff001a bytes.
		{"file size beyond input", func(b []byte) []byte { putWord(b, passwd, 11, 0xffff); return b }, "/etc/passwd"},
		{"name size 0", func(b []byte) []byte { putWord(b, passwd, 10, 0); return b }, ""},
		{"name size beyond input", func(b []byte) []byte { putWord(b, passwd, 10, 0xffff); return b[:passwd+1000] }, ""},
		{"header cut", func(b []byte) []byte { return b[:passwd+binHeader-3] }, ""},
		{"no magic", func(b []byte) []byte { b[passwd] = 0; return b }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := openCpioBytes(t, tc.edit(bytes.Clone(b)))
			if root.Err == nil {
				t.Fatal("the archive is not marked as read only in part")
			}
			err := root.Err
			if tc.member != "" {
				err = testutil.TreeNode(t, root, tc.member).Err
			}
			// Every error names the header of etc/passwd.
			testutil.WantFormatErr(t, err, "cpio", int64(passwd), int64(passwd))
			// The members before it are read.
			testutil.TreeNode(t, root, "/dev/console")
		})
	}
}
