package diff

import (
	"context"
	"slices"
	"testing"

	"isodiff/unpack"
)

func TestSummarize(t *testing.T) {
	derived := &unpack.Role{Kind: unpack.Derived}
	withRole := func(n *unpack.Node, name, value string, r *unpack.Role) *unpack.Node {
		n.AddFields(unpack.Field{Name: name, Value: value, Role: r})
		return n
	}
	a := dir("", dir("/",
		file("touched", "x", "mtime", "1"),                // timestamp only: explained
		file("moved", "x", "lba", "5"),                    // placement only: no difference of its own
		file("edited", "old\n", "mtime", "1"),             // content: unexplained
		file("chmod", "x", "mode", "0644"),                // a plain field: unexplained
		withRole(file("sum", "x"), "total", "1", derived), // derived only: follows
		file("gone", "x"),
	))
	b := dir("", dir("/",
		file("touched", "x", "mtime", "2"),
		file("moved", "x", "lba", "6"),
		file("edited", "new\n", "mtime", "2"),
		file("chmod", "x", "mode", "0755"),
		withRole(file("sum", "x"), "total", "2", derived),
		file("new", "x"),
	))
	root, err := Compare(context.Background(), "x", a, b, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(root)
	var names []string
	for _, n := range s.Unexplained {
		names = append(names, n.Name)
	}
	if want := []string{"chmod", "edited", "gone", "new"}; !slices.Equal(names, want) {
		t.Errorf("unexplained %q, want %q", names, want)
	}
	if c := root.Count().Total(); s.Differences != c {
		t.Errorf("%d differences, Count says %d", s.Differences, c)
	}
	if want := []CauseCount{{"timestamp", 2}, {"layout", 1}}; !slices.Equal(s.ByCause, want) {
		t.Errorf("by cause %v, want %v", s.ByCause, want)
	}
}

// TestFoldMirrors: a pair that names again, on both sides, a file another
// pair of its layer names (as a Joliet record names a Rock Ridge file) and
// differs as that pair does is counted at the layer, not as a difference;
// one that differs otherwise stays.
func TestFoldMirrors(t *testing.T) {
	alias := func(n *unpack.Node, to string) *unpack.Node { n.SetAlias(to); return n }
	a := dir("", dir("/", file("f", "x", "mtime", "1"), file("g", "x", "mtime", "1")),
		dir("[mirror]", alias(file("F", "", "mtime", "1"), "/f"), alias(file("G", "", "mtime", "1"), "/g")))
	b := dir("", dir("/", file("f", "x", "mtime", "2"), file("g", "x", "mtime", "2")),
		dir("[mirror]", alias(file("F", "", "mtime", "2"), "/f"), alias(file("G", "", "mtime", "3"), "/g")))
	root, err := Compare(context.Background(), "x", a, b, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if k := FoldMirrors(root); k != 1 || root.Mirrored != 1 {
		t.Errorf("folded %d, layer counts %d; want 1", k, root.Mirrored)
	}
	m := root.Child("[mirror]")
	if m.Child("F").OwnDifferences() || !m.Child("G").OwnDifferences() {
		t.Errorf("F differs %v (want false), G %v (want true)", m.Child("F").OwnDifferences(), m.Child("G").OwnDifferences())
	}
	if s := Summarize(root); s.Mirrored != 1 || s.Differences != 3 {
		t.Errorf("summary: %d mirrored, %d differences; want 1, 3", s.Mirrored, s.Differences)
	}
}

func TestStorePaths(t *testing.T) {
	const h1, h2 = "g3nd7j0vqw8bgljxdw408s7y6l95a9hy", "jbz78dbz8vc198w76yzryfwgs9c9rd24"
	a := dir("", dir("/",
		dir(h1+"-python3-3.13.5", file("x.pyc", "a", "mtime", "1"), file("y.py", "a\n")),
		dir(h2+"-coreutils-9.7", file("ls", "x", "mtime", "1")),
		file("nix-path-registration", "1\n")))
	b := dir("", dir("/",
		dir(h1+"-python3-3.13.5", file("x.pyc", "a", "mtime", "2"), file("y.py", "b\n")),
		dir(h2+"-coreutils-9.7", file("ls", "x", "mtime", "2")),
		file("nix-path-registration", "2\n")))
	root, err := Compare(context.Background(), "x", a, b, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	got := StorePaths(root)
	want := []StorePath{
		{Name: "python3-3.13.5", Differences: 2, Unexplained: 1, Causes: []string{"timestamp"}},
		{Name: "coreutils-9.7", Differences: 1, Causes: []string{"timestamp"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Differences != want[i].Differences || got[i].Unexplained != want[i].Unexplained || !slices.Equal(got[i].Causes, want[i].Causes) {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}

	// Store paths under another hash on B's side: one with the same
	// contents, one with a file changed.
	const h3, h4 = "l6kk57m66yc42vspx4p777j7ssdkrpwl", "rr64xmqy7761kzqpqxya69ckg4cn37sr"
	a = dir("", dir("/", dir(h1+"-linux-6.12.63", file("bzImage", "k")), dir(h2+"-glibc-2.40", file("libc.so.6", "c"))))
	b = dir("", dir("/", dir(h3+"-linux-6.12.63", file("bzImage", "k")), dir(h4+"-glibc-2.40", file("libc.so.6", "C"))))
	if root, err = Compare(context.Background(), "x", a, b, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	got = StorePaths(root)
	if len(got) != 2 || got[0].Name != "glibc-2.40" || !got[0].Renamed || got[0].Differences != 1 ||
		got[1].Name != "linux-6.12.63" || !got[1].Renamed || got[1].Differences != 0 {
		t.Errorf("renamed store paths: %+v", got)
	}
}

// TestFoldMirrorsKeepsTheVerdict: a mirror is folded only when it differs
// in fields alone, as the pair it names again does: a mirror whose
// children's order differs (or whose target does not differ) stays a
// difference, so that folding can never make differing inputs identical.
func TestFoldMirrorsKeepsTheVerdict(t *testing.T) {
	alias := func(n *unpack.Node, to string) *unpack.Node { n.SetAlias(to); return n }
	mk := func(order ...string) *unpack.Node {
		m := dir("[mirror]", file("x", ""), file("y", ""))
		m.SetOrder(order)
		return dir("", dir("/", dir("d", file("x", "1"), file("y", "2"))), alias(m, "/"))
	}
	root, err := Compare(context.Background(), "x", mk("x", "y"), mk("y", "x"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !root.Differs() {
		t.Fatal("the order of the mirror's children differs, yet the tree does not")
	}
	FoldMirrors(root)
	if !root.Differs() {
		t.Error("folding mirrors made differing trees identical")
	}
}
