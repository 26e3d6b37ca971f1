// Package initramfs splits a Linux initramfs image into its segments: cpio
// archives and compressed streams, one after the other.
package initramfs

// A Linux initramfs image is a run of segments, which the kernel
// (init/initramfs.c, unpack_to_rootfs) unpacks one after the other into
// the same root: uncompressed cpio archives, each up to its TRAILER!!!,
// and compressed streams each holding a cpio archive, with zero bytes
// between them skipped. Distributions prepend CPU microcode as an
// uncompressed archive (kernel/x86/microcode/GenuineIntel.bin) to the
// compressed main one; bootloaders and tools concatenate more.
//
// This layer only splits: each segment is a child holding its bytes, and
// a comparison unpacks each by detection (cpio, zstd, ...) like any other
// content. A segment ends where the kernel's decompressor would stop:
//   - an uncompressed cpio archive after its trailer (and the trailer's
//     padding to 4 bytes);
//   - zstd, lz4 and legacy lz4 streams where their framing ends, found by
//     walking frame and block headers without decompressing;
//   - gzip, bzip2, xz and lzma streams have no framing to walk: finding
//     their end means decompressing them, so such a segment runs to the
//     end of the input, and its own layer reports any zero padding and
//     any bytes after the stream ("[trailing bytes]", unpacked in turn).
//     In practice the compressed archive is the last segment.
// The zero bytes after a segment are its field "padding".

import (
	"fmt"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/compress"
	"isodiff/unpack/cpio"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/readat"
)

const (
	layerInitramfs = "initramfs"
	// maxSegments bounds the segments of one image.
	maxSegments = 4096
	// matchMembers bounds the member headers Match walks to find
	// the first trailer: a microcode archive has a handful.
	matchMembers = 100_000
	// matchZeros bounds the zero padding Match skips after it.
	matchZeros = 16 << 20
)

// InitramfsFormat detects and opens Linux initramfs images (cpio archives and compressed streams one after the other).
var Format = unpack.Format{Name: layerInitramfs, Match: matchInitramfs, Open: Open}

// matchInitramfs: a cpio archive at 0 and, after its trailer and any zero
// padding, another cpio archive or a compressed stream. A single archive
// is plain cpio.
func matchInitramfs(head []byte, r io.ReaderAt, size int64) bool {
	if !cpio.HasMagic(head) {
		return false
	}
	pr := readat.NewPeek(r, size)
	end, err := cpio.ArchiveEnd(pr, 0, size, matchMembers)
	if err != nil || end >= size {
		return false
	}
	z := bin.ZeroRun(io.NewSectionReader(r, 0, min(size, end+matchZeros)), end, min(size, end+matchZeros))
	return segmentFormat(pr, end+z) != ""
}

// segmentFormat names the segment starting at off by its magic,
// as the kernel's decompress_method does, with the names of the layers
// that unpack them; "" for none.
func segmentFormat(pr *readat.Peek, off int64) string {
	b, _ := pr.At(off, 6)
	if cpio.HasMagic(b) {
		return cpio.Format.Name
	}
	return compress.SniffStream(b)
}

// OpenInitramfs splits an initramfs image into its segments.
func Open(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	var magic [6]byte
	if n, _ := r.ReadAt(magic[:], 0); n < 6 {
		return nil, unpack.Errorf(layerInitramfs, 0, "input of %d bytes is no initramfs", size)
	}
	if !cpio.HasMagic(magic[:]) {
		return nil, unpack.Errorf(layerInitramfs, 0, "no cpio archive at the start")
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerInitramfs, Offset: 0}
	root.SetPositional(true)
	// Every byte is a segment's or zero padding that a field counts: the
	// claims only name them.
	var claims layout.Claims
	pr := readat.NewPeek(r, size)
	pos := int64(0)
	for pos < size {
		if len(root.Children) >= maxSegments {
			root.Err = unpack.Errorf(layerInitramfs, pos, "more than %d segments: the rest is not split", maxSegments)
			break
		}
		format := segmentFormat(pr, pos)
		seg := &unpack.Node{Name: fmt.Sprintf("segment %d", len(root.Children)+1), Type: unpack.TypeFile, Layer: layerInitramfs, Offset: pos}
		end := size
		switch format {
		case cpio.Format.Name:
			e, err := cpio.ArchiveEnd(pr, pos, size, cpio.MaxMembers)
			if err == nil {
				end = e
			}
			// A damaged archive takes the rest: its own layer says
			// where and why.
		default:
			end, _ = compress.StreamEnd(format, pr, pos, size)
		case "":
			seg.Err = unpack.Errorf(layerInitramfs, pos, "neither a cpio archive nor a compressed stream starts here (the kernel stops: \"invalid magic at start of compressed archive\")")
		}
		if end <= pos {
			end = size
		}
		seg.Data = io.NewSectionReader(r, pos, end-pos)
		seg.AddField("offset", "%d", pos)
		seg.AddRoleField(unpack.RoleDerived, "size", "%d", end-pos)
		if format == "" {
			seg.AddField("format", "unknown")
		} else {
			seg.AddField("format", "%s", format)
		}
		z := bin.ZeroRun(r, end, size)
		if z > 0 {
			seg.AddField("padding", "%d zero bytes", z)
		}
		claims.Addf(pos, end-pos, "%s (%s)", seg.Name, formatOrUnknown(format))
		claims.Addf(end, z, "zero padding after %s", seg.Name)
		root.Children = append(root.Children, seg)
		root.AddOrder(seg.Name)
		pos = end + z
	}
	root.SetFields(append([]unpack.Field{{Name: "segments", Value: fmt.Sprint(len(root.Children))}}, root.Fields()...))
	root.SetLayout(&claims)
	root.Sort()
	return root, nil
}

func formatOrUnknown(format string) string {
	if format == "" {
		return "unknown"
	}
	return format
}
