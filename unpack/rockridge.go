package unpack

// System Use Sharing Protocol (SUSP, IEEE P1281) and Rock Ridge (RRIP,
// IEEE P1282) entries in the system use area of directory records.

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// maxCEHops bounds the continuation areas of one directory record, as
// Linux does (RR_MAX_CE_ENTRIES). Each area holds at most one block.
const maxCEHops = 32

// suspEntry is one SUSP entry: a two-letter signature, a version and the
// payload after the four header bytes.
type suspEntry struct {
	sig     string
	version byte
	data    []byte
	off     int64 // byte offset of the entry in the image
}

// readSUSP parses the SUSP entries of a system use area at byte areaOff,
// following continuation areas (CE) and claiming them. claims may be nil
// (a look-ahead that must not claim twice), and so may budget. CE, ST and
// PD entries are consumed here and not returned.
func readSUSP(r io.ReaderAt, size, bs int64, area []byte, areaOff int64, claims *Claims, budget *readBudget, what string) ([]suspEntry, error) {
	var entries []suspEntry
	var err error
	setErr := func(e error) {
		if err == nil {
			err = e
		}
	}
	cur, curOff := area, areaOff
	for hops := 0; ; hops++ {
		var ce []byte
		var ceOff int64
	area:
		for len(cur) >= 4 {
			if cur[0] == 0 {
				break // zero padding ends the entries
			}
			l := int(cur[2])
			if l < 4 || l > len(cur) {
				setErr(formatErr(isoLayer, curOff, "SUSP entry %q of length %d in %d remaining bytes", cur[:2], l, len(cur)))
				break
			}
			e := suspEntry{sig: string(cur[:2]), version: cur[3], data: cur[4:l], off: curOff}
			switch e.sig {
			case "ST":
				break area
			case "PD":
			case "CE":
				if len(e.data) < 24 {
					setErr(formatErr(isoLayer, curOff, "SUSP CE entry of length %d, 28 needed", l))
				} else if ce != nil {
					setErr(formatErr(isoLayer, curOff, "a second SUSP CE entry in one area"))
				} else {
					ce, ceOff = e.data, curOff
				}
			default:
				entries = append(entries, e)
			}
			cur, curOff = cur[l:], curOff+int64(l)
		}
		if ce == nil {
			break
		}
		block, e1 := bothEndian32(ce[0:8])
		offset, e2 := bothEndian32(ce[8:16])
		length, e3 := bothEndian32(ce[16:24])
		if e := firstErr(e1, e2, e3); e != nil {
			setErr(bothErr(e, ceOff))
		}
		if hops >= maxCEHops {
			setErr(formatErr(isoLayer, ceOff, "more than %d SUSP continuation areas for one record", maxCEHops))
			break
		}
		start := int64(block)*bs + int64(offset)
		if int64(offset) >= bs || int64(length) > bs || start+int64(length) > size {
			setErr(formatErr(isoLayer, ceOff, "SUSP continuation area (block %d, offset %d, length %d) outside the image or longer than a block", block, offset, length))
			break
		}
		if int64(offset)+int64(length) > bs {
			setErr(formatErr(isoLayer, ceOff, "SUSP continuation area (block %d, offset %d, length %d) crosses a block boundary", block, offset, length))
		}
		if length == 0 {
			break
		}
		if !budget.take(int64(length)) {
			setErr(formatErr(isoLayer, ceOff, "the image makes the reader read more than twice its size: continuation area not read"))
			break
		}
		buf := make([]byte, length)
		if rerr := readFull(r, buf, start, isoLayer, "SUSP continuation area"); rerr != nil {
			setErr(rerr)
			break
		}
		if claims != nil {
			claims.Addf(start, int64(length), "SUSP continuation area of %s", what)
		}
		cur, curOff = buf, start
	}
	return entries, err
}

// rockRidgeRoot is what the root's "." record says about the whole tree.
type rockRidgeRoot struct {
	used       bool     // SUSP SP and Rock Ridge entries: names come from NM
	skip       int      // bytes to skip in every other system use area (SP)
	extensions []string // ER entries, for the root's fields
}

// rockRidgeSigs are the entries that show Rock Ridge in use.
var rockRidgeSigs = map[string]bool{"PX": true, "PN": true, "SL": true, "NM": true, "CL": true, "PL": true, "RE": true, "TF": true, "SF": true, "RR": true, "ZF": true}

// detectRockRidge looks at the first record of the root directory: SUSP
// is in use when its system use area starts with an SP entry (check bytes
// BE EF), Rock Ridge when Rock Ridge entries or an ER naming it follow.
func detectRockRidge(r io.ReaderAt, size int64, vi *volumeInfo) rockRidgeRoot {
	var rr rockRidgeRoot
	off := (int64(vi.primaryRoot.lba) + int64(vi.primaryRoot.xarLen)) * vi.blockSize
	if off+isoSectorSize > size {
		return rr
	}
	b := make([]byte, isoSectorSize)
	if readFull(r, b, off, isoLayer, "root directory") != nil || b[0] == 0 {
		return rr
	}
	dot, err := parseDirRecordAt(b[:b[0]], off)
	if err != nil || !dot.isDot() {
		return rr
	}
	su := dot.sysUse
	if len(su) < 7 || string(su[:2]) != "SP" || su[2] != 7 || su[4] != 0xbe || su[5] != 0xef {
		return rr
	}
	rr.skip = int(su[6])
	entries, _ := readSUSP(r, size, vi.blockSize, su, dot.sysUseOff, nil, nil, "")
	for _, e := range entries {
		if rockRidgeSigs[e.sig] {
			rr.used = true
		}
		if e.sig == "ER" {
			id, text := extensionRef(e.data)
			rr.extensions = append(rr.extensions, text)
			switch id {
			case "RRIP_1991A", "IEEE_P1282", "IEEE_1282":
				rr.used = true
			}
		}
	}
	return rr
}

// extensionRef decodes an ER entry: identifier, and the whole as text.
func extensionRef(d []byte) (id, text string) {
	if len(d) < 4 {
		return "", fmt.Sprintf("invalid (%x)", d)
	}
	li, ld, ls := int(d[0]), int(d[1]), int(d[2])
	if 4+li+ld+ls > len(d) {
		return "", fmt.Sprintf("invalid (%x)", d)
	}
	id = string(d[4 : 4+li])
	des := string(d[4+li : 4+li+ld])
	src := string(d[4+li+ld : 4+li+ld+ls])
	return id, fmt.Sprintf("%s version %d: %s; %s", quoteIfNeeded(id), d[3], quoteIfNeeded(des), quoteIfNeeded(src))
}

// rrInfo is what the Rock Ridge entries of one record say.
type rrInfo struct {
	hasMode             bool
	mode                uint32
	nlink, uid, gid     uint32
	hasIno              bool
	ino                 uint32
	rdev                string
	hasName             bool
	name                string
	hasLink             bool
	link                string
	times               map[string]string
	hasChildLink        bool
	childLink           uint32
	relocated           bool // RE: shown where a CL entry points, not here
	extra               []Field
	err                 error
	sawPX, sawPN, sawTF bool
}

// timeFieldNames in the order of the TF flag bits.
var timeFieldNames = [...]string{"creation time", "mtime", "atime", "ctime", "backup time", "expiration time", "effective time"}

// rockRidge reads the Rock Ridge entries of a record. rootDot marks the
// root's "." record, whose SP entry is at the start: everywhere else the SP
// skip length applies.
func (w *treeWalker) rockRidge(rec dirRecord, rootDot bool, path string) rrInfo {
	entries, err := w.suspEntries(rec, rootDot, path)
	ri := parseRockRidge(entries)
	if ri.err == nil {
		ri.err = err
	}
	return ri
}

func (w *treeWalker) suspEntries(rec dirRecord, rootDot bool, path string) ([]suspEntry, error) {
	area, off := rec.sysUse, rec.sysUseOff
	if !rootDot {
		if w.suspSkip >= len(area) {
			return nil, nil
		}
		area, off = area[w.suspSkip:], off+int64(w.suspSkip)
	}
	return readSUSP(w.r, w.size, w.bs, area, off, w.claims, w.budget, w.tree+" "+path)
}

// parseRockRidge interprets SUSP entries as Rock Ridge.
func parseRockRidge(entries []suspEntry) rrInfo {
	var ri rrInfo
	setErr := func(e error) {
		if ri.err == nil {
			ri.err = e
		}
	}
	var name []byte
	var nameDone bool
	var link linkBuilder
	unknown := map[string]int{}
	for _, e := range entries {
		d := e.data
		short := func(need int) bool {
			if len(d) < need {
				setErr(formatErr(isoLayer, e.off, "Rock Ridge %s entry with %d bytes of data, %d needed", e.sig, len(d), need))
				return true
			}
			return false
		}
		switch e.sig {
		case "PX":
			if ri.sawPX {
				setErr(formatErr(isoLayer, e.off, "a second Rock Ridge PX entry"))
				continue
			}
			if short(32) {
				continue
			}
			ri.sawPX = true
			var errs [5]error
			ri.mode, errs[0] = bothEndian32(d[0:8])
			ri.nlink, errs[1] = bothEndian32(d[8:16])
			ri.uid, errs[2] = bothEndian32(d[16:24])
			ri.gid, errs[3] = bothEndian32(d[24:32])
			ri.hasMode = true
			if len(d) >= 40 {
				ri.ino, errs[4] = bothEndian32(d[32:40])
				ri.hasIno = true
			}
			setErr(bothErr(firstErr(errs[:]...), e.off))
		case "PN":
			if ri.sawPN || short(16) {
				continue
			}
			ri.sawPN = true
			high, e1 := bothEndian32(d[0:8])
			low, e2 := bothEndian32(d[8:16])
			setErr(bothErr(firstErr(e1, e2), e.off))
			ri.rdev = deviceNumbers(uint64(high)<<32 | uint64(low))
		case "NM":
			if short(1) {
				continue
			}
			if nameDone {
				setErr(formatErr(isoLayer, e.off, "Rock Ridge NM entry after a complete name"))
				continue
			}
			switch {
			case d[0]&0x02 != 0:
				name = append(name, '.')
			case d[0]&0x04 != 0:
				name = append(name, ".."...)
			default:
				name = append(name, d[1:]...)
			}
			ri.hasName = true
			nameDone = d[0]&0x01 == 0
		case "SL":
			if short(1) {
				continue
			}
			if err := link.add(d[1:]); err != nil {
				setErr(formatErr(isoLayer, e.off, "Rock Ridge SL entry: %s", err))
			}
			ri.hasLink = true
		case "TF":
			if ri.sawTF || short(1) {
				continue
			}
			ri.sawTF = true
			ri.times = map[string]string{}
			flags, rest := d[0], d[1:]
			size := 7
			if flags&0x80 != 0 {
				size = 17
			}
			for bit, fname := range timeFieldNames {
				if flags&(1<<bit) == 0 {
					continue
				}
				if len(rest) < size {
					setErr(formatErr(isoLayer, e.off, "Rock Ridge TF entry too short for its flags 0x%02x", flags))
					break
				}
				if size == 7 {
					ri.times[fname] = recordTime([7]byte(rest[:7]))
				} else {
					ri.times[fname] = longTime(rest[:17])
				}
				rest = rest[size:]
			}
		case "CL":
			if short(8) {
				continue
			}
			lba, err := bothEndian32(d[0:8])
			setErr(bothErr(err, e.off))
			ri.hasChildLink, ri.childLink = true, lba
		case "RE":
			ri.relocated = true
		case "PL", "RR", "SP":
			// PL (the real parent of a relocated directory) is in ".."
			// records, which make no node; RR is a summary of the other
			// entries (RRIP 1.09); SP matters only in the root's ".".
		case "ZF":
			if short(12) {
				continue
			}
			usize, err := bothEndian32(d[4:12])
			setErr(bothErr(err, e.off))
			ri.extra = append(ri.extra, Field{"zisofs", fmt.Sprintf("algorithm %s, header size %d, block size %d, uncompressed size %d", quoteIfNeeded(string(d[0:2])), int(d[2])*4, uint64(1)<<min(d[3], 63), usize)})
		case "SF":
			// RRIP 1.12: virtual size high and low, table depth; the 1.10
			// draft had the low half only.
			switch {
			case len(d) >= 17:
				high, e1 := bothEndian32(d[0:8])
				low, e2 := bothEndian32(d[8:16])
				setErr(bothErr(firstErr(e1, e2), e.off))
				ri.extra = append(ri.extra, Field{"sparse", fmt.Sprintf("size %d, table depth %d", uint64(high)<<32|uint64(low), d[16])})
			case len(d) >= 8:
				low, err := bothEndian32(d[0:8])
				setErr(bothErr(err, e.off))
				ri.extra = append(ri.extra, Field{"sparse", fmt.Sprintf("size %d", low)})
			default:
				short(8)
			}
		case "ER":
			// On the root's fields, through rockRidgeRoot.
		default:
			fname := "SUSP " + quoteIfNeeded(e.sig)
			unknown[fname]++
			if unknown[fname] > 1 {
				fname = fmt.Sprintf("%s %d", fname, unknown[fname])
			}
			ri.extra = append(ri.extra, Field{fname, fmt.Sprintf("v%d %x", e.version, e.data)})
		}
	}
	if ri.hasName {
		ri.name = string(name)
		if !nameDone {
			setErr(formatErr(isoLayer, -1, "Rock Ridge name %q ends with the CONTINUE flag set", ri.name))
		}
	}
	if ri.hasLink {
		ri.link = link.String()
	}
	return ri
}

// linkBuilder assembles a symbolic link target from the components of every
// SL entry of a record, in order. A component with the CONTINUE flag is
// continued by the next one, which may be in the next SL entry.
type linkBuilder struct {
	parts []string
	root  bool // the first part is the root
	cont  bool // the last component had CONTINUE
}

func (l *linkBuilder) add(comps []byte) error {
	for len(comps) > 0 {
		if len(comps) < 2 || 2+int(comps[1]) > len(comps) {
			return fmt.Errorf("component record of %d bytes truncated", len(comps))
		}
		flags, content := comps[0], comps[2:2+int(comps[1])]
		comps = comps[2+int(comps[1]):]
		var s string
		isRoot := false
		switch {
		case flags&0x02 != 0:
			s = "."
		case flags&0x04 != 0:
			s = ".."
		case flags&0x08 != 0, flags&0x10 != 0: // ROOT, VOLROOT
			isRoot = true
		case flags&0x20 != 0: // HOST: no agreed meaning
			s = "<host>"
		default:
			s = string(content)
		}
		switch {
		case l.cont && len(l.parts) > 0:
			l.parts[len(l.parts)-1] += s
		case isRoot && len(l.parts) == 0:
			l.root = true
			l.parts = append(l.parts, "")
		default:
			l.parts = append(l.parts, s)
		}
		l.cont = flags&0x01 != 0
	}
	return nil
}

func (l *linkBuilder) String() string {
	if l.root && len(l.parts) == 1 {
		return "/"
	}
	return strings.Join(l.parts, "/")
}

// deviceNumbers shows a device number as "major,minor". The PN entry holds
// the high and low 32 bits of the dev_t that mkisofs and libisofs take
// from stat(2); on Linux (glibc encoding) the 32-bit low half alone is the
// old 8:8 or 12:20 split, and the high half holds the upper major and minor
// bits.
func deviceNumbers(dev uint64) string {
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	return fmt.Sprintf("%d,%d", major, minor)
}

// longTime decodes the 17-byte form of a TF time (as dec-datetime).
func longTime(b []byte) string {
	digits := b[:16]
	if allZero(b) || (bytes.Count(digits, []byte("0")) == 16 && b[16] == 0) {
		return "unset"
	}
	var v [7]int
	pos := 0
	for i, w := range [...]int{4, 2, 2, 2, 2, 2, 2} {
		for _, c := range digits[pos : pos+w] {
			if c < '0' || c > '9' {
				return fmt.Sprintf("invalid (%x)", b)
			}
			v[i] = v[i]*10 + int(c-'0')
		}
		pos += w
	}
	return formatTime(v[0], v[1], v[2], v[3], v[4], v[5], v[6], int8(b[16]), b)
}

// addAttrFields adds mode, uid, gid, nlink, inode and rdev, those present.
func (ri *rrInfo) addAttrFields(n *Node) {
	if ri.hasMode {
		n.AddField("mode", "%s", modeString(ri.mode))
		n.AddField("uid", "%d", ri.uid)
		n.AddField("gid", "%d", ri.gid)
		n.AddField("nlink", "%d", ri.nlink)
		if ri.hasIno {
			n.AddField("inode", "%d", ri.ino)
		}
	}
	if ri.rdev != "" {
		n.AddField("rdev", "%s", ri.rdev)
	}
}

// addTimeFields adds the TF times present: mtime, atime, ctime, creation
// time, then the rarely used ones.
func (ri *rrInfo) addTimeFields(n *Node) {
	for _, name := range [...]string{"mtime", "atime", "ctime", "creation time", "backup time", "expiration time", "effective time"} {
		if v, ok := ri.times[name]; ok {
			n.AddField(name, "%s", v)
		}
	}
}

func (ri *rrInfo) addExtraFields(n *Node) {
	n.Fields = append(n.Fields, ri.extra...)
}
