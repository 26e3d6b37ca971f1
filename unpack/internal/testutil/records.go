package testutil

import (
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// dumpRecords renders a tree for comparisons and failure messages.
func DumpRecords(n *unpack.Node) string {
	var b strings.Builder
	var walk func(n *unpack.Node, depth int)
	walk = func(n *unpack.Node, depth int) {
		ind := strings.Repeat("  ", depth)
		fmt.Fprintf(&b, "%s%s [%s %s @%d]", ind, n.Name, n.Type, n.Layer, n.Offset)
		if n.Positional() {
			b.WriteString(" positional")
		}
		if n.Data != nil {
			fmt.Fprintf(&b, " data=%d", n.Data.Size())
		}
		if n.Alias() != "" {
			fmt.Fprintf(&b, " alias=%s", n.Alias())
		}
		b.WriteString("\n")
		for _, f := range n.AllFields() {
			fmt.Fprintf(&b, "%s  . %s: %s\n", ind, f.Name, f.Value)
		}
		if n.Err != nil {
			fmt.Fprintf(&b, "%s  ! %s\n", ind, strings.ReplaceAll(n.Err.Error(), "\n", " | "))
		}
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// checkRecords verifies want, whose keys are "path:field" (path as for
// recordAt; "" is the root) with these special fields:
//
//	!err       substring of Node.Err ("" = no error)
//	!children  comma-separated child names
//	!absent    the node must not exist
//	!data      Data size ("nil" = no Data)
//	!alias     Node.Alias
//	!nofield=X the node has no field X
//
// A value starting with "~" matches as a substring.
func CheckRecords(t *testing.T, root *unpack.Node, want map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	failed := false
	for _, k := range keys {
		path, field, _ := strings.Cut(k, ":")
		v := want[k]
		n := RecordAt(root, path)
		if field == "!absent" {
			if n != nil {
				t.Errorf("%s: exists, want absent", path)
				failed = true
			}
			continue
		}
		if n == nil {
			t.Errorf("%s: no such node", path)
			failed = true
			continue
		}
		var got string
		switch {
		case field == "!err":
			if n.Err != nil {
				got = n.Err.Error()
			}
			if (v == "" && got != "") || (v != "" && !strings.Contains(got, v)) {
				t.Errorf("%s: error %q, want %q", path, got, v)
				failed = true
			}
			continue
		case field == "!children":
			var names []string
			for _, c := range n.Children {
				names = append(names, c.Name)
			}
			got = strings.Join(names, ",")
		case field == "!data":
			got = "nil"
			if n.Data != nil {
				got = fmt.Sprint(n.Data.Size())
			}
		case field == "!alias":
			got = n.Alias()
		case strings.HasPrefix(field, "!nofield="):
			if f, ok := n.Field(strings.TrimPrefix(field, "!nofield=")); ok {
				t.Errorf("%s: has field %s = %q", path, field, f)
				failed = true
			}
			continue
		default:
			var ok bool
			if got, ok = n.Field(field); !ok {
				t.Errorf("%s: no field %q", path, field)
				failed = true
				continue
			}
		}
		if got != v && !(strings.HasPrefix(v, "~") && strings.Contains(got, v[1:])) {
			t.Errorf("%s: %s = %q, want %q", path, field, got, v)
			failed = true
		}
	}
	if failed {
		t.Logf("tree:\n%s", DumpRecords(root))
	}
}

func ClaimStrings(c *layout.Claims) []string {
	var out []string
	for r, what := range c.All() {
		out = append(out, fmt.Sprintf("%d+%d %s", r.Start, r.Len(), what))
	}
	sort.Strings(out)
	return out
}

// checkRecordInvariants holds for any input: every Data readable within the
// image, every claim within it, every error a FormatError.
func CheckRecordInvariants(t *testing.T, root *unpack.Node, claims *layout.Claims, size int64) {
	t.Helper()
	var walk func(n *unpack.Node)
	walk = func(n *unpack.Node) {
		if n.Data != nil {
			if n.Data.Size() < 0 || n.Data.Size() > size {
				t.Errorf("%s: data size %d, image %d", n.Name, n.Data.Size(), size)
			} else if _, err := io.Copy(io.Discard, io.NewSectionReader(n.Data, 0, n.Data.Size())); err != nil {
				t.Errorf("%s: reading data: %v", n.Name, err)
			}
		}
		if n.Err != nil {
			var fe *unpack.FormatError
			if !errors.As(n.Err, &fe) {
				t.Errorf("%s: error %v is not a FormatError", n.Name, n.Err)
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	for r, what := range claims.All() {
		if r.Start < 0 || r.End > size || r.Len() <= 0 {
			t.Errorf("claim %v %s outside image of %d bytes", r, what, size)
		}
	}
}

func ErrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fixtureImageHeads returns the first n bytes of each fixture image.
func FixtureImageHeads(f *testing.F, n int) [][]byte {
	isos, _ := filepath.Glob("../../fixtures/iso/*.iso")
	var out [][]byte
	for _, p := range isos {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b[:min(len(b), n)])
	}
	return out
}

// RecordAt finds the node at a slash-separated path of child names below n.
func RecordAt(n *unpack.Node, path string) *unpack.Node {
	if path == "" {
		return n
	}
	for _, name := range strings.Split(path, "/") {
		if n = n.Child(name); n == nil {
			return nil
		}
	}
	return n
}
