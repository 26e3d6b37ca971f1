package diff

import (
	"context"
	"fmt"
	"io"

	"isodiff/unpack"
)

// rasterChildren names the children of two unpacked layers that hold
// decoded pixels on both sides (unpack.Raster).
func rasterChildren(a, b *unpack.Node) []string {
	var names []string
	for _, ca := range a.Children {
		if _, ok := ca.Data.(unpack.Raster); !ok {
			continue
		}
		if cb := b.Child(ca.Name); cb != nil {
			if _, ok := cb.Data.(unpack.Raster); ok {
				names = append(names, ca.Name)
			}
		}
	}
	return names
}

// notePixelsIdentical says, of a layer whose bytes differ, that its
// decoded pixels do not: the difference is in how they were stored.
func notePixelsIdentical(n *Node, rasters []string, base int) {
	if len(rasters) == 0 {
		return
	}
	for _, ch := range n.Children[min(base, len(n.Children)):] {
		for _, name := range rasters {
			if ch.Name == name && ch.State != Same {
				return
			}
		}
	}
	n.Notes = append(n.Notes, "pixels identical")
}

// rasterNote says how many pixels of two rasters of one width differ, and
// where: the bounding box of the differing ones.
func rasterNote(ctx context.Context, n *Node, da, db unpack.Data) {
	ra, okA := da.(unpack.Raster)
	rb, okB := db.(unpack.Raster)
	if !okA || !okB || ra.Width() != rb.Width() || ra.PixelSize() != rb.PixelSize() || da.Size() != db.Size() {
		return
	}
	w, px := int64(ra.Width()), int64(ra.PixelSize())
	if w <= 0 || px <= 0 || da.Size()%(w*px) != 0 {
		return
	}
	row := w * px
	// Whole rows at a time, about a chunk's worth.
	rows := max(1, chunkSize/row)
	bufA, bufB := make([]byte, min(rows*row, da.Size())), make([]byte, min(rows*row, da.Size()))
	var count int64
	minX, minY, maxX, maxY := w, int64(-1), int64(-1), int64(-1)
	for off := int64(0); off < da.Size(); off += int64(len(bufA)) {
		if ctx.Err() != nil {
			return
		}
		k := min(int64(len(bufA)), da.Size()-off)
		if _, err := ra.ReadAt(bufA[:k], off); err != nil && err != io.EOF {
			return
		}
		if _, err := rb.ReadAt(bufB[:k], off); err != nil && err != io.EOF {
			return
		}
		for i := int64(0); i < k; i += px {
			if string(bufA[i:i+px]) == string(bufB[i:i+px]) {
				continue
			}
			p := (off + i) / px
			x, y := p%w, p/w
			count++
			minX, maxX = min(minX, x), max(maxX, x)
			if minY < 0 {
				minY = y
			}
			maxY = y
		}
	}
	if count > 0 {
		n.Notes = append(n.Notes, fmt.Sprintf("%d of %d pixels differ, within x %d–%d, y %d–%d", count, da.Size()/px, minX, maxX, minY, maxY))
	}
}
