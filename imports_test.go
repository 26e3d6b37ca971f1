package main

import (
	"os/exec"
	"path"
	"strings"
	"testing"
)

// nests lists the format packages whose format holds another's: the only
// imports allowed between format packages.
var nests = map[string][]string{
	"unpack/initramfs": {"unpack/cpio", "unpack/compress"},
	// An x86 bzImage with an EFI stub holds PE headers in its boot sector.
	"unpack/bzimage": {"unpack/pe"},
	// The first 32 KiB of an ISO 9660 image, its system area, hold the
	// MBR and GPT of a hybrid image.
	"unpack/iso9660": {"unpack/partition"},
}

// TestImportsRunOneWay checks the layering of the packages: main -> ui ->
// diff -> unpack; a format package imports the contract (unpack), the
// shared plumbing (unpack/internal/...) and, where its format nests
// another, that format's package; the contract imports no package of the
// module; only unpack/formats names every format; nothing below ui knows
// of terminals.
func TestImportsRunOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "isodiff"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], mod), "/")
		for _, imp := range fields[1:] {
			if why := forbidden(pkg, imp, mod); why != "" {
				t.Errorf("%s imports %s: %s", fields[0], imp, why)
			}
		}
	}
}

// forbidden says why package pkg (relative to the module) may not import
// imp, "" when it may.
func forbidden(pkg, imp, mod string) string {
	terminal := strings.HasPrefix(imp, "github.com/charmbracelet/") || strings.HasPrefix(imp, "github.com/muesli/")
	if imp != mod && !strings.HasPrefix(imp, mod+"/") {
		if terminal && (pkg == "diff" || strings.HasPrefix(pkg, "unpack")) {
			return "only ui knows of terminals"
		}
		return ""
	}
	imp = strings.TrimPrefix(strings.TrimPrefix(imp, mod), "/")
	isFormat := func(p string) bool {
		return strings.HasPrefix(p, "unpack/") && p != "unpack/formats" && !strings.HasPrefix(p, "unpack/internal")
	}
	switch {
	case pkg == "unpack":
		return "the contract imports no package of the module"
	case strings.HasPrefix(pkg, "unpack/internal"):
		if imp != "unpack" && !strings.HasPrefix(imp, "unpack/internal") {
			return "shared plumbing imports only the contract and other plumbing"
		}
	case pkg == "unpack/formats":
		if imp != "unpack" && !isFormat(imp) {
			return "the list of formats imports only the contract and the formats"
		}
	case isFormat(pkg):
		switch {
		case imp == "unpack", strings.HasPrefix(imp, "unpack/internal"):
		case isFormat(imp):
			for _, n := range nests[pkg] {
				if imp == n {
					return ""
				}
			}
			return "a format package imports another only where its format nests it (see nests)"
		default:
			return "a format package imports only the contract, the plumbing and nested formats"
		}
	case pkg == "diff":
		if imp != "unpack" {
			return "diff knows formats only through the contract and the list it is given"
		}
	case pkg == "ui":
		if imp != "diff" && imp != "unpack" {
			return "ui presents the comparison: it imports diff and the contract"
		}
	case pkg == "":
		// main wires everything together.
	default:
		if path.Dir(pkg) != "." {
			return "unknown package: add it to the layering rules"
		}
	}
	return ""
}

func TestImportRules(t *testing.T) {
	for _, tc := range []struct {
		pkg, imp string
		ok       bool
	}{
		{"unpack", "isodiff/unpack/cpio", false},
		{"unpack/cpio", "isodiff/unpack/compress", false},
		{"unpack/initramfs", "isodiff/unpack/compress", true},
		{"unpack/initramfs", "isodiff/unpack/formats", false},
		{"unpack/compress", "isodiff/unpack/internal/readat", true},
		{"unpack/internal/show", "isodiff/unpack/cpio", false},
		{"diff", "isodiff/unpack/formats", false},
		{"diff", "github.com/charmbracelet/bubbletea", false},
		{"unpack/cpio", "github.com/charmbracelet/lipgloss", false},
		{"ui", "github.com/charmbracelet/lipgloss", true},
		{"ui", "isodiff/unpack/formats", false},
		{"", "isodiff/unpack/formats", true},
	} {
		if got := forbidden(tc.pkg, tc.imp, "isodiff") == ""; got != tc.ok {
			t.Errorf("%s -> %s: allowed %v, want %v", tc.pkg, tc.imp, got, tc.ok)
		}
	}
}
