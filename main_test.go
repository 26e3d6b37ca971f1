package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"golang.org/x/sys/unix"

	"isodiff/diff"
	"isodiff/ui"
	"isodiff/unpack"
)

// fixturePairs are the committed image pairs (see fixtures/README.md) and
// what the report must say of each.
var fixturePairs = []struct {
	name, a, b string
	status     int
}{
	{"identical", "base-a.iso", "base-b.iso", 0},
	{"text", "base-a.iso", "text-b.iso", 1},
	{"binary", "base-a.iso", "binary-b.iso", 1},
	{"added-removed", "base-a.iso", "addrm-b.iso", 1},
	{"mode-mtime", "base-a.iso", "meta-b.iso", 1},
	{"volume-id", "base-a.iso", "volid-b.iso", 1},
	{"volume-date", "base-a.iso", "voldate-b.iso", 1},
	{"eltorito", "base-a.iso", "eltorito-b.iso", 1},
	{"gpt", "base-a.iso", "gpt-b.iso", 1},
	{"mbr", "base-a.iso", "mbr-b.iso", 1},
	{"layout", "base-a.iso", "layout-b.iso", 1},
	{"rock-ridge-encoding", "base-a.iso", "rrip-b.iso", 1},
	{"joliet", "joliet-a.iso", "joliet-b.iso", 1},
	{"plain", "plain-a.iso", "plain-b.iso", 1},
	{"elf-build-id", "../elf/hello-a", "../elf/hello-buildid", 1},
	{"elf-function", "../elf/hello-a", "../elf/hello-func", 1},
	{"elf-date", "../elf/hello-a", "../elf/hello-date", 1},
	{"elf-stripped", "../elf/hello-a", "../elf/hello-stripped", 1},
	{"elf-arm64-function", "../elf/hello-arm64-a", "../elf/hello-arm64-func", 1},
	{"elf-module-signature", "../elf/module-a.ko", "../elf/module-b.ko", 1},
	{"pe-timestamp", "../pe/hello-a.exe", "../pe/hello-time.exe", 1},
	{"pe-code", "../pe/hello-a.exe", "../pe/hello-code.exe", 1},
	{"efi-app", "../pe/efi-a.efi", "../pe/efi-b.efi", 1},
	{"uki-cmdline", "../pe/uki-a.efi", "../pe/uki-cmdline.efi", 1},
	{"uki-initrd", "../pe/uki-a.efi", "../pe/uki-initrd.efi", 1},
	{"twobuilds", "../twobuilds/live-a.iso", "../twobuilds/live-b.iso", 1},
}

// fixture is the path of an ISO fixture, or of another directory's
// fixture named with its directory ("../pe/hello-a.exe", "../nixos/nixos-a.iso").
func fixture(t *testing.T, name string) string {
	t.Helper()
	// Names are of fixtures/iso; those of another directory start with
	// "../" ("../elf/hello-a").
	p := filepath.Clean(filepath.Join("fixtures", "iso", name))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing: %v (rebuild with fixtures/build.sh)", p, err)
	}
	return p
}

// runIsodiff runs the command in-process, as main would.
func runIsodiff(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), status
}

func TestFixtureReports(t *testing.T) {
	for _, p := range fixturePairs {
		t.Run(p.name, func(t *testing.T) {
			a, b := fixture(t, p.a), fixture(t, p.b)
			out, errs, status := runIsodiff(t, a, b)
			if status != p.status {
				t.Fatalf("exit status %d, want %d; stderr: %s", status, p.status, errs)
			}
			if errs != "" {
				t.Errorf("stderr: %s", errs)
			}
			golden.RequireEqual(t, out)
		})
	}
	for _, p := range archivePairs {
		t.Run(p.name, func(t *testing.T) {
			out, errs, status := runIsodiff(t, archiveFixture(p.a), archiveFixture(p.b))
			if status != 1 || errs != "" {
				t.Fatalf("exit status %d, want 1; stderr: %s", status, errs)
			}
			golden.RequireEqual(t, out)
		})
	}
}

// buildBinary builds the isodiff command once for the exit status tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "isodiff")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func exitStatus(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	return runCommand(t, exec.Command(bin, args...))
}

// runCommand runs cmd and returns its exit status and output.
func runCommand(t *testing.T, cmd *exec.Cmd) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// badInputs writes the broken inputs the command must refuse or mark.
func badInputs(t *testing.T, base string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	img, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rnd := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	zeroPVD := bytes.Clone(img)
	clear(zeroPVD[16*2048 : 17*2048])
	catalogPastEnd := bytes.Clone(img)
	// The boot record (sector 17 in xorriso images) points at the catalog
	// with a little-endian LBA at byte 71.
	for s := 17; s < 32; s++ {
		vd := catalogPastEnd[s*2048 : (s+1)*2048]
		if vd[0] == 0 && bytes.HasPrefix(vd[7:], []byte("EL TORITO SPECIFICATION")) {
			binary.LittleEndian.PutUint32(vd[71:], uint32(len(img)/2048+100))
			break
		}
	}
	return map[string]string{
		"missing":          filepath.Join(dir, "no-such.iso"),
		"directory":        dir,
		"empty":            write("empty.iso", nil),
		"random":           write("random.bin", rnd),
		"truncated-40k":    write("trunc40k.iso", img[:40*1024]),
		"truncated-half":   write("trunchalf.iso", img[:len(img)/2]),
		"zeroed-pvd":       write("zeropvd.iso", zeroPVD),
		"catalog-past-end": write("catalog.iso", catalogPastEnd),
	}
}

func TestBadInput(t *testing.T) {
	bin := buildBinary(t)
	base := fixture(t, "base-a.iso")
	bad := badInputs(t, base)
	for _, tc := range []struct {
		name   string
		status int
		stderr string // a part of the one-line error, "" when none
		report string // a part of the report, "" when none
	}{
		{"missing", 2, "B: " + bad["missing"] + ": no such file or directory", ""},
		{"directory", 2, "is a directory", ""},
		{"empty", 1, "", "B is not a format isodiff unpacks"},
		{"random", 1, "", "B is not a format isodiff unpacks"},
		{"truncated-40k", 1, "", "could not be read"},
		{"truncated-half", 1, "", "could not be read"},
		{"zeroed-pvd", 1, "", "B is not a format isodiff unpacks"},
		{"catalog-past-end", 1, "", "El Torito"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out, errs := exitStatus(t, bin, base, bad[tc.name])
			if status != tc.status {
				t.Fatalf("exit status %d, want %d\nstderr: %s\nstdout: %s", status, tc.status, errs, out)
			}
			if tc.status == 2 {
				lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
				if len(lines) != 1 || !strings.HasPrefix(lines[0], "isodiff: B: ") {
					t.Errorf("want one error line naming input B, got %q", errs)
				}
				if out != "" {
					t.Errorf("report written although nothing was compared: %q", out)
				}
			}
			if !strings.Contains(errs, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", errs, tc.stderr)
			}
			if !strings.Contains(out, tc.report) {
				t.Errorf("report does not contain %q:\n%s", tc.report, out)
			}
		})
	}
}

func TestExitStatus(t *testing.T) {
	bin := buildBinary(t)
	a, a2 := fixture(t, "base-a.iso"), fixture(t, "base-b.iso")
	if status, out, errs := exitStatus(t, bin, a, a2); status != 0 || out != "" || errs != "" {
		t.Errorf("identical: status %d, stdout %q, stderr %q; want 0 and no output", status, out, errs)
	}
	if status, out, _ := exitStatus(t, bin, "-q", a, a2); status != 0 || out != "" {
		t.Errorf("identical -q: status %d out %q", status, out)
	}
	for _, p := range fixturePairs {
		if p.status != 1 {
			continue
		}
		status, out, errs := exitStatus(t, bin, "-q", fixture(t, p.a), fixture(t, p.b))
		if status != 1 || out != "" || errs != "" {
			t.Errorf("%s -q: status %d stdout %q stderr %q", p.name, status, out, errs)
		}
	}
	if status, _, errs := exitStatus(t, bin, a); status != 2 || !strings.Contains(errs, "want two inputs") {
		t.Errorf("one argument: status %d stderr %q", status, errs)
	}
	if status, _, errs := exitStatus(t, bin, "--could-not-compare-status", "125", a, "/nonexistent"); status != 125 {
		t.Errorf("--could-not-compare-status 125: status %d stderr %q", status, errs)
	}
	if status, out, _ := exitStatus(t, bin, "--help"); status != 0 || !strings.Contains(out, "Exit status: 0 identical") {
		t.Errorf("--help: status %d", status)
	}
	// Flags may follow the inputs, as with git; after "--" everything is
	// an input, even a name starting with a dash.
	diffA, diffB := fixture(t, fixturePairs[1].a), fixture(t, fixturePairs[1].b)
	if status, out, errs := exitStatus(t, bin, diffA, diffB, "-q"); status != 1 || out != "" {
		t.Errorf("A B -q: status %d stdout %q stderr %q", status, out, errs)
	}
	if status, _, errs := exitStatus(t, bin, "-q", "--", a, "-q"); status != 2 || !strings.Contains(errs, "B: -q: no such file") {
		t.Errorf("-q -- A -q: status %d stderr %q; want B named -q, missing", status, errs)
	}
	if status, _, errs := exitStatus(t, bin, a, "-q", a2, a); status != 2 || !strings.Contains(errs, "want two inputs, got 3") {
		t.Errorf("three inputs around a flag: status %d stderr %q", status, errs)
	}
}

func TestTextToFile(t *testing.T) {
	p := fixturePairs[1]
	dir := t.TempDir()
	for _, flag := range []string{"--text", "--markdown", "--html"} {
		file := filepath.Join(dir, "report")
		out, _, status := runIsodiff(t, flag, file, fixture(t, p.a), fixture(t, p.b))
		if status != p.status || out != "" {
			t.Fatalf("%s: status %d stdout %q", flag, status, out)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want, _, _ := runIsodiff(t, flag, "-", fixture(t, p.a), fixture(t, p.b))
		if string(got) != want || want == "" {
			t.Errorf("%s FILE differs from the report on standard output", flag)
		}
	}
}

// TestDirectories compares two trees as nix-build --check leaves them.
func TestDirectories(t *testing.T) {
	mk := func(root, greeting string) {
		for _, d := range []string{"bin", "share/doc"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		files := map[string]string{"bin/hello": "#!/bin/sh\necho " + greeting + "\n", "share/doc/README": "same\n"}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o444); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink("bin/hello", filepath.Join(root, "hello")); err != nil {
			t.Fatal(err)
		}
		setMtimes(t, root)
	}
	dir := t.TempDir()
	out, outCheck := filepath.Join(dir, "out"), filepath.Join(dir, "out.check")
	mk(out, "hello")
	mk(outCheck, "hello")
	if stdout, errs, status := runIsodiff(t, out, outCheck); status != 0 || stdout != "" || errs != "" {
		t.Fatalf("identical trees: status %d stdout %q stderr %q", status, stdout, errs)
	}
	os.Chmod(filepath.Join(outCheck, "bin/hello"), 0o644)
	os.WriteFile(filepath.Join(outCheck, "bin/hello"), []byte("#!/bin/sh\necho bye\n"), 0o444)
	setMtimes(t, outCheck)
	stdout, errs, status := runIsodiff(t, out, outCheck)
	if status != 1 || errs != "" {
		t.Fatalf("status %d stderr %q", status, errs)
	}
	for _, want := range []string{"out :: /bin/hello", "-echo hello", "+echo bye", "1 difference: 1 modified"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
}

// setMtimes sets every time in a tree to 1 s past the epoch, as in the
// Nix store, symlinks included.
func setMtimes(t *testing.T, root string) {
	t.Helper()
	ts := []unix.Timespec{{Sec: 1}, {Sec: 1}}
	filepath.Walk(root, func(p string, _ os.FileInfo, _ error) error {
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
		return nil
	})
}

// interactiveModel starts the UI on a fixture pair as the command does on
// a terminal, with colour off.
func interactiveModel(t *testing.T, a, b string, w, h int) *teatest.TestModel {
	t.Helper()
	cfg, pa, pb, err := parseFlags([]string{fixture(t, a), fixture(t, b)}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	env := &unpack.Env{TempDir: t.TempDir()}
	t.Cleanup(func() { env.Close() })
	m, stop := startInteractive(context.Background(), cfg, pa, pb, env, lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.Ascii)))
	t.Cleanup(stop)
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
}

func TestInteractiveWalk(t *testing.T) {
	tm := interactiveModel(t, "../nixos/nixos-a.iso", "../nixos/nixos-pyc.iso", 120, 40)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("3 differences: 3 modified")) },
		teatest.WithDuration(10*time.Second))
	// The first difference (the squashfs) is selected when the comparison
	// ends; n moves to the .pyc inside it, whose hex view shows the changed
	// mtime field.
	tm.Type("n")
	tm.Type("x")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("decoder.cpython-313.pyc")) && bytes.Contains(b, []byte("known cause: pyc header: mtime")) &&
			bytes.Contains(b, []byte("00 f1 53 65"))
	}, teatest.WithDuration(5*time.Second))
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(ui.Model)
	if st := interactiveStatus(final.Outcome()); st != 1 {
		t.Errorf("exit status %d, want 1", st)
	}
}

func TestInteractiveQuitStatus(t *testing.T) {
	tm := interactiveModel(t, "base-a.iso", "base-b.iso", 80, 24)
	// The status bar says "done" when the comparison ends; at 80 columns
	// its "identical" may be cut, by as much as the elapsed time is wide.
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("done ·")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(ui.Model)
	if st := interactiveStatus(final.Outcome()); st != 0 {
		t.Errorf("exit status %d, want 0", st)
	}
}

// allFixturePairs are the paths of every fixture pair with a golden
// report: the ISO pairs and the NixOS variants against nixos-a.iso.
func allFixturePairs(t *testing.T) [][2]string {
	var pairs [][2]string
	for _, p := range fixturePairs {
		pairs = append(pairs, [2]string{fixture(t, p.a), fixture(t, p.b)})
	}
	for _, v := range nixosVariants {
		pairs = append(pairs, [2]string{"fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-" + v.name + ".iso"})
	}
	return pairs
}

// TestParallelSameAsSerial: the report does not depend on the schedule.
func TestParallelSameAsSerial(t *testing.T) {
	for _, p := range allFixturePairs(t) {
		serial, _, _ := runIsodiff(t, "-j", "1", p[0], p[1])
		for range 3 {
			parallel, _, _ := runIsodiff(t, "-j", "8", p[0], p[1])
			if parallel != serial {
				t.Fatalf("%s: -j 8 report differs from -j 1", p[1])
			}
		}
	}
}

// TestDifferencesOnly: the report leaves identical pairs out of the tree
// and lets the unpacked trees go as it compares; what it writes is the
// same as from the whole tree the interactive view keeps.
func TestDifferencesOnly(t *testing.T) {
	for _, p := range allFixturePairs(t) {
		whole := compareFiles(t, p[0], p[1])
		diff.FoldMirrors(whole) // as isodiff does before a report
		kept, all := 0, 0
		whole.Walk(func(*diff.Node) bool { all++; return true })
		var buf bytes.Buffer
		input := func(path string) ui.Input {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			return ui.Input{Path: path, Size: st.Size()}
		}
		if err := ui.WriteText(&buf, input(p[0]), input(p[1]), whole, ui.DefaultReportOptions()); err != nil {
			t.Fatal(err)
		}
		report, _, _ := runIsodiff(t, p[0], p[1])
		if buf.String() != report {
			t.Errorf("%s: the report from the whole tree differs from isodiff's", p[1])
		}
		lean := compareFilesWith(t, p[0], p[1], func(o *diff.Options) { o.DifferencesOnly = true })
		lean.Walk(func(n *diff.Node) bool {
			kept++
			if n.Parent != nil && n.State == diff.Same && len(n.Children) == 0 && !n.Placed() && !n.NameRespelled() && len(n.Notes) == 0 && !n.Unreadable() {
				t.Errorf("%s: identical pair kept: %s", p[1], n.Path())
			}
			return true
		})
		if kept >= all {
			t.Errorf("%s: %d pairs kept of %d", p[1], kept, all)
		}
	}
}

// compareFiles compares two images as the command does.
func compareFiles(t *testing.T, a, b string) *diff.Node {
	t.Helper()
	return compareFilesWith(t, a, b, func(*diff.Options) {})
}

// compareFilesWith compares two images with changed options.
func compareFilesWith(t *testing.T, a, b string, set func(*diff.Options)) *diff.Node {
	t.Helper()
	cfg, pa, pb, err := parseFlags([]string{a, b}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	set(&cfg.opt)
	env := &unpack.Env{TempDir: t.TempDir()}
	defer env.Close()
	cfg.opt.Env = env
	c := runComparison(context.Background(), cfg, pa, pb, env)
	defer c.close()
	if len(c.errs) > 0 {
		t.Fatal(c.errs)
	}
	return c.root
}

// deepest lists the pairs that carry differences of their own with no
// such pair below them: where the differences really are.
func deepest(root *diff.Node) []*diff.Node {
	var out []*diff.Node
	var walk func(n *diff.Node) bool
	walk = func(n *diff.Node) bool {
		below := false
		if n.State != diff.Added && n.State != diff.Removed {
			for _, c := range n.Children {
				if walk(c) {
					below = true
				}
			}
		}
		if n.State != diff.Same && n.OwnDifferences() && !below {
			out = append(out, n)
			return true
		}
		return below || (n.State != diff.Same && n.OwnDifferences())
	}
	walk(root)
	return out
}

// Store paths of the NixOS-like fixtures (fixtures/build-nixos.sh).
const (
	storePython   = "/g3nd7j0vqw8bgljxdw408s7y6l95a9hy-python3-3.13.5"
	storeCoreutil = "/jbz78dbz8vc198w76yzryfwgs9c9rd24-coreutils-9.7"
	storeTzdata   = "/jw970wan9ski0qw3lvhrksaswn5vi7rx-tzdata-2025b"
	storeInitrd   = "/5wdmfs0qk73lrwbhs24irj1qmb0l0ks3-initrd-linux-6.12"
	storeZstd     = "/dcmvbmpmwbqc4r9jj923zc9q9m7x6v5z-zstd-1.5.7"
	storeModules  = "/nnb7b6p9zcz3zkax74vby6wfz8cxrwmx-linux-6.12-modules"
	stage1        = "/nix/store/azkzvahy88r8qir5ha51h1np23d4zgj4-stage-1-init.sh"
	extraUtilsBin = "/nix/store/1c50iwc5nr54kpb0mxrc90qdy9jfm187-extra-utils/bin"
	modulesKernel = "/nix/store/ii9qjkq5akf2jjwj2ac4kd7rns9i7ac9-linux-6.12-modules-shrunk/lib/modules/6.12/kernel"
	isoInitrd     = "nixos-a.iso :: /boot/nix/store" + storeInitrd + "/initrd :: content :: "
	sqfs          = "nixos-a.iso :: /nix-store.squashfs :: "
	sqfsInitrd    = sqfs + storeInitrd + "/initrd :: content :: "
	registration  = sqfs + "/nix-path-registration"
	ukiInitrd     = "nixos-a.iso :: /boot/efi.img :: /EFI/Linux/nixos-generation-1.efi :: .initrd :: content :: "
	ukiHeader     = "nixos-a.iso :: /boot/efi.img :: /EFI/Linux/nixos-generation-1.efi :: optional header"
)

// nixosVariants: for each variant of the NixOS-like image, every deepest
// difference the comparison must report (path, then a part of its reason
// and of its known causes), and nothing else.
var nixosVariants = []struct {
	name string
	want [][3]string
}{
	{"b", nil},
	{"pyc", [][3]string{
		{sqfs + storePython + "/lib/python3.13/json/__pycache__/decoder.cpython-313.pyc", "4 bytes differ at 0x8", "pyc header: mtime"},
		{registration, "+1 −1 lines", ""},
	}},
	{"manpage", [][3]string{
		{sqfs + storeCoreutil + "/share/man/man1/ls.1.gz", "gzip mtime, gzip name; content identical", "gzip header: flags, mtime, name"},
		{registration, "+2 −2 lines", ""},
	}},
	{"initrd-member", [][3]string{
		{ukiInitrd + stage1, "+1 −1 lines", ""},
		{ukiHeader, "CheckSum", ""},
		{isoInitrd + stage1, "+1 −1 lines", ""},
		{sqfsInitrd + stage1, "+1 −1 lines", ""},
		{registration, "+1 −1 lines", ""},
	}},
	{"initrd-order", [][3]string{
		{ukiInitrd + extraUtilsBin, "order only", "order only"},
		{ukiInitrd + modulesKernel, "order only", "order only"},
		{ukiHeader, "CheckSum", ""},
		{isoInitrd + extraUtilsBin, "order only", "order only"},
		{isoInitrd + modulesKernel, "order only", "order only"},
		{sqfsInitrd + extraUtilsBin, "order only", "order only"},
		{sqfsInitrd + modulesKernel, "order only", "order only"},
		{registration, "+2 −2 lines", ""},
		{"nixos-a.iso :: [Joliet tree]/boot/nix/store" + storeInitrd + "/initrd", "size", ""},
	}},
	{"initrd-dotslash", [][3]string{
		{ukiInitrd + "/", "implied", "timestamp: mtime"},
		{ukiHeader, "CheckSum", ""},
		{isoInitrd + "/", "implied", "timestamp: mtime"},
		{sqfsInitrd + "/", "implied", "timestamp: mtime"},
		{registration, "+2 −2 lines", ""},
		{"nixos-a.iso :: [Joliet tree]/boot/nix/store" + storeInitrd + "/initrd", "size", ""},
	}},
	{"store-mode", [][3]string{
		{sqfs + storeTzdata + "/share/zoneinfo/UTC", "mode, mtime", "timestamp: mtime"},
	}},
	{"squashfs-sort", [][3]string{
		{"nixos-a.iso :: /nix-store.squashfs", "moved or renumbered; content identical", "layout"},
	}},
	{"grubcfg", [][3]string{
		{"nixos-a.iso :: /boot/efi.img :: /EFI/BOOT/grub.cfg", "+1 −1 lines", ""},
	}},
	{"fat-serial", [][3]string{
		{"nixos-a.iso :: /boot/efi.img", "fat volume id; content identical", "FAT serial"},
	}},
	{"relayout", [][3]string{
		{"nixos-a.iso :: /.boot.cat", "2 bytes in 2 regions", "layout: bytes 0x28-0x68"},
		{"nixos-a.iso :: /isolinux/isolinux.bin", "1 byte differs at 0xc", "El Torito boot-info-table: byte 0xc"},
		{"nixos-a.iso :: [system area]/GPT", "header CRC32, entries CRC32", ""},
		{"nixos-a.iso :: [system area]/GPT backup", "header CRC32, entries CRC32", ""},
		{"nixos-a.iso :: [system area]/MBR/boot code", "1 byte differs at 0x1b0", "layout: byte 0x1b0"},
	}},
	// Inside the store's binaries: the function of a stripped library (named
	// from .dynsym), a module's appended signature under xz, and a UKI's
	// command line on the ESP (its CheckSum derived from it).
	{"so", [][3]string{
		{sqfs + storeZstd + "/lib/libzstd.so.1.5.7 :: .text :: isodiff_version", "+1 −1 lines", ""},
		{registration, "+1 −1 lines", ""},
	}},
	{"module-sig", [][3]string{
		{registration, "+2 −2 lines", ""},
		{sqfs + storeModules + "/lib/modules/6.12/kernel/fs/squashfs/squashfs.ko.xz :: content :: [module signature]", "bytes in 2 regions", "module signature"},
	}},
	{"uki-cmdline", [][3]string{
		{"nixos-a.iso :: /boot/efi.img :: /EFI/Linux/nixos-generation-1.efi :: .cmdline", "+1 −1 lines", ""},
		{"nixos-a.iso :: /boot/efi.img :: /EFI/Linux/nixos-generation-1.efi :: optional header", "CheckSum", ""},
	}},
}

func TestNixOSVariants(t *testing.T) {
	for _, v := range nixosVariants {
		t.Run(v.name, func(t *testing.T) {
			b := "fixtures/nixos/nixos-" + v.name + ".iso"
			root := compareFiles(t, "fixtures/nixos/nixos-a.iso", b)
			got := deepest(root)
			if len(got) != len(v.want) {
				for _, d := range got {
					t.Logf("got %s [%s]", d.Path(), d.Reason())
				}
				t.Fatalf("%d deepest differences, want %d", len(got), len(v.want))
			}
			for i, w := range v.want {
				d := got[i]
				var causes []string
				for _, c := range d.Causes {
					causes = append(causes, c.String())
				}
				if d.Path() != w[0] || !strings.Contains(d.Reason(), w[1]) || !strings.Contains(strings.Join(causes, "; "), w[2]) {
					t.Errorf("difference %d:\n got %s [%s] %q\nwant %s [%s] %q", i, d.Path(), d.Reason(), causes, w[0], w[1], w[2])
				}
			}
			out, _, status := runIsodiff(t, "fixtures/nixos/nixos-a.iso", b)
			if want := map[bool]int{true: 0, false: 1}[v.want == nil]; status != want {
				t.Errorf("exit status %d, want %d", status, want)
			}
			golden.RequireEqual(t, out)
		})
	}
}

// TestNixOSEpoch: a different SOURCE_DATE_EPOCH changes times in every
// layer it reaches, and only times (and the MBR signature xorriso derives
// from the volume date, and checksums over the times).
func TestNixOSEpoch(t *testing.T) {
	root := compareFiles(t, "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-epoch.iso")
	for _, d := range deepest(root) {
		timestamp := false
		for _, c := range d.Causes {
			timestamp = timestamp || c.Label == diff.CauseTimestamp
		}
		// A checksum over a timestamp (the UKI's PE CheckSum) follows from it.
		derived := d.Changed() != nil
		for _, f := range d.Changed() {
			derived = derived && f.Role.Is(unpack.Derived)
		}
		if !timestamp && !derived && d.Path() != "nixos-a.iso :: [system area]/MBR" {
			t.Errorf("%s [%s]: not a timestamp", d.Path(), d.Reason())
		}
	}
	sq := root.Child("/").Child("nix-store.squashfs")
	if sq == nil || !strings.Contains(sq.Reason(), "squashfs mkfs time") {
		t.Errorf("squashfs mkfs time not reported: %v", sq)
	}
}

// TestInnerFormatsOnTheirOwn: any format isodiff reads may be given
// directly, and a broken inner layer is a marked entry, not a failure.
func TestInnerFormatsOnTheirOwn(t *testing.T) {
	for _, tc := range []struct {
		a, b   string
		status int
		want   []string
	}{
		{"initrd/initrd-a.zst", "initrd/initrd-changed.zst", 1, []string{"initrd-a.zst :: content :: /nix/store/", "stage-1-init.sh", "+1 −1 lines"}},
		{"initrd/manpage-n.1.gz", "initrd/manpage.1.gz", 1, []string{"gzip header: flags, mtime, name", "content identical"}},
		{"initrd/initrd-a.lzo", "initrd/initrd-named.lzo", 1, []string{"lzop header: flags, mtime, name", "content identical"}},
		{"initrd/initrd-a.zst", "initrd/initrd-broken-zstd", 1, []string{"compared as bytes: A is zstd, B is initramfs"}},
		{"initrd/initrd-microcode", "initrd/initrd-broken-zstd", 1, []string{"could not be read", "zstd: at byte"}},
		{"initrd/base.cpio", "initrd/absurd-size.cpio", 1, []string{"could not be read", "cpio: at byte"}},
		{"initrd/initrd-a.zst", "initrd/initrd-reversed.zst", 1, []string{"order only"}},
		{"squashfs/order-a.sqfs", "squashfs/order-b.sqfs", 1, []string{"content identical"}},
		{"squashfs/zstd.sqfs", "squashfs/xz-bcj.sqfs", 1, []string{"compressor", "zstd", "xz"}},
		{"fat/nixos-a.img", "fat/nixos-serial.img", 1, []string{"known cause: FAT serial"}},
		{"pe/hello-a.exe", "pe/hello-time.exe", 1, []string{"known cause: timestamp: TimeDateStamp", "unexplained: none"}},
		{"pe/hello-a.exe", "pe/hello-code.exe", 1, []string{"unexplained\n  hello-a.exe :: .text :: answer  modified: +1 −1 lines\n", "-\tlea 0x7(%rcx,%rcx,2),%eax\n", "+\tlea 0x7(%rcx,%rcx,4),%eax\n"}},
		{"pe/uki-a.efi", "pe/uki-initrd.efi", 1, []string{"uki-a.efi :: .initrd :: content :: /init", "+echo \"stage 1: changed\""}},
		{"pe/memtest86+x64.efi", "pe/memtest86+x64.efi", 0, nil},
		{"initrd/initrd-a.zst", "initrd/initrd-a.zst", 0, nil},
	} {
		t.Run(tc.b, func(t *testing.T) {
			out, errs, status := runIsodiff(t, filepath.Join("fixtures", tc.a), filepath.Join("fixtures", tc.b))
			if status != tc.status || errs != "" {
				t.Fatalf("status %d stderr %q, want %d", status, errs, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("report lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestReportSizeLimit: --max-report-size bounds the whole report, the
// tree of differences included, and says what it left out.
func TestReportSizeLimit(t *testing.T) {
	out, _, status := runIsodiff(t, "--max-report-size", "600", "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-initrd-order.iso")
	if status != 1 || len(out) > 1200 || !strings.Contains(out, "more lines of this tree not shown") || !strings.Contains(out, "raise --max-report-size") {
		t.Errorf("status %d, %d bytes:\n%s", status, len(out), out)
	}
}

// TestJSON: the JSON report is diffoscope's JSON, holds the same counts
// as the text report, and names the deepest difference with its cause and
// its bytes as a diff of xxd rows.
func TestJSON(t *testing.T) {
	out, _, status := runIsodiff(t, "--json", "-", "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-pyc.iso")
	if status != 1 {
		t.Fatalf("status %d", status)
	}
	var rep struct {
		Version   int `json:"diffoscope-json-version"`
		Identical bool
		Counts    diff.Counts
		Details   []json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Version != 1 || rep.Identical || rep.Counts.Modified != 3 || len(rep.Details) != 1 {
		t.Errorf("version %d identical %v counts %+v, %d details", rep.Version, rep.Identical, rep.Counts, len(rep.Details))
	}
	for _, want := range []string{
		`"source1":"decoder.cpython-313.pyc"`,
		`"path":"nixos-a.iso :: /nix-store.squashfs :: ` + storePython + `/lib/python3.13/json/__pycache__/decoder.cpython-313.pyc"`,
		`"known cause: pyc header: mtime"`, `{"label":"pyc header","detail":"mtime"}`,
		`"unified_diff":"@@ -1,2 +1,2 @@\n-00000000: f30d 0d0a 0000 0000 0100 0000 5908 0000  ............Y...\n+00000000: f30d 0d0a 0000 0000 00f1 5365 5908 0000  ..........SeY...\n`,
		`"has_internal_linenos":true`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

// TestIdenticalInputs: inputs identical byte for byte get no report in
// any format, on standard output or in a file (which is left empty, so
// that no report of an earlier run remains), as diffoscope writes none;
// the exit status says it. Inputs identical after filters get, in every
// format, a report that says so.
func TestIdenticalInputs(t *testing.T) {
	dir := t.TempDir()
	a, b := fixture(t, "base-a.iso"), fixture(t, "base-b.iso")
	for _, format := range []string{"--text", "--json", "--markdown", "--html"} {
		out, errs, status := runIsodiff(t, format, "-", a, b)
		if status != 0 || out != "" || errs != "" {
			t.Errorf("%s -: status %d, stdout %q, stderr %q; want 0 and nothing", format, status, out, errs)
		}
		file := filepath.Join(dir, "report"+format)
		if err := os.WriteFile(file, []byte("a report of an earlier run"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _, status = runIsodiff(t, format, file, a, b)
		if got, err := os.ReadFile(file); status != 0 || out != "" || err != nil || len(got) != 0 {
			t.Errorf("%s FILE: status %d, stdout %q, file %q (%v); want 0 and an empty file", format, status, out, got, err)
		}
	}
	pyc := []string{"--hide", "pyc header", "--exclude", "*/nix-path-registration", "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-pyc.iso"}
	for _, format := range []string{"--text", "--json", "--markdown", "--html"} {
		out, _, status := runIsodiff(t, append([]string{format, "-"}, pyc...)...)
		if status != 0 || !strings.Contains(out, "identical after filters (3 hidden: derived 1, pyc header 1, excluded 1)") {
			t.Errorf("%s, identical after filters: status %d, report\n%s", format, status, out)
		}
	}
}

// reportPairs are the fixture pairs whose reports are golden files: the
// ISO pairs and the NixOS variants against nixos-a.iso.
func reportPairs(t *testing.T) []struct{ name, a, b string } {
	var pairs []struct{ name, a, b string }
	for _, p := range fixturePairs {
		pairs = append(pairs, struct{ name, a, b string }{p.name, fixture(t, p.a), fixture(t, p.b)})
	}
	for _, v := range nixosVariants {
		pairs = append(pairs, struct{ name, a, b string }{"nixos-" + v.name, "fixtures/nixos/nixos-a.iso", "fixtures/nixos/nixos-" + v.name + ".iso"})
	}
	for _, p := range archivePairs {
		pairs = append(pairs, struct{ name, a, b string }{p.name, archiveFixture(p.a), archiveFixture(p.b)})
	}
	return pairs
}

// TestJSONReports: the JSON report of every fixture pair, as a golden
// file, so that its shape changes only on purpose.
func TestJSONReports(t *testing.T) {
	for _, p := range reportPairs(t) {
		t.Run(p.name, func(t *testing.T) {
			out, errs, _ := runIsodiff(t, "--json", "-", p.a, p.b)
			if errs != "" {
				t.Errorf("stderr: %s", errs)
			}
			golden.RequireEqual(t, out)
		})
	}
}

// TestMarkdownReports: the Markdown report of every fixture pair, as a
// golden file; it has the text report's tree and sections, in its order.
func TestMarkdownReports(t *testing.T) {
	heading := regexp.MustCompile(`(?m)^### (.*)$`)
	unescape := regexp.MustCompile(`\\(.)`)
	for _, p := range reportPairs(t) {
		t.Run(p.name, func(t *testing.T) {
			out, errs, _ := runIsodiff(t, "--markdown", "-", p.a, p.b)
			if errs != "" {
				t.Errorf("stderr: %s", errs)
			}
			text, _, _ := runIsodiff(t, p.a, p.b)
			var sections []string
			for _, h := range heading.FindAllStringSubmatch(out, -1) {
				sections = append(sections, "── "+unescape.ReplaceAllString(h[1], "$1")+" ─")
			}
			for i, s := range sections {
				if !strings.Contains(text, "\n"+s) || i > 0 && strings.Index(text, "\n"+s) < strings.Index(text, "\n"+sections[i-1]) {
					t.Errorf("section %q is not the text report's %dth", s, i+1)
				}
			}
			if len(sections) != strings.Count(text, "\n── ") {
				t.Errorf("%d sections, the text report has %d", len(sections), strings.Count(text, "\n── "))
			}
			golden.RequireEqual(t, out)
		})
	}
}

// TestInteractiveStatus: the exit status after the view, decided here
// from what the view saw.
func TestInteractiveStatus(t *testing.T) {
	differs := &diff.Node{State: diff.Modified}
	same := &diff.Node{}
	for _, c := range []struct {
		o    ui.Outcome
		want int
	}{
		{ui.Outcome{Root: differs}, exitDifferent},
		{ui.Outcome{Root: same}, exitSame},
		{ui.Outcome{DifferencesSeen: true}, exitDifferent},
		{ui.Outcome{}, exitTrouble},
	} {
		if got := interactiveStatus(c.o); got != c.want {
			t.Errorf("%+v: %d, want %d", c.o, got, c.want)
		}
	}
}
