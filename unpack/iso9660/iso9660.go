package iso9660

// ISO 9660 directory hierarchy, with Rock Ridge (rockridge.go) and Joliet.
//
// Why our own reader and not go-diskfs (v1.9.4, filesystem/iso9660), which
// the tests still use as a cross-check on the names it gets right: measured
// on xorriso images, its Name() strips a leading and a trailing '.' even
// from Rock Ridge names (".hidden" comes back as "hidden"); NM records
// continued in a continuation area (CE) are ignored, so a 229-character
// name came back about 93 characters long; of a symlink target spread over
// several SL records only the last record is returned; a multi-extent file
// (> 4 GiB, -iso-level 3) comes back as two entries of the same name; it
// finds directories by path through the path table, which is quadratic
// and fragile once Rock Ridge names differ from ISO identifiers; and it
// exposes no Rock Ridge TF times. So this reader walks directory records
// itself, by extent and never by path, and checks the path tables against
// what it found instead of trusting them.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/show"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Directory record file flags (ECMA-119 9.1.6).
const (
	flagHidden      = 0x01
	flagDir         = 0x02
	flagAssociated  = 0x04
	flagRecord      = 0x08
	flagProtection  = 0x10
	flagMultiExtent = 0x80
)

// Limits that keep a hostile image from costing unbounded time or memory.
const (
	maxDirRead   = 64 << 20  // bytes of one directory extent read
	maxNodes     = 4_000_000 // entries in one image, all trees together
	maxDepth     = 1024      // directory nesting
	maxPathTable = 64 << 20  // bytes of one path table read
	maxExtents   = 1 << 16   // extents of one multi-extent file
)

// dirRecord is one ISO 9660 directory record (ECMA-119 9.1).
type dirRecord struct {
	off       int64 // byte offset of the record in the image
	length    int   // record length
	xarLen    uint8 // extended attribute record length, in logical blocks
	lba       uint32
	size      uint32
	recTime   [7]byte
	flags     uint8
	unitSize  uint8
	gapSize   uint8
	volSeq    uint16
	ident     []byte
	sysUse    []byte // system use area (SUSP entries when Rock Ridge)
	sysUseOff int64  // byte offset of sysUse in the image
	raw       []byte // the whole record
	err       error  // a both-endian mismatch and the like: the record is still usable
}

// parseDirRecordAt parses the directory record at the start of b, which is
// at byte off of the image. b may be longer than the record.
func parseDirRecordAt(b []byte, off int64) (dirRecord, error) {
	if len(b) < 34 {
		return dirRecord{}, unpack.Errorf(isoLayer, off, "directory record: %d bytes, at least 34 needed", len(b))
	}
	l := int(b[0])
	if l < 34 || l > len(b) {
		return dirRecord{}, unpack.Errorf(isoLayer, off, "directory record length %d (at least 34, at most %d here)", l, len(b))
	}
	idLen := int(b[32])
	if idLen == 0 || 33+idLen > l {
		return dirRecord{}, unpack.Errorf(isoLayer, off, "directory record of length %d with identifier length %d", l, idLen)
	}
	rec := dirRecord{off: off, length: l, xarLen: b[1], flags: b[25], unitSize: b[26], gapSize: b[27], raw: b[:l]}
	var e1, e2, e3 error
	rec.lba, e1 = bothEndian32(b[2:10])
	rec.size, e2 = bothEndian32(b[10:18])
	rec.volSeq, e3 = bothEndian16(b[28:32])
	copy(rec.recTime[:], b[18:25])
	rec.ident = b[33 : 33+idLen]
	su := 33 + idLen
	if idLen%2 == 0 {
		su++ // padding byte
	}
	if su > l {
		su = l
	}
	rec.sysUse = b[su:l]
	rec.sysUseOff = off + int64(su)
	rec.err = firstErr(bothErr(e1, off+2), bothErr(e2, off+10), bothErr(e3, off+28))
	return rec, nil
}

func (rec *dirRecord) isDot() bool    { return len(rec.ident) == 1 && rec.ident[0] == 0 }
func (rec *dirRecord) isDotDot() bool { return len(rec.ident) == 1 && rec.ident[0] == 1 }

// extentFile is a regular file as the El Torito reader needs it to name a
// boot image: its path in the file tree and its total size.
type extentFile struct {
	path string
	size int64
}

// naming says how a tree's entries are named.
type naming int

const (
	namesISO naming = iota
	namesRockRidge
	namesJoliet
)

// dirMeta is what the path tables are checked against: per directory
// extent, the identifier of the record that names it and the extent of the
// directory holding that record.
type dirMeta struct {
	ident  []byte // nil for the root
	named  bool
	parent uint32
}

// treeWalker walks one directory hierarchy (primary or Joliet) by extent.
type treeWalker struct {
	r        io.ReaderAt
	size     int64
	bs       int64
	claims   *layout.Claims
	names    naming
	suspSkip int
	nodes    *int        // entries made so far, shared by every walk of the image
	budget   *readBudget // shared by every walk of the image
	full     bool        // maxNodes reached
	dirs     map[uint32]*dirMeta
	tree     string // "ISO 9660" or "Joliet", for claims
}

// readBudget bounds the bytes of structure (directories, continuation
// areas) that one image can make the reader read. In a sound image these
// are distinct ranges, so twice the image size is never reached; a hostile
// one pointing many records at the same large areas stops there instead of
// reading gigabytes.
type readBudget struct{ left int64 }

func newReadBudget(size int64) *readBudget { return &readBudget{left: 2*size + 8<<20} }

// take spends n bytes, or says there are not enough left. A nil budget
// never runs out.
func (b *readBudget) take(n int64) bool {
	if b == nil {
		return true
	}
	if n > b.left {
		b.left = 0
		return false
	}
	b.left -= n
	return true
}

func newTreeWalker(r io.ReaderAt, size int64, vi *volumeInfo, claims *layout.Claims, names naming, nodes *int, budget *readBudget) *treeWalker {
	tree := "ISO 9660"
	if names == namesJoliet {
		tree = "Joliet"
	}
	return &treeWalker{r: r, size: size, bs: vi.blockSize, claims: claims, names: names, nodes: nodes, budget: budget, dirs: map[uint32]*dirMeta{}, tree: tree}
}

// readTrees walks the directory hierarchy by extent and returns:
//
//   - files: the file tree, named by Rock Ridge when the root's "." record
//     has a SUSP "SP" entry and Rock Ridge entries, else by Joliet when a
//     Joliet descriptor exists, else by ISO 9660 identifiers;
//   - joliet: when Rock Ridge names the files and a Joliet tree exists,
//     "[Joliet tree]": that hierarchy as metadata only, each file's field
//     "extent" naming the file of files at the same extent (so that a pure
//     relayout does not show twice), or "LBA n"; when Joliet names the
//     files, "[ISO 9660 tree]", the ISO 9660 hierarchy made the same way;
//     nil otherwise;
//   - pathTables: "[path tables]", one child per table, one field per
//     directory, Err where a table disagrees with the hierarchy;
//   - byExtent: the byte offset of each non-empty regular file's first
//     extent, to its path and total size.
//
// Damage is recorded in the Err of the Node concerned and the walk goes on
// elsewhere; err is non-nil only when vi is unusable.
func readTrees(r io.ReaderAt, size int64, vi *volumeInfo, claims *layout.Claims) (files, joliet, pathTables *unpack.Node, byExtent map[int64]extentFile, err error) {
	if vi == nil || vi.blockSize <= 0 {
		return nil, nil, nil, nil, errors.New("iso9660: readTrees without volume information")
	}
	nodes := 0
	budget := newReadBudget(size)
	rr := detectRockRidge(r, size, vi)
	names := namesISO
	if rr.used {
		names = namesRockRidge
	}
	pw := newTreeWalker(r, size, vi, claims, names, &nodes, budget)
	pw.suspSkip = rr.skip
	primary := pw.walk(vi.primaryRoot, rr)

	var jw *treeWalker
	var jtree *unpack.Node
	if vi.jolietRoot != nil {
		jw = newTreeWalker(r, size, vi, claims, namesJoliet, &nodes, budget)
		jtree = jw.walk(*vi.jolietRoot, rockRidgeRoot{})
		jtree.Sort()
	}
	primary.Sort()

	files = primary
	if !rr.used && jtree != nil {
		files = jtree
		addISONames(files, primary)
	}
	byExtent = linkFiles(files)
	switch {
	case rr.used && jtree != nil:
		joliet = metadataTree(jtree, files, "[Joliet tree]")
	case jtree != nil:
		// Joliet names the files: the ISO 9660 records are shown beside
		// them as the Joliet ones are beside Rock Ridge.
		joliet = metadataTree(primary, files, "[ISO 9660 tree]")
	}
	var jdirs map[uint32]*dirMeta
	if jw != nil {
		jdirs = jw.dirs
	}
	pathTables = readPathTables(r, size, vi, pw.dirs, jdirs, claims)
	return files, joliet, pathTables, byExtent, nil
}

// walk reads the hierarchy under root (a directory record) into a tree.
func (w *treeWalker) walk(root dirRecord, rr rockRidgeRoot) *unpack.Node {
	n := &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: isoLayer, Offset: int64(root.lba) * w.bs}
	w.dirs[root.lba] = &dirMeta{named: true, parent: root.lba}
	visited := map[uint32]bool{}
	w.readDir(n, root, "/", 0, visited, true, rr, nil, nil)
	return n
}

// readDir reads the directory whose extent rec describes into n, then the
// directories below it. isRoot marks the root, whose "." record carries the
// attributes of the root itself (and the SUSP SP and ER entries).
//
// The "." and ".." records repeat what other records say: "." the record
// naming this directory in its parent (self), ".." the parent's "."
// (parentDot; the root's ".." repeats its own "."; a Joliet ".." as
// libisofs writes it, this directory's own "."). Each is shown as a field
// only where it does not.
func (w *treeWalker) readDir(n *unpack.Node, rec dirRecord, path string, depth int, visited map[uint32]bool, isRoot bool, rr rockRidgeRoot, self, parentDot *recordView) {
	if visited[rec.lba] {
		n.Err = unpack.Errorf(isoLayer, int64(rec.lba)*w.bs, "directory loop: extent %d is already a directory above or elsewhere in the tree", rec.lba)
		return
	}
	visited[rec.lba] = true
	if depth > maxDepth {
		n.Err = unpack.Errorf(isoLayer, int64(rec.lba)*w.bs, "directories nested deeper than %d", maxDepth)
		return
	}
	buf, start, err := w.readExtent(rec, path)
	if err != nil {
		n.Err = err
		if buf == nil {
			return
		}
	}
	recs, pads, slack, perr := parseDirRecords(buf, start)
	if n.Err == nil {
		n.Err = perr
	}
	if w.dirs[rec.lba] == nil {
		w.dirs[rec.lba] = &dirMeta{}
	}
	setErr := func(e error) {
		if n.Err == nil {
			n.Err = e
		}
	}

	var groups [][]dirRecord
	var dot, dotdot *dirRecord
	for i := 0; i < len(recs); i++ {
		rc := recs[i]
		switch {
		case rc.isDot():
			if dot != nil {
				// Not read, so left unclaimed.
				setErr(unpack.Errorf(isoLayer, rc.off, "a second \".\" record"))
				continue
			}
			dot = &recs[i]
			if rc.lba != rec.lba {
				setErr(unpack.Errorf(isoLayer, rc.off, "\".\" record points to extent %d, not to its own extent %d", rc.lba, rec.lba))
			}
			continue
		case rc.isDotDot():
			// Its extent is not checked: libisofs 1.5.4 points the ".."
			// of every Joliet directory at the directory itself.
			if dotdot != nil {
				setErr(unpack.Errorf(isoLayer, rc.off, "a second \"..\" record"))
				continue
			}
			dotdot = &recs[i]
			continue
		}
		g := []dirRecord{rc}
		for rc.flags&flagMultiExtent != 0 && i+1 < len(recs) && bytes.Equal(recs[i+1].ident, rc.ident) && len(g) < maxExtents {
			i++
			rc = recs[i]
			g = append(g, rc)
		}
		groups = append(groups, g)
	}
	switch {
	case dot == nil:
		setErr(unpack.Errorf(isoLayer, start, "directory without a \".\" record"))
	case dot != &recs[0]:
		setErr(unpack.Errorf(isoLayer, dot.off, "the \".\" record is not the first of the directory"))
	}
	switch {
	case dotdot == nil:
		setErr(unpack.Errorf(isoLayer, start, "directory without a \"..\" record"))
	case len(recs) < 2 || dotdot != &recs[1]:
		setErr(unpack.Errorf(isoLayer, dotdot.off, "the \"..\" record is not the second of the directory"))
	}

	var dotView *recordView
	if isRoot {
		d := dot
		if d == nil {
			d = &rec
		}
		ri := w.describeRoot(n, *d, rr, path)
		dotView = &recordView{*d, &ri, true, "."}
	} else if dot != nil {
		ri := w.dotRockRidge(*dot, path)
		setErr(ri.err)
		dotView = &recordView{*dot, &ri, true, "."}
		if !w.sameRecord(dotView, self) {
			n.AddField("\".\" record", "%s", fieldsText(w.recordFields(*dotView)))
		}
	}
	if dot != nil {
		w.claims.Addf(dot.off, int64(dot.length), "%s directory %s: \".\" record", w.tree, path)
	}
	if dotdot != nil {
		ri := w.dotRockRidge(*dotdot, path)
		setErr(ri.err)
		v := recordView{*dotdot, &ri, true, ".."}
		if isRoot {
			parentDot = dotView
		}
		// libisofs points every Joliet ".." at the directory itself:
		// what it writes is what shows nothing, and either convention is
		// shown by name where the other is expected.
		usual, other, otherName := parentDot, dotView, "same as \".\""
		if w.names == namesJoliet {
			usual, other, otherName = dotView, parentDot, "same as the parent's \".\""
		}
		switch {
		case w.sameRecord(&v, usual):
		case w.sameRecord(&v, other):
			n.AddField("\"..\" record", "%s", otherName)
		default:
			n.AddField("\"..\" record", "%s", fieldsText(w.recordFields(v)))
		}
		w.claims.Addf(dotdot.off, int64(dotdot.length), "%s directory %s: \"..\" record", w.tree, path)
	}
	if slack != "" {
		n.AddField("unused bytes", "%s", slack)
	}
	// The padding is decoded: "unused bytes" shows whatever is not zero.
	for _, p := range pads {
		w.claims.Addf(p.Start, p.Len(), "%s directory %s: padding after the last record of a sector", w.tree, path)
	}

	used := map[string]int{}
	for _, g := range groups {
		if w.full {
			break
		}
		*w.nodes++
		if *w.nodes > maxNodes {
			w.full = true
			n.Err = unpack.Errorf(isoLayer, g[0].off, "more than %d entries: the rest of the image is not read", maxNodes)
			break
		}
		c, sub, own, skip := w.entryNode(g, path)
		if g[0].flags&flagDir != 0 {
			m := w.dirs[g[0].lba]
			if m == nil {
				m = &dirMeta{}
				w.dirs[g[0].lba] = m
			}
			if !m.named {
				m.ident, m.named, m.parent = g[0].ident, true, rec.lba
			}
		}
		if skip {
			// A relocated directory's record (RE) is read where its CL
			// record points; its own bytes are left unclaimed.
			continue
		}
		base := c.Name
		used[base]++
		if used[base] > 1 {
			c.Name = fmt.Sprintf("%s (duplicate %d)", base, used[base])
			if c.Err == nil {
				c.Err = unpack.Errorf(isoLayer, g[0].off, "a second entry named %q in this directory", base)
			}
		}
		for _, rc := range g {
			w.claims.Addf(rc.off, int64(rc.length), "%s directory record of %s", w.tree, show.JoinPath(path, c.Name))
		}
		n.Children = append(n.Children, c)
		n.AddOrder(c.Name)
		if sub != nil {
			w.readDir(c, *sub, show.JoinPath(path, c.Name), depth+1, visited, false, rr, own, dotView)
		}
	}
}

// dotRockRidge reads the Rock Ridge entries of a "." or ".." record (none
// outside a Rock Ridge tree).
func (w *treeWalker) dotRockRidge(rec dirRecord, path string) rrInfo {
	if w.names != namesRockRidge {
		return rrInfo{}
	}
	return w.rockRidge(rec, false, path)
}

// recordView is a record with what its Rock Ridge entries say, as the
// "." and ".." records and the further records of a multi-extent file are
// compared by, and shown by where they differ. withName includes a Rock
// Ridge name other than usualName (the "." or ".." that RRIP 1.12 writers
// give those records): only an entry's own record is named otherwise.
type recordView struct {
	rec       dirRecord
	ri        *rrInfo
	withName  bool
	usualName string
}

// sameRecord says whether v and o show the same fields (recordFields),
// without formatting them: the record's fixed part, its padding byte, its
// system use area where it is not read as Rock Ridge, and what Rock Ridge
// says.
func (w *treeWalker) sameRecord(v, o *recordView) bool {
	if v == nil || o == nil {
		return false
	}
	a, b := v.rec, o.rec
	if !bytes.Equal(a.raw[1:32], b.raw[1:32]) || a.padByte() != b.padByte() || w.names != namesRockRidge && !bytes.Equal(a.sysUse, b.sysUse) {
		return false
	}
	x, y := v.ri, o.ri
	return v.shownName() == o.shownName() &&
		x.hasMode == y.hasMode && x.mode == y.mode && x.nlink == y.nlink && x.uid == y.uid && x.gid == y.gid &&
		x.hasIno == y.hasIno && x.ino == y.ino && x.rdev == y.rdev &&
		x.hasLink == y.hasLink && x.link == y.link && maps.Equal(x.times, y.times) &&
		x.hasChildLink == y.hasChildLink && x.childLink == y.childLink && x.relocated == y.relocated &&
		slices.Equal(x.extra, y.extra)
}

// shownName is the name recordFields shows, "" for none.
func (v *recordView) shownName() string {
	if v.withName && v.ri.hasName && v.ri.name != v.usualName {
		return "name " + v.ri.name
	}
	return ""
}

// padByte is the byte after an even-length identifier, 0 if none.
func (rec *dirRecord) padByte() byte {
	if pad := 33 + len(rec.ident); len(rec.ident)%2 == 0 && pad < len(rec.raw) {
		return rec.raw[pad]
	}
	return 0
}

// recordFields lists the fields of v's record apart from its name.
func (w *treeWalker) recordFields(v recordView) []unpack.Field {
	rec, ri := v.rec, v.ri
	t := &unpack.Node{}
	ri.addAttrFields(t)
	if rec.flags&flagDir != 0 {
		// A directory's size is its extent's: where its records fall.
		t.AddRoleField(unpack.RolePlacement, "size", "%d", rec.size)
	} else {
		t.AddField("size", "%d", rec.size)
	}
	ri.addTimeFields(t)
	t.AddRoleField(unpack.RoleTime, "record time", "%s", recordTime(rec.recTime))
	if ri.hasLink {
		t.AddField("link target", "%s", ri.link)
	}
	if v.shownName() != "" {
		t.AddField("name", "%s", show.QuoteName(ri.name))
	}
	if ri.hasChildLink {
		t.AddField("child link", "%d", ri.childLink)
	}
	if ri.relocated {
		t.AddField("relocated", "yes")
	}
	t.AddRoleField(unpack.RolePlacement, "lba", "%d", rec.lba)
	t.AddField("flags", "0x%02x", rec.flags)
	w.addRecordExtras(t, rec)
	ri.addExtraFields(t)
	return t.Fields()
}

// fieldsText shows a list of fields as one value.
func fieldsText(fields []unpack.Field) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Name + " " + f.Value
	}
	return strings.Join(parts, "; ")
}

// readExtent reads a directory's extent (at most maxDirRead bytes, never
// past the end of the image). Its records and padding are claimed as they
// are decoded.
func (w *treeWalker) readExtent(rec dirRecord, path string) ([]byte, int64, error) {
	start := (int64(rec.lba) + int64(rec.xarLen)) * w.bs
	length := int64(rec.size)
	if start >= w.size {
		return nil, start, unpack.Errorf(isoLayer, start, "directory extent %d starts past the end of the image", rec.lba)
	}
	var err error
	if length > maxDirRead {
		err = unpack.Errorf(isoLayer, start, "directory of %d bytes: only the first %d read", length, maxDirRead)
		length = maxDirRead
	}
	if start+length > w.size {
		err = unpack.Errorf(isoLayer, start, "directory extent of %d bytes runs %d bytes past the end of the image", length, start+length-w.size)
		length = w.size - start
	}
	if !w.budget.take(length) {
		return nil, start, unpack.Errorf(isoLayer, start, "the image makes the reader read more than twice its size: directory not read")
	}
	buf := make([]byte, length)
	if rerr := bin.ReadFull(w.r, buf, start, isoLayer, "directory "+path); rerr != nil {
		return nil, start, rerr
	}
	return buf, start, err
}

// parseDirRecords splits a directory extent into records. Records never
// cross a 2048-byte sector; a zero length byte means the rest of the sector
// is padding. pads are those padding ranges (image offsets) and slack
// describes the non-zero bytes in them. After a broken record the rest of
// its sector is neither a record nor padding.
func parseDirRecords(buf []byte, base int64) (recs []dirRecord, pads []unpack.Range, slack string, err error) {
	var slackParts []string
	pos := 0
	for pos < len(buf) {
		sectorEnd := min((pos/isoSectorSize+1)*isoSectorSize, len(buf))
		l := int(buf[pos])
		if l == 0 {
			if s := bin.UnusedBytes(buf[:sectorEnd], pos, sectorEnd); s != "" {
				slackParts = append(slackParts, s)
			}
			pads = append(pads, unpack.Range{Start: base + int64(pos), End: base + int64(sectorEnd)})
			pos = sectorEnd
			continue
		}
		if pos+l > sectorEnd {
			if err == nil {
				err = unpack.Errorf(isoLayer, base+int64(pos), "directory record of length %d crosses the end of the sector", l)
			}
			pos = sectorEnd
			continue
		}
		rec, rerr := parseDirRecordAt(buf[pos:pos+l], base+int64(pos))
		if rerr != nil {
			if err == nil {
				err = rerr
			}
			pos = sectorEnd
			continue
		}
		recs = append(recs, rec)
		pos += l
	}
	return recs, pads, strings.Join(slackParts, ", "), err
}

// entryNode makes the node of one entry of a directory from its records
// (more than one for a multi-extent file). sub is the directory record to
// descend into, if the entry is a directory, and own what its "." record
// must repeat; skip says the entry is not shown here (a Rock Ridge
// relocated directory, shown where CL points).
func (w *treeWalker) entryNode(g []dirRecord, dirPath string) (n *unpack.Node, sub *dirRecord, own *recordView, skip bool) {
	first := g[0]
	n = &unpack.Node{Layer: isoLayer, Type: unpack.TypeFile, Err: first.err}
	setErr := func(e error) {
		if n.Err == nil {
			n.Err = e
		}
	}
	if g[len(g)-1].flags&flagMultiExtent != 0 {
		setErr(unpack.Errorf(isoLayer, g[len(g)-1].off, "multi-extent file without its final record"))
	}
	isDir := first.flags&flagDir != 0

	var ri rrInfo
	if w.names == namesRockRidge {
		ri = w.rockRidge(first, false, dirPath)
		if ri.relocated {
			return nil, nil, nil, true
		}
		setErr(ri.err)
	}

	var jolietIdent string
	switch w.names {
	case namesJoliet:
		n.Name = jolietName(first.ident)
		if !bytes.Equal(encodeUCS2(n.Name), first.ident) {
			// A file version (";1") or bytes the name cannot show.
			jolietIdent = show.QuoteName(decodeUCS2(first.ident))
			if !ucs2Exact(first.ident) {
				jolietIdent = fmt.Sprintf("%x", first.ident)
			}
		}
	case namesRockRidge:
		if ri.hasName {
			n.Name = ri.name
		} else {
			n.Name = isoName(first.ident, isDir)
		}
	default:
		n.Name = isoName(first.ident, isDir)
	}
	if bad := show.BadName(n.Name); bad != "" {
		setErr(unpack.Errorf(isoLayer, first.off, "entry name %q %s", n.Name, bad))
		n.Name = strconv.Quote(n.Name)
	}

	// The record whose extent is the content: for a Rock Ridge relocated
	// directory, the one CL points to.
	if ri.hasChildLink {
		isDir = true
		rec, err := w.recordOfExtent(uint32(ri.childLink))
		if err != nil {
			setErr(err)
		} else {
			sub = &rec
		}
	} else if isDir {
		sub = &first
	}

	n.Type = unpack.TypeFile
	if isDir {
		n.Type = unpack.TypeDir
	} else if ri.hasMode {
		switch t := show.ModeType(ri.mode); t {
		case unpack.TypeDir:
			setErr(unpack.Errorf(isoLayer, first.off, "Rock Ridge mode says directory, the record says file"))
		default:
			n.Type = t
		}
	} else if ri.hasLink {
		n.Type = unpack.TypeSymlink
	}
	if isDir && ri.hasMode && show.ModeType(ri.mode) != unpack.TypeDir {
		setErr(unpack.Errorf(isoLayer, first.off, "Rock Ridge mode %s on a directory record", show.Mode(ri.mode)))
	}

	// Content and size.
	var total int64
	var extents []string
	var sections []*io.SectionReader
	for _, rc := range g {
		start := (int64(rc.lba) + int64(rc.xarLen)) * w.bs
		total += int64(rc.size)
		if len(g) > 1 {
			extents = append(extents, fmt.Sprintf("%d+%d", rc.lba, rc.size))
		}
		if n.Type != unpack.TypeFile {
			continue
		}
		length := int64(rc.size)
		if start+length > w.size {
			setErr(unpack.Errorf(isoLayer, rc.off, "file extent %d of %d bytes runs past the end of the image", rc.lba, rc.size))
			length = max(0, w.size-start)
		}
		// An extended attribute record before the content is not
		// decoded, so not claimed.
		w.claims.Addf(start, length, "%s file %s", w.tree, show.JoinPath(dirPath, n.Name))
		sections = append(sections, io.NewSectionReader(w.r, min(start, w.size), length))
	}
	n.Offset = (int64(first.lba) + int64(first.xarLen)) * w.bs
	if n.Type == unpack.TypeFile {
		if len(sections) == 1 {
			n.Data = sections[0]
		} else {
			n.Data = readat.NewMultiSection(sections)
		}
	} else if n.Type != unpack.TypeDir {
		n.Offset = -1
	}
	if sub != nil {
		n.Offset = int64(sub.lba) * w.bs
		total = int64(sub.size)
	}

	// Fields, in the order presenters show them.
	ri.addAttrFields(n)
	n.AddRoleField(unpack.RoleDerived, "size", "%d", total)
	ri.addTimeFields(n)
	n.AddRoleField(unpack.RoleTime, "record time", "%s", recordTime(first.recTime))
	if ri.hasLink {
		n.AddField("link target", "%s", ri.link)
	}
	lba := first.lba
	if sub != nil {
		lba = sub.lba
	}
	n.AddRoleField(unpack.RolePlacement, "lba", "%d", lba)
	if len(extents) > 0 {
		n.AddRoleField(unpack.RolePlacement, "extents", "%s", strings.Join(extents, ", "))
	}
	if w.names != namesJoliet {
		n.AddRoleField(roleOtherName, "iso name", "%s", show.QuoteName(string(first.ident)))
	}
	if jolietIdent != "" {
		n.AddRoleField(roleOtherName, "joliet identifier", "%s", jolietIdent)
	}
	if f := fileFlags(first.flags); f != "" {
		n.AddField("file flags", "%s", f)
	}
	if ri.hasChildLink {
		// The placeholder record of a relocated directory: its own
		// extent and size are not the directory's.
		n.AddField("child link record", "LBA %d, size %d", first.lba, first.size)
	}
	w.addRecordExtras(n, first)
	ri.addExtraFields(n)

	// The further records of a multi-extent file repeat the first but
	// for their extent, shown above.
	for k, rc := range g[1:] {
		var rci rrInfo
		if w.names == namesRockRidge {
			rci = w.rockRidge(rc, false, dirPath)
			setErr(rci.err)
		}
		base := ri
		if len(rc.sysUse) == 0 {
			base = rrInfo{}
		}
		rm, fm := rc, first
		rm.flags &^= flagMultiExtent
		fm.flags &^= flagMultiExtent
		if a, b := extentRecordFields(w.recordFields(recordView{rm, &rci, true, ""})), extentRecordFields(w.recordFields(recordView{fm, &base, true, ""})); !slices.Equal(a, b) {
			n.AddField(fmt.Sprintf("extent %d record", k+2), "%s", fieldsText(a))
		}
	}
	if sub != nil && !ri.hasChildLink {
		own = &recordView{first, &ri, false, ""}
	}
	return n, sub, own, false
}

// extentRecordFields drops from the fields of a multi-extent file's record
// its extent, which differs from record to record.
func extentRecordFields(fields []unpack.Field) []unpack.Field {
	return slices.DeleteFunc(fields, func(f unpack.Field) bool { return f.Name == "lba" || f.Name == "size" })
}

// recordOfExtent returns the "." record of the directory at extent lba:
// what a Rock Ridge CL entry points to. Its data length is the size of the
// relocated directory.
func (w *treeWalker) recordOfExtent(lba uint32) (dirRecord, error) {
	off := int64(lba) * w.bs
	if off+isoSectorSize > w.size {
		return dirRecord{}, unpack.Errorf(isoLayer, off, "Rock Ridge child link to extent %d past the end of the image", lba)
	}
	b := make([]byte, 256)
	if err := bin.ReadFull(w.r, b, off, isoLayer, "relocated directory"); err != nil {
		return dirRecord{}, err
	}
	rec, err := parseDirRecordAt(b[:b[0]], off)
	if err != nil {
		return dirRecord{}, err
	}
	if !rec.isDot() || rec.flags&flagDir == 0 {
		return dirRecord{}, unpack.Errorf(isoLayer, off, "Rock Ridge child link to extent %d, which holds no directory", lba)
	}
	return rec, nil
}

// addRecordExtras adds the fields for rarely used parts of a record, only
// when they are used: extended attributes, interleaving, another volume,
// both-endian copies that differ, a padding byte that is not zero, and the
// system use area of a tree that does not read it as Rock Ridge.
func (w *treeWalker) addRecordExtras(n *unpack.Node, r dirRecord) {
	if r.xarLen != 0 {
		n.AddField("extended attribute length", "%d", r.xarLen)
	}
	if r.unitSize != 0 || r.gapSize != 0 {
		n.AddField("interleave", "unit %d gap %d", r.unitSize, r.gapSize)
		if n.Err == nil {
			n.Err = unpack.Errorf(isoLayer, r.off, "interleaved file: content shown as if contiguous")
		}
	}
	if r.volSeq != 1 {
		n.AddField("volume sequence number", "%d", r.volSeq)
	}
	if len(r.raw) >= 33 {
		_, e1 := bothEndian32(r.raw[2:10])
		addBigEndianCopy(n, "lba", r.raw[2:10], e1)
		_, e2 := bothEndian32(r.raw[10:18])
		addBigEndianCopy(n, "size", r.raw[10:18], e2)
		_, e3 := bothEndian16(r.raw[28:32])
		addBigEndianCopy(n, "volume sequence number", r.raw[28:32], e3)
		if pad := r.padByte(); pad != 0 {
			n.AddField("identifier padding", "0x%02x", pad)
		}
	}
	if w.names != namesRockRidge && len(r.sysUse) > 0 {
		n.AddField("system use", "%x", r.sysUse)
	}
}

// describeRoot sets the fields of the root from its "." record, and
// returns what its Rock Ridge entries say.
func (w *treeWalker) describeRoot(n *unpack.Node, dot dirRecord, rr rockRidgeRoot, path string) rrInfo {
	var ri rrInfo
	if w.names == namesRockRidge {
		ri = w.rockRidge(dot, true, path)
		if n.Err == nil {
			n.Err = ri.err
		}
	}
	ri.addAttrFields(n)
	// A directory's size is its extent's: where its records fall.
	n.AddRoleField(unpack.RolePlacement, "size", "%d", dot.size)
	ri.addTimeFields(n)
	n.AddRoleField(unpack.RoleTime, "record time", "%s", recordTime(dot.recTime))
	n.AddRoleField(unpack.RolePlacement, "lba", "%d", dot.lba)
	f := fileFlags(dot.flags)
	if dot.flags&flagDir == 0 {
		f = strings.TrimPrefix(f+", no directory flag", ", ")
	}
	if dot.flags&flagMultiExtent != 0 {
		f = strings.TrimPrefix(f+", multi-extent", ", ")
	}
	if f != "" {
		n.AddField("file flags", "%s", f)
	}
	w.addRecordExtras(n, dot)
	if w.names == namesRockRidge {
		if rr.skip != 0 {
			n.AddField("SUSP skip", "%d", rr.skip)
		}
		for i, er := range rr.extensions {
			name := "ER"
			if i > 0 {
				name = fmt.Sprintf("ER %d", i+1)
			}
			n.AddField(name, "%s", er)
		}
	}
	ri.addExtraFields(n)
	return ri
}

// isoName is the name of a record by its ISO 9660 identifier: without the
// file version (";1") and without the "." of an empty extension.
func isoName(ident []byte, isDir bool) string {
	s := string(ident)
	if !isDir {
		if i := strings.LastIndexByte(s, ';'); i >= 0 && isDigits(s[i+1:]) {
			s = s[:i]
		}
		if len(s) > 1 && strings.HasSuffix(s, ".") {
			s = s[:len(s)-1]
		}
	}
	return s
}

func jolietName(ident []byte) string {
	s := decodeUCS2(ident)
	return strings.TrimSuffix(s, ";1")
}

// encodeUCS2 encodes s as Joliet stores names: big-endian UTF-16.
func encodeUCS2(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.BigEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func fileFlags(f uint8) string {
	var s []string
	for _, b := range []struct {
		bit  uint8
		name string
	}{{flagHidden, "hidden"}, {flagAssociated, "associated"}, {flagRecord, "record"}, {flagProtection, "protection"}, {0x20, "bit 5"}, {0x40, "bit 6"}} {
		if f&b.bit != 0 {
			s = append(s, b.name)
		}
	}
	return strings.Join(s, ", ")
}

// recordTime decodes the 7-byte date of a directory record (ECMA-119
// 9.1.5): years since 1900, month, day, hour, minute, second, offset from
// GMT in 15-minute units.
func recordTime(b [7]byte) string {
	if b == [7]byte{} {
		return "unset"
	}
	return formatTime(1900+int(b[0]), int(b[1]), int(b[2]), int(b[3]), int(b[4]), int(b[5]), 0, int8(b[6]), b[:])
}

// formatTime shows a recorded time in RFC 3339 with the offset kept as
// recorded, or "invalid" and the raw bytes when it is no date.
func formatTime(year, month, day, hour, minute, sec, hundredths int, q int8, raw []byte) string {
	// A second of 60 would be shown as the next minute, the same as
	// second 0 of it: it is no date either.
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 || hundredths > 99 || q < -48 || q > 52 {
		return fmt.Sprintf("invalid (%x)", raw)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, hundredths*10_000_000, time.FixedZone("", int(q)*15*60))
	if t.Day() != day {
		return fmt.Sprintf("invalid (%x)", raw)
	}
	return t.Format(time.RFC3339Nano)
}

// linkFiles marks hard links (a regular file sharing its first extent and
// size with one earlier in sorted path order; the Rock Ridge serial number
// is too often 0 to say it) and maps extents to files for El Torito.
func linkFiles(files *unpack.Node) map[int64]extentFile {
	byExtent := map[int64]extentFile{}
	type key struct{ off, size int64 }
	first := map[key]string{}
	files.Walk("/", func(n *unpack.Node, path string) {
		if n.Type != unpack.TypeFile || n.Data == nil || n.Data.Size() == 0 {
			return
		}
		k := key{n.Offset, n.Data.Size()}
		if p, ok := first[k]; ok {
			insertField(n, unpack.Field{Name: "hard link of", Value: p}, "file flags", "iso name", "extents", "lba")
		} else {
			first[k] = path
		}
		if _, ok := byExtent[n.Offset]; !ok {
			byExtent[n.Offset] = extentFile{path: path, size: n.Data.Size()}
		}
	})
	return byExtent
}

// insertField inserts f after the last of the named fields that n has (at
// the front if none).
func insertField(n *unpack.Node, f unpack.Field, after ...string) {
	at := 0
	fs := n.Fields()
	for i, g := range fs {
		for _, a := range after {
			if g.Name == a {
				at = i + 1
			}
		}
	}
	n.SetFields(slices.Insert(fs, at, f))
}

// addISONames gives the files of a Joliet-named tree the ISO 9660
// identifier of the primary tree's file at the same extent.
func addISONames(files, primary *unpack.Node) {
	type key struct{ off, size int64 }
	names := map[key]string{}
	primary.Walk("/", func(n *unpack.Node, _ string) {
		if n.Type == unpack.TypeFile && n.Data != nil {
			k := key{n.Offset, n.Data.Size()}
			if _, ok := names[k]; !ok {
				names[k], _ = n.Field("iso name")
			}
		}
	})
	files.Walk("/", func(n *unpack.Node, _ string) {
		if n.Type == unpack.TypeFile && n.Data != nil {
			if s, ok := names[key{n.Offset, n.Data.Size()}]; ok {
				insertField(n, unpack.Field{Name: "iso name", Value: s, Role: roleOtherName}, "extents", "lba")
			}
		}
	})
}

// metadataTree turns a tree that does not name the files (the Joliet tree
// beside Rock Ridge, the ISO 9660 tree beside Joliet) into a tree of
// metadata only, named name: no content, and for each file the path of the
// file of files at the same extent ("extent", and its Alias), in place of
// its LBA; a directory at a path files has a directory at aliases it.
func metadataTree(tree, files *unpack.Node, name string) *unpack.Node {
	type key struct{ off, size int64 }
	paths := map[key]string{}
	dirs := map[string]bool{"/": true}
	files.Walk("/", func(n *unpack.Node, path string) {
		if n.Type == unpack.TypeDir {
			dirs[path] = true
		}
		if n.Type == unpack.TypeFile && n.Data != nil {
			k := key{n.Offset, n.Data.Size()}
			if _, ok := paths[k]; !ok {
				paths[k] = path
			}
		}
	})
	// The fields most often differing come first; every other one that
	// the tree's records gave is kept after them, so that nothing its
	// records say goes unshown.
	first := []string{"size", "record time", "file flags", "extents"}
	var conv func(n *unpack.Node, path string)
	conv = func(n *unpack.Node, path string) {
		if n.Type == unpack.TypeDir && dirs[path] {
			// The directory of files named the same way: a mirror.
			n.SetAlias(path)
		}
		old := n.Fields()
		lba, _ := n.Field("lba")
		size, _ := n.Field("size")
		var fs []unpack.Field
		for _, name := range first {
			for _, f := range old {
				if f.Name == name {
					fs = append(fs, f)
				}
			}
		}
		for _, f := range old {
			if !slices.Contains(first, f.Name) && f.Name != "lba" && f.Name != "hard link of" {
				fs = append(fs, f)
			}
		}
		n.SetFields(fs)
		if n.Type == unpack.TypeFile {
			v := "LBA " + lba
			if size == "0" {
				v = "empty"
			} else if n.Data != nil {
				if p, ok := paths[key{n.Offset, n.Data.Size()}]; ok {
					// The same file under another name: its bytes are
					// compared there.
					v = p
					n.SetAlias(p)
				}
			}
			n.AddFields(unpack.Field{Name: "extent", Value: v})
		}
		n.Data = nil
		for _, c := range n.Children {
			conv(c, show.JoinPath(path, c.Name))
		}
	}
	conv(tree, "/")
	tree.Name = name
	return tree
}

// readPathTables reads every path table and checks it against the
// directories found by walking the hierarchy (dirs by extent).
func readPathTables(r io.ReaderAt, size int64, vi *volumeInfo, primary, joliet map[uint32]*dirMeta, claims *layout.Claims) *unpack.Node {
	top := &unpack.Node{Name: "[path tables]", Type: unpack.TypeRecord, Layer: isoLayer, Offset: -1}
	for _, ref := range vi.pathTables {
		dirs := primary
		if ref.joliet {
			dirs = joliet
		}
		c := readPathTable(r, size, vi.blockSize, ref, dirs, claims)
		top.Children = append(top.Children, c)
		top.AddOrder(c.Name)
	}
	top.Sort()
	return top
}

type pathRecord struct {
	ident  []byte
	lba    uint32
	parent uint16
	xar    uint8
	pad    int // the padding byte after an odd-length identifier, -1 if none
	off    int64
}

func readPathTable(r io.ReaderAt, size, bs int64, ref pathTableRef, dirs map[uint32]*dirMeta, claims *layout.Claims) *unpack.Node {
	start := ref.lba * bs
	n := &unpack.Node{Name: ref.which, Type: unpack.TypeRecord, Layer: isoLayer, Offset: start}
	n.AddField("location", "%d", ref.lba)
	n.AddField("size", "%d", ref.size)
	length := ref.size
	if start >= size {
		n.Err = unpack.Errorf(isoLayer, start, "path table at block %d starts past the end of the image", ref.lba)
		return n
	}
	if length > maxPathTable {
		n.Err = unpack.Errorf(isoLayer, start, "path table of %d bytes: only the first %d read", length, maxPathTable)
		length = maxPathTable
	}
	if start+length > size {
		n.Err = unpack.Errorf(isoLayer, start, "path table of %d bytes runs past the end of the image", length)
		length = size - start
	}
	buf := make([]byte, length)
	if err := bin.ReadFull(r, buf, start, isoLayer, "path table"); err != nil {
		n.Err = err
		return n
	}
	var u16 func([]byte) uint16 = binary.LittleEndian.Uint16
	var u32 func([]byte) uint32 = binary.LittleEndian.Uint32
	if ref.bigEndian {
		u16, u32 = binary.BigEndian.Uint16, binary.BigEndian.Uint32
	}
	var recs []pathRecord
	pos := 0
	for pos < len(buf) {
		l := int(buf[pos])
		if l == 0 || pos+8+l > len(buf) {
			if n.Err == nil {
				n.Err = unpack.Errorf(isoLayer, start+int64(pos), "path table record with identifier length %d: table truncated or corrupt", l)
			}
			break
		}
		pr := pathRecord{
			xar: buf[pos+1], lba: u32(buf[pos+2:]), parent: u16(buf[pos+6:]),
			ident: buf[pos+8 : pos+8+l], off: start + int64(pos), pad: -1,
		}
		if l%2 == 1 && pos+8+l < len(buf) {
			pr.pad = int(buf[pos+8+l])
		}
		recs = append(recs, pr)
		pos = min(pos+8+l+l%2, len(buf))
	}
	// Only the records read are decoded; the rest of a broken table is
	// left to be compared as it is.
	claims.Addf(start, int64(pos), "path table %s", ref.which)

	// Paths by the table's own parent links. A parent must come earlier.
	paths := make([]string, len(recs))
	used := map[string]int{}
	var problems []string
	problem := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	for i, pr := range recs {
		var p string
		switch {
		case i == 0:
			p = "/"
			if !(len(pr.ident) == 1 && pr.ident[0] == 0) || pr.parent != 1 {
				problem("first record is not the root (identifier %q, parent %d)", pr.ident, pr.parent)
			}
		case int(pr.parent) < 1 || int(pr.parent) > i:
			problem("record %d has parent %d, not an earlier record", i+1, pr.parent)
			p = "/?/" + pathTableName(pr.ident, ref.joliet)
		default:
			p = show.JoinPath(paths[pr.parent-1], pathTableName(pr.ident, ref.joliet))
		}
		used[p]++
		if used[p] > 1 {
			p = fmt.Sprintf("%s (duplicate %d)", p, used[p])
		}
		paths[i] = p
		v := fmt.Sprintf("LBA %d", pr.lba)
		if pr.xar != 0 {
			v += fmt.Sprintf(", extended attributes %d", pr.xar)
		}
		if pr.pad > 0 {
			v += fmt.Sprintf(", padding 0x%02x", pr.pad)
		}
		if ref.joliet && !ucs2Exact(pr.ident) {
			v += fmt.Sprintf(", identifier %x", pr.ident)
		}
		n.AddField(p, "%s", v)

		// Against the hierarchy.
		m := dirs[pr.lba]
		switch {
		case m == nil:
			problem("%s: extent %d is no directory of the hierarchy", p, pr.lba)
		case i > 0 && (!m.named || !bytes.Equal(m.ident, pr.ident)):
			problem("%s: the directory at extent %d is named %q in the hierarchy", p, pr.lba, m.ident)
		case i > 0 && int(pr.parent) >= 1 && int(pr.parent) <= len(recs) && recs[pr.parent-1].lba != m.parent:
			problem("%s: parent extent %d, the hierarchy's \"..\" says %d", p, recs[pr.parent-1].lba, m.parent)
		}
	}
	if dirs != nil && len(recs) != len(dirs) && n.Err == nil {
		problem("%d directories listed, %d in the hierarchy", len(recs), len(dirs))
	}
	if len(problems) > 0 && n.Err == nil {
		more := ""
		if len(problems) > 5 {
			more = fmt.Sprintf(" (and %d more)", len(problems)-5)
			problems = problems[:5]
		}
		n.Err = unpack.Errorf(isoLayer, start, "path table disagrees with the directory hierarchy: %s%s", strings.Join(problems, "; "), more)
	}
	return n
}

func pathTableName(ident []byte, joliet bool) string {
	if joliet {
		return show.QuoteName(decodeUCS2(ident))
	}
	return show.QuoteName(string(ident))
}

// roleOtherName marks the names an entry has besides the one that names it
// (its ISO 9660 identifier beside a Rock Ridge name, a Joliet identifier):
// with the entry paired by that name, these differing is the image
// builder's style of mangling names (xorriso's and genisoimage's 8.3 names
// differ), not a different file.
var roleOtherName = &unpack.Role{Kind: unpack.Identity, Cause: "name style", NamesField: true}
