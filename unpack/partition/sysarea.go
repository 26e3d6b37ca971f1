// Package partition reads the system area of an image: its MBR and GPT.
package partition

// The system area: the first 32 KiB of an ISO image, which ISO 9660 leaves
// to the platform. An isohybrid image (xorriso -isohybrid-mbr, NixOS) puts
// an MBR with syslinux boot code there and, with -isohybrid-gpt-basdat, a GPT
// in 512-byte sectors: header at LBA 1, entry array from LBA 2, and a backup
// header plus array at the end of the image.
//
// The tables are parsed here from the bytes rather than through go-diskfs'
// partition/mbr and partition/gpt readers, which are built to install tables,
// not to describe broken ones:
//   - mbr.Read rejects the whole table when any status byte is neither 0x00
//     nor 0x80, and folds the status into a bool, so a changed status byte
//     could not be shown.
//   - gpt.Read drops everything when the header or entry CRC is wrong and
//     then silently substitutes the backup it finds in the last sector of
//     the image (not the one AlternateLBA names). It keeps the CRCs, the
//     usable LBAs and the entry array location unexported, and its entry
//     decoder is unexported too, so it cannot decode the backup array or the
//     entries of a primary whose CRC is bad. A comparison must show all of
//     these, and show them the same way whether or not the table is valid.
//
// What go-diskfs does give cleanly is used: its partition type constants key
// the name tables below, and the tests hold this parser to mbr.Read and
// gpt.Read on tables that go-diskfs itself writes (sysarea_test.go). Neither
// partition package logs or prints (only the top-level diskfs and disk
// packages import logrus, and they are not imported), so nothing needs
// silencing.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"strings"
	"unicode/utf16"

	"github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/diskfs/go-diskfs/partition/mbr"
)

const (
	layerSystemArea = "system area"
	layerMBR        = "MBR"
	layerGPT        = "GPT"

	mbrSectorSize   = 512
	mbrBootCodeSize = 440
	mbrTableOffset  = 446
	mbrEntrySize    = 16

	gptHeaderSize   = 92  // bytes of a revision 1.0 header, the part claimed
	gptMinEntrySize = 128 // the spec's minimum; larger sizes are 128*2^n
	// gptMaxArrayBytes bounds the entry array read for one header. Real
	// tables hold 16 KiB (128 entries) or, from xorriso, 31 KiB (248
	// entries); anything near 1 MiB is corrupt, and reading it would let a
	// header of a few bytes make us allocate gigabytes.
	gptMaxArrayBytes = 1 << 20
)

var gptSignature = []byte("EFI PART")

// readSystemArea parses the system area of an ISO image (the first 32 KiB):
// the MBR and, when present, the GPT (primary header at LBA 1 (512-byte
// sectors) and the backup header its AlternateLBA points at, plus both entry
// arrays). It never fails as a whole: what is broken is recorded in Node.Err
// of the node concerned.
//
// Only the structures are claimed (the 512-byte MBR, 92 bytes of each GPT
// header, each entry array): everything else in the system area, the rest
// of the header sectors included, is left to be compared as raw bytes.
func ReadSystemArea(r io.ReaderAt, size int64, claims *layout.Claims) *unpack.Node {
	root := &unpack.Node{Name: "[system area]", Type: unpack.TypeRecord, Layer: layerSystemArea, Offset: 0}
	size = max(size, 0)
	// Every read below goes through sr so that nothing past size is
	// parsed, whatever r would return there; Data sections use r itself,
	// always within [0, size).
	sr := io.NewSectionReader(r, 0, size)

	var sector [mbrSectorSize]byte
	if err := bin.ReadFull(sr, sector[:], 0, layerSystemArea, "MBR sector"); err != nil {
		root.Err = err
		return root
	}
	if sector[510] == 0x55 && sector[511] == 0xAA {
		root.Children = append(root.Children, readMBR(r, &sector, claims))
	} else {
		root.AddField("MBR signature", "none (bytes 510-511 are %02X %02X)", sector[510], sector[511])
	}

	// The isohybrid layout has 512-byte GPT sectors; a GPT with 2048-byte
	// sectors (header at byte 2048) is looked for only when there is none.
	for _, ss := range []int64{512, 2048} {
		var sig [8]byte
		if _, err := sr.ReadAt(sig[:], ss); err != nil || !bytes.Equal(sig[:], gptSignature) {
			continue
		}
		primary, hdr := readGPT(sr, size, "GPT", ss, ss, claims)
		root.Children = append(root.Children, primary)
		if hdr != nil {
			root.Children = append(root.Children, readGPTBackup(sr, size, hdr, claims))
		}
		break
	}
	root.Sort()
	return root
}

// readMBR describes the MBR in sector, which has the 55 AA signature.
func readMBR(r io.ReaderAt, sector *[mbrSectorSize]byte, claims *layout.Claims) *unpack.Node {
	n := &unpack.Node{Name: "MBR", Type: unpack.TypeRecord, Layer: layerMBR, Offset: 0}
	n.SetPositional(true)
	n.AddRoleField(roleDiskSignature, "disk signature", "0x%08x", binary.LittleEndian.Uint32(sector[440:]))
	// 0x5A5A here marks the disk copy-protected; xorriso writes zeros.
	n.AddField("copy protect", "0x%04x", binary.LittleEndian.Uint16(sector[444:]))
	n.AddField("boot signature", "55 AA")
	claims.Add(0, mbrBootCodeSize, "MBR boot code")
	claims.Add(mbrBootCodeSize, mbrTableOffset-mbrBootCodeSize, "MBR disk signature and copy protect")
	claims.Add(mbrTableOffset, 4*mbrEntrySize, "MBR partition table")
	claims.Add(510, 2, "MBR boot signature")

	n.Children = append(n.Children, &unpack.Node{
		Name:   "boot code",
		Type:   unpack.TypeRecord,
		Layer:  layerMBR,
		Offset: 0,
		Data:   io.NewSectionReader(r, 0, mbrBootCodeSize),
	})
	for i := range 4 {
		off := mbrTableOffset + i*mbrEntrySize
		e := sector[off : off+mbrEntrySize]
		// An all-zero slot is empty; one with only a zero type is not
		// (isohybrid's partition 1 is status 0x80, type 0x00).
		if bin.AllZero(e) {
			continue
		}
		name := fmt.Sprintf("partition %d", i+1)
		p := &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: layerMBR, Offset: int64(off)}
		switch e[0] {
		case 0x80:
			p.AddField("status", "0x80 (active)")
		case 0x00:
			p.AddField("status", "0x00 (inactive)")
		default:
			p.AddField("status", "0x%02x (invalid)", e[0])
			p.Err = unpack.Errorf(layerMBR, int64(off), "partition %d: status byte 0x%02x is neither 0x80 nor 0x00", i+1, e[0])
		}
		p.AddField("type", "%s", mbrTypeName(e[4]))
		p.AddRoleField(unpack.RolePlacement, "start LBA", "%d", binary.LittleEndian.Uint32(e[8:]))
		p.AddField("sectors", "%d", binary.LittleEndian.Uint32(e[12:]))
		p.AddField("CHS start", "%s", chs(e[1:4]))
		p.AddField("CHS end", "%s", chs(e[5:8]))
		n.Children = append(n.Children, p)
		n.AddOrder(name)
	}
	return n
}

// chs decodes a packed cylinder/head/sector address: head, then sector in
// the low 6 bits with cylinder bits 8-9 above it, then cylinder bits 0-7.
func chs(b []byte) string {
	c := int(b[2]) | int(b[1]&0xC0)<<2
	return fmt.Sprintf("%d/%d/%d", c, b[0], b[1]&0x3F)
}

var mbrTypeNames = map[mbr.Type]string{
	mbr.Empty:         "empty",
	mbr.Fat12:         "FAT12",
	mbr.Fat16:         "FAT16 <32M",
	mbr.ExtendedCHS:   "Extended",
	mbr.Fat16b:        "FAT16",
	mbr.NTFS:          "HPFS/NTFS/exFAT",
	mbr.Fat32CHS:      "W95 FAT32",
	mbr.Fat32LBA:      "W95 FAT32 (LBA)",
	mbr.Fat16bLBA:     "W95 FAT16 (LBA)",
	mbr.ExtendedLBA:   "W95 Extended (LBA)",
	0x17:              "Hidden HPFS/NTFS", // isohybrid without GPT
	mbr.LinuxSwap:     "Linux swap",
	mbr.Linux:         "Linux",
	mbr.LinuxExtended: "Linux extended",
	mbr.LinuxLVM:      "Linux LVM",
	mbr.Iso9660:       "ISO9660",
	0xa5:              "FreeBSD",
	mbr.MacOSXBoot:    "Darwin boot",
	mbr.HFS:           "HFS / HFS+",
	0xcd:              "ISO9660 (grub-mkrescue)",
	mbr.GPTProtective: "GPT protective",
	mbr.EFISystem:     "EFI System",
	0xfd:              "Linux RAID",
}

func mbrTypeName(t byte) string {
	if name, ok := mbrTypeNames[mbr.Type(t)]; ok {
		return fmt.Sprintf("0x%02x (%s)", t, name)
	}
	return fmt.Sprintf("0x%02x", t)
}

// gptHeader is the decoded part of a GPT header that the backup and the
// entry array depend on.
type gptHeader struct {
	off                      int64 // byte offset of the header
	ss                       int64 // sector size
	current, alternate       uint64
	firstUsable, lastUsable  uint64
	diskGUID                 [16]byte
	entriesLBA               uint64
	entryCount, entrySize    uint32
	entriesCRC               uint32
	entriesComputedCRC       uint32 // valid when the whole array was read
	entriesRead, entriesWant int64
}

// readGPT reads the GPT header at byte off (sector size ss) and its entry
// array. The header is returned when its signature is there, even when
// other things are wrong with it, so that the backup can still be looked
// for; the node records what is wrong.
func readGPT(r io.ReaderAt, size int64, name string, off, ss int64, claims *layout.Claims) (*unpack.Node, *gptHeader) {
	n := &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: layerGPT, Offset: off}
	n.SetPositional(true)
	sector := make([]byte, ss)
	if err := bin.ReadFull(r, sector, off, layerGPT, "GPT header sector"); err != nil {
		// A header sector cut by the end of the image is still read as
		// far as it goes, when the fixed part of the header is there.
		k, _ := r.ReadAt(sector, off)
		if k < gptHeaderSize {
			n.Err = err
			return n, nil
		}
		n.AddErr(err)
		sector = sector[:k]
	}
	if !bytes.Equal(sector[:8], gptSignature) {
		n.Err = unpack.Errorf(layerGPT, off, "no GPT header (signature %q)", sector[:8])
		return n, nil
	}
	claims.Addf(off, gptHeaderSize, "%s header", name)

	le := binary.LittleEndian
	h := &gptHeader{
		off:         off,
		ss:          ss,
		current:     le.Uint64(sector[24:]),
		alternate:   le.Uint64(sector[32:]),
		firstUsable: le.Uint64(sector[40:]),
		lastUsable:  le.Uint64(sector[48:]),
		entriesLBA:  le.Uint64(sector[72:]),
		entryCount:  le.Uint32(sector[80:]),
		entrySize:   le.Uint32(sector[84:]),
		entriesCRC:  le.Uint32(sector[88:]),
	}
	copy(h.diskGUID[:], sector[56:72])

	if ss != mbrSectorSize {
		n.AddField("sector size", "%d", ss)
	}
	rev := le.Uint32(sector[8:])
	n.AddField("revision", "%d.%d (0x%08x)", rev>>16, rev&0xFFFF, rev)
	hsize := le.Uint32(sector[12:])
	n.AddField("header size", "%d", hsize)
	stored := le.Uint32(sector[16:])
	if hsize < gptHeaderSize || int64(hsize) > int64(len(sector)) {
		n.AddField("header CRC32", "0x%08x (not verified: header size out of range)", stored)
		n.AddErr(unpack.Errorf(layerGPT, off+12, "header size %d is outside %d..%d", hsize, gptHeaderSize, len(sector)))
	} else {
		hb := bytes.Clone(sector[:hsize])
		clear(hb[16:20])
		if computed := crc32.ChecksumIEEE(hb); computed != stored {
			n.AddField("header CRC32", "0x%08x (bad, computed 0x%08x)", stored, computed)
			n.AddErr(unpack.Errorf(layerGPT, off+16, "header CRC32 0x%08x, computed 0x%08x", stored, computed))
		} else {
			n.AddRoleField(unpack.RoleDerived, "header CRC32", "0x%08x", stored)
		}
	}
	if res := le.Uint32(sector[20:]); res != 0 {
		n.AddField("reserved", "0x%08x", res)
	}
	n.AddField("current LBA", "%d", h.current)
	if name == "GPT" {
		n.AddField("backup LBA", "%d", h.alternate)
	} else {
		// In a backup header AlternateLBA points back at the primary.
		n.AddField("primary LBA", "%d", h.alternate)
	}
	n.AddField("first usable LBA", "%d", h.firstUsable)
	n.AddField("last usable LBA", "%d", h.lastUsable)
	n.AddRoleField(roleGUID, "disk GUID", "%s", guidString(h.diskGUID[:]))
	n.AddField("entries LBA", "%d", h.entriesLBA)
	n.AddField("entry count", "%d", h.entryCount)
	n.AddField("entry size", "%d", h.entrySize)
	if uint64(off) != h.current*uint64(ss) {
		n.AddErr(unpack.Errorf(layerGPT, off+24, "header at LBA %d says its LBA is %d", off/ss, h.current))
	}

	readGPTEntries(r, size, n, h, claims)
	switch {
	case h.entriesRead != h.entriesWant || h.entriesWant == 0:
		n.AddField("entries CRC32", "0x%08x (not verified)", h.entriesCRC)
	case h.entriesComputedCRC != h.entriesCRC:
		n.AddField("entries CRC32", "0x%08x (bad, computed 0x%08x)", h.entriesCRC, h.entriesComputedCRC)
		n.AddErr(unpack.Errorf(layerGPT, off+88, "entry array CRC32 0x%08x, computed 0x%08x", h.entriesCRC, h.entriesComputedCRC))
	default:
		n.AddRoleField(unpack.RoleDerived, "entries CRC32", "0x%08x", h.entriesCRC)
	}
	return n, h
}

// readGPTEntries reads the entry array of h into children of n, as far as
// it can be read.
func readGPTEntries(r io.ReaderAt, size int64, n *unpack.Node, h *gptHeader, claims *layout.Claims) {
	esize := int64(h.entrySize)
	if esize < gptMinEntrySize {
		n.AddErr(unpack.Errorf(layerGPT, h.off+84, "entry size %d is below the minimum of %d", esize, gptMinEntrySize))
		return
	}
	if esize&(esize-1) != 0 {
		// Not 128*2^n: odd, but the entries can still be read.
		n.AddErr(unpack.Errorf(layerGPT, h.off+84, "entry size %d is not 128 times a power of 2", esize))
	}
	// Both factors are below 2^32, so the product fits a uint64 but not
	// always an int64: it is bounded before it is used as one.
	wantU := uint64(h.entryCount) * uint64(esize)
	if wantU == 0 {
		return
	}
	want := int64(min(wantU, 1<<62))
	h.entriesWant = want
	if h.entriesLBA >= uint64((size+h.ss-1)/h.ss) {
		n.AddErr(unpack.Errorf(layerGPT, h.off+72, "entry array at LBA %d is past the end of the image (%d bytes)", h.entriesLBA, size))
		return
	}
	off := int64(h.entriesLBA) * h.ss
	length := want
	if length > gptMaxArrayBytes {
		n.AddErr(unpack.Errorf(layerGPT, h.off+80, "entry array of %d x %d bytes is larger than %d bytes: only the first %d bytes are read", h.entryCount, esize, gptMaxArrayBytes, gptMaxArrayBytes))
		length = gptMaxArrayBytes
	}
	if rest := size - off; length > rest {
		n.AddErr(unpack.Errorf(layerGPT, off+rest, "entry array of %d bytes is cut by the end of the image after %d bytes", want, rest))
		length = rest
	}
	b := make([]byte, length)
	if err := bin.ReadFull(r, b, off, layerGPT, "GPT entry array"); err != nil {
		n.AddErr(err)
		return
	}
	h.entriesRead = length
	if length == want {
		h.entriesComputedCRC = crc32.ChecksumIEEE(b)
	}
	// Whole entries only: a partial one at the end of a cut array is not
	// decoded.
	claims.Addf(off, length/esize*esize, "%s entry array", n.Name)

	for i := int64(0); (i+1)*esize <= length; i++ {
		e := b[i*esize : (i+1)*esize]
		// The spec calls an entry unused when its type GUID is zero; one
		// with any other byte set is still shown, since its bytes are
		// claimed and would otherwise not be compared at all.
		if bin.AllZero(e) {
			continue
		}
		name := fmt.Sprintf("partition %d", i+1)
		n.Children = append(n.Children, gptEntryNode(name, e, off+i*esize))
		n.AddOrder(name)
	}
}

func gptEntryNode(name string, e []byte, off int64) *unpack.Node {
	le := binary.LittleEndian
	p := &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: layerGPT, Offset: off}
	typeGUID := guidString(e[0:16])
	p.AddRoleField(roleGUID, "type GUID", "%s", gptTypeName(typeGUID))
	p.AddRoleField(roleGUID, "unique GUID", "%s", guidString(e[16:32]))
	p.AddRoleField(unpack.RolePlacement, "first LBA", "%d", le.Uint64(e[32:]))
	p.AddRoleField(unpack.RolePlacement, "last LBA", "%d", le.Uint64(e[40:]))
	p.AddField("attributes", "%s", gptAttributes(le.Uint64(e[48:]), gpt.Type(typeGUID)))
	p.AddField("name", "%s", show.Quote(utf16LEName(e[56:128])))
	if !bin.UTF16Exact(e[56:128], le) {
		// Unpaired surrogates, which the name shows as U+FFFD.
		p.AddField("name (bytes)", "%x", e[56:128])
	}
	if extra := e[128:]; !bin.AllZero(extra) {
		p.AddField("extra bytes", "%d bytes, %s", len(extra), bin.UnusedBytes(e, 128, len(e)))
	}
	return p
}

// readGPTBackup reads the backup header that the primary h points at. The
// node is there whenever there is a primary, so that a missing or broken
// backup shows as an error rather than as nothing.
func readGPTBackup(r io.ReaderAt, size int64, h *gptHeader, claims *layout.Claims) *unpack.Node {
	const name = "GPT backup"
	lastLBA := uint64(size/h.ss) - 1
	if size < h.ss || h.alternate > lastLBA {
		off := int64(-1)
		if h.alternate <= uint64(1<<62)/uint64(h.ss) {
			off = int64(h.alternate) * h.ss
		}
		return &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: layerGPT, Offset: off,
			Err: unpack.Errorf(layerGPT, h.off+32, "backup header at LBA %d is past the end of the image (last LBA %d)", h.alternate, lastLBA)}
	}
	off := int64(h.alternate) * h.ss
	if h.alternate == h.current || off == h.off {
		return &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: layerGPT, Offset: off,
			Err: unpack.Errorf(layerGPT, h.off+32, "backup LBA %d is the primary header itself", h.alternate)}
	}
	n, b := readGPT(r, size, name, off, h.ss, claims)
	if b == nil {
		return n
	}
	// The backup must describe the same disk as the primary (UEFI 2.10
	// 5.3.2); where it does not, firmware and tools disagree on which to
	// use, which is worth saying even when both CRCs are right.
	var diffs []string
	if b.alternate != h.current {
		diffs = append(diffs, fmt.Sprintf("primary LBA %d, primary is at %d", b.alternate, h.current))
	}
	if b.diskGUID != h.diskGUID {
		diffs = append(diffs, "disk GUID")
	}
	if b.firstUsable != h.firstUsable || b.lastUsable != h.lastUsable {
		diffs = append(diffs, "usable LBAs")
	}
	if b.entryCount != h.entryCount || b.entrySize != h.entrySize {
		diffs = append(diffs, "entry count or size")
	}
	if b.entriesCRC != h.entriesCRC {
		diffs = append(diffs, "entry array CRC")
	}
	if len(diffs) > 0 {
		n.AddErr(unpack.Errorf(layerGPT, off, "backup header disagrees with the primary: %s", strings.Join(diffs, ", ")))
	}
	return n
}

// guidString formats a GUID stored mixed-endian (the first three groups
// little-endian), upper-case as fdisk and gdisk print it.
func guidString(b []byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("%08X-%04X-%04X-%X-%X", le.Uint32(b[0:]), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8:10], b[10:16])
}

var gptTypeNames = map[gpt.Type]string{
	gpt.Unused:                   "unused",
	gpt.MicrosoftBasicData:       "Basic data",
	gpt.EFISystemPartition:       "EFI System",
	gpt.BIOSBoot:                 "BIOS boot",
	gpt.MBRPartitionScheme:       "MBR partition scheme",
	gpt.MicrosoftReserved:        "Microsoft reserved",
	gpt.MicrosoftWindowsRecovery: "Windows recovery",
	gpt.LinuxFilesystem:          "Linux filesystem",
	gpt.LinuxSwap:                "Linux swap",
	gpt.LinuxRootX86:             "Linux root (x86)",
	gpt.LinuxRootX86_64:          "Linux root (x86-64)",
	gpt.LinuxRootArm:             "Linux root (ARM)",
	gpt.LinuxRootArm64:           "Linux root (ARM-64)",
	gpt.LinuxHome:                "Linux home",
	gpt.LinuxRAID:                "Linux RAID",
	gpt.LinuxLVM:                 "Linux LVM",
	gpt.LinuxLUKS:                "Linux LUKS",
	gpt.LinuxDMCrypt:             "Linux dm-crypt",
	gpt.LinuxExtendedBoot:        "Linux extended boot",
	gpt.LinuxReserved:            "Linux reserved",
	gpt.PowerPCPRePBoot:          "PowerPC PReP boot",
	gpt.AppleHFS:                 "Apple HFS+",
	gpt.AppleAPFS:                "Apple APFS",
	gpt.AppleBoot:                "Apple boot",
	gpt.FreeBSDBoot:              "FreeBSD boot",
	gpt.FreeBSDData:              "FreeBSD data",
	gpt.FreeBSDUFS:               "FreeBSD UFS",
	gpt.FreeBSDZFS:               "FreeBSD ZFS",
}

func gptTypeName(guid string) string {
	if name, ok := gptTypeNames[gpt.Type(guid)]; ok {
		return guid + " (" + name + ")"
	}
	return guid
}

// gptAttributes formats the attribute bits: bits 0-2 are defined for every
// partition, bits 48-63 by the partition type (here: Microsoft's, which
// xorriso sets on its "Basic data" entries, and the Linux types' which
// reuse bits 60, 62 and 63).
func gptAttributes(a uint64, t gpt.Type) string {
	if a == 0 {
		return "0x0000000000000000"
	}
	var names []string
	for bit := range 64 {
		if a&(1<<bit) == 0 {
			continue
		}
		switch {
		case bit == 0:
			names = append(names, "required")
		case bit == 1:
			names = append(names, "no block IO")
		case bit == 2:
			names = append(names, "legacy BIOS bootable")
		case bit >= 60 && (t == gpt.MicrosoftBasicData || strings.HasPrefix(gptTypeNames[t], "Linux")):
			names = append(names, [...]string{"read-only", "shadow copy", "hidden", "no automount"}[bit-60])
		default:
			names = append(names, fmt.Sprintf("bit %d", bit))
		}
	}
	return fmt.Sprintf("0x%016x (%s)", a, strings.Join(names, ", "))
}

// utf16LEName decodes a NUL-padded UTF-16LE name; only the trailing NULs are
// dropped, so that bytes after an embedded NUL still show.
func utf16LEName(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

// roleGUID marks the GUIDs a partitioning tool makes up unless told them.
var roleGUID = &unpack.Role{Kind: unpack.Identity, Cause: "GPT GUID", NamesField: true}

// roleDiskSignature marks the MBR's disk signature, which partitioning
// tools make up (xorriso from the volume's creation time) unless told one.
var roleDiskSignature = &unpack.Role{Kind: unpack.Identity, Cause: "MBR disk signature"}
