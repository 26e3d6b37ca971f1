package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"isodiff/unpack"
	"isodiff/unpack/iso9660"
	"isodiff/unpack/squashfs"
)

// nixosStoreFile reads a file of the nix store of the NixOS-like fixture
// image, by its path in the squashfs ("/nix-path-registration").
func nixosStoreFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open("fixtures/nixos/nixos-a.iso")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	iso, err := iso9660.Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	child := func(n *unpack.Node, name string) *unpack.Node {
		t.Helper()
		for _, c := range n.Children {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no %q in %q", name, n.Name)
		return nil
	}
	img := child(child(iso, "/"), "nix-store.squashfs")
	sq, err := squashfs.Open(img.Data, img.Data.Size(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := child(sq, "/")
	for _, name := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		n = child(n, name)
	}
	b, err := io.ReadAll(io.NewSectionReader(n.Data, 0, n.Data.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// storeRebuild writes two directories of files from the fixture's store,
// as two builds would leave them when glibc, python3 and bash came out
// under other hashes: the same bytes but for those hashes, wherever they
// are mentioned (texts, a .pyc, an ELF executable). edit changes B's
// files further.
func storeRebuild(t *testing.T, edit func(name string, b []byte) []byte) (string, string) {
	t.Helper()
	files := map[string]string{
		"nix-path-registration": "/nix-path-registration",
		"init":                  "/drm81cppqmg2y18s87xi2n8v1gmy4yap-nixos-system-nixos-25.11.1234.7848cd8c982f/init",
		"decoder.pyc":           storePython + "/lib/python3.13/json/__pycache__/decoder.cpython-313.pyc",
		"coreutils":             storeCoreutil + "/bin/coreutils",
	}
	renames := strings.NewReplacer(
		"l6kk57m66yc42vspx4p777j7ssdkrpwl", "0v9c3ifz1ss6xd3zdmm9p0ylrk3jgqdk",
		"g3nd7j0vqw8bgljxdw408s7y6l95a9hy", "a5hvk4wrbzzhcnp9nc4ls1qx7qd0ifbm",
		"9cl48hnincn6i19f5dncigqmn7whch8s", "mjr7vqg0bh2yfs9k6c1dnx4lzp8wa3ia")
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	epoch := time.Unix(1, 0)
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, path := range files {
		orig := nixosStoreFile(t, path)
		renamed := []byte(renames.Replace(string(orig)))
		if bytes.Equal(orig, renamed) {
			t.Fatalf("%s mentions none of the renamed store paths", path)
		}
		if edit != nil {
			renamed = edit(name, renamed)
		}
		for d, content := range map[string][]byte{a: orig, b: renamed} {
			p := filepath.Join(d, name)
			if err := os.WriteFile(p, content, 0o444); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(p, epoch, epoch)
		}
	}
	for _, d := range []string{a, b} {
		os.Chtimes(d, epoch, epoch)
	}
	return a, b
}

// TestStoreHashes: contents that differ only in the store path hashes
// they mention are explained as "store path hash" (texts, an ELF file's
// strings, the bytes of a .pyc), the verdict stays "different"; with
// --mask-store-hashes they are left out as a filter leaves them, and the
// text diffs of the rest show only what differs in more than hashes.
func TestStoreHashes(t *testing.T) {
	a, b := storeRebuild(t, nil)
	out, errs, status := runIsodiff(t, a, b)
	if status != 1 || errs != "" {
		t.Fatalf("exit status %d, want 1; stderr %q\n%s", status, errs, out)
	}
	for _, want := range []string{
		"unexplained: none · known causes: store path hash 5",
		"known cause: store path hash: 11 store path hashes in the text",               // nix-path-registration
		"known cause: store path hash: 1 store path hash in the text",                  // init, .interp, .dynstr
		"known cause: store path hash: every differing byte lies in 1 store path hash", // the .pyc
		"-#! /nix/store/9cl48hnincn6i19f5dncigqmn7whch8s-bash-5.2p37/bin/bash",
		"+#! /nix/store/mjr7vqg0bh2yfs9k6c1dnx4lzp8wa3ia-bash-5.2p37/bin/bash",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	out, _, status = runIsodiff(t, "--mask-store-hashes", a, b)
	if status != 0 || !strings.Contains(out, "identical after filters (5 hidden: store path hash 5)") {
		t.Errorf("--mask-store-hashes: exit status %d, want 0 and the pairs counted as hidden:\n%s", status, out)
	}
	for _, flags := range [][]string{{"--json", "-"}, {"--markdown", "-"}, {"--html", "-"}} {
		out, _, status := runIsodiff(t, append(flags, "--mask-store-hashes", a, b)...)
		if status != 0 || !strings.Contains(out, "store path hash") {
			t.Errorf("%s --mask-store-hashes: exit status %d, want 0 and the hidden cause named:\n%.2000s", flags[0], status, out)
		}
	}

	// A change besides the hashes: it alone shows, with the hashes of its
	// lines masked; masked, the lines that differ in hashes alone do not.
	a, b = storeRebuild(t, func(name string, b []byte) []byte {
		if name != "init" {
			return b
		}
		return bytes.Replace(b, []byte("NixOS Stage 2"), []byte("NixOS Stage 3"), 1)
	})
	out, _, status = runIsodiff(t, "--mask-store-hashes", a, b)
	if status != 1 {
		t.Errorf("a change besides the hashes: exit status %d, want 1", status)
	}
	for _, want := range []string{
		"unexplained: 1 · 4 hidden: store path hash 4",
		"store path hashes masked as /nix/store/<hash>- (--mask-store-hashes)",
		`-echo "<<< NixOS Stage 2 >>>"`, `+echo "<<< NixOS Stage 3 >>>"`,
		" #! /nix/store/<hash>-bash-5.2p37/bin/bash",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "-#! ") || strings.Contains(out, "mjr7vqg0bh2yfs9k6c1dnx4lzp8wa3ia") {
		t.Errorf("a line that differs only in a hash shows as changed:\n%s", out)
	}
	out, _, _ = runIsodiff(t, a, b)
	if !strings.Contains(out, "+#! /nix/store/mjr7vqg0bh2yfs9k6c1dnx4lzp8wa3ia-bash-5.2p37/bin/bash") {
		t.Errorf("without the mask, the hash line does not show:\n%s", out)
	}
}
