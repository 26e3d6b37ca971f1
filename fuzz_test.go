package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"isodiff/unpack"
	"isodiff/unpack/formats"
)

// pipelineSeeds are the fixed sides A of FuzzPipeline and
// FuzzPipelinePatch, and their seeds: an image of each format, so that the
// fuzzer reaches every reader (base-a.iso holds El Torito, an MBR, a GPT
// and a FAT image too; memtest is a bzImage with an EFI stub). Small where
// the format allows, because the fuzzer mutates whole inputs (see
// maxWholeSeed); the lzma seed has a small dictionary, since the decoder
// allocates it whole. The readers have fuzz targets of their own besides.
var pipelineSeeds = []string{
	"fixtures/initrd/base.cpio",
	"fixtures/initrd/base-bin.cpio",
	"fixtures/initrd/initrd-a.gz",
	"fixtures/initrd/initrd-a.zst",
	"fixtures/initrd/initrd-a.xz",
	"fixtures/initrd/initrd-a.lz4",
	"fixtures/initrd/initrd-frame.lz4",
	"fixtures/initrd/initrd-microcode",
	"fixtures/initrd/multimember.gz",
	"fixtures/squashfs/large.sqfs",
	"fixtures/elf/hello-a",
	"fixtures/elf/module-a.ko",
	"fixtures/archives/jar-a.jar",
	"fixtures/archives/deb-a.deb",
	"fixtures/archives/png-time.png",
	"fixtures/pe/efi-a.efi",
	"fixtures/initrd/initrd-a.bz2",
	"fixtures/initrd/initrd-small-dict.lzma",
	"fixtures/initrd/initrd-a.lzo",
	"fixtures/archives/tar-a.tar",
	"fixtures/fat/loop.img",
	"fixtures/pe/memtest86+x64.efi",
	"fixtures/iso/base-a.iso",
}

// pipelineHang is how long one comparison of FuzzPipeline may take
// before it counts as a hang.
const pipelineHang = 60 * time.Second

// pipeline runs isodiff on seed which (modulo the seeds) and b through
// scratch, and checks the verdict.
type pipeline struct {
	images  [][]byte
	scratch *scratchFile
	// started is when the running comparison started (UnixNano), 0
	// between comparisons; one watchdog for all of them, since a timer
	// and a goroutine for each would cost more than a small comparison.
	started atomic.Int64
	current atomic.Pointer[[]byte]
}

func newPipeline(tb testing.TB) *pipeline {
	p := &pipeline{scratch: newScratchFile(tb)}
	for _, s := range pipelineSeeds {
		b, err := os.ReadFile(s)
		if err != nil {
			tb.Fatal(err)
		}
		p.images = append(p.images, b)
	}
	done := make(chan struct{})
	tb.Cleanup(func() { close(done) })
	go p.watchdog(done)
	return p
}

// watchdog panics, after saving the input, when a comparison has run for
// pipelineHang: the fuzzer has no timeout of its own, and a hang must
// show as a failure with the input that caused it.
func (p *pipeline) watchdog(done <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		s := p.started.Load()
		if s == 0 || time.Since(time.Unix(0, s)) < pipelineHang {
			continue
		}
		if in := p.current.Load(); in != nil {
			os.WriteFile(filepath.Join(os.TempDir(), "isodiff-fuzz-hang"), *in, 0o644)
		}
		panic("no answer in " + pipelineHang.String())
	}
}

func (p *pipeline) check(t testing.TB, which uint8, b []byte) {
	i := int(which) % len(p.images)
	if err := p.scratch.write(b); err != nil {
		t.Fatal(err)
	}
	in := append([]byte{which}, b...)
	p.current.Store(&in)
	p.started.Store(time.Now().UnixNano())
	var out, errs bytes.Buffer
	status := run(context.Background(), []string{"--text", "-", "--max-spooled", "67108864", pipelineSeeds[i], p.scratch.path}, &out, &errs)
	p.started.Store(0)
	same := bytes.Equal(p.images[i], b)
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
}

// maxWholeSeed is the largest seed FuzzPipeline mutates whole. The fuzzer
// hands each input to its worker as Go source text, parsed again for
// every round of mutations: 134 ms for base-a.iso (278 KiB, a literal of
// 1 MB), more than a round's 100 ms of executions. FuzzPipelinePatch
// mutates the larger images through small patches instead.
const maxWholeSeed = 32 << 10

// FuzzPipeline runs the whole command on a fixture and a mutated copy of
// it: readers, comparison and report together. Whatever B holds, isodiff
// must not panic or hang, must exit 0 exactly when the bytes are the same,
// and must name B when it exits 2.
func FuzzPipeline(f *testing.F) {
	p := newPipeline(f)
	for i, b := range p.images {
		if len(b) <= maxWholeSeed {
			f.Add(uint8(i), b)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		p.check(t, which, b)
	})
}

// FuzzPipelinePatch is FuzzPipeline with B made from A: patch written at
// off (as much as fits), then the last cut bytes dropped (cut modulo A's
// size). The input stays small whatever the size of A, so the fuzzer
// works on the ISO, FAT and bzImage seeds as fast as on the small ones.
// It is seeded with each sector of those images that holds anything, as
// it is: the structures lie at sector starts.
func FuzzPipelinePatch(f *testing.F) {
	p := newPipeline(f)
	for i, b := range p.images {
		if len(b) <= maxWholeSeed {
			continue
		}
		const sector, patch, perImage = 512, 64, 32
		n := 0
		for off := 0; off+patch <= len(b) && n < perImage; off += sector {
			if bytes.Count(b[off:off+patch], []byte{0}) < patch {
				f.Add(uint8(i), uint32(off), uint32(0), bytes.Clone(b[off:off+patch]))
				n++
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, off, cut uint32, patch []byte) {
		a := p.images[int(which)%len(p.images)]
		b := bytes.Clone(a)
		at := int(off % uint32(len(b)))
		copy(b[at:], patch)
		b = b[:len(b)-int(cut%uint32(len(b)))]
		p.check(t, which, b)
	})
}

// TestPipelineSeeds: each format isodiff detects is the outermost layer
// of a seed of FuzzPipeline, so that the fuzzer starts at every reader (a
// self-extracting zip is read by the zip reader, under the same name).
func TestPipelineSeeds(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range pipelineSeeds {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := unpack.Detect(bytes.NewReader(b), int64(len(b)), formats.All)
		if !ok {
			t.Errorf("%s: of no format", p)
			continue
		}
		seen[f.Name] = true
	}
	for _, f := range formats.All {
		if !seen[f.Name] {
			t.Errorf("no seed is a %s", f.Name)
		}
	}
}

// scratchFile is FuzzPipeline's side B, rewritten for each input: an
// anonymous file in memory where the system has them (newScratchFile),
// else a file in a temporary directory.
type scratchFile struct {
	f    *os.File // the file in memory, nil for one on disk
	path string
}

func newScratchOnDisk(tb testing.TB) *scratchFile {
	return &scratchFile{path: filepath.Join(tb.TempDir(), "b")}
}

func (s *scratchFile) write(b []byte) error {
	if s.f == nil {
		return os.WriteFile(s.path, b, 0o644)
	}
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	_, err := s.f.WriteAt(b, 0)
	return err
}

// BenchmarkPipeline is FuzzPipeline's body on each seed with one byte
// flipped, and on each seed as it is: what one execution of the fuzzer
// costs, less the fuzzer's own work.
func BenchmarkPipeline(b *testing.B) {
	p := newPipeline(b)
	for b.Loop() {
		for i, img := range p.images {
			m := bytes.Clone(img)
			m[len(m)/2] ^= 0x10
			p.check(b, uint8(i), m)
			p.check(b, uint8(i), img)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*len(p.images)), "ns/comparison")
}
