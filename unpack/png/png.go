// Package png reads PNG images into their chunks, in order, and their
// decoded pixels.
package png

// A PNG file is an 8-byte signature and chunks: a 4-byte length, a
// 4-byte type, the data, and a CRC-32 of type and data. Two builds of one
// image usually differ in their metadata chunks (tIME, and the
// date:create and date:modify text ImageMagick adds) or in how the pixels
// were compressed into IDAT chunks: the chunks are entries, with the
// fields of the ones that hold values, and "[pixels]" holds the image as
// image/png decodes it, so that two differently compressed images whose
// pixels are the same compare equal there.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image/color"
	stdpng "image/png"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/bin"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/show"
	"isodiff/unpack/internal/trailing"
	"strings"
	"sync"
	"unicode/utf8"
)

const (
	layerName = "png"
	signature = "\x89PNG\r\n\x1a\n"
	// MaxChunks bounds the chunks of one image.
	MaxChunks = 1 << 20
	// maxText bounds a decompressed zTXt or iTXt text.
	maxText = 1 << 20
	// MaxPixelBytes bounds the decoded pixels of an image, at 8 bytes a
	// pixel (16 bits per channel, RGBA): an image whose header asks for
	// more is not decoded (its chunks are still compared).
	MaxPixelBytes = 64 << 20
	// PixelsName is the child holding the decoded pixels.
	PixelsName = "[pixels]"
	// bytesPerPixel of the decoded pixels: NRGBA64, big-endian.
	bytesPerPixel = 8
)

// Format detects PNG images by their signature.
var Format = unpack.Format{Name: layerName, Match: matchPNG, Open: Open}

func matchPNG(head []byte, _ io.ReaderAt, _ int64) bool {
	return len(head) >= len(signature)+8 && string(head[:len(signature)]) == signature
}

// roleTextTime labels text chunks whose keyword says they hold a time.
var roleTextTime = unpack.RoleTime

// timeKeywords are the text keywords that hold times: the PNG
// specification's, and ImageMagick's.
var timeKeywords = map[string]bool{"Creation Time": true, "date:create": true, "date:modify": true, "date:timestamp": true}

var colorTypes = map[byte]string{0: "greyscale", 2: "truecolour", 3: "indexed-colour", 4: "greyscale with alpha", 6: "truecolour with alpha"}

// Open reads a PNG image: its chunks in order, each checked against its
// CRC, and its pixels.
func Open(r io.ReaderAt, size int64, env *unpack.Env) (*unpack.Node, error) {
	var sig [8]byte
	if err := bin.ReadFull(r, sig[:], 0, layerName, "signature"); err != nil {
		return nil, err
	}
	if string(sig[:]) != signature {
		return nil, unpack.Errorf(layerName, 0, "no PNG signature: %q", sig[:])
	}
	root := &unpack.Node{Type: unpack.TypeRecord, Layer: layerName, Offset: 0}
	claims := &layout.Claims{}
	claims.Add(0, 8, "PNG signature")
	used := map[string]int{}
	off := int64(8)
	end := int64(-1)
	var width, height uint32
	count := 0
	for off < size {
		if count == MaxChunks {
			root.AddErr(unpack.Errorf(layerName, off, "more than %d chunks: the rest is not read", MaxChunks))
			break
		}
		var h [8]byte
		if err := bin.ReadFull(r, h[:], off, layerName, "chunk header"); err != nil {
			root.AddErr(err)
			break
		}
		length := int64(binary.BigEndian.Uint32(h[:]))
		typ := string(h[4:])
		if length > 1<<31-1 || length > size-off-12 {
			root.AddErr(unpack.Errorf(layerName, off, "chunk %s: length %d beyond the end of input (%d bytes left)", show.Quote(typ), length, size-off-12))
			break
		}
		if !validType(h[4:]) {
			root.AddErr(unpack.Errorf(layerName, off+4, "chunk type %q is not four letters", h[4:]))
			break
		}
		count++
		n := chunkNode(r, off, length, typ)
		if typ == "IHDR" && count == 1 {
			width, height = ihdrSize(r, off, length)
		} else if typ == "IHDR" || count == 1 {
			n.AddErr(unpack.Errorf(layerName, off, "IHDR is not the first and only IHDR chunk"))
		}
		used[n.Name]++
		if k := used[n.Name]; k > 1 {
			n.Name = fmt.Sprintf("%s %d", n.Name, k)
		}
		root.Children = append(root.Children, n)
		root.AddOrder(n.Name)
		claims.Addf(off, 12+length, "chunk %s at %d", n.Name, off)
		off += 12 + length
		if typ == "IEND" {
			end = off
			break
		}
	}
	root.AddRoleField(unpack.RoleDerived, "chunks", "%d", count)
	if end < 0 && root.Err == nil {
		root.AddErr(unpack.Errorf(layerName, off, "no IEND chunk before the end of input"))
	}
	if end >= 0 {
		trailing.Add(root, layerName, r, end, size)
		claims.Add(end, size-end, "bytes after IEND")
	}
	if width > 0 && height > 0 {
		if px := int64(width) * int64(height) * bytesPerPixel; px > MaxPixelBytes {
			root.AddField("pixels", "not decoded: %dx%d would take %d bytes (at most %d)", width, height, px, MaxPixelBytes)
		} else {
			root.Children = append(root.Children, &unpack.Node{Name: PixelsName, Type: unpack.TypeFile, Layer: layerName, Offset: -1,
				Data: &Pixels{r: r, size: size, width: int(width), height: int(height)}})
		}
	}
	if len(claims.Unclaimed(size)) > 0 {
		root.Children = append(root.Children, claims.UnclaimedNode(layerName, r, size))
	}
	root.SetLayout(claims)
	root.Sort()
	return root, nil
}

func validType(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func ihdrSize(r io.ReaderAt, off, length int64) (w, h uint32) {
	if length != 13 {
		return 0, 0
	}
	var b [8]byte
	if bin.ReadFull(r, b[:], off+8, layerName, "IHDR") != nil {
		return 0, 0
	}
	return binary.BigEndian.Uint32(b[:]), binary.BigEndian.Uint32(b[4:])
}

// chunkNode makes the node of the chunk at off: its CRC checked, the
// values of the chunks that hold some as fields, the data of the others.
func chunkNode(r io.ReaderAt, off, length int64, typ string) *unpack.Node {
	n := &unpack.Node{Name: show.Quote(typ), Type: unpack.TypeRecord, Layer: layerName, Offset: off}
	n.AddRoleField(unpack.RoleDerived, "length", "%d", length)
	var crcb [4]byte
	bin.ReadFull(r, crcb[:], off+8+length, layerName, "chunk CRC")
	stored := binary.BigEndian.Uint32(crcb[:])
	n.AddRoleField(unpack.RoleDerived, "crc", "0x%08x", stored)
	crc := crc32.NewIEEE()
	if _, err := io.Copy(crc, io.NewSectionReader(r, off+4, 4+length)); err != nil {
		n.AddErr(&unpack.FormatError{Layer: layerName, Offset: off, Msg: "reading chunk " + typ, Err: err})
	} else if sum := crc.Sum32(); sum != stored {
		n.AddErr(unpack.Errorf(layerName, off+8+length, "chunk %s: CRC 0x%08x, the data's is 0x%08x", show.Quote(typ), stored, sum))
	}
	data := io.NewSectionReader(r, off+8, length)
	small := func() []byte {
		b := make([]byte, length) // only for chunks of a few bytes, checked by the callers
		bin.ReadFull(r, b, off+8, layerName, "chunk data")
		return b
	}
	switch {
	case typ == "IHDR" && length == 13:
		b := small()
		n.AddField("width", "%d", binary.BigEndian.Uint32(b))
		n.AddField("height", "%d", binary.BigEndian.Uint32(b[4:]))
		n.AddField("bit depth", "%d", b[8])
		ct := colorTypes[b[9]]
		if ct == "" {
			ct = "unknown"
		}
		n.AddField("colour type", "%d (%s)", b[9], ct)
		n.AddField("compression method", "%d", b[10])
		n.AddField("filter method", "%d", b[11])
		n.AddField("interlace method", "%d", b[12])
	case typ == "tIME" && length == 7:
		b := small()
		n.AddRoleField(unpack.RoleTime, "tIME", "%04d-%02d-%02dT%02d:%02d:%02dZ", binary.BigEndian.Uint16(b), b[2], b[3], b[4], b[5], b[6])
	case typ == "tEXt" || typ == "zTXt" || typ == "iTXt":
		textChunk(n, data, typ, length)
	default:
		n.Data = data
	}
	return n
}

// maxHeaderText bounds the part of a text chunk before its text: the
// keyword (at most 79 bytes), the iTXt language tag and translated
// keyword.
const maxHeaderText = 64 << 10

// textChunk decodes a tEXt, zTXt or iTXt chunk: the keyword names the
// node, the text is its data (or, for a keyword that holds a time, a
// field with the time role).
func textChunk(n *unpack.Node, data *io.SectionReader, typ string, length int64) {
	head := make([]byte, min(length, maxHeaderText))
	data.ReadAt(head, 0)
	kw, rest, ok := bytes.Cut(head, []byte{0})
	if !ok {
		n.AddErr(unpack.Errorf(layerName, n.Offset+8, "%s chunk: no NUL after the keyword", typ))
		n.Data = data
		return
	}
	n.Name = typ + " " + show.Quote(string(kw))
	textOff := int64(len(kw) + 1)
	compressed := typ == "zTXt"
	switch typ {
	case "zTXt":
		if len(rest) < 1 {
			n.AddErr(unpack.Errorf(layerName, n.Offset+8, "zTXt chunk: no compression method"))
			return
		}
		n.AddField("compression method", "%d", rest[0])
		textOff++
	case "iTXt":
		if len(rest) < 2 {
			n.AddErr(unpack.Errorf(layerName, n.Offset+8, "iTXt chunk: no compression flag and method"))
			return
		}
		compressed = rest[0] != 0
		n.AddField("compression", "flag %d, method %d", rest[0], rest[1])
		lang, r2, ok1 := bytes.Cut(rest[2:], []byte{0})
		tr, _, ok2 := bytes.Cut(r2, []byte{0})
		if !ok1 || !ok2 {
			n.AddErr(unpack.Errorf(layerName, n.Offset+8, "iTXt chunk: language tag or translated keyword not terminated"))
			n.Data = data
			return
		}
		n.AddField("language", "%s", show.QuoteName(string(lang)))
		if len(tr) > 0 {
			n.AddField("translated keyword", "%s", show.Quote(string(tr)))
		}
		textOff += 2 + int64(len(lang)+1+len(tr)+1)
	}
	var text unpack.Data = io.NewSectionReader(data, textOff, length-textOff)
	if compressed {
		zr, err := zlib.NewReader(io.NewSectionReader(data, textOff, length-textOff))
		if err != nil {
			n.AddErr(&unpack.FormatError{Layer: layerName, Offset: n.Offset + 8 + textOff, Msg: typ + " chunk: compressed text", Err: err})
			n.Data = io.NewSectionReader(data, textOff, length-textOff)
			return
		}
		b, err := io.ReadAll(io.LimitReader(zr, maxText+1))
		switch {
		case len(b) > maxText:
			b = b[:maxText]
			n.AddErr(&unpack.FormatError{Layer: layerName, Offset: n.Offset + 8 + textOff, Msg: fmt.Sprintf("%s chunk: text cut after %d bytes", typ, maxText), Err: unpack.ErrTooLarge})
		case err != nil:
			n.AddErr(&unpack.FormatError{Layer: layerName, Offset: n.Offset + 8 + textOff, Msg: typ + " chunk: compressed text", Err: err})
		}
		text = bytes.NewReader(b)
	}
	if timeKeywords[string(kw)] && text.Size() <= 256 {
		b := make([]byte, text.Size())
		text.ReadAt(b, 0)
		if utf8.Valid(b) && !bytes.ContainsRune(b, 0) {
			n.AddRoleField(roleTextTime, string(kw), "%s", show.Quote(strings.TrimSpace(string(b))))
			if s := string(b); s != strings.TrimSpace(s) {
				n.AddField("text", "%q", s)
			}
			return
		}
	}
	n.Data = text
}

// Pixels are an image's pixels as image/png decodes them, converted to
// non-premultiplied 16-bit RGBA, row by row: two images with the same
// pixels hold the same bytes here, however they were stored. They are
// decoded when first read; an image that cannot be decoded fails every
// read with the reason.
type Pixels struct {
	r             io.ReaderAt
	size          int64
	width, height int

	once sync.Once
	buf  []byte
	err  error
}

// Width is the number of pixels in a row.
func (p *Pixels) Width() int { return p.width }

// PixelSize is the number of bytes of a pixel.
func (p *Pixels) PixelSize() int { return bytesPerPixel }

func (p *Pixels) Size() int64 { return int64(p.width) * int64(p.height) * bytesPerPixel }

func (p *Pixels) ReadAt(b []byte, off int64) (int, error) {
	p.once.Do(p.decode)
	if p.err != nil {
		return 0, p.err
	}
	if off < 0 {
		return 0, fmt.Errorf("pixels: negative offset %d", off)
	}
	if off >= int64(len(p.buf)) {
		return 0, io.EOF
	}
	n := copy(b, p.buf[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (p *Pixels) decode() {
	img, err := stdpng.Decode(io.NewSectionReader(p.r, 0, p.size))
	if err != nil {
		p.err = &unpack.FormatError{Layer: layerName, Offset: 0, Msg: "decoding the pixels", Err: err}
		return
	}
	bounds := img.Bounds()
	if bounds.Dx() != p.width || bounds.Dy() != p.height {
		p.err = unpack.Errorf(layerName, 16, "decoded %dx%d pixels, the header says %dx%d", bounds.Dx(), bounds.Dy(), p.width, p.height)
		return
	}
	p.buf = make([]byte, p.Size())
	i := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
			binary.BigEndian.PutUint16(p.buf[i:], c.R)
			binary.BigEndian.PutUint16(p.buf[i+2:], c.G)
			binary.BigEndian.PutUint16(p.buf[i+4:], c.B)
			binary.BigEndian.PutUint16(p.buf[i+6:], c.A)
			i += bytesPerPixel
		}
	}
}
