// Package formats lists every format isodiff unpacks, in the order in which
// they are detected.
package formats

import (
	"isodiff/unpack"
	"isodiff/unpack/ar"
	"isodiff/unpack/bzimage"
	"isodiff/unpack/compress"
	"isodiff/unpack/cpio"
	"isodiff/unpack/elf"
	"isodiff/unpack/fat"
	"isodiff/unpack/initramfs"
	"isodiff/unpack/iso9660"
	"isodiff/unpack/pe"
	"isodiff/unpack/png"
	"isodiff/unpack/squashfs"
	"isodiff/unpack/tar"
	"isodiff/unpack/zip"
)

// All is every format, in detection order: file systems and archives
// first, then compressed streams (whose magic is short), then FAT (whose
// boot sector can sit inside another format's first sector, such as an
// isohybrid ISO's MBR), then a zip archive behind a stub (found from its
// end, so only where nothing claims the first bytes), and last lzma,
// which has no magic, only a plausible header.
var All = []unpack.Format{
	// First: besides ELF files, it detects the sections of an ELF file
	// it opened, whose bytes no other format may take.
	elf.Format,
	iso9660.Format,
	squashfs.Format,
	bzimage.Format,
	pe.Format,
	initramfs.Format,
	cpio.Format,
	tar.Format,
	ar.Format,
	zip.Format,
	png.Format,
	compress.Bzip2,
	compress.Gzip,
	compress.Lz4,
	compress.Lz4Legacy,
	compress.Lzop,
	compress.Xz,
	compress.Zstd,
	fat.Format,
	zip.SelfExtracting,
	compress.LZMA,
}
