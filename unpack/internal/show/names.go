// Package show formats names and modes for display: quoting what does
// not print, joining paths, POSIX modes as ls shows them.
package show

import (
	"fmt"
	"isodiff/unpack"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BadName says why a name cannot be a path element ("" if it can).
func BadName(s string) string {
	// The usual name costs two scans and no allocation.
	if s != "" && s != "." && s != ".." && strings.IndexByte(s, '/') < 0 && strings.IndexByte(s, 0) < 0 {
		return ""
	}
	switch {
	case s == "":
		return "is empty"
	case s == "." || s == "..":
		return "is a path element of its own"
	case strings.ContainsAny(s, "/\x00"):
		return "contains a slash or NUL"
	}
	return ""
}

// JoinPath joins a directory path and a name.
func JoinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// Mode shows a POSIX mode like ls, with the octal permission bits:
// "-rwsr-xr-x (04755)".
func Mode(mode uint32) string {
	var b [10]byte
	b[0] = '?'
	if t, ok := fileTypeOf(uint64(mode)); ok {
		b[0] = t.letter
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if mode&(1<<(8-i)) != 0 {
			b[i+1] = rwx[i]
		} else {
			b[i+1] = '-'
		}
	}
	special := func(bit uint32, at int, set, unset byte) {
		if mode&bit != 0 {
			if b[at] == 'x' {
				b[at] = set
			} else {
				b[at] = unset
			}
		}
	}
	special(0o4000, 3, 's', 'S')
	special(0o2000, 6, 's', 'S')
	special(0o1000, 9, 't', 'T')
	s := fmt.Sprintf("%s (0%04o)", b[:], mode&0o7777)
	if mode&^0o177777 != 0 {
		s += fmt.Sprintf(" [raw 0%o]", mode)
	}
	return s
}

// Printable says whether s is valid UTF-8 of printable runes only (U+FFFD,
// which stands for bytes that are not UTF-8, excepted), so that control
// characters can neither garble a report nor hide.
func Printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// Quote returns s as it is when it is printable, else Go-quoted.
func Quote(s string) string {
	if Printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// QuoteName is Quote for a name, where an empty one must show too: "".
func QuoteName(s string) string {
	if s == "" {
		return `""`
	}
	return Quote(s)
}

// PathComponents splits a member name into the components of its path in
// the tree: empty and "." components dropped, so "./a//b/" is a/b and "."
// is the root.
func PathComponents(raw string) []string {
	var comps []string
	for _, c := range strings.Split(raw, "/") {
		if c != "" && c != "." {
			comps = append(comps, c)
		}
	}
	return comps
}

// KnownFileType reports whether the file type bits of a mode are those of
// a known type; Mode shows any other as "?".
func KnownFileType(t uint64) bool {
	_, ok := fileTypeOf(t)
	return ok
}

// ModeType is the node type of a POSIX file mode.
func ModeType(mode uint32) unpack.Type {
	if t, ok := fileTypeOf(uint64(mode)); ok {
		return t.typ
	}
	return unpack.TypeFile
}

// fileType is a POSIX file type (the S_IFMT bits of a mode), with the
// letter ls shows for it and the type of Node.
type fileType struct {
	bits   uint64
	letter byte
	typ    unpack.Type
}

var fileTypes = [...]fileType{
	{0o100000, '-', unpack.TypeFile},
	{0o040000, 'd', unpack.TypeDir},
	{0o120000, 'l', unpack.TypeSymlink},
	{0o020000, 'c', unpack.TypeCharDevice},
	{0o060000, 'b', unpack.TypeBlockDevice},
	{0o010000, 'p', unpack.TypeFifo},
	{0o140000, 's', unpack.TypeSocket},
}

// fileTypeOf finds the file type of a mode's S_IFMT bits.
func fileTypeOf(mode uint64) (t fileType, ok bool) {
	for _, t := range fileTypes {
		if mode&0o170000 == t.bits {
			return t, true
		}
	}
	return t, false
}
