package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// archivePairs are the pairs of fixtures/archives (see its README.md), each
// with the deepest differences the comparison must report: a part of the
// path, of the reason and of the known causes.
var archivePairs = []struct {
	name, a, b string
	want       [][3]string
}{
	{"zip-X", "zip-X.zip", "zip-extra.zip", [][3]string{{"zip-X.zip :: /etc/tool.conf", "extended mtime", "zip entry time: extended mtime"}}},
	{"zip-mtime", "zip-extra.zip", "zip-mtime.zip", [][3]string{{"zip-extra.zip :: /etc/tool.conf", "mtime", "zip entry time: mtime"}}},
	{"jar-order", "jar-a.jar", "jar-order.jar", [][3]string{{"jar-a.jar :: /org/example", "order only", "order only"}}},
	{"tar-mtime", "tar-a.tar", "tar-mtime.tar", [][3]string{{"tar-a.tar :: /bin/tool", "mtime, checksum", "timestamp: mtime"}}},
	{"tar-order", "tar-a.tar", "tar-order.tar", [][3]string{{"tar-a.tar :: /bin", "order only", "order only"}}},
	{"tar-pax", "tar-a.tar", "tar-pax.tar", [][3]string{{"tar-a.tar :: /share/doc/a-directory-whose-name-is-long-enough/to-need", "pax header name", ""}}},
	{"ar-D", "ar-D.a", "ar-U.a", [][3]string{{"ar-D.a :: init.o", "date, mode", "ar member time: date"}}},
	{"deb-changed", "deb-a.deb", "deb-changed.deb", [][3]string{{"deb-a.deb :: data.tar.gz :: content :: /usr/share/doc/hello/README", "+1 −1 lines", ""}}},
	{"deb-epoch", "deb-a.deb", "deb-epoch.deb", [][3]string{
		{"deb-a.deb :: debian-binary", "date", "ar member time: date"},
		{"deb-a.deb :: data.tar.gz :: content :: /usr/share/doc/hello/README", "mtime", "timestamp: mtime"}}},
	{"png-time", "png-plain.png", "png-time.png", [][3]string{
		{"png-plain.png :: tIME", "only in B", "timestamp: tIME"},
		{"png-plain.png :: tEXt date:create", "only in B", "timestamp: date:create"}}},
	{"png-time-later", "png-time.png", "png-time-later.png", [][3]string{{"png-time.png :: tIME", "tIME", "timestamp: tIME"}}},
	{"png-pixels", "png-plain.png", "png-pixels.png", [][3]string{{"png-plain.png :: [pixels]", "bytes", ""}}},
}

func archiveFixture(name string) string { return filepath.Join("fixtures", "archives", name) }

// TestArchivePairs: each pair of fixtures/archives differs where and why
// it was made to, and says so in the report.
func TestArchivePairs(t *testing.T) {
	for _, p := range archivePairs {
		t.Run(p.name, func(t *testing.T) {
			root := compareFiles(t, archiveFixture(p.a), archiveFixture(p.b))
			got := deepest(root)
			for _, w := range p.want {
				found := false
				for _, d := range got {
					var causes []string
					for _, c := range d.Causes {
						causes = append(causes, c.String())
					}
					if strings.HasPrefix(d.Path(), w[0]) && strings.Contains(d.Reason(), w[1]) && strings.Contains(strings.Join(causes, "; "), w[2]) {
						found = true
					}
				}
				if !found {
					for _, d := range got {
						t.Logf("got %s [%s] %v", d.Path(), d.Reason(), d.Causes)
					}
					t.Errorf("no difference %q [%s] %q", w[0], w[1], w[2])
				}
			}
			if _, _, status := runIsodiff(t, "-q", archiveFixture(p.a), archiveFixture(p.b)); status != 1 {
				t.Errorf("exit status %d, want 1", status)
			}
		})
	}
}

// TestArchiveNoise: the times zip and ar record are among the usual
// suspects --ignore-known-noise hides, chunks that hold nothing but a time
// included.
func TestArchiveNoise(t *testing.T) {
	for _, p := range [][2]string{{"zip-extra.zip", "zip-mtime.zip"}, {"deb-a.deb", "deb-epoch.deb"}, {"png-time.png", "png-time-later.png"}, {"png-plain.png", "png-time.png"}} {
		out, _, status := runIsodiff(t, "--ignore-known-noise", archiveFixture(p[0]), archiveFixture(p[1]))
		if status != 0 || !strings.Contains(out, "identical after filters") {
			t.Errorf("%s: status %d\n%s", p[1], status, out)
		}
	}
}

// TestPNGPixelsReport: two PNGs whose pixels are the same say so; two
// whose pixels differ say how many and where.
func TestPNGPixelsReport(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"png-plain.png", "png-time.png", "note: pixels identical"},
		{"png-plain.png", "png-pixels.png", "note: 2 of 384 pixels differ, within x 5–9, y 3–7"},
	} {
		out, _, _ := runIsodiff(t, archiveFixture(tc.a), archiveFixture(tc.b))
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: report lacks %q:\n%s", tc.b, tc.want, out)
		}
	}
}
