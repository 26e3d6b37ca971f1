// Package localdir reads a directory of the local file system as a tree
// of Nodes, for comparing an unpacked tree with an image or another tree.
package localdir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"isodiff/unpack"
	"isodiff/unpack/internal/show"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// OpenDir reads a directory tree of the local filesystem, such as the
// <out> and <out>.check trees that nix-build --check --keep-failed leaves.
// File content is read when compared, one file at a time, so that no
// number of files exhausts file descriptors. Access and change times and
// inode numbers are left out: they differ between any two copies.
func Open(root string) (*unpack.Node, error) {
	// The root may be a symlink (nix-build's result); entries below are
	// taken as they are.
	st, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("not a directory")
	}
	top := &unpack.Node{Type: unpack.TypeRecord, Layer: "local", Offset: -1}
	tree := dirNode("/", root, st)
	links := map[[2]uint64]string{}
	readDirTree(tree, root, "/", links)
	top.Children = []*unpack.Node{tree}
	top.Sort()
	return top, nil
}

func readDirTree(n *unpack.Node, dir, path string, links map[[2]uint64]string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		// The input is as it is; this machine cannot read it.
		n.Err = &unpack.LocalError{Op: "listing " + dir, Err: unwrapPathError(err)}
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		full := filepath.Join(dir, e.Name())
		childPath := path + e.Name()
		st, err := os.Lstat(full)
		if err != nil {
			n.Children = append(n.Children, &unpack.Node{Name: e.Name(), Type: unpack.TypeFile, Layer: "local", Offset: -1,
				Err: &unpack.LocalError{Op: "reading " + full, Err: unwrapPathError(err)}})
			continue
		}
		c := dirNode(e.Name(), full, st)
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && st.Mode().IsRegular() && sys.Nlink > 1 {
			key := [2]uint64{uint64(sys.Dev), uint64(sys.Ino)}
			if first, seen := links[key]; seen {
				c.AddField("hard link of", "%s", first)
			} else {
				links[key] = childPath
			}
		}
		if st.IsDir() {
			readDirTree(c, full, childPath+"/", links)
		}
		n.Children = append(n.Children, c)
	}
}

func dirNode(name, full string, st fs.FileInfo) *unpack.Node {
	n := &unpack.Node{Name: name, Layer: "local", Offset: -1}
	mode := uint32(st.Mode().Perm())
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		mode = uint32(sys.Mode) // uint16 on the BSDs
		n.Type = show.ModeType(mode)
		n.AddField("mode", "%s", show.Mode(mode))
		n.AddField("uid", "%d", sys.Uid)
		n.AddField("gid", "%d", sys.Gid)
		if n.Type == unpack.TypeCharDevice || n.Type == unpack.TypeBlockDevice {
			rdev := uint64(sys.Rdev)
			n.AddField("rdev", "%d,%d", (rdev>>8)&0xfff, (rdev&0xff)|((rdev>>12)&0xfff00))
		}
	} else {
		n.Type = unpack.TypeFile
		if st.IsDir() {
			n.Type = unpack.TypeDir
		}
	}
	if n.Type == unpack.TypeFile {
		n.AddRoleField(unpack.RoleDerived, "size", "%d", st.Size())
		n.Data = &localFile{path: full, size: st.Size()}
	}
	n.AddRoleField(unpack.RoleTime, "mtime", "%s", st.ModTime().UTC().Format(time.RFC3339Nano))
	if n.Type == unpack.TypeSymlink {
		target, err := os.Readlink(full)
		if err != nil {
			n.Err = err
		}
		n.AddField("link target", "%s", target)
	}
	return n
}

// localFile reads a file of the local filesystem on demand, opening it
// for each read.
type localFile struct {
	path string
	size int64
}

func (f *localFile) Size() int64 { return f.size }

func (f *localFile) ReadAt(p []byte, off int64) (int, error) {
	// Non-blocking: a file replaced by a FIFO since it was listed must
	// not hang the comparison.
	h, err := os.OpenFile(f.path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	if off >= f.size {
		return 0, io.EOF
	}
	if rest := f.size - off; int64(len(p)) > rest {
		p = p[:rest]
		n, err := h.ReadAt(p, off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return h.ReadAt(p, off)
}

// unwrapPathError drops an *fs.PathError's path where the message names
// the path already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
