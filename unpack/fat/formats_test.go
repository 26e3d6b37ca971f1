package fat

import (
	"isodiff/unpack"
	"isodiff/unpack/iso9660"
)

// testFormats: an isohybrid ISO holds what looks like a FAT boot sector,
// so the ISO is tried first, as in formats.All.
var testFormats = []unpack.Format{iso9660.Format, Format}
