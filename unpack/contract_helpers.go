package unpack

import (
	"fmt"
	"io"
	"isodiff/unpack/internal/bin"
)

// ModeType is the node type of a POSIX file mode.
func ModeType(mode uint32) Type {
	switch mode & 0o170000 {
	case 0o040000:
		return TypeDir
	case 0o120000:
		return TypeSymlink
	case 0o020000:
		return TypeCharDevice
	case 0o060000:
		return TypeBlockDevice
	case 0o010000:
		return TypeFifo
	case 0o140000:
		return TypeSocket
	}
	return TypeFile
}

// ReadFull reads exactly len(b) bytes at off, reporting a short read as a
// FormatError of the given layer.
func ReadFull(r io.ReaderAt, b []byte, off int64, layer, what string) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		return &FormatError{Layer: layer, Offset: off, Msg: fmt.Sprintf("%s: %d bytes wanted, %d found before end of input", what, len(b), n), Err: io.ErrUnexpectedEOF}
	}
	return &FormatError{Layer: layer, Offset: off, Msg: "reading " + what, Err: err}
}

// AddTrailing describes r[end:size]: nothing, zero padding (a field), or
// data of its own (a child that a comparison detects and unpacks).
func AddTrailing(root *Node, layer string, r io.ReaderAt, end, size int64) {
	if end >= size || end < 0 {
		return
	}
	zeros := bin.ZeroRun(r, end, size)
	if end+zeros == size {
		root.AddField("padding", "%d zero bytes", zeros)
		return
	}
	root.AddField("trailing bytes", "%d at offset %d", size-end, end)
	root.Children = append(root.Children, &Node{
		Name:   TrailingName,
		Type:   TypeFile,
		Layer:  layer,
		Offset: end,
		Data:   io.NewSectionReader(r, end, size-end),
	})
}

// TrailingName is the child AddTrailing makes of what follows a layer's
// last structure.
const TrailingName = "[trailing bytes]"
