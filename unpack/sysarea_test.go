package unpack

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/diskfs/go-diskfs/partition/mbr"
)

// Crafted images. The layout follows xorriso's isohybrid one, scaled down:
// 512-byte sectors, MBR, GPT header at LBA 1, entries from LBA 2, backup
// entries and header in the last sectors.

const (
	testImageSectors = 128
	testEntryCount   = 128 // 16 KiB: 32 sectors
)

var testDiskGUID = "8C6B3F2A-6D51-5B8E-9A33-9C1E0F1F2A3B"

// guidBytes is the inverse of guidString: the on-disk mixed-endian bytes.
func guidBytes(s string) []byte {
	h, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(h) != 16 {
		panic("bad GUID " + s)
	}
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b[0:], binary.BigEndian.Uint32(h[0:]))
	binary.LittleEndian.PutUint16(b[4:], binary.BigEndian.Uint16(h[4:]))
	binary.LittleEndian.PutUint16(b[6:], binary.BigEndian.Uint16(h[6:]))
	copy(b[8:], h[8:])
	return b
}

func putMBREntry(img []byte, slot int, status, typ byte, start, sectors uint32) {
	e := img[446+16*slot:]
	e[0] = status
	e[1], e[2], e[3] = 0x00, 0x01, 0x00 // CHS 0/0/1
	e[4] = typ
	e[5], e[6], e[7] = 0xfe, 0xff, 0xff // CHS 1023/254/63
	binary.LittleEndian.PutUint32(e[8:], start)
	binary.LittleEndian.PutUint32(e[12:], sectors)
}

type testGPTEntry struct {
	index       int // 0-based slot
	typ, uniq   string
	first, last uint64
	attrs       uint64
	name        string
}

// putGPT writes a header at hdrLBA and its entry array at entriesLBA, with
// correct CRCs.
func putGPT(img []byte, ss int64, hdrLBA, altLBA, entriesLBA uint64, count, esize uint32, entries []testGPTEntry) {
	arr := make([]byte, int(count)*int(esize))
	for _, e := range entries {
		b := arr[e.index*int(esize):]
		copy(b[0:], guidBytes(e.typ))
		copy(b[16:], guidBytes(e.uniq))
		binary.LittleEndian.PutUint64(b[32:], e.first)
		binary.LittleEndian.PutUint64(b[40:], e.last)
		binary.LittleEndian.PutUint64(b[48:], e.attrs)
		for i, u := range utf16.Encode([]rune(e.name)) {
			binary.LittleEndian.PutUint16(b[56+2*i:], u)
		}
	}
	copy(img[int64(entriesLBA)*ss:], arr)
	h := img[int64(hdrLBA)*ss:]
	clear(h[:ss])
	copy(h, "EFI PART")
	binary.LittleEndian.PutUint32(h[8:], 0x00010000)
	binary.LittleEndian.PutUint32(h[12:], 92)
	binary.LittleEndian.PutUint64(h[24:], hdrLBA)
	binary.LittleEndian.PutUint64(h[32:], altLBA)
	binary.LittleEndian.PutUint64(h[40:], 34)
	binary.LittleEndian.PutUint64(h[48:], uint64(len(img))/uint64(ss)-34)
	copy(h[56:], guidBytes(testDiskGUID))
	binary.LittleEndian.PutUint64(h[72:], entriesLBA)
	binary.LittleEndian.PutUint32(h[80:], count)
	binary.LittleEndian.PutUint32(h[84:], esize)
	binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(arr))
	fixGPTHeaderCRC(h)
}

// putGPTPair writes a primary GPT at LBA 1 with its entries from LBA 2 and
// the backup in the last sectors, as xorriso lays them out.
func putGPTPair(img []byte, ss int64, count, esize uint32, entries []testGPTEntry) {
	last := uint64(int64(len(img))/ss - 1)
	arraySectors := (uint64(count)*uint64(esize) + uint64(ss) - 1) / uint64(ss)
	putGPT(img, ss, 1, last, 2, count, esize, entries)
	putGPT(img, ss, last, 1, last-arraySectors, count, esize, entries)
}

// fixGPTEntriesCRC recomputes the entry array CRC of the header at hdrOff
// after the array was changed, and then the header CRC.
func fixGPTEntriesCRC(img []byte, ss, hdrOff int64) {
	h := img[hdrOff:]
	off := int64(binary.LittleEndian.Uint64(h[72:])) * ss
	n := int64(binary.LittleEndian.Uint32(h[80:])) * int64(binary.LittleEndian.Uint32(h[84:]))
	binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(img[off:off+n]))
	fixGPTHeaderCRC(h)
}

func fixGPTHeaderCRC(h []byte) {
	clear(h[16:20])
	binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:92]))
}

var testGPTEntries = []testGPTEntry{
	{0, string(gpt.MicrosoftBasicData), "8C6B3F2A-6D51-5B8E-9A32-9C1E0F1F2A3B", 0, 99, 0x1000000000000001, "ISOHybrid"},
	{1, string(gpt.MicrosoftBasicData), "8C6B3F2A-6D51-5B8E-9A31-9C1E0F1F2A3B", 40, 59, 0x1000000000000001, "ISOHybrid1"},
	{5, string(gpt.EFISystemPartition), "00112233-4455-6677-8899-AABBCCDDEEFF", 60, 69, 1<<2 | 1<<47, "ESP"},
}

// hybridImage is a 64 KiB isohybrid-style image: MBR with partitions in
// slots 1 and 2 (slots 3 and 4 empty), primary GPT and backup.
func hybridImage() []byte {
	img := make([]byte, testImageSectors*512)
	for i := range 432 {
		img[i] = byte(i*7 + 1) // boot code
	}
	binary.LittleEndian.PutUint32(img[440:], 0x1a2b3c4d)
	putMBREntry(img, 0, 0x80, 0x00, 0, testImageSectors)
	putMBREntry(img, 1, 0x00, 0xef, 40, 20)
	img[510], img[511] = 0x55, 0xAA
	putGPTPair(img, 512, testEntryCount, 128, testGPTEntries)
	return img
}

// dumpRecords renders a tree for comparisons and failure messages.
func dumpRecords(n *Node) string {
	var b strings.Builder
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		ind := strings.Repeat("  ", depth)
		fmt.Fprintf(&b, "%s%s [%s %s @%d]", ind, n.Name, n.Type, n.Layer, n.Offset)
		if n.Positional {
			b.WriteString(" positional")
		}
		if n.Data != nil {
			fmt.Fprintf(&b, " data=%d", n.Data.Size())
		}
		if n.Alias != "" {
			fmt.Fprintf(&b, " alias=%s", n.Alias)
		}
		b.WriteString("\n")
		for _, f := range n.Fields {
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

// recordAt finds the node at a slash-separated path of child names below n.
func recordAt(n *Node, path string) *Node {
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
func checkRecords(t *testing.T, root *Node, want map[string]string) {
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
		n := recordAt(root, path)
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
			got = n.Alias
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
		t.Logf("tree:\n%s", dumpRecords(root))
	}
}

func claimStrings(c *Claims) []string {
	var out []string
	for _, cl := range c.list {
		out = append(out, fmt.Sprintf("%d+%d %s", cl.Start, cl.Len(), cl.what))
	}
	sort.Strings(out)
	return out
}

func TestSystemAreaHybrid(t *testing.T) {
	img := hybridImage()
	var claims Claims
	root := readSystemArea(bytes.NewReader(img), int64(len(img)), &claims)
	want := `[system area] [record system area @0]
  GPT [record GPT @512] positional
    . revision: 1.0 (0x00010000)
    . header size: 92
    . header CRC32: 0x` + fmt.Sprintf("%08x", binary.LittleEndian.Uint32(img[512+16:])) + `
    . current LBA: 1
    . backup LBA: 127
    . first usable LBA: 34
    . last usable LBA: 94
    . disk GUID: 8C6B3F2A-6D51-5B8E-9A33-9C1E0F1F2A3B
    . entries LBA: 2
    . entry count: 128
    . entry size: 128
    . entries CRC32: 0x` + fmt.Sprintf("%08x", binary.LittleEndian.Uint32(img[512+88:])) + `
    partition 1 [record GPT @1024]
      . type GUID: EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 (Basic data)
      . unique GUID: 8C6B3F2A-6D51-5B8E-9A32-9C1E0F1F2A3B
      . first LBA: 0
      . last LBA: 99
      . attributes: 0x1000000000000001 (required, read-only)
      . name: ISOHybrid
    partition 2 [record GPT @1152]
      . type GUID: EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 (Basic data)
      . unique GUID: 8C6B3F2A-6D51-5B8E-9A31-9C1E0F1F2A3B
      . first LBA: 40
      . last LBA: 59
      . attributes: 0x1000000000000001 (required, read-only)
      . name: ISOHybrid1
    partition 6 [record GPT @1664]
      . type GUID: C12A7328-F81F-11D2-BA4B-00A0C93EC93B (EFI System)
      . unique GUID: 00112233-4455-6677-8899-AABBCCDDEEFF
      . first LBA: 60
      . last LBA: 69
      . attributes: 0x0000800000000004 (legacy BIOS bootable, bit 47)
      . name: ESP
`
	got := dumpRecords(root)
	if !strings.HasPrefix(got, want) {
		t.Errorf("tree:\n%s\nwant prefix:\n%s", got, want)
	}
	checkRecords(t, root, map[string]string{
		":!err":                          "",
		":!children":                     "GPT,GPT backup,MBR",
		":!nofield=MBR signature":        "",
		"GPT:!nofield=sector size":       "",
		"MBR:!err":                       "",
		"MBR:!children":                  "boot code,partition 1,partition 2",
		"MBR:disk signature":             "0x1a2b3c4d",
		"MBR:copy protect":               "0x0000",
		"MBR:boot signature":             "55 AA",
		"MBR/boot code:!data":            "440",
		"MBR/partition 1:status":         "0x80 (active)",
		"MBR/partition 1:type":           "0x00 (empty)",
		"MBR/partition 1:start LBA":      "0",
		"MBR/partition 1:sectors":        "128",
		"MBR/partition 1:CHS start":      "0/0/1",
		"MBR/partition 1:CHS end":        "1023/254/63",
		"MBR/partition 2:status":         "0x00 (inactive)",
		"MBR/partition 2:type":           "0xef (EFI System)",
		"MBR/partition 2:start LBA":      "40",
		"MBR/partition 2:sectors":        "20",
		"GPT:!err":                       "",
		"GPT:!children":                  "partition 1,partition 2,partition 6",
		"GPT backup:!err":                "",
		"GPT backup:current LBA":         "127",
		"GPT backup:primary LBA":         "1",
		"GPT backup:entries LBA":         "95",
		"GPT backup:!children":           "partition 1,partition 2,partition 6",
		"GPT backup/partition 6:name":    "ESP",
		"GPT backup:!nofield=backup LBA": "",
	})
	if r := recordAt(root, "MBR"); r == nil || !r.Positional || strings.Join(r.Order, ",") != "partition 1,partition 2" {
		t.Errorf("MBR: want positional with order of partitions, got %+v", r)
	}
	if g := recordAt(root, "GPT"); g == nil || strings.Join(g.Order, ",") != "partition 1,partition 2,partition 6" {
		t.Errorf("GPT: order %v", g.Order)
	}
	boot := make([]byte, 440)
	if _, err := recordAt(root, "MBR/boot code").Data.ReadAt(boot, 0); err != nil || !bytes.Equal(boot, img[:440]) {
		t.Errorf("boot code: %v, bytes differ: %v", err, !bytes.Equal(boot, img[:440]))
	}
	wantClaims := []string{
		"0+440 MBR boot code",
		"1024+16384 GPT entry array",
		"440+6 MBR disk signature and copy protect",
		"446+64 MBR partition table",
		"48640+16384 GPT backup entry array",
		"510+2 MBR boot signature",
		"512+92 GPT header",
		"65024+92 GPT backup header",
	}
	if got := claimStrings(&claims); strings.Join(got, "\n") != strings.Join(wantClaims, "\n") {
		t.Errorf("claims:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantClaims, "\n"))
	}
	// The rest of the header sectors stays unclaimed, to be compared raw.
	un := claims.Unclaimed(int64(len(img)))
	if len(un) != 3 || un[0] != (Range{604, 1024}) {
		t.Errorf("unclaimed %v", un)
	}
}

// TestSystemAreaBroken covers damaged and cut images, each a change of the
// hybrid image.
func TestSystemAreaBroken(t *testing.T) {
	last := int64(testImageSectors - 1)
	img := hybridImage() // unchanged, for the values wanted
	tests := []struct {
		name   string
		change func(img []byte) []byte
		want   map[string]string
	}{{
		name:   "no MBR signature",
		change: func(img []byte) []byte { img[510] = 0; return img },
		want: map[string]string{
			":MBR signature": "none (bytes 510-511 are 00 AA)",
			"MBR:!absent":    "",
			"GPT:!err":       "",
			":!err":          "",
		},
	}, {
		name: "plain ISO: zero system area",
		change: func(img []byte) []byte {
			return make([]byte, 40000)
		},
		want: map[string]string{
			":MBR signature": "none (bytes 510-511 are 00 00)",
			":!children":     "",
			":!err":          "",
		},
	}, {
		name: "MBR only, invalid status byte",
		change: func(img []byte) []byte {
			img = img[:4096]
			clear(img[512:])
			img[446+16] = 0x81
			return img
		},
		want: map[string]string{
			"MBR/partition 2:status": "0x81 (invalid)",
			"MBR/partition 2:!err":   "status byte 0x81",
			"MBR/partition 1:!err":   "",
			":!children":             "MBR",
		},
	}, {
		name: "slot with zero type but other bytes set is not empty",
		change: func(img []byte) []byte {
			img[446+16*3+12] = 1
			return img
		},
		want: map[string]string{
			"MBR:!children":           "boot code,partition 1,partition 2,partition 4",
			"MBR/partition 4:type":    "0x00 (empty)",
			"MBR/partition 4:sectors": "1",
		},
	}, {
		name:   "shorter than one sector",
		change: func(img []byte) []byte { return img[:300] },
		want: map[string]string{
			":!err":      "MBR sector: 512 bytes wanted, 300 found",
			":!children": "",
		},
	}, {
		name:   "size 1000: GPT header cut inside its sector",
		change: func(img []byte) []byte { return img[:1000] },
		want: map[string]string{
			"GPT:!err":               "512 bytes wanted, 488 found",
			"GPT:header CRC32":       fmt.Sprintf("0x%08x", binary.LittleEndian.Uint32(img[512+16:])),
			"GPT:entries CRC32":      fmt.Sprintf("0x%08x (not verified)", binary.LittleEndian.Uint32(img[512+88:])),
			"GPT:!children":          "",
			"GPT backup:!err":        "backup header at LBA 127 is past the end of the image (last LBA 0)",
			"GPT backup:!children":   "",
			"MBR/partition 1:status": "0x80 (active)",
		},
	}, {
		name:   "size 560: GPT header itself cut",
		change: func(img []byte) []byte { return img[:560] },
		want: map[string]string{
			"GPT:!err":              "GPT header sector: 512 bytes wanted, 48 found",
			"GPT:!nofield=revision": "",
			"GPT backup:!absent":    "",
		},
	}, {
		name:   "cut inside the entry array",
		change: func(img []byte) []byte { return img[:1024+128*3+50] },
		want: map[string]string{
			"GPT:!err":          "entry array of 16384 bytes is cut by the end of the image after 434 bytes",
			"GPT:!children":     "partition 1,partition 2",
			"GPT:entries CRC32": fmt.Sprintf("0x%08x (not verified)", binary.LittleEndian.Uint32(img[512+88:])),
			"GPT backup:!err":   "past the end",
		},
	}, {
		name: "bad header CRC",
		change: func(img []byte) []byte {
			img[512+16] ^= 0xFF
			return img
		},
		want: map[string]string{
			"GPT:!err":             "header CRC32",
			"GPT:header CRC32":     fmt.Sprintf("0x%08x (bad, computed 0x%08x)", binary.LittleEndian.Uint32(img[512+16:])^0xFF, binary.LittleEndian.Uint32(img[512+16:])),
			"GPT:!children":        "partition 1,partition 2,partition 6",
			"GPT backup:!err":      "",
			"GPT/partition 1:name": "ISOHybrid",
		},
	}, {
		name: "bad entries CRC",
		change: func(img []byte) []byte {
			img[1024+56] = 'J' // first letter of partition 1's name
			return img
		},
		want: map[string]string{
			"GPT:!err":             "entry array CRC32",
			"GPT:entries CRC32":    "~(bad, computed",
			"GPT/partition 1:name": "JSOHybrid",
			"GPT:header CRC32":     fmt.Sprintf("0x%08x", binary.LittleEndian.Uint32(img[512+16:])),
			"GPT backup:!err":      "",
		},
	}, {
		name: "backup header past the end",
		change: func(img []byte) []byte {
			binary.LittleEndian.PutUint64(img[512+32:], 5000)
			fixGPTHeaderCRC(img[512:])
			return img
		},
		want: map[string]string{
			"GPT:!err":             "",
			"GPT:backup LBA":       "5000",
			"GPT backup:!err":      "backup header at LBA 5000 is past the end of the image (last LBA 127)",
			"GPT backup:!children": "",
		},
	}, {
		name: "image cut before the backup",
		change: func(img []byte) []byte {
			return img[:100*512]
		},
		want: map[string]string{
			"GPT:!err":        "",
			"GPT backup:!err": "past the end",
		},
	}, {
		name: "backup signature wiped",
		change: func(img []byte) []byte {
			img[last*512] = 'X'
			return img
		},
		want: map[string]string{
			"GPT:!err":             "",
			"GPT backup:!err":      `no GPT header (signature "XFI PART")`,
			"GPT backup:!children": "",
		},
	}, {
		name: "backup disagrees with primary",
		change: func(img []byte) []byte {
			h := img[last*512:]
			h[56] ^= 1 // disk GUID
			fixGPTHeaderCRC(h)
			return img
		},
		want: map[string]string{
			"GPT backup:!err":      "backup header disagrees with the primary: disk GUID",
			"GPT backup:disk GUID": "8C6B3F2B-6D51-5B8E-9A33-9C1E0F1F2A3B",
		},
	}, {
		name: "backup LBA points at the primary",
		change: func(img []byte) []byte {
			binary.LittleEndian.PutUint64(img[512+32:], 1)
			fixGPTHeaderCRC(img[512:])
			return img
		},
		want: map[string]string{
			"GPT backup:!err": "is the primary header itself",
		},
	}, {
		name: "header at the wrong LBA, bad header size",
		change: func(img []byte) []byte {
			binary.LittleEndian.PutUint64(img[512+24:], 7)
			binary.LittleEndian.PutUint32(img[512+12:], 600)
			return img
		},
		want: map[string]string{
			"GPT:!err":         "header size 600 is outside 92..512",
			"GPT:header CRC32": fmt.Sprintf("0x%08x (not verified: header size out of range)", binary.LittleEndian.Uint32(img[512+16:])),
			"GPT:current LBA":  "7",
		},
	}, {
		name: "huge entry array is bounded",
		change: func(img []byte) []byte {
			binary.LittleEndian.PutUint32(img[512+80:], 0xFFFFFFFF)
			binary.LittleEndian.PutUint32(img[512+84:], 0x80000000)
			fixGPTHeaderCRC(img[512:])
			return img
		},
		want: map[string]string{
			"GPT:!err":      "larger than 1048576 bytes",
			"GPT:!children": "",
		},
	}, {
		name: "entry size below 128",
		change: func(img []byte) []byte {
			binary.LittleEndian.PutUint32(img[512+84:], 64)
			fixGPTHeaderCRC(img[512:])
			return img
		},
		want: map[string]string{
			"GPT:!err":      "entry size 64 is below the minimum of 128",
			"GPT:!children": "",
		},
	}, {
		name: "entry size not 128 times a power of 2",
		change: func(img []byte) []byte {
			clear(img[512:])
			putGPTPair(img, 512, 8, 136, testGPTEntries)
			return img
		},
		want: map[string]string{
			"GPT:!err":                    "entry size 136 is not 128 times a power of 2",
			"GPT:!children":               "partition 1,partition 2,partition 6",
			"GPT:entries CRC32":           "~0x",
			"GPT/partition 6:name":        "ESP",
			"GPT backup/partition 2:name": "ISOHybrid1",
		},
	}, {
		name: "entries past the end",
		change: func(img []byte) []byte {
			binary.LittleEndian.PutUint64(img[512+72:], 1<<60)
			fixGPTHeaderCRC(img[512:])
			return img
		},
		want: map[string]string{
			"GPT:!err":      "entry array at LBA 1152921504606846976 is past the end",
			"GPT:!children": "",
		},
	}, {
		name: "entry with odd name and extra bytes",
		change: func(img []byte) []byte {
			clear(img[512:])
			ents := []testGPTEntry{{0, string(gpt.LinuxFilesystem), testDiskGUID, 34, 40, 1 << 63, "ISO\x00ybrid"}}
			putGPTPair(img, 512, 4, 256, ents)
			for _, hdr := range []int64{512, int64(len(img)) - 512} {
				arr := int64(binary.LittleEndian.Uint64(img[hdr+72:])) * 512
				img[arr+200] = 9
				fixGPTEntriesCRC(img, 512, hdr)
			}
			return img
		},
		want: map[string]string{
			"GPT:!err":                    "",
			"GPT backup:!err":             "",
			"GPT/partition 1:name":        `"ISO\x00ybrid"`,
			"GPT/partition 1:attributes":  "0x8000000000000000 (no automount)",
			"GPT/partition 1:extra bytes": "128 bytes, @200: 09",
		},
	}, {
		name: "GPT with 2048-byte sectors",
		change: func(img []byte) []byte {
			img = make([]byte, 64*2048)
			img[510], img[511] = 0x55, 0xAA
			putMBREntry(img, 0, 0, 0xee, 1, 64*4-1)
			putGPT(img, 2048, 1, 63, 2, 128, 128, testGPTEntries[2:])
			putGPT(img, 2048, 63, 1, 55, 128, 128, testGPTEntries[2:])
			return img
		},
		want: map[string]string{
			"GPT:!err":                         "",
			"GPT backup:!err":                  "",
			"GPT backup:current LBA":           "63",
			"GPT:sector size":                  "2048",
			"GPT backup:sector size":           "2048",
			"GPT/partition 6:name":             "ESP",
			"MBR/partition 1:type":             "0xee (GPT protective)",
			"GPT backup/partition 6:first LBA": "60",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := tt.change(hybridImage())
			var claims Claims
			root := readSystemArea(bytes.NewReader(img), int64(len(img)), &claims)
			checkRecords(t, root, tt.want)
			checkRecordInvariants(t, root, &claims, int64(len(img)))
		})
	}
}

// checkRecordInvariants holds for any input: every Data readable within the
// image, every claim within it, every error a FormatError.
func checkRecordInvariants(t *testing.T, root *Node, claims *Claims, size int64) {
	t.Helper()
	var walk func(n *Node)
	walk = func(n *Node) {
		if n.Data != nil {
			if n.Data.Size() < 0 || n.Data.Size() > size {
				t.Errorf("%s: data size %d, image %d", n.Name, n.Data.Size(), size)
			} else if _, err := io.Copy(io.Discard, io.NewSectionReader(n.Data, 0, n.Data.Size())); err != nil {
				t.Errorf("%s: reading data: %v", n.Name, err)
			}
		}
		if n.Err != nil {
			var fe *FormatError
			if !errors.As(n.Err, &fe) {
				t.Errorf("%s: error %v is not a FormatError", n.Name, n.Err)
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	for _, cl := range claims.list {
		if cl.Start < 0 || cl.End > size || cl.Len() <= 0 {
			t.Errorf("claim %v %s outside image of %d bytes", cl.Range, cl.what, size)
		}
	}
}

// diskfsMemFile is an in-memory backend.WritableFile for go-diskfs.
type diskfsMemFile struct {
	b   []byte
	pos int64
}

func (m *diskfsMemFile) Stat() (fs.FileInfo, error) { return nil, errors.New("diskfsMemFile: no Stat") }
func (m *diskfsMemFile) Close() error               { return nil }
func (m *diskfsMemFile) Read(p []byte) (int, error) {
	n, err := m.ReadAt(p, m.pos)
	m.pos += int64(n)
	return n, err
}
func (m *diskfsMemFile) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(m.b).ReadAt(p, off)
}
func (m *diskfsMemFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, errors.New("diskfsMemFile: write out of range")
	}
	return copy(m.b[off:], p), nil
}
func (m *diskfsMemFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		m.pos = off
	case io.SeekCurrent:
		m.pos += off
	case io.SeekEnd:
		m.pos = int64(len(m.b)) + off
	}
	return m.pos, nil
}

// TestSystemAreaAgreesWithGoDiskfs checks this parser against go-diskfs on
// tables go-diskfs writes itself: an independent writer and reader.
func TestSystemAreaAgreesWithGoDiskfs(t *testing.T) {
	f := &diskfsMemFile{b: make([]byte, 4<<20)}
	table := &gpt.Table{
		LogicalSectorSize:  512,
		PhysicalSectorSize: 512,
		ProtectiveMBR:      true,
		GUID:               "11223344-5566-7788-99AA-BBCCDDEEFF00",
		Partitions: []*gpt.Partition{
			{Index: 1, Start: 2048, End: 4095, Type: gpt.EFISystemPartition, Name: "EFI system", GUID: "5B8E9A33-9C1E-0F1F-2A3B-8C6B3F2A6D51", Attributes: 1},
			{Index: 3, Start: 4096, End: 8000, Type: gpt.LinuxFilesystem, Name: "root ✓", GUID: "00000000-1111-2222-3333-444444444444"},
		},
	}
	if err := table.Write(f, int64(len(f.b))); err != nil {
		t.Fatal(err)
	}
	var claims Claims
	root := readSystemArea(bytes.NewReader(f.b), int64(len(f.b)), &claims)
	checkRecordInvariants(t, root, &claims, int64(len(f.b)))
	for _, name := range []string{"MBR", "GPT", "GPT backup"} {
		if n := recordAt(root, name); n == nil || n.Err != nil {
			t.Fatalf("%s: missing or broken:\n%s", name, dumpRecords(root))
		}
	}

	theirs, err := gpt.Read(&diskfsMemFile{b: f.b}, 512, 512)
	if err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"GPT", "GPT backup"} {
		n := recordAt(root, side)
		if g, _ := n.Field("disk GUID"); g != theirs.GUID {
			t.Errorf("%s: disk GUID %s, go-diskfs %s", side, g, theirs.GUID)
		}
		if len(n.Children) != len(theirs.Partitions) {
			t.Fatalf("%s: %d partitions, go-diskfs %d", side, len(n.Children), len(theirs.Partitions))
		}
		for _, p := range theirs.Partitions {
			c := n.Child(fmt.Sprintf("partition %d", p.Index))
			if c == nil {
				t.Errorf("%s: no partition %d", side, p.Index)
				continue
			}
			checkRecords(t, c, map[string]string{
				":type GUID":   gptTypeName(string(p.Type)),
				":unique GUID": p.GUID,
				":first LBA":   fmt.Sprint(p.Start),
				":last LBA":    fmt.Sprint(p.End),
				":name":        p.Name,
			})
			if a, _ := c.Field("attributes"); !strings.HasPrefix(a, fmt.Sprintf("0x%016x", p.Attributes)) {
				t.Errorf("%s/%s: attributes %s, go-diskfs 0x%x", side, c.Name, a, p.Attributes)
			}
		}
	}

	mt, err := mbr.Read(&diskfsMemFile{b: f.b}, 512, 512)
	if err != nil {
		t.Fatal(err)
	}
	checkMBRAgainstGoDiskfs(t, root, mt)

	// And on the crafted hybrid MBR.
	img := hybridImage()
	root = readSystemArea(bytes.NewReader(img), int64(len(img)), &Claims{})
	mt, err = mbr.Read(&diskfsMemFile{b: img}, 512, 512)
	if err != nil {
		t.Fatal(err)
	}
	checkMBRAgainstGoDiskfs(t, root, mt)
	if g, _ := recordAt(root, "MBR").Field("disk signature"); g != "0x"+mt.UUID() {
		t.Errorf("disk signature %s, go-diskfs %s", g, mt.UUID())
	}
}

func checkMBRAgainstGoDiskfs(t *testing.T, root *Node, mt *mbr.Table) {
	t.Helper()
	n := recordAt(root, "MBR")
	for _, p := range mt.Partitions {
		c := n.Child(fmt.Sprintf("partition %d", p.Index))
		if p.Type == mbr.Empty && p.Start == 0 && p.Size == 0 && !p.Bootable {
			if c != nil {
				t.Errorf("MBR: empty slot %d listed", p.Index)
			}
			continue
		}
		if c == nil {
			t.Errorf("MBR: partition %d missing", p.Index)
			continue
		}
		status := "0x00 (inactive)"
		if p.Bootable {
			status = "0x80 (active)"
		}
		checkRecords(t, c, map[string]string{
			":status":    status,
			":type":      mbrTypeName(byte(p.Type)),
			":start LBA": fmt.Sprint(p.Start),
			":sectors":   fmt.Sprint(p.Size),
			":CHS start": fmt.Sprintf("%d/%d/%d", int(p.StartCylinder)|int(p.StartSector&0xC0)<<2, p.StartHead, p.StartSector&0x3F),
			":CHS end":   fmt.Sprintf("%d/%d/%d", int(p.EndCylinder)|int(p.EndSector&0xC0)<<2, p.EndHead, p.EndSector&0x3F),
		})
	}
}

// Real images: the fixtures (fixtures/iso/*.iso) and, when xorriso and
// syslinux are installed, an image made here with NixOS' xorriso command
// line. Each is parsed and compared with xorriso's own reading of it
// (-report_el_torito plain -report_system_area plain): the report next to
// a fixture when there is one, else xorriso run now.

// xorrisoReport is what the comparison uses of xorriso's report.
type xorrisoReport struct {
	catalogLBA int64 // -1: no El Torito
	hasMBR     bool
	boot       []xorrisoBootImage
	mbr        map[int][]string // partition number: status, type, start, blocks
	gptGUID    string           // raw hex bytes
	gptArray   []string         // entries LBA, entry count
	gptRange   []string         // first usable, last usable, backup header LBA
	gpt        map[int]map[string][]string
}

type xorrisoBootImage struct {
	fields []string // Pltf B Emul Ld_seg Hdpt Ldsiz LBA
	path   string
}

func parseXorrisoReport(text string) *xorrisoReport {
	rep := &xorrisoReport{catalogLBA: -1, mbr: map[int][]string{}, gpt: map[int]map[string][]string{}}
	for _, line := range strings.Split(text, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(key)
		f := strings.Fields(val)
		num := func() int {
			var n int
			if len(f) > 0 {
				fmt.Sscan(f[0], &n)
			}
			return n
		}
		switch key {
		case "El Torito catalog":
			fmt.Sscan(f[0], &rep.catalogLBA)
		case "El Torito boot img":
			n := num()
			for len(rep.boot) < n {
				rep.boot = append(rep.boot, xorrisoBootImage{})
			}
			rep.boot[n-1].fields = f[1:]
		case "El Torito img path":
			if n := num(); n >= 1 && n <= len(rep.boot) {
				rep.boot[n-1].path = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(val), f[0]))
			}
		case "System area summary":
			rep.hasMBR = strings.Contains(val, "MBR")
		case "MBR partition":
			rep.mbr[num()] = f[1:]
		case "GPT disk GUID":
			rep.gptGUID = f[0]
		case "GPT entry array":
			rep.gptArray = f
		case "GPT lba range":
			rep.gptRange = f
		case "GPT partition name", "GPT partition GUID", "GPT type GUID", "GPT partition flags", "GPT start and size":
			n := num()
			if rep.gpt[n] == nil {
				rep.gpt[n] = map[string][]string{}
			}
			rep.gpt[n][key] = f[1:]
		}
	}
	return rep
}

// rawGUID converts xorriso's hex of the stored GUID bytes to guidString's form.
func rawGUID(t *testing.T, h string) string {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 16 {
		t.Errorf("bad GUID hex %q", h)
		return ""
	}
	return guidString(b)
}

// reportedFiles maps each file's extent to its path and size as xorriso
// reports them (-find / -exec report_lba): the X.lba.txt next to a fixture,
// else xorriso run now. It stands in for what OpenISO passes
// readBootCatalog.
func reportedFiles(t *testing.T, iso string) func(int64) (string, int64, bool) {
	t.Helper()
	text, err := os.ReadFile(strings.TrimSuffix(iso, ".iso") + ".lba.txt")
	if err != nil {
		text, err = exec.Command("xorriso", "-indev", iso, "-find", "/", "-exec", "report_lba", "--").CombinedOutput()
		if err != nil {
			t.Fatalf("xorriso: %v\n%s", err, text)
		}
	}
	type entry struct {
		path string
		size int64
	}
	byExtent := map[int64]entry{}
	for _, line := range strings.Split(string(text), "\n") {
		rest, ok := strings.CutPrefix(line, "File data lba:")
		if !ok {
			continue
		}
		f := strings.SplitN(rest, ",", 5)
		if len(f) != 5 {
			continue
		}
		var lba, size int64
		fmt.Sscan(f[1], &lba)
		fmt.Sscan(f[3], &size)
		path := strings.Trim(strings.TrimSpace(f[4]), "'")
		// Empty files and hard links share extents: keep the first
		// non-empty file at each.
		if old, ok := byExtent[lba*2048]; !ok || old.size == 0 {
			byExtent[lba*2048] = entry{path, size}
		}
	}
	return func(off int64) (string, int64, bool) {
		e, ok := byExtent[off]
		return e.path, e.size, ok
	}
}

// catalogLBAFromBootRecord reads the catalog address from the boot record volume
// descriptor (ISO 9660 sector 17, as xorriso writes it), -1 when none.
func catalogLBAFromBootRecord(img []byte) int64 {
	const off = 17 * 2048
	if len(img) < off+2048 || img[off] != 0 || string(img[off+1:off+6]) != "CD001" ||
		!strings.HasPrefix(string(img[off+7:off+39]), "EL TORITO SPECIFICATION") {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(img[off+71:]))
}

func TestRealImages(t *testing.T) {
	isos, _ := filepath.Glob("../fixtures/iso/*.iso")
	if !testing.Short() {
		if p := makeNixOSLikeISO(t); p != "" {
			isos = append(isos, p)
		}
	}
	if len(isos) == 0 {
		t.Skip("no fixture images in ../fixtures/iso and no xorriso/syslinux to make one")
	}
	for _, p := range isos {
		t.Run(filepath.Base(p), func(t *testing.T) {
			report := xorrisoReportFor(t, p)
			if report == "" {
				t.Skip("no xorriso report next to the image and no xorriso to make one")
			}
			compareWithXorriso(t, p, parseXorrisoReport(report))
		})
	}
}

// xorrisoReportFor returns the report stored next to the image (any file
// named after it holding xorriso's report lines), else runs xorriso.
func xorrisoReportFor(t *testing.T, iso string) string {
	stem := strings.TrimSuffix(iso, ".iso")
	cands, _ := filepath.Glob(stem + "*")
	for _, c := range cands {
		if c == iso || strings.HasSuffix(c, ".iso") {
			continue
		}
		b, err := os.ReadFile(c)
		if err == nil && (bytes.Contains(b, []byte("El Torito catalog")) || bytes.Contains(b, []byte("System area summary"))) {
			return string(b)
		}
	}
	if _, err := exec.LookPath("xorriso"); err != nil {
		return ""
	}
	out, err := exec.Command("xorriso", "-indev", iso, "-report_el_torito", "plain", "-report_system_area", "plain").CombinedOutput()
	if err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	return string(out)
}

// makeNixOSLikeISO builds an image with the xorriso options of nixpkgs'
// make-iso9660-image.sh, or returns "" when the tools are missing.
func makeNixOSLikeISO(t *testing.T) string {
	const isolinux, mbrCode = "/usr/lib/ISOLINUX/isolinux.bin", "/usr/lib/ISOLINUX/isohdpfx.bin"
	if _, err := exec.LookPath("xorriso"); err != nil {
		return ""
	}
	for _, p := range []string{isolinux, mbrCode} {
		if _, err := os.Stat(p); err != nil {
			return ""
		}
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, d := range []string{"isolinux", "boot", "EFI/BOOT"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := os.ReadFile(isolinux)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"isolinux/isolinux.bin": bin,
		"isolinux/isolinux.cfg": []byte("DEFAULT boot\n"),
		// Only the catalog's view of efi.img matters here: any 1440 KiB.
		"boot/efi.img":         bytes.Repeat([]byte("EFIBOOT!"), 1440*1024/8),
		"EFI/BOOT/BOOTX64.EFI": bytes.Repeat([]byte{0xCC}, 100000),
		"version.txt":          []byte("25.05\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "nixos-like.iso")
	cmd := exec.Command("xorriso", "-boot_image", "any", "gpt_disk_guid=8c6b3f2a-6d51-5b8e-9a33-9c1e0f1f2a3b",
		"-volume_date", "all_file_dates", "=315532800",
		"-as", "mkisofs", "-iso-level", "3", "-volid", "NIXOS_TEST", "-appid", "nixos", "-publisher", "nixos",
		"-graft-points", "-full-iso9660-filenames", "-joliet",
		"-eltorito-boot", "isolinux/isolinux.bin", "-eltorito-catalog", ".boot.cat",
		"-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", "--sort-weight", "1", "/isolinux",
		"-isohybrid-mbr", mbrCode,
		"-eltorito-alt-boot", "-e", "boot/efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat",
		"-r", "-o", out, root)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=315532800")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, b)
	}
	return out
}

func compareWithXorriso(t *testing.T, path string, rep *xorrisoReport) {
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(img))
	var claims Claims
	sys := readSystemArea(bytes.NewReader(img), size, &claims)
	checkRecordInvariants(t, sys, &claims, size)
	for _, n := range []*Node{sys, sys.Child("MBR"), sys.Child("GPT"), sys.Child("GPT backup")} {
		if n != nil && n.Err != nil {
			t.Errorf("%s: %v", n.Name, n.Err)
		}
	}

	want := map[string]string{}
	if !rep.hasMBR {
		want["MBR:!absent"] = ""
	}
	for n, f := range rep.mbr {
		p := fmt.Sprintf("MBR/partition %d:", n)
		want[p+"status"] = "~" + f[0]
		want[p+"type"] = "~" + f[1]
		want[p+"start LBA"] = f[2]
		want[p+"sectors"] = f[3]
	}
	if rep.gptGUID != "" {
		for _, side := range []string{"GPT", "GPT backup"} {
			want[side+":disk GUID"] = rawGUID(t, rep.gptGUID)
			want[side+":entry count"] = rep.gptArray[1]
			want[side+":first usable LBA"] = rep.gptRange[0]
			want[side+":last usable LBA"] = rep.gptRange[1]
			for n, f := range rep.gpt {
				p := fmt.Sprintf("%s/partition %d:", side, n)
				name, _ := hex.DecodeString(f["GPT partition name"][0])
				want[p+"name"] = utf16LEName(append(name, 0, 0)[:len(name)&^1])
				want[p+"unique GUID"] = rawGUID(t, f["GPT partition GUID"][0])
				want[p+"type GUID"] = "~" + rawGUID(t, f["GPT type GUID"][0])
				var flags uint64
				fmt.Sscanf(f["GPT partition flags"][0], "0x%x", &flags)
				want[p+"attributes"] = fmt.Sprintf("~0x%016x", flags)
				var start, blocks uint64
				fmt.Sscan(f["GPT start and size"][0], &start)
				fmt.Sscan(f["GPT start and size"][1], &blocks)
				want[p+"first LBA"] = fmt.Sprint(start)
				want[p+"last LBA"] = fmt.Sprint(start + blocks - 1)
			}
		}
		want["GPT:entries LBA"] = rep.gptArray[0]
		want["GPT:backup LBA"] = rep.gptRange[2]
		want["GPT backup:current LBA"] = rep.gptRange[2]
	} else {
		want["GPT:!absent"] = ""
	}
	checkRecords(t, sys, want)

	if rep.catalogLBA < 0 {
		return
	}
	if got := catalogLBAFromBootRecord(img); got != rep.catalogLBA {
		t.Fatalf("boot record says catalog at %d, xorriso %d", got, rep.catalogLBA)
	}
	cat := readBootCatalog(bytes.NewReader(img), size, rep.catalogLBA, reportedFiles(t, path), &claims)
	checkRecordInvariants(t, cat, &claims, size)
	platforms := map[string]string{"BIOS": "0x00 (x86 BIOS)", "PPC": "0x01 (PowerPC)", "Mac": "0x02 (Mac)", "UEFI": "0xEF (UEFI)"}
	emulations := map[string]string{"none": "no emulation", "fd1.2": "1.2M floppy", "fd1.4": "1.44M floppy", "fd2.8": "2.88M floppy", "hd": "hard disk"}
	want = map[string]string{":!err": ""}
	var names []string
	for i, b := range rep.boot {
		name := fmt.Sprintf("entry %d", i+1)
		names = append(names, name)
		p := name + ":"
		f := b.fields
		want[p+"!err"] = ""
		want[p+"platform"] = platforms[f[0]]
		want[p+"bootable"] = map[string]string{"y": "0x88 (bootable)", "n": "0x00 (not bootable)"}[f[1]]
		want[p+"emulation"] = emulations[f[2]]
		want[p+"load segment"] = "~" + strings.ToUpper(strings.TrimPrefix(f[3], "0x"))
		want[p+"system type"] = f[4]
		want[p+"sector count"] = f[5]
		want[p+"load RBA"] = f[6]
		if b.path != "" {
			want[p+"!alias"] = b.path
			want[p+"file"] = b.path
		}
	}
	want[":!children"] = strings.Join(names, ",")
	checkRecords(t, cat, want)
}
