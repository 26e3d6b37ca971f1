package unpack

// testFormats is formats.All, which tests inside this package cannot import.
var testFormats = []Format{
	ISO9660Format, SquashfsFormat, InitramfsFormat, CpioFormat,
	Bzip2Format, GzipFormat, Lz4Format, Lz4LegacyFormat, LzopFormat, XzFormat, ZstdFormat,
	FATFormat, LZMAFormat,
}
