package squashfs

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"isodiff/unpack"
	"isodiff/unpack/internal/testutil"
)

// TestHeapPerEntry bounds what an image keeps per entry: a wide directory
// of empty files and directories of small files whose tails share
// fragment blocks, as in a store. An image of half a million files is two
// such trees at once; it took about 1 KB per entry before entries were
// made as their listing is read and their metadata kept as values.
func TestHeapPerEntry(t *testing.T) {
	testutil.NeedCmds(t, "mksquashfs")
	src := t.TempDir()
	write := func(path, data string) {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wide := filepath.Join(src, "wide")
	if err := os.Mkdir(wide, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 20_000 {
		write(filepath.Join(wide, fmt.Sprintf("f%06d", i)), "")
	}
	for d := range 50 {
		dir := filepath.Join(src, fmt.Sprintf("d%03d", d))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			write(filepath.Join(dir, fmt.Sprintf("s%04d", i)), fmt.Sprintf("%d/%d\n", d, i))
		}
	}
	img := filepath.Join(t.TempDir(), "many.sqfs")
	if out, err := exec.Command("mksquashfs", src, img, "-quiet", "-no-progress", "-noappend", "-all-root").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, out)
	}
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	per := testutil.HeapPerEntry(t, func() (*unpack.Node, error) { return Open(bytes.NewReader(b), int64(len(b)), nil) })
	t.Logf("%.0f bytes of heap per entry", per)
	if per > 260 {
		t.Errorf("%.0f bytes of heap per entry, more than 260", per)
	}
}
