package diff

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"isodiff/unpack"
)

// Options bound the work and the size of what is kept for presenters.
type Options struct {
	// MaxDiffLines caps the lines of one text diff; the rest is counted.
	MaxDiffLines int
	// MaxHexBytes caps the bytes of hex dump kept per file (both sides
	// count once); the rest is counted.
	MaxHexBytes int
	// MaxTextSize: files larger than this are compared as binary.
	MaxTextSize int64
	// ContextLines around each change of a text diff.
	ContextLines int
	// ContextRows of 16 bytes around each differing row of a hex diff.
	ContextRows int
	// MaxDepth caps how many layers deep the comparison unpacks, so that
	// no input can make it loop.
	MaxDepth int
	// Formats are the formats inner layers are detected as, in order of
	// detection (see unpack.Detect); nil compares every file as bytes.
	Formats []unpack.Format
	// Env is where inner layers spool decompressed streams; nil for the
	// system temporary directory and default limits.
	Env *unpack.Env
	// Workers is how many pairs are compared at once; 0 for two per CPU:
	// a pair that takes long (a large file read and compared where it
	// is) holds its CPU until done, and the second set keeps the CPUs
	// busy meanwhile (measured: 5-10% less wall time on a 2-CPU machine
	// than one per CPU).
	// The tree is the same for every value.
	Workers int
	// Progress, when set, is updated as the comparison goes.
	Progress *Progress
	// OnDone, when set, is called with every pair as soon as it and all
	// below it are final (see fill), never with one cut short by the end
	// of the comparison's context. It may be called from several
	// goroutines at once.
	OnDone func(*Node)
	// DifferencesOnly keeps only what differs: identical pairs are left
	// out of the tree (a report shows none of them), and each directory
	// of the unpacked trees is let go as soon as it has been compared
	// (the trees given to Compare are emptied as it goes). Memory then
	// follows the differences, not the size of the inputs.
	DifferencesOnly bool
	// MaskStoreHashes makes text diffs with every store path hash
	// masked on both sides (see maskStoreHashes), so that they show only
	// lines that differ in more than hashes.
	MaskStoreHashes bool
}

// Progress counts the work done so far; safe to read while it goes on.
type Progress struct {
	EntriesA, EntriesB atomic.Int64 // entries compared from each side
	// TotalA and TotalB count the entries of every layer unpacked so far:
	// the total grows as inner layers are opened.
	TotalA, TotalB atomic.Int64
	BytesA, BytesB atomic.Int64 // content bytes compared on each side (proven equal as stored, or read)
	Differences    atomic.Int64 // pairs with differences of their own
}

// DefaultOptions are limits that keep a report readable.
func DefaultOptions() Options {
	return Options{
		MaxDiffLines: 256,
		MaxHexBytes:  1024,
		MaxTextSize:  4 << 20,
		ContextLines: 3,
		ContextRows:  1,
		MaxDepth:     16,
	}
}

// Compare builds the comparison tree of two unpacked layers. The root is
// named name (usually the base name of input A). It stops as soon as ctx
// is done, and then returns ctx's error and no tree.
func Compare(ctx context.Context, name string, a, b *unpack.Node, opt Options) (*Node, error) {
	return CompareImages(ctx, name, Image{Tree: a}, Image{Tree: b}, opt)
}

// Image is one input of a comparison: its unpacked tree and, when it is
// one file, its bytes.
type Image struct {
	Tree  *unpack.Node
	Bytes unpack.Data // nil for a directory
}

// SameBytes reports whether two contents hold the same bytes, comparing
// mapped inputs where they lie; an error says which side could not be
// read, or is ctx's when it is done first.
func SameBytes(ctx context.Context, a, b unpack.Data) (bool, error) {
	return equalData(ctx, a, b, nil)
}

// CompareImages builds the comparison tree of two inputs. Where both
// inputs' bytes are given, bytes that differ while nothing unpacked from
// them does are shown as they are: the tree differs exactly when the bytes
// do. Like Compare, it stops as soon as ctx is done.
func CompareImages(ctx context.Context, name string, ia, ib Image, opt Options) (*Node, error) {
	a, b := ia.Tree, ib.Tree
	c := comparer{ctx: ctx, opt: opt, env: opt.Env}
	if c.env == nil {
		c.env = &unpack.Env{}
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	c.workers = make(chan struct{}, workers)
	c.workers <- struct{}{} // the caller's
	defer func() { <-c.workers }()
	root := &Node{Name: name, Descended: true}
	c.addTotals(a, b, false)
	c.rawA, c.rawB = ia.Bytes, ib.Bytes
	c.fill(root, a, b, scope{depth: 1})
	if err := ctx.Err(); err != nil {
		// What was compared before is cut short here and there: no tree.
		return nil, err
	}
	return root, nil
}

// rootBytes compares the bytes of two inputs in which nothing unpacked
// differs.
func (c *comparer) rootBytes(root *Node, da, db unpack.Data, a, b *unpack.Node) {
	same, err := equalData(c.ctx, da, db, nil)
	var re *readError
	switch {
	case errors.As(err, &re):
		msg := "reading the input: " + re.Error()
		if re.side == "A" {
			root.ErrA = joinErr(root.ErrA, msg)
		} else {
			root.ErrB = joinErr(root.ErrB, msg)
		}
		root.IOError = true
	case !same:
		var la, lb unpack.Layout
		if a != nil {
			la = a.Layout()
		}
		if b != nil {
			lb = b.Layout()
		}
		c.undecoded(root, da, db, la, lb)
		root.State = Modified
	}
}

type comparer struct {
	// ctx stops the comparison: every loop over entries or bytes checks
	// it, and what is left unfinished is not handed to Options.OnDone.
	ctx context.Context
	opt Options
	env *unpack.Env
	// rawA and rawB are the inputs' bytes, when each is one file.
	rawA, rawB unpack.Data
	// workers holds a token for each goroutine comparing pairs, the
	// caller's included; its capacity bounds the parallelism. A goroutine
	// gives its token back while it waits for the ones it started.
	workers chan struct{}
}

// scope is what the comparison of an entry knows of its layer.
type scope struct {
	depth int // layers deep, the outermost being 1
}

// pair compares two entries, either of which may be nil, as a child of
// parent.
func (c *comparer) pair(parent *Node, name string, a, b *unpack.Node, sc scope) *Node {
	n := &Node{Name: name, Parent: parent}
	c.fill(n, a, b, sc)
	return n
}

// fill compares a and b into n, whose Name, Parent and Descended are set
// and do not change afterwards (presenters may read them while the
// comparison goes on); everything else of n is final when fill returns,
// and then n is handed to Options.OnDone.
func (c *comparer) fill(n *Node, a, b *unpack.Node, sc scope) {
	n.OffsetA, n.OffsetB = -1, -1
	if c.stopped() {
		return
	}
	defer c.done(n, a, b)
	defer func() {
		// A Meta decodes from its layer's reader, which is closed once
		// the layer is compared (see descend): the fields of a pair that
		// stays in the tree are decoded now, before presenters ask.
		if n.metaA != nil && !(c.opt.DifferencesOnly && n.droppable()) {
			n.fieldsA = append(n.metaA.AppendFields(nil), n.fieldsA...)
			n.metaA = nil
		}
	}()
	defer func() {
		// A bug in a reader or here must not take the whole comparison
		// (and the terminal) down: the entry says what happened instead.
		if r := recover(); r != nil {
			n.State = Modified
			n.ErrA = fmt.Sprintf("internal error while comparing this entry: %v", r)
			n.ErrB = ""
		}
	}()
	switch {
	case a == nil:
		n.State, n.Layer, n.Type, n.OffsetB = Added, b.Layer, entryType(b), b.Offset
		n.fields = oneSideFields(nil, b)
		n.ErrB, n.IOError = errText(b), unpack.IsLocal(b.Err)
		c.oneSide(n, b, Added, sc)
		entryCauses(n, b)
		return
	case b == nil:
		n.State, n.Layer, n.Type, n.OffsetA = Removed, a.Layer, entryType(a), a.Offset
		n.fields = oneSideFields(a, nil)
		n.ErrA, n.IOError = errText(a), unpack.IsLocal(a.Err)
		c.oneSide(n, a, Removed, sc)
		entryCauses(n, a)
		return
	}
	n.Layer, n.Type, n.OffsetA, n.OffsetB = b.Layer, entryType(b), a.Offset, b.Offset
	if a.Alias() != "" && a.Alias() == b.Alias() {
		n.alias = a.Alias()
	}
	if n.renamedFrom != "" {
		// A renamed store path: the name is a field of the pair.
		defer func() {
			n.fields = append([]FieldDiff{{Name: "store path", A: n.Name, B: n.renamedFrom, InA: true, InB: true, Different: true, Renamed: true}}, n.Fields()...)
			n.fieldsA, n.fieldsB, n.metaA = nil, nil, nil
		}()
	}
	if sameMeta(a, b) {
		// Proven equal from the stored bytes: decoded only if shown.
		n.fieldsA, n.metaA = a.Fields(), a.Meta()
	} else if fa, fb := a.AllFields(), b.AllFields(); equalFields(fa, fb) {
		n.fieldsA = fa
	} else if !n.placedOnly(fa, fb) {
		n.fields = mergeFields(fa, fb)
		markSpelling(n)
		n.keepFields(fa, fb)
	}
	n.ErrA, n.ErrB = errText(a), errText(b)
	// What this machine failed at (a temporary file, a directory it may
	// not list) leaves the comparison incomplete rather than different.
	n.IOError = unpack.IsLocal(a.Err) || unpack.IsLocal(b.Err)
	if a.Type != b.Type {
		n.State = TypeChanged
		n.Type = entryType(a) + " → " + entryType(b)
		return
	}
	c.content(n, a, b, sc)
	c.children(n, a, b, sc)
	if c.stopped() {
		return
	}
	if n.Descended && n.Parent == nil {
		n.Moved, n.Respelled, n.Renamed = countSystematic(n)
	}

	n.State = Same
	if n.OwnDifferences() || n.childrenDiffer() {
		n.State = Modified
	}
	if n.Parent == nil && n.State == Same && c.rawA != nil && c.rawB != nil {
		c.rootBytes(n, c.rawA, c.rawB, a, b)
	}
	if n.State == Same && n.fieldsB != nil && c.opt.DifferencesOnly {
		// Renumbered, nothing else: all a report shows of it is the
		// differing fields, and the unpacked entries can go.
		n.fields, n.fieldsA, n.fieldsB, n.metaA = n.Changed(), nil, nil, nil
	}
	if n.State != Same {
		fieldCauses(n)
		if n.Content != nil && a != nil && b != nil {
			patchCauses(n, a.Data, b.Data)
		}
	}
}

// addTotals counts the entries of two unpacked layers into the progress;
// an inner layer's root is the entry that holds it, counted already.
func (c *comparer) addTotals(a, b *unpack.Node, inner bool) {
	if c.opt.Progress == nil {
		return
	}
	root := int64(0)
	if inner {
		root = 1
	}
	c.opt.Progress.TotalA.Add(countEntries(a) - root)
	c.opt.Progress.TotalB.Add(countEntries(b) - root)
}

func countEntries(u *unpack.Node) int64 {
	if u == nil {
		return 0
	}
	n := int64(1)
	for _, c := range u.Children {
		n += countEntries(c)
	}
	return n
}

// stopped reports whether the comparison is to stop.
func (c *comparer) stopped() bool { return c.ctx.Err() != nil }

// done counts a finished pair and hands it to the observer; a pair cut
// short by the end of the comparison is not finished.
func (c *comparer) done(n *Node, a, b *unpack.Node) {
	if c.stopped() {
		return
	}
	if p := c.opt.Progress; p != nil {
		if a != nil {
			p.EntriesA.Add(1)
		}
		if b != nil {
			p.EntriesB.Add(1)
		}
		if n.OwnDifferences() && (n.Parent == nil || (n.Parent.State != Added && n.Parent.State != Removed)) {
			p.Differences.Add(1)
		}
	}
	if c.opt.OnDone != nil {
		c.opt.OnDone(n)
	}
}

// oneSide builds the subtree of an entry present on one side only.
func (c *comparer) oneSide(n *Node, u *unpack.Node, s State, sc scope) {
	n.Children = make([]*Node, 0, len(u.Children))
	for _, ch := range u.Children {
		if c.stopped() {
			return
		}
		if s == Added {
			n.Children = append(n.Children, c.pair(n, ch.Name, nil, ch, sc))
		} else {
			n.Children = append(n.Children, c.pair(n, ch.Name, ch, nil, sc))
		}
	}
}

func errText(u *unpack.Node) string {
	if u == nil || u.Err == nil {
		return ""
	}
	return u.Err.Error()
}

// equalFields reports whether two field lists are the same, in order.
func equalFields(a, b []unpack.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// placedOnly keeps the fields of a pair by reference when both sides name
// the same fields in the same order and only placement fields differ (a
// renumbered entry, the commonest difference of a large tree), without
// building FieldDiffs first; it reports whether it did.
func (n *Node) placedOnly(fa, fb []unpack.Field) bool {
	if len(fa) != len(fb) || len(fa) > 64 {
		return false
	}
	var differ, placement uint64
	for i := range fa {
		if fa[i].Name != fb[i].Name {
			return false
		}
		place := fa[i].Role.Is(unpack.Placement) || fb[i].Role.Is(unpack.Placement)
		if fa[i].Value != fb[i].Value {
			if !place {
				return false
			}
			differ |= 1 << i
		}
		if place {
			placement |= 1 << i
		}
	}
	n.fieldsA, n.fieldsB, n.differ, n.placement = fa, fb, differ, placement
	return true
}

// markSpelling marks a raw "name" field (kept by archive readers when the
// stored name is not the normalised path) that differs only in spelling:
// both sides name the same path, as "./init" and "init" do. A field the
// reader gives the name-style cause (an ISO 9660 8.3 name or a Joliet
// identifier beside the Rock Ridge name both sides share) is such a
// spelling too: counted at the layer, not an entry's own difference.
func markSpelling(n *Node) {
	norm := func(s string) string {
		for {
			switch {
			case strings.HasPrefix(s, "./"):
				s = s[2:]
			case strings.HasPrefix(s, "/"):
				s = s[1:]
			case s == ".":
				return ""
			default:
				return strings.TrimSuffix(s, "/")
			}
		}
	}
	for i := range n.fields {
		f := &n.fields[i]
		if f.Different && f.Role != nil && f.Role.Cause == CauseNameStyle && f.InA && f.InB {
			f.Spelling = true
			continue
		}
		if f.Name != "name" || !f.Different {
			continue
		}
		a, b := f.A, f.B
		if !f.InA {
			a = layerPath(n)
		}
		if !f.InB {
			b = layerPath(n)
		}
		f.Spelling = norm(a) == norm(b)
	}
}

// oneSideFields lists the fields of an entry on one side only, none of
// them differing.
func oneSideFields(a, b *unpack.Node) []FieldDiff {
	var out []FieldDiff
	if a != nil {
		out = mergeFields(a.AllFields(), nil)
	} else {
		out = mergeFields(nil, b.AllFields())
	}
	for i := range out {
		out[i].Different = false
	}
	return out
}

// sameMeta reports whether a and b are proven to have the same fields
// without decoding their Meta: the same eager fields, and Metas that are
// the same stored bytes (or none).
func sameMeta(a, b *unpack.Node) bool {
	ma, mb := a.Meta(), b.Meta()
	if (ma == nil) != (mb == nil) || !equalFields(a.Fields(), b.Fields()) {
		return false
	}
	return ma == nil || ma.SameMeta(mb)
}

// mergeFields pairs two field lists by name: A's fields in A's order, then
// B's fields A lacks.
func mergeFields(a, b []unpack.Field) []FieldDiff {
	out := make([]FieldDiff, len(a), max(len(a), len(b)))
	for i, f := range a {
		out[i] = FieldDiff{Name: f.Name, A: f.Value, InA: true, Role: f.Role}
	}
	// Lists are short: a search beats a map. A name twice in A pairs
	// with its last instance.
	find := func(name string) int {
		for i := len(a) - 1; i >= 0; i-- {
			if a[i].Name == name {
				return i
			}
		}
		return -1
	}
	for _, f := range b {
		if i := find(f.Name); i >= 0 {
			out[i].B, out[i].InB = f.Value, true
			if out[i].Role == nil {
				out[i].Role = f.Role
			}
			continue
		}
		out = append(out, FieldDiff{Name: f.Name, B: f.Value, InB: true, Role: f.Role})
	}
	for i := range out {
		f := &out[i]
		f.Placement = f.Role.Is(unpack.Placement)
		f.Different = f.InA != f.InB || f.A != f.B
	}
	return out
}

// content compares the bytes of both entries, size first.
func (c *comparer) content(n *Node, a, b *unpack.Node, sc scope) {
	if a.Data == nil && b.Data == nil {
		return
	}
	if a.Alias() != "" && a.Alias() == b.Alias() {
		// The bytes are those of another entry of the same layer, which
		// is compared in its own right.
		return
	}
	da, db := a.Data, b.Data
	if da == nil || db == nil {
		if (da == nil && a.Err != nil) || (db == nil && b.Err != nil) {
			n.Notes = append(n.Notes, "content not compared: a side could not be read")
			return
		}
	} else if a.Err == nil && b.Err == nil {
		// The usual case, first: a Data may make its size only when
		// asked (a function's disassembly), which equal bytes never are.
	} else if sa, sb := da.Size(), db.Size(); sa != sb && (a.Err != nil && sa < sb || b.Err != nil && sb < sa) {
		// The shorter side stopped where it could not be read further:
		// compare what both have rather than call the rest removed.
		m := min(sa, sb)
		da, db = io.NewSectionReader(da, 0, m), io.NewSectionReader(db, 0, m)
		n.Notes = append(n.Notes, fmt.Sprintf("content compared up to byte %d, where the shorter side could not be read further", m))
	}
	same, err := equalData(c.ctx, da, db, c.opt.Progress)
	if c.stopped() {
		return
	}
	var re *readError
	if errors.As(err, &re) {
		// The bytes could not be read: the entry is unreadable on that
		// side, not different. A read failure that is not the input's
		// own damage (an I/O error) also means the comparison is
		// incomplete.
		msg := joinErr(map[string]string{"A": n.ErrA, "B": n.ErrB}[re.side], re.Error())
		if re.side == "A" {
			n.ErrA = msg
		} else {
			n.ErrB = msg
		}
		var fe *unpack.FormatError
		if !errors.As(err, &fe) {
			n.IOError = true
		}
		return
	}
	if same {
		return
	}
	if c.descend(n, da, db, sc) {
		return
	}
	n.Content = c.explainContent(n, da, db)
	contentCauses(n, da, db)
	if !n.contentExplained {
		c.storeHashBytes(n, da, db)
	}
	rasterNote(c.ctx, n, da, db)
}

// children pairs the children of both entries by name.
func (c *comparer) children(n *Node, a, b *unpack.Node, sc scope) {
	if a.Positional() && b.Positional() && c.permuted(n, a, b, sc) {
		return
	}
	rasters := rasterChildren(a, b)
	pairs := make([]childPair, 0, max(len(a.Children), len(b.Children)))
	i, j := 0, 0
	for i < len(a.Children) || j < len(b.Children) {
		var ca, cb *unpack.Node
		switch {
		case j >= len(b.Children) || (i < len(a.Children) && a.Children[i].Name < b.Children[j].Name):
			ca = a.Children[i]
			i++
		case i >= len(a.Children) || b.Children[j].Name < a.Children[i].Name:
			cb = b.Children[j]
			j++
		default:
			ca, cb = a.Children[i], b.Children[j]
			i++
			j++
		}
		pairs = append(pairs, childPair{a: ca, b: cb})
	}
	pairs = pairRenamedStorePaths(pairs)
	// Append: an entry that was unpacked already holds its layer's pairs.
	base := len(n.Children)
	n.Children = append(n.Children, make([]*Node, len(pairs))...)
	var wg sync.WaitGroup
	started := false
	// An identical pair a report leaves out is dropped as soon as it is
	// compared: a directory of a million entries must not hold a million
	// pairs until its last one is done.
	var dropped atomic.Int64
	for k, p := range pairs {
		if c.stopped() {
			// The slots left empty are never read: the tree is dropped.
			break
		}
		fill := func() {
			ch := &Node{Name: p.name(), Parent: n, renamedFrom: p.renamedFrom()}
			c.fill(ch, p.a, p.b, sc)
			if c.opt.DifferencesOnly && ch.droppable() {
				dropped.Add(1)
				return
			}
			n.Children[base+k] = ch
		}
		// Spread pairs over the workers while one is free; otherwise do
		// the work here. Every pair lands in its own slot, so the tree is
		// the same whatever the schedule.
		select {
		case c.workers <- struct{}{}:
			started = true
			wg.Go(func() {
				defer func() { <-c.workers }()
				fill()
			})
		default:
			fill()
		}
	}
	if started {
		// Waiting is not working: let another goroutine run meanwhile.
		<-c.workers
		wg.Wait()
		c.workers <- struct{}{}
	}
	if c.stopped() {
		return
	}
	if a.HasOrder() && b.HasOrder() && !(a.InNameOrder() && b.InNameOrder()) {
		// Two name orders agree on the names both have, without listing.
		n.Order = orderDiff(a.Order(), b.Order())
	}
	if c.opt.DifferencesOnly {
		n.dropped += int(dropped.Load())
		n.dropIdentical(base)
		a.Children, b.Children = nil, nil
		a.SetOrder(nil)
		b.SetOrder(nil)
	}
	notePixelsIdentical(n, rasters, base)
}

// childPair is a child of each side to compare, paired by name (or, for
// store paths, by name after the hash: see pairRenamedStorePaths). Two
// pointers: a directory of a million entries makes a million of them.
type childPair struct{ a, b *unpack.Node }

// name is the pair's name: A's, or B's when A has none.
func (p childPair) name() string {
	if p.a != nil {
		return p.a.Name
	}
	return p.b.Name
}

// renamedFrom is B's name, when it differs from A's.
func (p childPair) renamedFrom() string {
	if p.a != nil && p.b != nil && p.a.Name != p.b.Name {
		return p.b.Name
	}
	return ""
}

// storePath matches a Nix store path's base name: 32 characters of Nix's
// base-32, a dash, and the name.
var storePath = regexp.MustCompile(`^[0-9abcdfghijklmnpqrsvwxyz]{32}-(.+)$`)

// pairRenamedStorePaths pairs a store path only in A with the one only in
// B of the same name under another hash ("<hash>-python3-3.13.5"): one
// changed input renames every path downstream of it, and their contents
// are what tells why. Names with more than one candidate on a side are
// left unpaired.
func pairRenamedStorePaths(pairs []childPair) []childPair {
	type sides struct{ a, b []int }
	byName := map[string]*sides{}
	for i, p := range pairs {
		if (p.a == nil) == (p.b == nil) {
			continue
		}
		m := storePath.FindStringSubmatch(p.name())
		if m == nil {
			continue
		}
		sd := byName[m[1]]
		if sd == nil {
			sd = &sides{}
			byName[m[1]] = sd
		}
		if p.a != nil {
			sd.a = append(sd.a, i)
		} else {
			sd.b = append(sd.b, i)
		}
	}
	drop := map[int]bool{}
	for _, sd := range byName {
		if len(sd.a) != 1 || len(sd.b) != 1 {
			continue
		}
		ia, ib := sd.a[0], sd.b[0]
		pairs[ia].b = pairs[ib].b
		drop[ib] = true
	}
	if len(drop) == 0 {
		return pairs
	}
	out := pairs[:0]
	for i, p := range pairs {
		if !drop[i] {
			out = append(out, p)
		}
	}
	return out
}

// orderDiff compares the order of the names both sides have.
func orderDiff(a, b []string) *OrderDiff {
	inA := make(map[string]bool, len(a))
	for _, s := range a {
		inA[s] = true
	}
	inB := make(map[string]bool, len(b))
	for _, s := range b {
		inB[s] = true
	}
	ca := slices.DeleteFunc(slices.Clone(a), func(s string) bool { return !inB[s] })
	cb := slices.DeleteFunc(slices.Clone(b), func(s string) bool { return !inA[s] })
	if slices.Equal(ca, cb) {
		return nil
	}
	return &OrderDiff{A: ca, B: cb}
}

// permuted handles positional children (table slots) holding the same
// records in another order: it reports the permutation and pairs nothing.
func (c *comparer) permuted(n *Node, a, b *unpack.Node, sc scope) bool {
	if len(a.Children) != len(b.Children) || len(a.Children) < 2 {
		return false
	}
	sa, sb := make([]string, len(a.Children)), make([]string, len(b.Children))
	for i := range a.Children {
		sa[i] = shape(a.Children[i])
		sb[i] = shape(b.Children[i])
	}
	if slices.Equal(sa, sb) {
		// Each slot holds a record of its own shape: compared slot by
		// slot, bytes and all.
		return false
	}
	ssa, ssb := slices.Clone(sa), slices.Clone(sb)
	slices.Sort(ssa)
	slices.Sort(ssb)
	if !slices.Equal(ssa, ssb) {
		return false
	}
	// The same shapes in other slots: a permutation if each of B's
	// records is one of A's, bytes and all. Name it by its slot in A.
	taken := make([]bool, len(a.Children))
	order := &OrderDiff{}
	for _, ch := range a.Children {
		order.A = append(order.A, ch.Name)
	}
	for j, cb := range b.Children {
		found := false
		for i, ca := range a.Children {
			if !taken[i] && sa[i] == sb[j] && sameRecord(ca, cb) {
				taken[i], found = true, true
				order.B = append(order.B, ca.Name)
				break
			}
		}
		if !found {
			return false
		}
	}
	n.Order = order
	for _, ch := range a.Children {
		if c.stopped() {
			break
		}
		n.Children = append(n.Children, c.pair(n, ch.Name, ch, ch, sc))
	}
	return true
}

// shape identifies a record by its fields, the size of its content and
// its children's names and shapes, not reading the content: records of
// one shape are the same if their bytes are (see sameRecord).
func shape(u *unpack.Node) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00", u.Type)
	for _, f := range u.AllFields() {
		fmt.Fprintf(h, "%s=%s\x00", f.Name, f.Value)
	}
	if u.Data != nil && u.Alias() == "" {
		fmt.Fprintf(h, "size=%d\x00", u.Data.Size())
	}
	fmt.Fprintf(h, "alias=%s\x00", u.Alias())
	for _, ch := range u.Children {
		fmt.Fprintf(h, "%s:%s\x00", ch.Name, shape(ch))
	}
	return string(h.Sum(nil))
}

// sameRecord reports whether two records of one shape hold the same
// bytes, theirs and their children's. A read error is "not the same":
// the records are then compared slot by slot, where it shows.
func sameRecord(a, b *unpack.Node) bool {
	if a.Data != nil && a.Alias() == "" {
		if eq, err := unpack.EqualAt(a.Data, 0, b.Data, 0, a.Data.Size()); err != nil || !eq {
			return false
		}
	}
	for i := range a.Children {
		if !sameRecord(a.Children[i], b.Children[i]) {
			return false
		}
	}
	return true
}

// Reason is a short account of what differs, for one-line listings.
func (n *Node) Reason() string {
	switch n.State {
	case Same:
		return ""
	case Added:
		return "only in B"
	case Removed:
		return "only in A"
	case TypeChanged:
		return "type: " + n.Type
	}
	var parts, fields []string
	for _, f := range n.Changed() {
		if !f.systematic() {
			fields = append(fields, f.Name)
		}
	}
	if len(fields) > 0 {
		parts = append(parts, strings.Join(fields, ", "))
	}
	if n.Content != nil {
		parts = append(parts, n.Content.Summary())
	}
	if n.Order != nil {
		parts = append(parts, "order")
	}
	switch {
	case n.LayoutOnly:
		parts = append(parts, "layout only: every unpacked entry is identical")
	case n.Moved > 0:
		parts = append(parts, placedElsewhere(n.Moved))
	}
	if n.Respelled > 0 {
		parts = append(parts, respelled(n.Respelled))
	}
	if n.Renamed > 0 {
		parts = append(parts, renamedPaths(n.Renamed))
	}
	if n.Mirrored > 0 {
		parts = append(parts, mirrored(n.Mirrored))
	}
	if n.ContentIdentical() && (len(fields) > 0 || n.Moved > 0 || n.Respelled > 0 || n.Renamed > 0) {
		parts = append(parts, "content identical")
	}
	if len(parts) == 1 && n.Order != nil && !n.childrenDiffer() {
		parts[0] = "order only"
	}
	if n.Unreadable() {
		parts = append(parts, "unreadable")
	}
	return strings.Join(parts, "; ")
}

func (n *Node) childrenDiffer() bool {
	for _, c := range n.Children {
		if c.State != Same {
			return true
		}
	}
	return false
}
