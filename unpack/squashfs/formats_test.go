package squashfs

import "isodiff/unpack"

var testFormats = []unpack.Format{Format}
