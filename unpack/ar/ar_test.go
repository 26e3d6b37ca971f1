package ar

import (
	"bytes"
	"fmt"
	"isodiff/unpack"
	"isodiff/unpack/internal/testutil"
	"os/exec"
	"strings"
	"testing"
)

func openAr(t testing.TB, b []byte) *unpack.Node {
	t.Helper()
	n, err := Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestArDeterministic: ar D and ar U archives of the same objects, with a
// long name from the GNU name table.
func TestArDeterministic(t *testing.T) {
	d := openAr(t, testutil.ReadArchiveFixture(t, "ar-D.a"))
	u := openAr(t, testutil.ReadArchiveFixture(t, "ar-U.a"))
	for _, n := range []*unpack.Node{d, u} {
		if n.Err != nil {
			t.Fatal(n.Err)
		}
		if got := strings.Join(n.Order(), " "); got != "[long name table] init.o a_rather_long_object_name.o" {
			t.Errorf("order %q", got)
		}
		testutil.WantField(t, n.Child("a_rather_long_object_name.o"), "name stored", "GNU long name table, /0")
		testutil.CheckLayerTree(t, n, 0)
	}
	di, ui := d.Child("init.o"), u.Child("init.o")
	testutil.WantField(t, di, "date", "1970-01-01T00:00:00Z")
	testutil.WantField(t, di, "mode", "rw-r--r-- (00644), no file type bits")
	testutil.WantField(t, ui, "date", "2023-11-14T22:13:20Z")
	testutil.WantField(t, ui, "mode", "-rw-r----- (00640)")
	if testutil.ReadDiff(di.Data, ui.Data) != "" || di.Data.Size() != 1000 {
		t.Errorf("init.o data: %d bytes, %s", di.Data.Size(), testutil.ReadDiff(di.Data, ui.Data))
	}
}

// TestArAgainstAr: the members and sizes "ar tv" lists.
func TestArAgainstAr(t *testing.T) {
	testutil.NeedCmds(t, "ar")
	out, err := exec.Command("ar", "tvO", "../../fixtures/archives/ar-U.a").Output()
	if err != nil {
		t.Skipf("ar tvO: %v", err)
	}
	root := openAr(t, testutil.ReadArchiveFixture(t, "ar-U.a"))
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// rw-r----- 0/0   1000 Nov 14 22:13 2023 init.o 0x44
		f := strings.Fields(line)
		name := f[len(f)-2]
		n := root.Child(name)
		if n == nil {
			t.Errorf("%s: not read", name)
			continue
		}
		testutil.WantField(t, n, "size", f[2])
		if want := fmt.Sprint(n.Offset); want != fmt.Sprint(parseHex(f[len(f)-1])) {
			t.Errorf("%s: data at %s, ar says %s", name, want, f[len(f)-1])
		}
	}
}

func parseHex(s string) int64 {
	var v int64
	fmt.Sscanf(s, "0x%x", &v)
	return v
}

// TestArBSDNames: a BSD archive's long name before the data, and a short
// name without GNU's slash.
func TestArBSDNames(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(magic)
	member := func(name string, data string) {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8o%-10d`\n", name, 1700000000, 501, 20, 0o100644, len(data))
		b.WriteString(data)
		if len(data)%2 == 1 {
			b.WriteString("\n")
		}
	}
	member("#1/20", "a_long_bsd_name.o\x00\x00\x00object")
	member("short.o", "xyz")
	root := openAr(t, b.Bytes())
	if root.Err != nil {
		t.Fatal(root.Err)
	}
	long := root.Child("a_long_bsd_name.o")
	testutil.WantField(t, long, "name stored", "BSD, 20 bytes before the data")
	testutil.WantField(t, long, "size", "6")
	testutil.WantField(t, long, "uid", "501")
	if got := string(testutil.DataBytes(t, long.Data)); got != "object" {
		t.Errorf("data %q", got)
	}
	if got := testutil.HeldAt(root, int64(len(magic))+60+3); len(got) != 1 || got[0] != "BSD long name of member a_long_bsd_name.o" {
		t.Errorf("held by %q", got)
	}
	short := root.Child("short.o")
	if short == nil || string(testutil.DataBytes(t, short.Data)) != "xyz" {
		t.Fatalf("short.o: %v", short)
	}
	testutil.NoField(t, short, "padding")
}

// TestArBroken: a size beyond the input and a bad end marker are errors
// at the header; what follows is compared as unclaimed bytes.
func TestArBroken(t *testing.T) {
	b := testutil.ReadArchiveFixture(t, "ar-D.a")
	root := openAr(t, b)
	init := root.Child("init.o")
	hdr := init.Offset - 60
	big := bytes.Clone(b)
	copy(big[hdr+48:], "9999999999")
	n := openAr(t, big)
	testutil.WantFormatErr(t, n.Err, layerName, hdr+48, hdr+48)
	if n.Child("[unclaimed bytes]") == nil || n.Child("init.o") != nil {
		t.Errorf("children %v", testutil.ChildNames(n))
	}
	bad := bytes.Clone(b)
	bad[hdr+59] = 'x'
	testutil.WantFormatErr(t, openAr(t, bad).Err, layerName, hdr+58, hdr+58)
}

// TestArFlipAccounting: every single-bit change of an archive changes
// something a comparison sees.
func TestArFlipAccounting(t *testing.T) {
	for _, name := range []string{"ar-D.a", "ar-U.a", "deb-a.deb"} {
		t.Run(name, func(t *testing.T) {
			b := testutil.ReadArchiveFixture(t, name)
			c := testutil.RunFlips(t, testutil.FlipSubject{File: name, Open: Open, Data: b}, testutil.CurrentFlipPlan())
			t.Logf("%s: %d flips, %d invisible", name, c.Flips, c.Invisible)
		})
	}
}

// FuzzAr feeds archives to the reader.
func FuzzAr(f *testing.F) {
	for _, name := range []string{"ar-D.a", "ar-U.a", "deb-a.deb"} {
		f.Add(testutil.ReadArchiveFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		if n, err := Open(bytes.NewReader(b), int64(len(b)), nil); err == nil {
			testutil.CheckLayerTree(t, n, 0)
		}
	})
}
