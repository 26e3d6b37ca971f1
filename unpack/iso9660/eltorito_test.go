package iso9660

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
	"strings"
	"testing"
)

// Catalog entries, as the El Torito specification lays them out.

func validationEntry(platform byte, id string) []byte {
	e := make([]byte, 32)
	e[0] = 0x01
	e[1] = platform
	copy(e[4:28], id)
	e[30], e[31] = 0x55, 0xAA
	var sum uint16
	for i := 0; i < 32; i += 2 {
		sum += binary.LittleEndian.Uint16(e[i:])
	}
	binary.LittleEndian.PutUint16(e[28:], -sum)
	return e
}

func bootEntry(indicator, media byte, count uint16, rba uint32) []byte {
	e := make([]byte, 32)
	e[0] = indicator
	e[1] = media
	binary.LittleEndian.PutUint16(e[6:], count)
	binary.LittleEndian.PutUint32(e[8:], rba)
	return e
}

func sectionHeader(indicator, platform byte, n uint16, id string) []byte {
	e := make([]byte, 32)
	e[0] = indicator
	e[1] = platform
	binary.LittleEndian.PutUint16(e[2:], n)
	copy(e[4:], id)
	return e
}

func extensionEntry(flags byte, data string) []byte {
	e := make([]byte, 32)
	e[0] = 0x44
	e[1] = flags
	copy(e[2:], data)
	return e
}

const (
	testCatalogLBA = 20
	testBIOSLBA    = 30
	testEFILBA     = 40
	testImageLBAs  = 1500
)

// catalogImage returns an image of testImageLBAs 2048-byte blocks with the
// given entries at testCatalogLBA, boot images filled with a pattern.
func catalogImage(entries ...[]byte) []byte {
	img := make([]byte, testImageLBAs*2048)
	for i := testBIOSLBA * 2048; i < len(img); i++ {
		img[i] = byte(i / 512)
	}
	off := testCatalogLBA * 2048
	clear(img[off : off+4*2048])
	for _, e := range entries {
		off += copy(img[off:], e)
	}
	return img
}

// xorrisoCatalog is what xorriso writes for NixOS' command line: BIOS
// isolinux.bin (load size 4) as the default entry, efi.img in a final
// UEFI section.
func xorrisoCatalog() [][]byte {
	return [][]byte{
		validationEntry(0, ""),
		bootEntry(0x88, 0, 4, testBIOSLBA),
		sectionHeader(0x91, 0xEF, 1, ""),
		bootEntry(0x88, 0, 16, testEFILBA),
	}
}

// testFiles is the file callback: isolinux.bin and efi.img of the image.
func testFiles(off int64) (string, int64, bool) {
	switch off {
	case testBIOSLBA * 2048:
		return "/isolinux/isolinux.bin", 38912, true
	case testEFILBA * 2048:
		return "/boot/efi.img", 8192, true
	case testCatalogLBA * 2048:
		return "/.boot.cat", 2048, true
	}
	return "", 0, false
}

func TestBootCatalogXorriso(t *testing.T) {
	img := catalogImage(xorrisoCatalog()...)
	var claims layout.Claims
	root := readBootCatalog(bytes.NewReader(img), int64(len(img)), testCatalogLBA, testFiles, &claims)
	want := `[El Torito boot catalog] [record El Torito @40960] positional
  . platform: 0x00 (x86 BIOS)
  . id string: 
  . checksum: 0x55aa
  . key bytes: 55 AA
  entry 1 [record El Torito @61440] data=2048 alias=/isolinux/isolinux.bin
    . section: 0
    . platform: 0x00 (x86 BIOS)
    . bootable: 0x88 (bootable)
    . emulation: no emulation
    . load segment: 0x0000 (0x07C0)
    . system type: 0x00
    . sector count: 4
    . load RBA: 30
    . file: /isolinux/isolinux.bin
    . image size: 2048
  entry 2 [record El Torito @81920] data=8192 alias=/boot/efi.img
    . section: 1
    . platform: 0xEF (UEFI)
    . bootable: 0x88 (bootable)
    . emulation: no emulation
    . load segment: 0x0000 (0x07C0)
    . system type: 0x00
    . sector count: 16
    . load RBA: 40
    . file: /boot/efi.img
    . image size: 8192
`
	if got := testutil.DumpRecords(root); got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
	if strings.Join(root.Order(), ",") != "entry 1,entry 2" {
		t.Errorf("order %v", root.Order())
	}
	wantClaims := []string{
		// The four entries read; the rest of the sector is compared raw.
		"40960+128 El Torito boot catalog",
		"61440+2048 El Torito entry 1 boot image",
		"81920+8192 El Torito entry 2 boot image",
	}
	if got := testutil.ClaimStrings(&claims); strings.Join(got, "\n") != strings.Join(wantClaims, "\n") {
		t.Errorf("claims:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantClaims, "\n"))
	}
	b := make([]byte, 8192)
	if _, err := root.Child("entry 2").Data.ReadAt(b, 0); err != nil || !bytes.Equal(b, img[testEFILBA*2048:][:8192]) {
		t.Errorf("entry 2 data: %v", err)
	}
}

func TestBootCatalog(t *testing.T) {
	many := [][]byte{validationEntry(0, "many"), bootEntry(0x88, 0, 4, testBIOSLBA)}
	// 3 sections of 30 entries: 93 entries in all, into a second sector.
	for s := range 3 {
		ind := byte(0x90)
		if s == 2 {
			ind = 0x91
		}
		many = append(many, sectionHeader(ind, byte(s), 30, fmt.Sprintf("sect%d", s)))
		for i := range 30 {
			many = append(many, bootEntry(0x00, 0, 1, uint32(50+i%10)))
		}
	}
	badSum := validationEntry(0, "")
	badSum[28]++

	tests := []struct {
		name    string
		entries [][]byte
		lba     int64
		cut     int64 // image size, when not the whole
		want    map[string]string
	}{{
		name:    "default entry only, no section header",
		entries: [][]byte{validationEntry(0, "ISOLINUX"), bootEntry(0x88, 0, 4, testBIOSLBA)},
		want: map[string]string{
			":!err":      "",
			":id string": "ISOLINUX",
			":!children": "entry 1",
		},
	}, {
		name:    "bad validation checksum",
		entries: append([][]byte{badSum}, xorrisoCatalog()[1:]...),
		want: map[string]string{
			":!err":      "validation entry checksum 0x55ab: words sum to 0x0001, not 0",
			":checksum":  "0x55ab (bad: words sum to 0x0001, expected 0x55aa)",
			":!children": "entry 1,entry 2",
		},
	}, {
		name:    "no validation entry",
		entries: [][]byte{bootEntry(0x88, 0, 4, testBIOSLBA)},
		want: map[string]string{
			":!err":      "no validation entry (header ID 0x88, key bytes 00 00",
			":key bytes": "00 00 (bad)",
			":header ID": "0x88",
			":!children": "",
		},
	}, {
		name:    "catalog past the end",
		entries: xorrisoCatalog(),
		lba:     testImageLBAs,
		want: map[string]string{
			":!err":      "boot catalog at block 1500 is past the end of the image (3072000 bytes)",
			":!children": "",
		},
	}, {
		name:    "negative catalog LBA",
		entries: xorrisoCatalog(),
		lba:     -1,
		want:    map[string]string{":!err": "past the end"},
	}, {
		name:    "catalog in the last, partial block",
		entries: xorrisoCatalog(),
		cut:     testCatalogLBA*2048 + 64,
		want: map[string]string{
			":!err":                 "boot catalog cut by the end of the image",
			":!children":            "entry 1",
			"entry 1:!err":          "past the end of the image",
			"entry 1:!data":         "nil",
			"entry 1:!nofield=file": "",
		},
	}, {
		name:    "truncated inside the validation entry",
		entries: xorrisoCatalog(),
		cut:     testCatalogLBA*2048 + 20,
		want: map[string]string{
			":!err":      "at byte 40960 (0xa000): boot catalog cut by the end of the image",
			":!children": "",
		},
	}, {
		name: "load RBA past the end",
		entries: [][]byte{
			validationEntry(0, ""),
			bootEntry(0x88, 0, 4, 2000),
			sectionHeader(0x91, 0xEF, 1, ""),
			bootEntry(0x88, 0, 16, testEFILBA),
		},
		want: map[string]string{
			":!err":            "",
			"entry 1:!err":     "entry 1: boot image at block 2000 is past the end of the image (3072000 bytes)",
			"entry 1:!data":    "nil",
			"entry 1:load RBA": "2000",
			"entry 2:!err":     "",
			"entry 2:!data":    "8192",
		},
	}, {
		name: "boot image cut by the end",
		entries: [][]byte{
			validationEntry(0, ""),
			bootEntry(0x88, 0, 8, testImageLBAs-1),
		},
		want: map[string]string{
			"entry 1:!err":       "entry 1: boot image of 4096 bytes at block 1499 is cut by the end of the image after 2048 bytes",
			"entry 1:!data":      "2048",
			"entry 1:image size": "2048",
		},
	}, {
		name: "UEFI count 0 and 1 mean the whole file",
		entries: [][]byte{
			validationEntry(0, ""),
			bootEntry(0x88, 0, 1, testBIOSLBA),
			sectionHeader(0x91, 0xEF, 2, ""),
			bootEntry(0x88, 0, 0, testEFILBA),
			bootEntry(0x88, 0, 0, testEFILBA+1), // no file there
		},
		want: map[string]string{
			"entry 1:!data":         "38912",
			"entry 2:!data":         "8192",
			"entry 2:image size":    "8192",
			"entry 3:!data":         "0",
			"entry 3:!alias":        "",
			"entry 3:!nofield=file": "",
		},
	}, {
		name: "floppy and hard disk emulation",
		entries: [][]byte{
			validationEntry(0, ""),
			bootEntry(0x88, 2, 1, 1),
			sectionHeader(0x91, 0, 2, ""),
			bootEntry(0x88, 4, 1, testEFILBA),
			bootEntry(0x88, 1, 1, 2),
		},
		want: map[string]string{
			"entry 1:emulation": "1.44M floppy",
			"entry 1:!data":     "1474560",
			"entry 2:emulation": "hard disk",
			"entry 2:!data":     "8192",
			"entry 3:emulation": "1.2M floppy",
			"entry 3:!data":     "1228800",
		},
	}, {
		name: "fields of a section entry",
		entries: func() [][]byte {
			e := bootEntry(0x00, 0x40, 4, testEFILBA)
			binary.LittleEndian.PutUint16(e[2:], 0x1000)
			e[4] = 0xEF
			e[5] = 1
			e[12] = 1
			copy(e[13:], "crit")
			return [][]byte{validationEntry(0, ""), bootEntry(0x88, 0, 4, testBIOSLBA), sectionHeader(0x91, 2, 1, "Mac section"), e}
		}(),
		want: map[string]string{
			"entry 2:platform":            "0x02 (Mac)",
			"entry 2:section id":          "Mac section",
			"entry 2:bootable":            "0x00 (not bootable)",
			"entry 2:emulation":           "no emulation, ATAPI driver (0x40)",
			"entry 2:load segment":        "0x1000",
			"entry 2:system type":         "0xef",
			"entry 2:reserved":            "0x01",
			"entry 2:selection criteria":  "type 0x01, 63 72 69 74 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
			"entry 1:!nofield=section id": "",
		},
	}, {
		name: "extensions",
		entries: [][]byte{
			validationEntry(0, ""),
			bootEntry(0x88, 0, 4, testBIOSLBA),
			sectionHeader(0x90, 0xEF, 2, ""),
			bootEntry(0x88, 0x20, 4, testEFILBA),
			extensionEntry(0x20, "first"),
			extensionEntry(0x00, "second"),
			bootEntry(0x88, 0x20, 4, testEFILBA), // extension announced, missing
			sectionHeader(0x91, 0xEF, 1, ""),
			bootEntry(0x88, 0, 4, testEFILBA),
		},
		want: map[string]string{
			":!err":               "",
			":!children":          "entry 1,entry 2,entry 3,entry 4",
			"entry 2:emulation":   "no emulation, extension follows (0x20)",
			"entry 2:extension 1": "~flags 0x20, 66 69 72 73 74 00",
			"entry 2:extension 2": "~flags 0x00, 73 65 63 6f 6e 64 00",
			"entry 3:!err":        "extension entry announced but not found",
			"entry 4:section":     "2",
		},
	}, {
		name:    "many sections across two sectors",
		entries: many,
		want: map[string]string{
			":!err":               "",
			":id string":          "many",
			"entry 91:section":    "3",
			"entry 91:section id": "sect2",
			"entry 91:platform":   "0x02 (Mac)",
			"entry 91:load RBA":   "59",
			"entry 2:platform":    "0x00 (x86 BIOS)",
			"entry 2:bootable":    "0x00 (not bootable)",
			"entry 92:!absent":    "",
		},
	}, {
		name: "count larger than the entries",
		entries: [][]byte{
			validationEntry(0, ""),
			bootEntry(0x88, 0, 4, testBIOSLBA),
			sectionHeader(0x91, 0xEF, 5, ""),
			bootEntry(0x88, 0, 4, testEFILBA),
		},
		want: map[string]string{
			":!err":      "section 1 announces 5 entries, found 1 (then indicator 0x00)",
			":!children": "entry 1,entry 2",
		},
	}, {
		name: "count running into garbage",
		entries: [][]byte{
			validationEntry(0, ""),
			bootEntry(0x88, 0, 4, testBIOSLBA),
			sectionHeader(0x91, 0xEF, 2, ""),
			bootEntry(0x88, 0, 4, testEFILBA),
			bytes.Repeat([]byte{0x77}, 32),
		},
		want: map[string]string{
			":!err":         "section 1 announces 2 entries, found 1 (then indicator 0x77)",
			":unused bytes": "32 nonzero after the last entry",
		},
	}, {
		name: "garbage where a section header belongs",
		entries: [][]byte{
			validationEntry(0, ""),
			bootEntry(0x88, 0, 4, testBIOSLBA),
			bootEntry(0x88, 0, 4, testEFILBA),
		},
		want: map[string]string{
			":!err":      "entry 2: indicator 0x88 where a section header was expected",
			":!children": "entry 1",
		},
	}, {
		name: "truncated catalog",
		entries: [][]byte{
			validationEntry(0, ""),
			bootEntry(0x88, 0, 4, testBIOSLBA),
			sectionHeader(0x91, 0xEF, 3, ""),
			bootEntry(0x88, 0, 4, testEFILBA),
			bootEntry(0x88, 0, 4, testEFILBA),
		},
		cut: testCatalogLBA*2048 + 4*32 + 16,
		want: map[string]string{
			":!err":      "boot catalog cut by the end of the image",
			":!children": "entry 1,entry 2",
		},
	}, {
		name: "invalid boot indicator on the default entry",
		entries: [][]byte{
			validationEntry(0xEF, ""),
			bootEntry(0x89, 0x0F, 4, testBIOSLBA),
		},
		want: map[string]string{
			"entry 1:!err":      "boot indicator 0x89 is neither 0x88 nor 0x00",
			"entry 1:bootable":  "0x89 (invalid)",
			"entry 1:emulation": "unknown (15)",
			"entry 1:platform":  "0xEF (UEFI)",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := catalogImage(tt.entries...)
			if tt.cut > 0 {
				img = img[:tt.cut]
			}
			lba := tt.lba
			if lba == 0 {
				lba = testCatalogLBA
			}
			var claims layout.Claims
			root := readBootCatalog(bytes.NewReader(img), int64(len(img)), lba, testFiles, &claims)
			testutil.CheckRecords(t, root, tt.want)
			testutil.CheckRecordInvariants(t, root, &claims, int64(len(img)))
		})
	}
}

// TestBootCatalogBounded: a catalog of section headers that never ends is
// read for catalogMaxSectors sectors and no further.
func TestBootCatalogBounded(t *testing.T) {
	img := make([]byte, (testCatalogLBA+catalogMaxSectors+8)*2048)
	off := testCatalogLBA * 2048
	off += copy(img[off:], validationEntry(0, ""))
	off += copy(img[off:], bootEntry(0x88, 0, 4, 1))
	for off < len(img) {
		off += copy(img[off:], sectionHeader(0x90, 0, 0, ""))
	}
	var claims layout.Claims
	root := readBootCatalog(bytes.NewReader(img), int64(len(img)), testCatalogLBA, testFiles, &claims)
	testutil.CheckRecords(t, root, map[string]string{
		":!err":      fmt.Sprintf("no final section header within %d sectors", catalogMaxSectors),
		":!children": "entry 1",
	})
	var claimed int64
	for r, what := range claims.All() {
		if strings.Contains(what, "catalog") {
			claimed += r.Len()
		}
	}
	if claimed != catalogMaxSectors*2048 {
		t.Errorf("claimed %d catalog bytes, want %d", claimed, catalogMaxSectors*2048)
	}
}
