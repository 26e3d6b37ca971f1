package elf

import (
	"encoding/binary"
	"io"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
)

// A signed kernel module is the module's ELF file, then the signature (a
// PKCS#7 / CMS blob as scripts/sign-file writes it), then the 12-byte
// struct module_signature saying how long the signature is, then the
// marker. The kernel finds the signature from the end of the file, as
// this does.
const moduleMarker = "~Module signature appended~\n"

const moduleSigInfo = 12

// roleSignature explains a difference in a module's signature: signing
// the same module with another key, or at another time, changes it.
var roleSignature = &unpack.Role{Kind: unpack.Identity, Cause: "module signature"}

var keyIDTypes = map[byte]string{0: "PGP", 1: "X.509", 2: "PKCS#7"}

// readSignature finds an appended module signature in r[0:size]. It
// returns the signature's entry and where the ELF file ends: size when
// there is none.
func readSignature(r io.ReaderAt, size int64, claims *layout.Claims) (*unpack.Node, int64) {
	tail := int64(len(moduleMarker)) + moduleSigInfo
	if size < tail {
		return nil, size
	}
	buf := make([]byte, tail)
	if n, _ := r.ReadAt(buf, size-tail); n < len(buf) || string(buf[moduleSigInfo:]) != moduleMarker {
		return nil, size
	}
	info := buf[:moduleSigInfo]
	sigLen := int64(binary.BigEndian.Uint32(info[8:]))
	infoOff := size - tail
	if sigLen > infoOff {
		// Not a signature the kernel would read: the marker alone is
		// left to the bytes of the file.
		return nil, size
	}
	start := infoOff - sigLen
	n := &unpack.Node{Name: SignatureName, Type: unpack.TypeRecord, Layer: "module signature", Offset: start}
	n.AddField("algorithm", "%d", info[0])
	n.AddField("hash", "%d", info[1])
	if t, ok := keyIDTypes[info[2]]; ok {
		n.AddField("key identifier type", "%s", t)
	} else {
		n.AddField("key identifier type", "%d", info[2])
	}
	n.AddField("signer length", "%d", info[3])
	n.AddField("key identifier length", "%d", info[4])
	if !allZero(info[5:8]) {
		n.AddField("padding", "%x", info[5:8])
	}
	n.AddRoleField(unpack.RoleDerived, "signature length", "%d", sigLen)
	n.Data = &signatureData{io.NewSectionReader(r, start, sigLen)}
	claims.Add(start, sigLen, "module signature")
	claims.Add(infoOff, moduleSigInfo, "module signature length and type")
	claims.Add(size-int64(len(moduleMarker)), int64(len(moduleMarker)), "module signature marker")
	return n, start
}

// signatureData is a module signature's bytes: a difference in them is
// the signature's, whatever the bytes say.
type signatureData struct{ *io.SectionReader }

func (s *signatureData) Patches() []unpack.Patch {
	return []unpack.Patch{{Range: unpack.Range{Start: 0, End: s.Size()}, Role: roleSignature}}
}
