package diff

import (
	"bytes"
	"cmp"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"isodiff/unpack"
)

// Cause names a known source of non-reproducible builds that matches a
// difference. Label is one of the Cause* constants, stable for filtering;
// Detail says which field or bytes.
type Cause struct {
	Label  string
	Detail string
}

// Known causes that the comparison itself finds. Readers name the others
// through the roles of their fields (see unpack.Role).
const (
	CauseTimestamp = "timestamp"
	CauseOrder     = "order only"
	CausePycHeader = "pyc header"
	CauseBuildID   = "ELF build-id"
	CauseLayout    = "layout"
	CauseNameStyle = "name style"
	CauseStoreHash = "store path hash"
)

func (c Cause) String() string {
	if c.Detail == "" {
		return c.Label
	}
	return c.Label + ": " + c.Detail
}

// fieldCauses labels the differing fields of n by the known causes their
// roles name (see unpack.Role). The fields of a wrapping layer's header
// that differ make one cause, listing them.
func fieldCauses(n *Node) {
	var headers []string                  // causes of Header roles, in order
	headerFields := map[string][]string{} // their differing fields
	// The stored fields, not Changed(): fields kept by reference (a pair
	// that is only renumbered) differ in placement only, which no cause
	// names, and building them for every such pair would cost.
	for _, f := range n.fields {
		r := f.Role
		if !f.Different || f.systematic() || r == nil || r.Cause == "" {
			continue
		}
		switch {
		case r.Kind == unpack.Header:
			name := f.Name
			if n.Inner != "" {
				name = strings.TrimPrefix(name, n.Inner+" ")
			}
			if headerFields[r.Cause] == nil {
				headers = append(headers, r.Cause)
			}
			headerFields[r.Cause] = append(headerFields[r.Cause], name)
		case r.NamesField:
			n.addCause(r.Cause, f.Name)
		default:
			n.addCause(r.Cause, "")
		}
	}
	for _, h := range headers {
		n.addCause(h, strings.Join(headerFields[h], ", "))
	}
	if n.Order != nil && !n.childrenDiffer() {
		n.addCause(CauseOrder, "")
	}
	// Bytes that differ while nothing decoded from them does (LayoutOnly)
	// are not explained: padding or an encoder's choice is as likely as
	// placement, and the hex shows which.
	if n.Moved > 0 {
		n.addCause(CauseLayout, placedElsewhere(n.Moved))
	}
	if n.Respelled > 0 {
		n.addCause(CauseNameStyle, respelled(n.Respelled))
	}
	if n.Renamed > 0 {
		n.addCause(CauseStoreHash, renamedPaths(n.Renamed))
	}
}

// entryCauses explains an entry present on one side only that records
// nothing but what known causes vary: no content and no entries of its
// own, and fields that each have a role naming a cause or derived from
// others (a length, a checksum), one at least naming a cause. Such an
// entry (a PNG tIME chunk, a text chunk of a date) is what the build wrote
// at one time and not at another, whatever the format. The entry stays a
// difference: it is only explained.
func entryCauses(n *Node, u *unpack.Node) {
	if u.Data != nil || len(u.Children) > 0 || n.ErrA != "" || n.ErrB != "" {
		return
	}
	named := false
	for _, f := range n.fields {
		switch r := f.Role; {
		case r == nil:
			return
		case r.Cause != "":
			named = true
		case r.Kind != unpack.Derived && r.Kind != unpack.Placement:
			return
		}
	}
	if !named {
		return
	}
	for _, f := range n.fields {
		if r := f.Role; r != nil && r.Cause != "" {
			if r.NamesField || r.Kind == unpack.Header {
				n.addCause(r.Cause, f.Name)
			} else {
				n.addCause(r.Cause, "")
			}
		}
	}
	n.entryExplained = true
}

func (n *Node) addCause(label, detail string) {
	for _, c := range n.Causes {
		if c.Label == label && c.Detail == detail {
			return
		}
	}
	n.Causes = append(n.Causes, Cause{label, detail})
}

// contentCauses labels a content difference by what the bytes are.
func contentCauses(n *Node, da, db unpack.Data) {
	h := n.Content.Hex
	if h == nil || da == nil || db == nil || n.Content.SizeA != n.Content.SizeB {
		return
	}
	var headA, headB [16]byte
	if da.Size() >= 16 {
		da.ReadAt(headA[:], 0)
		db.ReadAt(headB[:], 0)
	}
	// A CPython .pyc starts with a 2-byte magic number and "\r\n", then
	// 4 bytes of flags and either the source mtime and size (8-15) or,
	// with flags bit 0, a source hash.
	if da.Size() >= 16 && bytes.Equal(headA[:4], headB[:4]) && headA[2] == '\r' && headA[3] == '\n' && h.FirstDiff >= 4 && h.LastDiff < 16 {
		var parts []string
		if h.FirstDiff < 8 {
			parts = append(parts, "flags")
		}
		if h.FirstDiff < 12 && h.LastDiff >= 8 {
			parts = append(parts, "mtime")
		}
		if h.LastDiff >= 12 {
			parts = append(parts, "source size")
		}
		n.addCause(CausePycHeader, strings.Join(parts, ", "))
		n.contentExplained = true
		n.Notes = append(n.Notes, pycHeader(headA)+" → "+pycHeader(headB))
	}
	if bytes.HasPrefix(headA[:], []byte("\x7fELF")) && bytes.HasPrefix(headB[:], []byte("\x7fELF")) {
		if only, differs := buildIDDiffers(da, db, h); differs {
			detail := "the build-id note differs"
			if only {
				detail += ", and nothing else"
				n.contentExplained = true
			}
			n.addCause(CauseBuildID, detail)
		}
	}
}

// buildIDDiffers compares the GNU build-id notes of two ELF files.
func buildIDDiffers(da, db unpack.Data, h *HexDiff) (only, differs bool) {
	note := func(d unpack.Data) (*elf.Section, []byte) {
		f, err := elf.NewFile(d)
		if err != nil {
			return nil, nil
		}
		s := f.Section(".note.gnu.build-id")
		if s == nil || s.Size > 1<<12 {
			return nil, nil
		}
		b, err := io.ReadAll(s.Open())
		if err != nil {
			return nil, nil
		}
		return s, b
	}
	sa, ba := note(da)
	sb, bb := note(db)
	if sa == nil || sb == nil || bytes.Equal(ba, bb) {
		return false, false
	}
	only = sa.Offset == sb.Offset && h.FirstDiff >= int64(sa.Offset) && h.LastDiff < int64(sa.Offset+sa.Size)
	return only, true
}

// patchCauses labels a content difference that lies wholly in ranges an
// image builder wrote from the layout (see unpack.Patched), on either
// side: the bytes outside them are compared, and where they are the same
// each role whose ranges hold differing bytes is a cause.
func patchCauses(n *Node, da, db unpack.Data) {
	c := n.Content
	if c.Hex == nil || c.SizeA != c.SizeB {
		return
	}
	for _, d := range []unpack.Data{da, db} {
		p, ok := d.(unpack.Patched)
		if !ok {
			continue
		}
		patches := slices.SortedFunc(slices.Values(p.Patches()), func(a, b unpack.Patch) int { return cmp.Compare(a.Start, b.Start) })
		same, pos := true, int64(0)
		for _, patch := range append(patches, unpack.Patch{Range: unpack.Range{Start: c.SizeA, End: c.SizeA}}) {
			if start := min(patch.Start, c.SizeA); start > pos {
				if eq, err := unpack.EqualAt(da, pos, db, pos, start-pos); !eq || err != nil {
					same = false
					break
				}
			}
			pos = max(pos, patch.End)
		}
		if !same {
			continue
		}
		for _, patch := range patches {
			if patch.Role != nil && patch.Start <= c.Hex.LastDiff && c.Hex.FirstDiff < patch.End {
				n.addCause(patch.Role.Cause, byteRange(c.Hex.FirstDiff, c.Hex.LastDiff))
			}
		}
		n.contentExplained = true
		return
	}
}

func byteRange(first, last int64) string {
	if first == last {
		return fmt.Sprintf("byte 0x%x", first)
	}
	return fmt.Sprintf("bytes 0x%x-0x%x", first, last)
}

// layerPath is n's path inside its layer's file tree ("/a/b").
func layerPath(n *Node) string {
	var parts []string
	for m := n; m != nil && m.Parent != nil; m = m.Parent {
		parts = append(parts, m.Name)
		if m.Parent.Descended {
			break
		}
	}
	if len(parts) == 0 || parts[len(parts)-1] != "/" {
		return ""
	}
	parts = parts[:len(parts)-1]
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "/" + strings.Join(parts, "/")
}

func placedElsewhere(n int) string {
	if n == 1 {
		return "1 entry moved or renumbered"
	}
	return fmt.Sprintf("%d entries moved or renumbered", n)
}

func respelled(n int) string {
	if n == 1 {
		return "1 name spelled differently"
	}
	return fmt.Sprintf("%d names spelled differently", n)
}

// pycHeader decodes the fields of a CPython .pyc header (PEP 552).
func pycHeader(h [16]byte) string {
	flags := binary.LittleEndian.Uint32(h[4:])
	if flags&1 != 0 {
		return fmt.Sprintf("pyc flags %d, source hash %x", flags, h[8:16])
	}
	mtime := binary.LittleEndian.Uint32(h[8:])
	size := binary.LittleEndian.Uint32(h[12:])
	return fmt.Sprintf("pyc mtime %s, source size %d", time.Unix(int64(mtime), 0).UTC().Format(time.RFC3339), size)
}

func renamedPaths(n int) string {
	if n == 1 {
		return "1 store path under another hash"
	}
	return fmt.Sprintf("%d store paths under another hash", n)
}
