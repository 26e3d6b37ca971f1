// Package diff builds the comparison tree of two unpacked images: it pairs
// entries by name, proves equal content by the bytes, and explains every
// difference as metadata fields, a text diff, a hex diff or an ordering
// change. It knows nothing of terminals; every presenter in ui/ renders the
// same tree.
package diff

import (
	"cmp"
	"math/bits"
	"sort"
	"strings"

	"isodiff/unpack"
)

// State is how one side of a pair relates to the other.
type State uint8

const (
	Same        State = iota
	Modified          // present on both sides, something differs
	Added             // only in B
	Removed           // only in A
	TypeChanged       // present on both sides as different kinds (file became symlink)
)

var stateNames = [...]string{"same", "modified", "added", "removed", "type changed"}

func (s State) String() string { return stateNames[s] }

// Node is one pair of entries, A and B, and how they differ.
type Node struct {
	Name  string
	Layer string // format of the entries ("iso9660", "MBR", ...)
	Type  string // kind of entry on the side that has it (B's when both)
	State State
	// Descended says the children are the unpacked content of this entry,
	// a new layer (presenters join such paths with " :: "); Inner names
	// its format.
	Descended bool
	Inner     string
	// LayoutOnly says the bytes differ while every entry unpacked from
	// them is the same: data placed or ordered differently.
	LayoutOnly bool
	// Moved counts, on the root of a layer, the entries of that layer
	// whose placement fields differ (see FieldDiff.Placement).
	Moved int
	// Respelled counts, on the root of a layer, the entries whose name is
	// spelled differently on the two sides (see FieldDiff.Spelling).
	Respelled int
	// Mirrored counts, on the root of a layer, the entries that repeat the
	// changes of the entries they name again (see FoldMirrors): a note,
	// not a difference, since those entries' changes are shown.
	Mirrored int
	// Renamed counts, on the root of a layer, the store paths paired with
	// their namesakes under another hash.
	Renamed int

	// fields are every field of either side, when any differs or the
	// entry is on one side only. fieldsA and fieldsB are the fields of a
	// pair kept by reference instead, when none differs (fieldsB nil) or
	// only systematic ones do (renumbered entries): most pairs of a large
	// tree are such, and a FieldDiff for each of their fields would double
	// the memory a comparison takes. Bit i of the masks is about field i
	// of Fields. Presenters read them through Fields and Changed.
	fields           []FieldDiff
	fieldsA, fieldsB []unpack.Field
	// metaA, with fieldsA, is A's fields of a pair whose Metas were
	// proven equal without decoding them (see unpack.Meta).
	metaA                       unpack.Meta
	differ, placement, spelling uint64
	// dropped counts the identical children left out of Children (see
	// Options.DifferencesOnly).
	dropped int
	// filtered says a Filter left the pair's own differences out;
	// filteredBelow that it left out differences of its children, so that
	// what is left of them is not the same content.
	filtered, filteredBelow bool
	// alias is the path, in the layer, of the pair whose file both sides
	// of this one name again (see unpack.Node.Alias); mirrored says
	// FoldMirrors counted it at its layer as repeating that pair.
	alias    string
	mirrored bool
	// contentExplained says a known cause accounts for every byte of the
	// content difference (a pyc header, a boot-info-table).
	contentExplained bool
	// entryExplained says known causes account for an entry present on
	// one side only: all it records are fields of their roles (see
	// entryCauses).
	entryExplained bool
	// renamedFrom is B's name of a pair of store paths under two hashes.
	renamedFrom string
	Content     *Content   // set when the bytes differ
	Order       *OrderDiff // set when only the order of the children differs
	// ErrA and ErrB say why an entry could not be read completely (a
	// layer that could not be unpacked, a read error); what could be read
	// is still compared.
	ErrA, ErrB string
	// Causes are the known sources of non-reproducibility that match.
	Causes []Cause
	// IOError says a side's bytes could not be read for a reason other
	// than the input's own damage: the comparison is incomplete.
	IOError bool
	// Notes say what was done instead of the usual comparison.
	Notes    []string
	Children []*Node // sorted by Name
	Parent   *Node

	// Offsets of the entries in their layers, -1 when none.
	OffsetA, OffsetB int64
}

// FieldDiff is one metadata field on both sides.
type FieldDiff struct {
	Name      string
	A, B      string
	InA, InB  bool
	Different bool
	// Placement marks a field that says where an entry lies or how it is
	// numbered (an extent, a fragment, an inode number), not what it is:
	// it follows from every change before it, so a difference in it alone
	// does not make the entry differ; it is counted at the layer instead.
	Placement bool
	// Spelling marks a name field whose two values name the same path in
	// two spellings ("./init" and "init"): an archiver's style, counted at
	// the layer like placement.
	Spelling bool
	// Renamed marks the "store path" field of a store path paired with its
	// namesake under another hash, counted at the layer.
	Renamed bool
	// Role is what the field records, as its reader says (see
	// unpack.Role); nil for a plain field.
	Role *unpack.Role
}

// systematic reports whether a differing field is counted at its layer
// rather than as a difference of the entry.
func (f FieldDiff) systematic() bool { return f.Placement || f.Spelling || f.Renamed }

// OrderDiff is the on-disk order of the same children on both sides.
type OrderDiff struct {
	A, B []string
}

// Unreadable reports whether either side could not be read completely.
func (n *Node) Unreadable() bool { return n.ErrA != "" || n.ErrB != "" }

// Differs reports whether anything about this pair or below it differs.
func (n *Node) Differs() bool { return n.State != Same }

// OwnDifferences reports whether the pair itself carries something to show
// (a field, content, order, a note, or being added/removed/retyped), as
// opposed to differing only through its children.
func (n *Node) OwnDifferences() bool {
	if n.filtered || n.mirrored {
		return false
	}
	if n.State == Added || n.State == Removed || n.State == TypeChanged {
		return true
	}
	if n.Content != nil || n.Order != nil || n.LayoutOnly || n.Moved > 0 || n.Respelled > 0 || n.Renamed > 0 || n.ErrA != n.ErrB {
		return true
	}
	for _, f := range n.fields {
		if f.Different && !f.systematic() {
			return true
		}
	}
	return false
}

// decodedDifference reports whether something decoded from the pair's
// bytes differs in itself: its type, an order, an error, or a field other
// than one derived from the bytes (a size, a checksum), which alone does
// not show which bytes differ.
func (n *Node) decodedDifference() bool {
	if !n.OwnDifferences() {
		return false
	}
	if n.State == TypeChanged || n.Content != nil || n.Order != nil || n.LayoutOnly || n.Moved > 0 || n.Respelled > 0 || n.Renamed > 0 || n.ErrA != n.ErrB {
		return true
	}
	for _, f := range n.fields {
		if f.Different && !f.systematic() && !f.Role.Is(unpack.Derived) {
			return true
		}
	}
	return false
}

// InnerLayer names the format of what the pair holds: the layer it was
// unpacked as, or, for the root, the inputs' own format.
func (n *Node) InnerLayer() string {
	if n.Inner == "" && n.Parent == nil {
		return n.Layer
	}
	return n.Inner
}

// Fields is every field of the pair, equal ones included: A's fields in
// A's order, then those only B has.
func (n *Node) Fields() []FieldDiff {
	switch {
	case n.fields != nil || n.fieldsA == nil && n.metaA == nil:
		return n.fields
	case n.fieldsB == nil:
		fa := n.fieldsA
		if n.metaA != nil {
			fa = append(n.metaA.AppendFields(nil), fa...)
		}
		out := make([]FieldDiff, len(fa))
		for i, f := range fa {
			out[i] = FieldDiff{Name: f.Name, A: f.Value, B: f.Value, InA: true, InB: true, Placement: f.Role.Is(unpack.Placement), Role: f.Role}
		}
		return out
	}
	out := mergeFields(n.fieldsA, n.fieldsB)
	for i := range out {
		bit := uint64(1) << i
		out[i].Placement = n.placement&bit != 0
		out[i].Spelling = n.spelling&bit != 0
	}
	return out
}

// Changed is the fields of the pair that differ, systematic ones (see
// FieldDiff) included, in the order of Fields; nil when none does. An
// entry on one side only has no field that differs: its fields are all
// in Fields.
func (n *Node) Changed() []FieldDiff {
	switch {
	case n.fieldsA == nil && n.metaA == nil:
		var out []FieldDiff
		for _, f := range n.fields {
			if f.Different {
				out = append(out, f)
			}
		}
		return out
	case n.fieldsB == nil:
		return nil
	}
	if len(n.fieldsA) == len(n.fieldsB) {
		same := true
		for i := range n.fieldsA {
			if n.fieldsA[i].Name != n.fieldsB[i].Name {
				same = false
				break
			}
		}
		if same {
			// The common case: the same names in the same order.
			out := make([]FieldDiff, 0, bits.OnesCount64(n.differ))
			for i, f := range n.fieldsA {
				if bit := uint64(1) << i; n.differ&bit != 0 {
					out = append(out, FieldDiff{Name: f.Name, A: f.Value, B: n.fieldsB[i].Value, InA: true, InB: true,
						Different: true, Placement: n.placement&bit != 0, Spelling: n.spelling&bit != 0, Role: cmp.Or(f.Role, n.fieldsB[i].Role)})
				}
			}
			return out
		}
	}
	var out []FieldDiff
	for _, f := range n.Fields() {
		if f.Different {
			out = append(out, f)
		}
	}
	return out
}

// keepFields stores the fields of a pair whose differing fields are all
// systematic by reference, with what was found about them as bits.
func (n *Node) keepFields(a, b []unpack.Field) {
	fs := n.fields
	if len(fs) > 64 {
		return
	}
	var differ, placement, spelling uint64
	for i, f := range fs {
		bit := uint64(1) << i
		if f.Different {
			if !f.systematic() {
				return
			}
			differ |= bit
		}
		if f.Placement {
			placement |= bit
		}
		if f.Spelling {
			spelling |= bit
		}
		if f.Renamed {
			return
		}
	}
	n.fields, n.fieldsA, n.fieldsB, n.metaA = nil, a, b, nil
	n.differ, n.placement, n.spelling = differ, placement, spelling
}

// dropIdentical leaves out the children from index from on that are
// identical and carry nothing a presenter shows (see droppable), and the
// slots left empty for those dropped as they were compared.
func (n *Node) dropIdentical(from int) {
	kept := n.Children[:from]
	for _, ch := range n.Children[from:] {
		if ch == nil {
			continue
		}
		if ch.droppable() {
			n.dropped++
			continue
		}
		kept = append(kept, ch)
	}
	clear(n.Children[len(kept):])
	n.Children = kept
}

// droppable reports whether n is identical and carries nothing a
// presenter shows: no systematic difference counted at the layer, no
// note, nothing unreadable, no child kept.
func (n *Node) droppable() bool {
	return n.State == Same && len(n.Children) == 0 && len(n.Notes) == 0 && !n.IOError && !n.Unreadable() &&
		!n.Placed() && !n.NameRespelled() && !n.StorePathRenamed()
}

// ContentIdentical reports whether n was unpacked and everything in it is
// the same: what differs is the layer's own header or placement.
func (n *Node) ContentIdentical() bool {
	return n.Descended && n.State != Same && !n.LayoutOnly && !n.filteredBelow && (len(n.Children) > 0 || n.dropped > 0) && !n.childrenDiffer() && !n.childUnreadable()
}

// childUnreadable reports whether an entry below n could not be read
// completely (a stream cut at a limit, a damaged member): what was
// compared of it may be the same, but not all of it was.
func (n *Node) childUnreadable() bool {
	for _, c := range n.Children {
		if c.Unreadable() || c.childUnreadable() {
			return true
		}
	}
	return false
}

// NameRespelled reports whether the pair's name is spelled differently.
func (n *Node) NameRespelled() bool {
	if n.fieldsB != nil {
		return n.differ&n.spelling != 0
	}
	for _, f := range n.fields {
		if f.Different && f.Spelling {
			return true
		}
	}
	return false
}

// StorePathRenamed reports whether the pair is a store path under two hashes.
func (n *Node) StorePathRenamed() bool { return n.renamedFrom != "" }

// Placed reports whether a placement field of the pair differs.
func (n *Node) Placed() bool {
	if n.fieldsB != nil {
		// Kept by reference only before anything is unpacked from the
		// pair (n.Inner is empty).
		return n.differ&n.placement != 0
	}
	for _, f := range n.fields {
		// An inner layer's own placement fields count at that layer.
		if f.Different && f.Placement && (n.Inner == "" || !strings.HasPrefix(f.Name, n.Inner+" ")) {
			return true
		}
	}
	return false
}

// Path is the full path of the pair through the layers, as
// "a.iso :: /boot/efi.img :: /EFI/BOOT/grub.cfg".
func (n *Node) Path() string {
	if n.Parent == nil {
		return n.Name
	}
	p := n.Parent
	pp := p.Path()
	switch {
	case p.Parent == nil || p.Descended:
		return pp + " :: " + n.Name
	case strings.HasSuffix(pp, "/"):
		return pp + n.Name
	default:
		return pp + "/" + n.Name
	}
}

// Child returns the child pair with the given name, or nil.
func (n *Node) Child(name string) *Node {
	i := sort.Search(len(n.Children), func(i int) bool { return n.Children[i].Name >= name })
	if i < len(n.Children) && n.Children[i].Name == name {
		return n.Children[i]
	}
	return nil
}

// Walk calls fn for n and every node below it, depth first, children in
// order; fn returning false skips the node's children.
func (n *Node) Walk(fn func(*Node) bool) {
	if !fn(n) {
		return
	}
	for _, c := range n.Children {
		c.Walk(fn)
	}
}

// Counts tallies the differing nodes that carry their own differences.
type Counts struct {
	Modified, Added, Removed, TypeChanged int
}

// Total is the number of differences counted.
func (c Counts) Total() int { return c.Modified + c.Added + c.Removed + c.TypeChanged }

// Count tallies the differences at and below n. An added or removed
// directory counts once, not once per entry inside it.
func (n *Node) Count() Counts {
	var c Counts
	n.Walk(func(m *Node) bool {
		switch m.State {
		case Added:
			c.Added++
			return false
		case Removed:
			c.Removed++
			return false
		case TypeChanged:
			c.TypeChanged++
		case Modified:
			if m.OwnDifferences() {
				c.Modified++
			}
		}
		return true
	})
	return c
}

func entryType(n *unpack.Node) string {
	if n == nil {
		return ""
	}
	return n.Type.String()
}
