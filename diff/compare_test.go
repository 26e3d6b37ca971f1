package diff

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"isodiff/unpack"
)

// testRoles are the roles the readers give these fields.
var testRoles = map[string]*unpack.Role{"mtime": unpack.RoleTime, "lba": unpack.RolePlacement, "inode": unpack.RolePlacement}

func file(name, content string, fields ...string) *unpack.Node {
	n := &unpack.Node{Name: name, Type: unpack.TypeFile, Layer: "test", Data: io.NewSectionReader(strings.NewReader(content), 0, int64(len(content)))}
	for i := 0; i+1 < len(fields); i += 2 {
		n.AddFields(unpack.Field{Name: fields[i], Value: fields[i+1], Role: testRoles[fields[i]]})
	}
	return n
}

// compare is Compare of a comparison that runs to its end.
func compare(t testing.TB, name string, a, b *unpack.Node, opt Options) *Node {
	t.Helper()
	root, err := Compare(context.Background(), name, a, b, opt)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func dir(name string, kids ...*unpack.Node) *unpack.Node {
	n := &unpack.Node{Name: name, Type: unpack.TypeDir, Layer: "test", Children: kids}
	n.OrderFromChildren()
	n.Sort()
	return n
}

func TestCompareStates(t *testing.T) {
	a := dir("", dir("/",
		file("same", "x\n", "mode", "0644"),
		file("text", "a\nb\nc\n"),
		file("mode", "m", "mode", "0644"),
		file("gone", "g"),
		&unpack.Node{Name: "retyped", Type: unpack.TypeFile},
	))
	b := dir("", dir("/",
		file("same", "x\n", "mode", "0644"),
		file("text", "a\nB\nc\n"),
		file("mode", "m", "mode", "0755"),
		file("new", "n"),
		&unpack.Node{Name: "retyped", Type: unpack.TypeSymlink},
	))
	root := compare(t, "a.img", a, b, DefaultOptions())
	want := map[string]State{
		"a.img :: /same":    Same,
		"a.img :: /text":    Modified,
		"a.img :: /mode":    Modified,
		"a.img :: /gone":    Removed,
		"a.img :: /new":     Added,
		"a.img :: /retyped": TypeChanged,
		"a.img :: /":        Modified,
		"a.img":             Modified,
	}
	got := map[string]State{}
	root.Walk(func(n *Node) bool { got[n.Path()] = n.State; return true })
	for p, s := range want {
		if got[p] != s {
			t.Errorf("%s: state %v, want %v", p, got[p], s)
		}
	}
	c := root.Count()
	if c != (Counts{Modified: 2, Added: 1, Removed: 1, TypeChanged: 1}) {
		t.Errorf("counts %+v", c)
	}
	text := root.Children[0].Child("text")
	if text.Content == nil || text.Content.Text == nil || text.Content.Text.Added != 1 || text.Content.Text.Removed != 1 {
		t.Fatalf("text diff: %+v", text.Content)
	}
	if r := text.Reason(); r != "+1 −1 lines" {
		t.Errorf("reason %q", r)
	}
	mode := root.Children[0].Child("mode")
	if r := mode.Reason(); r != "mode" || mode.Content != nil {
		t.Errorf("mode: reason %q content %v", r, mode.Content)
	}
}

func TestCompareIdentical(t *testing.T) {
	mk := func() *unpack.Node {
		return dir("", dir("/", file("f", "hello\n", "mtime", "1"), dir("d", file("g", "\x00\x01"))))
	}
	root := compare(t, "a", mk(), mk(), DefaultOptions())
	if root.Differs() || root.Count().Total() != 0 {
		t.Fatalf("identical trees differ: %+v", root.Count())
	}
}

func TestTextDiffHunks(t *testing.T) {
	var a, b strings.Builder
	for i := 1; i <= 40; i++ {
		line := "line " + string(rune('A'+i%26)) + "\n"
		a.WriteString(line)
		if i == 5 {
			line = "changed five\n"
		}
		if i == 30 {
			b.WriteString("inserted\n")
		}
		b.WriteString(line)
	}
	td := textDiff(context.Background(), a.String(), b.String(), DefaultOptions())
	if len(td.Hunks) != 2 {
		t.Fatalf("want 2 hunks, got %d: %+v", len(td.Hunks), td.Hunks)
	}
	h := td.Hunks[0]
	if h.StartA != 2 || h.LenA != 7 || h.StartB != 2 || h.LenB != 7 {
		t.Errorf("hunk 1 header -%d,%d +%d,%d", h.StartA, h.LenA, h.StartB, h.LenB)
	}
	h = td.Hunks[1]
	if h.StartA != 27 || h.LenA != 6 || h.StartB != 27 || h.LenB != 7 {
		t.Errorf("hunk 2 header -%d,%d +%d,%d", h.StartA, h.LenA, h.StartB, h.LenB)
	}
	if td.Added != 2 || td.Removed != 1 {
		t.Errorf("added %d removed %d", td.Added, td.Removed)
	}
}

func TestTextDiffLimit(t *testing.T) {
	a := strings.Repeat("a\n", 100)
	b := strings.Repeat("b\n", 100)
	opt := DefaultOptions()
	opt.MaxDiffLines = 10
	td := textDiff(context.Background(), a, b, opt)
	shown := 0
	for _, h := range td.Hunks {
		shown += len(h.Lines)
	}
	if shown != 10 || td.OmittedLines != 190 {
		t.Errorf("shown %d omitted %d", shown, td.OmittedLines)
	}
}

func data(b []byte) unpack.Data { return io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b))) }

func TestHexDiff(t *testing.T) {
	a := make([]byte, 4096)
	for i := range a {
		a[i] = byte(i * 7)
	}
	b := bytes.Clone(a)
	b[8], b[9], b[10], b[11] = 1, 2, 3, 4 // a .pyc-style mtime at 8
	b[2000] ^= 0xff
	b[2001] ^= 0xff
	b = append(b, 0xaa, 0xbb) // two more bytes
	hd := hexDiff(context.Background(), viewOf(data(a)), viewOf(data(b)), DefaultOptions())
	if hd.DiffBytes != 8 || hd.Regions != 3 || hd.FirstDiff != 8 {
		t.Fatalf("diff bytes %d regions %d first %#x", hd.DiffBytes, hd.Regions, hd.FirstDiff)
	}
	if len(hd.Hunks) != 3 {
		t.Fatalf("%d hunks", len(hd.Hunks))
	}
	first := hd.Hunks[0].Rows
	if len(first) != 2 || first[0].Offset != 0 || first[0].Same || !first[1].Same {
		t.Errorf("first hunk rows %+v", first)
	}
	last := hd.Hunks[2].Rows
	end := last[len(last)-1]
	if end.Offset != 4096 || len(end.A) != 0 || len(end.B) != 2 {
		t.Errorf("last row %+v", end)
	}
}

func TestHexDiffLimit(t *testing.T) {
	a := make([]byte, 1<<16)
	b := make([]byte, 1<<16)
	for i := range b {
		b[i] = 1
	}
	opt := DefaultOptions()
	opt.MaxHexBytes = 64
	hd := hexDiff(context.Background(), viewOf(data(a)), viewOf(data(b)), opt)
	if hd.DiffBytes != 1<<16 || hd.Regions != 1 || hd.OmittedRows != (1<<12)-4 {
		t.Errorf("bytes %d regions %d omitted %d", hd.DiffBytes, hd.Regions, hd.OmittedRows)
	}
}

// masked is an unpack.Ranged: r's bytes inside ranges, zeros outside, as
// the readers' "[unclaimed bytes]" are.
type masked struct {
	r      *bytes.Reader
	ranges []unpack.Range
}

func (m masked) Size() int64            { return m.r.Size() }
func (m masked) Ranges() []unpack.Range { return m.ranges }
func (m masked) ReadAt(p []byte, off int64) (int, error) {
	n, err := m.r.ReadAt(p, off)
	for i := range p[:n] {
		at, in := off+int64(i), false
		for _, r := range m.ranges {
			in = in || at >= r.Start && at < r.End
		}
		if !in {
			p[i] = 0
		}
	}
	return n, err
}

func TestMaskedData(t *testing.T) {
	a := bytes.Repeat([]byte{0x11}, 1000)
	b := bytes.Repeat([]byte{0x22}, 1200) // claimed bytes differ everywhere
	a[500], b[700] = 0, 0
	ma := masked{bytes.NewReader(a), []unpack.Range{{Start: 500, End: 501}}}
	mb := masked{bytes.NewReader(b), []unpack.Range{{Start: 700, End: 701}}}
	if same, err := equalData(context.Background(), ma, mb, nil); !same || err != nil {
		t.Fatalf("zero unclaimed bytes compare unequal: %v", err)
	}
	b[700] = 9
	same, _ := equalData(context.Background(), ma, mb, nil)
	if same {
		t.Fatal("nonzero unclaimed byte not seen")
	}
	hd := hexDiff(context.Background(), viewOf(ma), viewOf(mb), DefaultOptions())
	if hd.DiffBytes != 1 || hd.FirstDiff != 700 {
		t.Errorf("diff bytes %d first %#x", hd.DiffBytes, hd.FirstDiff)
	}
}

func record(name string, fields ...string) *unpack.Node {
	n := &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: "test"}
	for i := 0; i+1 < len(fields); i += 2 {
		n.AddFields(unpack.Field{Name: fields[i], Value: fields[i+1]})
	}
	return n
}

func TestPositionalPermutation(t *testing.T) {
	table := func(types ...string) *unpack.Node {
		n := &unpack.Node{Name: "MBR", Type: unpack.TypeRecord}
		n.SetPositional(true)
		for i, ty := range types {
			n.Children = append(n.Children, record("partition "+string(rune('1'+i)), "type", ty))
		}
		return n
	}
	root := compare(t, "x", table("0x17", "0xef"), table("0xef", "0x17"), DefaultOptions())
	if root.State != Modified || root.Order == nil || root.Reason() != "order only" {
		t.Fatalf("state %v order %+v reason %q", root.State, root.Order, root.Reason())
	}
	if got := strings.Join(root.Order.B, ","); got != "partition 2,partition 1" {
		t.Errorf("order B %s", got)
	}
	for _, c := range root.Children {
		if c.State != Same {
			t.Errorf("%s: %v", c.Name, c.State)
		}
	}
	// A real change is paired by slot.
	root = compare(t, "x", table("0x17", "0xef"), table("0x17", "0x83"), DefaultOptions())
	if root.Order != nil || root.Child("partition 2").State != Modified {
		t.Errorf("changed slot not paired: %+v", root.Order)
	}

	// Records with bytes: swapped slots holding the same bytes are a
	// permutation; swapped slots of which one holds other bytes are not.
	var reads atomic.Int64
	withData := func(contents ...string) *unpack.Node {
		n := &unpack.Node{Name: "MBR", Type: unpack.TypeRecord}
		n.SetPositional(true)
		for i, c := range contents {
			r := record("partition "+string(rune('1'+i)), "type", "0x83")
			r.Data = countingData{strings.NewReader(c), &reads}
			n.Children = append(n.Children, r)
		}
		return n
	}
	root = compare(t, "x", withData("aaaa", "bbbbbb"), withData("bbbbbb", "aaaa"), DefaultOptions())
	if root.Reason() != "order only" {
		t.Errorf("swapped records: reason %q", root.Reason())
	}
	root = compare(t, "x", withData("aaaa", "bbbbbb"), withData("bbbbbc", "aaaa"), DefaultOptions())
	if root.Order != nil || root.Child("partition 1").State != Modified || root.Child("partition 2").State != Modified {
		t.Errorf("swapped records, one changed: order %+v", root.Order)
	}
	// Records of the same shapes in the same slots are compared slot by
	// slot: the bytes of a large partition are not read to look for a
	// permutation first.
	reads.Store(0)
	compare(t, "x", withData("aaaa", "bbbbbb"), withData("aaaa", "bbbbbc"), DefaultOptions())
	positional := reads.Load()
	reads.Store(0)
	a, b := withData("aaaa", "bbbbbb"), withData("aaaa", "bbbbbc")
	a.SetPositional(false)
	b.SetPositional(false)
	compare(t, "x", a, b, DefaultOptions())
	if positional != reads.Load() {
		t.Errorf("%d reads comparing two slots, %d comparing them as named entries", positional, reads.Load())
	}
}

// countingData counts the reads made of it.
type countingData struct {
	r     *strings.Reader
	reads *atomic.Int64
}

func (d countingData) ReadAt(p []byte, off int64) (int, error) {
	d.reads.Add(1)
	return d.r.ReadAt(p, off)
}

func (d countingData) Size() int64 { return d.r.Size() }

func TestDirectoryOrderOnly(t *testing.T) {
	a := dir("d", file("x", "1"), file("y", "2"))
	b := dir("d", file("x", "1"), file("y", "2"))
	b.SetOrder([]string{"y", "x"})
	root := compare(t, "d", a, b, DefaultOptions())
	if root.Reason() != "order only" {
		t.Errorf("reason %q", root.Reason())
	}
}

// TestHexDiffAcrossChunks checks the hunks of a multi-chunk hex diff
// against a plain row-by-row computation.
func TestHexDiffAcrossChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	size := 5*chunkSize + chunkSize/2 + 5
	a := make([]byte, size)
	for i := range a {
		a[i] = byte(r.Uint32())
	}
	b := bytes.Clone(a)
	// At chunk edges, a run across a row boundary, and scattered bytes;
	// chunks 3 and 4 equal, with differences right before and after them.
	for _, off := range []int{0, 17, chunkSize - 1, chunkSize, chunkSize + 40, 2*chunkSize - 16, 2*chunkSize + 15, 3*chunkSize - 1, 5 * chunkSize, size - 1} {
		b[off] ^= 0x5a
	}
	for range 20 {
		b[r.IntN(2*chunkSize)] ^= 1
	}
	b = b[:size-3] // B is shorter: the last bytes of A are past B's end
	opt := DefaultOptions()
	opt.MaxHexBytes = 1 << 20
	hd := hexDiff(context.Background(), viewOf(data(a)), viewOf(data(b)), opt)

	rows := (size + rowSize - 1) / rowSize
	differs := func(row int) bool {
		for i := row * rowSize; i < (row+1)*rowSize && i < len(a); i++ {
			if i >= len(b) || a[i] != b[i] {
				return true
			}
		}
		return false
	}
	keep := make([]bool, rows)
	var want int64
	for row := range rows {
		if differs(row) {
			for k := max(0, row-opt.ContextRows); k <= min(rows-1, row+opt.ContextRows); k++ {
				keep[k] = true
			}
		}
	}
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			want++
		}
	}
	if hd.DiffBytes != want {
		t.Errorf("diff bytes %d, want %d", hd.DiffBytes, want)
	}
	var got []int64
	for _, h := range hd.Hunks {
		for i, row := range h.Rows {
			if i > 0 && row.Offset != h.Rows[i-1].Offset+rowSize {
				t.Errorf("hunk not contiguous at %#x", row.Offset)
			}
			if row.Same == differs(int(row.Offset/rowSize)) {
				t.Errorf("row %#x: same=%v", row.Offset, row.Same)
			}
			if !bytes.Equal(row.A, a[row.Offset:min(int(row.Offset)+rowSize, len(a))]) {
				t.Errorf("row %#x: wrong A bytes", row.Offset)
			}
			got = append(got, row.Offset)
		}
	}
	var wantRows []int64
	for row, k := range keep {
		if k {
			wantRows = append(wantRows, int64(row*rowSize))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(wantRows) {
		t.Errorf("rows kept:\n got %v\nwant %v", got, wantRows)
	}
}

// TestTextDiffManyLines: more distinct lines than go-diff has runes below
// the surrogate range.
func TestTextDiffManyLines(t *testing.T) {
	var a, b strings.Builder
	for i := range 60000 {
		fmt.Fprintf(&a, "line %d\n", i)
		if i == 59000 {
			b.WriteString("changed\n")
			continue
		}
		fmt.Fprintf(&b, "line %d\n", i)
	}
	td := textDiff(context.Background(), a.String(), b.String(), DefaultOptions())
	if td == nil || td.Added != 1 || td.Removed != 1 || len(td.Hunks) != 1 || td.Hunks[0].StartA != 58998 {
		t.Fatalf("%+v", td)
	}
	if l := td.Hunks[0].Lines[3]; l.Op != '-' || l.Text != "line 59000" {
		t.Errorf("changed line %+v", l)
	}
}

type failingData struct{ size int64 }

func (f failingData) Size() int64 { return f.size }
func (f failingData) ReadAt([]byte, int64) (int, error) {
	return 0, &os.PathError{Op: "read", Path: "disk", Err: syscall.EIO}
}

// TestReadError: bytes that cannot be read make the entry unreadable on
// that side and the comparison incomplete, not a difference of content.
func TestReadError(t *testing.T) {
	a := &unpack.Node{Name: "f", Type: unpack.TypeFile, Data: failingData{100}}
	b := file("f", strings.Repeat("x", 100))
	root := compare(t, "x", a, b, DefaultOptions())
	if root.Content != nil || !root.IOError || !strings.Contains(root.ErrA, "input/output error") || root.ErrB != "" {
		t.Errorf("content %+v ioerror %v errA %q errB %q", root.Content, root.IOError, root.ErrA, root.ErrB)
	}
	// The input's own damage is not an I/O error.
	damaged := &unpack.Node{Name: "f", Type: unpack.TypeFile, Data: damagedData{100}}
	root = compare(t, "x", damaged, b, DefaultOptions())
	if root.IOError || root.ErrA == "" {
		t.Errorf("damaged: ioerror %v errA %q", root.IOError, root.ErrA)
	}
}

type damagedData struct{ size int64 }

func (f damagedData) Size() int64 { return f.size }
func (f damagedData) ReadAt([]byte, int64) (int, error) {
	return 0, &unpack.FormatError{Layer: "squashfs", Offset: 4096, Msg: "corrupt block"}
}

// TestTextDiffRewrite: two large texts with nothing in common are shown as
// hex rather than diffed line by line for seconds.
func TestTextDiffRewrite(t *testing.T) {
	var a, b strings.Builder
	for i := range 30000 {
		fmt.Fprintf(&a, "old line %d\n", i)
		fmt.Fprintf(&b, "new line %d\n", i)
	}
	if td := textDiff(context.Background(), a.String(), b.String(), DefaultOptions()); td != nil {
		t.Fatalf("a 60,000-line rewrite was diffed as text")
	}
	n := compare(t, "x", file("f", a.String()), file("f", b.String()), DefaultOptions())
	if n.Content == nil || n.Content.Hex == nil {
		t.Fatalf("content %+v", n.Content)
	}
}

// TestRenamedStorePaths: store paths whose hash changed are paired by name
// and compared; the renames are counted at the layer.
func TestRenamedStorePaths(t *testing.T) {
	const h1, h2, h3 = "0123456789abcdfghijklmnpqrsvwxyz", "zyxwvsrqpnmlkjihgfdcba9876543210", "00000000000000000000000000000000"
	a := dir("", dir("/", dir(h1+"-python3", file("bin", "same")), dir(h3+"-glibc", file("libc", "same")), dir(h1+"-lone", file("x", "1"))))
	b := dir("", dir("/", dir(h2+"-python3", file("bin", "same")), dir(h3+"-glibc", file("libc", "same")), dir(h2+"-lone", file("x", "2")), dir(h3+"-new", file("y", "1"))))
	root := compare(t, "x", a, b, DefaultOptions())
	files := root.Child("/")
	if files.Renamed != 0 {
		t.Errorf("renames counted below the layer root: %d", files.Renamed)
	}
	if root.Renamed != 2 {
		t.Errorf("root renamed %d, want 2", root.Renamed)
	}
	py := files.Child(h1 + "-python3")
	if py == nil || py.State != Same || !py.StorePathRenamed() {
		t.Fatalf("python3 not paired: %+v", py)
	}
	lone := files.Child(h1 + "-lone")
	if lone == nil || lone.State != Modified || lone.Child("x").Content == nil {
		t.Fatalf("lone not paired and compared: %+v", lone)
	}
	if n := files.Child(h3 + "-new"); n == nil || n.State != Added {
		t.Errorf("new path: %+v", n)
	}
	if got := causes(root); len(got) != 1 || got[0] != "store path hash: 2 store paths under another hash" {
		t.Errorf("causes %q", got)
	}
}

// testMeta is a Meta whose stored bytes are its fields as one string; it
// counts how often it is decoded.
type testMeta struct {
	stored  string
	decoded *atomic.Int64
	closed  *atomic.Bool // the layer's reader is closed: decoding fails
}

func (m testMeta) AppendFields(dst []unpack.Field) []unpack.Field {
	m.decoded.Add(1)
	if m.closed.Load() {
		return append(dst, unpack.Field{Name: "header", Value: "file already closed"})
	}
	for kv := range strings.SplitSeq(m.stored, ",") {
		k, v, _ := strings.Cut(kv, "=")
		dst = append(dst, unpack.Field{Name: k, Value: v, Role: testRoles[k]})
	}
	return dst
}

func (m testMeta) SameMeta(o unpack.Meta) bool {
	other, ok := o.(testMeta)
	return ok && other.stored == m.stored
}

// TestMetaDecodedOnlyWhenShown: pairs whose Metas are the same stored
// bytes are compared without decoding them, and still show their fields;
// pairs whose Metas differ are compared field by field, an eager field
// after Meta's.
func TestMetaDecodedOnlyWhenShown(t *testing.T) {
	var decoded atomic.Int64
	var closed atomic.Bool
	withMeta := func(name, stored string, eager ...string) *unpack.Node {
		n := file(name, "x", eager...)
		n.SetMeta(testMeta{stored, &decoded, &closed})
		return n
	}
	a := dir("", withMeta("same", "mode=0644,uid=0"), withMeta("uid", "mode=0644,uid=0"), withMeta("moved", "mode=0644,inode=1"), withMeta("link", "mode=0644", "hard link of", "/x"))
	b := dir("", withMeta("same", "mode=0644,uid=0"), withMeta("uid", "mode=0644,uid=1"), withMeta("moved", "mode=0644,inode=2"), withMeta("link", "mode=0644", "hard link of", "/y"))
	for _, only := range []bool{false, true} {
		decoded.Store(0)
		closed.Store(false)
		root := compare(t, "m", a, b, Options{DifferencesOnly: only})
		// uid and moved decode both sides; link's Metas are equal but
		// its eager fields differ; the view keeps the identical pair
		// too, decoded before its layer closes.
		want := int64(6)
		if !only {
			want = 7
		}
		if decoded.Load() != want {
			t.Errorf("DifferencesOnly %v: %d decodings while comparing, want %d", only, decoded.Load(), want)
		}
		// The layer's reader closes when its comparison ends: nothing a
		// presenter reads afterwards is decoded from it.
		closed.Store(true)
		root.Walk(func(n *Node) bool {
			if fs := fmt.Sprint(n.Fields()); strings.Contains(fs, "file already closed") {
				t.Errorf("%s: fields decoded after the comparison: %s", n.Name, fs)
			}
			return true
		})
		if got := fmt.Sprint(root.Child("uid").Changed()); !strings.Contains(got, "uid 0 1") {
			t.Errorf("uid: changed %s", got)
		}
		if got := root.Child("link").Changed(); len(got) != 1 || got[0].Name != "hard link of" {
			t.Errorf("link: changed %v", got)
		}
		if ch := root.Child("moved"); ch == nil || !ch.Placed() || ch.State != Same {
			t.Errorf("moved: %+v", ch)
		}
		if only {
			if root.Child("same") != nil {
				t.Error("an identical pair kept by a report")
			}
			continue
		}
		same := root.Child("same")
		if same.Changed() != nil {
			t.Errorf("same: changed %v", same.Changed())
		}
		if got := fmt.Sprint(same.Fields()); !strings.Contains(got, "mode 0644 0644") || !strings.Contains(got, "uid 0 0") {
			t.Errorf("same: fields %s", got)
		}
	}
}

// TestNameStyleCountedAtLayer: entries whose only difference is a name the
// reader marks as a style (an ISO 9660 8.3 name beside the Rock Ridge name
// both sides share) are counted once at their layer, not listed each.
func TestNameStyleCountedAtLayer(t *testing.T) {
	style := &unpack.Role{Kind: unpack.Identity, Cause: CauseNameStyle, NamesField: true}
	entry := func(name, isoName, content string) *unpack.Node {
		n := file(name, content, "mode", "0644")
		n.AddFields(unpack.Field{Name: "iso name", Value: isoName, Role: style})
		return n
	}
	a := dir("", entry("readme.txt", "README.TXT;1", "x"), entry("long-name.conf", "LONG_NAM.CON;1", "y"), entry("z", "Z.;1", "z"))
	b := dir("", entry("readme.txt", "README.TXT", "x"), entry("long-name.conf", "LONG_000.CON", "y"), entry("z", "Z.;1", "Z"))
	root := compare(t, "iso", a, b, DefaultOptions())
	if root.Respelled != 2 {
		t.Errorf("respelled %d, want 2", root.Respelled)
	}
	// Counted at the layer, still a difference: never "identical".
	only := compare(t, "iso", dir("", entry("readme.txt", "README.TXT;1", "x")), dir("", entry("readme.txt", "README.TXT", "x")), DefaultOptions())
	if !only.Differs() || only.Respelled != 1 {
		t.Errorf("a tree differing only in an ISO name: differs %v, respelled %d", only.Differs(), only.Respelled)
	}
	for _, name := range []string{"readme.txt", "long-name.conf"} {
		if ch := root.Child(name); ch != nil && ch.State != Same {
			t.Errorf("%s: %v %v", name, ch.State, ch.Changed())
		}
	}
	if ch := root.Child("z"); ch == nil || ch.State != Modified {
		t.Errorf("z: content changed, %+v", ch)
	}
	if got := fmt.Sprint(root.Causes); !strings.Contains(got, "2 names spelled differently") {
		t.Errorf("causes %s", got)
	}
	// A name style field on one side only is no respelling: it shows.
	c := dir("", entry("readme.txt", "README.TXT;1", "x"))
	d := dir("", file("readme.txt", "x", "mode", "0644"))
	if root := compare(t, "iso", c, d, DefaultOptions()); root.Respelled != 0 || root.Child("readme.txt").State != Modified {
		t.Errorf("iso name on one side: respelled %d", root.Respelled)
	}
}
