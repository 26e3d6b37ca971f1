package iso9660

// The El Torito boot catalog ("El Torito" Bootable CD-ROM Format
// Specification 1.0, 1995): 32-byte entries in 2048-byte sectors. A
// validation entry, the initial/default entry, then sections: a header
// (0x90, or 0x91 for the last) announcing how many entries follow, the
// entries, each maybe followed by extension entries (0x44). xorriso writes
// the BIOS image as the default entry and each further image (UEFI:
// platform 0xEF) in a section of its own.
//
// go-diskfs has no El Torito reader (its iso9660 package shows the catalog
// as a plain file), so all of this is parsed here.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"math"
	"strings"
)

// catalogName is the boot catalog's node.
const catalogName = "[El Torito boot catalog]"

const (
	layerElTorito = "El Torito"

	catalogSectorSize = 2048
	catalogEntrySize  = 32
	// catalogMaxSectors bounds a catalog that continues past its first
	// sector. xorriso allows 32 boot images (two sectors at most); 64
	// sectors is 4096 entries, far beyond anything real, and keeps a
	// corrupt entry count from reading the whole image.
	catalogMaxSectors = 64

	entryValidation    = 0x01
	entryBootable      = 0x88
	entryNotBootable   = 0x00
	entryHeaderMore    = 0x90
	entryHeaderFinal   = 0x91
	entryExtension     = 0x44
	extensionFollows   = 0x20 // bit 5 of a section entry's media byte or an extension's byte 1
	defaultLoadSegment = 0x07C0
)

// readBootCatalog parses the El Torito boot catalog at catalogLBA (in
// 2048-byte blocks). file reports the ISO file, if any, whose extent starts
// at a given byte offset: its path and size.
//
// It never fails as a whole: a catalog that cannot be read is a node with
// Err, an entry whose image cannot be read is an entry with Err, and the
// other entries are still returned.
func readBootCatalog(r io.ReaderAt, size int64, catalogLBA int64, file func(off int64) (path string, size int64, ok bool), claims *layout.Claims) *unpack.Node {
	root, _ := readBootCatalogAddresses(r, size, catalogLBA, file, claims)
	return root
}

// readBootCatalogAddresses is readBootCatalog that also says where in the
// catalog its entries' load addresses are, offsets from its start.
func readBootCatalogAddresses(r io.ReaderAt, size int64, catalogLBA int64, file func(off int64) (path string, size int64, ok bool), claims *layout.Claims) (*unpack.Node, []unpack.Range) {
	size = max(size, 0)
	root := &unpack.Node{Name: catalogName, Type: unpack.TypeRecord, Layer: layerElTorito, Offset: -1}
	root.SetPositional(true)
	defer root.Sort() // Order keeps the catalog order
	if catalogLBA >= 0 && catalogLBA <= math.MaxInt64/catalogSectorSize {
		root.Offset = catalogLBA * catalogSectorSize
	}
	if catalogLBA < 0 || catalogLBA >= (size+catalogSectorSize-1)/catalogSectorSize {
		root.Err = unpack.Errorf(layerElTorito, max(root.Offset, 0), "boot catalog at block %d is past the end of the image (%d bytes)", catalogLBA, size)
		return root, nil
	}
	c := &catalog{img: r, r: io.NewSectionReader(r, 0, size), start: root.Offset, claims: claims}

	v, err := c.entry(0)
	if err != nil {
		root.Err = err
		return root, nil
	}
	platform := v[1]
	root.AddField("platform", "%s", platformName(platform))
	root.AddField("id string", "%s", show.Quote(trimID(v[4:28])))
	if !idPaddingZero(v[4:28]) {
		root.AddField("id string (bytes)", "%x", v[4:28])
	}
	var sum uint16
	for i := 0; i < catalogEntrySize; i += 2 {
		sum += binary.LittleEndian.Uint16(v[i:])
	}
	stored := binary.LittleEndian.Uint16(v[28:])
	if sum == 0 {
		root.AddField("checksum", "0x%04x", stored)
	} else {
		// The stored word that would have made the sum zero.
		root.AddField("checksum", "0x%04x (bad: words sum to 0x%04x, expected 0x%04x)", stored, sum, stored-sum)
		root.AddErr(unpack.Errorf(layerElTorito, root.Offset+28, "validation entry checksum 0x%04x: words sum to 0x%04x, not 0", stored, sum))
	}
	if v[30] == 0x55 && v[31] == 0xAA {
		root.AddField("key bytes", "55 AA")
	} else {
		root.AddField("key bytes", "%02X %02X (bad)", v[30], v[31])
	}
	if v[2] != 0 || v[3] != 0 {
		root.AddField("reserved", "%02X %02X", v[2], v[3])
	}
	if v[0] != entryValidation || v[30] != 0x55 || v[31] != 0xAA {
		// Without its header ID and key bytes this is not a catalog:
		// reading boot entries out of it would invent them.
		root.AddField("header ID", "0x%02x", v[0])
		root.AddErr(unpack.Errorf(layerElTorito, root.Offset, "no validation entry (header ID 0x%02x, key bytes %02X %02X; want 0x01 and 55 AA)", v[0], v[30], v[31]))
		// Nor is anything claimed: its bytes are left to be compared raw.
		return root, nil
	}

	// The initial/default entry, with the validation entry's platform.
	d, err := c.entry(1)
	if err != nil {
		root.AddErr(err)
		c.finish(root, 1)
		return root, c.addresses
	}
	c.addEntry(root, d, 1, 0, platform, "", size, file)

	// Sections. The header count is trusted only as far as the entries
	// look like entries, so that a wrong count ends the catalog instead of
	// turning padding or garbage into boot images.
	idx := 2
	section := 0
	final := false
	lastHeader := -1 // catalog index of the last section header
	for !final {
		h, err := c.entry(idx)
		if err != nil {
			if err == errCatalogEnd {
				err = unpack.Errorf(layerElTorito, c.off(idx), "no final section header within %d sectors", catalogMaxSectors)
			}
			root.AddErr(err)
			break
		}
		switch h[0] {
		case entryHeaderMore, entryHeaderFinal:
		case 0x00:
			// Zero padding where a header could be: the catalog has
			// ended without a final header (writers with only the
			// default entry do this). A zero byte with anything else
			// in the entry is neither padding nor a header.
			if !bin.AllZero(h) {
				root.AddErr(unpack.Errorf(layerElTorito, c.off(idx), "entry %d: not a section header (indicator 0x00 with nonzero bytes)", idx))
			}
			final = true
			continue
		default:
			root.AddErr(unpack.Errorf(layerElTorito, c.off(idx), "entry %d: indicator 0x%02x where a section header was expected", idx, h[0]))
			final = true
			continue
		}
		lastHeader = idx
		final = h[0] == entryHeaderFinal
		section++
		count := int(binary.LittleEndian.Uint16(h[2:]))
		id := trimID(h[4:32])
		hplatform := h[1]
		if count == 0 {
			// Its platform and ID show nowhere else.
			root.AddField(fmt.Sprintf("section %d", section), "no entries, platform %s, id %s", platformName(hplatform), show.Quote(id))
		}
		if !idPaddingZero(h[4:32]) {
			root.AddField(fmt.Sprintf("section %d id (bytes)", section), "%x", h[4:32])
		}
		idx++
		for k := 0; k < count; k++ {
			e, err := c.entry(idx)
			if err != nil {
				if err == errCatalogEnd {
					err = unpack.Errorf(layerElTorito, c.off(idx), "section %d announces %d entries, the catalog ends after %d", section, count, k)
				}
				root.AddErr(err)
				final = true
				break
			}
			// An all-zero entry is padding, not a non-bootable image at
			// block 0: a count running into it is wrong.
			if (e[0] != entryBootable && e[0] != entryNotBootable) || bin.AllZero(e) {
				root.AddErr(unpack.Errorf(layerElTorito, c.off(idx), "section %d announces %d entries, found %d (then indicator 0x%02x)", section, count, k, e[0]))
				final = true
				break
			}
			n := c.addEntry(root, e, idx, section, hplatform, id, size, file)
			idx++
			// Extensions belong to the entry before them and are not
			// counted in the header's entry count.
			more := e[1]&extensionFollows != 0
			for ext := 1; ; ext++ {
				x, err := c.entry(idx)
				if err != nil || x[0] != entryExtension {
					if more {
						n.AddErr(unpack.Errorf(layerElTorito, c.off(idx), "extension entry announced but not found"))
					}
					break
				}
				n.AddField(fmt.Sprintf("extension %d", ext), "flags 0x%02x, % x", x[1], x[2:])
				more = x[1]&extensionFollows != 0
				idx++
			}
		}
	}
	// A header 0x90 says another section follows; the last one must be
	// 0x91 (a 0x91 before the end ends the catalog there).
	if lastHeader >= 0 && c.buf[lastHeader*catalogEntrySize] != entryHeaderFinal {
		root.AddField(fmt.Sprintf("section %d header", section), "0x%02x (last section)", c.buf[lastHeader*catalogEntrySize])
	}
	c.finish(root, idx)
	return root, c.addresses
}

// catalog reads the catalog sector by sector, as entries are asked for.
type catalog struct {
	img    io.ReaderAt // the image, for the boot images' Data
	r      io.ReaderAt // the image bounded to its size, for parsing
	start  int64
	buf    []byte // the sectors read so far; shorter when the image ends
	ended  bool   // the image ended inside buf's last sector
	claims *layout.Claims
	// addresses are where the entries' load RBAs lie, from start.
	addresses []unpack.Range
}

// errCatalogEnd says that catalogMaxSectors have been read.
var errCatalogEnd = errors.New("end of boot catalog")

func (c *catalog) off(i int) int64 { return c.start + int64(i)*catalogEntrySize }

// entry returns entry i, reading its sector when needed: errCatalogEnd past
// catalogMaxSectors, a FormatError where the image ends.
func (c *catalog) entry(i int) ([]byte, error) {
	end := (i + 1) * catalogEntrySize
	for end > len(c.buf) {
		if c.ended {
			return nil, unpack.Errorf(layerElTorito, c.off(i), "boot catalog cut by the end of the image")
		}
		if len(c.buf) >= catalogMaxSectors*catalogSectorSize {
			return nil, errCatalogEnd
		}
		sec := make([]byte, catalogSectorSize)
		off := c.start + int64(len(c.buf))
		k, _ := c.r.ReadAt(sec, off)
		c.buf = append(c.buf, sec[:k]...)
		if k < catalogSectorSize {
			c.ended = true
		}
	}
	return c.buf[i*catalogEntrySize : end], nil
}

// finish claims the catalog entries read, up to entry next, and records
// how many nonzero bytes follow them. Those are not decoded, so not
// claimed: they are compared as they are.
func (c *catalog) finish(root *unpack.Node, next int) {
	c.claims.Add(c.start, int64(min(next*catalogEntrySize, len(c.buf))), "El Torito boot catalog")
	rest := c.buf[min(next*catalogEntrySize, len(c.buf)):]
	nz := 0
	for _, b := range rest {
		if b != 0 {
			nz++
		}
	}
	if nz > 0 {
		root.AddField("unused bytes", "%d nonzero after the last entry", nz)
	}
}

// addEntry appends the node of boot entry e (catalog entry idx) to root as
// "entry N", N counting boot entries in catalog order.
func (c *catalog) addEntry(root *unpack.Node, e []byte, idx, section int, platform byte, sectionID string, size int64, file func(int64) (string, int64, bool)) *unpack.Node {
	le := binary.LittleEndian
	name := fmt.Sprintf("entry %d", len(root.Children)+1)
	rba := le.Uint32(e[8:])
	count := le.Uint16(e[6:])
	n := &unpack.Node{Name: name, Type: unpack.TypeRecord, Layer: layerElTorito, Offset: int64(rba) * catalogSectorSize}
	root.Children = append(root.Children, n)
	root.AddOrder(name)

	n.AddField("section", "%d", section)
	n.AddField("platform", "%s", platformName(platform))
	if sectionID != "" {
		n.AddField("section id", "%s", show.Quote(sectionID))
	}
	switch e[0] {
	case entryBootable:
		n.AddField("bootable", "0x88 (bootable)")
	case entryNotBootable:
		n.AddField("bootable", "0x00 (not bootable)")
	default:
		n.AddField("bootable", "0x%02x (invalid)", e[0])
		n.AddErr(unpack.Errorf(layerElTorito, c.off(idx), "boot indicator 0x%02x is neither 0x88 nor 0x00", e[0]))
	}
	emul := e[1] & 0x0F
	n.AddField("emulation", "%s", emulationName(e[1], section == 0))
	if seg := le.Uint16(e[2:]); seg == 0 {
		n.AddField("load segment", "0x0000 (0x%04X)", defaultLoadSegment)
	} else {
		n.AddField("load segment", "0x%04X", seg)
	}
	n.AddField("system type", "0x%02x", e[4])
	n.AddField("sector count", "%d", count)
	n.AddRoleField(unpack.RolePlacement, "load RBA", "%d", rba)
	at := int64(idx)*catalogEntrySize + 8
	c.addresses = append(c.addresses, unpack.Range{Start: at, End: at + 4})
	if e[5] != 0 {
		n.AddField("reserved", "0x%02x", e[5])
	}
	if section == 0 {
		if !bin.AllZero(e[12:]) {
			n.AddField("unused bytes", "% x", e[12:])
		}
	} else if !bin.AllZero(e[12:]) {
		n.AddField("selection criteria", "type 0x%02x, % x", e[12], e[13:])
	}

	off := int64(rba) * catalogSectorSize
	if off >= size {
		n.Err = unpack.Errorf(layerElTorito, c.off(idx)+8, "%s: boot image at block %d is past the end of the image (%d bytes)", name, rba, size)
		return n
	}
	path, fsize, isFile := file(off)
	if isFile {
		n.SetAlias(path)
		n.AddField("file", "%s", path)
	}
	// What the firmware loads. Floppy emulation maps a whole floppy
	// whatever the count says. A no-emulation count of 0 or 1 is what
	// writers put for "the whole file" (xorriso writes 0 for UEFI images
	// of 32 MiB and more, whose 512-byte count would not fit in 16 bits),
	// and hard disk emulation reads the disk size from the image's own MBR:
	// for these the ISO file starting there, if any, is the image.
	length := int64(count) * 512
	switch emul {
	case 1:
		length = 1200 * 1024
	case 2:
		length = 1440 * 1024
	case 3:
		length = 2880 * 1024
	case 4:
		if isFile {
			length = fsize
		}
	default:
		if count <= 1 && isFile {
			length = fsize
		}
	}
	if rest := size - off; length > rest {
		n.AddErr(unpack.Errorf(layerElTorito, size, "%s: boot image of %d bytes at block %d is cut by the end of the image after %d bytes", name, length, rba, rest))
		length = rest
	}
	n.Data = io.NewSectionReader(c.img, off, length)
	n.AddField("image size", "%d", length)
	claimed := length
	if isFile {
		// An image that is a file is compared as that file: what it holds
		// beyond the file's end is compared nowhere else.
		claimed = min(length, fsize)
	}
	c.claims.Addf(off, claimed, "El Torito %s boot image", name)
	return n
}

func platformName(p byte) string {
	switch p {
	case 0x00:
		return "0x00 (x86 BIOS)"
	case 0x01:
		return "0x01 (PowerPC)"
	case 0x02:
		return "0x02 (Mac)"
	case 0xEF:
		return "0xEF (UEFI)"
	}
	return fmt.Sprintf("0x%02X", p)
}

// emulationName decodes a boot media byte: the emulation in bits 0-3 and,
// in section entries, flags in bits 5-7 (bit 4 is reserved).
func emulationName(b byte, isDefault bool) string {
	var s string
	switch b & 0x0F {
	case 0:
		s = "no emulation"
	case 1:
		s = "1.2M floppy"
	case 2:
		s = "1.44M floppy"
	case 3:
		s = "2.88M floppy"
	case 4:
		s = "hard disk"
	default:
		s = fmt.Sprintf("unknown (%d)", b&0x0F)
	}
	if b&0xF0 == 0 {
		return s
	}
	var flags []string
	if isDefault {
		flags = append(flags, fmt.Sprintf("reserved bits 0x%02x", b&0xF0))
	} else {
		if b&0x10 != 0 {
			flags = append(flags, "reserved bit 4")
		}
		if b&extensionFollows != 0 {
			flags = append(flags, "extension follows")
		}
		if b&0x40 != 0 {
			flags = append(flags, "ATAPI driver")
		}
		if b&0x80 != 0 {
			flags = append(flags, "SCSI drivers")
		}
	}
	return fmt.Sprintf("%s, %s (0x%02x)", s, strings.Join(flags, ", "), b)
}

// idPaddingZero says whether what trimID drops from b is all NUL, as
// writers pad: padding of spaces, which trimID drops too, is shown apart.
func idPaddingZero(b []byte) bool {
	return bin.AllZero(b[len(trimID(b)):])
}

// trimID drops the NUL or space padding of an ID string.
func trimID(b []byte) string {
	return strings.TrimRight(string(b), "\x00 ")
}
