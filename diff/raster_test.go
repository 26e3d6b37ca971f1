package diff

import (
	"bytes"
	"context"
	"testing"
)

// raster is a Raster over bytes, as a reader of images hands out.
type raster struct {
	*bytes.Reader
	width int
}

func (r raster) Width() int     { return r.width }
func (r raster) PixelSize() int { return 2 }

// TestRasterNote: the differing pixels of two rasters are counted and
// boxed, whichever bytes of a pixel differ.
func TestRasterNote(t *testing.T) {
	a := make([]byte, 2*4*3) // 4x3 pixels of 2 bytes
	b := bytes.Clone(a)
	b[2*(1*4+2)+1] = 9 // (2,1), second byte
	b[2*(2*4+0)] = 7   // (0,2), first byte
	n := &Node{}
	rasterNote(context.Background(), n, raster{bytes.NewReader(a), 4}, raster{bytes.NewReader(b), 4})
	if len(n.Notes) != 1 || n.Notes[0] != "2 of 12 pixels differ, within x 0–2, y 1–2" {
		t.Errorf("notes %q", n.Notes)
	}
	n = &Node{}
	rasterNote(context.Background(), n, raster{bytes.NewReader(a), 4}, raster{bytes.NewReader(b), 3})
	if len(n.Notes) != 0 {
		t.Errorf("rasters of other widths: notes %q", n.Notes)
	}
}

// TestPixelsIdenticalNote: a layer whose pixels child was compared equal
// (and so dropped) says its pixels are identical; one whose pixels
// differ does not.
func TestPixelsIdenticalNote(t *testing.T) {
	n := &Node{Children: []*Node{{Name: "tIME", State: Added}}}
	notePixelsIdentical(n, []string{"[pixels]"}, 0)
	if len(n.Notes) != 1 || n.Notes[0] != "pixels identical" {
		t.Errorf("notes %q", n.Notes)
	}
	n = &Node{Children: []*Node{{Name: "[pixels]", State: Modified}}}
	notePixelsIdentical(n, []string{"[pixels]"}, 0)
	if len(n.Notes) != 0 {
		t.Errorf("pixels differ: notes %q", n.Notes)
	}
}
