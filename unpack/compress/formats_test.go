package compress

import "isodiff/unpack"

// testFormats are the formats of this package, in the order of formats.All.
var testFormats = []unpack.Format{Bzip2, Gzip, Lz4, Lz4Legacy, Lzop, Xz, Zstd, LZMA}
