package unpack

// Raster is implemented by Data holding decoded pixels: rows of Width
// pixels of PixelSize bytes each, the top row first, so that a comparison
// can say which pixels differ rather than which bytes.
type Raster interface {
	Data
	Width() int
	PixelSize() int
}
