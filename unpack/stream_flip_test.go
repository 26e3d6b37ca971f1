package unpack

// Byte accounting of the cpio, initramfs and compressed-stream readers:
// every single-bit change of a committed fixture must change something
// the comparison sees (a name, type, field, data byte, order, error or
// child), except a change inside compressed data that still decodes,
// without error, to the same bytes. Such a change is left to the
// comparison's raw-byte backstop; the test checks both that the stream
// decodes to the same bytes and that the changed byte lies in a part of
// the layer's Layout that holds compressed data.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"testing"
)

// treeDiff compares everything a comparison sees of two trees (names,
// types, fields, data read in full, order, errors, children) and
// describes the first difference, "" when there is none.
func treeDiff(t testing.TB, a, b *Node) string {
	t.Helper()
	switch {
	case a == nil || b == nil:
		if a != b {
			return "one tree is missing"
		}
		return ""
	case a.Name != b.Name || a.Type != b.Type || a.Positional != b.Positional || a.Alias != b.Alias:
		return fmt.Sprintf("node %q (%s) ≠ %q (%s)", a.Name, a.Type, b.Name, b.Type)
	case !slices.Equal(a.Fields, b.Fields):
		return fmt.Sprintf("%s: fields %q ≠ %q", a.Name, a.Fields, b.Fields)
	case !slices.Equal(a.Order, b.Order):
		return fmt.Sprintf("%s: order %q ≠ %q", a.Name, a.Order, b.Order)
	case (a.Err == nil) != (b.Err == nil) || (a.Err != nil && a.Err.Error() != b.Err.Error()):
		return fmt.Sprintf("%s: error %v ≠ %v", a.Name, a.Err, b.Err)
	case (a.Data == nil) != (b.Data == nil):
		return fmt.Sprintf("%s: data on one side only", a.Name)
	case len(a.Children) != len(b.Children):
		return fmt.Sprintf("%s: %d children ≠ %d", a.Name, len(a.Children), len(b.Children))
	}
	if a.Data != nil && !bytes.Equal(dataBytes(t, a.Data), dataBytes(t, b.Data)) {
		return fmt.Sprintf("%s: data differs", a.Name)
	}
	for i := range a.Children {
		if d := treeDiff(t, a.Children[i], b.Children[i]); d != "" {
			return a.Name + "/" + d
		}
	}
	return ""
}

// flipSubject is a fixture opened by one reader.
type flipSubject struct {
	file string
	open func(r io.ReaderAt, size int64, env *Env) (*Node, error)
	data []byte // the input, when it is not the fixture file
}

// flipPlan says which flips to make. Structure bytes (headers, names,
// padding, trailers: everything but file data and compressed data) have
// one bit each flipped, in turn (every bit with ISODIFF_FLIP_ALL set);
// file data and compressed data, whose every change is plain to see or
// left to the backstop, one byte in stride.
type flipPlan struct {
	stride    int
	structAll bool
}

func currentFlipPlan() flipPlan {
	switch {
	case os.Getenv("ISODIFF_FLIP_ALL") != "":
		// Every bit of every byte (minutes: for measurements).
		return flipPlan{stride: 1, structAll: true}
	}
	// One bit of every structure byte, in turn, and a sample of the rest:
	// seconds, where every bit takes minutes.
	return flipPlan{stride: 61}
}

// sampledClaim matches the Layout names of file data and of segments
// (each a Data of its own), sampled like compressed data.
var sampledClaim = regexp.MustCompile(`^(data of member |segment \d+ )`)

// holdsOnly reports whether every claim holding off matches re.
func holdsOnly(layout *Claims, off int64, re *regexp.Regexp) bool {
	held := layout.Holding(Range{off, off + 1})
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
func (s flipSubject) openEnv(b []byte, dir string) (*Node, error, func()) {
	env := &Env{TempDir: dir, MaxDecompressed: 64 << 20}
	n, err := s.open(bytes.NewReader(b), int64(len(b)), env)
	return n, err, func() { env.Close() }
}

// payloadClaim matches the Layout names of compressed data: bytes whose
// change may decode to the same content.
var payloadClaim = regexp.MustCompile(`(deflate stream|compressed data|range-coded data|block data|blocks)$`)

// hasErr reports whether any node of the tree has an error.
func hasErr(n *Node) bool {
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

type flipCount struct {
	flips, invisible, exempt int
}

// runFlips flips bits of the fixture as plan says and counts the
// changes nothing shows.
func runFlips(t *testing.T, s flipSubject, plan flipPlan) flipCount {
	orig := s.data
	if orig == nil {
		orig = readInitrdFixture(t, s.file)
	}
	dir := t.TempDir()
	root, err, done := s.openEnv(orig, dir)
	if err != nil {
		t.Fatalf("%s: %v", s.file, err)
	}
	defer done()
	if root.Layout == nil {
		t.Errorf("%s: the layer root has no Layout", s.file)
		root.Layout = &Claims{}
	}
	if un := root.Layout.Unclaimed(int64(len(orig))); len(un) > 0 && root.Child("[unclaimed bytes]") == nil {
		t.Errorf("%s: bytes %v are neither claimed nor in [unclaimed bytes]", s.file, un)
	}
	origContent := childData(t, root, "content")
	var c flipCount
	b := bytes.Clone(orig)
	sampledSeen := 0
	var shown int
	for off := range b {
		payload := holdsOnly(root.Layout, int64(off), payloadClaim)
		bits := []int{0, 1, 2, 3, 4, 5, 6, 7}
		// Unclaimed bytes show as they are in "[unclaimed bytes]".
		unclaimed := len(root.Layout.Holding(Range{int64(off), int64(off) + 1})) == 0
		if payload || unclaimed || holdsOnly(root.Layout, int64(off), sampledClaim) {
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
			c.flips++
			if err == nil && treeDiff(t, root, n) == "" {
				c.invisible++
				// The backstop covers a change of compressed data that
				// decodes, without error, to the same bytes.
				same := !hasErr(n) && bytes.Equal(childData(t, n, "content"), origContent) && origContent != nil
				if payload && same {
					c.exempt++
				} else if shown < 20 {
					shown++
					t.Errorf("%s: flipping bit %d of byte %d (0x%x, in %q) changes nothing the comparison sees",
						s.file, bit, off, off, root.Layout.Holding(Range{int64(off), int64(off) + 1}))
				}
			}
			done()
			b[off] ^= 1 << bit
		}
	}
	return c
}

// childData reads the named child's data, nil when there is none.
func childData(t testing.TB, n *Node, name string) []byte {
	c := n.Child(name)
	t.Helper()
	if c == nil || c.Data == nil {
		return nil
	}
	return dataBytes(t, c.Data)
}

func TestFlipAccountingCpio(t *testing.T) {
	for _, file := range []string{"base.cpio", "base-crc.cpio", "base-odc.cpio", "absurd-size.cpio"} {
		t.Run(file, func(t *testing.T) {
			c := runFlips(t, flipSubject{file: file, open: OpenCpio}, currentFlipPlan())
			t.Logf("%s: %d flips, %d invisible", file, c.flips, c.invisible)
		})
	}
}

func TestFlipAccountingInitramfs(t *testing.T) {
	for _, file := range []string{"initrd-microcode"} {
		t.Run(file, func(t *testing.T) {
			c := runFlips(t, flipSubject{file: file, open: OpenInitramfs}, currentFlipPlan())
			t.Logf("%s: %d flips, %d invisible", file, c.flips, c.invisible)
		})
	}
}

// TestFlipAccountingLz4Frames: the lz4 frame format, which no initrd
// fixture uses (the kernel reads the legacy one), as the lz4 tool writes
// it with every optional part: content size, block and content checksums,
// several blocks.
func TestFlipAccountingLz4Frames(t *testing.T) {
	needCmds(t, "lz4")
	b := runCmd(t, readInitrdFixture(t, "base.cpio"), "", "lz4", "-c", "-B4", "-BX", "--content-size", "-9")
	c := runFlips(t, flipSubject{file: "base.cpio (lz4 -B4 -BX --content-size)", open: OpenLz4, data: b}, currentFlipPlan())
	t.Logf("lz4 frames: %d flips, %d invisible, %d of them exempt", c.flips, c.invisible, c.exempt)
}

func TestFlipAccountingStreams(t *testing.T) {
	for _, s := range []flipSubject{
		{file: "initrd-a.gz", open: OpenGzip},
		{file: "multimember.gz", open: OpenGzip},
		{file: "initrd-a.xz", open: OpenXz},
		{file: "initrd-a.zst", open: OpenZstd},
		{file: "skippable-two-frames.zst", open: OpenZstd},
		{file: "initrd-a.lz4", open: OpenLz4Legacy},
		{file: "initrd-a.lzo", open: OpenLzop},
		{file: "initrd-a.bz2", open: OpenBzip2},
		{file: "initrd-a.lzma", open: OpenLZMA},
	} {
		t.Run(s.file, func(t *testing.T) {
			c := runFlips(t, s, currentFlipPlan())
			t.Logf("%s: %d flips, %d invisible, %d of them exempt (compressed data decoding to the same bytes)",
				s.file, c.flips, c.invisible, c.exempt)
		})
	}
}
