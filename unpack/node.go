// Package unpack reads image formats into trees of Nodes.
//
// Every format reader takes an io.ReaderAt and its size, never a file name,
// and hands out content as sections of that reader instead of copying it.
// A reader never panics on bad input: what it cannot read becomes an error
// carrying the layer and the byte offset (FormatError), and where only part of
// a layer is broken the rest is still returned with the broken Node marked.
package unpack

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
)

// Type says what a Node is.
type Type uint8

const (
	TypeFile Type = iota
	TypeDir
	TypeSymlink
	TypeCharDevice
	TypeBlockDevice
	TypeFifo
	TypeSocket
	// TypeRecord is a structure of the image itself (a volume descriptor,
	// a partition table entry, a boot catalog entry): fields, maybe
	// children, maybe bytes, but no file of any filesystem.
	TypeRecord
)

var typeNames = [...]string{
	TypeFile:        "file",
	TypeDir:         "directory",
	TypeSymlink:     "symlink",
	TypeCharDevice:  "character device",
	TypeBlockDevice: "block device",
	TypeFifo:        "fifo",
	TypeSocket:      "socket",
	TypeRecord:      "record",
}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", t)
}

// Field is one named metadata value of a Node, already formatted. Fields
// are compared by Name between two Nodes; their order is the order in which
// a presenter shows them.
type Field struct {
	Name  string
	Value string
	// Role says what the field records, for the comparison to weigh and
	// explain a difference in it; nil for a plain field.
	Role *Role
}

// String shows the field as name=value, for messages.
func (f Field) String() string { return f.Name + "=" + f.Value }

// A Role says what a field records, so that a comparison can weigh and
// explain a difference in it without knowing the format. A reader shares
// one Role value among all its fields of that kind.
type Role struct {
	Kind RoleKind
	// Cause labels a difference in a field of this role ("timestamp",
	// "gzip header"), as a known cause of non-reproducible builds; "" for
	// none.
	Cause string
	// NamesField makes the field's name the cause's detail
	// ("timestamp: mtime").
	NamesField bool
}

// RoleKind is what kind of thing a field with a Role records.
type RoleKind uint8

const (
	// Placement: where an entry lies or how it is numbered (an extent, a
	// fragment slot, an inode number), not what it is. It follows from
	// every change before it, so a difference in it alone does not make
	// the entry differ; it is counted at the layer instead.
	Placement RoleKind = iota + 1
	// Time: a time stamp.
	Time
	// Header: what a wrapping layer keeps of what it wraps (gzip's name
	// and mtime of the file it compressed). The cause's detail lists
	// every such field that differs.
	Header
	// Identity: an identifier made up at build time (a volume serial, a
	// GUID).
	Identity
	// Derived: computed from other bytes or from the image's layout (a
	// checksum, the boot-info-table an image builder writes into a boot
	// image, see Patched).
	Derived
)

// Roles most formats use.
var (
	RolePlacement = &Role{Kind: Placement}
	RoleTime      = &Role{Kind: Time, Cause: "timestamp", NamesField: true}
	// RoleDerived: a size, count or checksum of what an entry or layer
	// holds, which follows from the differences in that.
	RoleDerived = &Role{Kind: Derived}
)

// Is reports whether r is of kind k; a nil Role is of no kind.
func (r *Role) Is(k RoleKind) bool { return r != nil && r.Kind == k }

// Data is the content of a Node: random access over a known size.
// *io.SectionReader is the usual implementation.
type Data interface {
	io.ReaderAt
	Size() int64
}

// Ranged is implemented by Data whose bytes are zero outside a known set of
// ranges (a masked view of an image): comparisons may read only those.
type Ranged interface {
	Data
	// Ranges returns sorted, non-overlapping [start, end) offsets outside
	// which every byte reads as zero.
	Ranges() []Range
}

// Holed is implemented by Data that knows, without reading it, where its
// content is all zeros: the holes of a sparse file. Unlike Ranged, it says
// nothing of the bytes outside the holes, and the size is part of the
// content: two Holed data of different sizes differ.
type Holed interface {
	Data
	// Holes returns sorted, non-overlapping [start, end) ranges within
	// Size() in which every byte reads as zero.
	Holes() []Range
}

// StoredEqualer is implemented by Data that can prove, from how it is
// stored, that it holds the same bytes as another Data without decoding
// either: two squashfs files whose compressed blocks are the same bytes.
type StoredEqualer interface {
	Data
	// SameStored reports whether the two are proven to hold the same bytes.
	// False means "not proven": the caller compares the bytes, since
	// different stored bytes may decode to the same content.
	SameStored(other Data) (bool, error)
}

// Patched is implemented by Data into which the tool that built the image
// wrote bytes that follow from the image's layout (mkisofs
// -boot-info-table writes a boot image's own position, length and
// checksum into it): a difference only there is explained by the patch's
// Role.
type Patched interface {
	Data
	Patches() []Patch
}

// Patch is a range of a Patched Data and what wrote it.
type Patch struct {
	Range
	Role *Role
}

// Range is a half-open byte range [Start, End).
type Range struct{ Start, End int64 }

// Len is the number of bytes in the range.
func (r Range) Len() int64 { return r.End - r.Start }

// Node is one entry of an unpacked layer.
type Node struct {
	// Name is the key of this Node among its siblings: a file name, or a
	// label such as "primary volume descriptor". Unique among siblings.
	Name string
	Type Type
	// order says whether the children have an on-disk order and whether
	// it is their name order (see Order).
	order orderState
	// Layer names the format this Node belongs to ("iso9660",
	// "El Torito", "MBR", ...), for presenters.
	Layer string
	// meta holds the fields, the metadata compared between two sides:
	// nil, a reader's Meta (decoded only when asked for), or a fieldList
	// or metaFields holding fields formatted already. One interface for
	// both keeps the Node small, as a layer may hold millions of them.
	// Read them through AllFields; see Fields, Meta.
	meta Meta
	// Data is the content (file bytes, boot code, a boot image), or nil.
	Data Data
	// Offset is where Data (or the record) starts in the layer's reader,
	// -1 when it has no single place there.
	Offset int64
	// Children are sorted by Name (see Sort).
	Children []*Node
	// Err says why this Node could not be read completely; whatever could
	// be read is still in the other fields.
	Err error
	// more holds what few Nodes have (see Alias, Layout, Positional, and
	// an Order other than the name order): a layer of a million entries
	// pays a pointer for them, not 64 bytes.
	more *nodeMore
}

type nodeMore struct {
	alias      string
	layout     Layout
	order      []string
	positional bool
}

// orderState is what a Node knows of its children's on-disk order.
type orderState uint8

const (
	noOrder     orderState = iota // none recorded
	nameOrder                     // the children lie in name order
	listedOrder                   // another order, listed in more.order
)

func (n *Node) ensureMore() *nodeMore {
	if n.more == nil {
		n.more = &nodeMore{}
	}
	return n.more
}

// Order is the on-disk sequence of the children's names, so that an
// order-only difference can be told apart from other changes; nil when the
// reader records none (HasOrder). Where that sequence is the name order,
// as in most images, only a flag is kept and the names are listed here
// from Children on each call: a directory of a million entries does not
// keep a million names twice.
func (n *Node) Order() []string {
	switch n.order {
	case nameOrder:
		names := make([]string, len(n.Children))
		for i, c := range n.Children {
			names[i] = c.Name
		}
		return names
	case listedOrder:
		return n.more.order
	}
	return nil
}

// HasOrder reports whether the reader recorded the children's on-disk
// order.
func (n *Node) HasOrder() bool { return n.order != noOrder }

// InNameOrder reports whether the children lie on disk in name order.
func (n *Node) InNameOrder() bool { return n.order == nameOrder }

// SetOrder records the on-disk sequence of the children's names; nil
// records none.
func (n *Node) SetOrder(names []string) {
	switch {
	case names == nil:
		n.order = noOrder
		if n.more != nil {
			n.more.order = nil
		}
	case n.namesInOrder(names):
		n.order = nameOrder
		if n.more != nil {
			n.more.order = nil
		}
	default:
		n.order = listedOrder
		n.ensureMore().order = names
	}
}

// AddOrder appends a name to the on-disk sequence of the children's
// names, for a reader that meets them one by one. Sort keeps only a flag
// when the sequence turns out to be the name order.
func (n *Node) AddOrder(name string) {
	n.order = listedOrder
	m := n.ensureMore()
	m.order = append(m.order, name)
}

// OrderFromChildren records the present sequence of the children as their
// on-disk order, for a reader that appends them as it meets them; call it
// before Sort.
func (n *Node) OrderFromChildren() {
	for i := 1; i < len(n.Children); i++ {
		if n.Children[i-1].Name >= n.Children[i].Name {
			names := make([]string, len(n.Children))
			for j, c := range n.Children {
				names[j] = c.Name
			}
			n.order = listedOrder
			n.ensureMore().order = names
			return
		}
	}
	n.order = nameOrder
	if n.more != nil {
		n.more.order = nil
	}
}

// RecordOrders calls OrderFromChildren on n and on every Node below it
// that has children: for a reader whose every parent gets its children in
// on-disk order (an archive of paths).
func RecordOrders(n *Node) {
	if len(n.Children) == 0 {
		return
	}
	n.OrderFromChildren()
	for _, c := range n.Children {
		RecordOrders(c)
	}
}

// namesInOrder reports whether names, in this sequence, are strictly
// ascending and the names of the children once sorted: then the name
// order says it all.
func (n *Node) namesInOrder(names []string) bool {
	if len(names) != len(n.Children) {
		return false
	}
	// Strictly ascending and the children's names one by one: then the
	// children are sorted too, and the names are their name order.
	for i, c := range n.Children {
		if c.Name != names[i] || i > 0 && names[i-1] >= names[i] {
			return false
		}
	}
	return true
}

// Positional says the children are slots of a table (partition entries,
// boot catalog entries): the same records in other slots are a
// permutation, not removals and additions.
func (n *Node) Positional() bool { return n.more != nil && n.more.positional }

// SetPositional sets Positional.
func (n *Node) SetPositional(p bool) {
	if p || n.more != nil {
		n.ensureMore().positional = p
	}
}

// Alias names another Node of the same layer whose bytes these are (a
// boot image that is also an ISO file): compared, not descended; "" for
// none.
func (n *Node) Alias() string {
	if n.more == nil {
		return ""
	}
	return n.more.alias
}

// SetAlias sets Alias.
func (n *Node) SetAlias(path string) {
	if path != "" || n.more != nil {
		n.ensureMore().alias = path
	}
}

// Layout, on the root of a layer, records which structure holds which
// bytes of the layer's reader, so that bytes that differ while nothing
// decoded from them does can be named by what holds them ("Joliet
// directory /", "gzip deflate stream"). Nil where the reader keeps none.
func (n *Node) Layout() Layout {
	if n.more == nil {
		return nil
	}
	return n.more.layout
}

// SetLayout sets Layout.
func (n *Node) SetLayout(l Layout) {
	if l != nil || n.more != nil {
		n.ensureMore().layout = l
	}
}

// Meta is metadata a reader decodes only when asked.
type Meta interface {
	// AppendFields appends the fields it holds to dst, in the order in
	// which a presenter shows them.
	AppendFields(dst []Field) []Field
	// SameMeta reports whether other is proven to hold the same fields:
	// both are the same stored bytes. False means "not proven": the
	// caller decodes and compares the fields.
	SameMeta(other Meta) bool
}

// fieldList is the meta of a Node whose fields are all formatted.
type fieldList struct{ fields []Field }

func (l *fieldList) AppendFields(dst []Field) []Field { return append(dst, l.fields...) }
func (l *fieldList) SameMeta(Meta) bool               { return false }

// metaFields is the meta of a Node with both a reader's Meta and fields
// formatted already.
type metaFields struct {
	lazy   Meta
	fields []Field
}

func (m *metaFields) AppendFields(dst []Field) []Field {
	return append(m.lazy.AppendFields(dst), m.fields...)
}
func (m *metaFields) SameMeta(Meta) bool { return false }

// Meta, when set, holds fields decoded only when asked for: a reader of a
// million entries keeps each entry's metadata as the few bytes that hold
// it rather than as a dozen formatted strings, and two entries whose
// stored metadata is the same bytes are compared without decoding either.
func (n *Node) Meta() Meta {
	switch m := n.meta.(type) {
	case *fieldList:
		return nil
	case *metaFields:
		return m.lazy
	}
	return n.meta
}

// SetMeta sets Meta, keeping Fields.
func (n *Node) SetMeta(m Meta) { n.set(m, n.Fields()) }

// Fields are the fields formatted already (AllFields has Meta's too).
// The slice is the Node's own: appending to it needs SetFields.
func (n *Node) Fields() []Field {
	switch m := n.meta.(type) {
	case *fieldList:
		return m.fields
	case *metaFields:
		return m.fields
	}
	return nil
}

// SetFields replaces Fields, keeping Meta.
func (n *Node) SetFields(f []Field) { n.set(n.Meta(), f) }

// AddFields appends to Fields.
func (n *Node) AddFields(f ...Field) {
	switch m := n.meta.(type) {
	case *fieldList:
		m.fields = append(m.fields, f...)
	case *metaFields:
		m.fields = append(m.fields, f...)
	default:
		if len(f) > 0 {
			// A copy: f may be a caller's slice spread as arguments.
			n.set(n.meta, slices.Clip(slices.Clone(f)))
		}
	}
}

func (n *Node) set(lazy Meta, f []Field) {
	switch {
	case f == nil:
		n.meta = lazy
	case lazy == nil:
		n.meta = &fieldList{f}
	default:
		n.meta = &metaFields{lazy, f}
	}
}

// AllFields returns every field of n: Meta's, then Fields. The slice is
// Fields itself when n has no Meta.
func (n *Node) AllFields() []Field {
	switch m := n.meta.(type) {
	case nil:
		return nil
	case *fieldList:
		return m.fields
	}
	return n.meta.AppendFields(nil)
}

// Layout names the structures of a layer that hold given bytes of it.
type Layout interface {
	// Holding describes what holds the bytes of r, outermost first; nil
	// when nothing does.
	Holding(r Range) []string
}

// Field returns the value of the named field and whether it exists.
func (n *Node) Field(name string) (string, bool) {
	for _, f := range n.AllFields() {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// AddField appends a metadata field.
func (n *Node) AddField(name, format string, args ...any) {
	n.AddFields(Field{Name: name, Value: fmt.Sprintf(format, args...)})
}

// AddRoleField appends a metadata field with a Role.
func (n *Node) AddRoleField(r *Role, name, format string, args ...any) {
	n.AddFields(Field{Name: name, Value: fmt.Sprintf(format, args...), Role: r})
}

// Child returns the child with the given name, or nil (also on a nil Node,
// so that a path of Child calls needs no check at each step).
func (n *Node) Child(name string) *Node {
	if n == nil {
		return nil
	}
	i := sort.Search(len(n.Children), func(i int) bool { return n.Children[i].Name >= name })
	if i < len(n.Children) && n.Children[i].Name == name {
		return n.Children[i]
	}
	return nil
}

// Sort orders the children of n and of every Node below it by name.
func (n *Node) Sort() {
	sort.SliceStable(n.Children, func(i, j int) bool { return n.Children[i].Name < n.Children[j].Name })
	if n.order == listedOrder && n.namesInOrder(n.more.order) {
		n.order, n.more.order = nameOrder, nil
	}
	for _, c := range n.Children {
		c.Sort()
	}
}

// FormatError reports input that is not what a format says it must be.
type FormatError struct {
	Layer  string // "iso9660", "El Torito", ...
	Offset int64  // byte offset in the layer's reader
	Msg    string
	Err    error // underlying cause, if any
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("%s: at byte %d (0x%x): %s", e.Layer, e.Offset, e.Offset, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

func Errorf(layer string, off int64, format string, args ...any) *FormatError {
	return &FormatError{Layer: layer, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// AddErr records err on n, joined to any error already there.
func (n *Node) AddErr(err error) {
	if n.Err == nil {
		n.Err = err
		return
	}
	n.Err = errors.Join(n.Err, err)
}

// Walk calls fn for every Node below n, parents before children, with its
// path: path joined with the names from n down ("/" for the root of a file
// tree names "/a", "/a/b", ...).
func (n *Node) Walk(path string, fn func(n *Node, path string)) {
	for _, c := range n.Children {
		p := path + "/" + c.Name
		if path == "/" {
			p = "/" + c.Name
		}
		fn(c, p)
		c.Walk(p, fn)
	}
}
