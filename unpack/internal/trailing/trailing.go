// Package trailing describes the bytes after a layer's last structure.
package trailing

import (
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
)

// Add describes r[end:size]: nothing, zero padding (a field), or
// data of its own (a child that a comparison detects and unpacks).
func Add(root *unpack.Node, layer string, r io.ReaderAt, end, size int64) {
	if end >= size || end < 0 {
		return
	}
	zeros := bin.ZeroRun(r, end, size)
	if end+zeros == size {
		root.AddField("padding", "%d zero bytes", zeros)
		return
	}
	root.AddField("trailing bytes", "%d at offset %d", size-end, end)
	root.Children = append(root.Children, &unpack.Node{
		Name:   Name,
		Type:   unpack.TypeFile,
		Layer:  layer,
		Offset: end,
		Data:   io.NewSectionReader(r, end, size-end),
	})
}

// Name is the child Add makes of what follows a layer's
// last structure.
const Name = "[trailing bytes]"
