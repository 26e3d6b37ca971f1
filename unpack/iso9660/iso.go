// Package iso9660 reads ISO 9660 images: the volume descriptors, the
// directory tree with Rock Ridge and Joliet names, the path tables, the El
// Torito boot catalog with its boot images, the system area (through
// package partition) and every byte none of these accounts for.
package iso9660

import (
	"bytes"
	"encoding/binary"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/partition"
	"strconv"
	"strings"
)

// OpenISO reads an ISO 9660 image: the system area (MBR, GPT), the volume
// descriptors, the path tables, the directory tree (named by Rock Ridge,
// else Joliet, else ISO 9660 identifiers), the Joliet tree when it is not
// the one naming files, the El Torito boot catalog with its boot images,
// and, as "[unclaimed bytes]", every byte that none of these accounts for.
//
// It fails only when there is no primary volume descriptor to start from;
// any other damage is recorded in the Err of the Node concerned.
func Open(r io.ReaderAt, size int64) (*unpack.Node, error) {
	var claims layout.Claims
	vds, vi, err := readVolumeDescriptors(r, size, &claims)
	if err != nil {
		return nil, err
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: "iso9660", Offset: 0}
	root.AddRoleField(unpack.RoleDerived, "image size", "%d", size)
	root.AddRoleField(unpack.RoleDerived, "volume size", "%d", vi.spaceSize*vi.blockSize)
	if want := vi.spaceSize * vi.blockSize; want > size {
		root.Err = unpack.Errorf("iso9660", size, "image ends %d bytes before the end of the volume (%d blocks of %d bytes)", want-size, vi.spaceSize, vi.blockSize)
	}

	system := partition.ReadSystemArea(r, size, &claims)

	files, joliet, pathTables, byExtent, err := readTrees(r, size, vi, &claims)
	if files == nil {
		files = &unpack.Node{Name: "/", Type: unpack.TypeDir, Layer: "iso9660", Offset: -1}
	}
	if err != nil && files.Err == nil {
		files.Err = err
	}
	root.Children = append(root.Children, system, vds, files)
	if joliet != nil {
		root.Children = append(root.Children, joliet)
	}
	if pathTables != nil {
		root.Children = append(root.Children, pathTables)
	}

	var catalogFile string // the file holding the boot catalog, if any
	var catalogAddresses []unpack.Range
	if vi.bootCatalogLBA >= 0 {
		fileAt := func(off int64) (string, int64, bool) {
			f, ok := byExtent[off]
			return f.path, f.size, ok
		}
		cat, addresses := readBootCatalogAddresses(r, size, vi.bootCatalogLBA, fileAt, &claims)
		root.Children = append(root.Children, cat)
		if f, ok := byExtent[vi.bootCatalogLBA*catalogSectorSize]; ok && len(addresses) > 0 {
			catalogFile, catalogAddresses = f.path, addresses
		}
	}

	root.Children = append(root.Children, claims.UnclaimedNode(isoLayer, r, size))
	root.SetLayout(&claims)
	root.Sort()
	if cat := root.Child(catalogName); cat != nil {
		markBootImages(files, cat)
	}
	if n := fileNode(files, catalogFile); n != nil && n.Data != nil {
		n.Data = patchedData{n.Data, catalogAddresses, roleBootAddress}
	}
	markHybridAddress(system, root.Child(catalogName))
	return root, nil
}

// Format detects and opens ISO 9660 images.
var Format = unpack.Format{Name: "iso9660", Match: matchISO, Open: func(r io.ReaderAt, size int64, _ *unpack.Env) (*unpack.Node, error) {
	return Open(r, size)
}}

// matchISO looks for a volume descriptor ("CD001") at sector 16.
func matchISO(_ []byte, r io.ReaderAt, size int64) bool {
	if size < 16*2048+2048 {
		return false
	}
	var id [6]byte
	n, _ := r.ReadAt(id[:], 16*2048)
	return n == len(id) && bytes.Equal(id[1:], []byte("CD001"))
}

// roleBootInfoTable: mkisofs, xorriso and grub-mkrescue with
// -boot-info-table write a no-emulation boot image's own block address,
// the primary volume descriptor's, its length and a checksum into bytes
// 8-63 of the image, so the file differs wherever the layout does.
var roleBootInfoTable = &unpack.Role{Kind: unpack.Derived, Cause: "El Torito boot-info-table"}

// roleBootAddress: block addresses of boot images written where a boot
// loader reads them (the boot catalog, which is also a file; an isohybrid
// MBR), which move with the layout.
var roleBootAddress = &unpack.Role{Kind: unpack.Derived, Cause: "layout"}

// patchedData is the content of a file into which the image builder wrote
// what follows from the layout: the boot-info-table of a boot image, the
// load addresses of the boot catalog.
type patchedData struct {
	unpack.Data
	ranges []unpack.Range
	role   *unpack.Role
}

// Patches says where and what.
func (p patchedData) Patches() []unpack.Patch {
	out := make([]unpack.Patch, len(p.ranges))
	for i, r := range p.ranges {
		out[i] = unpack.Patch{Range: r, Role: p.role}
	}
	return out
}

// bootInfoTable is where a boot-info-table goes in a boot image.
var bootInfoTable = []unpack.Range{{Start: 8, End: 64}}

// fileNode finds the node of the file at path in the tree below files
// (sorted); nil when there is none.
func fileNode(files *unpack.Node, path string) *unpack.Node {
	if path == "" {
		return nil
	}
	n := files
	for _, name := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if n = n.Child(name); n == nil {
			return nil
		}
	}
	return n
}

// markBootImages marks the files of the tree below files (sorted) that
// entries of the boot catalog cat name as boot images.
func markBootImages(files, cat *unpack.Node) {
	for _, e := range cat.Children {
		path, ok := e.Field("file")
		if !ok {
			continue
		}
		n := fileNode(files, path)
		if n == nil || n.Data == nil {
			continue
		}
		if _, done := n.Data.(patchedData); !done {
			n.Data = patchedData{n.Data, bootInfoTable, roleBootInfoTable}
		}
	}
}

// hybridAddress is where an isohybrid MBR's boot code (syslinux's
// isohdpfx.bin, as xorriso -isohybrid-mbr and isohybrid write it) holds
// the address of the first boot image, in 512-byte sectors.
var hybridAddress = unpack.Range{Start: 432, End: 440}

// markHybridAddress marks those bytes of the MBR boot code as following
// from the layout, when they hold the first boot image's address.
func markHybridAddress(system, cat *unpack.Node) {
	if system == nil || cat == nil {
		return
	}
	code := system.Child("MBR").Child("boot code")
	first := cat.Child("entry 1")
	if code == nil || code.Data == nil || first == nil {
		return
	}
	rba, ok := first.Field("load RBA")
	lba, err := strconv.ParseUint(rba, 10, 32)
	var b [8]byte
	if !ok || err != nil || code.Data.Size() < hybridAddress.End {
		return
	}
	if n, _ := code.Data.ReadAt(b[:], hybridAddress.Start); n != len(b) || binary.LittleEndian.Uint64(b[:]) != lba*4 {
		return
	}
	code.Data = patchedData{code.Data, []unpack.Range{hybridAddress}, roleBootAddress}
}
