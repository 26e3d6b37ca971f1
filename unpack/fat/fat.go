// Package fat reads FAT12, FAT16 and FAT32 file systems, such as the EFI
// system partition image of an installer ISO.
package fat

// FAT12, FAT16 and FAT32: the EFI system partition image of an installer
// ISO (/boot/efi.img, which is also its El Torito UEFI boot image).
//
// Every byte is interpreted here, from the boot sector (BPB), the FAT,
// the directory entries with their long names, and the cluster chains.
// go-diskfs v1.9.4 (filesystem/fat12, fat16, fat32) reads sound images
// correctly -- fat_test.go checks this reader against it on every fixture,
// next to mtools -- but it is not used here. Measured and read in its
// source:
//   - what it exposes of an entry is name, size, mtime and is-dir: no
//     creation time (nor its 10 ms byte), access date, attribute byte,
//     8.3 short name beside the long name, first cluster, or on-disk
//     entry position. Those had to be parsed from the directory entries
//     here in any case, and with them every entry;
//   - its files have no ReadAt, so content as random access meant walking
//     the cluster chains here as well;
//   - it follows a chain until an end mark with no loop check
//     (fat12.getClusterList): a looping chain appends forever, a hang that
//     ends when memory runs out; it ignores read errors in directories;
//     fat12.Read divides by the sectors-per-cluster byte unchecked (a zero
//     panics) and fat32.Read allocates a FAT of the size the BPB says.
//     Guarding it means validating the FAT, every chain and every
//     directory before handing it over: the whole reading job;
//   - it looks files and directories up by path, matching names without
//     regard to case and keeping the last match, so of two entries whose
//     names differ only in case (or a duplicated entry) one is read twice;
//   - long-name checksums are not checked: a long name left over from a
//     deleted or overwritten entry is given to whatever entry follows;
//   - on the fixtures: an empty file (first cluster 0) cannot be opened
//     ("invalid start cluster: 0"), a 1500-byte file in 512-byte clusters
//     reads as 1536 bytes, and fat12/fat16.Read refuse a boot sector
//     without an extended BPB signature (0x28 or 0x29).
//
// So go-diskfs is not called here, and needs neither a recover() nor
// silencing (its FAT packages do not log).
//
// What is read, and from where (Microsoft "FAT32 File System
// Specification" 1.03, fatgen103):
//   - the boot sector: the BPB (bytes 11-35), the extended BPB (36-61 for
//     FAT12/16, 36-89 for FAT32), the boot code up to byte 509, the
//     signature 55 AA at 510; for FAT32 also the FSInfo sector and the
//     backup boot sector;
//   - the first FAT (the others are compared with it);
//   - directories: FAT12/16 root in its fixed region, everything else
//     through cluster chains; 32-byte entries, long names from the VFAT
//     entries (attribute 0x0F) that precede a short entry and carry its
//     checksum.
//
// The FAT type is decided by the cluster count as the specification says
// (fewer than 4085 clusters: FAT12, fewer than 65525: FAT16), with one
// exception: a BPB laid out for FAT32 (no fixed root directory, 16-bit FAT
// size 0) is FAT32 whatever its cluster count. mkfs.vfat -F 32 makes such
// volumes below 65525 clusters (warning, not refusing), and Linux and
// fsck.fat read them as FAT32; mtools reads them as FAT12 and fails.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/readat"
	"isodiff/unpack/internal/show"
	"math/bits"
	"strings"
	"unicode/utf16"
)

const layerName = "fat"

// maxDepth bounds directory nesting.
const maxDepth = 1024

// FATFormat detects and opens FAT12/16/32 file systems.
var Format = unpack.Format{Name: layerName, Match: matchFAT, Open: func(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	return Open(r, size, env)
}}

// Limits that keep a hostile image from costing unbounded time or memory.
const (
	// maxFATRead bounds the bytes of one FAT read into memory: 2^26
	// clusters of FAT32, a 32 GiB volume at 512-byte clusters.
	maxFATRead = 256 << 20
	// maxFATDir bounds one directory: the specification allows 65536
	// entries of 32 bytes.
	maxFATDir = 65536 * 32
)

// Directory entry attributes.
const (
	attrReadOnly = 0x01
	attrHidden   = 0x02
	attrSystem   = 0x04
	attrVolumeID = 0x08
	attrDir      = 0x10
	attrArchive  = 0x20
	attrLongName = 0x0F // all four low bits: a VFAT long name entry
)

// bootSectorInfo is the boot sector of a FAT volume and the layout derived from it.
type bootSectorInfo struct {
	raw         []byte // the 512 bytes read
	bps         int64  // bytes per sector
	spc         int64  // sectors per cluster
	reserved    int64  // reserved sectors
	nFATs       int64
	rootEntries int64
	totSec16    uint16
	totSec32    uint32
	media       byte
	sz16        uint16
	spt, heads  uint16
	hidden      uint32

	// FAT32 only.
	sz32        uint32
	extFlags    uint16
	fsVersion   uint16
	rootCluster uint32
	fsInfo      uint16
	backupBoot  uint16

	// The extended BPB, at ebpb (36 for FAT12/16, 64 for FAT32).
	ebpb      int
	drive     byte
	flags     byte // "reserved"; Windows NT keeps its dirty bits here
	extSig    byte // 0x29: serial, label and type follow; 0x28: serial only
	serial    uint32
	label     []byte
	fsType    []byte
	bootStart int // where the boot code starts

	// Derived.
	bits        int   // 12, 16 or 32
	total       int64 // total sectors
	fatSectors  int64 // sectors of one FAT
	rootSectors int64 // sectors of the FAT12/16 root directory
	clusters    int64 // data clusters
	clusterSize int64 // bytes
	fatStart    int64 // byte offset of the first FAT
	rootStart   int64 // byte offset of the FAT12/16 root directory
	dataStart   int64 // byte offset of cluster 2
}

// parseFATBoot checks and decodes a boot sector. It is also the detection
// check, so it checks everything a FAT boot sector must have and nothing
// that needs more than these 512 bytes.
func parseFATBoot(b []byte) (*bootSectorInfo, error) {
	if len(b) < 512 {
		return nil, unpack.Errorf(layerName, 0, "boot sector: %d bytes, 512 needed", len(b))
	}
	b = b[:512]
	le16 := func(o int) uint16 { return binary.LittleEndian.Uint16(b[o:]) }
	le32 := func(o int) uint32 { return binary.LittleEndian.Uint32(b[o:]) }
	if b[510] != 0x55 || b[511] != 0xAA {
		return nil, unpack.Errorf(layerName, 510, "no boot sector signature 55 AA (found %02X %02X)", b[510], b[511])
	}
	if !(b[0] == 0xEB && b[2] == 0x90) && b[0] != 0xE9 {
		return nil, unpack.Errorf(layerName, 0, "no jump instruction (EB xx 90 or E9 xx xx) at the start of the boot sector: % X", b[:3])
	}
	bs := &bootSectorInfo{
		raw:         append([]byte(nil), b...),
		bps:         int64(le16(11)),
		spc:         int64(b[13]),
		reserved:    int64(le16(14)),
		nFATs:       int64(b[16]),
		rootEntries: int64(le16(17)),
		totSec16:    le16(19),
		media:       b[21],
		sz16:        le16(22),
		spt:         le16(24),
		heads:       le16(26),
		hidden:      le32(28),
		totSec32:    le32(32),
	}
	switch bs.bps {
	case 512, 1024, 2048, 4096:
	default:
		return nil, unpack.Errorf(layerName, 11, "bytes per sector %d (512, 1024, 2048 or 4096 expected)", bs.bps)
	}
	if bs.spc == 0 || bits.OnesCount64(uint64(bs.spc)) != 1 {
		return nil, unpack.Errorf(layerName, 13, "sectors per cluster %d is not a power of two", bs.spc)
	}
	if bs.reserved < 1 {
		return nil, unpack.Errorf(layerName, 14, "no reserved sector (the boot sector is one)")
	}
	if bs.nFATs != 1 && bs.nFATs != 2 {
		return nil, unpack.Errorf(layerName, 16, "%d FATs (1 or 2 expected)", bs.nFATs)
	}
	if bs.media != 0xF0 && bs.media < 0xF8 {
		return nil, unpack.Errorf(layerName, 21, "media byte 0x%02X (F0 or F8-FF expected)", bs.media)
	}

	fat32Layout := bs.rootEntries == 0 && bs.sz16 == 0
	if fat32Layout {
		bs.sz32 = le32(36)
		bs.extFlags = le16(40)
		bs.fsVersion = le16(42)
		bs.rootCluster = le32(44)
		bs.fsInfo = le16(48)
		bs.backupBoot = le16(50)
		bs.fatSectors = int64(bs.sz32)
		bs.ebpb = 64
		if bs.sz32 == 0 {
			return nil, unpack.Errorf(layerName, 36, "no FAT size (16-bit and 32-bit sectors per FAT are both 0)")
		}
	} else {
		if bs.sz16 == 0 {
			return nil, unpack.Errorf(layerName, 22, "sectors per FAT is 0 with %d root directory entries", bs.rootEntries)
		}
		if bs.rootEntries == 0 {
			return nil, unpack.Errorf(layerName, 17, "no root directory entries with a 16-bit FAT size (%d sectors)", bs.sz16)
		}
		bs.fatSectors = int64(bs.sz16)
		bs.ebpb = 36
	}
	bs.total = int64(bs.totSec16)
	if bs.total == 0 {
		bs.total = int64(bs.totSec32)
	}
	if bs.total == 0 {
		return nil, unpack.Errorf(layerName, 19, "total sectors is 0")
	}
	bs.rootSectors = (bs.rootEntries*32 + bs.bps - 1) / bs.bps
	meta := bs.reserved + bs.nFATs*bs.fatSectors + bs.rootSectors
	if bs.total <= meta {
		return nil, unpack.Errorf(layerName, 19, "%d total sectors leave no data area after %d sectors of boot sector, FATs and root directory", bs.total, meta)
	}
	bs.clusters = (bs.total - meta) / bs.spc
	if bs.clusters < 1 {
		return nil, unpack.Errorf(layerName, 13, "no data cluster: %d data sectors, %d sectors per cluster", bs.total-meta, bs.spc)
	}
	switch {
	case fat32Layout:
		bs.bits = 32
		if bs.clusters > 0x0FFFFFF5 {
			return nil, unpack.Errorf(layerName, 32, "%d clusters: more than FAT32 can address", bs.clusters)
		}
		if bs.rootCluster < 2 || int64(bs.rootCluster) > bs.clusters+1 {
			return nil, unpack.Errorf(layerName, 44, "root directory cluster %d is no data cluster (2 to %d)", bs.rootCluster, bs.clusters+1)
		}
	case bs.clusters < 4085:
		bs.bits = 12
	case bs.clusters < 65525:
		bs.bits = 16
	default:
		return nil, unpack.Errorf(layerName, 17, "%d clusters need FAT32, but the BPB has a fixed root directory and a 16-bit FAT size", bs.clusters)
	}
	bs.clusterSize = bs.spc * bs.bps
	bs.fatStart = bs.reserved * bs.bps
	bs.rootStart = bs.fatStart + bs.nFATs*bs.fatSectors*bs.bps
	bs.dataStart = bs.rootStart + bs.rootSectors*bs.bps

	e := bs.ebpb
	bs.drive, bs.flags, bs.extSig = b[e], b[e+1], b[e+2]
	switch bs.extSig {
	case 0x29:
		bs.serial = le32(e + 3)
		bs.label = b[e+7 : e+18]
		bs.fsType = b[e+18 : e+26]
		bs.bootStart = e + 26
	case 0x28:
		bs.serial = le32(e + 3)
		bs.bootStart = e + 7
	default:
		bs.bootStart = e
	}
	return bs, nil
}

// matchFAT: a boot sector that parseFATBoot accepts, whose first FAT
// starts with the media byte (FAT[0] holds it, by the specification).
// An isohybrid ISO's MBR ends in 55 AA too, but starts with boot code, not
// a jump over a BPB, and has no BPB.
func matchFAT(head []byte, r io.ReaderAt, size int64) bool {
	bs, err := parseFATBoot(head)
	if err != nil || bs.fatStart >= size {
		return false
	}
	var m [1]byte
	n, _ := r.ReadAt(m[:], bs.fatStart)
	return n == 1 && m[0] == bs.media
}

// volumeInfo is one FAT volume being read.
type volumeInfo struct {
	r      io.ReaderAt
	size   int64
	bs     *bootSectorInfo
	fat    []byte // the first FAT, as far as it is needed and lies in the image
	claims layout.Claims

	maxCluster uint32 // highest cluster number a chain may use
	// owner[c] is the chain (index into chains, from 1) that cluster c
	// was found in, so that a loop or a cluster shared by two chains is
	// seen at once; only clusters whose data starts in the image have
	// a slot.
	owner  []int32
	chains []string // paths, by chain number - 1
}

// OpenFAT reads a FAT12, FAT16 or FAT32 volume: the boot sector as fields
// of the layer's root, its boot code as the child "boot code", the file
// tree as "/", and, as "[unclaimed bytes]", every byte that no structure
// accounts for (free clusters, the slack after each file's end).
//
// It fails only when the boot sector is not one of a FAT volume; any other
// damage is recorded in the Err of the Node concerned.
func Open(r io.ReaderAt, size int64, _ *unpack.Env) (*unpack.Node, error) {
	head := make([]byte, 512)
	if err := bin.ReadFull(r, head, 0, layerName, "boot sector"); err != nil {
		return nil, err
	}
	bs, err := parseFATBoot(head)
	if err != nil {
		return nil, err
	}
	v := &volumeInfo{r: r, size: size, bs: bs}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	setErr := func(e error) {
		if root.Err == nil {
			root.Err = e
		}
	}
	if end := bs.total * bs.bps; end > size {
		setErr(unpack.Errorf(layerName, size, "image ends %d bytes before the end of the volume (%d sectors of %d bytes)", end-size, bs.total, bs.bps))
	}
	v.claims.Add(0, 512, "boot sector")
	v.claims.Add(bs.fatStart, bs.nFATs*bs.fatSectors*bs.bps, "FATs")
	v.claims.Add(bs.rootStart, bs.rootSectors*bs.bps, "root directory")

	setErr(v.readFAT())
	v.bootFields(root)

	boot := &unpack.Node{Name: "boot code", Type: unpack.TypeRecord, Layer: layerName, Offset: int64(bs.bootStart),
		Data: bytes.NewReader(bs.raw[bs.bootStart:510])}
	boot.AddField("jump", "% x", bs.raw[:3])
	root.Children = append(root.Children, boot, v.readTree(root))
	root.Children = append(root.Children, v.claims.UnclaimedNode(layerName, r, size))
	root.SetLayout(&v.claims)
	root.Sort()
	return root, nil
}

// readFAT reads the first FAT and sets the cluster limits.
func (v *volumeInfo) readFAT() error {
	bs := v.bs
	var err error
	v.maxCluster = uint32(bs.clusters + 1)
	// Entries the FAT has room for; Linux likewise ignores clusters
	// beyond them.
	if room := bs.fatSectors * bs.bps * 8 / int64(bs.bits); room < bs.clusters+2 {
		err = unpack.Errorf(layerName, bs.fatStart, "the FAT has entries for %d clusters, the data area %d: the rest cannot be used", room-2, bs.clusters)
		v.maxCluster = uint32(room - 1)
	}
	// Clusters with data in the image get an owner slot.
	inImage := int64(0)
	if v.size > bs.dataStart {
		inImage = (v.size - bs.dataStart + bs.clusterSize - 1) / bs.clusterSize
	}
	v.owner = make([]int32, min(int64(v.maxCluster)+1, inImage+2))

	need := (int64(v.maxCluster)+1)*int64(bs.bits)/8 + 1
	need = min(need, bs.fatSectors*bs.bps)
	if need > maxFATRead {
		err = unpack.Errorf(layerName, bs.fatStart, "a FAT of %d bytes: only the first %d read", need, maxFATRead)
		need = maxFATRead
	}
	if bs.fatStart+need > v.size {
		need = max(0, v.size-bs.fatStart)
		if err == nil {
			err = unpack.Errorf(layerName, v.size, "the FAT runs past the end of the image")
		}
	}
	v.fat = make([]byte, need)
	if rerr := bin.ReadFull(v.r, v.fat, bs.fatStart, layerName, "FAT"); rerr != nil {
		v.fat = nil
		return rerr
	}
	return err
}

// entryOffset is the byte offset of cluster c's FAT entry in the image.
func (v *volumeInfo) entryOffset(c uint32) int64 {
	return v.bs.fatStart + int64(c)*int64(v.bs.bits)/8
}

// entry returns FAT[c], or false when the entry lies outside what was read.
func (v *volumeInfo) entry(c uint32) (uint32, bool) {
	o := int64(c) * int64(v.bs.bits) / 8
	switch v.bs.bits {
	case 12:
		if o+2 > int64(len(v.fat)) {
			return 0, false
		}
		w := uint32(v.fat[o]) | uint32(v.fat[o+1])<<8
		if c%2 == 1 {
			return w >> 4, true
		}
		return w & 0xFFF, true
	case 16:
		if o+2 > int64(len(v.fat)) {
			return 0, false
		}
		return uint32(binary.LittleEndian.Uint16(v.fat[o:])), true
	default:
		if o+4 > int64(len(v.fat)) {
			return 0, false
		}
		return binary.LittleEndian.Uint32(v.fat[o:]) & 0x0FFFFFFF, true
	}
}

// endMark is the smallest end-of-chain value; endMark-1 marks a bad cluster.
func (v *volumeInfo) endMark() uint32 {
	switch v.bs.bits {
	case 12:
		return 0xFF8
	case 16:
		return 0xFFF8
	}
	return 0x0FFFFFF8
}

// clusterOffset is the byte offset of cluster c's data.
func (v *volumeInfo) clusterOffset(c uint32) int64 {
	return v.bs.dataStart + (int64(c)-2)*v.bs.clusterSize
}

// fatRun is a run of consecutive clusters.
type fatRun struct {
	first uint32
	n     int64
}

// clusterChain is what walkChain found.
type clusterChain struct {
	runs     []fatRun
	clusters int64
	// longer: the chain goes on past the clusters asked for, which
	// the FAT entry at longerAt says.
	longer   bool
	longerAt int64
	err      error // where and why the chain breaks
}

// walkChain follows the cluster chain that starts at first, for at most
// want clusters (want < 0: to its end), on behalf of path. entryOff is the
// byte offset of the directory entry naming first, for errors about it.
func (v *volumeInfo) walkChain(first uint32, want int64, path string, entryOff int64) clusterChain {
	var ch clusterChain
	if first < 2 || first > v.maxCluster {
		ch.err = unpack.Errorf(layerName, entryOff, "first cluster %d is no data cluster (2 to %d)", first, v.maxCluster)
		return ch
	}
	v.chains = append(v.chains, path)
	id := int32(len(v.chains))
	c := first
	for {
		// Where the step to c was said: the directory entry, or the FAT
		// entry of the cluster before.
		at := entryOff
		if ch.clusters > 0 {
			at = v.entryOffset(lastCluster(ch.runs))
		}
		if int64(c) >= int64(len(v.owner)) {
			ch.err = unpack.Errorf(layerName, at, "cluster %d lies past the end of the image (its data would start at byte %d)", c, v.clusterOffset(c))
			return ch
		}
		if o := v.owner[c]; o != 0 {
			if o == id {
				ch.err = unpack.Errorf(layerName, at, "cluster chain loops: FAT entry of cluster %d points back to cluster %d", lastCluster(ch.runs), c)
			} else {
				ch.err = unpack.Errorf(layerName, at, "cluster %d is also in the chain of %s", c, v.chains[o-1])
			}
			return ch
		}
		v.owner[c] = id
		if n := len(ch.runs); n > 0 && lastCluster(ch.runs)+1 == c {
			ch.runs[n-1].n++
		} else {
			ch.runs = append(ch.runs, fatRun{first: c, n: 1})
		}
		ch.clusters++

		next, ok := v.entry(c)
		at = v.entryOffset(c)
		if !ok {
			ch.err = unpack.Errorf(layerName, at, "FAT entry of cluster %d lies past the end of the FAT read", c)
			return ch
		}
		end := next >= v.endMark()
		if want >= 0 && ch.clusters == want {
			if !end {
				ch.longer, ch.longerAt = true, at
			}
			return ch
		}
		switch {
		case end:
			if want >= 0 {
				ch.err = unpack.Errorf(layerName, at, "cluster chain ends after %d clusters, the size needs %d: FAT entry of cluster %d marks the end", ch.clusters, want, c)
			}
			return ch
		case next == v.endMark()-1:
			ch.err = unpack.Errorf(layerName, at, "FAT entry of cluster %d marks it bad, within the chain", c)
			return ch
		case next == 0:
			ch.err = unpack.Errorf(layerName, at, "FAT entry of cluster %d is free (0), within the chain", c)
			return ch
		case next == 1 || next > v.maxCluster:
			ch.err = unpack.Errorf(layerName, at, "FAT entry of cluster %d points to cluster %d, past the last cluster %d", c, next, v.maxCluster)
			return ch
		}
		c = next
	}
}

func lastCluster(runs []fatRun) uint32 {
	r := runs[len(runs)-1]
	return r.first + uint32(r.n) - 1
}

// sections maps runs to sections of the image, limited to length bytes in
// all and to the end of the image.
func (v *volumeInfo) sections(runs []fatRun, length int64) []*io.SectionReader {
	var out []*io.SectionReader
	for _, r := range runs {
		if length <= 0 {
			break
		}
		start := v.clusterOffset(r.first)
		n := min(r.n*v.bs.clusterSize, length, max(0, v.size-start))
		out = append(out, io.NewSectionReader(v.r, start, n))
		length -= n
	}
	return out
}

// readTree reads the directory tree into "/".
func (v *volumeInfo) readTree(root *unpack.Node) *unpack.Node {
	bs := v.bs
	top := &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: layerName, Offset: bs.rootStart}
	var buf []byte
	var base func(i int64) int64 // byte offset of buf[i] in the image
	if bs.bits == 32 {
		top.Offset = v.clusterOffset(bs.rootCluster)
		top.AddRoleField(unpack.RolePlacement, "first cluster", "%d", bs.rootCluster)
		var err error
		buf, base, err = v.readDirChain(bs.rootCluster, "/", 44)
		top.Err = err
	} else {
		length := bs.rootEntries * 32
		if bs.rootStart+length > v.size {
			top.Err = unpack.Errorf(layerName, bs.rootStart, "the root directory runs past the end of the image")
			length = max(0, v.size-bs.rootStart)
		}
		buf = make([]byte, length)
		if err := bin.ReadFull(v.r, buf, bs.rootStart, layerName, "root directory"); err != nil {
			top.Err = err
			buf = nil
		}
		base = func(i int64) int64 { return bs.rootStart + i }
	}
	d := parseFATDir(buf, base)
	if d.label != nil {
		root.AddField("root directory label", "%s", show.QuoteName(strings.TrimRight(decodeOEM(d.label.raw[:11]), " ")))
		root.AddRoleField(unpack.RoleTime, "root directory label mtime", "%s", dateTime(d.label.raw))
	}
	v.fillDir(top, d, "/", 0)
	return top
}

// readDirChain reads a directory held in a cluster chain.
func (v *volumeInfo) readDirChain(first uint32, path string, entryOff int64) ([]byte, func(int64) int64, error) {
	ch := v.walkChain(first, -1, path, entryOff)
	err := ch.err
	total := ch.clusters * v.bs.clusterSize
	if total > maxFATDir {
		if err == nil {
			err = unpack.Errorf(layerName, v.clusterOffset(first), "directory of %d bytes: only the first %d read", total, maxFATDir)
		}
		total = maxFATDir
	}
	secs := v.sections(ch.runs, total)
	var starts []int64 // image offset of each section
	var ends []int64   // cumulative end in buf
	var n int64
	for _, s := range secs {
		_, off, _ := s.Outer()
		starts = append(starts, off)
		n += s.Size()
		ends = append(ends, n)
	}
	for _, r := range ch.runs {
		v.claims.Addf(v.clusterOffset(r.first), r.n*v.bs.clusterSize, "directory %s", path)
	}
	buf := make([]byte, n)
	pos := int64(0)
	for k, s := range secs {
		if rerr := bin.ReadFull(v.r, buf[pos:pos+s.Size()], starts[k], layerName, "directory "+path); rerr != nil {
			if err == nil {
				err = rerr
			}
			buf = buf[:pos]
			break
		}
		pos += s.Size()
	}
	if int64(len(buf)) < total && err == nil {
		err = unpack.Errorf(layerName, v.size, "directory %s runs past the end of the image", path)
	}
	base := func(i int64) int64 {
		for k, e := range ends {
			if i < e {
				return starts[k] + i - (e - secs[k].Size())
			}
		}
		return -1
	}
	return buf, base, err
}

// dirEntryInfo is one directory entry: a short entry and its long name.
type dirEntryInfo struct {
	off     int64  // byte offset of the short entry in the image
	raw     []byte // the 32 bytes of the short entry
	long    string // from the long name entries, if any matched
	hasLong bool
	// ignored is a long name whose entries did not belong to this
	// entry (wrong checksum or sequence): shown, not used.
	ignored string
}

func (e *dirEntryInfo) attr() byte { return e.raw[11] }

// dirInfo is a parsed directory.
type dirInfo struct {
	entries []dirEntryInfo
	label   *dirEntryInfo
	dot     *dirEntryInfo
	dotdot  *dirEntryInfo
	deleted []string // short names of deleted entries, first byte shown as '?'
	unused  int      // non-zero bytes after the end mark
}

// parseFATDir splits a directory into entries, joining long names to the
// short entries they belong to. base gives the image offset of a byte of b.
func parseFATDir(b []byte, base func(int64) int64) dirInfo {
	var d dirInfo
	var (
		lfn      [20][]uint16 // name parts by sequence number - 1
		lfnCount int          // parts expected, 0: none pending
		lfnNext  int          // next sequence number expected
		lfnSum   byte
		orphans  []string // long names that ended up belonging to nothing
	)
	pending := func() string {
		var u []uint16
		for i := 0; i < lfnCount; i++ {
			u = append(u, lfn[i]...)
		}
		return lfnString(u)
	}
	drop := func() {
		if lfnCount > 0 {
			orphans = append(orphans, pending())
		}
		lfnCount = 0
	}
	for i := 0; i+32 <= len(b); i += 32 {
		s := b[i : i+32]
		if s[0] == 0x00 {
			for _, c := range b[i:] {
				if c != 0 {
					d.unused++
				}
			}
			break
		}
		if s[11]&0x3F == attrLongName {
			if s[0] == 0xE5 {
				drop()
				continue
			}
			seq := int(s[0] & 0x1F)
			switch {
			case s[0]&0x40 != 0 && seq >= 1 && seq <= len(lfn):
				drop()
				lfnCount, lfnNext, lfnSum = seq, seq, s[13]
				clear(lfn[:])
			case lfnCount > 0 && lfnNext > 0 && seq == lfnNext && s[13] == lfnSum:
			default:
				drop()
				orphans = append(orphans, lfnString(lfnUnits(s)))
				continue
			}
			lfn[seq-1] = lfnUnits(s)
			lfnNext--
			continue
		}
		e := dirEntryInfo{off: base(int64(i)), raw: s}
		if s[0] == 0xE5 {
			drop()
			shown := append([]byte(nil), s...)
			shown[0] = '?'
			name, _ := shortName(shown)
			d.deleted = append(d.deleted, name)
			continue
		}
		if lfnCount > 0 {
			if lfnNext == 0 && lfnSum == lfnChecksum(s[:11]) {
				e.long, e.hasLong = pending(), true
				lfnCount = 0
			} else {
				drop()
			}
		}
		if len(orphans) > 0 {
			e.ignored = strings.Join(orphans, ", ")
			orphans = nil
		}
		switch {
		case s[11]&attrVolumeID != 0:
			if d.label == nil {
				d.label = &e
			}
		case bytes.Equal(s[:11], []byte(".          ")):
			if d.dot == nil {
				d.dot = &e
			}
		case bytes.Equal(s[:11], []byte("..         ")):
			if d.dotdot == nil {
				d.dotdot = &e
			}
		default:
			d.entries = append(d.entries, e)
		}
	}
	return d
}

// lfnUnits are the 13 UTF-16 units of a long name entry, up to the first
// NUL (the rest is 0xFFFF padding).
func lfnUnits(s []byte) []uint16 {
	var u []uint16
	for _, r := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
		for o := r[0]; o < r[1]; o += 2 {
			c := binary.LittleEndian.Uint16(s[o:])
			if c == 0 {
				return u
			}
			u = append(u, c)
		}
	}
	return u
}

func lfnString(u []uint16) string {
	// Padding that is not behind a NUL terminator (a name of exactly
	// 13*n characters has none) is dropped too.
	for len(u) > 0 && u[len(u)-1] == 0xFFFF {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

// lfnChecksum is the checksum of an 11-byte short name that each of its
// long name entries carries (fatgen103, "ChkSum").
func lfnChecksum(name []byte) byte {
	var sum byte
	for _, c := range name[:11] {
		sum = (sum&1)<<7 + sum>>1 + c
	}
	return sum
}

// shortName returns the 8.3 name as stored ("GRUB.CFG") and as shown
// when there is no long name: with the lower-case flags of byte 12 that
// Windows NT and mtools set for names like "grub.cfg".
func shortName(s []byte) (stored, shown string) {
	name := append([]byte(nil), s[:8]...)
	if name[0] == 0x05 { // a first byte E5 is stored as 05
		name[0] = 0xE5
	}
	base := strings.TrimRight(decodeOEM(name), " ")
	ext := strings.TrimRight(decodeOEM(s[8:11]), " ")
	sbase, sext := base, ext
	if s[12]&0x08 != 0 {
		sbase = asciiLower(base)
	}
	if s[12]&0x10 != 0 {
		sext = asciiLower(ext)
	}
	if ext != "" {
		return base + "." + ext, sbase + "." + sext
	}
	return base, sbase
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// cp850 is the upper half of code page 850, the one mtools writes short
// names in by default (so "Ü" in a long name becomes 0x9A in the short).
const cp850 = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0"

var cp850Runes = []rune(cp850)

// decodeOEM decodes short name bytes (code page 850).
func decodeOEM(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(cp850Runes[c-0x80])
		}
	}
	return sb.String()
}

// fillDir makes the children of n from the entries of d and reads the
// directories below.
func (v *volumeInfo) fillDir(n *unpack.Node, d dirInfo, path string, depth int) {
	setErr := func(e error) {
		if n.Err == nil {
			n.Err = e
		}
	}
	if path != "/" {
		for _, dot := range []struct {
			name string
			e    *dirEntryInfo
		}{{". entry", d.dot}, {".. entry", d.dotdot}} {
			if dot.e == nil {
				n.AddField(dot.name, "missing")
				continue
			}
			n.AddField(dot.name, "cluster %d, %s", firstCluster(dot.e.raw, v.bs.bits), fatAttributes(dot.e.attr()))
			// The times apart, so that a directory made at another time
			// differs in timestamps only.
			n.AddRoleField(unpack.RoleTime, dot.name+" times", "mtime %s, creation time %s, access date %s",
				dateTime(dot.e.raw), creationTime(dot.e.raw), fatDate(binary.LittleEndian.Uint16(dot.e.raw[18:])))
		}
	}
	if len(d.deleted) > 0 {
		names := d.deleted
		more := ""
		if len(names) > 8 {
			names, more = names[:8], fmt.Sprintf(" and %d more", len(d.deleted)-8)
		}
		n.AddField("deleted entries", "%d (%s%s)", len(d.deleted), show.QuoteName(strings.Join(names, ", ")), more)
	}
	if d.unused > 0 {
		n.AddField("unused bytes", "%d non-zero bytes after the end mark", d.unused)
	}

	used := map[string]int{}
	for _, e := range d.entries {
		c, sub := v.entryNode(e, path)
		base := c.Name
		used[base]++
		if used[base] > 1 {
			c.Name = fmt.Sprintf("%s (duplicate %d)", base, used[base])
			if c.Err == nil {
				c.Err = unpack.Errorf(layerName, e.off, "a second entry named %q in this directory", base)
			}
		}
		n.Children = append(n.Children, c)
		n.AddOrder(c.Name)
		if !sub {
			continue
		}
		p := show.JoinPath(path, c.Name)
		if depth+1 > maxDepth {
			setErr(unpack.Errorf(layerName, e.off, "directories nested deeper than %d", maxDepth))
			continue
		}
		first := firstCluster(e.raw, v.bs.bits)
		buf, base2, err := v.readDirChain(first, p, e.off)
		if c.Err == nil {
			c.Err = err
		}
		if first >= 2 && first <= v.maxCluster {
			c.Offset = v.clusterOffset(first)
		}
		v.fillDir(c, parseFATDir(buf, base2), p, depth+1)
	}
}

// entryNode makes the node of a directory entry; sub says it is a
// directory to read.
func (v *volumeInfo) entryNode(e dirEntryInfo, dirPath string) (*unpack.Node, bool) {
	s := e.raw
	stored, shown := shortName(s)
	name := shown
	if e.hasLong {
		name = e.long
	}
	n := &unpack.Node{Name: name, Layer: layerName, Type: unpack.TypeFile, Offset: -1}
	if bad := show.BadName(name); bad != "" {
		n.Err = unpack.Errorf(layerName, e.off, "entry name %q %s", name, bad)
	}
	isDir := s[11]&attrDir != 0
	if isDir {
		n.Type = unpack.TypeDir
	}
	n.AddField("attributes", "%s", fatAttributes(s[11]))
	if e.hasLong && !strings.EqualFold(stored, e.long) {
		n.AddField("short name", "%s", show.QuoteName(stored))
	}
	n.AddRoleField(unpack.RoleTime, "mtime", "%s", dateTime(s))
	n.AddRoleField(unpack.RoleTime, "creation time", "%s", creationTime(s))
	n.AddRoleField(unpack.RoleTime, "access date", "%s", fatDate(binary.LittleEndian.Uint16(s[18:])))
	size := int64(binary.LittleEndian.Uint32(s[28:]))
	if isDir && size != 0 {
		// A directory's size is its clusters': where its entries fall.
		n.AddRoleField(unpack.RolePlacement, "size", "%d", size)
	} else if !isDir {
		n.AddRoleField(unpack.RoleDerived, "size", "%d", size)
	}
	first := firstCluster(s, v.bs.bits)
	n.AddRoleField(unpack.RolePlacement, "first cluster", "%d", first)
	if e.ignored != "" {
		n.AddField("ignored long name", "%s", show.QuoteName(e.ignored))
	}
	if isDir {
		return n, true
	}

	// Content.
	path := show.JoinPath(dirPath, name)
	setErr := func(err error) {
		if n.Err == nil {
			n.Err = err
		}
	}
	var ch clusterChain
	switch {
	case size == 0 && first == 0:
	case size == 0:
		// No content, yet a chain: show where it goes wrong, if it does.
		ch = v.walkChain(first, -1, path, e.off)
		setErr(ch.err)
		n.AddField("cluster chain", "%d clusters for an empty file", ch.clusters)
		ch.runs = nil
	case first == 0:
		setErr(unpack.Errorf(layerName, e.off, "file of %d bytes without a first cluster", size))
	default:
		want := (size + v.bs.clusterSize - 1) / v.bs.clusterSize
		ch = v.walkChain(first, want, path, e.off)
		setErr(ch.err)
		if ch.longer {
			n.AddField("cluster chain", "longer than the size: the FAT entry at byte %d goes on", ch.longerAt)
		}
	}
	secs := v.sections(ch.runs, size)
	var got int64
	for _, sec := range secs {
		_, off, _ := sec.Outer()
		v.claims.Addf(off, sec.Size(), "file %s", path)
		got += sec.Size()
	}
	if got < size && ch.err == nil {
		setErr(unpack.Errorf(layerName, v.size, "file %s runs past the end of the image", path))
	}
	switch len(secs) {
	case 0:
		n.Data = io.NewSectionReader(v.r, 0, 0)
	case 1:
		n.Data = secs[0]
		_, n.Offset, _ = secs[0].Outer()
	default:
		n.Data = readat.NewMultiSection(secs)
		n.AddField("fragments", "%d", len(secs))
	}
	return n, false
}

// firstCluster is the first cluster of an entry; the high 16 bits
// (bytes 20-21) belong to it only in FAT32.
func firstCluster(s []byte, bits int) uint32 {
	c := uint32(binary.LittleEndian.Uint16(s[26:]))
	if bits == 32 {
		c |= uint32(binary.LittleEndian.Uint16(s[20:])) << 16
	}
	return c
}

// fatAttributes shows an attribute byte as letters in the order R H S V D A
// ('-' where unset) and the byte in hex: "-----A (0x20)".
func fatAttributes(a byte) string {
	letters := []byte("RHSVDA")
	for i := range letters {
		if a&(1<<i) == 0 {
			letters[i] = '-'
		}
	}
	return fmt.Sprintf("%s (0x%02x)", letters, a)
}

// dateTime is the write date and time of an entry (bytes 22-25): FAT
// local time, no zone, 2-second resolution.
func dateTime(s []byte) string {
	t := binary.LittleEndian.Uint16(s[22:])
	d := binary.LittleEndian.Uint16(s[24:])
	return timeString(d, t, 0)
}

// creationTime is the creation time (bytes 13-17): like the write time,
// with a byte of 10 ms units (0-199) added.
func creationTime(s []byte) string {
	t := binary.LittleEndian.Uint16(s[14:])
	d := binary.LittleEndian.Uint16(s[16:])
	tenMS := int(s[13])
	if tenMS > 199 {
		return fmt.Sprintf("invalid (date 0x%04x time 0x%04x 10ms %d)", d, t, tenMS)
	}
	return timeString(d, t, tenMS+1)
}

// timeString formats a FAT date and time. tenMS is 0 when the time has
// no 10 ms part, else the 10 ms units + 1.
func timeString(d, t uint16, tenMS int) string {
	if d == 0 && t == 0 && tenMS <= 1 {
		return "unset"
	}
	year, month, day := 1980+int(d>>9), int(d>>5&0x0F), int(d&0x1F)
	hour, minute, sec := int(t>>11), int(t>>5&0x3F), int(t&0x1F)*2
	if !validDate(year, month, day) || hour > 23 || minute > 59 || sec > 58 {
		return fmt.Sprintf("invalid (date 0x%04x time 0x%04x)", d, t)
	}
	s := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", year, month, day, hour, minute, sec+max(0, tenMS-1)/100)
	if tenMS > 0 {
		s += fmt.Sprintf(".%02d", (tenMS-1)%100)
	}
	return s
}

// fatDate is an access date (bytes 18-19).
func fatDate(d uint16) string {
	if d == 0 {
		return "unset"
	}
	year, month, day := 1980+int(d>>9), int(d>>5&0x0F), int(d&0x1F)
	if !validDate(year, month, day) {
		return fmt.Sprintf("invalid (0x%04x)", d)
	}
	return fmt.Sprintf("%04d-%02d-%02d", year, month, day)
}

func validDate(year, month, day int) bool {
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

// bootFields sets the layer root's fields from the boot sector, the FAT's
// first two entries and, for FAT32, the FSInfo and backup boot sectors.
func (v *volumeInfo) bootFields(n *unpack.Node) {
	bs := v.bs
	n.AddField("FAT type", "FAT%d", bs.bits)
	n.AddField("OEM name", "%s", show.QuoteName(decodeOEM(bs.raw[3:11])))
	n.AddField("bytes per sector", "%d", bs.bps)
	n.AddField("sectors per cluster", "%d", bs.spc)
	n.AddField("reserved sectors", "%d", bs.reserved)
	n.AddField("FATs", "%d", bs.nFATs)
	n.AddField("root entries", "%d", bs.rootEntries)
	n.AddField("total sectors", "%d", bs.total)
	if bs.totSec16 != 0 && bs.totSec32 != 0 {
		n.AddField("total sectors (32-bit field)", "%d", bs.totSec32)
	}
	n.AddField("media", "0x%02x", bs.media)
	n.AddField("sectors per FAT", "%d", bs.fatSectors)
	n.AddField("sectors per track", "%d", bs.spt)
	n.AddField("heads", "%d", bs.heads)
	n.AddField("hidden sectors", "%d", bs.hidden)
	n.AddField("clusters", "%d", bs.clusters)
	if bs.bits == 32 {
		n.AddField("root cluster", "%d", bs.rootCluster)
		n.AddField("FSInfo sector", "%d", bs.fsInfo)
		n.AddField("backup boot sector", "%d", bs.backupBoot)
		n.AddField("FAT32 flags", "0x%04x", bs.extFlags)
		n.AddField("FAT32 version", "%d.%d", bs.fsVersion>>8, bs.fsVersion&0xFF)
	}
	n.AddField("drive number", "0x%02x", bs.drive)
	n.AddField("boot sector flags", "0x%02x", bs.flags)
	n.AddField("extended boot signature", "0x%02x", bs.extSig)
	if bs.extSig == 0x28 || bs.extSig == 0x29 {
		// The serial: mkfs.vfat takes it from the clock unless given -i
		// or --invariant, a known source of differences.
		n.AddRoleField(roleSerial, "volume id", "0x%08x", bs.serial)
	}
	if bs.extSig == 0x29 {
		n.AddField("volume label", "%s", show.QuoteName(strings.TrimRight(decodeOEM(bs.label), " ")))
		n.AddField("filesystem type", "%s", show.QuoteName(strings.TrimRight(decodeOEM(bs.fsType), " ")))
	}
	// FAT[0] holds the media byte, FAT[1] the end mark and, in FAT16 and
	// FAT32, the "clean" and "no I/O error" bits that systems flip on
	// mount: shown raw.
	for c := uint32(0); c < 2; c++ {
		if e, ok := v.entry(c); ok {
			n.AddField(fmt.Sprintf("FAT entry %d", c), "0x%0*x", bs.bits/4, e)
		}
	}
	if bs.nFATs > 1 {
		n.AddField("FAT copies", "%s", v.compareFATs())
	}
	if bs.bits == 32 {
		v.fsInfoFields(n)
		v.backupBootField(n)
	}
}

// compareFATs says whether the other FAT copies equal the first.
func (v *volumeInfo) compareFATs() string {
	bs := v.bs
	length := bs.fatSectors * bs.bps
	a := make([]byte, 64<<10)
	b := make([]byte, 64<<10)
	for k := int64(1); k < bs.nFATs; k++ {
		for pos := int64(0); pos < length; pos += int64(len(a)) {
			n := min(int64(len(a)), length-pos)
			na, _ := v.r.ReadAt(a[:n], bs.fatStart+pos)
			nb, _ := v.r.ReadAt(b[:n], bs.fatStart+k*length+pos)
			if int64(na) < n || int64(nb) < n {
				return fmt.Sprintf("copy %d not compared: the image ends within the FATs", k+1)
			}
			if i := firstDiff(a[:n], b[:n]); i >= 0 {
				return fmt.Sprintf("copy %d differs from copy 1 first at byte %d of the FAT", k+1, pos+int64(i))
			}
		}
	}
	return "identical"
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// fsInfoFields reads the FAT32 FSInfo sector: its free cluster count and
// next free cluster hint change with every write.
func (v *volumeInfo) fsInfoFields(n *unpack.Node) {
	bs := v.bs
	if bs.fsInfo == 0 || bs.fsInfo == 0xFFFF {
		return
	}
	off := int64(bs.fsInfo) * bs.bps
	if int64(bs.fsInfo) >= bs.reserved {
		n.AddField("FSInfo", "sector %d is not a reserved sector", bs.fsInfo)
		return
	}
	b := make([]byte, 512)
	if err := bin.ReadFull(v.r, b, off, layerName, "FSInfo sector"); err != nil {
		n.AddField("FSInfo", "unreadable: %v", err)
		return
	}
	// Only the used parts are claimed: the reserved bytes between them are
	// compared as unclaimed bytes.
	v.claims.Add(off, 4, "FSInfo")
	v.claims.Add(off+484, 28, "FSInfo")
	if binary.LittleEndian.Uint32(b) != 0x41615252 || binary.LittleEndian.Uint32(b[484:]) != 0x61417272 {
		n.AddField("FSInfo", "no FSInfo signature in sector %d", bs.fsInfo)
		return
	}
	hint := func(x uint32) string {
		if x == 0xFFFFFFFF {
			return "unknown"
		}
		return fmt.Sprint(x)
	}
	n.AddField("FSInfo free clusters", "%s", hint(binary.LittleEndian.Uint32(b[488:])))
	n.AddField("FSInfo next free cluster", "%s", hint(binary.LittleEndian.Uint32(b[492:])))
}

// backupBootField compares the FAT32 backup boot sector with sector 0.
func (v *volumeInfo) backupBootField(n *unpack.Node) {
	bs := v.bs
	if bs.backupBoot == 0 || bs.backupBoot == 0xFFFF {
		return
	}
	off := int64(bs.backupBoot) * bs.bps
	b := make([]byte, 512)
	var s string
	switch {
	case int64(bs.backupBoot) >= bs.reserved:
		s = "not a reserved sector"
	case bin.ReadFull(v.r, b, off, layerName, "backup boot sector") != nil:
		s = "past the end of the image"
	default:
		v.claims.Add(off, 512, "backup boot sector")
		if i := firstDiff(bs.raw, b); i >= 0 {
			s = fmt.Sprintf("differs from sector 0 first at byte %d", i)
		} else {
			s = "same as sector 0"
		}
	}
	n.AddField("backup boot sector contents", "%s", s)
}

// roleSerial marks the volume serial mkfs.fat makes up from the time
// unless told one (-i).
var roleSerial = &unpack.Role{Kind: unpack.Identity, Cause: "FAT serial"}
