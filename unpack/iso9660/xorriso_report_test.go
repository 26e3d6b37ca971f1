package iso9660

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"isodiff/unpack"
	"isodiff/unpack/internal/layout"
	"isodiff/unpack/internal/testutil"
	"isodiff/unpack/partition"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// xorrisoReport is what the comparison uses of xorriso's report.
type xorrisoReport struct {
	catalogLBA int64 // -1: no El Torito
	hasMBR     bool
	boot       []xorrisoBootImage
	mbr        map[int][]string // partition number: status, type, start, blocks
	gptGUID    string           // raw hex bytes
	gptArray   []string         // entries LBA, entry count
	gptRange   []string         // first usable, last usable, backup header LBA
	gpt        map[int]map[string][]string
}

type xorrisoBootImage struct {
	fields []string // Pltf B Emul Ld_seg Hdpt Ldsiz LBA
	path   string
}

func parseXorrisoReport(text string) *xorrisoReport {
	rep := &xorrisoReport{catalogLBA: -1, mbr: map[int][]string{}, gpt: map[int]map[string][]string{}}
	for _, line := range strings.Split(text, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(key)
		f := strings.Fields(val)
		num := func() int {
			var n int
			if len(f) > 0 {
				fmt.Sscan(f[0], &n)
			}
			return n
		}
		switch key {
		case "El Torito catalog":
			fmt.Sscan(f[0], &rep.catalogLBA)
		case "El Torito boot img":
			n := num()
			for len(rep.boot) < n {
				rep.boot = append(rep.boot, xorrisoBootImage{})
			}
			rep.boot[n-1].fields = f[1:]
		case "El Torito img path":
			if n := num(); n >= 1 && n <= len(rep.boot) {
				rep.boot[n-1].path = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(val), f[0]))
			}
		case "System area summary":
			rep.hasMBR = strings.Contains(val, "MBR")
		case "MBR partition":
			rep.mbr[num()] = f[1:]
		case "GPT disk GUID":
			rep.gptGUID = f[0]
		case "GPT entry array":
			rep.gptArray = f
		case "GPT lba range":
			rep.gptRange = f
		case "GPT partition name", "GPT partition GUID", "GPT type GUID", "GPT partition flags", "GPT start and size":
			n := num()
			if rep.gpt[n] == nil {
				rep.gpt[n] = map[string][]string{}
			}
			rep.gpt[n][key] = f[1:]
		}
	}
	return rep
}

// rawGUID converts xorriso's hex of the stored GUID bytes to the form the
// GPT reader shows (the first three groups little-endian).
func rawGUID(t *testing.T, h string) string {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 16 {
		t.Errorf("bad GUID hex %q", h)
		return ""
	}
	le := binary.LittleEndian
	return fmt.Sprintf("%08X-%04X-%04X-%X-%X", le.Uint32(b[0:]), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8:10], b[10:16])
}

// reportedFiles maps each file's extent to its path and size as xorriso
// reports them (-find / -exec report_lba): the X.lba.txt next to a fixture,
// else xorriso run now. It stands in for what OpenISO passes
// readBootCatalog.
func reportedFiles(t *testing.T, iso string) func(int64) (string, int64, bool) {
	t.Helper()
	text, err := os.ReadFile(strings.TrimSuffix(iso, ".iso") + ".lba.txt")
	if err != nil {
		text, err = exec.Command("xorriso", "-indev", iso, "-find", "/", "-exec", "report_lba", "--").CombinedOutput()
		if err != nil {
			t.Fatalf("xorriso: %v\n%s", err, text)
		}
	}
	type entry struct {
		path string
		size int64
	}
	byExtent := map[int64]entry{}
	for _, line := range strings.Split(string(text), "\n") {
		rest, ok := strings.CutPrefix(line, "File data lba:")
		if !ok {
			continue
		}
		f := strings.SplitN(rest, ",", 5)
		if len(f) != 5 {
			continue
		}
		var lba, size int64
		fmt.Sscan(f[1], &lba)
		fmt.Sscan(f[3], &size)
		path := strings.Trim(strings.TrimSpace(f[4]), "'")
		// Empty files and hard links share extents: keep the first
		// non-empty file at each.
		if old, ok := byExtent[lba*2048]; !ok || old.size == 0 {
			byExtent[lba*2048] = entry{path, size}
		}
	}
	return func(off int64) (string, int64, bool) {
		e, ok := byExtent[off]
		return e.path, e.size, ok
	}
}

// catalogLBAFromBootRecord reads the catalog address from the boot record volume
// descriptor (ISO 9660 sector 17, as xorriso writes it), -1 when none.
func catalogLBAFromBootRecord(img []byte) int64 {
	const off = 17 * 2048
	if len(img) < off+2048 || img[off] != 0 || string(img[off+1:off+6]) != "CD001" ||
		!strings.HasPrefix(string(img[off+7:off+39]), "EL TORITO SPECIFICATION") {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(img[off+71:]))
}

func TestRealImages(t *testing.T) {
	isos, _ := filepath.Glob("../../fixtures/iso/*.iso")
	if !testing.Short() {
		if p := makeNixOSLikeISO(t); p != "" {
			isos = append(isos, p)
		}
	}
	if len(isos) == 0 {
		t.Skip("no fixture images in ../fixtures/iso and no xorriso/syslinux to make one")
	}
	for _, p := range isos {
		t.Run(filepath.Base(p), func(t *testing.T) {
			report := xorrisoReportFor(t, p)
			if report == "" {
				t.Skip("no xorriso report next to the image and no xorriso to make one")
			}
			compareWithXorriso(t, p, parseXorrisoReport(report))
		})
	}
}

// xorrisoReportFor returns the report stored next to the image (any file
// named after it holding xorriso's report lines), else runs xorriso.
func xorrisoReportFor(t *testing.T, iso string) string {
	stem := strings.TrimSuffix(iso, ".iso")
	cands, _ := filepath.Glob(stem + "*")
	for _, c := range cands {
		if c == iso || strings.HasSuffix(c, ".iso") {
			continue
		}
		b, err := os.ReadFile(c)
		if err == nil && (bytes.Contains(b, []byte("El Torito catalog")) || bytes.Contains(b, []byte("System area summary"))) {
			return string(b)
		}
	}
	if _, err := exec.LookPath("xorriso"); err != nil {
		return ""
	}
	out, err := exec.Command("xorriso", "-indev", iso, "-report_el_torito", "plain", "-report_system_area", "plain").CombinedOutput()
	if err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	return string(out)
}

// makeNixOSLikeISO builds an image with the xorriso options of nixpkgs'
// make-iso9660-image.sh, or returns "" when the tools are missing.
func makeNixOSLikeISO(t *testing.T) string {
	const isolinux, mbrCode = "/usr/lib/ISOLINUX/isolinux.bin", "/usr/lib/ISOLINUX/isohdpfx.bin"
	if _, err := exec.LookPath("xorriso"); err != nil {
		return ""
	}
	for _, p := range []string{isolinux, mbrCode} {
		if _, err := os.Stat(p); err != nil {
			return ""
		}
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, d := range []string{"isolinux", "boot", "EFI/BOOT"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := os.ReadFile(isolinux)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"isolinux/isolinux.bin": bin,
		"isolinux/isolinux.cfg": []byte("DEFAULT boot\n"),
		// Only the catalog's view of efi.img matters here: any 1440 KiB.
		"boot/efi.img":         bytes.Repeat([]byte("EFIBOOT!"), 1440*1024/8),
		"EFI/BOOT/BOOTX64.EFI": bytes.Repeat([]byte{0xCC}, 100000),
		"version.txt":          []byte("25.05\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "nixos-like.iso")
	cmd := exec.Command("xorriso", "-boot_image", "any", "gpt_disk_guid=8c6b3f2a-6d51-5b8e-9a33-9c1e0f1f2a3b",
		"-volume_date", "all_file_dates", "=315532800",
		"-as", "mkisofs", "-iso-level", "3", "-volid", "NIXOS_TEST", "-appid", "nixos", "-publisher", "nixos",
		"-graft-points", "-full-iso9660-filenames", "-joliet",
		"-eltorito-boot", "isolinux/isolinux.bin", "-eltorito-catalog", ".boot.cat",
		"-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", "--sort-weight", "1", "/isolinux",
		"-isohybrid-mbr", mbrCode,
		"-eltorito-alt-boot", "-e", "boot/efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat",
		"-r", "-o", out, root)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=315532800")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, b)
	}
	return out
}

func compareWithXorriso(t *testing.T, path string, rep *xorrisoReport) {
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(img))
	var claims layout.Claims
	sys := partition.ReadSystemArea(bytes.NewReader(img), size, &claims)
	testutil.CheckRecordInvariants(t, sys, &claims, size)
	for _, n := range []*unpack.Node{sys, sys.Child("MBR"), sys.Child("GPT"), sys.Child("GPT backup")} {
		if n != nil && n.Err != nil {
			t.Errorf("%s: %v", n.Name, n.Err)
		}
	}

	want := map[string]string{}
	if !rep.hasMBR {
		want["MBR:!absent"] = ""
	}
	for n, f := range rep.mbr {
		p := fmt.Sprintf("MBR/partition %d:", n)
		want[p+"status"] = "~" + f[0]
		want[p+"type"] = "~" + f[1]
		want[p+"start LBA"] = f[2]
		want[p+"sectors"] = f[3]
	}
	if rep.gptGUID != "" {
		for _, side := range []string{"GPT", "GPT backup"} {
			want[side+":disk GUID"] = rawGUID(t, rep.gptGUID)
			want[side+":entry count"] = rep.gptArray[1]
			want[side+":first usable LBA"] = rep.gptRange[0]
			want[side+":last usable LBA"] = rep.gptRange[1]
			for n, f := range rep.gpt {
				p := fmt.Sprintf("%s/partition %d:", side, n)
				name, _ := hex.DecodeString(f["GPT partition name"][0])
				want[p+"name"] = gptName(name)
				want[p+"unique GUID"] = rawGUID(t, f["GPT partition GUID"][0])
				want[p+"type GUID"] = "~" + rawGUID(t, f["GPT type GUID"][0])
				var flags uint64
				fmt.Sscanf(f["GPT partition flags"][0], "0x%x", &flags)
				want[p+"attributes"] = fmt.Sprintf("~0x%016x", flags)
				var start, blocks uint64
				fmt.Sscan(f["GPT start and size"][0], &start)
				fmt.Sscan(f["GPT start and size"][1], &blocks)
				want[p+"first LBA"] = fmt.Sprint(start)
				want[p+"last LBA"] = fmt.Sprint(start + blocks - 1)
			}
		}
		want["GPT:entries LBA"] = rep.gptArray[0]
		want["GPT:backup LBA"] = rep.gptRange[2]
		want["GPT backup:current LBA"] = rep.gptRange[2]
	} else {
		want["GPT:!absent"] = ""
	}
	testutil.CheckRecords(t, sys, want)

	if rep.catalogLBA < 0 {
		return
	}
	if got := catalogLBAFromBootRecord(img); got != rep.catalogLBA {
		t.Fatalf("boot record says catalog at %d, xorriso %d", got, rep.catalogLBA)
	}
	cat := readBootCatalog(bytes.NewReader(img), size, rep.catalogLBA, reportedFiles(t, path), &claims)
	testutil.CheckRecordInvariants(t, cat, &claims, size)
	platforms := map[string]string{"BIOS": "0x00 (x86 BIOS)", "PPC": "0x01 (PowerPC)", "Mac": "0x02 (Mac)", "UEFI": "0xEF (UEFI)"}
	emulations := map[string]string{"none": "no emulation", "fd1.2": "1.2M floppy", "fd1.4": "1.44M floppy", "fd2.8": "2.88M floppy", "hd": "hard disk"}
	want = map[string]string{":!err": ""}
	var names []string
	for i, b := range rep.boot {
		name := fmt.Sprintf("entry %d", i+1)
		names = append(names, name)
		p := name + ":"
		f := b.fields
		want[p+"!err"] = ""
		want[p+"platform"] = platforms[f[0]]
		want[p+"bootable"] = map[string]string{"y": "0x88 (bootable)", "n": "0x00 (not bootable)"}[f[1]]
		want[p+"emulation"] = emulations[f[2]]
		want[p+"load segment"] = "~" + strings.ToUpper(strings.TrimPrefix(f[3], "0x"))
		want[p+"system type"] = f[4]
		want[p+"sector count"] = f[5]
		want[p+"load RBA"] = f[6]
		if b.path != "" {
			want[p+"!alias"] = b.path
			want[p+"file"] = b.path
		}
	}
	want[":!children"] = strings.Join(names, ",")
	testutil.CheckRecords(t, cat, want)
}

// gptName decodes a GPT partition name as xorriso reports it (UTF-16LE
// bytes, in hex), up to its first NUL.
func gptName(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	if i := slices.Index(u, 0); i >= 0 {
		u = u[:i]
	}
	return string(utf16.Decode(u))
}
