package partition

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
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

func TestSystemAreaHybrid(t *testing.T) {
	img := hybridImage()
	var claims layout.Claims
	root := ReadSystemArea(bytes.NewReader(img), int64(len(img)), &claims)
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
	got := testutil.DumpRecords(root)
	if !strings.HasPrefix(got, want) {
		t.Errorf("tree:\n%s\nwant prefix:\n%s", got, want)
	}
	testutil.CheckRecords(t, root, map[string]string{
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
	if r := testutil.RecordAt(root, "MBR"); r == nil || !r.Positional() || strings.Join(r.Order(), ",") != "partition 1,partition 2" {
		t.Errorf("MBR: want positional with order of partitions, got %+v", r)
	}
	if g := testutil.RecordAt(root, "GPT"); g == nil || strings.Join(g.Order(), ",") != "partition 1,partition 2,partition 6" {
		t.Errorf("GPT: order %v", g.Order())
	}
	boot := make([]byte, 440)
	if _, err := testutil.RecordAt(root, "MBR/boot code").Data.ReadAt(boot, 0); err != nil || !bytes.Equal(boot, img[:440]) {
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
	if got := testutil.ClaimStrings(&claims); strings.Join(got, "\n") != strings.Join(wantClaims, "\n") {
		t.Errorf("claims:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantClaims, "\n"))
	}
	// The rest of the header sectors stays unclaimed, to be compared raw.
	un := claims.Unclaimed(int64(len(img)))
	if len(un) != 3 || un[0] != (unpack.Range{Start: 604, End: 1024}) {
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
			var claims layout.Claims
			root := ReadSystemArea(bytes.NewReader(img), int64(len(img)), &claims)
			testutil.CheckRecords(t, root, tt.want)
			testutil.CheckRecordInvariants(t, root, &claims, int64(len(img)))
		})
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
	var claims layout.Claims
	root := ReadSystemArea(bytes.NewReader(f.b), int64(len(f.b)), &claims)
	testutil.CheckRecordInvariants(t, root, &claims, int64(len(f.b)))
	for _, name := range []string{"MBR", "GPT", "GPT backup"} {
		if n := testutil.RecordAt(root, name); n == nil || n.Err != nil {
			t.Fatalf("%s: missing or broken:\n%s", name, testutil.DumpRecords(root))
		}
	}

	theirs, err := gpt.Read(&diskfsMemFile{b: f.b}, 512, 512)
	if err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"GPT", "GPT backup"} {
		n := testutil.RecordAt(root, side)
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
			testutil.CheckRecords(t, c, map[string]string{
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
	root = ReadSystemArea(bytes.NewReader(img), int64(len(img)), &layout.Claims{})
	mt, err = mbr.Read(&diskfsMemFile{b: img}, 512, 512)
	if err != nil {
		t.Fatal(err)
	}
	checkMBRAgainstGoDiskfs(t, root, mt)
	if g, _ := testutil.RecordAt(root, "MBR").Field("disk signature"); g != "0x"+mt.UUID() {
		t.Errorf("disk signature %s, go-diskfs %s", g, mt.UUID())
	}
}

func checkMBRAgainstGoDiskfs(t *testing.T, root *unpack.Node, mt *mbr.Table) {
	t.Helper()
	n := testutil.RecordAt(root, "MBR")
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
		testutil.CheckRecords(t, c, map[string]string{
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
