package initramfs

import (
	"isodiff/unpack"
	"isodiff/unpack/compress"
	"isodiff/unpack/cpio"
)

// testFormats are this package's format and those it holds, in the order
// of formats.All.
var testFormats = []unpack.Format{Format, cpio.Format, compress.Bzip2, compress.Gzip, compress.Lz4, compress.Lz4Legacy,
	compress.Lzop, compress.Xz, compress.Zstd, compress.LZMA}
