package testutil

import (
	"bytes"
	"errors"
	"io"
	"isodiff/unpack"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// initrdFixtureDir holds the files fixtures/build-initrd.sh makes, seen from
// the directory of a package under unpack/.
var InitrdFixtureDir = filepath.Join("..", "..", "fixtures", "initrd")

func ReadInitrdFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(InitrdFixtureDir, name))
	if err != nil {
		t.Fatalf("fixture %s: %v (rebuild with fixtures/build-initrd.sh)", name, err)
	}
	return b
}

// testEnv is an Env in a test's temporary directory, closed at cleanup.
func Env(t testing.TB, maxDecompressed int64) *unpack.Env {
	t.Helper()
	env := &unpack.Env{TempDir: t.TempDir(), MaxDecompressed: maxDecompressed}
	t.Cleanup(func() { env.Close() })
	return env
}

// openAs detects b among formats, checks the format is want, and opens it.
func OpenAs(t testing.TB, b []byte, want string, env *unpack.Env, formats []unpack.Format) *unpack.Node {
	t.Helper()
	r := bytes.NewReader(b)
	f, ok := unpack.Detect(r, int64(len(b)), formats)
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

func DataBytes(t testing.TB, d unpack.Data) []byte {
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

func ContentOf(t testing.TB, root *unpack.Node) ([]byte, *unpack.Node) {
	t.Helper()
	c := root.Child("content")
	if c == nil {
		t.Fatalf("%s layer has no content child", root.Layer)
	}
	return DataBytes(t, c.Data), c
}

func WantField(t testing.TB, n *unpack.Node, name, want string) {
	t.Helper()
	got, ok := n.Field(name)
	if !ok {
		t.Errorf("%s %q: no field %q (fields %v)", n.Layer, n.Name, name, n.AllFields())
		return
	}
	if got != want {
		t.Errorf("%s %q: field %q = %q, want %q", n.Layer, n.Name, name, got, want)
	}
}

func NoField(t testing.TB, n *unpack.Node, name string) {
	t.Helper()
	if v, ok := n.Field(name); ok {
		t.Errorf("%s %q: unexpected field %q = %q", n.Layer, n.Name, name, v)
	}
}

// wantFormatErr checks that err is a FormatError of layer at an offset in
// [lo, hi].
func WantFormatErr(t testing.TB, err error, layer string, lo, hi int64) *unpack.FormatError {
	t.Helper()
	var fe *unpack.FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is no FormatError", err)
	}
	if fe.Layer != layer || fe.Offset < lo || fe.Offset > hi {
		t.Fatalf("error %v: want layer %s, offset in [%d, %d]", err, layer, lo, hi)
	}
	return fe
}

// checkLayerTree checks what any opened layer must be: sorted unique
// children, Order naming children, typed errors, readable Data.
func CheckLayerTree(t *testing.T, n *unpack.Node, depth int) {
	if depth > 4096 {
		t.Fatal("tree too deep")
	}
	for i, c := range n.Children {
		if i > 0 && n.Children[i-1].Name >= c.Name {
			t.Fatalf("%q: children not sorted or not unique: %q, %q", n.Name, n.Children[i-1].Name, c.Name)
		}
		CheckLayerTree(t, c, depth+1)
	}
	for _, name := range n.Order() {
		if n.Child(name) == nil {
			t.Fatalf("%q: Order names %q, which is no child", n.Name, name)
		}
	}
	if n.Err != nil && n.Layer != "" {
		var fe *unpack.FormatError
		if !errors.As(n.Err, &fe) && !errors.Is(n.Err, unpack.ErrTooLarge) {
			t.Fatalf("%q: error %v is no FormatError", n.Name, n.Err)
		}
	}
	if n.Data != nil {
		if n.Data.Size() < 0 {
			t.Fatalf("%q: size %d", n.Name, n.Data.Size())
		}
		buf := make([]byte, 512)
		for _, off := range []int64{0, max(0, n.Data.Size()-512)} {
			if _, err := n.Data.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
				t.Fatalf("%q: ReadAt(%d): %v", n.Name, off, err)
			}
		}
	}
}

func NeedCmds(t testing.TB, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s not installed", c)
		}
	}
}

// runCmd runs a command (with TZ=UTC, LC_ALL=C) on stdin and returns its
// stdout.
func RunCmd(t testing.TB, stdin []byte, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// cpioTreeNode finds the node at path ("/a/b") below the layer root.
func TreeNode(t testing.TB, root *unpack.Node, path string) *unpack.Node {
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
			t.Fatalf("%s: no %q below %q (children %v)", path, c, n.Name, ChildNames(n))
		}
		n = next
	}
	return n
}

func ChildNames(n *unpack.Node) []string {
	var s []string
	for _, c := range n.Children {
		s = append(s, c.Name)
	}
	return s
}
