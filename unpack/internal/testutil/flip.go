package testutil

import (
	"bytes"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"os"
	"regexp"
	"slices"
	"testing"
)

// TreeDiff says where two unpacked trees first differ, "" when nowhere,
// by what a comparison sees of them: names, types, layers, positional and
// alias marks, fields, order, errors, children, and data. sameData
// compares the data of two nodes that both have some ("" when the same);
// nil reads both in full.
func TreeDiff(a, b *unpack.Node, sameData func(a, b *unpack.Node) string) string {
	return treeDiff(a, b, "", sameData)
}

func treeDiff(a, b *unpack.Node, path string, sameData func(a, b *unpack.Node) string) string {
	if a == nil || b == nil {
		if a != b {
			return path + ": one tree is missing"
		}
		return ""
	}
	path += "/" + a.Name
	switch {
	case a.Name != b.Name:
		return fmt.Sprintf("%s: name %q ≠ %q", path, a.Name, b.Name)
	case a.Type != b.Type || a.Layer != b.Layer || a.Positional() != b.Positional() || a.Alias() != b.Alias():
		return fmt.Sprintf("%s: type, layer, positional or alias: %s %s %v %q ≠ %s %s %v %q", path,
			a.Type, a.Layer, a.Positional(), a.Alias(), b.Type, b.Layer, b.Positional(), b.Alias())
	case !slices.Equal(a.AllFields(), b.AllFields()):
		return fmt.Sprintf("%s: fields %q ≠ %q", path, a.AllFields(), b.AllFields())
	case !slices.Equal(a.Order(), b.Order()):
		return fmt.Sprintf("%s: order %q ≠ %q", path, a.Order(), b.Order())
	case ErrString(a.Err) != ErrString(b.Err):
		return fmt.Sprintf("%s: error %q ≠ %q", path, ErrString(a.Err), ErrString(b.Err))
	case (a.Data == nil) != (b.Data == nil):
		return path + ": data on one side only"
	case len(a.Children) != len(b.Children):
		return fmt.Sprintf("%s: %d children ≠ %d", path, len(a.Children), len(b.Children))
	}
	if a.Data != nil {
		d := ""
		if sameData != nil {
			d = sameData(a, b)
		} else {
			d = ReadDiff(a.Data, b.Data)
		}
		if d != "" {
			return path + ": " + d
		}
	}
	for i := range a.Children {
		if d := treeDiff(a.Children[i], b.Children[i], path, sameData); d != "" {
			return d
		}
	}
	return ""
}

// ReadDiff reads two Data in full: "" when they hold the same bytes.
func ReadDiff(a, b unpack.Data) string {
	if a.Size() != b.Size() {
		return fmt.Sprintf("data size %d ≠ %d", a.Size(), b.Size())
	}
	ba, bb := make([]byte, a.Size()), make([]byte, b.Size())
	ka, errA := a.ReadAt(ba, 0)
	kb, errB := b.ReadAt(bb, 0)
	switch {
	case ka != len(ba) || kb != len(bb):
		return fmt.Sprintf("data read %d of %d (%v), %d of %d (%v)", ka, len(ba), errA, kb, len(bb), errB)
	case !bytes.Equal(ba, bb):
		return "data differs"
	}
	return ""
}

// FlipSubject is a fixture opened by one reader.
type FlipSubject struct {
	File string
	Open func(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error)
	Data []byte // the input, when it is not the fixture file
}

// FlipPlan says which flips to make. Structure bytes (headers, names,
// padding, trailers: everything but file data and compressed data) have
// one bit each flipped, in turn (every bit with ISODIFF_FLIP_ALL set);
// file data and compressed data, whose every change is plain to see or
// left to the backstop, one byte in stride.
type FlipPlan struct {
	stride    int
	structAll bool
}

func CurrentFlipPlan() FlipPlan {
	switch {
	case os.Getenv("ISODIFF_FLIP_ALL") != "":
		// Every bit of every byte (minutes: for measurements).
		return FlipPlan{stride: 1, structAll: true}
	}
	// One bit of every structure byte, in turn, and a sample of the rest:
	// seconds, where every bit takes minutes.
	return FlipPlan{stride: 61}
}

// sampledClaim matches the Layout names of file data and of segments
// (each a Data of its own), sampled like compressed data.
var sampledClaim = regexp.MustCompile(`^(data of member |segment \d+ )`)

// holdsOnly reports whether every claim holding off matches re.
func holdsOnly(l unpack.Layout, off int64, re *regexp.Regexp) bool {
	held := l.Holding(unpack.Range{Start: off, End: off + 1})
	if len(held) == 0 {
		return false
	}
	for _, h := range held {
		if !re.MatchString(h) {
			return false
		}
	}
	return true
}

// openEnv opens b with an Env of its own, closed by the returned func.
func (s FlipSubject) openEnv(b []byte, dir string) (*unpack.Node, error, func()) {
	env := &unpack.Env{TempDir: dir, MaxDecompressed: 64 << 20}
	n, err := s.Open(bytes.NewReader(b), int64(len(b)), env)
	return n, err, func() { env.Close() }
}

// payloadClaim matches the Layout names of compressed data: bytes whose
// change may decode to the same content.
var payloadClaim = regexp.MustCompile(`(deflate stream|compressed data|range-coded data|block data|blocks)$`)

// hasErr reports whether any node of the tree has an error.
func hasErr(n *unpack.Node) bool {
	if n.Err != nil {
		return true
	}
	for _, c := range n.Children {
		if hasErr(c) {
			return true
		}
	}
	return false
}

type FlipCount struct {
	Flips, Invisible, Exempt int
}

// RunFlips flips bits of the fixture as plan says and counts the
// changes nothing shows.
func RunFlips(t *testing.T, s FlipSubject, plan FlipPlan) FlipCount {
	orig := s.Data
	if orig == nil {
		orig = ReadInitrdFixture(t, s.File)
	}
	dir := t.TempDir()
	root, err, done := s.openEnv(orig, dir)
	if err != nil {
		t.Fatalf("%s: %v", s.File, err)
	}
	defer done()
	if root.Layout() == nil {
		t.Errorf("%s: the layer root has no Layout", s.File)
		root.SetLayout(&layout.Claims{})
	}
	claims, ok := root.Layout().(*layout.Claims)
	if !ok {
		t.Fatalf("%s: the layer root's Layout is a %T, not claims", s.File, root.Layout())
	}
	if un := claims.Unclaimed(int64(len(orig))); len(un) > 0 && root.Child("[unclaimed bytes]") == nil {
		t.Errorf("%s: bytes %v are neither claimed nor in [unclaimed bytes]", s.File, un)
	}
	origContent := ChildData(t, root, "content")
	var c FlipCount
	b := bytes.Clone(orig)
	sampledSeen := 0
	var shown int
	for off := range b {
		payload := holdsOnly(root.Layout(), int64(off), payloadClaim)
		bits := []int{0, 1, 2, 3, 4, 5, 6, 7}
		// Unclaimed bytes show as they are in "[unclaimed bytes]".
		unclaimed := len(root.Layout().Holding(unpack.Range{Start: int64(off), End: int64(off) + 1})) == 0
		if payload || unclaimed || holdsOnly(root.Layout(), int64(off), sampledClaim) {
			sampledSeen++
			if sampledSeen%plan.stride != 0 {
				continue
			}
			bits = []int{sampledSeen / plan.stride % 8}
			if plan.stride == 1 {
				bits = []int{0, 1, 2, 3, 4, 5, 6, 7}
			}
		} else if !plan.structAll {
			bits = []int{off % 8}
		}
		for _, bit := range bits {
			b[off] ^= 1 << bit
			n, err, done := s.openEnv(b, dir)
			c.Flips++
			if err == nil && TreeDiff(root, n, nil) == "" {
				c.Invisible++
				// The backstop covers a change of compressed data that
				// decodes, without error, to the same bytes.
				same := !hasErr(n) && bytes.Equal(ChildData(t, n, "content"), origContent) && origContent != nil
				if payload && same {
					c.Exempt++
				} else if shown < 20 {
					shown++
					t.Errorf("%s: flipping bit %d of byte %d (0x%x, in %q) changes nothing the comparison sees",
						s.File, bit, off, off, root.Layout().Holding(unpack.Range{Start: int64(off), End: int64(off) + 1}))
				}
			}
			done()
			b[off] ^= 1 << bit
		}
	}
	return c
}

// ChildData reads the named child's data, nil when there is none.
func ChildData(t testing.TB, n *unpack.Node, name string) []byte {
	c := n.Child(name)
	t.Helper()
	if c == nil || c.Data == nil {
		return nil
	}
	return DataBytes(t, c.Data)
}
