// Package formats lists every format isodiff unpacks, in the order in which
// they are detected.
package formats

import "isodiff/unpack"

// All is every format, in detection order: file systems and archives
// first, then compressed streams (whose magic is short), then FAT (whose
// boot sector can sit inside another format's first sector, such as an
// isohybrid ISO's MBR), and last lzma, which has no magic, only a
// plausible header.
var All = []unpack.Format{
	unpack.ISO9660Format,
	unpack.SquashfsFormat,
	unpack.InitramfsFormat,
	unpack.CpioFormat,
	unpack.Bzip2Format,
	unpack.GzipFormat,
	unpack.Lz4Format,
	unpack.Lz4LegacyFormat,
	unpack.LzopFormat,
	unpack.XzFormat,
	unpack.ZstdFormat,
	unpack.FATFormat,
	unpack.LZMAFormat,
}
