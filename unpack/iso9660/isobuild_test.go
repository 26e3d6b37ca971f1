package iso9660

// A builder of small ISO 9660 images, record by record, for table tests and
// fuzz seeds. Sector 16 is the primary descriptor; the caller places
// everything else.

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
)

type isoBuilder struct {
	img []byte
}

func newISOBuilder(sectors int) *isoBuilder {
	return &isoBuilder{img: make([]byte, sectors*isoSectorSize)}
}

func (b *isoBuilder) at(lba int) []byte { return b.img[lba*isoSectorSize:] }

func (b *isoBuilder) put(off int, data []byte) { copy(b.img[off:], data) }

func le32be32(v uint32) []byte {
	out := make([]byte, 8)
	binary.LittleEndian.PutUint32(out, v)
	binary.BigEndian.PutUint32(out[4:], v)
	return out
}

func le16be16(v uint16) []byte {
	out := make([]byte, 4)
	binary.LittleEndian.PutUint16(out, v)
	binary.BigEndian.PutUint16(out[2:], v)
	return out
}

func padSpaces(s string, n int) []byte {
	out := bytes.Repeat([]byte{' '}, n)
	copy(out, s)
	return out
}

// isoDate is a 7-byte directory record date.
func isoDate(year, month, day, hour, min, sec int, q int8) []byte {
	return []byte{byte(year - 1900), byte(month), byte(day), byte(hour), byte(min), byte(sec), byte(q)}
}

// dirRec encodes a directory record.
func dirRec(ident []byte, lba, size uint32, flags byte, sysUse []byte) []byte {
	l := 33 + len(ident)
	if len(ident)%2 == 0 {
		l++
	}
	l += len(sysUse)
	r := make([]byte, l)
	r[0] = byte(l)
	copy(r[2:], le32be32(lba))
	copy(r[10:], le32be32(size))
	copy(r[18:], isoDate(2000, 1, 2, 3, 4, 5, 0))
	r[25] = flags
	copy(r[28:], le16be16(1))
	r[32] = byte(len(ident))
	copy(r[33:], ident)
	copy(r[l-len(sysUse):], sysUse)
	return r
}

// vd writes a primary (type 1) or supplementary (type 2) descriptor.
func (b *isoBuilder) vd(sector int, typ byte, root []byte, spaceSize uint32, escape string, ptSize uint32, lPT, mPT uint32) {
	d := b.at(sector)[:isoSectorSize]
	clear(d)
	d[0] = typ
	copy(d[1:], "CD001")
	d[6] = 1
	if typ == vdSupplementary {
		copy(d[8:], ucs2Pad("", 32))
		copy(d[40:], ucs2Pad("TESTVOL", 32))
		copy(d[88:], escape)
	} else {
		copy(d[8:], padSpaces("LINUX", 32))
		copy(d[40:], padSpaces("TESTVOL", 32))
	}
	copy(d[80:], le32be32(spaceSize))
	copy(d[120:], le16be16(1))
	copy(d[124:], le16be16(1))
	copy(d[128:], le16be16(2048))
	copy(d[132:], le32be32(ptSize))
	binary.LittleEndian.PutUint32(d[140:], lPT)
	binary.BigEndian.PutUint32(d[148:], mPT)
	copy(d[156:190], root)
	for _, r := range [][2]int{{190, 318}, {318, 446}, {446, 574}, {574, 702}, {702, 739}, {739, 776}, {776, 813}} {
		copy(d[r[0]:r[1]], padSpaces("", r[1]-r[0]))
	}
	copy(d[318:], "PUBLISHER")
	copy(d[813:], "2000010203040500\x00")
	copy(d[830:], "2000010203040501\x04")
	copy(d[847:], "0000000000000000\x00")
	d[881] = 1
}

func (b *isoBuilder) terminator(sector int) {
	d := b.at(sector)
	d[0] = vdTerminator
	copy(d[1:], "CD001")
	d[6] = 1
}

// dir writes records into consecutive sectors from lba, never letting one
// cross a sector boundary.
func (b *isoBuilder) dir(lba int, recs ...[]byte) {
	pos := lba * isoSectorSize
	end := pos + isoSectorSize
	for _, r := range recs {
		if pos+len(r) > end {
			pos = end
			end += isoSectorSize
		}
		copy(b.img[pos:], r)
		pos += len(r)
	}
}

// pathTable encodes a path table: records of (identifier, extent, parent).
type ptRec struct {
	ident  []byte
	lba    uint32
	parent uint16
}

func pathTableBytes(bigEndian bool, recs ...ptRec) []byte {
	var out []byte
	for _, r := range recs {
		h := make([]byte, 8)
		h[0] = byte(len(r.ident))
		if bigEndian {
			binary.BigEndian.PutUint32(h[2:], r.lba)
			binary.BigEndian.PutUint16(h[6:], r.parent)
		} else {
			binary.LittleEndian.PutUint32(h[2:], r.lba)
			binary.LittleEndian.PutUint16(h[6:], r.parent)
		}
		out = append(out, h...)
		out = append(out, r.ident...)
		if len(r.ident)%2 == 1 {
			out = append(out, 0)
		}
	}
	return out
}

func ucs2(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

func ucs2Pad(s string, n int) []byte {
	out := make([]byte, n)
	for i := 0; i+1 < n; i += 2 {
		out[i], out[i+1] = 0, ' '
	}
	copy(out, ucs2(s))
	return out
}

// SUSP entries.

func suspE(sig string, data ...byte) []byte {
	return append([]byte{sig[0], sig[1], byte(4 + len(data)), 1}, data...)
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func spE(skip byte) []byte { return suspE("SP", 0xbe, 0xef, skip) }

func ceE(block, off, length uint32) []byte {
	return suspE("CE", cat(le32be32(block), le32be32(off), le32be32(length))...)
}

func pxE(mode, nlink, uid, gid uint32) []byte {
	return suspE("PX", cat(le32be32(mode), le32be32(nlink), le32be32(uid), le32be32(gid))...)
}

func pxInoE(mode, nlink, uid, gid, ino uint32) []byte {
	return suspE("PX", cat(le32be32(mode), le32be32(nlink), le32be32(uid), le32be32(gid), le32be32(ino))...)
}

func nmE(flags byte, name string) []byte { return suspE("NM", append([]byte{flags}, name...)...) }

// slComp is one SL component record.
func slComp(flags byte, content string) []byte {
	return append([]byte{flags, byte(len(content))}, content...)
}

func slE(flags byte, comps ...[]byte) []byte {
	return suspE("SL", append([]byte{flags}, cat(comps...)...)...)
}

func tfE(flags byte, times ...[]byte) []byte {
	return suspE("TF", append([]byte{flags}, cat(times...)...)...)
}

func erE(id, des, src string) []byte {
	return suspE("ER", cat([]byte{byte(len(id)), byte(len(des)), byte(len(src)), 1}, []byte(id), []byte(des), []byte(src))...)
}

// longDate is a 17-byte dec-datetime.
func longDate(s string, q int8) []byte { return append([]byte(s), byte(q)) }
