// Package bzimage reads Linux kernel images in the x86 boot protocol's
// format (bzImage, the vmlinuz of a distribution): the setup header as
// fields, the setup code and the protected-mode code as bytes, and the
// compressed payload as an entry of its own, which a comparison detects
// (gzip, xz, zstd, lz4, lzma, bzip2) and unpacks to the vmlinux ELF.
//
// An x86-64 kernel built with CONFIG_EFI_STUB is also a PE image: its
// first sector holds an MZ header and the PE headers, and its PE sections
// cover the setup and protected-mode code. bzImage is detected before PE
// (when "HdrS" is at 0x202 and the boot sector ends in 55 aa): the boot
// protocol's structure is the kernel's own and finds the payload, where
// the PE view's sections would show the whole compressed kernel again as
// one section of bytes. The PE headers are still read, as the entry
// "PE header" (DOS, COFF and optional headers and the section table, as
// fields), so that a stub's TimeDateStamp or CheckSum shows; the bytes of
// its sections are shown once, by the boot protocol's entries.
package bzimage

import (
	"encoding/binary"
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/pe"
)

const layerName = "bzImage"

// Format detects Linux boot protocol images.
var Format = unpack.Format{Name: layerName, Match: Match, Open: Open}

const (
	hdrOff    = 0x1f1 // the setup header
	magicOff  = 0x202
	minHeader = 0x250 // through payload_length (protocol 2.08)
	// maxVersionString bounds the kernel version string read.
	maxVersionString = 512
)

// Match reports whether head holds a boot sector with the setup header's
// magic.
func Match(head []byte, _ io.ReaderAt, size int64) bool {
	return len(head) >= minHeader && head[0x1fe] == 0x55 && head[0x1ff] == 0xaa &&
		string(head[magicOff:magicOff+4]) == "HdrS"
}

// field is one setup header field: name, offset, size and the protocol
// version that introduced it.
type field struct {
	name    string
	off     int
	size    int
	version uint16
	role    *unpack.Role
}

// header lists the setup header's fields (Documentation/arch/x86/boot.rst).
var header = []field{
	{"setup_sects", 0x1f1, 1, 0, nil},
	{"root_flags", 0x1f2, 2, 0, nil},
	{"syssize", 0x1f4, 4, 0x204, unpack.RoleDerived},
	{"ram_size", 0x1f8, 2, 0, nil},
	{"vid_mode", 0x1fa, 2, 0, nil},
	{"root_dev", 0x1fc, 2, 0, nil},
	{"boot_flag", 0x1fe, 2, 0, nil},
	{"jump", 0x200, 2, 0x200, nil},
	{"header", 0x202, 4, 0x200, nil},
	{"version", 0x206, 2, 0x200, nil},
	{"realmode_swtch", 0x208, 4, 0x200, nil},
	{"start_sys_seg", 0x20c, 2, 0x200, nil},
	{"kernel_version", 0x20e, 2, 0x200, nil},
	{"type_of_loader", 0x210, 1, 0x200, nil},
	{"loadflags", 0x211, 1, 0x200, nil},
	{"setup_move_size", 0x212, 2, 0x202, nil},
	{"code32_start", 0x214, 4, 0x200, nil},
	{"ramdisk_image", 0x218, 4, 0x200, nil},
	{"ramdisk_size", 0x21c, 4, 0x200, nil},
	{"bootsect_kludge", 0x220, 4, 0x200, nil},
	{"heap_end_ptr", 0x224, 2, 0x201, nil},
	{"ext_loader_ver", 0x226, 1, 0x202, nil},
	{"ext_loader_type", 0x227, 1, 0x202, nil},
	{"cmd_line_ptr", 0x228, 4, 0x202, nil},
	{"initrd_addr_max", 0x22c, 4, 0x203, nil},
	{"kernel_alignment", 0x230, 4, 0x205, nil},
	{"relocatable_kernel", 0x234, 1, 0x205, nil},
	{"min_alignment", 0x235, 1, 0x20a, nil},
	{"xloadflags", 0x236, 2, 0x20c, nil},
	{"cmdline_size", 0x238, 4, 0x206, nil},
	{"hardware_subarch", 0x23c, 4, 0x207, nil},
	{"hardware_subarch_data", 0x240, 8, 0x207, nil},
	{"payload_offset", 0x248, 4, 0x208, unpack.RolePlacement},
	{"payload_length", 0x24c, 4, 0x208, unpack.RoleDerived},
	{"setup_data", 0x250, 8, 0x209, nil},
	{"pref_address", 0x258, 8, 0x20a, nil},
	{"init_size", 0x260, 4, 0x20a, unpack.RoleDerived},
	{"handover_offset", 0x264, 4, 0x20b, nil},
	{"kernel_info_offset", 0x268, 4, 0x20f, nil},
}

// Open reads a bzImage: setup header, setup code, protected-mode code and
// payload, and the PE headers of an EFI stub.
func Open(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	if size < minHeader {
		return nil, unpack.Errorf(layerName, 0, "%d bytes, too short for a setup header", size)
	}
	b := make([]byte, 0x280)
	n, _ := r.ReadAt(b[:min(int64(len(b)), size)], 0)
	b = b[:n]
	if !Match(b, r, size) {
		return nil, unpack.Errorf(layerName, magicOff, "no setup header magic HdrS")
	}
	version := binary.LittleEndian.Uint16(b[0x206:])
	// The header ends where the jump at 0x200 lands: what lies before
	// the setup code.
	hdrEnd := 0x202 + int(b[0x201])
	if b[0x200] != 0xeb || hdrEnd > len(b) || hdrEnd < minHeader {
		hdrEnd = minHeader
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	claims := &layout.Claims{}
	hdr := &unpack.Node{Name: "setup header", Type: unpack.TypeRecord, Layer: layerName, Offset: hdrOff}
	for _, f := range header {
		if f.off+f.size > hdrEnd {
			continue
		}
		var v uint64
		for i := f.size - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[f.off+i])
		}
		val := fmt.Sprintf("0x%x", v)
		switch f.name {
		case "header":
			val = fmt.Sprintf("%q", b[f.off:f.off+4])
		case "version":
			val = fmt.Sprintf("%d.%02d", v>>8, v&0xff)
		case "setup_sects", "payload_length", "cmdline_size", "init_size":
			val = fmt.Sprint(v)
		}
		if f.role != nil {
			hdr.AddRoleField(f.role, f.name, "%s", val)
		} else {
			hdr.AddField(f.name, "%s", val)
		}
		claims.Addf(int64(f.off), int64(f.size), "setup header: %s", f.name)
	}
	// Bytes of the header this reader does not name (a newer protocol's
	// fields) are claimed by the header, and shown as one field.
	if known := knownEnd(hdrEnd); known < hdrEnd {
		hdr.AddField("later fields", "%x", b[known:hdrEnd])
		claims.Add(int64(known), int64(hdrEnd-known), "setup header: later fields")
	}
	root.Children = append(root.Children, hdr)

	setupSects := int64(b[hdrOff])
	if setupSects == 0 {
		setupSects = 4 // the boot protocol's rule for old kernels
	}
	setupEnd := (setupSects + 1) * 512
	if setupEnd > size {
		root.AddErr(unpack.Errorf(layerName, hdrOff, "setup_sects %d: setup code beyond the end of the image (%d bytes)", setupSects, size))
		setupEnd = size
	}
	if kv := binary.LittleEndian.Uint16(b[0x20e:]); kv != 0 {
		if s, ok := versionString(r, 0x200+int64(kv), setupEnd); ok {
			hdr.AddField("kernel version string", "%s", s)
		}
	}

	// The boot sector: the PE headers of an EFI stub, else bytes.
	if h, err := peHeaders(r, size, b); h != nil {
		view := &unpack.Node{Name: "PE header", Type: unpack.TypeRecord, Layer: layerName, Offset: 0,
			Children: h.HeaderNodes(r, claims)}
		for i, name := range h.SectionNames() {
			view.Children = append(view.Children, h.SectionRecord(i, "section "+name, claims))
		}
		root.Children = append(root.Children, view)
	} else {
		if err != nil {
			root.AddErr(err)
		}
		root.Children = append(root.Children, &unpack.Node{Name: "boot sector", Type: unpack.TypeRecord, Layer: layerName, Offset: 0,
			Data: io.NewSectionReader(r, 0, hdrOff)})
		claims.Add(0, hdrOff, "boot sector")
	}

	root.Children = append(root.Children, dataNode("setup code", r, int64(hdrEnd), setupEnd, claims))

	// The protected-mode code, and the payload inside it.
	var payOff, payLen int64
	if version >= 0x208 {
		payOff, payLen = int64(binary.LittleEndian.Uint32(b[0x248:])), int64(binary.LittleEndian.Uint32(b[0x24c:]))
	}
	switch {
	case payLen == 0:
		root.Children = append(root.Children, dataNode("protected-mode code", r, setupEnd, size, claims))
	case setupEnd+payOff+payLen > size:
		root.AddErr(unpack.Errorf(layerName, 0x248, "payload of %d bytes at 0x%x beyond the end of the image (%d bytes)", payLen, setupEnd+payOff, size))
		root.Children = append(root.Children, dataNode("protected-mode code", r, setupEnd, size, claims))
	default:
		start := setupEnd + payOff
		root.Children = append(root.Children,
			dataNode("protected-mode code", r, setupEnd, start, claims),
			&unpack.Node{Name: "payload", Type: unpack.TypeFile, Layer: layerName, Offset: start, Data: io.NewSectionReader(r, start, payLen)},
			dataNode("protected-mode code after the payload", r, start+payLen, size, claims))
		claims.Add(start, payLen, "payload")
	}
	var kept []*unpack.Node
	for _, c := range root.Children {
		if c != nil {
			kept = append(kept, c)
			root.AddOrder(c.Name)
		}
	}
	root.Children = kept
	if len(claims.Unclaimed(size)) > 0 {
		root.Children = append(root.Children, claims.UnclaimedNode(layerName, r, size))
	}
	root.SetLayout(claims)
	root.Sort()
	return root, nil
}

// knownEnd is where the fields this reader names end, within a header
// ending at hdrEnd.
func knownEnd(hdrEnd int) int {
	end := 0
	for _, f := range header {
		if f.off+f.size <= hdrEnd {
			end = max(end, f.off+f.size)
		}
	}
	return end
}

// dataNode is an entry of the bytes [start, end), nil when empty.
func dataNode(name string, r io.ReaderAt, start, end int64, claims *layout.Claims) *unpack.Node {
	if start >= end {
		return nil
	}
	claims.Add(start, end-start, name)
	return &unpack.Node{Name: name, Type: unpack.TypeFile, Layer: layerName, Offset: start, Data: io.NewSectionReader(r, start, end-start)}
}

// versionString reads the NUL-terminated kernel version string at off,
// which must lie in the setup code.
func versionString(r io.ReaderAt, off, setupEnd int64) (string, bool) {
	if off >= setupEnd {
		return "", false
	}
	b := make([]byte, min(maxVersionString, setupEnd-off))
	n, _ := r.ReadAt(b, off)
	b = b[:n]
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), true
		}
	}
	return "", false
}

// peHeaders reads the PE headers of an EFI stub, nil when the boot sector
// holds none.
func peHeaders(r io.ReaderAt, size int64, head []byte) (*pe.Header, error) {
	if !pe.Match(head, r, size) {
		return nil, nil
	}
	h, err := pe.ReadHeaders(r, size)
	if err != nil {
		return nil, err
	}
	return h, nil
}
