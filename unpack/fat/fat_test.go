package fat

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"isodiff/unpack"
	"isodiff/unpack/internal/show"
	"isodiff/unpack/internal/testutil"
	"isodiff/unpack/iso9660"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/diskfs/go-diskfs/backend"
	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
)

// diskfsStorage is the backend.Storage go-diskfs reads a filesystem
// from, over an io.ReaderAt: read-only (Writable fails), no OS file.
type diskfsStorage struct {
	r    io.ReaderAt
	size int64
	pos  int64
}

var _ backend.Storage = (*diskfsStorage)(nil)

var errFATStorageReadOnly = errors.New("read-only storage")

func (s *diskfsStorage) ReadAt(p []byte, off int64) (int, error) { return s.r.ReadAt(p, off) }

func (s *diskfsStorage) Read(p []byte) (int, error) {
	n, err := s.r.ReadAt(p, s.pos)
	s.pos += int64(n)
	return n, err
}

func (s *diskfsStorage) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += s.pos
	case io.SeekEnd:
		off += s.size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if off < 0 {
		return 0, errors.New("seek: negative position")
	}
	s.pos = off
	return off, nil
}

func (s *diskfsStorage) Stat() (fs.FileInfo, error) { return storageInfo{s.size}, nil }
func (s *diskfsStorage) Close() error               { return nil }
func (s *diskfsStorage) Sys() (*os.File, error)     { return nil, errFATStorageReadOnly }
func (s *diskfsStorage) Writable() (backend.WritableFile, error) {
	return nil, errFATStorageReadOnly
}
func (s *diskfsStorage) Path() string { return "" }

type storageInfo struct{ size int64 }

func (i storageInfo) Name() string       { return "image" }
func (i storageInfo) Size() int64        { return i.size }
func (i storageInfo) Mode() fs.FileMode  { return 0o444 }
func (i storageInfo) ModTime() time.Time { return time.Time{} }
func (i storageInfo) IsDir() bool        { return false }
func (i storageInfo) Sys() any           { return nil }

// fixtureDir is where fixtures/build-fat.sh puts the committed images.
const fixtureDir = "../../fixtures/fat"

// fatImages are the committed fixture images, by base name.
func fatImages(t testing.TB) []string {
	imgs, _ := filepath.Glob(filepath.Join(fixtureDir, "*.img"))
	if len(imgs) == 0 {
		t.Skip("no fixtures in " + fixtureDir)
	}
	return imgs
}

// openFATTimeout opens a FAT volume, failing the test if that takes more
// than a few seconds (a looping chain must not hang the reader).
func openFATTimeout(t testing.TB, r io.ReaderAt, size int64) *unpack.Node {
	t.Helper()
	type result struct {
		n   *unpack.Node
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := Open(r, size, nil)
		done <- result{n, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("OpenFAT: %v", res.err)
		}
		return res.n
	case <-time.After(10 * time.Second):
		t.Fatalf("OpenFAT did not finish in 10 s")
	}
	return nil
}

func openFATFile(t testing.TB, path string) (*unpack.Node, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return openFATTimeout(t, bytes.NewReader(b), int64(len(b))), b
}

// fatAt finds a node by path below the layer root ("/EFI/BOOT/grub.cfg").
func fatAt(root *unpack.Node, path string) *unpack.Node {
	n := root.Child("/")
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if n == nil || p == "" {
			continue
		}
		n = n.Child(p)
	}
	return n
}

// fatWalk calls fn for every entry below "/" with its path.
func fatWalk(root *unpack.Node, fn func(path string, n *unpack.Node)) {
	var rec func(n *unpack.Node, path string)
	rec = func(n *unpack.Node, path string) {
		for _, c := range n.Children {
			p := show.JoinPath(path, c.Name)
			fn(p, c)
			rec(c, p)
		}
	}
	rec(root.Child("/"), "/")
}

func fatField(t testing.TB, n *unpack.Node, name string) string {
	t.Helper()
	v, ok := n.Field(name)
	if !ok {
		t.Errorf("%s: no field %q (fields %v)", n.Name, name, n.Fields())
	}
	return v
}

// fatErrs lists the paths of nodes with an Err.
func fatErrs(root *unpack.Node) []string {
	var out []string
	if root.Err != nil {
		out = append(out, "root: "+root.Err.Error())
	}
	if top := root.Child("/"); top != nil && top.Err != nil {
		out = append(out, "/: "+top.Err.Error())
	}
	fatWalk(root, func(p string, n *unpack.Node) {
		if n.Err != nil {
			out = append(out, p+": "+n.Err.Error())
		}
	})
	return out
}

var brokenImages = map[string]bool{"loop.img": true, "pastend.img": true}

// TestFATFixtureSums checks the committed images against the sums
// fixtures/build-fat.sh wrote (which its --check mode rebuilds).
func TestFATFixtureSums(t *testing.T) {
	fatImages(t)
	sums, err := os.ReadFile(filepath.Join(fixtureDir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		b, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != sum {
			t.Errorf("%s: sha256 %s, SHA256SUMS says %s", name, got, sum)
		}
	}
}

// toolEnv is the environment the tools run in, as in build-fat.sh.
func toolEnv() []string {
	return append(os.Environ(), "MTOOLSRC=/dev/null", "MTOOLS_SKIP_CHECK=1", "LC_ALL=C.UTF-8", "TZ=UTC")
}

// fatTool runs a tool as build-fat.sh does and returns its output with the
// "exit code N" line the committed references end with; ok is false when
// the tool is not installed.
func fatTool(t *testing.T, dir string, name string, args ...string) (string, bool) {
	if _, err := exec.LookPath(name); err != nil {
		return "", false
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = toolEnv()
	out, err := cmd.CombinedOutput()
	rc := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fmt.Sprintf("%sexit code %d\n", out, rc), true
}

// TestFATAgainstMtools compares every fixture with the outputs of minfo,
// fsck.fat, mdir and mcopy: the committed ones next to it and, where the
// tools are installed, fresh ones.
func TestFATAgainstMtools(t *testing.T) {
	for _, img := range fatImages(t) {
		name := filepath.Base(img)
		t.Run(name, func(t *testing.T) {
			root, _ := openFATFile(t, img)
			if !brokenImages[name] {
				if errs := fatErrs(root); len(errs) > 0 {
					t.Errorf("errors: %s", strings.Join(errs, "\n"))
				}
			}
			type check struct {
				suffix string
				cmp    func(t *testing.T, root *unpack.Node, out string)
				tool   []string
			}
			checks := []check{
				{".minfo.txt", compareMinfo, []string{"minfo", "-i", name, "::"}},
				{".fsck.txt", compareFsckFAT, []string{"fsck.fat", "-n", "-v", name}},
				{".mdir.txt", compareMdir, []string{"mdir", "-/", "-a", "-i", name, "::"}},
				{".files.txt", compareMcopy, nil},
			}
			for _, c := range checks {
				ref, err := os.ReadFile(img + c.suffix)
				if err != nil {
					t.Errorf("no reference output: %v", err)
					continue
				}
				t.Run("committed"+c.suffix, func(t *testing.T) { c.cmp(t, root, string(ref)) })
				if c.tool == nil {
					if out, ok := mcopyListing(t, img); ok {
						t.Run("live"+c.suffix, func(t *testing.T) { c.cmp(t, root, out) })
					}
					continue
				}
				if out, ok := fatTool(t, filepath.Dir(img), c.tool[0], c.tool[1:]...); ok {
					t.Run("live"+c.suffix, func(t *testing.T) { c.cmp(t, root, out) })
				}
			}
		})
	}
}

// mcopyListing extracts the image with mcopy and lists it as build-fat.sh
// does (sha256, size, mtime or "-", path).
func mcopyListing(t *testing.T, img string) (string, bool) {
	if _, err := exec.LookPath("mcopy"); err != nil {
		return "", false
	}
	dir := t.TempDir()
	cmd := exec.Command("mcopy", "-s", "-n", "-m", "-i", img, "::/", dir+"/")
	cmd.Env = toolEnv()
	rc := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		rc = ee.ExitCode()
	}
	var sb strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mtime := "-"
		if rc == 0 {
			mtime = strconv.FormatInt(fi.ModTime().Unix(), 10)
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&sb, "%x %d %s %s\n", sha256.Sum256(b), len(b), mtime, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&sb, "exit code %d\n", rc)
	return sb.String(), true
}

// compareMinfo checks the boot sector fields against minfo's report.
func compareMinfo(t *testing.T, root *unpack.Node, out string) {
	kv := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			k, v, ok = strings.Cut(line, "=")
		}
		if !ok {
			k, v, ok = strings.Cut(line, ":") // banner:"mkfs.fat"
		}
		if ok {
			kv[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	if len(kv) < 10 {
		t.Fatalf("minfo output not understood:\n%s", out)
	}
	f := func(name string) string { return fatField(t, root, name) }
	num := func(s string) string { return strings.Fields(s + " ?")[0] }
	want := map[string]string{
		"bytes per sector":    num(kv["sector size"]),
		"sectors per cluster": num(kv["cluster size"]),
		"reserved sectors":    kv["reserved (boot) sectors"],
		"FATs":                kv["fats"],
		"root entries":        kv["max available root directory slots"],
		"media":               kv["media descriptor byte"],
		"sectors per track":   kv["sectors per track"],
		"heads":               kv["heads"],
		"hidden sectors":      kv["hidden sectors"],
		"drive number":        kv["physical drive id"],
		"volume id":           "0x" + strings.ToLower(kv["serial number"]),
		"volume label":        strings.TrimRight(kv["disk label"], " "),
		"filesystem type":     strings.TrimRight(kv["disk type"], " "),
		"OEM name":            kv["banner"],
	}
	if v := num(kv["small size"]); v != "0" {
		want["total sectors"] = v
	} else {
		want["total sectors"] = num(kv["big size"])
	}
	if v, ok := kv["Big fatlen"]; ok {
		want["sectors per FAT"] = v
		want["root cluster"] = kv["rootCluster"]
		want["FSInfo sector"] = kv["infoSector location"]
		want["backup boot sector"] = kv["backup boot sector"]
		want["FSInfo free clusters"] = kv["free clusters"]
		want["FSInfo next free cluster"] = kv["last allocated cluster"]
	} else {
		want["sectors per FAT"] = kv["sectors per fat"]
	}
	for name, w := range want {
		if got := f(name); got != w {
			t.Errorf("%s: %q, minfo says %q", name, got, w)
		}
	}
	// minfo writes the reserved byte and the extended boot signature
	// as hex without padding.
	if got, w := f("boot sector flags"), kv["reserved"]; hexValue(got) != hexValue(w) {
		t.Errorf("boot sector flags %s, minfo reserved=%s", got, w)
	}
	if got, w := f("extended boot signature"), kv["dos4"]; hexValue(got) != hexValue(w) {
		t.Errorf("extended boot signature %s, minfo dos4=%s", got, w)
	}
}

func hexValue(s string) uint64 {
	v, _ := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	return v
}

var (
	fsckClusters = regexp.MustCompile(`(?m)^\s*(\d+) data clusters`)
	fsckFATs     = regexp.MustCompile(`(?m)^\s*(\d+) FATs, (\d+) bit entries`)
	fsckChain    = regexp.MustCompile(`(?m)^(/\S+)\n  File size is \d+ bytes, cluster chain length is (\d+) bytes`)
)

// compareFsckFAT checks the FAT type and cluster count against fsck.fat,
// and, for a broken chain, how much of the file it keeps.
func compareFsckFAT(t *testing.T, root *unpack.Node, out string) {
	m := fsckFATs.FindStringSubmatch(out)
	c := fsckClusters.FindStringSubmatch(out)
	if m == nil || c == nil {
		t.Fatalf("fsck.fat output not understood:\n%s", out)
	}
	if got := fatField(t, root, "FATs"); got != m[1] {
		t.Errorf("FATs %s, fsck.fat says %s", got, m[1])
	}
	if got := fatField(t, root, "FAT type"); got != "FAT"+m[2] {
		t.Errorf("FAT type %s, fsck.fat says %s-bit entries", got, m[2])
	}
	if got := fatField(t, root, "clusters"); got != c[1] {
		t.Errorf("clusters %s, fsck.fat says %s", got, c[1])
	}
	for _, m := range fsckChain.FindAllStringSubmatch(out, -1) {
		n := fatAt(root, m[1])
		if n == nil || n.Data == nil {
			t.Errorf("%s: not found", m[1])
			continue
		}
		if n.Err == nil {
			t.Errorf("%s: fsck.fat finds its chain broken, no Err here", m[1])
		}
		if got := strconv.FormatInt(n.Data.Size(), 10); got != m[2] {
			t.Errorf("%s: %s bytes read, fsck.fat keeps %s", m[1], got, m[2])
		}
	}
	if strings.HasSuffix(strings.TrimSpace(out), "exit code 0") {
		if errs := fatErrs(root); len(errs) > 0 {
			t.Errorf("fsck.fat finds nothing wrong, yet: %s", strings.Join(errs, "; "))
		}
	}
}

var mdirLine = regexp.MustCompile(`^(.{8}) (.{3}) +(<DIR>|\d+) +(\d{4}-\d\d-\d\d) +(\d+):(\d\d)(?:  (.+))?$`)

// compareMdir checks every directory's entries, in on-disk order, with
// their short and long names, sizes and dates, against mdir.
func compareMdir(t *testing.T, root *unpack.Node, out string) {
	if !strings.HasSuffix(strings.TrimSpace(out), "exit code 0") {
		return // mdir could not read it (fat32-small: mtools takes it for FAT12)
	}
	var dir *unpack.Node
	dirs := 0
	var order []string
	flush := func() {
		if dir != nil && !slices.Equal(order, dir.Order()) {
			t.Errorf("%s: mdir order %q, ours %q", dir.Name, order, dir.Order())
		}
		order = nil
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, " ")
		if p, ok := strings.CutPrefix(line, "Directory for ::"); ok {
			flush()
			dirs++
			if p == "/" {
				dir = root.Child("/")
			} else {
				dir = fatAt(root, p)
			}
			if dir == nil {
				t.Errorf("mdir lists %s, not found", p)
			}
			continue
		}
		m := mdirLine.FindStringSubmatch(line)
		if m == nil || dir == nil {
			continue
		}
		base, ext := strings.TrimRight(m[1], " "), strings.TrimRight(m[2], " ")
		if base == "." || base == ".." {
			continue
		}
		short := base
		if ext != "" {
			short += "." + ext
		}
		name := short
		if m[7] != "" {
			name = m[7]
		}
		order = append(order, name)
		n := dir.Child(name)
		if n == nil {
			t.Errorf("%s: mdir lists %q, not found", dir.Name, name)
			continue
		}
		if m[7] != "" && !strings.EqualFold(short, name) {
			if got := fatField(t, n, "short name"); !strings.EqualFold(got, short) {
				t.Errorf("%s: short name %q, mdir %q", name, got, short)
			}
		} else if v, ok := n.Field("short name"); ok {
			t.Errorf("%s: short name field %q where mdir shows none", name, v)
		}
		if m[3] == "<DIR>" {
			if n.Type != unpack.TypeDir {
				t.Errorf("%s: mdir says directory, ours %s", name, n.Type)
			}
		} else if got := fatField(t, n, "size"); got != m[3] {
			t.Errorf("%s: size %s, mdir %s", name, got, m[3])
		}
		// mdir shows minutes: compare date, hour and minute.
		w := fmt.Sprintf("%s %02s:%s", m[4], m[5], m[6])
		if got := fatField(t, n, "mtime"); !strings.HasPrefix(got, w) {
			t.Errorf("%s: mtime %s, mdir %s", name, got, w)
		}
	}
	flush()
	if dirs == 0 {
		t.Errorf("mdir output not understood:\n%s", out)
	}
	// Every entry of ours was listed by mdir (each directory's Order
	// matched, and every directory was listed).
	fatWalk(root, func(p string, n *unpack.Node) {
		if n.Type == unpack.TypeDir && !strings.Contains(out, "Directory for ::"+p+"\n") {
			t.Errorf("%s: not listed by mdir", p)
		}
	})
}

// compareMcopy checks the content, size and mtime of every file mcopy
// extracted; when mcopy succeeded, it must have extracted every file.
func compareMcopy(t *testing.T, root *unpack.Node, out string) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	lines = lines[:len(lines)-1]
	complete := last == "exit code 0"
	seen := map[string]bool{}
	for _, line := range lines {
		f := strings.SplitN(line, " ", 4)
		if len(f) != 4 {
			t.Fatalf("bad line %q", line)
		}
		sum, size, mtime, p := f[0], f[1], f[2], "/"+f[3]
		seen[p] = true
		n := fatAt(root, p)
		if n == nil || n.Data == nil {
			t.Errorf("%s: extracted by mcopy, not found", p)
			continue
		}
		if got := testutil.DataSHA256(t, n.Data); got != sum {
			t.Errorf("%s: sha256 %s, mcopy's %s", p, got, sum)
		}
		if n.Err == nil {
			if got := fatField(t, n, "size"); got != size {
				t.Errorf("%s: size %s, mcopy's %s", p, got, size)
			}
		}
		if mtime != "-" {
			sec, _ := strconv.ParseInt(mtime, 10, 64)
			w := time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05")
			if got := fatField(t, n, "mtime"); got != w {
				t.Errorf("%s: mtime %s, mcopy's (TZ=UTC) %s", p, got, w)
			}
		}
	}
	if complete {
		fatWalk(root, func(p string, n *unpack.Node) {
			if n.Type == unpack.TypeFile && !seen[p] {
				t.Errorf("%s: not extracted by mcopy", p)
			}
		})
	}
}

// bootSector is a valid FAT12 boot sector (4096 sectors of 512 bytes,
// 4 sectors per cluster, like a 2 MiB efi.img) to break field by field.
func bootSector() []byte {
	b := make([]byte, 512)
	copy(b, []byte{0xEB, 0x3C, 0x90})
	copy(b[3:], "mkfs.fat")
	binary.LittleEndian.PutUint16(b[11:], 512)
	b[13] = 4
	binary.LittleEndian.PutUint16(b[14:], 1)
	b[16] = 2
	binary.LittleEndian.PutUint16(b[17:], 512)
	binary.LittleEndian.PutUint16(b[19:], 4096)
	b[21] = 0xF8
	binary.LittleEndian.PutUint16(b[22:], 3)
	b[36], b[38] = 0x80, 0x29
	binary.LittleEndian.PutUint32(b[39:], 0x12345678)
	copy(b[43:], "EFIBOOT    FAT12   ")
	b[510], b[511] = 0x55, 0xAA
	return b
}

// volumeImage is a boot sector followed by a FAT starting with the media
// byte, padded to size bytes.
func volumeImage(boot []byte, size int) []byte {
	img := make([]byte, size)
	copy(img, boot)
	fatStart := int(binary.LittleEndian.Uint16(boot[14:])) * int(binary.LittleEndian.Uint16(boot[11:]))
	if fatStart > 0 && fatStart+3 <= size {
		copy(img[fatStart:], []byte{boot[21], 0xFF, 0xFF})
	}
	return img
}

func TestFATMatch(t *testing.T) {
	put16 := func(o int, v uint16) func(b []byte) {
		return func(b []byte) { binary.LittleEndian.PutUint16(b[o:], v) }
	}
	set := func(o int, v byte) func(b []byte) { return func(b []byte) { b[o] = v } }
	tests := []struct {
		name   string
		change func(b []byte)
		bits   int // 0: rejected
	}{
		{"valid", func([]byte) {}, 12},
		{"E9 jump", func(b []byte) { copy(b, []byte{0xE9, 0x00, 0x01}) }, 12},
		{"no signature", set(511, 0), 0},
		{"no jump", set(0, 0x33), 0},
		{"EB without 90", set(2, 0x00), 0},
		{"bytes per sector 256", put16(11, 256), 0},
		{"bytes per sector 8192", put16(11, 8192), 0},
		{"bytes per sector 4096", put16(11, 4096), 12},
		{"sectors per cluster 0", set(13, 0), 0},
		{"sectors per cluster 3", set(13, 3), 0},
		{"no reserved sector", put16(14, 0), 0},
		{"no FAT", set(16, 0), 0},
		{"3 FATs", set(16, 3), 0},
		{"1 FAT", set(16, 1), 12},
		{"media F7", set(21, 0xF7), 0},
		{"media F0", set(21, 0xF0), 12},
		{"no root entries with a FAT12 FAT size", put16(17, 0), 0},
		{"no FAT size", put16(22, 0), 0},
		{"no sectors", put16(19, 0), 0},
		{"no data area", put16(19, 39), 0},
		// The FAT type by cluster count, not by the "FAT12" string:
		// 4096 sectors at 1 sector per cluster are 4057 clusters (FAT12),
		// 8192 are 8153 (FAT16).
		{"4057 clusters", set(13, 1), 12},
		{"8153 clusters", func(b []byte) { b[13] = 1; binary.LittleEndian.PutUint16(b[19:], 8192); b[22] = 32 }, 16},
		{"FAT16 layout past 65524 clusters", func(b []byte) {
			b[13] = 1
			binary.LittleEndian.PutUint16(b[19:], 0)
			binary.LittleEndian.PutUint32(b[32:], 70000)
			binary.LittleEndian.PutUint16(b[22:], 256)
		}, 0},
		{"FAT32 layout", func(b []byte) {
			binary.LittleEndian.PutUint16(b[17:], 0)
			binary.LittleEndian.PutUint16(b[22:], 0)
			binary.LittleEndian.PutUint32(b[36:], 8)
			binary.LittleEndian.PutUint32(b[44:], 2)
			b[66] = 0x29
		}, 32},
		{"FAT32 layout without a FAT size", func(b []byte) {
			binary.LittleEndian.PutUint16(b[17:], 0)
			binary.LittleEndian.PutUint16(b[22:], 0)
			binary.LittleEndian.PutUint32(b[44:], 2)
		}, 0},
		{"FAT32 root cluster 1", func(b []byte) {
			binary.LittleEndian.PutUint16(b[17:], 0)
			binary.LittleEndian.PutUint16(b[22:], 0)
			binary.LittleEndian.PutUint32(b[36:], 8)
			binary.LittleEndian.PutUint32(b[44:], 1)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bootSector()
			tt.change(b)
			bs, err := parseFATBoot(b)
			img := volumeImage(b, 64<<10)
			matched := matchFAT(img[:unpack.HeadSize], bytes.NewReader(img), int64(len(img)))
			switch {
			case tt.bits == 0 && (err == nil || matched):
				t.Errorf("accepted (matched %v)", matched)
			case tt.bits != 0 && err != nil:
				t.Errorf("rejected: %v", err)
			case tt.bits != 0 && (!matched || bs.bits != tt.bits):
				t.Errorf("matched %v, FAT%d; want FAT%d", matched, bs.bits, tt.bits)
			}
			if err != nil {
				var fe *unpack.FormatError
				if !errors.As(err, &fe) || fe.Layer != layerName {
					t.Errorf("error %v is no FormatError of layer fat", err)
				}
			}
		})
	}

	// The FAT must start with the media byte.
	img := volumeImage(bootSector(), 64<<10)
	img[512] = 0xF0
	if matchFAT(img[:unpack.HeadSize], bytes.NewReader(img), int64(len(img))) {
		t.Errorf("matched with FAT[0] 0xF0 and media 0xF8")
	}
}

// TestFATMatchRejectsISO: an isohybrid ISO's MBR ends in 55 AA too, and is
// detected as an ISO (rank 10), but must not pass for FAT on its own.
func TestFATMatchRejectsISO(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(isoFixtureDir, "base-a.iso"))
	if err != nil {
		t.Skip(err)
	}
	if b[510] != 0x55 || b[511] != 0xAA {
		t.Fatalf("base-a.iso has no MBR signature; fixture changed?")
	}
	if matchFAT(b[:unpack.HeadSize], bytes.NewReader(b), int64(len(b))) {
		t.Errorf("isohybrid MBR matched as FAT")
	}
	if f, ok := unpack.Detect(bytes.NewReader(b), int64(len(b)), testFormats); !ok || f.Name != "iso9660" {
		t.Errorf("base-a.iso detected as %q", f.Name)
	}
	for _, img := range fatImages(t) {
		b, _ := os.ReadFile(img)
		if f, ok := unpack.Detect(bytes.NewReader(b), int64(len(b)), testFormats); !ok || f.Name != layerName {
			t.Errorf("%s detected as %q, %v", filepath.Base(img), f.Name, ok)
		}
	}
}

// isoFixtureDir is where fixtures/build.sh puts the ISO images.
const isoFixtureDir = "../../fixtures/iso"

func TestFATTimes(t *testing.T) {
	entry := func(cd, ct uint16, tenMS byte, ad, md, mt uint16) []byte {
		s := make([]byte, 32)
		s[13] = tenMS
		binary.LittleEndian.PutUint16(s[14:], ct)
		binary.LittleEndian.PutUint16(s[16:], cd)
		binary.LittleEndian.PutUint16(s[18:], ad)
		binary.LittleEndian.PutUint16(s[22:], mt)
		binary.LittleEndian.PutUint16(s[24:], md)
		return s
	}
	date := func(y, m, d int) uint16 { return uint16((y-1980)<<9 | m<<5 | d) }
	tm := func(h, m, s int) uint16 { return uint16(h<<11 | m<<5 | s/2) }
	tests := []struct {
		s                       []byte
		mtime, creation, access string
	}{
		{entry(date(2000, 1, 1), 0, 0, date(2000, 1, 1), date(2000, 1, 1), 0), "2000-01-01 00:00:00", "2000-01-01 00:00:00.00", "2000-01-01"},
		{entry(0, 0, 0, 0, 0, 0), "unset", "unset", "unset"},
		{entry(date(2001, 9, 9), tm(1, 46, 40), 199, date(2001, 9, 9), date(2001, 9, 9), tm(1, 46, 40)), "2001-09-09 01:46:40", "2001-09-09 01:46:41.99", "2001-09-09"},
		{entry(date(2107, 12, 31), tm(23, 59, 58), 100, date(2107, 12, 31), date(2107, 12, 31), tm(23, 59, 58)), "2107-12-31 23:59:58", "2107-12-31 23:59:59.00", "2107-12-31"},
		{entry(date(2000, 2, 29), tm(12, 0, 0), 5, date(2000, 2, 29), date(2000, 2, 29), tm(12, 0, 0)), "2000-02-29 12:00:00", "2000-02-29 12:00:00.05", "2000-02-29"},
		{entry(date(2001, 2, 29), tm(24, 0, 0), 200, date(2001, 13, 1), date(2001, 2, 29), tm(12, 60, 0)), "invalid (date 0x2a5d time 0x6780)", "invalid (date 0x2a5d time 0xc000 10ms 200)", "invalid (0x2ba1)"},
	}
	for _, tt := range tests {
		if got := dateTime(tt.s); got != tt.mtime {
			t.Errorf("mtime %q, want %q", got, tt.mtime)
		}
		if got := creationTime(tt.s); got != tt.creation {
			t.Errorf("creation time %q, want %q", got, tt.creation)
		}
		if got := fatDate(binary.LittleEndian.Uint16(tt.s[18:])); got != tt.access {
			t.Errorf("access date %q, want %q", got, tt.access)
		}
	}
	if got := fatAttributes(0x37); got != "RHS-DA (0x37)" {
		t.Errorf("attributes %q", got)
	}
	if got := fatAttributes(0xC8); got != "---V-- (0xc8)" {
		t.Errorf("attributes %q", got)
	}
}

// shortEntry is a 32-byte short directory entry.
func shortEntry(name11 string, attr byte, cluster uint32, size uint32) []byte {
	s := make([]byte, 32)
	copy(s, name11)
	s[11] = attr
	binary.LittleEndian.PutUint16(s[26:], uint16(cluster))
	binary.LittleEndian.PutUint16(s[20:], uint16(cluster>>16))
	binary.LittleEndian.PutUint32(s[28:], size)
	return s
}

// longEntries are the VFAT entries of name for the short name name11, in
// on-disk order (last part first).
func longEntries(name, name11 string) []byte {
	u := utf16.Encode([]rune(name))
	if len(u)%13 != 0 {
		u = append(u, 0)
	}
	for len(u)%13 != 0 {
		u = append(u, 0xFFFF)
	}
	n := len(u) / 13
	sum := lfnChecksum([]byte(name11))
	var out []byte
	for i := n; i >= 1; i-- {
		s := make([]byte, 32)
		s[0] = byte(i)
		if i == n {
			s[0] |= 0x40
		}
		s[11], s[13] = attrLongName, sum
		part := u[(i-1)*13 : i*13]
		k := 0
		for _, r := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
			for o := r[0]; o < r[1]; o += 2 {
				binary.LittleEndian.PutUint16(s[o:], part[k])
				k++
			}
		}
		out = append(out, s...)
	}
	return out
}

func TestFATDirectoryEntries(t *testing.T) {
	var dir []byte
	add := func(b ...[]byte) {
		for _, x := range b {
			dir = append(dir, x...)
		}
	}
	lower := shortEntry("GRUB    CFG", attrArchive, 5, 10)
	lower[12] = 0x18
	e5 := shortEntry("\x05BC     TXT", 0, 6, 1)
	orphan := longEntries("left over", "OTHER   TXT")
	add(shortEntry("EFIBOOT    ", attrVolumeID, 0, 0),
		longEntries("A long name of exactly 26!", "ALONGN~1   "), shortEntry("ALONGN~1   ", attrArchive, 3, 1),
		longEntries("readme.TXT", "README  TXT"), shortEntry("README  TXT", attrArchive, 4, 1),
		lower,
		shortEntry("\xe5ELETED TXT", attrArchive, 0, 0),
		e5,
		orphan, shortEntry("PLAIN      ", attrDir, 7, 0),
		// A long name whose second part is missing.
		longEntries("thirteen char+more", "THIRTE~1   ")[:32], shortEntry("THIRTE~1   ", 0, 8, 1),
	)
	dir = append(dir, make([]byte, 64)...)
	dir[len(dir)-10] = 1 // a stray byte after the end mark
	d := parseFATDir(dir, func(i int64) int64 { return 1000 + i })

	if d.label == nil || string(d.label.raw[:11]) != "EFIBOOT    " {
		t.Errorf("label %v", d.label)
	}
	if len(d.deleted) != 1 || d.deleted[0] != "?ELETED.TXT" {
		t.Errorf("deleted %q", d.deleted)
	}
	if d.unused != 1 {
		t.Errorf("unused %d", d.unused)
	}
	type want struct{ long, stored, shown, ignored string }
	wants := []want{
		{"A long name of exactly 26!", "ALONGN~1", "ALONGN~1", ""},
		{"readme.TXT", "README.TXT", "README.TXT", ""},
		{"", "GRUB.CFG", "grub.cfg", ""},
		{"", "\u00d5BC.TXT", "\u00d5BC.TXT", ""},
		{"", "PLAIN", "PLAIN", "left over"},
		{"", "THIRTE~1", "THIRTE~1", "+more"},
	}
	if len(d.entries) != len(wants) {
		t.Fatalf("%d entries, want %d", len(d.entries), len(wants))
	}
	for i, w := range wants {
		e := d.entries[i]
		stored, shown := shortName(e.raw)
		if e.long != w.long || stored != w.stored || shown != w.shown || e.ignored != w.ignored {
			t.Errorf("entry %d: long %q stored %q shown %q ignored %q; want %+v", i, e.long, stored, shown, e.ignored, w)
		}
	}
	if d.entries[0].off != 1000+32+2*32 {
		t.Errorf("entry offset %d", d.entries[0].off)
	}
	// Checksum of "NIXOS-~1   " as mtools wrote it (fixtures/fat/nixos-a.img).
	if got := lfnChecksum([]byte("NIXOS-~1   ")); got != 0xA7 {
		t.Errorf("checksum 0x%02x", got)
	}
}

// diffs lists how two volumes differ, as "path: what" lines: fields of
// the root and of every entry, content, directory order, entries on one
// side only, and the unclaimed bytes.
func diffs(t *testing.T, a, b *unpack.Node) []string {
	type entry struct {
		fields map[string]string
		sum    string
		order  string
	}
	flat := func(root *unpack.Node) map[string]entry {
		m := map[string]entry{}
		add := func(p string, n *unpack.Node) {
			e := entry{fields: map[string]string{}, order: strings.Join(n.Order(), "|")}
			for _, f := range n.Fields() {
				e.fields[f.Name] = f.Value
			}
			if n.Data != nil {
				e.sum = testutil.DataSHA256(t, n.Data)
			}
			m[p] = e
		}
		add("root", root)
		for _, c := range root.Children {
			if c.Name != "/" {
				add(c.Name, c)
			}
		}
		add("/", root.Child("/"))
		fatWalk(root, add)
		return m
	}
	fa, fb := flat(a), flat(b)
	var out []string
	for p, ea := range fa {
		eb, ok := fb[p]
		if !ok {
			out = append(out, p+": only in A")
			continue
		}
		for k, v := range ea.fields {
			if eb.fields[k] != v {
				out = append(out, p+": "+k)
			}
		}
		for k := range eb.fields {
			if _, ok := ea.fields[k]; !ok {
				out = append(out, p+": "+k)
			}
		}
		if ea.sum != eb.sum {
			out = append(out, p+": content")
		}
		if ea.order != eb.order {
			out = append(out, p+": order")
		}
	}
	for p := range fb {
		if _, ok := fa[p]; !ok {
			out = append(out, p+": only in B")
		}
	}
	slices.Sort(out)
	return out
}

// TestFATVariants: each variant of the NixOS-like image differs from the
// base in what it was made to change, and the reader shows exactly that.
func TestFATVariants(t *testing.T) {
	fatImages(t)
	base, _ := openFATFile(t, filepath.Join(fixtureDir, "nixos-a.img"))
	want := map[string][]string{
		"nixos-serial.img":  {"root: volume id"},
		"nixos-grubcfg.img": {"/EFI/BOOT/grub.cfg: content", "/EFI/BOOT/grub.cfg: size"},
		// Same files, same content: only the order and, with it, where
		// each file lies.
		"nixos-order.img": {
			"/EFI/BOOT/BOOTX64.EFI: first cluster", "/EFI/BOOT/grub.cfg: first cluster",
			"/EFI/BOOT/Ünïcödé long file name.txt: first cluster", "/EFI/BOOT: order",
		},
		// Each directory's entry in its parent, its own "." entry and the
		// ".." entries that copy its parent's dates.
		"nixos-dirdates.img": {
			"/EFI/BOOT: . entry times", "/EFI/BOOT: .. entry times", "/EFI/BOOT: access date", "/EFI/BOOT: creation time", "/EFI/BOOT: mtime",
			"/EFI: . entry times", "/EFI: .. entry times", "/EFI: access date", "/EFI: creation time", "/EFI: mtime",
		},
	}
	for _, name := range []string{"nixos-serial.img", "nixos-grubcfg.img", "nixos-order.img", "nixos-dirdates.img"} {
		t.Run(name, func(t *testing.T) {
			v, _ := openFATFile(t, filepath.Join(fixtureDir, name))
			got := diffs(t, base, v)
			if w := want[name]; !slices.Equal(got, w) {
				t.Errorf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(w, "\n"))
			}
		})
	}
}

// setFAT12 sets FAT[c] = v in every FAT copy of a FAT12 image.
func setFAT12(t *testing.T, img []byte, c, v uint32) int64 {
	bs, err := parseFATBoot(img)
	if err != nil || bs.bits != 12 {
		t.Fatalf("not FAT12: %v", err)
	}
	for k := int64(0); k < bs.nFATs; k++ {
		o := bs.fatStart + k*bs.fatSectors*bs.bps + int64(c)*3/2
		if c%2 == 0 {
			img[o] = byte(v)
			img[o+1] = img[o+1]&0xF0 | byte(v>>8)
		} else {
			img[o] = img[o]&0x0F | byte(v<<4)
			img[o+1] = byte(v >> 4)
		}
	}
	return bs.fatStart + int64(c)*3/2
}

// errAt checks that n has a FormatError at off whose message contains msg.
func errAt(t *testing.T, n *unpack.Node, off int64, msg string) {
	t.Helper()
	if n == nil {
		t.Fatalf("node not found")
	}
	var fe *unpack.FormatError
	if !errors.As(n.Err, &fe) {
		t.Fatalf("%s: Err %v, want a FormatError", n.Name, n.Err)
	}
	if fe.Offset != off || !strings.Contains(fe.Msg, msg) {
		t.Errorf("%s: %v; want at byte %d: ...%s...", n.Name, fe, off, msg)
	}
}

// TestFATBrokenChains: a chain that loops or leaves the volume makes that
// file's Err, with the byte offset of the FAT entry at fault, without
// hanging; the rest of the volume is read.
func TestFATBrokenChains(t *testing.T) {
	fatImages(t)
	t.Run("loop.img", func(t *testing.T) {
		root, _ := openFATFile(t, filepath.Join(fixtureDir, "loop.img"))
		// LOOP.BIN is clusters 2-5; build-fat.sh set FAT[4] to 3. FAT[4]
		// is at byte 512 + 4*3/2.
		n := fatAt(root, "/LOOP.BIN")
		errAt(t, n, 518, "loops: FAT entry of cluster 4 points back to cluster 3")
		if n.Data == nil || n.Data.Size() != 3*512 {
			t.Errorf("LOOP.BIN content: %v", n.Data)
		}
		ok := fatAt(root, "/OK.TXT")
		if ok == nil || ok.Err != nil || testutil.DataSHA256(t, ok.Data) != fmt.Sprintf("%x", sha256.Sum256([]byte("intact\n"))) {
			t.Errorf("OK.TXT not read: %+v", ok)
		}
	})
	t.Run("pastend.img", func(t *testing.T) {
		root, _ := openFATFile(t, filepath.Join(fixtureDir, "pastend.img"))
		// PAST.BIN is clusters 3-6; FAT[4] was set to 0xF00.
		n := fatAt(root, "/PAST.BIN")
		errAt(t, n, 518, "FAT entry of cluster 4 points to cluster 3840, past the last cluster 94")
		if n.Data == nil || n.Data.Size() != 2*512 {
			t.Errorf("PAST.BIN content: %v", n.Data)
		}
		if ok := fatAt(root, "/OK.TXT"); ok == nil || ok.Err != nil {
			t.Errorf("OK.TXT not read: %+v", ok)
		}
	})

	orig, err := os.ReadFile(filepath.Join(fixtureDir, "nixos-a.img"))
	if err != nil {
		t.Skip(err)
	}
	bs, _ := parseFATBoot(orig)
	// In nixos-a.img, EFI is cluster 2, EFI/BOOT cluster 3, BOOTX64.EFI
	// clusters 4-225, grub.cfg 226.
	bootDir := bs.dataStart + bs.clusterSize
	entryOf := func(img []byte, name11 string) int64 {
		i := bytes.Index(img[bootDir:bootDir+bs.clusterSize], []byte(name11))
		if i < 0 {
			t.Fatalf("%s not in EFI/BOOT", name11)
		}
		return bootDir + int64(i)
	}
	tests := []struct {
		name  string
		patch func(img []byte) int64 // returns the offset the Err must name
		path  string
		msg   string
		size  int64 // content size read, -1: not checked
	}{
		{"directory loops on itself", func(img []byte) int64 { return setFAT12(t, img, 2, 2) },
			"/EFI", "loops: FAT entry of cluster 2 points back to cluster 2", -1},
		{"directory runs into another", func(img []byte) int64 { return setFAT12(t, img, 3, 2) },
			"/EFI/BOOT", "cluster 2 is also in the chain of /EFI", -1},
		{"free cluster in a chain", func(img []byte) int64 { return setFAT12(t, img, 100, 0) },
			"/EFI/BOOT/BOOTX64.EFI", "FAT entry of cluster 100 is free", 97 * 2048},
		{"bad cluster in a chain", func(img []byte) int64 { return setFAT12(t, img, 100, 0xFF7) },
			"/EFI/BOOT/BOOTX64.EFI", "marks it bad", 97 * 2048},
		{"chain ends early", func(img []byte) int64 { return setFAT12(t, img, 100, 0xFFF) },
			"/EFI/BOOT/BOOTX64.EFI", "ends after 97 clusters, the size needs 222", 97 * 2048},
		{"chain loops back far", func(img []byte) int64 { return setFAT12(t, img, 225, 4) },
			"/EFI/BOOT/BOOTX64.EFI", "", 454656},
		{"two files share a cluster", func(img []byte) int64 {
			o := entryOf(img, "GRUB    CFG")
			binary.LittleEndian.PutUint16(img[o+26:], 4)
			return o
		}, "/EFI/BOOT/grub.cfg", "cluster 4 is also in the chain of /EFI/BOOT/BOOTX64.EFI", 0},
		{"first cluster past the end", func(img []byte) int64 {
			o := entryOf(img, "GRUB    CFG")
			binary.LittleEndian.PutUint16(img[o+26:], 4000)
			return o
		}, "/EFI/BOOT/grub.cfg", "first cluster 4000 is no data cluster (2 to 1015)", 0},
		{"file without a first cluster", func(img []byte) int64 {
			o := entryOf(img, "GRUB    CFG")
			binary.LittleEndian.PutUint16(img[o+26:], 0)
			return o
		}, "/EFI/BOOT/grub.cfg", "without a first cluster", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := bytes.Clone(orig)
			off := tt.patch(img)
			root := openFATTimeout(t, bytes.NewReader(img), int64(len(img)))
			n := fatAt(root, tt.path)
			if tt.msg == "" {
				// FAT[225] (the last) pointing back to 4 is no error:
				// the size says where the file ends, and the chain
				// going on is shown.
				if n.Err != nil {
					t.Errorf("Err %v", n.Err)
				}
				if v, _ := n.Field("cluster chain"); !strings.Contains(v, fmt.Sprintf("byte %d", off)) {
					t.Errorf("cluster chain field %q", v)
				}
			} else {
				errAt(t, n, off, tt.msg)
			}
			if tt.size >= 0 && (n.Data == nil || n.Data.Size() != tt.size) {
				t.Errorf("content of %d bytes, want %d", n.Data.Size(), tt.size)
			}
			// Everything else is still read.
			var others int
			fatWalk(root, func(p string, c *unpack.Node) {
				if c.Err == nil {
					others++
				}
			})
			if others < 3 {
				t.Errorf("only %d entries read without error", others)
			}
		})
	}

	// A truncated image: what lies in it is read, the rest is marked.
	img := orig[:100<<10]
	root := openFATTimeout(t, bytes.NewReader(img), int64(len(img)))
	if root.Err == nil || !strings.Contains(root.Err.Error(), "image ends") {
		t.Errorf("root Err %v", root.Err)
	}
	if n := fatAt(root, "/EFI/BOOT/BOOTX64.EFI"); n == nil || n.Err == nil {
		t.Errorf("BOOTX64.EFI past the end not marked: %+v", n)
	}
}

// TestFATInISO reads /boot/efi.img of an ISO fixture in place, through the
// ISO reader's Data for it, and checks it against mtools and go-diskfs
// (which reads it at its offset in the ISO).
func TestFATInISO(t *testing.T) {
	isoPath := filepath.Join(isoFixtureDir, "base-a.iso")
	f, err := os.Open(isoPath)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	iso, err := iso9660.Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	efi := iso.Child("/").Child("boot").Child("efi.img")
	if efi == nil || efi.Data == nil {
		t.Fatalf("no /boot/efi.img in %s", isoPath)
	}
	format, ok := unpack.Detect(efi.Data, efi.Data.Size(), testFormats)
	if !ok || format.Name != layerName {
		t.Fatalf("/boot/efi.img detected as %q", format.Name)
	}
	root := openFATTimeout(t, efi.Data, efi.Data.Size())
	if errs := fatErrs(root); len(errs) > 0 {
		t.Errorf("errors: %s", strings.Join(errs, "\n"))
	}
	if v := fatField(t, root, "volume id"); v != "0x12345678" {
		t.Errorf("volume id %s", v)
	}
	for _, p := range []string{"/EFI/BOOT/BOOTX64.EFI", "/EFI/BOOT/grub.cfg"} {
		if n := fatAt(root, p); n == nil || n.Data == nil || n.Data.Size() == 0 {
			t.Errorf("%s missing", p)
		}
	}

	// The same image as a file of its own, for the tools.
	b := make([]byte, efi.Data.Size())
	if _, err := efi.Data.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "efi.img")
	if err := os.WriteFile(img, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, ok := fatTool(t, filepath.Dir(img), "mdir", "-/", "-a", "-i", "efi.img", "::"); ok {
		compareMdir(t, root, out)
	}
	if out, ok := fatTool(t, filepath.Dir(img), "minfo", "-i", "efi.img", "::"); ok {
		compareMinfo(t, root, out)
	}
	if out, ok := mcopyListing(t, img); ok {
		compareMcopy(t, root, out)
	}
	// go-diskfs on the ISO itself, at the extent of efi.img.
	compareDiskfsFAT(t, root, &diskfsStorage{r: f, size: st.Size()}, efi.Offset, efi.Data.Size())
}

// compareDiskfsFAT checks names (long names included), on-disk order,
// sizes, mtimes and contents against go-diskfs reading the volume at
// start in s.
func compareDiskfsFAT(t *testing.T, root *unpack.Node, s *diskfsStorage, start, size int64) {
	t.Helper()
	var fsys interface {
		ReadDir(string) ([]fs.DirEntry, error)
		ReadFile(string) ([]byte, error)
	}
	var err error
	switch fatField(t, root, "FAT type") {
	case "FAT12":
		fsys, err = fat12.Read(s, size, start, 0)
		// Each variant rejects the other by cluster count.
		if _, err16 := fat16.Read(s, size, start, 0); err16 == nil || !strings.Contains(err16.Error(), "cluster count") {
			t.Errorf("fat16.Read of a FAT12 volume: %v", err16)
		}
	case "FAT16":
		fsys, err = fat16.Read(s, size, start, 0)
		if _, err12 := fat12.Read(s, size, start, 0); err12 == nil || !strings.Contains(err12.Error(), "cluster count") {
			t.Errorf("fat12.Read of a FAT16 volume: %v", err12)
		}
	default:
		fsys, err = fat32.Read(s, size, start, 0)
	}
	if err != nil {
		t.Fatalf("go-diskfs: %v", err)
	}
	// go-diskfs wants "." for the root; "/" is an invalid fs.FS path.
	if _, err := fsys.ReadDir("/"); err == nil {
		t.Errorf(`go-diskfs ReadDir("/") worked; the "." workaround may be obsolete`)
	}
	var walk func(dir *unpack.Node, p string)
	walk = func(dir *unpack.Node, p string) {
		ents, err := fsys.ReadDir(p)
		if err != nil {
			t.Errorf("go-diskfs ReadDir(%q): %v", p, err)
			return
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, dir.Order()) {
			t.Errorf("%s: go-diskfs lists %q, ours %q", p, names, dir.Order())
		}
		for _, e := range ents {
			n := dir.Child(e.Name())
			if n == nil {
				continue
			}
			cp := path.Join(p, e.Name())
			fi, err := e.Info()
			if err != nil {
				t.Errorf("%s: %v", cp, err)
				continue
			}
			if got, w := fatField(t, n, "mtime"), fi.ModTime().Format("2006-01-02 15:04:05"); got != w {
				t.Errorf("%s: mtime %s, go-diskfs %s", cp, got, w)
			}
			if e.IsDir() {
				walk(n, cp)
				continue
			}
			if got := fatField(t, n, "size"); got != strconv.FormatInt(fi.Size(), 10) {
				t.Errorf("%s: size %s, go-diskfs %d", cp, got, fi.Size())
			}
			if fi.Size() == 0 {
				// go-diskfs v1.9.4 cannot open an empty file (first
				// cluster 0): "invalid start cluster: 0".
				continue
			}
			b, err := fsys.ReadFile(cp)
			if err != nil {
				t.Errorf("go-diskfs ReadFile(%q): %v", cp, err)
				continue
			}
			// go-diskfs v1.9.4 reads to the end of the last cluster
			// (three-clusters.bin: 1536 bytes for 1500): compare the size.
			if int64(len(b)) > fi.Size() {
				b = b[:fi.Size()]
			}
			if got, w := testutil.DataSHA256(t, n.Data), fmt.Sprintf("%x", sha256.Sum256(b)); got != w {
				t.Errorf("%s: content differs from go-diskfs'", cp)
			}
		}
	}
	walk(root.Child("/"), ".")
}

// TestFATAgainstDiskfs checks every sound fixture against go-diskfs. (The
// broken ones are left out: on loop.img go-diskfs appends to a cluster list
// until memory runs out.)
func TestFATAgainstDiskfs(t *testing.T) {
	for _, img := range fatImages(t) {
		name := filepath.Base(img)
		if brokenImages[name] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			root, b := openFATFile(t, img)
			compareDiskfsFAT(t, root, &diskfsStorage{r: bytes.NewReader(b), size: int64(len(b))}, 0, int64(len(b)))
		})
	}
}

// maxFATFuzzInput caps fuzz inputs: the boot sector, FATs, root directory
// and first clusters of every fixture fit.
const maxFATFuzzInput = 128 << 10

// FuzzFAT feeds whole volumes (the fixtures cut to maxFATFuzzInput, which
// keeps their boot sectors, FATs and directories) to Match and Open, and
// reads every content it hands out: no panic, no hang, no read outside.
func FuzzFAT(f *testing.F) {
	imgs, _ := filepath.Glob(filepath.Join(fixtureDir, "*.img"))
	for _, img := range imgs {
		b, err := os.ReadFile(img)
		if err != nil {
			continue
		}
		f.Add(b[:min(len(b), maxFATFuzzInput)])
	}
	f.Add(volumeImage(bootSector(), 32<<10))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFATFuzzInput {
			return
		}
		r := bytes.NewReader(data)
		matched := matchFAT(data[:min(len(data), unpack.HeadSize)], r, int64(len(data)))
		root, err := Open(r, int64(len(data)), nil)
		if err != nil {
			var fe *unpack.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is no FormatError", err)
			}
			if matched {
				t.Fatalf("matched, yet Open fails: %v", err)
			}
			return
		}
		var check func(n *unpack.Node)
		check = func(n *unpack.Node) {
			names := map[string]bool{}
			for _, c := range n.Children {
				if names[c.Name] {
					t.Fatalf("two children named %q", c.Name)
				}
				names[c.Name] = true
				check(c)
			}
			if n.Order() != nil && len(n.Order()) != len(n.Children) {
				t.Fatalf("%s: %d in Order, %d children", n.Name, len(n.Order()), len(n.Children))
			}
			if n.Data != nil {
				if n.Data.Size() > int64(len(data)) {
					t.Fatalf("%s: content of %d bytes from %d bytes of input", n.Name, n.Data.Size(), len(data))
				}
				if _, err := io.Copy(io.Discard, io.NewSectionReader(n.Data, 0, n.Data.Size())); err != nil && n.Err == nil {
					t.Fatalf("%s: reading content: %v", n.Name, err)
				}
			}
		}
		check(root)

		// The directory parser on its own.
		d := parseFATDir(data, func(i int64) int64 { return i })
		for _, e := range d.entries {
			shortName(e.raw)
		}
	})
}

// BenchmarkOpenFAT opens the NixOS-like image and reads every file.
func BenchmarkOpenFAT(b *testing.B) {
	img, err := os.ReadFile(filepath.Join(fixtureDir, "nixos-a.img"))
	if err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		root, err := Open(bytes.NewReader(img), int64(len(img)), nil)
		if err != nil {
			b.Fatal(err)
		}
		fatWalk(root, func(_ string, n *unpack.Node) {
			if n.Data != nil {
				io.Copy(io.Discard, io.NewSectionReader(n.Data, 0, n.Data.Size()))
			}
		})
	}
}
