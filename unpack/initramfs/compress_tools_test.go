//go:build unix

package initramfs

// Checks against the real tools: every stream's content against the
// CLI decompressor (zstd, xz, gzip, lz4, bzip2, lzma -dc), every cpio
// listing against `cpio -itv --numeric-uid-gid`, and kernel-style
// initrds split where their segments are.

import (
	"bufio"
	"bytes"
	"fmt"
	"isodiff/unpack"
	"isodiff/unpack/cpio"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/show"
	"isodiff/unpack/internal/testutil"
	"isodiff/unpack/internal/trailing"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// cliDecompress is the command that decompresses each format to stdout.
var cliDecompress = map[string][]string{
	"gzip": {"gzip", "-dc"}, "zstd": {"zstd", "-dcq"}, "xz": {"xz", "-dc"}, "lz4": {"lz4", "-dcq"},
	"lz4-legacy": {"lz4", "-dcq"}, "bzip2": {"bzip2", "-dc"}, "lzma": {"xz", "--format=lzma", "-dc"},
	"lzop": {"lzop", "-dc"},
}

// checkAgainstCLI opens b as format and compares its content with the
// CLI's output.
func checkAgainstCLI(t *testing.T, env *unpack.Env, b []byte, format string) {
	t.Helper()
	cmd := cliDecompress[format]
	testutil.NeedCmds(t, cmd[0])
	want := testutil.RunCmd(t, b, "", cmd[0], cmd[1:]...)
	n := testutil.OpenAs(t, b, format, env, testFormats)
	got, c := testutil.ContentOf(t, n)
	if c.Err != nil {
		t.Fatalf("%s: %v", format, c.Err)
	}
	if testutil.Sha(got) != testutil.Sha(want) {
		t.Fatalf("%s: content %d bytes sha256 %s, %s -dc gives %d bytes %s", format, len(got), testutil.Sha(got)[:16], cmd[0], len(want), testutil.Sha(want)[:16])
	}
	if n.Child(trailing.Name) != nil {
		t.Errorf("%s: trailing bytes reported where the CLI found none", format)
	}
}

func TestStreamFixturesMatchCLI(t *testing.T) {
	env := testutil.Env(t, 0)
	for _, tc := range []struct{ file, format string }{
		{"initrd-a.gz", "gzip"}, {"initrd-a.zst", "zstd"}, {"initrd-a.xz", "xz"}, {"initrd-a.lz4", "lz4-legacy"},
		{"initrd-a.bz2", "bzip2"}, {"initrd-a.lzma", "lzma"}, {"manpage.1.gz", "gzip"}, {"manpage-n.1.gz", "gzip"},
		{"multimember.gz", "gzip"}, {"skippable-two-frames.zst", "zstd"}, {"initrd-changed.zst", "zstd"},
		{"initrd-dotslash.zst", "zstd"}, {"initrd-reversed.zst", "zstd"}, {"initrd-a.lzo", "lzop"}, {"initrd-named.lzo", "lzop"},
	} {
		t.Run(tc.file, func(t *testing.T) { checkAgainstCLI(t, env, testutil.ReadInitrdFixture(t, tc.file), tc.format) })
	}
}

// testCorpus is about 10 MiB of real files: executables (for the BCJ
// filters), text, and the repeated runs that make long matches.
func testCorpus(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, dir := range []string{"/usr/bin", "/usr/share/common-licenses"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if b.Len() > 10<<20 || !e.Type().IsRegular() {
				continue
			}
			if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && len(data) < 2<<20 {
				b.Write(data)
			}
		}
	}
	if b.Len() < 9<<20 {
		t.Skip("not enough files in /usr/bin for a corpus")
	}
	return b.Bytes()
}

func TestGeneratedStreamsMatchCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("compresses tens of MiB")
	}
	corpus := testCorpus(t)
	small := corpus[:200<<10]
	env := testutil.Env(t, 0)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	comp := func(name string, args ...string) func(in []byte) []byte {
		return func(in []byte) []byte { testutil.NeedCmds(t, name); return testutil.RunCmd(t, in, "", name, args...) }
	}
	for _, tc := range []struct {
		name, format string
		make         func() []byte
	}{
		{"zstd -12 multithreaded", "zstd", func() []byte { return comp("zstd", "-12", "-T2", "-c")(corpus) }},
		{"zstd two frames", "zstd", func() []byte { return cat(comp("zstd", "-1", "-c")(small), comp("zstd", "--no-check", "-c")(corpus)) }},
		{"zstd --long", "zstd", func() []byte { return comp("zstd", "--long=27", "-3", "-c")(corpus) }},
		{"xz multithreaded (block sizes in headers)", "xz", func() []byte { return comp("xz", "-T2", "--block-size=1MiB", "-0", "-c")(corpus) }},
		{"xz x86 BCJ", "xz", func() []byte { return comp("xz", "-T2", "--x86", "--lzma2=preset=1", "-c")(corpus) }},
		{"xz streams and padding", "xz", func() []byte {
			return cat(comp("xz", "--check=sha256", "-c")(small), make([]byte, 8), comp("xz", "--check=none", "-c")(small))
		}},
		{"lz4 legacy multi-block", "lz4-legacy", func() []byte { return comp("lz4", "-l", "-c")(corpus) }},
		{"lz4 linked blocks, content size", "lz4", func() []byte { return comp("lz4", "-B4", "-BD", "--content-size", "-c")(corpus) }},
		{"lz4 block checksums, two frames", "lz4", func() []byte { return cat(comp("lz4", "-BX", "-c")(small), comp("lz4", "--no-frame-crc", "-c")(small)) }},
		{"bzip2 many blocks, two streams", "bzip2", func() []byte { return cat(comp("bzip2", "-1", "-c")(corpus[:3<<20]), comp("bzip2", "-c")(small)) }},
		{"gzip -1 members", "gzip", func() []byte { return cat(comp("gzip", "-1", "-c")(corpus), comp("gzip", "-9", "-c")(small)) }},
		{"lzma", "lzma", func() []byte { return comp("lzma", "-1", "-c")(corpus) }},
	} {
		t.Run(tc.name, func(t *testing.T) { checkAgainstCLI(t, env, tc.make(), tc.format) })
	}
}

// cpioListing is what `cpio -itv --numeric-uid-gid` shows of a member.
type cpioListing struct {
	mode, nlink, uid, gid, size, date, target string
}

// parseCpioListing parses GNU cpio's long listing: mode, links, uid,
// gid, size (or "major, minor"), a date of three words, the name, maybe
// " -> target". Names here have no spaces.
func parseCpioListing(t *testing.T, out []byte) (map[string]cpioListing, []string) {
	t.Helper()
	m := map[string]cpioListing{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		var l cpioListing
		l.mode, l.nlink, l.uid, l.gid = w[0], w[1], w[2], w[3]
		w = w[4:]
		if strings.HasSuffix(w[0], ",") { // a device: "5, 1"
			l.size = w[0] + " " + w[1]
			w = w[2:]
		} else {
			l.size = w[0]
			w = w[1:]
		}
		l.date = strings.Join(w[:3], " ")
		name := w[3]
		if len(w) == 6 && w[4] == "->" {
			l.target = w[5]
		}
		m[name] = l
		order = append(order, name)
	}
	return m, order
}

// cpioDate formats a time as GNU cpio's listing does (ctime without the
// weekday; the year instead of the time for dates over six months old).
func cpioDate(rfc3339 string) string {
	tm, _ := time.Parse(time.RFC3339, rfc3339)
	if d := time.Since(tm); d > 6*30*24*time.Hour || d < 0 {
		return tm.Format("Jan 2 2006")
	}
	return tm.Format("Jan 2 15:04")
}

// ourListing lists the tree as cpio would: raw name to listing.
func ourListing(root *unpack.Node) (map[string]cpioListing, map[string]*unpack.Node) {
	m := map[string]cpioListing{}
	nodes := map[string]*unpack.Node{}
	var walk func(n *unpack.Node, path string)
	walk = func(n *unpack.Node, path string) {
		if _, implied := n.Field("implied"); !implied {
			raw, ok := n.Field("name")
			if !ok {
				raw = strings.TrimPrefix(path, "/")
			}
			f := func(k string) string { v, _ := n.Field(k); return v }
			mode, _, _ := strings.Cut(f("mode"), " ")
			l := cpioListing{mode: mode, nlink: f("nlink"), uid: f("uid"), gid: f("gid"), size: f("size"), date: cpioDate(f("mtime")), target: f("link target")}
			if n.Type == unpack.TypeCharDevice || n.Type == unpack.TypeBlockDevice {
				maj, min, _ := strings.Cut(f("rdev"), ",")
				l.size = maj + ", " + min
			}
			m[raw] = l
			nodes[raw] = n
		}
		for _, c := range n.Children {
			walk(c, strings.TrimSuffix(path, "/")+"/"+c.Name)
		}
	}
	walk(root, "/")
	return m, nodes
}

// checkCpioAgainstCLI compares our tree of archive b with cpio -itv.
func checkCpioAgainstCLI(t *testing.T, b []byte) {
	t.Helper()
	testutil.NeedCmds(t, "cpio")
	want, order := parseCpioListing(t, testutil.RunCmd(t, b, "", "cpio", "-itv", "--numeric-uid-gid", "--quiet"))
	root := openCpioBytes(t, b)
	if root.Err != nil {
		t.Fatal(root.Err)
	}
	got, nodes := ourListing(root.Child("/"))
	if len(got) != len(want) {
		t.Errorf("%d members, cpio lists %d", len(got), len(want))
	}
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%q: missing", name)
		} else if g != w {
			t.Errorf("%q: ours %+v, cpio %+v", name, g, w)
		}
	}
	testutil.WantField(t, root, "members", fmt.Sprint(len(order)))
	// Each directory's Order is its members in archive order.
	seen := map[*unpack.Node][]string{}
	for _, name := range order {
		n := nodes[name]
		comps := show.PathComponents(name)
		if len(comps) == 0 {
			continue
		}
		parent := root.Child("/")
		for _, c := range comps[:len(comps)-1] {
			parent = parent.Child(c)
		}
		seen[parent] = append(seen[parent], n.Name)
	}
	for dir, names := range seen {
		if strings.Join(dir.Order(), "/") != strings.Join(names, "/") {
			t.Errorf("%q: order %v, archive order %v", dir.Name, dir.Order(), names)
		}
	}
}

func TestCpioFixturesMatchCLI(t *testing.T) {
	testutil.NeedCmds(t, "cpio", "zstd")
	for _, f := range []string{"base.cpio", "base-odc.cpio", "base-crc.cpio", "base-bin.cpio", "initrd-microcode"} {
		t.Run(f, func(t *testing.T) {
			b := testutil.ReadInitrdFixture(t, f)
			if f == "initrd-microcode" {
				_, segs := segmentsOf(t, b)
				b = testutil.DataBytes(t, segs[0].Data)
			}
			checkCpioAgainstCLI(t, b)
		})
	}
	for _, f := range []string{"initrd-dotslash.zst", "initrd-reversed.zst", "initrd-changed.zst"} {
		t.Run(f, func(t *testing.T) {
			checkCpioAgainstCLI(t, testutil.RunCmd(t, testutil.ReadInitrdFixture(t, f), "", "zstd", "-dcq"))
		})
	}
	// The big-endian old binary archive, which GNU cpio reads (and writes
	// only on a big-endian machine).
	t.Run("base-bin.cpio big-endian", func(t *testing.T) {
		checkCpioAgainstCLI(t, testutil.SwapBinHeaders(testutil.ReadInitrdFixture(t, "base-bin.cpio")))
	})
}

// A tree made here, with what the fixtures lack: real inode and device
// numbers (no --reproducible), a fifo, an empty file, a three-way hard
// link, a name with spaces, deep implied-free nesting, and a file whose
// size and mtime need both halves of bin's two-word fields.
func TestCpioBuiltTreeMatchesCLI(t *testing.T) {
	testutil.NeedCmds(t, "cpio", "find", "mkfifo")
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "a/b/c/d"), 0o750))
	must(os.WriteFile(filepath.Join(dir, "a/b/c/d/deep"), []byte("deep\n"), 0o640))
	must(os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600))
	must(os.WriteFile(filepath.Join(dir, "h1"), bytes.Repeat([]byte("hard "), 1000), 0o644))
	must(os.Link(filepath.Join(dir, "h1"), filepath.Join(dir, "h2")))
	must(os.Link(filepath.Join(dir, "h1"), filepath.Join(dir, "a/h3")))
	must(os.Symlink("a/b/c/d/deep", filepath.Join(dir, "link")))
	big := bytes.Repeat([]byte("0123456789abcdef"), 70000/16+1)[:70001]
	must(os.WriteFile(filepath.Join(dir, "big"), big, 0o644))
	must(os.Chtimes(filepath.Join(dir, "big"), time.Unix(1700000001, 0), time.Unix(1700000001, 0)))
	testutil.RunCmd(t, nil, dir, "mkfifo", "fifo")
	for _, format := range []string{"newc", "crc", "odc", "bin", "bin big-endian"} {
		t.Run(format, func(t *testing.T) {
			list := testutil.RunCmd(t, nil, dir, "find", ".", "-print0")
			args := []string{"-o", "-H", format, "--null", "--quiet"}
			if strings.HasPrefix(format, "bin") {
				// bin keeps 16 bits of an inode number: numbered from 1,
				// the links stay links and the other files apart.
				args = []string{"-o", "-H", "bin", "--renumber-inodes", "--null", "--quiet"}
			}
			b := testutil.RunCmd(t, list, dir, "cpio", args...)
			if format == "bin big-endian" {
				b = testutil.SwapBinHeaders(b)
			}
			checkCpioAgainstCLI(t, b)
			root := openCpioBytes(t, b)
			if got := testutil.DataBytes(t, testutil.TreeNode(t, root, "/big").Data); !bytes.Equal(got, big) {
				t.Errorf("big: %d bytes read, want %d", len(got), len(big))
			}
			h := []*unpack.Node{testutil.TreeNode(t, root, "/h1"), testutil.TreeNode(t, root, "/h2"), testutil.TreeNode(t, root, "/a/h3")}
			links := 0
			for _, n := range h {
				if !bytes.Equal(testutil.DataBytes(t, n.Data), bytes.Repeat([]byte("hard "), 1000)) {
					t.Errorf("%s: hard link content wrong", n.Name)
				}
				if _, ok := n.Field("hard link of"); ok {
					links++
				}
			}
			if links != 2 {
				t.Errorf("%d members marked as hard links, want 2", links)
			}
		})
	}
}

// Kernel-style initrds made with the real tools: a microcode archive,
// then the main archive compressed each way the kernel supports.
func TestInitramfsBuiltWithTools(t *testing.T) {
	testutil.NeedCmds(t, "cpio", "find")
	dir := t.TempDir()
	ucodeDir := filepath.Join(dir, "ucode")
	mainDir := filepath.Join(dir, "main")
	os.MkdirAll(filepath.Join(ucodeDir, "kernel/x86/microcode"), 0o755)
	os.WriteFile(filepath.Join(ucodeDir, "kernel/x86/microcode/AuthenticAMD.bin"), bytes.Repeat([]byte{0xaa}, 3000), 0o644)
	os.MkdirAll(filepath.Join(mainDir, "bin"), 0o755)
	os.WriteFile(filepath.Join(mainDir, "init"), []byte("#!/bin/sh\nexec /bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(mainDir, "bin/tool"), testCorpus(t)[:300<<10], 0o755)
	archive := func(d string) []byte {
		list := testutil.RunCmd(t, nil, d, "find", ".", "-print0")
		return testutil.RunCmd(t, list, d, "cpio", "-o", "-H", "newc", "--null", "--quiet", "-R", "+0:+0", "--reproducible")
	}
	ucode, mainCpio := archive(ucodeDir), archive(mainDir)
	env := testutil.Env(t, 0)
	for _, tc := range []struct {
		format string
		cmd    []string
		exact  bool // the segment ends where the stream does
	}{
		{"zstd", []string{"zstd", "-10", "-c"}, true},
		{"lz4-legacy", []string{"lz4", "-l", "-9", "-c"}, true},
		{"gzip", []string{"gzip", "-9n", "-c"}, false},
		{"xz", []string{"xz", "--check=crc32", "-c"}, false},
		{"bzip2", []string{"bzip2", "-9", "-c"}, false},
		{"lzma", []string{"lzma", "-9", "-c"}, false},
	} {
		t.Run(tc.format, func(t *testing.T) {
			testutil.NeedCmds(t, tc.cmd[0])
			comp := testutil.RunCmd(t, mainCpio, "", tc.cmd[0], tc.cmd[1:]...)
			img := append(append(bytes.Clone(ucode), comp...), make([]byte, 4-len(comp)%4)...)
			_, segs := segmentsOf(t, img)
			if len(segs) != 2 {
				t.Fatalf("%d segments", len(segs))
			}
			end, _ := cpio.ArchiveEnd(readat.NewPeek(bytes.NewReader(ucode), int64(len(ucode))), 0, int64(len(ucode)), 100)
			wantSegment(t, segs[0], 0, end, "cpio", int64(len(ucode))-end)
			size := int64(len(img) - len(ucode))
			pad := int64(0)
			if tc.exact {
				size, pad = int64(len(comp)), int64(4-len(comp)%4)
			}
			wantSegment(t, segs[1], int64(len(ucode)), size, tc.format, pad)
			// Unpacked in turn, segment 2 is the main archive.
			s := testutil.OpenAs(t, testutil.DataBytes(t, segs[1].Data), tc.format, env, testFormats)
			got, c := testutil.ContentOf(t, s)
			if c.Err != nil || !bytes.Equal(got, mainCpio) {
				t.Fatalf("segment 2 content: %d bytes, err %v", len(got), c.Err)
			}
			inner := testutil.OpenAs(t, got, "cpio", env, testFormats)
			paths := []string{}
			ls, _ := ourListing(inner.Child("/"))
			for p := range ls {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			// GNU cpio strips the "./" of the names find gives it.
			if strings.Join(paths, " ") != ". bin bin/tool init" {
				t.Errorf("main archive members %v", paths)
			}
		})
	}
}

func openCpioBytes(t testing.TB, b []byte) *unpack.Node {
	t.Helper()
	n, err := cpio.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
