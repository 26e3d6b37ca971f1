package iso9660

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/testutil"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The byte accounting of the ISO reader, proved by flipping bits: a flip
// anywhere in an image must change what OpenISO returns (some Node's name,
// type, fields, data, order, error or children), or isodiff would call two
// different images identical.

// sameUnlessAliased compares the data of two nodes, but not of a Node
// aliasing another of the same layer when both sides name the same one,
// as the comparison does not.
func sameUnlessAliased(a, b *unpack.Node) string {
	if a.Alias() != "" && a.Alias() == b.Alias() {
		return ""
	}
	return testutil.ReadDiff(a.Data, b.Data)
}

// isoFlip is one bit of an image: byte off, bit 0-7.
type isoFlip struct {
	off int64
	bit uint
}

// isoFlipPlan lists the flips of one image, chosen from the image's own
// bytes (not from what the reader claims, which is what is tested):
//
//   - the small structures whose bytes are numbers and flags, every bit of
//     every byte (allBits) or one bit of every structStride-th: the MBR
//     partition table, the
//     GPT header, the volume descriptors up to the root directory record,
//     the boot record, the first record of each path table, the boot
//     catalog's entries;
//   - one bit of every stride-th byte (the bit turning with the offset, so
//     that each bit of a field is flipped in some record) of the system
//     area and of the whole area from the volume descriptors to the boot
//     catalog: descriptors, directory records, their padding, continuation
//     areas, path tables and the gaps between them; long zero runs
//     (directory sector padding, unused GPT entries) one byte in 13 strides,
//     their bytes being all read alike;
//   - one bit of every contentStep-th byte of the file contents and of what
//     follows them.
type isoFlipPlan struct {
	isoFlipDensity
	flips []isoFlip
	seen  map[isoFlip]bool
}

// isoFlipDensity says how many flips a plan makes (see isoFlipPlan).
type isoFlipDensity struct {
	allBits                           bool
	structStride, stride, contentStep int64
}

func (p *isoFlipPlan) add(off int64, bit uint) {
	f := isoFlip{off, bit}
	if !p.seen[f] {
		p.seen[f] = true
		p.flips = append(p.flips, f)
	}
}

// every flips the bits of [start, end): all, or one of each byte.
func (p *isoFlipPlan) every(start, end int64) {
	for off := start; off < end; off++ {
		if !p.allBits {
			if (off-start)%p.structStride == 0 {
				p.add(off, uint(off%8))
			}
			continue
		}
		for bit := range uint(8) {
			p.add(off, bit)
		}
	}
}

// once flips one bit of every stride-th byte of [start, end) of img, and
// of zero runs of 64 bytes or more one byte in 13 strides.
func (p *isoFlipPlan) once(img []byte, start, end int64) {
	end = min(end, int64(len(img)))
	for off := start; off < end; {
		run := off
		for run < end && img[run] == 0 {
			run++
		}
		if run-off >= 64 {
			for o := off; o < run; o += 13 * p.stride {
				p.add(o, uint(o%8))
			}
			off = run
			continue
		}
		if off%p.stride == 0 {
			p.add(off, uint(off%8))
		}
		off++
	}
}

// sample flips one bit of every step-th byte of [start, end).
func (p *isoFlipPlan) sample(start, end, step int64) {
	for off := start; off < end; off += step {
		p.add(off, uint((off/step)%8))
	}
}

func planISOFlips(t *testing.T, img []byte, d isoFlipDensity) *isoFlipPlan {
	t.Helper()
	p := &isoFlipPlan{isoFlipDensity: d, seen: map[isoFlip]bool{}}
	size := int64(len(img))
	le := binary.LittleEndian

	p.every(440, 512)
	if string(img[512:520]) == "EFI PART" {
		p.every(512, 604)
	}
	p.once(img, 0, vdStart)

	catalog := int64(-1)
	var pathTables []int64
	for off := int64(vdStart); off+isoSectorSize <= size; off += isoSectorSize {
		d := img[off : off+isoSectorSize]
		switch d[0] {
		case vdPrimary, vdSupplementary:
			p.every(off, off+190)
			pathTables = append(pathTables, int64(le.Uint32(d[140:]))*isoSectorSize, int64(binary.BigEndian.Uint32(d[148:]))*isoSectorSize)
		case vdBootRecord:
			p.every(off, off+75)
			catalog = int64(le.Uint32(d[71:])) * isoSectorSize
		case vdTerminator:
			p.every(off, off+8)
		}
		if d[0] == vdTerminator {
			break
		}
	}
	if catalog < 0 {
		t.Fatal("no El Torito boot record")
	}
	for _, pt := range pathTables {
		p.every(pt, pt+10)
	}
	for e := catalog; e < catalog+isoSectorSize; e += 32 {
		p.every(e, e+32)
		if bin.AllZero(img[e : e+32]) {
			break
		}
	}
	p.once(img, vdStart, catalog+isoSectorSize)
	p.sample(catalog+isoSectorSize, size, p.contentStep)
	return p
}

// flipISO flips each bit of plan in a copy of img, opens the image each
// time and compares its tree with the original's; it returns the flips that
// changed nothing. The flips are shared out over GOMAXPROCS workers.
func flipISO(t *testing.T, img []byte, plan *isoFlipPlan) []isoFlip {
	t.Helper()
	size := int64(len(img))
	orig, err := Open(bytes.NewReader(img), size)
	if err != nil {
		t.Fatalf("OpenISO: %v", err)
	}
	workers := runtime.GOMAXPROCS(0)
	visible := make([]bool, len(plan.flips))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := bytes.Clone(img)
			for i := w; i < len(plan.flips); i += workers {
				f := plan.flips[i]
				own[f.off] ^= 1 << f.bit
				got, err := Open(bytes.NewReader(own), size)
				visible[i] = err != nil || testutil.TreeDiff(orig, got, sameUnlessAliased) != ""
				own[f.off] ^= 1 << f.bit
			}
		}()
	}
	wg.Wait()
	var invisible []isoFlip
	for i, v := range visible {
		if !v {
			invisible = append(invisible, plan.flips[i])
		}
	}
	return invisible
}

var isoAllFlips = flag.Bool("iso.allflips", false, "TestISOEveryFlipShows: every bit of the small structures and every byte of the metadata of both images (about 53000 flips)")

// isoFlipLevel says how thoroughly TestISOEveryFlipShows flips: 0 for
// every bit of the small structures and every byte of the rest of the
// metadata of both images (-iso.allflips, some 53000 flips, minutes), then
// ever thinner samples for a plain run (base-a's small structures still bit
// by bit), -short, and the race detector (which makes each flip some ten
// times slower).
func isoFlipLevel() int {
	switch {
	case *isoAllFlips:
		return 0
	case testutil.RaceEnabled:
		return 3
	case testing.Short():
		return 2
	}
	return 1
}

// TestISOEveryFlipShows flips bits of an image made by xorriso (Rock
// Ridge, Joliet, isohybrid MBR and GPT, two El Torito images) and of a
// NixOS-like installer image, and checks that each flip changes the tree.
func TestISOEveryFlipShows(t *testing.T) {
	for _, tc := range []struct {
		path   string
		levels [4]isoFlipDensity
	}{
		{"../../fixtures/iso/base-a.iso", [4]isoFlipDensity{{true, 1, 1, 97}, {true, 1, 8, 389}, {false, 2, 32, 3109}, {false, 4, 64, 6211}}},
		// For what base-a has not: the NixOS layout of the system area,
		// catalog and trees.
		{"../../fixtures/nixos/nixos-a.iso", [4]isoFlipDensity{{true, 1, 1, 389}, {false, 1, 32, 3109}, {false, 2, 64, 6211}, {false, 4, 128, 12437}}},
	} {
		t.Run(tc.path[strings.LastIndexByte(tc.path, '/')+1:], func(t *testing.T) {
			img, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			plan := planISOFlips(t, img, tc.levels[isoFlipLevel()])
			invisible := flipISO(t, img, plan)
			t.Logf("%d flips, %d invisible, %v", len(plan.flips), len(invisible), time.Since(start).Round(time.Millisecond))
			if len(invisible) == 0 {
				return
			}
			root, err := Open(bytes.NewReader(img), int64(len(img)))
			if err != nil {
				t.Fatal(err)
			}
			byWhat := map[string][]string{}
			for _, f := range invisible {
				what := strings.Join(root.Layout().Holding(unpack.Range{Start: f.off, End: f.off + 1}), ", ")
				if what == "" {
					what = "unclaimed"
				}
				byWhat[what] = append(byWhat[what], fmt.Sprintf("byte %d bit %d", f.off, f.bit))
			}
			var names []string
			for k := range byWhat {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				fl := byWhat[k]
				t.Errorf("%d flips change nothing in %s: %s", len(fl), k, strings.Join(fl[:min(len(fl), 8)], "; "))
			}
		})
	}
}
