package testutil

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// CpioEntry is one member for newcArchive.
type CpioEntry struct {
	Name             string
	Mode             uint32
	Ino, Nlink       uint32
	Data             string
	RdevMaj, RdevMin uint32
	Mtime            uint32
	Size             int64 // 0: len(data)
	Check            int64 // 0: computed (crc format)
	Namesize         int64 // 0: len(name)+1; -1: 0
}

// NewcArchive writes a newc (magic "070701") or crc ("070702") archive of
// the entries and a trailer.
func NewcArchive(magic string, entries ...CpioEntry) []byte {
	var b bytes.Buffer
	pad := func() {
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	write := func(e CpioEntry) {
		size := int64(len(e.Data))
		if e.Size != 0 {
			size = e.Size
		}
		var sum uint32
		for _, c := range []byte(e.Data) {
			sum += uint32(c)
		}
		check := int64(0)
		if magic == "070702" {
			check = int64(sum)
		}
		if e.Check != 0 {
			check = e.Check
		}
		ns := int64(len(e.Name) + 1)
		if e.Namesize > 0 {
			ns = e.Namesize
		} else if e.Namesize < 0 {
			ns = 0
		}
		nlink := e.Nlink
		if nlink == 0 {
			nlink = 1
		}
		fmt.Fprintf(&b, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			magic, e.Ino, e.Mode, 0, 0, nlink, e.Mtime, size, 0, 0, e.RdevMaj, e.RdevMin, ns, check)
		b.WriteString(e.Name)
		b.WriteByte(0)
		pad()
		b.WriteString(e.Data)
		pad()
	}
	for _, e := range entries {
		write(e)
	}
	write(CpioEntry{Name: "TRAILER!!!"})
	return b.Bytes()
}

// Lz4LegacyCompress writes the legacy format with blocks of block bytes.
func Lz4LegacyCompress(t testing.TB, data []byte, block int) []byte {
	t.Helper()
	out := []byte{0x02, 0x21, 0x4c, 0x18}
	for len(data) > 0 {
		n := min(block, len(data))
		dst := make([]byte, lz4.CompressBlockBound(n))
		k, err := lz4.CompressBlock(data[:n], dst, nil)
		if err != nil || k == 0 {
			t.Fatalf("CompressBlock: %d, %v", k, err)
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(k))
		out = append(out, dst[:k]...)
		data = data[n:]
	}
	return out
}

// ZstdCompress compresses with klauspost's encoder.
func ZstdCompress(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	enc.Write(data)
	enc.Close()
	return buf.Bytes()
}

// SwapBinHeaders turns an old binary cpio archive written little-endian
// (GNU cpio -H bin on this machine) into the big-endian one a big-endian
// machine writes: the bytes of each 16-bit header word swapped, names,
// data and padding as they were. It stops after the trailer or at the
// first header it cannot follow.
func SwapBinHeaders(b []byte) []byte {
	b = bytes.Clone(b)
	even := func(n int) int { return (n + 1) &^ 1 }
	for off := 0; off+26 <= len(b) && b[off] == 0xc7 && b[off+1] == 0x71; {
		h := b[off : off+26]
		word := func(i int) int { return int(h[2*i]) | int(h[2*i+1])<<8 }
		nameSize, fileSize := word(10), word(11)<<16|word(12)
		for i := 0; i < 26; i += 2 {
			h[i], h[i+1] = h[i+1], h[i]
		}
		name := off + 26
		if name+nameSize > len(b) {
			break
		}
		trailer := string(b[name:name+nameSize]) == "TRAILER!!!\x00"
		off = even(even(name+nameSize) + fileSize)
		if trailer {
			break
		}
	}
	return b
}
