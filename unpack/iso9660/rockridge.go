package iso9660

// System Use Sharing Protocol (SUSP, IEEE P1281) and Rock Ridge (RRIP,
// IEEE P1282) entries in the system use area of directory records.

import (
	"bytes"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"slices"
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
//
// odd holds, as fields, whatever of these bytes the entries do not account
// for: bytes after the last entry other than the one zero byte that makes
// the record (which starts at recOff) of even length, PD entries, and CE or
// ST entries that are not as a writer makes them.
func readSUSP(r io.ReaderAt, size, bs int64, area []byte, areaOff, recOff int64, claims *layout.Claims, budget *readBudget, what string) (entries []suspEntry, odd []unpack.Field, err error) {
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
				setErr(unpack.Errorf(isoLayer, curOff, "SUSP entry %q of length %d in %d remaining bytes", cur[:2], l, len(cur)))
				break
			}
			e := suspEntry{sig: string(cur[:2]), version: cur[3], data: cur[4:l], off: curOff}
			switch e.sig {
			case "ST":
				if l != 4 || e.version != 1 {
					break area // shown with the bytes after it
				}
				cur, curOff = cur[l:], curOff+int64(l)
				break area
			case "PD":
				odd = addUniqueField(odd, "SUSP PD", fmt.Sprintf("v%d %x", e.version, e.data))
			case "CE":
				switch {
				case len(e.data) < 24:
					setErr(unpack.Errorf(isoLayer, curOff, "SUSP CE entry of length %d, 28 needed", l))
					odd = addUniqueField(odd, "SUSP CE", fmt.Sprintf("v%d %x", e.version, e.data))
				case ce != nil:
					setErr(unpack.Errorf(isoLayer, curOff, "a second SUSP CE entry in one area"))
					odd = addUniqueField(odd, "SUSP CE", fmt.Sprintf("v%d %x", e.version, e.data))
				default:
					ce, ceOff = e.data, curOff
					_, e1 := bothEndian32(ce[0:8])
					_, e2 := bothEndian32(ce[8:16])
					_, e3 := bothEndian32(ce[16:24])
					if e.version != 1 || len(ce) != 24 || firstErr(e1, e2, e3) != nil {
						odd = addUniqueField(odd, "SUSP CE", fmt.Sprintf("v%d %x", e.version, e.data))
					}
				}
			default:
				entries = append(entries, e)
			}
			cur, curOff = cur[l:], curOff+int64(l)
		}
		// The record's own area may end in one zero byte that makes the
		// record's length even; a continuation area ends with its last
		// entry.
		padOK := hops == 0 && len(cur) == 1 && cur[0] == 0 && (curOff-recOff)%2 == 1
		if len(cur) > 0 && !padOK {
			name := "system use padding"
			if hops > 0 {
				name = "SUSP continuation area padding"
			}
			odd = addUniqueField(odd, name, fmt.Sprintf("@%d: %x", curOff, cur))
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
			setErr(unpack.Errorf(isoLayer, ceOff, "more than %d SUSP continuation areas for one record", maxCEHops))
			break
		}
		start := int64(block)*bs + int64(offset)
		if int64(offset) >= bs || int64(length) > bs || start+int64(length) > size {
			setErr(unpack.Errorf(isoLayer, ceOff, "SUSP continuation area (block %d, offset %d, length %d) outside the image or longer than a block", block, offset, length))
			break
		}
		if int64(offset)+int64(length) > bs {
			setErr(unpack.Errorf(isoLayer, ceOff, "SUSP continuation area (block %d, offset %d, length %d) crosses a block boundary", block, offset, length))
		}
		if length == 0 {
			break
		}
		if !budget.take(int64(length)) {
			setErr(unpack.Errorf(isoLayer, ceOff, "the image makes the reader read more than twice its size: continuation area not read"))
			break
		}
		buf := make([]byte, length)
		if rerr := bin.ReadFull(r, buf, start, isoLayer, "SUSP continuation area"); rerr != nil {
			setErr(rerr)
			break
		}
		if claims != nil {
			claims.Addf(start, int64(length), "SUSP continuation area of %s", what)
		}
		cur, curOff = buf, start
	}
	return entries, odd, err
}

// addUniqueField appends a field, numbering its name ("SUSP XY 2") when
// fields already has one of that name: fields are told apart by name.
func addUniqueField(fields []unpack.Field, name, value string) []unpack.Field {
	n := name
	for k := 2; ; k++ {
		taken := false
		for _, f := range fields {
			if f.Name == n {
				taken = true
				break
			}
		}
		if !taken {
			break
		}
		n = fmt.Sprintf("%s %d", name, k)
	}
	return append(fields, unpack.Field{Name: n, Value: value})
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
	if bin.ReadFull(r, b, off, isoLayer, "root directory") != nil || b[0] == 0 {
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
	entries, _, _ := readSUSP(r, size, vi.blockSize, su, dot.sysUseOff, dot.off, nil, nil, "")
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
	text = fmt.Sprintf("%s version %d: %s; %s", show.QuoteName(id), d[3], show.QuoteName(des), show.QuoteName(src))
	if rest := d[4+li+ld+ls:]; len(rest) > 0 {
		text += fmt.Sprintf("; then %x", rest)
	}
	return id, text
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
	extra               []unpack.Field
	err                 error
	sawPX, sawPN, sawTF bool
}

// timeFieldNames in the order of the TF flag bits.
var timeFieldNames = [...]string{"creation time", "mtime", "atime", "ctime", "backup time", "expiration time", "effective time"}

// rockRidge reads the Rock Ridge entries of a record. rootDot marks the
// root's "." record, whose SP entry is at the start: everywhere else the SP
// skip length applies.
func (w *treeWalker) rockRidge(rec dirRecord, rootDot bool, path string) rrInfo {
	entries, odd, err := w.suspEntries(rec, rootDot, path)
	ri := parseRockRidgeEntries(entries, rootDot)
	ri.extra = append(ri.extra, odd...)
	if ri.err == nil {
		ri.err = err
	}
	return ri
}

func (w *treeWalker) suspEntries(rec dirRecord, rootDot bool, path string) ([]suspEntry, []unpack.Field, error) {
	area, off := rec.sysUse, rec.sysUseOff
	var odd []unpack.Field
	if !rootDot && w.suspSkip > 0 {
		// The bytes SP says to skip are no entries; they are shown when
		// they are not zero.
		skipped := area[:min(w.suspSkip, len(area))]
		if !bin.AllZero(skipped) {
			odd = append(odd, unpack.Field{Name: "SUSP skipped bytes", Value: fmt.Sprintf("%x", skipped)})
		}
		if w.suspSkip >= len(area) {
			return nil, odd, nil
		}
		area, off = area[w.suspSkip:], off+int64(w.suspSkip)
	}
	entries, more, err := readSUSP(w.r, w.size, w.bs, area, off, rec.off, w.claims, w.budget, w.tree+" "+path)
	return entries, append(odd, more...), err
}

// parseRockRidge interprets SUSP entries as Rock Ridge.
func parseRockRidge(entries []suspEntry) rrInfo { return parseRockRidgeEntries(entries, false) }

// rrRecordFlags are the bits of an RR entry (RRIP 1.09) naming the
// entries a record has.
var rrRecordFlags = map[string]byte{"PX": 0x01, "PN": 0x02, "SL": 0x04, "NM": 0x08, "CL": 0x10, "PL": 0x20, "RE": 0x40, "TF": 0x80}

// parseRockRidgeEntries interprets SUSP entries as Rock Ridge. rootDot
// marks the entries of the root's "." record, where SP and ER belong.
//
// Every byte of every entry shows: what an entry is for goes into the
// fields of rrInfo, and an entry that is not as a writer makes it (another
// version, bytes beyond its data, both-endian copies that differ, flags
// that are reserved or not followed, a second entry of a kind that is read
// once) is also shown whole in extra, as "SUSP XY".
func parseRockRidgeEntries(entries []suspEntry, rootDot bool) rrInfo {
	var ri rrInfo
	setErr := func(e error) {
		if ri.err == nil {
			ri.err = e
		}
	}
	raw := func(e suspEntry) {
		ri.extra = addUniqueField(ri.extra, "SUSP "+show.QuoteName(e.sig), fmt.Sprintf("v%d %x", e.version, e.data))
	}
	var name []byte
	var nameDone bool
	var link linkBuilder
	var lastSL int
	for i, e := range entries {
		if e.sig == "SL" {
			lastSL = i
		}
	}
	var rrFlags *suspEntry
	present := byte(0)
	for i, e := range entries {
		d := e.data
		short := func(need int) bool {
			if len(d) < need {
				setErr(unpack.Errorf(isoLayer, e.off, "Rock Ridge %s entry with %d bytes of data, %d needed", e.sig, len(d), need))
				raw(e)
				return true
			}
			return false
		}
		// exact says whether the entry is as a writer makes it: version
		// 1, its data exactly one of the lengths given and, for entries
		// made of both-endian numbers only, every copy agreeing.
		exact := func(lengths ...int) bool {
			if e.version != 1 || !slices.Contains(lengths, len(d)) {
				return false
			}
			switch e.sig {
			case "PX", "PN", "CL", "PL":
				for at := 0; at+8 <= len(d); at += 8 {
					if _, err := bothEndian32(d[at : at+8]); err != nil {
						return false
					}
				}
			}
			return true
		}
		present |= rrRecordFlags[e.sig]
		switch e.sig {
		case "PX":
			if ri.sawPX {
				setErr(unpack.Errorf(isoLayer, e.off, "a second Rock Ridge PX entry"))
				raw(e)
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
			if !exact(32, 40) {
				raw(e)
			}
		case "PN":
			if ri.sawPN {
				raw(e)
				continue
			}
			if short(16) {
				continue
			}
			ri.sawPN = true
			high, e1 := bothEndian32(d[0:8])
			low, e2 := bothEndian32(d[8:16])
			setErr(bothErr(firstErr(e1, e2), e.off))
			ri.rdev = deviceNumbers(uint64(high)<<32 | uint64(low))
			if !exact(16) {
				raw(e)
			}
		case "NM":
			if short(1) {
				continue
			}
			if nameDone {
				setErr(unpack.Errorf(isoLayer, e.off, "Rock Ridge NM entry after a complete name"))
				raw(e)
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
			// CURRENT and PARENT (which RRIP 1.12 writers put in the "."
			// and ".." records) carry no content; HOST and the reserved
			// bits are no part of a name as a writer makes one.
			switch {
			case e.version != 1:
				raw(e)
			case d[0] == 0x02 || d[0] == 0x04:
				if len(d) != 1 {
					raw(e)
				}
			case d[0]&^0x01 != 0:
				raw(e)
			}
		case "SL":
			if short(1) {
				continue
			}
			exactComps, err := link.add(d[1:])
			if err != nil {
				setErr(unpack.Errorf(isoLayer, e.off, "Rock Ridge SL entry: %s", err))
			}
			ri.hasLink = true
			// Bit 0 says another SL entry continues the link: set on
			// all but the last.
			wantFlags := byte(0)
			if i != lastSL {
				wantFlags = 1
			}
			if err != nil || !exactComps || e.version != 1 || d[0] != wantFlags || (i == lastSL && link.cont) {
				raw(e)
			}
		case "TF":
			if ri.sawTF {
				raw(e)
				continue
			}
			if short(1) {
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
					setErr(unpack.Errorf(isoLayer, e.off, "Rock Ridge TF entry too short for its flags 0x%02x", flags))
					break
				}
				if size == 7 {
					ri.times[fname] = recordTime([7]byte(rest[:7]))
				} else {
					ri.times[fname] = longTime(rest[:17])
				}
				rest = rest[size:]
			}
			if e.version != 1 || len(rest) != 0 {
				raw(e)
			}
		case "CL":
			if short(8) {
				continue
			}
			lba, err := bothEndian32(d[0:8])
			setErr(bothErr(err, e.off))
			ri.hasChildLink, ri.childLink = true, lba
			if !exact(8) {
				raw(e)
			}
		case "RE":
			ri.relocated = true
			if !exact(0) {
				raw(e)
			}
		case "PL":
			// The real parent of a relocated directory, in its ".."
			// record.
			if short(8) {
				continue
			}
			lba, err := bothEndian32(d[0:8])
			setErr(bothErr(err, e.off))
			ri.extra = addUniqueField(ri.extra, "parent link", fmt.Sprintf("%d", lba))
			if !exact(8) {
				raw(e)
			}
		case "RR":
			// RRIP 1.09: the entries the record has, checked below.
			if rrFlags != nil || !exact(1) {
				raw(e)
			} else {
				rrFlags = &entries[i]
			}
		case "SP":
			// Only at the start of the root's "." record, where it says
			// SUSP is used and how many bytes to skip elsewhere.
			if !rootDot || i != 0 || !exact(3) || d[0] != 0xbe || d[1] != 0xef {
				raw(e)
			}
		case "ZF":
			if short(12) {
				continue
			}
			usize, err := bothEndian32(d[4:12])
			setErr(bothErr(err, e.off))
			bsize := fmt.Sprintf("%d", uint64(1)<<min(d[3], 63))
			if d[3] > 63 {
				bsize = fmt.Sprintf("2^%d", d[3])
			}
			ri.extra = append(ri.extra, unpack.Field{Name: "zisofs", Value: fmt.Sprintf("algorithm %s, header size %d, block size %s, uncompressed size %d", show.QuoteName(string(d[0:2])), int(d[2])*4, bsize, usize)})
			if !exact(12) || err != nil {
				raw(e)
			}
		case "SF":
			// RRIP 1.12: virtual size high and low, table depth; the 1.10
			// draft had the low half only.
			switch {
			case len(d) >= 17:
				high, e1 := bothEndian32(d[0:8])
				low, e2 := bothEndian32(d[8:16])
				setErr(bothErr(firstErr(e1, e2), e.off))
				ri.extra = append(ri.extra, unpack.Field{Name: "sparse", Value: fmt.Sprintf("size %d, table depth %d", uint64(high)<<32|uint64(low), d[16])})
				if !exact(17) || firstErr(e1, e2) != nil {
					raw(e)
				}
			case len(d) >= 8:
				low, err := bothEndian32(d[0:8])
				setErr(bothErr(err, e.off))
				ri.extra = append(ri.extra, unpack.Field{Name: "sparse", Value: fmt.Sprintf("size %d", low)})
				if !exact(8) {
					raw(e)
				}
			default:
				short(8)
			}
		case "ER":
			// On the root's fields, through rockRidgeRoot, all but the
			// entry's version.
			if !rootDot || e.version != 1 {
				raw(e)
			}
		default:
			raw(e)
		}
	}
	if rrFlags != nil && rrFlags.data[0] != present {
		// Not what the record has: shown as it is.
		raw(*rrFlags)
	}
	if ri.hasName {
		ri.name = string(name)
		if !nameDone {
			setErr(unpack.Errorf(isoLayer, -1, "Rock Ridge name %q ends with the CONTINUE flag set", ri.name))
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

// add appends the component records of one SL entry. exact says every
// bit of them shows in the target: flags of one meaning each, no content
// where the flag says what the component is, no slash or NUL inside one.
func (l *linkBuilder) add(comps []byte) (exact bool, err error) {
	exact = true
	for len(comps) > 0 {
		if len(comps) < 2 || 2+int(comps[1]) > len(comps) {
			return false, fmt.Errorf("component record of %d bytes truncated", len(comps))
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
		switch flags &^ 0x01 {
		case 0:
			exact = exact && len(content) > 0 && !bytes.ContainsAny(content, "/\x00")
		case 0x02, 0x04, 0x08:
			exact = exact && len(content) == 0 && flags&0x01 == 0
		default:
			exact = false
		}
		switch {
		case l.cont && len(l.parts) > 0:
			l.parts[len(l.parts)-1] += s
		case isRoot && len(l.parts) == 0:
			l.root = true
			l.parts = append(l.parts, "")
		default:
			exact = exact && !isRoot
			l.parts = append(l.parts, s)
		}
		l.cont = flags&0x01 != 0
	}
	return exact, nil
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
	if bin.AllZero(b) {
		return "unset (zero bytes)"
	}
	if bytes.Count(digits, []byte("0")) == 16 && b[16] == 0 {
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
func (ri *rrInfo) addAttrFields(n *unpack.Node) {
	if ri.hasMode {
		n.AddField("mode", "%s", show.Mode(ri.mode))
		n.AddField("uid", "%d", ri.uid)
		n.AddField("gid", "%d", ri.gid)
		n.AddField("nlink", "%d", ri.nlink)
		if ri.hasIno {
			n.AddRoleField(unpack.RolePlacement, "inode", "%d", ri.ino)
		}
	}
	if ri.rdev != "" {
		n.AddField("rdev", "%s", ri.rdev)
	}
}

// addTimeFields adds the TF times present: mtime, atime, ctime, creation
// time, then the rarely used ones.
func (ri *rrInfo) addTimeFields(n *unpack.Node) {
	for _, name := range [...]string{"mtime", "atime", "ctime", "creation time", "backup time", "expiration time", "effective time"} {
		if v, ok := ri.times[name]; ok {
			n.AddRoleField(unpack.RoleTime, name, "%s", v)
		}
	}
}

func (ri *rrInfo) addExtraFields(n *unpack.Node) {
	n.AddFields(ri.extra...)
}
