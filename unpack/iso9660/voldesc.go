package iso9660

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ISO 9660 (ECMA-119) volume descriptors: a sequence of 2048-byte sectors
// from sector 16 up to a terminator.
const (
	isoLayer          = "iso9660"
	isoSectorSize     = 2048
	vdStart           = 16 * isoSectorSize
	maxVolDescriptors = 64

	vdBootRecord    = 0
	vdPrimary       = 1
	vdSupplementary = 2
	vdPartition     = 3
	vdTerminator    = 255
)

// volumeInfo is what OpenISO needs from the volume descriptors.
type volumeInfo struct {
	blockSize      int64          // logical block size of the primary descriptor (2048 normally)
	spaceSize      int64          // volume space size in blocks
	primaryRoot    dirRecord      // root directory record of the PVD
	jolietRoot     *dirRecord     // root of the Joliet SVD (escape sequences %/@, %/C, %/E), nil if none
	jolietLevel    int            // 1, 2 or 3; 0 without Joliet
	bootCatalogLBA int64          // from the El Torito boot record ("EL TORITO SPECIFICATION"), -1 if none
	pathTables     []pathTableRef // L and M tables of the PVD and of the Joliet SVD
}

// pathTableRef locates one path table as a volume descriptor announces it.
type pathTableRef struct {
	which     string // "primary L", "primary M", "Joliet L", "Joliet M", "primary L optional", ...
	lba       int64  // location in logical blocks
	size      int64  // path table size in bytes, from the descriptor
	bigEndian bool   // an M table
	joliet    bool   // directory identifiers are UCS-2
}

// readVolumeDescriptors reads the descriptor set from byte 32768 (sector 16)
// up to and including the terminator, giving up after maxVolDescriptors
// descriptors or at the end of input. It returns the node
// "[volume descriptors]" with one child per descriptor. It fails only when
// there is no usable primary descriptor; descriptor-level oddities are the
// Err of that descriptor's child.
func readVolumeDescriptors(r io.ReaderAt, size int64, claims *layout.Claims) (*unpack.Node, *volumeInfo, error) {
	top := &unpack.Node{Name: "[volume descriptors]", Type: unpack.TypeRecord, Layer: isoLayer, Offset: vdStart}
	vi := &volumeInfo{bootCatalogLBA: -1}
	var primaryErr error
	havePrimary := false
	seen := map[string]int{}
	buf := make([]byte, isoSectorSize)
	terminated := false
	for i := 0; i < maxVolDescriptors; i++ {
		off := int64(vdStart + i*isoSectorSize)
		if size >= 0 && off+isoSectorSize > size {
			if i == 0 {
				return nil, nil, unpack.Errorf(isoLayer, off, "no volume descriptor: input ends at byte %d", size)
			}
			top.Err = unpack.Errorf(isoLayer, off, "descriptor set ends at end of input without a terminator")
			break
		}
		if err := bin.ReadFull(r, buf, off, isoLayer, "volume descriptor"); err != nil {
			if i == 0 {
				return nil, nil, err
			}
			top.Err = err
			break
		}
		if string(buf[1:6]) != "CD001" {
			if i == 0 {
				return nil, nil, unpack.Errorf(isoLayer, off+1, "no ISO 9660 volume descriptor (standard identifier %q, want \"CD001\")", buf[1:6])
			}
			top.Err = unpack.Errorf(isoLayer, off+1, "descriptor %d has standard identifier %q: descriptor set ends without a terminator", i, buf[1:6])
			break
		}
		n := &unpack.Node{Type: unpack.TypeRecord, Layer: isoLayer, Offset: off}
		kind := ""
		switch buf[0] {
		case vdPrimary:
			kind = "primary"
			parseVolumeFields(n, buf, off, false)
			if !havePrimary {
				root, err := primaryVolumeInfo(buf, off, vi)
				if err != nil {
					primaryErr = err
					n.Err = err
				} else {
					vi.primaryRoot = root
					havePrimary = true
				}
			} else {
				n.Err = unpack.Errorf(isoLayer, off, "a second primary volume descriptor (ignored)")
			}
		case vdSupplementary:
			level := jolietEscapeLevel(buf[88:120])
			switch {
			case buf[6] == 2:
				kind = "enhanced"
			case level > 0:
				kind = "supplementary (Joliet)"
			default:
				kind = "supplementary"
			}
			parseVolumeFields(n, buf, off, level > 0)
			if level > 0 && buf[6] == 1 && vi.jolietRoot == nil {
				root, err := parseDirRecordAt(buf[156:190], off+156)
				if err != nil {
					n.Err = err
				} else {
					vi.jolietRoot = &root
					vi.jolietLevel = level
					vi.pathTables = append(vi.pathTables, pathTableRefs(buf, "Joliet", true)...)
				}
			}
		case vdBootRecord:
			kind = "boot record"
			parseBootRecord(n, buf)
			if bytes.Equal(bytes.TrimRight(buf[7:39], "\x00"), []byte("EL TORITO SPECIFICATION")) && vi.bootCatalogLBA < 0 {
				vi.bootCatalogLBA = int64(binary.LittleEndian.Uint32(buf[71:75]))
			}
		case vdPartition:
			kind = "partition"
			n.AddField("version", "%d", buf[6])
			if buf[7] != 0 {
				n.AddField("unused bytes", "@7: %02x", buf[7])
			}
			n.AddField("system id", "%s", idText(buf[8:40]))
			n.AddField("volume partition id", "%s", idText(buf[40:72]))
			loc, e1 := bothEndian32(buf[72:80])
			sz, e2 := bothEndian32(buf[80:88])
			n.AddField("partition location", "%d", loc)
			addBigEndianCopy(n, "partition location", buf[72:80], e1)
			n.AddField("partition size", "%d", sz)
			addBigEndianCopy(n, "partition size", buf[80:88], e2)
			n.AddField("system use", "%s", bin.HexNonZero(buf[88:]))
			n.Err = firstErr(bothErr(e1, off+72), bothErr(e2, off+80))
		case vdTerminator:
			kind = "terminator"
			n.AddField("version", "%d", buf[6])
			if u := bin.UnusedBytes(buf, 7, isoSectorSize); u != "" {
				n.AddField("unused bytes", "%s", u)
			}
			terminated = true
		default:
			kind = fmt.Sprintf("type %d", buf[0])
			n.AddField("version", "%d", buf[6])
			n.AddField("content", "%s", bin.HexNonZero(buf[7:]))
			n.Err = unpack.Errorf(isoLayer, off, "unknown volume descriptor type %d", buf[0])
		}
		seen[kind]++
		n.Name = kind
		if seen[kind] > 1 {
			n.Name = fmt.Sprintf("%s %d", kind, seen[kind])
		}
		// Every byte of the sector is decoded above: fields, reserved
		// areas shown when not zero, both-endian copies when they differ.
		claims.Addf(off, isoSectorSize, "%s volume descriptor", n.Name)
		top.Children = append(top.Children, n)
		top.AddOrder(n.Name)
		if terminated {
			break
		}
	}
	if !terminated && top.Err == nil {
		top.Err = unpack.Errorf(isoLayer, vdStart, "no terminator within %d descriptors", maxVolDescriptors)
	}
	top.Sort()
	if !havePrimary {
		if primaryErr != nil {
			return top, nil, primaryErr
		}
		return top, nil, unpack.Errorf(isoLayer, vdStart, "no primary volume descriptor")
	}
	return top, vi, nil
}

// primaryVolumeInfo takes what the rest of the reader needs from the primary
// descriptor, refusing one that cannot be used to find the root.
func primaryVolumeInfo(buf []byte, off int64, vi *volumeInfo) (dirRecord, error) {
	bs, err := bothEndian16(buf[128:132])
	if err != nil || (bs != 512 && bs != 1024 && bs != 2048) {
		return dirRecord{}, unpack.Errorf(isoLayer, off+128, "primary volume descriptor: unusable logical block size %d", binary.LittleEndian.Uint16(buf[128:130]))
	}
	space, _ := bothEndian32(buf[80:88])
	root, err := parseDirRecordAt(buf[156:190], off+156)
	if err != nil {
		return dirRecord{}, err
	}
	if root.flags&flagDir == 0 {
		return dirRecord{}, unpack.Errorf(isoLayer, off+156, "primary volume descriptor: root directory record without the directory flag")
	}
	vi.blockSize = int64(bs)
	vi.spaceSize = int64(space)
	vi.pathTables = append(pathTableRefs(buf, "primary", false), vi.pathTables...)
	return root, nil
}

func pathTableRefs(buf []byte, which string, joliet bool) []pathTableRef {
	size, _ := bothEndian32(buf[132:140])
	var refs []pathTableRef
	add := func(name string, lba uint32, be bool) {
		if lba != 0 {
			refs = append(refs, pathTableRef{which: which + " " + name, lba: int64(lba), size: int64(size), bigEndian: be, joliet: joliet})
		}
	}
	add("L", binary.LittleEndian.Uint32(buf[140:144]), false)
	add("L optional", binary.LittleEndian.Uint32(buf[144:148]), false)
	add("M", binary.BigEndian.Uint32(buf[148:152]), true)
	add("M optional", binary.BigEndian.Uint32(buf[152:156]), true)
	return refs
}

// parseVolumeFields fills in the fields of a primary, supplementary or
// enhanced volume descriptor, named as mkisofs and xorriso users know them.
func parseVolumeFields(n *unpack.Node, b []byte, off int64, joliet bool) {
	text := idText
	if joliet {
		text = ucs2Text
	}
	var errs []error
	num32 := func(name string, at int) {
		v, err := bothEndian32(b[at : at+8])
		n.AddField(name, "%d", v)
		addBigEndianCopy(n, name, b[at:at+8], err)
		errs = append(errs, bothErr(err, off+int64(at)))
	}
	num16 := func(name string, at int) {
		v, err := bothEndian16(b[at : at+4])
		n.AddField(name, "%d", v)
		addBigEndianCopy(n, name, b[at:at+4], err)
		errs = append(errs, bothErr(err, off+int64(at)))
	}
	textField := func(name string, field []byte) {
		n.AddRoleField(textRoles[name], name, "%s", text(field))
		if joliet && !ucs2Exact(field) {
			// Padding or characters the text above cannot tell apart.
			n.AddField(name+" (bytes)", "%x", field)
		}
	}
	if b[6] != 1 {
		n.AddField("version", "%d", b[6])
	}
	if b[0] == vdSupplementary {
		n.AddField("volume flags", "0x%02x", b[7])
	}
	textField("system id", b[8:40])
	textField("volume id", b[40:72])
	num32("volume space size", 80)
	if b[0] == vdSupplementary {
		n.AddField("escape sequences", "%s", escapeText(b[88:120]))
	}
	num16("volume set size", 120)
	num16("volume sequence number", 124)
	num16("logical block size", 128)
	num32("path table size", 132)
	n.AddField("L path table", "%d", binary.LittleEndian.Uint32(b[140:144]))
	n.AddField("optional L path table", "%d", binary.LittleEndian.Uint32(b[144:148]))
	n.AddField("M path table", "%d", binary.BigEndian.Uint32(b[148:152]))
	n.AddField("optional M path table", "%d", binary.BigEndian.Uint32(b[152:156]))
	if root, err := parseDirRecordAt(b[156:190], off+156); err != nil {
		errs = append(errs, err)
		n.AddField("root directory record", "%x", b[156:190])
	} else {
		n.AddField("root directory extent", "%d", root.lba)
		n.AddField("root directory size", "%d", root.size)
		n.AddRoleField(unpack.RoleTime, "root directory time", "%s", recordTime(root.recTime))
		if root.flags != flagDir {
			n.AddField("root directory flags", "0x%02x", root.flags)
		}
		// The rest of the record (lengths, both-endian copies, volume
		// sequence number, identifier) is shown whole when it is not what
		// the fields above make.
		if want := encodeDirRecord(root.lba, root.size, root.recTime, root.flags, []byte{0}); !bytes.Equal(want, b[156:190]) {
			n.AddField("root directory record", "%x", b[156:190])
		}
	}
	textField("volume set id", b[190:318])
	textField("publisher id", b[318:446])
	textField("data preparer id", b[446:574])
	textField("application id", b[574:702])
	textField("copyright file id", b[702:739])
	textField("abstract file id", b[739:776])
	textField("bibliographic file id", b[776:813])
	n.AddRoleField(unpack.RoleTime, "creation date", "%s", decDateTime(b[813:830]))
	n.AddRoleField(unpack.RoleTime, "modification date", "%s", decDateTime(b[830:847]))
	n.AddRoleField(unpack.RoleTime, "expiration date", "%s", decDateTime(b[847:864]))
	n.AddRoleField(unpack.RoleTime, "effective date", "%s", decDateTime(b[864:881]))
	n.AddField("file structure version", "%d", b[881])
	n.AddField("application use", "%s", bin.HexNonZero(b[883:1395]))
	// Bytes the standard reserves (zero in a conforming descriptor).
	var unused []string
	for _, r := range [][2]int{{72, 80}, {882, 883}, {1395, isoSectorSize}} {
		if u := bin.UnusedBytes(b, r[0], r[1]); u != "" {
			unused = append(unused, u)
		}
	}
	if b[0] == vdPrimary {
		if u := bin.UnusedBytes(b, 7, 8); u != "" {
			unused = append([]string{u}, unused...)
		}
		if u := bin.UnusedBytes(b, 88, 120); u != "" {
			unused = append(unused, u)
		}
	}
	if len(unused) > 0 {
		n.AddField("unused bytes", "%s", strings.Join(unused, ", "))
	}
	n.Err = firstErr(errs...)
}

func parseBootRecord(n *unpack.Node, b []byte) {
	if b[6] != 1 {
		n.AddField("version", "%d", b[6])
	}
	n.AddField("boot system id", "%s", nulPaddedText(b[7:39]))
	n.AddField("boot id", "%s", nulPaddedText(b[39:71]))
	if bytes.Equal(bytes.TrimRight(b[7:39], "\x00"), []byte("EL TORITO SPECIFICATION")) {
		n.AddField("catalog LBA", "%d", binary.LittleEndian.Uint32(b[71:75]))
		if u := bin.UnusedBytes(b, 75, isoSectorSize); u != "" {
			n.AddField("unused bytes", "%s", u)
		}
		return
	}
	n.AddField("boot system use", "%s", bin.HexNonZero(b[71:]))
}

// jolietEscapeLevel returns the Joliet level announced by the escape
// sequences of a supplementary descriptor, 0 if it is not Joliet.
func jolietEscapeLevel(esc []byte) int {
	for i := 0; i+3 <= len(esc); i++ {
		if esc[i] == '%' && esc[i+1] == '/' {
			switch esc[i+2] {
			case '@':
				return 1
			case 'C':
				return 2
			case 'E':
				return 3
			}
		}
	}
	return 0
}

func escapeText(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return "none"
	}
	return strconv.Quote(string(b))
}

// idText shows an a-/d-character identifier: trailing spaces are padding.
// Anything not printable is shown quoted so that it stays visible.
func idText(b []byte) string {
	if len(b) > 0 && bin.AllZero(b) {
		return "zeros"
	}
	b = bytes.TrimRight(b, " ")
	s := string(b)
	if show.Printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// ucs2Text shows an identifier of a Joliet descriptor: UCS-2 big-endian,
// padded with spaces (00 20).
func ucs2Text(b []byte) string {
	if len(b) > 0 && bin.AllZero(b) {
		return "zeros"
	}
	s := strings.TrimRight(decodeUCS2(b), " ")
	if show.Printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// ucs2Exact says whether ucs2Text shows every bit of b: no unpaired
// surrogate (shown as U+FFFD) and no odd last byte but zero.
func ucs2Exact(b []byte) bool {
	if len(b)%2 == 1 && b[len(b)-1] != 0 {
		return false
	}
	return bin.UTF16Exact(b[:len(b)&^1], binary.BigEndian)
}

// nulPaddedText shows a NUL-padded identifier (the boot record's): the
// text before the trailing NULs, quoted when it would not show exactly
// (unprintable, or ending in a space).
func nulPaddedText(b []byte) string {
	s := string(bytes.TrimRight(b, "\x00"))
	if show.Printable(s) && !strings.HasSuffix(s, " ") {
		return s
	}
	return strconv.Quote(s)
}

// decodeUCS2 decodes big-endian UTF-16 (Joliet's UCS-2, surrogate pairs
// allowed). An odd trailing byte becomes U+FFFD.
func decodeUCS2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	s := string(utf16.Decode(u))
	if len(b)%2 == 1 && b[len(b)-1] != 0 && b[len(b)-1] != ' ' {
		// The 37-byte file identifier fields of a Joliet descriptor
		// end in half a character, normally padding.
		s += string(utf8.RuneError)
	}
	return s
}

// decDateTime decodes the 17-byte dec-datetime of volume descriptors:
// 16 ASCII digits (YYYYMMDDhhmmsscc) and a signed offset from GMT in
// 15-minute units.
func decDateTime(b []byte) string {
	if len(b) != 17 {
		return "invalid"
	}
	digits := b[:16]
	if bin.AllZero(b) {
		return "unset (zero bytes)"
	}
	if bytes.Count(digits, []byte("0")) == 16 && b[16] == 0 {
		return "unset"
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "invalid " + strconv.Quote(string(digits)) + fmt.Sprintf(" offset %d", int8(b[16]))
		}
	}
	d := string(digits)
	return fmt.Sprintf("%s-%s-%s %s:%s:%s.%s %s", d[0:4], d[4:6], d[6:8], d[8:10], d[10:12], d[12:14], d[14:16], gmtOffset(int8(b[16])))
}

func gmtOffset(q int8) string {
	m := int(q) * 15
	sign := '+'
	if m < 0 {
		sign = '-'
		m = -m
	}
	return fmt.Sprintf("%c%02d:%02d", sign, m/60, m%60)
}

// errBothEndian says the two copies of a both-endian number differ.
type errBothEndian struct{ le, be uint64 }

func (e errBothEndian) Error() string {
	return fmt.Sprintf("both-endian number differs: little-endian %d, big-endian %d", e.le, e.be)
}

// bothEndian32 decodes an ISO 9660 both-byte-order 32-bit number (the
// little-endian copy wins when the two differ).
func bothEndian32(b []byte) (uint32, error) {
	le, be := binary.LittleEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8])
	if le != be {
		return le, errBothEndian{uint64(le), uint64(be)}
	}
	return le, nil
}

func bothEndian16(b []byte) (uint16, error) {
	le, be := binary.LittleEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
	if le != be {
		return le, errBothEndian{uint64(le), uint64(be)}
	}
	return le, nil
}

// addBigEndianCopy shows the big-endian copy of a both-endian number (b,
// little-endian copy first) when it differs from the little-endian one
// (err from bothEndian16 or bothEndian32), so that it is compared too.
func addBigEndianCopy(n *unpack.Node, name string, b []byte, err error) {
	if err == nil {
		return
	}
	half := b[len(b)/2:]
	if len(half) == 2 {
		n.AddField(name+" (big-endian copy)", "%d", binary.BigEndian.Uint16(half))
	} else {
		n.AddField(name+" (big-endian copy)", "%d", binary.BigEndian.Uint32(half))
	}
}

// encodeDirRecord makes the directory record a writer makes for these
// values: no extended attributes, no interleaving, volume sequence number
// 1, a padding byte after an even-length identifier, no system use.
func encodeDirRecord(lba, size uint32, recTime [7]byte, flags byte, ident []byte) []byte {
	l := 33 + len(ident)
	if len(ident)%2 == 0 {
		l++
	}
	b := make([]byte, l)
	b[0] = byte(l)
	binary.LittleEndian.PutUint32(b[2:], lba)
	binary.BigEndian.PutUint32(b[6:], lba)
	binary.LittleEndian.PutUint32(b[10:], size)
	binary.BigEndian.PutUint32(b[14:], size)
	copy(b[18:25], recTime[:])
	b[25] = flags
	binary.LittleEndian.PutUint16(b[28:], 1)
	binary.BigEndian.PutUint16(b[30:], 1)
	b[32] = byte(len(ident))
	copy(b[33:], ident)
	return b
}

func bothErr(err error, off int64) error {
	if err == nil {
		return nil
	}
	return &unpack.FormatError{Layer: isoLayer, Offset: off, Msg: err.Error()}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// roleToolVersion marks the descriptor fields in which the tools that make
// an image name themselves and their version (xorriso writes
// "XORRISO-1.5.6 2023.06.07.180001, LIBISOBURN-1.5.6, ..."), which change
// with the tools, not with what the image holds.
var roleToolVersion = &unpack.Role{Kind: unpack.Identity, Cause: "ISO tool version", NamesField: true}

// textRoles are the roles of the descriptor's text fields that have one.
var textRoles = map[string]*unpack.Role{"data preparer id": roleToolVersion, "application id": roleToolVersion}
