package ui

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestShortName(t *testing.T) {
	for _, c := range []struct {
		name string
		room int
		want string
	}{
		{"wzjqqxji7hlicx1gdgzmwzvv2cy3kx20-python3-3.13.5", 60, "wzjqqxji7hlicx1gdgzmwzvv2cy3kx20-python3-3.13.5"},
		{"wzjqqxji7hlicx1gdgzmwzvv2cy3kx20-python3-3.13.5", 30, "wzjq…3kx20-python3-3.13.5"},
		{"wzjqqxji7hlicx1gdgzmwzvv2cy3kx20-python3-3.13.5", 20, "…-python3-3.13.5"},
		{"wzjqqxji7hlicx1gdgzmwzvv2cy3kx20-python3-3.13.5", 12, "…-py…-3.13.5"},
		{"decoder.cpython-313.pyc", 15, "decod…n-313.pyc"},
		{"データベース設定ファイル.conf", 15, "デー…イル.conf"},
	} {
		got := shortName(c.name, c.room)
		if got != c.want || ansi.StringWidth(got) > c.room {
			t.Errorf("shortName(%q, %d) = %q (%d cells), want %q", c.name, c.room, got, ansi.StringWidth(got), c.want)
		}
	}
}

func TestShortPath(t *testing.T) {
	for _, c := range []struct {
		p, other string
		room     int
		want     string
	}{
		{"fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-pyc.iso", 40, "fixtures/nixos/nixos-a.iso"},
		{"fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-pyc.iso", 20, "…/nixos-a.iso"},
		{"/build/one/result/iso/nixos.iso", "/build/two/result/iso/nixos.iso", 28, "…/one/result/iso/nixos.iso"},
		{"/build/one/result/iso/nixos.iso", "/build/two/result/iso/nixos.iso", 20, "…/one/…/nixos.iso"},
	} {
		if got := shortPath(c.p, c.other, c.room); got != c.want {
			t.Errorf("shortPath(%q, %q, %d) = %q, want %q", c.p, c.other, c.room, got, c.want)
		}
	}
}
