package iso9660

import (
	"bytes"
	"encoding/binary"
	"errors"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"reflect"
	"strings"
	"testing"
)

func TestReadVolumeDescriptors(t *testing.T) {
	b := newISOBuilder(40)
	root := dirRec([]byte{0}, 21, isoSectorSize, flagDir, nil)
	b.vd(16, vdPrimary, root, 40, "", 10, 19, 20)
	// An El Torito boot record.
	br := b.at(17)
	br[0] = vdBootRecord
	copy(br[1:], "CD001")
	br[6] = 1
	copy(br[7:], "EL TORITO SPECIFICATION")
	binary.LittleEndian.PutUint32(br[71:], 33)
	b.vd(18, vdSupplementary, root, 40, "%/C", 10, 22, 23)
	b.vd(19, vdSupplementary, root, 40, "", 10, 0, 0) // not Joliet
	b.vd(20, vdPrimary, root, 40, "", 10, 0, 0)       // a second primary
	b.terminator(21)
	b.at(16)[883] = 0xab // application use
	b.at(16)[1500] = 7   // a reserved byte

	var c layout.Claims
	n, vi, err := readVolumeDescriptors(bytes.NewReader(b.img), int64(len(b.img)), &c)
	if err != nil {
		t.Fatal(err)
	}
	if n.Name != "[volume descriptors]" || n.Type != unpack.TypeRecord || n.Layer != "iso9660" {
		t.Errorf("node %q %v %q", n.Name, n.Type, n.Layer)
	}
	wantOrder := []string{"primary", "boot record", "supplementary (Joliet)", "supplementary", "primary 2", "terminator"}
	if !reflect.DeepEqual(n.Order(), wantOrder) {
		t.Errorf("order %q, want %q", n.Order(), wantOrder)
	}
	if vi.blockSize != 2048 || vi.spaceSize != 40 || vi.primaryRoot.lba != 21 || vi.bootCatalogLBA != 33 || vi.jolietLevel != 2 || vi.jolietRoot == nil {
		t.Errorf("volume info %+v", vi)
	}
	var refs []string
	for _, r := range vi.pathTables {
		refs = append(refs, r.which)
	}
	if !reflect.DeepEqual(refs, []string{"primary L", "primary M", "Joliet L", "Joliet M"}) {
		t.Errorf("path tables %q", refs)
	}

	p := fieldMap(n.Child("primary"))
	for k, v := range map[string]string{
		"system id": "LINUX", "volume id": "TESTVOL", "publisher id": "PUBLISHER", "volume space size": "40",
		"logical block size": "2048", "path table size": "10", "L path table": "19", "M path table": "20",
		"optional L path table": "0", "root directory extent": "21",
		"creation date": "2000-01-02 03:04:05.00 +00:00", "modification date": "2000-01-02 03:04:05.01 +01:00",
		"expiration date": "unset", "effective date": "unset (zero bytes)", "file structure version": "1",
		"application use": "ab", "unused bytes": "@1500: 07", "volume set size": "1", "volume sequence number": "1",
		"copyright file id": "",
	} {
		if got, ok := p[k]; !ok || got != v {
			t.Errorf("primary %q = %q, want %q", k, got, v)
		}
	}
	if _, ok := p["escape sequences"]; ok {
		t.Errorf("primary has escape sequences")
	}
	j := fieldMap(n.Child("supplementary (Joliet)"))
	if j["escape sequences"] != `"%/C"` || j["volume id"] != "TESTVOL" {
		t.Errorf("Joliet %v", j)
	}
	bf := fieldMap(n.Child("boot record"))
	if bf["boot system id"] != "EL TORITO SPECIFICATION" || bf["catalog LBA"] != "33" {
		t.Errorf("boot record %v", bf)
	}
	if n.Child("primary 2").Err == nil {
		t.Errorf("second primary without Err")
	}
	for i := 16; i <= 21; i++ {
		if unclaimedAt(c.Unclaimed(int64(len(b.img))), int64(i*isoSectorSize)) {
			t.Errorf("descriptor at sector %d unclaimed", i)
		}
	}
}

func TestReadVolumeDescriptorsErrors(t *testing.T) {
	good := func() *isoBuilder {
		b := newISOBuilder(24)
		b.vd(16, vdPrimary, dirRec([]byte{0}, 20, isoSectorSize, flagDir, nil), 24, "", 0, 0, 0)
		b.terminator(17)
		return b
	}
	tests := []struct {
		name    string
		img     func() []byte
		wantErr string // "" for success
		topErr  bool   // Err on the "[volume descriptors]" node
	}{
		{"good", func() []byte { return good().img }, "", false},
		{"not ISO 9660", func() []byte { b := good(); copy(b.at(16)[1:], "CD002"); return b.img }, "no ISO 9660 volume descriptor", false},
		{"zeroed PVD", func() []byte { b := good(); clear(b.at(16)[:isoSectorSize]); return b.img }, "no ISO 9660", false},
		{"zeroed PVD body", func() []byte { b := good(); clear(b.at(16)[7:isoSectorSize]); return b.img }, "logical block size", false},
		{"truncated", func() []byte { return good().img[:16*isoSectorSize+100] }, "no volume descriptor", false},
		{"empty", func() []byte { return nil }, "no volume descriptor", false},
		{"only a boot record", func() []byte {
			b := good()
			b.at(16)[0] = vdBootRecord
			return b.img
		}, "no primary volume descriptor", false},
		{"root record broken", func() []byte { b := good(); b.at(16)[156] = 3; return b.img }, "directory record length", false},
		{"no terminator", func() []byte {
			b := good()
			clear(b.at(17)[:isoSectorSize])
			return b.img
		}, "", true},
		{"terminator past the end", func() []byte { return good().img[:17*isoSectorSize] }, "", true},
		{"block size 512", func() []byte { b := good(); copy(b.at(16)[128:], le16be16(512)); return b.img }, "", false},
		{"block size 4096", func() []byte { b := good(); copy(b.at(16)[128:], le16be16(4096)); return b.img }, "logical block size", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := tt.img()
			n, vi, err := readVolumeDescriptors(bytes.NewReader(img), int64(len(img)), &layout.Claims{})
			if tt.wantErr == "" {
				if err != nil || vi == nil {
					t.Fatalf("err %v", err)
				}
				if (n.Err != nil) != tt.topErr {
					t.Errorf("top Err %v", n.Err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			var fe *unpack.FormatError
			if !errors.As(err, &fe) || fe.Layer != "iso9660" || fe.Offset < 16*isoSectorSize {
				t.Errorf("error %#v is no iso9660 FormatError with an offset", err)
			}
			if vi != nil {
				t.Errorf("volume info with an error")
			}
		})
	}
}

func TestDecDateTime(t *testing.T) {
	for in, want := range map[string]string{
		"2000010100000000\x00":     "2000-01-01 00:00:00.00 +00:00",
		"1999123123595999\x14":     "1999-12-31 23:59:59.99 +05:00",
		"2020061512000000\xfe":     "2020-06-15 12:00:00.00 -00:30",
		"0000000000000000\x00":     "unset",
		strings.Repeat("\x00", 17): "unset (zero bytes)",
		"20000101 0000000\x00":     `invalid "20000101 0000000" offset 0`,
	} {
		if got := decDateTime([]byte(in)); got != want {
			t.Errorf("decDateTime(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIdentifierText(t *testing.T) {
	if got := idText([]byte("ABC   ")); got != "ABC" {
		t.Errorf("idText = %q", got)
	}
	if got := idText([]byte("A\x01B ")); got != `"A\x01B"` {
		t.Errorf("idText unprintable = %q", got)
	}
	if got := idText(make([]byte, 8)); got != "zeros" {
		t.Errorf("idText zeros = %q", got)
	}
	if got := ucs2Text(append(ucs2Pad("Vol ü", 36), ' ')); got != "Vol ü" {
		t.Errorf("ucs2Text = %q", got)
	}
	if got := bin.HexNonZero(bytes.Repeat([]byte{' '}, 10)); got != "spaces" {
		t.Errorf("hexNonZero spaces = %q", got)
	}
	if got := bin.HexNonZero([]byte{0, 1, 0, 0}); got != "0001" {
		t.Errorf("hexNonZero = %q", got)
	}
}
