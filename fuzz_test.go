package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pipelineSeeds are small images of several formats, each the fixed side
// A of FuzzPipeline. Small, because the fuzzer mutates and minimises whole
// inputs; the ISO, FAT and squashfs readers have fuzz targets of their own
// seeded with larger images.
var pipelineSeeds = []string{
	"fixtures/initrd/base.cpio",
	"fixtures/initrd/base-bin.cpio",
	"fixtures/initrd/initrd-a.gz",
	"fixtures/initrd/initrd-a.zst",
	"fixtures/initrd/initrd-a.xz",
	"fixtures/initrd/initrd-a.lz4",
	"fixtures/initrd/initrd-microcode",
	"fixtures/initrd/multimember.gz",
	"fixtures/squashfs/large.sqfs",
	"fixtures/elf/hello-a",
	"fixtures/elf/module-a.ko",
	"fixtures/archives/jar-a.jar",
	"fixtures/archives/deb-a.deb",
	"fixtures/archives/png-time.png",
	"fixtures/pe/efi-a.efi",
}

// FuzzPipeline runs the whole command on a fixture and a mutated copy of
// it: readers, comparison and report together. Whatever B holds, isodiff
// must not panic or hang, must exit 0 exactly when the bytes are the same,
// and must name B when it exits 2.
func FuzzPipeline(f *testing.F) {
	images := make([][]byte, len(pipelineSeeds))
	for i, p := range pipelineSeeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		images[i] = b
		f.Add(uint8(i), b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		i := int(which) % len(images)
		pa := pipelineSeeds[i]
		pb := filepath.Join(dir, "b")
		if err := os.WriteFile(pb, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errs bytes.Buffer
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				os.WriteFile(filepath.Join(os.TempDir(), "isodiff-fuzz-hang"), append([]byte{which}, b...), 0o644)
				panic("no answer in 60 s")
			}
		}()
		status := run(context.Background(), []string{"--text", "-", "--max-spooled", "67108864", pa, pb}, &out, &errs)
		same := bytes.Equal(images[i], b)
		switch {
		case same && status != 0:
			t.Fatalf("identical inputs: exit %d; stderr %s", status, errs.String())
		case !same && status == 0:
			t.Fatalf("inputs differ, exit 0")
		case status == 2 && !bytes.HasPrefix(errs.Bytes(), []byte("isodiff: B: ")) && !bytes.Contains(errs.Bytes(), []byte(": B: ")):
			t.Fatalf("exit 2 without naming B: %q", errs.String())
		case status != 0 && status != 1 && status != 2:
			t.Fatalf("exit status %d", status)
		}
		io.Copy(io.Discard, &out)
	})
}
