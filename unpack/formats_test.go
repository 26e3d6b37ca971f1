package unpack

// testFormats are the formats of this package, in the order of formats.All.
var testFormats = []Format{ISO9660Format, SquashfsFormat, FATFormat}
