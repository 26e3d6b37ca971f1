package iso9660

import (
	"bytes"
	"errors"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz inputs are capped: what matters is structure, not size. Run with a
// short minimization time, e.g.
//
//	go test -run '^$' -fuzz '^FuzzDirectoryRecords$' -fuzztime 60s -fuzzminimizetime 1s ./unpack
//
// as the engine otherwise spends up to a minute minimizing every new
// interesting input of tens of KiB and seems to stall.
const maxFuzzInput = 64 << 10

// fuzzSeedImages are the fixture images, if present, and the hand-built
// ones.
func fuzzSeedImages() [][]byte {
	seeds := [][]byte{buildRockRidgeImage(), buildJolietImage("%/E"), buildJolietImage("")}
	for _, name := range []string{"plain-a.iso", "joliet-a.iso", "base-a.iso", "rrip-b.iso"} {
		if b, err := os.ReadFile(filepath.Join(fixtureDir, name)); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzVolumeDescriptors feeds everything after the system area: volume
// descriptors, path tables, directories and file data.
func FuzzVolumeDescriptors(f *testing.F) {
	for _, img := range fuzzSeedImages() {
		// The descriptors, path tables and the first directories.
		f.Add(img[vdStart:min(len(img), vdStart+maxFuzzInput)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		img := append(make([]byte, vdStart), data...)
		checkISOReaders(t, img)
	})
}

// FuzzDirectoryRecords feeds a root directory extent and what follows it
// (continuation areas, files, more directories) behind a fixed primary
// descriptor, and the same bytes to the record and SUSP parsers directly.
func FuzzDirectoryRecords(f *testing.F) {
	for _, img := range fuzzSeedImages() {
		r := bytes.NewReader(img)
		var c layout.Claims
		if _, vi, err := readVolumeDescriptors(r, int64(len(img)), &c); err == nil {
			start := int64(vi.primaryRoot.lba) * vi.blockSize
			if start < int64(len(img)) {
				f.Add(img[start:min(int64(len(img)), start+maxFuzzInput)])
			}
		}
	}
	f.Add(cat(dirRec([]byte{0}, 18, 2048, flagDir, cat(spE(0), pxE(0o40755, 1, 0, 0), ceE(19, 0, 100))), dirRec([]byte{1}, 18, 2048, flagDir, nil),
		dirRec([]byte("A.;1"), 18, 5, flagMultiExtent, cat(nmE(1, "a"), slE(1, slComp(8, ""), slComp(1, "x")))),
		dirRec([]byte("A.;1"), 19, 5, 0, nil)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		const rootLBA = 18
		b := newISOBuilder(rootLBA)
		size := min((len(data)+isoSectorSize-1)/isoSectorSize, 16) * isoSectorSize
		b.vd(16, vdPrimary, dirRec([]byte{0}, rootLBA, uint32(size), flagDir, nil), uint32(rootLBA+size/isoSectorSize), "", 0, 0, 0)
		b.terminator(17)
		img := append(b.img, data...)
		checkISOReaders(t, img)

		// The parsers on their own.
		recs, _, _, _ := parseDirRecords(data, rootLBA*isoSectorSize)
		for _, rec := range recs {
			es, _, _ := readSUSP(bytes.NewReader(img), int64(len(img)), isoSectorSize, rec.sysUse, rec.sysUseOff, rec.off, &layout.Claims{}, nil, "fuzz")
			_ = parseRockRidge(es)
		}
		es, _, _ := readSUSP(bytes.NewReader(img), int64(len(img)), isoSectorSize, data, rootLBA*isoSectorSize, rootLBA*isoSectorSize, nil, nil, "fuzz")
		_ = parseRockRidge(es)
	})
}

// checkISOReaders runs both stages and checks what any input must give:
// typed errors, sorted unique children, readable Data within bounds.
func checkISOReaders(t *testing.T, img []byte) {
	r := bytes.NewReader(img)
	size := int64(len(img))
	var c layout.Claims
	vds, vi, err := readVolumeDescriptors(r, size, &c)
	if err != nil {
		var fe *unpack.FormatError
		if !errors.As(err, &fe) || fe.Layer != "iso9660" {
			t.Fatalf("error %v is no iso9660 FormatError", err)
		}
		if vi != nil {
			t.Fatalf("volume info with an error")
		}
		return
	}
	checkNodeInvariants(t, vds, size)
	files, joliet, pt, byExtent, err := readTrees(r, size, vi, &c)
	if err != nil {
		t.Fatalf("readTrees: %v", err)
	}
	for _, n := range []*unpack.Node{files, joliet, pt} {
		if n != nil {
			checkNodeInvariants(t, n, size)
		}
	}
	for off, f := range byExtent {
		// A file may claim an extent past the end of the image (and
		// have Data cut short there): it is still where that file is.
		if off < 0 || f.size <= 0 || f.path == "" {
			t.Fatalf("byExtent[%d] = %+v", off, f)
		}
	}
	_ = c.Unclaimed(size)
}

func checkNodeInvariants(t *testing.T, n *unpack.Node, size int64) {
	for i, c := range n.Children {
		if i > 0 && n.Children[i-1].Name >= c.Name {
			t.Fatalf("%q: children not sorted or not unique: %q, %q", n.Name, n.Children[i-1].Name, c.Name)
		}
		checkNodeInvariants(t, c, size)
	}
	if n.Data != nil {
		buf := make([]byte, 4096)
		for _, off := range []int64{0, n.Data.Size() - int64(len(buf))} {
			if off < 0 {
				off = 0
			}
			if _, err := n.Data.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
				t.Fatalf("%q: ReadAt(%d): %v", n.Name, off, err)
			}
		}
	}
}
