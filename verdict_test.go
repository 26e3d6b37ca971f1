package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deflatePaddingFlip returns a gzip stream and a copy of it with one bit
// flipped that decodes to the same bytes with a valid CRC: one of the bits
// after the end of the final deflate block, which no decoder reads.
func deflatePaddingFlip(t *testing.T) (a, b []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	io.WriteString(w, "hello world\n")
	w.Close()
	a = buf.Bytes()
	want := "hello world\n"
	// The deflate stream lies between the 10-byte header and the 8-byte
	// trailer.
	for off := 10; off < len(a)-8; off++ {
		for bit := range 8 {
			b = bytes.Clone(a)
			b[off] ^= 1 << bit
			r, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				continue
			}
			got, err := io.ReadAll(r)
			if err == nil && string(got) == want {
				return a, b
			}
		}
	}
	t.Fatal("no bit of the deflate stream can be flipped without changing what it decodes to")
	return nil, nil
}

// TestUndecodedBytesDiffer: bytes that no reader decodes still make the
// inputs differ, and the report shows them at their offset.
func TestUndecodedBytesDiffer(t *testing.T) {
	a, b := deflatePaddingFlip(t)
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.gz"), filepath.Join(dir, "b.gz")
	os.WriteFile(pa, a, 0o644)
	os.WriteFile(pb, b, 0o644)
	off := 0
	for a[off] == b[off] {
		off++
	}
	out, errs, status := runIsodiff(t, pa, pb)
	if status != 1 {
		t.Fatalf("exit status %d, want 1 (the inputs differ at byte %d); stderr %q\n%s", status, off, errs, out)
	}
	for _, want := range []string{"layout only", fmt.Sprintf("1 differing byte in 1 region, first at 0x%x", off),
		fmt.Sprintf("byte 0x%x: in gzip deflate stream", off)} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if _, _, status := runIsodiff(t, "-q", pa, pa); status != 0 {
		t.Errorf("a file against itself: exit status %d, want 0", status)
	}
}

// bitFlipFixtures are images of every format the readers know.
var bitFlipFixtures = []string{
	"fixtures/iso/base-a.iso",
	"fixtures/iso/joliet-a.iso",
	"fixtures/nixos/nixos-a.iso",
	"fixtures/squashfs/zstd.sqfs",
	"fixtures/squashfs/gzip.sqfs",
	"fixtures/fat/fat16.img",
	"fixtures/fat/fat32-small.img",
	"fixtures/initrd/base.cpio",
	"fixtures/initrd/base-odc.cpio",
	"fixtures/initrd/base-crc.cpio",
	"fixtures/initrd/base-bin.cpio",
	"fixtures/initrd/initrd-a.gz",
	"fixtures/initrd/initrd-a.xz",
	"fixtures/initrd/initrd-a.zst",
	"fixtures/initrd/initrd-a.lz4",
	"fixtures/initrd/initrd-a.bz2",
	"fixtures/initrd/initrd-a.lzma",
	"fixtures/initrd/initrd-a.lzo",
	"fixtures/initrd/initrd-microcode",
	"fixtures/initrd/multimember.gz",
	"fixtures/elf/hello-a",
	"fixtures/elf/module-a.ko",
	"fixtures/pe/hello-a.exe",
	"fixtures/pe/efi-a.efi",
	"fixtures/pe/uki-a.efi",
	"fixtures/pe/memtest86+x64.efi",
	"fixtures/archives/zip-extra.zip",
	"fixtures/archives/jar-a.jar",
	"fixtures/archives/tar-pax.tar",
	"fixtures/archives/ar-U.a",
	"fixtures/archives/deb-a.deb",
	"fixtures/archives/png-time.png",
}

// TestNoFlipIsIdentical is the verdict's guarantee: whichever bit of an
// image is flipped, isodiff never says the two are identical. A flipped
// image that cannot be read at all may exit 2; every other exits 1.
func TestNoFlipIsIdentical(t *testing.T) {
	flips := 24
	if testing.Short() || raceEnabled {
		flips = 6
	}
	dir := t.TempDir()
	for _, fx := range bitFlipFixtures {
		img, err := os.ReadFile(fx)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(uint64(len(img)), 7))
		pb := filepath.Join(dir, "flipped")
		for i := range flips {
			off := r.IntN(len(img))
			if i < 8 {
				// Headers and superblocks are where a reader skips the
				// most: a share of the flips lands in the first KiB.
				off = r.IntN(min(len(img), 1024))
			}
			bit := r.IntN(8)
			b := bytes.Clone(img)
			b[off] ^= 1 << bit
			if err := os.WriteFile(pb, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, errs, status := runIsodiff(t, "-q", fx, pb)
			if status == 0 {
				t.Errorf("%s with bit %d of byte %d (0x%x) flipped: exit 0, want 1 or 2", fx, bit, off, off)
			}
			if status == 2 && !strings.HasPrefix(errs, "isodiff: B: ") {
				t.Errorf("%s flipped at byte %d: exit 2 without naming B: %q", fx, off, errs)
			}
		}
	}
}

// TestFIFOInput: a FIFO as an input is refused at once, not waited on.
func TestFIFOInput(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan struct{})
	var errs string
	var status int
	go func() {
		_, errs, status = runIsodiff(t, p, fixture(t, "base-a.iso"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("isodiff waits on a FIFO with no writer")
	}
	if status != 2 || !strings.Contains(errs, "A: "+p+": not a regular file or directory (a FIFO)") {
		t.Errorf("status %d, stderr %q; want 2 naming A as a FIFO", status, errs)
	}
}
