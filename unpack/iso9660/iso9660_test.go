package iso9660

import (
	"bytes"
	"errors"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/show"
	"os"
	"reflect"
	"strings"
	"testing"
)

// Layout of the hand-built Rock Ridge image.
const (
	tRootLBA   = 21
	tCELBA     = 23
	tDirLBA    = 24
	tMovedLBA  = 25
	tDeepLBA   = 26
	tDataLBA   = 30
	tBigLBA1   = 40
	tBigLBA2   = 42
	tImgBlocks = 48
)

// buildRockRidgeImage makes an image exercising SUSP and Rock Ridge: SP and
// ER (in a CE area) on the root, an NM name continued in a CE area, a
// symlink whose SL records straddle the record and a CE area with a
// component continued across them, TF in long and short form, a
// multi-extent file, a device, a fifo, a setuid file, a hard link, an
// unknown SUSP entry, ZF, and a relocated directory (CL, RE, PL).
func buildRockRidgeImage() []byte {
	b := newISOBuilder(tImgBlocks)
	dirFlag := byte(flagDir)

	// CE areas, all in block tCELBA.
	er := erE("RRIP_1991A", "THE ROCK RIDGE INTERCHANGE PROTOCOL", "SEE PUBLISHER")
	b.put(tCELBA*isoSectorSize, er)
	nmRest := nmE(0, "second-part")
	b.put(tCELBA*isoSectorSize+256, nmRest)
	slRest := slE(0, slComp(0, "b"), slComp(0x04, ""), slComp(0, "x"))
	b.put(tCELBA*isoSectorSize+512, slRest)

	short := func(min int) []byte { return isoDate(2000, 1, 2, 3, min, 5, 0) }
	rootSU := cat(spE(0), pxE(0o40755, 3, 0, 0), tfE(0x0e, short(1), short(2), short(3)), ceE(tCELBA, 0, uint32(len(er))))
	root := []byte{}
	_ = root
	fileSU := func(name string, mode uint32, extra ...[]byte) []byte {
		return cat(append([][]byte{pxE(mode, 1, 1000, 100), nmE(0, name)}, extra...)...)
	}

	b.dir(tRootLBA,
		dirRec([]byte{0}, tRootLBA, 2*isoSectorSize, dirFlag, rootSU),
		dirRec([]byte{1}, tRootLBA, 2*isoSectorSize, dirFlag, pxE(0o40755, 3, 0, 0)),
		dirRec([]byte("A.;1"), tDataLBA, 5, 0, cat(pxE(0o100644, 2, 1000, 100), nmE(1, "first-part-"),
			tfE(0x86, longDate("2001090901464000", 0), longDate("1980010100000000", 4)),
			ceE(tCELBA, 256, uint32(len(nmRest))))),
		dirRec([]byte("B.;1"), 0, 0, 0, cat(pxE(0o120777, 1, 0, 0), nmE(0, "sym"),
			slE(1, slComp(0x08, ""), slComp(0, "usr"), slComp(1, "li")),
			ceE(tCELBA, 512, uint32(len(slRest))))),
		dirRec([]byte("BIG.;1"), tBigLBA1, 3000, flagMultiExtent, fileSU("big", 0o100600)),
		dirRec([]byte("BIG.;1"), tBigLBA2, 1000, 0, nil),
		dirRec([]byte("C.;1"), 0, 0, 0, fileSU("c", 0o20644, suspE("PN", cat(le32be32(0), le32be32(1<<8|3))...))),
		dirRec([]byte("DEEP"), 0, 0, 0, fileSU("deep", 0o40755, suspE("CL", le32be32(tDeepLBA)...))),
		dirRec([]byte("DIR"), tDirLBA, isoSectorSize, dirFlag, fileSU("dir", 0o40700, tfE(0x01, short(9)))),
		dirRec([]byte("E.;1"), 0, 0, 0, fileSU("fifo", 0o10644)),
		dirRec([]byte("H.;1"), tDataLBA, 5, 0, fileSU("h", 0o100644)),
		dirRec([]byte("RR_MOVED"), tMovedLBA, isoSectorSize, dirFlag, fileSU("rr_moved", 0o40755)),
		dirRec([]byte("S.;1"), tDataLBA+1, 3, flagHidden, fileSU("s", 0o104755)),
	)
	b.dir(tDirLBA,
		dirRec([]byte{0}, tDirLBA, isoSectorSize, dirFlag, nil),
		dirRec([]byte{1}, tRootLBA, 2*isoSectorSize, dirFlag, nil),
		dirRec([]byte("F.;1"), tDataLBA+2, 4, 0, fileSU(".hidden.", 0o100444,
			suspE("XY", 1, 2, 3),
			suspE("ZF", cat([]byte("pz"), []byte{4, 15}, le32be32(123456))...))),
	)
	b.dir(tMovedLBA,
		dirRec([]byte{0}, tMovedLBA, isoSectorSize, dirFlag, nil),
		dirRec([]byte{1}, tRootLBA, 2*isoSectorSize, dirFlag, nil),
		dirRec([]byte("DEEP"), tDeepLBA, isoSectorSize, dirFlag, fileSU("deep", 0o40755, suspE("RE"))),
	)
	b.dir(tDeepLBA,
		dirRec([]byte{0}, tDeepLBA, isoSectorSize, dirFlag, nil),
		dirRec([]byte{1}, tMovedLBA, isoSectorSize, dirFlag, suspE("PL", le32be32(tRootLBA)...)),
		dirRec([]byte("LEAF.;1"), tDataLBA+3, 2, 0, fileSU("leaf", 0o100644)),
	)
	b.put(tDataLBA*isoSectorSize, []byte("hello"))
	b.put((tDataLBA+1)*isoSectorSize, []byte("s!\n"))
	b.put((tDataLBA+2)*isoSectorSize, []byte("dot\n"))
	b.put((tDataLBA+3)*isoSectorSize, []byte("l\n"))
	b.put(tBigLBA1*isoSectorSize, bytes.Repeat([]byte("A"), 3000))
	b.put(tBigLBA2*isoSectorSize, bytes.Repeat([]byte("B"), 1000))

	pt := []ptRec{{[]byte{0}, tRootLBA, 1}, {[]byte("DIR"), tDirLBA, 1}, {[]byte("RR_MOVED"), tMovedLBA, 1}, {[]byte("DEEP"), tDeepLBA, 3}}
	l, m := pathTableBytes(false, pt...), pathTableBytes(true, pt...)
	b.put(19*isoSectorSize, l)
	b.put(20*isoSectorSize, m)
	b.vd(16, vdPrimary, dirRec([]byte{0}, tRootLBA, 2*isoSectorSize, dirFlag, nil), tImgBlocks, "", uint32(len(l)), 19, 20)
	b.terminator(17)
	return b.img
}

// openTestTrees runs both stages over an image held in memory.
func openTestTrees(t *testing.T, img []byte) (vds *unpack.Node, vi *volumeInfo, files, joliet, pt *unpack.Node, byExtent map[int64]extentFile, claims *layout.Claims) {
	t.Helper()
	claims = &layout.Claims{}
	r := bytes.NewReader(img)
	vds, vi, err := readVolumeDescriptors(r, int64(len(img)), claims)
	if err != nil {
		t.Fatalf("readVolumeDescriptors: %v", err)
	}
	files, joliet, pt, byExtent, err = readTrees(r, int64(len(img)), vi, claims)
	if err != nil {
		t.Fatalf("readTrees: %v", err)
	}
	return
}

// nodeAt finds a node by path below root.
func nodeAt(root *unpack.Node, path string) *unpack.Node {
	n := root
	for _, el := range strings.Split(strings.Trim(path, "/"), "/") {
		if el == "" {
			continue
		}
		if n = n.Child(el); n == nil {
			return nil
		}
	}
	return n
}

func fieldMap(n *unpack.Node) map[string]string {
	m := map[string]string{}
	for _, f := range n.Fields() {
		m[f.Name] = f.Value
	}
	return m
}

func fieldNames(n *unpack.Node) []string {
	var s []string
	for _, f := range n.Fields() {
		s = append(s, f.Name)
	}
	return s
}

func readAllData(t *testing.T, d unpack.Data) string {
	t.Helper()
	b := make([]byte, d.Size())
	if _, err := d.ReadAt(b, 0); err != nil && err != io.EOF {
		t.Fatalf("ReadAt: %v", err)
	}
	return string(b)
}

// checkNoErrs fails on any Node with an Err below n.
func checkNoErrs(t *testing.T, n *unpack.Node, path string) {
	t.Helper()
	if n.Err != nil {
		t.Errorf("%s: unexpected Err: %v", path, n.Err)
	}
	for _, c := range n.Children {
		checkNoErrs(t, c, show.JoinPath(path, c.Name))
	}
}

func TestRockRidgeHandBuilt(t *testing.T) {
	img := buildRockRidgeImage()
	_, _, files, joliet, pt, byExtent, claims := openTestTrees(t, img)
	checkNoErrs(t, files, "/")
	checkNoErrs(t, pt, "[path tables]")
	if joliet != nil {
		t.Errorf("joliet tree without a Joliet descriptor")
	}

	var names []string
	for _, c := range files.Children {
		names = append(names, c.Name)
	}
	wantNames := []string{"big", "c", "deep", "dir", "fifo", "first-part-second-part", "h", "rr_moved", "s", "sym"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("root children %q, want %q", names, wantNames)
	}
	wantOrder := []string{"first-part-second-part", "sym", "big", "c", "deep", "dir", "fifo", "h", "rr_moved", "s"}
	if !reflect.DeepEqual(files.Order(), wantOrder) {
		t.Errorf("root order %q, want %q", files.Order(), wantOrder)
	}

	tests := []struct {
		path   string
		typ    unpack.Type
		fields map[string]string
		order  []string // expected field names in order, if given
		data   string   // expected content, if a file
	}{
		{"/", unpack.TypeDir, map[string]string{
			"mode": "drwxr-xr-x (00755)", "nlink": "3", "size": "4096", "lba": "21",
			"mtime": "2000-01-02T03:01:05Z", "atime": "2000-01-02T03:02:05Z", "ctime": "2000-01-02T03:03:05Z",
			"ER": "RRIP_1991A version 1: THE ROCK RIDGE INTERCHANGE PROTOCOL; SEE PUBLISHER",
		}, nil, ""},
		{"/first-part-second-part", unpack.TypeFile, map[string]string{
			"mode": "-rw-r--r-- (00644)", "uid": "1000", "gid": "100", "nlink": "2", "size": "5",
			"mtime": "2001-09-09T01:46:40Z", "atime": "1980-01-01T00:00:00+01:00",
			"record time": "2000-01-02T03:04:05Z", "lba": "30", "iso name": "A.;1",
		}, []string{"mode", "uid", "gid", "nlink", "size", "mtime", "atime", "record time", "lba", "iso name"}, "hello"},
		{"/sym", unpack.TypeSymlink, map[string]string{"link target": "/usr/lib/../x", "mode": "lrwxrwxrwx (00777)"}, nil, ""},
		{"/big", unpack.TypeFile, map[string]string{"size": "4000", "extents": "40+3000, 42+1000", "lba": "40", "mode": "-rw------- (00600)"},
			[]string{"mode", "uid", "gid", "nlink", "size", "record time", "lba", "extents", "iso name"},
			strings.Repeat("A", 3000) + strings.Repeat("B", 1000)},
		{"/c", unpack.TypeCharDevice, map[string]string{"rdev": "1,3", "mode": "crw-r--r-- (00644)"}, nil, ""},
		{"/fifo", unpack.TypeFifo, map[string]string{"mode": "prw-r--r-- (00644)"}, nil, ""},
		{"/s", unpack.TypeFile, map[string]string{"mode": "-rwsr-xr-x (04755)", "file flags": "hidden"}, nil, "s!\n"},
		{"/h", unpack.TypeFile, map[string]string{"hard link of": "/first-part-second-part"}, nil, "hello"},
		{"/dir", unpack.TypeDir, map[string]string{"mode": "drwx------ (00700)", "creation time": "2000-01-02T03:09:05Z", "lba": "24"}, nil, ""},
		{"/dir/.hidden.", unpack.TypeFile, map[string]string{
			"SUSP XY": "v1 010203",
			"zisofs":  "algorithm pz, header size 16, block size 32768, uncompressed size 123456",
		}, nil, "dot\n"},
		{"/deep", unpack.TypeDir, map[string]string{"lba": "26", "iso name": "DEEP"}, nil, ""},
		{"/deep/leaf", unpack.TypeFile, map[string]string{"size": "2"}, nil, "l\n"},
		{"/rr_moved", unpack.TypeDir, nil, nil, ""},
	}
	for _, tt := range tests {
		n := nodeAt(files, tt.path)
		if n == nil {
			t.Errorf("%s: missing", tt.path)
			continue
		}
		if n.Type != tt.typ {
			t.Errorf("%s: type %v, want %v", tt.path, n.Type, tt.typ)
		}
		got := fieldMap(n)
		for k, v := range tt.fields {
			if got[k] != v {
				t.Errorf("%s: field %q = %q, want %q", tt.path, k, got[k], v)
			}
		}
		if tt.order != nil && !reflect.DeepEqual(fieldNames(n), tt.order) {
			t.Errorf("%s: fields %q, want %q", tt.path, fieldNames(n), tt.order)
		}
		if tt.data != "" {
			if n.Data == nil {
				t.Errorf("%s: no Data", tt.path)
			} else if got := readAllData(t, n.Data); got != tt.data {
				t.Errorf("%s: content %q, want %q", tt.path, got, tt.data)
			}
		}
	}
	if n := nodeAt(files, "/rr_moved"); n != nil && len(n.Children) != 0 {
		t.Errorf("relocated directory still shown in rr_moved: %v", n.Children[0].Name)
	}
	if n := nodeAt(files, "/first-part-second-part"); n != nil {
		if _, ok := n.Field("hard link of"); ok {
			t.Errorf("the first of two hard links is marked as a link")
		}
	}

	if f, ok := byExtent[tDataLBA*isoSectorSize]; !ok || f.path != "/first-part-second-part" || f.size != 5 {
		t.Errorf("byExtent[data] = %+v, %v", f, ok)
	}
	if f := byExtent[tBigLBA1*isoSectorSize]; f.path != "/big" || f.size != 4000 {
		t.Errorf("byExtent[big] = %+v", f)
	}

	// Claims: directory extents, CE areas, file extents, path tables.
	un := claims.Unclaimed(int64(len(img)))
	for _, c := range []struct {
		off  int64
		what string
	}{
		{tRootLBA*isoSectorSize + 100, "root directory"},
		{tCELBA * isoSectorSize, "ER continuation area"},
		{tCELBA*isoSectorSize + 256, "NM continuation area"},
		{tCELBA*isoSectorSize + 512, "SL continuation area"},
		{tDeepLBA * isoSectorSize, "relocated directory"},
		{tBigLBA2*isoSectorSize + 999, "second extent"},
		{19 * isoSectorSize, "L path table"},
		{16 * isoSectorSize, "primary descriptor"},
	} {
		for _, r := range un {
			if c.off >= r.Start && c.off < r.End {
				t.Errorf("%s (byte %d) unclaimed", c.what, c.off)
			}
		}
	}
	if !unclaimedAt(un, tBigLBA1*isoSectorSize+3000) {
		t.Errorf("slack after the first extent is claimed")
	}

	// Path tables.
	if got := fieldMap(pt.Child("primary L")); got["/RR_MOVED/DEEP"] != "LBA 26" || got["/DIR"] != "LBA 24" {
		t.Errorf("primary L fields %v", got)
	}
	if pt.Child("primary M") == nil {
		t.Errorf("no primary M table")
	}
}

func unclaimedAt(un []unpack.Range, off int64) bool {
	for _, r := range un {
		if off >= r.Start && off < r.End {
			return true
		}
	}
	return false
}

func TestParseRockRidgeEntries(t *testing.T) {
	at := func(es ...[]byte) []suspEntry {
		var out []suspEntry
		for _, e := range es {
			out = append(out, suspEntry{sig: string(e[:2]), version: e[3], data: e[4:e[2]]})
		}
		return out
	}
	tests := []struct {
		name    string
		entries []suspEntry
		check   func(t *testing.T, ri rrInfo)
		wantErr bool
	}{
		{"NM continued", at(nmE(1, "abc"), nmE(1, "def"), nmE(0, "g")), func(t *testing.T, ri rrInfo) {
			if ri.name != "abcdefg" {
				t.Errorf("name %q", ri.name)
			}
		}, false},
		{"NM left continued", at(nmE(1, "abc")), nil, true},
		{"NM current", at(nmE(2, "")), func(t *testing.T, ri rrInfo) {
			if ri.name != "." {
				t.Errorf("name %q", ri.name)
			}
		}, false},
		{"SL relative over two entries", at(slE(1, slComp(0x04, ""), slComp(0, "a")), slE(0, slComp(0x02, ""), slComp(0, "b"))), func(t *testing.T, ri rrInfo) {
			if ri.link != "../a/./b" {
				t.Errorf("link %q", ri.link)
			}
		}, false},
		{"SL root only", at(slE(0, slComp(0x08, ""))), func(t *testing.T, ri rrInfo) {
			if ri.link != "/" {
				t.Errorf("link %q", ri.link)
			}
		}, false},
		{"SL component continued across entries", at(slE(1, slComp(0x08, ""), slComp(1, "ab")), slE(1, slComp(1, "cd")), slE(0, slComp(0, "ef"), slComp(0, "g"))), func(t *testing.T, ri rrInfo) {
			if ri.link != "/abcdef/g" {
				t.Errorf("link %q", ri.link)
			}
		}, false},
		{"SL truncated component", at(suspE("SL", 0, 0, 9, 'a')), nil, true},
		{"TF short all", at(tfE(0x7f, isoDate(1980, 1, 1, 0, 0, 0, 0), isoDate(1981, 2, 3, 4, 5, 6, -20), isoDate(1982, 1, 1, 0, 0, 0, 8), isoDate(1983, 1, 1, 0, 0, 0, 0),
			isoDate(1984, 1, 1, 0, 0, 0, 0), isoDate(1985, 1, 1, 0, 0, 0, 0), isoDate(1986, 1, 1, 0, 0, 0, 0))), func(t *testing.T, ri rrInfo) {
			want := map[string]string{
				"creation time": "1980-01-01T00:00:00Z", "mtime": "1981-02-03T04:05:06-05:00", "atime": "1982-01-01T00:00:00+02:00",
				"ctime": "1983-01-01T00:00:00Z", "backup time": "1984-01-01T00:00:00Z", "expiration time": "1985-01-01T00:00:00Z",
				"effective time": "1986-01-01T00:00:00Z",
			}
			if !reflect.DeepEqual(ri.times, want) {
				t.Errorf("times %v", ri.times)
			}
			n := &unpack.Node{}
			ri.addTimeFields(n)
			if got := fieldNames(n); !reflect.DeepEqual(got, []string{"mtime", "atime", "ctime", "creation time", "backup time", "expiration time", "effective time"}) {
				t.Errorf("time field order %q", got)
			}
		}, false},
		{"TF long with hundredths", at(tfE(0x82, longDate("2024022923595912", -4))), func(t *testing.T, ri rrInfo) {
			if got := ri.times["mtime"]; got != "2024-02-29T23:59:59.12-01:00" {
				t.Errorf("mtime %q", got)
			}
		}, false},
		{"TF long unset and invalid", at(tfE(0x86, longDate("0000000000000000", 0), longDate("2023022900000000", 0))), func(t *testing.T, ri rrInfo) {
			if ri.times["mtime"] != "unset" || !strings.HasPrefix(ri.times["atime"], "invalid") {
				t.Errorf("times %v", ri.times)
			}
		}, false},
		{"TF too short", at(tfE(0x06, isoDate(1980, 1, 1, 0, 0, 0, 0))), nil, true},
		{"PX with inode", at(pxInoE(0o102755, 1, 5, 6, 77)), func(t *testing.T, ri rrInfo) {
			n := &unpack.Node{}
			ri.addAttrFields(n)
			want := []unpack.Field{{Name: "mode", Value: "-rwxr-sr-x (02755)"}, {Name: "uid", Value: "5"}, {Name: "gid", Value: "6"}, {Name: "nlink", Value: "1"}, {Name: "inode", Value: "77", Role: unpack.RolePlacement}}
			if !reflect.DeepEqual(n.Fields(), want) {
				t.Errorf("fields %v", n.Fields())
			}
		}, false},
		{"PX both-endian mismatch", at(suspE("PX", cat([]byte{1, 0, 0, 0, 0, 0, 0, 2}, make([]byte, 24))...)), nil, true},
		{"PN large numbers", at(suspE("PN", cat(le32be32(0), le32be32(uint32(259<<8|(70000&0xff)|(70000&^0xff)<<12)))...)), func(t *testing.T, ri rrInfo) {
			if ri.rdev != "259,70000" {
				t.Errorf("rdev %q", ri.rdev)
			}
		}, false},
		{"SF", at(suspE("SF", cat(le32be32(1), le32be32(5), []byte{2})...)), func(t *testing.T, ri rrInfo) {
			if len(ri.extra) != 1 || ri.extra[0] != (unpack.Field{Name: "sparse", Value: "size 4294967301, table depth 2"}) {
				t.Errorf("extra %v", ri.extra)
			}
		}, false},
		{"unknown twice", at(suspE("AL", 1), suspE("AL", 2)), func(t *testing.T, ri rrInfo) {
			want := []unpack.Field{{Name: "SUSP AL", Value: "v1 01"}, {Name: "SUSP AL 2", Value: "v1 02"}}
			if !reflect.DeepEqual(ri.extra, want) {
				t.Errorf("extra %v", ri.extra)
			}
		}, false},
		{"RR agreeing, PL", at(suspE("RR", 0x20), suspE("PL", le32be32(3)...)), func(t *testing.T, ri rrInfo) {
			if want := []unpack.Field{{Name: "parent link", Value: "3"}}; !reflect.DeepEqual(ri.extra, want) {
				t.Errorf("extra %v", ri.extra)
			}
		}, false},
		{"RR disagreeing", at(suspE("RR", 0x81), suspE("PL", le32be32(3)...)), func(t *testing.T, ri rrInfo) {
			if want := []unpack.Field{{Name: "parent link", Value: "3"}, {Name: "SUSP RR", Value: "v1 81"}}; !reflect.DeepEqual(ri.extra, want) {
				t.Errorf("extra %v", ri.extra)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ri := parseRockRidge(tt.entries)
			if (ri.err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", ri.err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, ri)
			}
		})
	}
}

func TestReadSUSP(t *testing.T) {
	img := make([]byte, 8*isoSectorSize)
	// Block 3: a CE area continuing to block 4, which ends with ST.
	area2 := cat(nmE(1, "b"), ceE(4, 100, 16))
	copy(img[3*isoSectorSize:], area2)
	copy(img[4*isoSectorSize+100:], cat(nmE(0, "c"), suspE("ST"), nmE(0, "NOT")))
	// Block 5: a CE that points at itself.
	loop := ceE(5, 0, 28)
	copy(img[5*isoSectorSize:], loop)

	tests := []struct {
		name    string
		area    []byte
		sigs    string
		wantErr bool
		claims  int
	}{
		{"chain", cat(nmE(1, "a"), ceE(3, 0, uint32(len(area2))), suspE("PD", 0, 0)), "NM NM NM", false, 2},
		{"padding", cat(pxE(1, 1, 1, 1), []byte{0, 0, 0, 0, 0}), "PX", false, 0},
		{"short tail", cat(pxE(1, 1, 1, 1), []byte{'X'}), "PX", false, 0},
		{"bad length", cat(nmE(0, "a"), []byte{'N', 'M', 200, 1, 0}), "NM", true, 0},
		{"zero length", []byte{'N', 'M', 0, 1, 0, 0}, "", true, 0},
		{"CE loop", loop, "", true, maxCEHops},
		{"CE outside", ceE(1000, 0, 10), "", true, 0},
		{"CE offset past block", ceE(3, 4000, 10), "", true, 0},
		{"CE too short", suspE("CE", 1, 2, 3), "", true, 0},
		{"two CEs", cat(ceE(3, 0, 6), ceE(3, 0, 6)), "NM", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c layout.Claims
			es, _, err := readSUSP(bytes.NewReader(img), int64(len(img)), isoSectorSize, tt.area, 0, 0, &c, nil, "x")
			var sigs []string
			for _, e := range es {
				sigs = append(sigs, e.sig)
			}
			if got := strings.Join(sigs, " "); got != tt.sigs {
				t.Errorf("entries %q, want %q", got, tt.sigs)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var fe *unpack.FormatError
			if err != nil && !errors.As(err, &fe) {
				t.Errorf("error %T is no FormatError", err)
			}
			n := 0
			for range c.All() {
				n++
			}
			if n != tt.claims {
				t.Errorf("%d claims, want %d", n, tt.claims)
			}
		})
	}
}

// buildJolietImage makes an image with a primary tree of ISO names and a
// Joliet tree, without Rock Ridge.
func buildJolietImage(level string) []byte {
	b := newISOBuilder(40)
	d := byte(flagDir)
	// Primary tree.
	b.dir(21,
		dirRec([]byte{0}, 21, isoSectorSize, d, nil),
		dirRec([]byte{1}, 21, isoSectorSize, d, nil),
		dirRec([]byte("LONGNA~1.TXT;1"), 30, 3, 0, nil),
		dirRec([]byte("SUB"), 22, isoSectorSize, d, nil),
	)
	b.dir(22,
		dirRec([]byte{0}, 22, isoSectorSize, d, nil),
		dirRec([]byte{1}, 21, isoSectorSize, d, nil),
		dirRec([]byte("EMOJI.;1"), 31, 2, 0, nil),
	)
	// Joliet tree. Its ".." records point at the directory itself, as
	// libisofs writes them.
	b.dir(23,
		dirRec([]byte{0}, 23, isoSectorSize, d, nil),
		dirRec([]byte{1}, 23, isoSectorSize, d, nil),
		dirRec(ucs2("Long Name.txt;1"), 30, 3, 0, nil),
		dirRec(ucs2("süb"), 24, isoSectorSize, d, nil),
	)
	b.dir(24,
		dirRec([]byte{0}, 24, isoSectorSize, d, nil),
		dirRec([]byte{1}, 24, isoSectorSize, d, nil),
		dirRec(ucs2("😀 x.;1"), 31, 2, flagHidden, nil),
	)
	b.put(30*isoSectorSize, []byte("abc"))
	b.put(31*isoSectorSize, []byte("ok"))
	pt := pathTableBytes(false, ptRec{[]byte{0}, 21, 1}, ptRec{[]byte("SUB"), 22, 1})
	jpt := pathTableBytes(false, ptRec{[]byte{0}, 23, 1}, ptRec{ucs2("süb"), 24, 1})
	b.put(19*isoSectorSize, pt)
	b.put(20*isoSectorSize, jpt)
	b.vd(16, vdPrimary, dirRec([]byte{0}, 21, isoSectorSize, d, nil), 40, "", uint32(len(pt)), 19, 0)
	if level != "" {
		b.vd(17, vdSupplementary, dirRec([]byte{0}, 23, isoSectorSize, d, nil), 40, level, uint32(len(jpt)), 20, 0)
		b.terminator(18)
	} else {
		b.terminator(17)
	}
	return b.img
}

func TestJolietNames(t *testing.T) {
	img := buildJolietImage("%/E")
	vds, vi, files, joliet, pt, _, _ := openTestTrees(t, img)
	checkNoErrs(t, files, "/")
	checkNoErrs(t, pt, "[path tables]")
	if joliet == nil || joliet.Name != "[ISO 9660 tree]" {
		t.Errorf("the ISO 9660 records are not shown beside the Joliet names: %v", joliet)
	}
	if vi.jolietLevel != 3 || vi.jolietRoot == nil || vi.jolietRoot.lba != 23 {
		t.Errorf("Joliet level %d root %+v", vi.jolietLevel, vi.jolietRoot)
	}
	if vds.Child("supplementary (Joliet)") == nil {
		t.Errorf("descriptor children %v", vds.Order())
	}
	n := nodeAt(files, "/Long Name.txt")
	if n == nil {
		t.Fatalf("no /Long Name.txt; root has %v", files.Order())
	}
	if v, _ := n.Field("iso name"); v != "LONGNA~1.TXT;1" {
		t.Errorf("iso name %q", v)
	}
	if got := readAllData(t, n.Data); got != "abc" {
		t.Errorf("content %q", got)
	}
	// A name with a surrogate pair, a trailing "." and ";1": only ";1" goes.
	e := nodeAt(files, "/süb/😀 x.")
	if e == nil {
		t.Fatalf("no /süb/😀 x.; süb has %v", nodeAt(files, "/süb").Order())
	}
	if v, _ := e.Field("file flags"); v != "hidden" {
		t.Errorf("file flags %q", v)
	}
	if pt.Child("Joliet L") == nil || pt.Child("primary L") == nil {
		t.Errorf("path tables %v", pt.Order())
	}
	if v, _ := pt.Child("Joliet L").Field("/süb"); v != "LBA 24" {
		t.Errorf("Joliet path table /süb = %q", v)
	}
}

func TestPlainNames(t *testing.T) {
	img := buildJolietImage("")
	_, vi, files, joliet, _, _, _ := openTestTrees(t, img)
	if vi.jolietRoot != nil || joliet != nil {
		t.Fatalf("Joliet found in an image without it")
	}
	for path, iso := range map[string]string{"/LONGNA~1.TXT": "LONGNA~1.TXT;1", "/SUB": "SUB", "/SUB/EMOJI": "EMOJI.;1"} {
		n := nodeAt(files, path)
		if n == nil {
			t.Errorf("%s missing", path)
			continue
		}
		if v, _ := n.Field("iso name"); v != iso {
			t.Errorf("%s: iso name %q, want %q", path, v, iso)
		}
	}
}

func TestISONames(t *testing.T) {
	for _, tt := range []struct {
		ident string
		dir   bool
		want  string
	}{
		{"FOO.;1", false, "FOO"},
		{"FOO.TXT;1", false, "FOO.TXT"},
		{"FOO.TXT;12", false, "FOO.TXT"},
		{"FOO.TXT", false, "FOO.TXT"},
		{"FOO;X", false, "FOO;X"},
		{"A.B", true, "A.B"},
		{".;1", false, "."},
	} {
		if got := isoName([]byte(tt.ident), tt.dir); got != tt.want {
			t.Errorf("isoName(%q) = %q, want %q", tt.ident, got, tt.want)
		}
	}
	if got := jolietName(ucs2("a.b;1")); got != "a.b" {
		t.Errorf("jolietName = %q", got)
	}
}

func TestModeString(t *testing.T) {
	for mode, want := range map[uint32]string{
		0o100644: "-rw-r--r-- (00644)",
		0o104755: "-rwsr-xr-x (04755)",
		0o104644: "-rwSr--r-- (04644)",
		0o102755: "-rwxr-sr-x (02755)",
		0o041777: "drwxrwxrwt (01777)",
		0o041776: "drwxrwxrwT (01776)",
		0o120777: "lrwxrwxrwx (00777)",
		0o060660: "brw-rw---- (00660)",
		0o140755: "srwxr-xr-x (00755)",
		0o000644: "?rw-r--r-- (00644)",
	} {
		if got := show.Mode(mode); got != want {
			t.Errorf("modeString(%o) = %q, want %q", mode, got, want)
		}
	}
}

func TestMultiSection(t *testing.T) {
	src := strings.NewReader("0123456789abcdefghij")
	m := readat.NewMultiSection([]*io.SectionReader{
		io.NewSectionReader(src, 10, 5), // abcde
		io.NewSectionReader(src, 0, 0),
		io.NewSectionReader(src, 2, 3),  // 234
		io.NewSectionReader(src, 15, 5), // fghij
	})
	if m.Size() != 13 {
		t.Fatalf("size %d", m.Size())
	}
	all := "abcde234fghij"
	for off := 0; off <= 13; off++ {
		for l := 0; l <= 14-off+1; l++ {
			p := make([]byte, l)
			n, err := m.ReadAt(p, int64(off))
			want := all[off:min(off+l, 13)]
			if string(p[:n]) != want {
				t.Errorf("ReadAt(%d, %d) = %q, want %q", off, l, p[:n], want)
			}
			if (off+l > 13 || off == 13) && err != io.EOF {
				t.Errorf("ReadAt(%d, %d) past the end: err %v", off, l, err)
			}
			if off+l <= 13 && off < 13 && err != nil {
				t.Errorf("ReadAt(%d, %d): %v", off, l, err)
			}
		}
	}
	// A part shorter than it says (image truncated) is an error, not zeros.
	short := readat.NewMultiSection([]*io.SectionReader{io.NewSectionReader(strings.NewReader("ab"), 0, 4), io.NewSectionReader(src, 0, 2)})
	p := make([]byte, 6)
	if n, err := short.ReadAt(p, 0); err == nil || n != 2 {
		t.Errorf("short part: n %d err %v", n, err)
	}
	if _, err := m.ReadAt(p, -1); err == nil {
		t.Errorf("negative offset accepted")
	}
}

// Damaged images: every problem ends up in a node's Err, nothing panics,
// the rest is still read.
func TestDamagedTrees(t *testing.T) {
	d := byte(flagDir)
	base := func() *isoBuilder {
		b := newISOBuilder(32)
		b.vd(16, vdPrimary, dirRec([]byte{0}, 21, isoSectorSize, d, nil), 32, "", 0, 0, 0)
		b.terminator(17)
		b.put(30*isoSectorSize, []byte("data"))
		return b
	}
	tests := []struct {
		name  string
		build func(b *isoBuilder)
		check func(t *testing.T, files *unpack.Node)
	}{
		{"directory loop", func(b *isoBuilder) {
			b.dir(21, dirRec([]byte{0}, 21, isoSectorSize, d, nil), dirRec([]byte{1}, 21, isoSectorSize, d, nil),
				dirRec([]byte("LOOP"), 21, isoSectorSize, d, nil), dirRec([]byte("OK.;1"), 30, 4, 0, nil))
		}, func(t *testing.T, files *unpack.Node) {
			if n := files.Child("LOOP"); n == nil || n.Err == nil || !strings.Contains(n.Err.Error(), "loop") {
				t.Errorf("LOOP: %+v", n)
			}
			if files.Child("OK") == nil {
				t.Errorf("the rest is not read")
			}
		}},
		{"extent past the end", func(b *isoBuilder) {
			b.dir(21, dirRec([]byte{0}, 21, isoSectorSize, d, nil), dirRec([]byte{1}, 21, isoSectorSize, d, nil),
				dirRec([]byte("FAR"), 1<<30, isoSectorSize, d, nil), dirRec([]byte("HUGE"), 22, 0xffffffff, d, nil),
				dirRec([]byte("BIG.;1"), 31, 1<<20, 0, nil))
		}, func(t *testing.T, files *unpack.Node) {
			for _, name := range []string{"FAR", "HUGE", "BIG"} {
				if n := files.Child(name); n == nil || n.Err == nil {
					t.Errorf("%s: %+v", name, n)
				}
			}
			if n := files.Child("BIG"); n != nil && n.Data.Size() != 2048 {
				t.Errorf("BIG data size %d, want what the image holds", n.Data.Size())
			}
		}},
		{"record crossing a sector", func(b *isoBuilder) {
			b.vd(16, vdPrimary, dirRec([]byte{0}, 21, 2*isoSectorSize, d, nil), 32, "", 0, 0, 0)
			// 68 + 7*255 + 185 bytes of records, then one of 40 bytes
			// that would end 30 bytes into the next sector.
			recs := [][]byte{dirRec([]byte{0}, 21, 2*isoSectorSize, d, nil), dirRec([]byte{1}, 21, isoSectorSize, d, nil)}
			for i := range 7 {
				recs = append(recs, dirRec([]byte{'F', byte('0' + i), '.', ';', '1'}, 30, 4, 0, make([]byte, 217)))
			}
			recs = append(recs, dirRec([]byte("G.;1"), 30, 4, 0, make([]byte, 147)))
			pos := 21 * isoSectorSize
			for _, r := range recs {
				b.put(pos, r)
				pos += len(r)
			}
			b.put(pos, dirRec([]byte("X.;1"), 30, 4, 0, make([]byte, 3)))
			b.put(22*isoSectorSize, dirRec([]byte("Y.;1"), 30, 4, 0, nil))
		}, func(t *testing.T, files *unpack.Node) {
			if files.Err == nil || files.Child("Y") == nil || files.Child("X") != nil {
				t.Errorf("Err %v, children %v", files.Err, files.Order())
			}
		}},
		{"duplicate names", func(b *isoBuilder) {
			b.dir(21, dirRec([]byte{0}, 21, isoSectorSize, d, nil), dirRec([]byte{1}, 21, isoSectorSize, d, nil),
				dirRec([]byte("A.;1"), 30, 4, 0, nil), dirRec([]byte("A.;2"), 30, 4, 0, nil))
		}, func(t *testing.T, files *unpack.Node) {
			if files.Child("A") == nil || files.Child("A (duplicate 2)") == nil || files.Child("A (duplicate 2)").Err == nil {
				t.Errorf("children %v", files.Order())
			}
		}},
		{"multi-extent without its final record", func(b *isoBuilder) {
			b.dir(21, dirRec([]byte{0}, 21, isoSectorSize, d, nil), dirRec([]byte{1}, 21, isoSectorSize, d, nil),
				dirRec([]byte("M.;1"), 30, 4, flagMultiExtent, nil), dirRec([]byte("N.;1"), 30, 4, 0, nil))
		}, func(t *testing.T, files *unpack.Node) {
			if n := files.Child("M"); n == nil || n.Err == nil {
				t.Errorf("M: %+v", n)
			}
			if files.Child("N") == nil {
				t.Errorf("N missing")
			}
		}},
		{"bad identifier length", func(b *isoBuilder) {
			r := dirRec([]byte("A.;1"), 30, 4, 0, nil)
			r[32] = 200
			b.dir(21, dirRec([]byte{0}, 21, isoSectorSize, d, nil), dirRec([]byte{1}, 21, isoSectorSize, d, nil), r)
		}, func(t *testing.T, files *unpack.Node) {
			if files.Err == nil {
				t.Errorf("no Err")
			}
		}},
		{"name with a slash", func(b *isoBuilder) {
			b.dir(21, dirRec([]byte{0}, 21, isoSectorSize, d, nil), dirRec([]byte{1}, 21, isoSectorSize, d, nil),
				dirRec([]byte("A/B;1"), 30, 4, 0, nil))
		}, func(t *testing.T, files *unpack.Node) {
			if n := files.Child(`"A/B"`); n == nil || n.Err == nil {
				t.Errorf("children %v", files.Order())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base()
			tt.build(b)
			_, _, files, _, _, _, _ := openTestTrees(t, b.img)
			tt.check(t, files)
		})
	}
}

func TestPathTableDisagrees(t *testing.T) {
	img := buildJolietImage("%/E")
	// The primary L table says /SUB is at 25.
	pt := pathTableBytes(false, ptRec{[]byte{0}, 21, 1}, ptRec{[]byte("SUB"), 25, 1})
	copy(img[19*isoSectorSize:], pt)
	_, _, _, _, pts, _, _ := openTestTrees(t, img)
	if n := pts.Child("primary L"); n == nil || n.Err == nil || !strings.Contains(n.Err.Error(), "/SUB") {
		t.Errorf("primary L: %+v", n)
	}
	if n := pts.Child("Joliet L"); n == nil || n.Err != nil {
		t.Errorf("Joliet L: %+v", n)
	}
	// A truncated table.
	img = buildJolietImage("%/E")
	copy(img[19*isoSectorSize:], []byte{9, 0, 21, 0, 0, 0, 1, 0})
	_, _, _, _, pts, _, _ = openTestTrees(t, img)
	if n := pts.Child("primary L"); n == nil || n.Err == nil {
		t.Errorf("truncated primary L: %+v", n)
	}
}

func TestJolietTreeBesideRockRidge(t *testing.T) {
	img := buildRockRidgeImage()
	// Add a Joliet descriptor and tree naming two of the files.
	b := &isoBuilder{img: append(img, make([]byte, 4*isoSectorSize)...)}
	d := byte(flagDir)
	jl := tImgBlocks
	b.dir(jl,
		dirRec([]byte{0}, uint32(jl), isoSectorSize, d, nil),
		dirRec([]byte{1}, uint32(jl), isoSectorSize, d, nil),
		dirRec(ucs2("first;1"), tDataLBA, 5, 0, nil),
		dirRec(ucs2("moved;1"), tDataLBA+40, 5, 0, nil),
		dirRec(ucs2("empty;1"), 0, 0, 0, nil),
		dirRec(ucs2("big;1"), tBigLBA1, 3000, flagMultiExtent, nil),
		dirRec(ucs2("big;1"), tBigLBA2, 1000, 0, nil),
	)
	b.vd(17, vdSupplementary, dirRec([]byte{0}, uint32(jl), isoSectorSize, d, nil), tImgBlocks+4, "%/@", 0, 0, 0)
	b.terminator(18)
	_, _, files, joliet, _, _, claims := openTestTrees(t, b.img)
	if joliet == nil {
		t.Fatalf("no [Joliet tree]")
	}
	if joliet.Name != "[Joliet tree]" || files.Child("first-part-second-part") == nil {
		t.Errorf("joliet %q, files %v", joliet.Name, files.Order())
	}
	want := map[string]string{"first": "/first-part-second-part", "moved": "LBA 70", "empty": "empty", "big": "/big"}
	for name, ext := range want {
		n := joliet.Child(name)
		if n == nil {
			t.Errorf("[Joliet tree]/%s missing", name)
			continue
		}
		if v, _ := n.Field("extent"); v != ext {
			t.Errorf("[Joliet tree]/%s extent %q, want %q", name, v, ext)
		}
		// A file found under another name aliases it (see diff.FoldMirrors).
		if alias := ""; strings.HasPrefix(ext, "/") && n.Alias() != ext || !strings.HasPrefix(ext, "/") && n.Alias() != alias {
			t.Errorf("[Joliet tree]/%s alias %q, want %q", name, n.Alias(), ext)
		}
		if n.Data != nil {
			t.Errorf("[Joliet tree]/%s has Data", name)
		}
	}
	if joliet.Alias() != "/" {
		t.Errorf("[Joliet tree] aliases %q, want the tree it names again, /", joliet.Alias())
	}
	if joliet.Child("moved").Err == nil {
		t.Errorf("[Joliet tree]/moved: extent past the end without Err")
	}
	if v, _ := joliet.Child("big").Field("size"); v != "4000" {
		t.Errorf("big size %q", v)
	}
	if unclaimedAt(claims.Unclaimed(int64(len(b.img))), int64(jl)*isoSectorSize) {
		t.Errorf("Joliet directory unclaimed")
	}
}

func TestDetectRockRidgeNeedsSP(t *testing.T) {
	img := buildRockRidgeImage()
	// Break the SP check bytes: names fall back to ISO 9660 identifiers.
	off := tRootLBA*isoSectorSize + 34 // after the 34-byte "." record header
	if string(img[off:off+2]) != "SP" {
		t.Fatalf("SP not where expected: %q", img[off:off+2])
	}
	img[off+4] = 0
	_, _, files, _, _, _, _ := openTestTrees(t, img)
	if files.Child("A") == nil || files.Child("first-part-second-part") != nil {
		t.Errorf("children %v", files.Order())
	}
}

// TestOtherNamesAreNameStyle: an entry's ISO 9660 identifier beside its
// Rock Ridge name is a name style, which a comparison explains as such.
func TestOtherNamesAreNameStyle(t *testing.T) {
	img, err := os.ReadFile("../../fixtures/iso/base-a.iso")
	if err != nil {
		t.Skip(err)
	}
	root, err := Open(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	root.Child("/").Walk("/", func(n *unpack.Node, p string) {
		for _, f := range n.Fields() {
			if f.Name == "iso name" {
				seen++
				if f.Role == nil || f.Role.Cause != "name style" {
					t.Errorf("%s: iso name role %+v", p, f.Role)
				}
			}
		}
	})
	if seen == 0 {
		t.Fatal("no iso name field in base-a.iso")
	}
}
