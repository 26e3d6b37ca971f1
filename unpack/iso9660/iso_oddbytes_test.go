package iso9660

import (
	"bytes"
	"isodiff/unpack"
	"os"
	"strings"
	"testing"
)

// TestISOOddBytesShown changes single bytes of an xorriso image that the
// reader used to pass over, and checks that each shows as the field made
// for it, while the unchanged image has none of these fields.
func TestISOOddBytesShown(t *testing.T) {
	orig, err := os.ReadFile("../../fixtures/iso/base-a.iso")
	if err != nil {
		t.Fatal(err)
	}
	const (
		pvd     = 16 * isoSectorSize
		svd     = 18 * isoSectorSize // Joliet
		rootDir = 20 * isoSectorSize
		binDir  = 22 * isoSectorSize
		catalog = 54 * isoSectorSize
	)
	tests := []struct {
		name  string
		off   int64
		value byte
		node  string // path of the node below the layer root
		field string
		want  string // part of the field's value
	}{
		{"big-endian copy", pvd + 87, 0x89, "[volume descriptors]/primary", "volume space size (big-endian copy)", "137"},
		{"odd last byte of a Joliet identifier", svd + 738, ' ', "[volume descriptors]/supplementary (Joliet)", "copyright file id (bytes)", "0020"},
		{"root record in the descriptor", pvd + 156 + 28, 2, "[volume descriptors]/primary", "root directory record", "22"},
		{"\".\" record", binDir + 18, 81, "/bin", "\".\" record", "record time 1981-"},
		{"\"..\" record", binDir + 96 + 18, 81, "/bin", "\"..\" record", "record time 1981-"},
		{"padding byte of the system use area", rootDir + 131, 7, "/", "system use padding", "07"},
		{"last El Torito section header", catalog + 64, 0x90, "[El Torito boot catalog]", "section 1 header", "0x90"},
	}
	// at finds a node by path: in the file tree when it starts with "/",
	// else below the layer root.
	at := func(root *unpack.Node, path string) *unpack.Node {
		if strings.HasPrefix(path, "/") {
			root = root.Child("/")
		}
		return nodeAt(root, path)
	}
	n, err := Open(bytes.NewReader(orig), int64(len(orig)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if c := at(n, tt.node); c == nil {
			t.Errorf("%s: no node %s", tt.name, tt.node)
		} else if _, ok := c.Field(tt.field); ok {
			t.Errorf("%s: %s has %q unchanged", tt.name, tt.node, tt.field)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := bytes.Clone(orig)
			img[tt.off] = tt.value
			root, err := Open(bytes.NewReader(img), int64(len(img)))
			if err != nil {
				t.Fatal(err)
			}
			c := at(root, tt.node)
			if c == nil {
				t.Fatalf("no node %s", tt.node)
			}
			if v, ok := c.Field(tt.field); !ok || !strings.Contains(v, tt.want) {
				t.Errorf("%s: %q = %q (present %v), want it to hold %q; fields %v", tt.node, tt.field, v, ok, tt.want, c.Fields())
			}
		})
	}
}

// TestISOOrdinaryImagesPlain checks that the fields shown only for bytes
// that are not as writers make them appear nowhere in images made by
// xorriso, RRIP 1.09 and 1.12, with and without Rock Ridge.
func TestISOOrdinaryImagesPlain(t *testing.T) {
	odd := []string{"\".\" record", "\"..\" record", "(big-endian copy)", "padding", "SUSP", "(bytes)",
		"joliet identifier", "root directory record", "system use", "extent 2 record", "section 1 header", "unset (zero bytes)"}
	for _, path := range []string{"../../fixtures/iso/base-a.iso", "../../fixtures/iso/rrip-b.iso", "../../fixtures/iso/joliet-a.iso", "../../fixtures/nixos/nixos-a.iso"} {
		img, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		root, err := Open(bytes.NewReader(img), int64(len(img)))
		if err != nil {
			t.Fatal(err)
		}
		var walk func(n *unpack.Node, at string)
		walk = func(n *unpack.Node, at string) {
			for _, f := range n.Fields() {
				for _, o := range odd {
					if strings.Contains(f.Name, o) || strings.Contains(f.Value, o) {
						t.Errorf("%s: %s%s: %s = %.200s", path, at, n.Name, f.Name, f.Value)
					}
				}
			}
			for _, c := range n.Children {
				walk(c, at+n.Name+"/")
			}
		}
		walk(root, "")
	}
}
