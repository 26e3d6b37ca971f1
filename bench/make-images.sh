#!/usr/bin/env bash
# bench/make-images.sh - build the large NixOS-like image pairs that bench/run.sh times.
#
# Usage: bench/make-images.sh          (all settings through the environment, see below)
#
# Builds, with the real tools, into $BENCH_DIR/scale-$BENCH_SCALE/:
#   a.iso        the base: an ISO 9660 + Rock Ridge + Joliet image (xorriso) holding a zstd-19
#                squashfs of a fake Nix store (mksquashfs, as nixpkgs' make-squashfs.nix) and
#                a few small files;
#   b.iso        a second, independent build of a.iso (tree copied again, squashfs and ISO made
#                again): must be byte-identical, checked;
#   deep.iso     a.iso with three deep changes inside the squashfs: one text file edited, one
#                byte changed in a large ELF binary, one file added (deep.changes says which);
#   renamed.iso  the same content as a.iso with every /nix/store/<hash>-<name> directory under
#                another hash;
#   *.sqfs       the squashfs images extracted back out of the ISOs (xorriso -osirrox), for the
#                unsquashfs runs; manifest.tsv (what went in), build-times.txt, SHA256SUMS.
# Images already there are reused when params.txt matches the settings and SHA256SUMS checks.
#
# The store content is this machine's /usr: every file of every Debian package (dpkg's file
# lists) becomes /nix/store/<hash>-<package>-<version>/<path without /usr/>, files that no
# package owns are grouped by their /usr/<dir>/<subdir>. Packages are taken in a pseudo-random
# order fixed by their names until BENCH_INPUT_MIB * BENCH_SCALE MiB of input is reached; a
# package larger than an eighth of that is left out (so no single giant package decides the
# mix). If /usr holds too little, packages are taken again as "<name>-copyN" with the copy
# number appended to every file, so that each copy's bytes differ.
#
# Settings (environment):
#   BENCH_DIR        where the images go (default /var/tmp/isodiff-bench)
#   BENCH_SCALE      a fraction of the full size (default 1: >= 1 GiB ISOs, >= 50,000 files)
#   BENCH_INPUT_MIB  uncompressed store size at scale 1, in MiB (default 3584)
#   BENCH_MIN_FILES  files at scale 1 (default 50000)
#   SOURCE_DATE_EPOCH  (default 315532800 = 1980-01-01, as in the Nix sandbox)
#   BENCH_FORCE=1    rebuild even when the images could be reused
#
# Deterministic: store files and directories at mtime 1 and modes 0444/0555 (as in the Nix
# store), input sorted, mksquashfs under SOURCE_DATE_EPOCH (fixed mkfs time, every time
# clamped), xorriso with -volume_date all_file_dates and SOURCE_DATE_EPOCH. The bytes depend on
# the content of /usr and on the tool versions: a rebuild on another machine gives other images.
#
# Needs: squashfs-tools xorriso zstd python3 coreutils dpkg; disk: about 4 x the ISO size for
# the images plus the input size for the work tree (about 13 GiB at scale 1).

set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-315532800}"
unset ZSTD_CLEVEL ZSTD_NBTHREADS

BENCH_DIR=${BENCH_DIR:-/var/tmp/isodiff-bench}
BENCH_SCALE=${BENCH_SCALE:-1}
BENCH_INPUT_MIB=${BENCH_INPUT_MIB:-3584}
BENCH_MIN_FILES=${BENCH_MIN_FILES:-50000}
PYTHON=${PYTHON:-python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMG=$BENCH_DIR/scale-$BENCH_SCALE
WORK=$IMG/work
VARIANTS=(a b deep renamed)
# Bump when a change to this script changes the images (content, layout, tool options).
LAYOUT=1

die() { echo "make-images.sh: $*" >&2; exit 2; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

check_tools() {
	local missing=() t
	for t in mksquashfs:squashfs-tools unsquashfs:squashfs-tools xorriso:xorriso zstd:zstd \
		"$PYTHON":python3 dpkg-query:dpkg sha256sum:coreutils; do
		command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
	done
	((${#missing[@]} == 0)) || die "missing tools; apt-get install $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
}

# The settings and tools the images depend on; a change means a rebuild.
params() {
	echo "scale=$BENCH_SCALE input_mib=$BENCH_INPUT_MIB min_files=$BENCH_MIN_FILES epoch=$SOURCE_DATE_EPOCH"
	echo "layout=$LAYOUT"
	echo "mksquashfs=$(mksquashfs -version 2>&1 | head -1)"
	echo "xorriso=$(xorriso -version 2>&1 | head -1)"
}

write_helper() {
	cat >"$WORK/storegen.py" <<'EOF'
import glob, hashlib, os, re, shutil, stat, subprocess, sys

ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz"

def nix32(h):
    # Nix's base-32: the last 5-bit group first.
    n = (len(h) * 8 - 1) // 5 + 1
    out = []
    for k in range(n - 1, -1, -1):
        i, j = divmod(k * 5, 8)
        c = h[i] >> j
        if i + 1 < len(h):
            c |= h[i + 1] << (8 - j)
        out.append(ALPHABET[c & 31])
    return "".join(out)

def store_hash(salt, name):
    # A stand-in for Nix's path hash: sha256, XOR-folded to 160 bits as Nix does: 32 chars.
    d = hashlib.sha256((salt + ":" + name).encode("utf-8", "surrogateescape")).digest()
    c = bytearray(20)
    for i, b in enumerate(d):
        c[i % 20] ^= b
    return nix32(bytes(c))

def nixname(s):
    return re.sub(r"[^A-Za-z0-9+\-._?=]", "_", s).lstrip(".") or "unnamed"

# ---- select: which /usr files go in, grouped into store paths --------------------------------
def select(out, target, min_files, cap):
    versions = {}
    q = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Version}\n"], check=True,
                       capture_output=True, text=True).stdout
    for line in q.splitlines():
        p, _, v = line.partition("\t")
        versions[p] = v
    claimed = {}
    pkgs = {}

    def usable(real):
        if not real.startswith("/usr/") or real in claimed or "\t" in real or "\n" in real:
            return None
        try:
            st = os.lstat(real)
        except OSError:
            return None
        if stat.S_ISREG(st.st_mode):
            return st.st_size
        if stat.S_ISLNK(st.st_mode):
            return 0
        return None

    for lst in sorted(glob.glob("/var/lib/dpkg/info/*.list")):
        pkg = os.path.basename(lst)[:-5].split(":")[0]
        name = nixname(pkg + ("-" + versions[pkg] if versions.get(pkg) else ""))
        with open(lst, encoding="utf-8", errors="surrogateescape") as f:
            paths = sorted(l.rstrip("\n") for l in f if l.startswith("/"))
        for p in paths:
            real = os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p))
            size = usable(real)
            if size is None:
                continue
            claimed[real] = name
            pkgs.setdefault(name, []).append((real[len("/usr/"):], real, size))
    # Files no package owns: grouped by /usr/<dir>/<subdir>.
    for root, dirs, files in os.walk("/usr"):
        dirs.sort()
        for fn in sorted(files + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
            real = os.path.join(root, fn)
            size = usable(real)
            if size is None:
                continue
            parts = real.split("/")  # '', 'usr', c1, c2, ...
            name = nixname(parts[3] + "-local") if len(parts) > 4 else nixname(parts[2] + "-misc")
            claimed[real] = name
            pkgs.setdefault(name, []).append((real[len("/usr/"):], real, size))

    order = sorted(pkgs, key=lambda n: store_hash("isodiff-bench-select", n))
    chosen, total, nfiles, copy = [], 0, 0, 1
    while total < target or nfiles < min_files:
        added = False
        for n in order:
            size = sum(s for _, _, s in pkgs[n])
            if size > cap or total + size > target * 1.02:
                continue
            if total >= target and nfiles >= min_files:
                break
            chosen.append((n if copy == 1 else "%s-copy%d" % (n, copy), copy, n))
            total += size
            nfiles += len(pkgs[n])
            added = True
        if not added:
            break
        copy += 1
    with open(out, "w", encoding="utf-8", errors="surrogateescape") as f:
        for name, c, src in sorted(chosen):
            for rel, real, _ in sorted(pkgs[src]):
                f.write("%s\t%d\t%s\t%s\n" % (name, c, rel, real))
    avail = sum(s for n in pkgs for _, _, s in pkgs[n])
    copies = max(c for _, c, _ in chosen)
    sys.stdout.write("selected %d store paths, %d files, %d bytes (/usr has %d groups, %d files, "
                     "%d bytes; packages over %d bytes left out); %s\n" % (len(chosen), nfiles,
                     total, len(pkgs), sum(len(v) for v in pkgs.values()), avail, cap,
                     "no copies needed" if copies == 1 else
                     "content replicated: up to %d copies, copy number appended to each file" % copies))
    if total < target * 0.98 or nfiles < min_files:
        sys.stdout.write("WARNING: fell short of the target (%d bytes, %d files)\n" % (target, min_files))

def read_manifest(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            name, c, rel, real = line.rstrip("\n").split("\t")
            yield name, int(c), rel, real

# ---- tree: copy the selection into a store directory -----------------------------------------
def is_text(path):
    with open(path, "rb") as f:
        b = f.read(65536)
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in b and b.count(b"\n") >= 20

def pick_changes(entries):
    """The three deep changes, chosen from the manifest alone (same on every build)."""
    regs = [(n, rel, real) for n, c, rel, real in entries if c == 1 and not os.path.islink(real)]
    text = None
    for want in (lambda r: r.endswith(".py"), lambda r: True):
        for n, rel, real in regs:
            if want(rel) and 4096 <= os.path.getsize(real) <= 65536 and is_text(real):
                text = (n, rel, real)
                break
        if text:
            break
    elf, best = None, None
    for n, rel, real in regs:
        size = os.path.getsize(real)
        if size < 65536:
            continue
        with open(real, "rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        if size >= 4 << 20:
            elf = (n, rel, real)
            break
        if best is None or size > best[0]:
            best = (size, (n, rel, real))
    elf = elf or (best and best[1])
    if not text or not elf:
        raise SystemExit("storegen: no text file or no ELF binary to change in the selection")
    return text, elf

def tree(manifest, store, salt, variant, changes_out):
    entries = list(read_manifest(manifest))
    dirof = {}
    os.makedirs(store)
    for name, c, rel, real in entries:
        if name not in dirof:
            dirof[name] = os.path.join(store, store_hash(salt, name) + "-" + name)
        dst = os.path.join(dirof[name], rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(real):
            os.symlink(os.readlink(real), dst)
            continue
        shutil.copyfile(real, dst)
        if c > 1:
            with open(dst, "ab") as f:
                f.write(b"\n# isodiff-bench copy %d\n" % c)
        os.chmod(dst, 0o555 if os.stat(real).st_mode & 0o100 else 0o444)
    if variant == "deep":
        (tn, trel, _), (en, erel, _) = pick_changes(entries)
        # 1. a text file: one line in the middle edited.
        p = os.path.join(dirof[tn], trel)
        with open(p, "rb") as f:
            lines = f.read().split(b"\n")
        i = len(lines) // 2
        lines[i] = lines[i] + b"  # edited by the isodiff benchmark"
        os.chmod(p, 0o644)
        with open(p, "wb") as f:
            f.write(b"\n".join(lines))
        os.chmod(p, 0o444)
        # 2. a binary: one byte in the middle of a large ELF file flipped.
        p2 = os.path.join(dirof[en], erel)
        off = os.path.getsize(p2) // 2
        mode = os.stat(p2).st_mode & 0o777
        os.chmod(p2, 0o644)
        with open(p2, "r+b") as f:
            f.seek(off)
            b = f.read(1)
            f.seek(off)
            f.write(bytes([b[0] ^ 0x01]))
        os.chmod(p2, mode)
        # 3. a file added to the binary's store path.
        p3 = os.path.join(dirof[en], "share/doc/isodiff-bench/ADDED.txt")
        os.makedirs(os.path.dirname(p3), exist_ok=True)
        with open(p3, "w") as f:
            for k in range(200):
                f.write("line %d of a file that only deep.iso has\n" % k)
        os.chmod(p3, 0o444)
        with open(changes_out, "w", encoding="utf-8", errors="surrogateescape") as f:
            rel = lambda p: "/" + os.path.relpath(p, store)
            f.write("text edited (line %d): %s\n" % (i + 1, rel(p)))
            f.write("binary byte flipped (offset %d, %02x -> %02x): %s\n" % (off, b[0], b[0] ^ 1, rel(p2)))
            f.write("file added: %s\n" % rel(p3))
    # Nix store times and modes: everything at mtime 1, directories 0555.
    for root, dirs, files in os.walk(store, topdown=False):
        for fn in files + dirs:
            p = os.path.join(root, fn)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, 0o555)
            os.utime(p, (1, 1), follow_symlinks=False)

# ---- registration: nix-path-registration (NAR hash and size per store path) ------------------
class Nar:
    def __init__(self):
        self.h, self.n = hashlib.sha256(), 0
    def raw(self, b):
        self.h.update(b)
        self.n += len(b)
    def s(self, b):
        self.raw(len(b).to_bytes(8, "little") + b + b"\0" * (-len(b) % 8))
    def node(self, p):
        st = os.lstat(p)
        self.s(b"(")
        if stat.S_ISLNK(st.st_mode):
            for x in (b"type", b"symlink", b"target", os.fsencode(os.readlink(p))):
                self.s(x)
        elif stat.S_ISREG(st.st_mode):
            self.s(b"type"); self.s(b"regular")
            if st.st_mode & 0o100:
                self.s(b"executable"); self.s(b"")
            self.s(b"contents")
            self.raw(st.st_size.to_bytes(8, "little"))
            with open(p, "rb") as f:
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    self.raw(b)
            self.raw(b"\0" * (-st.st_size % 8))
        elif stat.S_ISDIR(st.st_mode):
            self.s(b"type"); self.s(b"directory")
            for name in sorted(os.listdir(os.fsencode(p))):
                self.s(b"entry"); self.s(b"("); self.s(b"name"); self.s(name); self.s(b"node")
                self.node(os.path.join(os.fsencode(p), name))
                self.s(b")")
        self.s(b")")

def registration(store, out):
    with open(out, "w", encoding="utf-8", errors="surrogateescape") as f:
        for name in sorted(os.listdir(store)):
            nar = Nar()
            nar.s(b"nix-archive-1")
            nar.node(os.path.join(store, name))
            f.write("/nix/store/%s\nsha256:%s\n%d\n\n0\n" % (name, nix32(nar.h.digest()), nar.n))

cmd = sys.argv[1]
if cmd == "select":
    select(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
elif cmd == "tree":
    tree(*sys.argv[2:7])
elif cmd == "registration":
    registration(sys.argv[2], sys.argv[3])
else:
    raise SystemExit("usage: storegen.py select|tree|registration ...")
EOF
}

rmtree() { [[ -e $1 ]] && { chmod -R u+w "$1" 2>/dev/null || true; rm -rf "$1"; }; return 0; }

# build VARIANT: tree, nix-path-registration, squashfs, ISO, squashfs extracted back.
build() {
	local v=$1 salt=isodiff-bench w=$WORK/$1 t0 t
	[[ $v == renamed ]] && salt=isodiff-bench-renamed
	rmtree "$w"
	mkdir -p "$w/iso"
	t0=$(now)
	"$PYTHON" "$WORK/storegen.py" tree "$IMG/manifest.tsv" "$w/store" "$salt" "$v" "$IMG/deep.changes"
	t=$(since "$t0"); echo "$v tree_copy_s $t" >>"$WORK/times"; log "  $v: store tree copied in ${t}s"
	t0=$(now)
	"$PYTHON" "$WORK/storegen.py" registration "$w/store" "$w/nix-path-registration"
	chmod 0444 "$w/nix-path-registration"
	touch -d "@1" "$w/nix-path-registration"
	t=$(since "$t0"); echo "$v registration_s $t" >>"$WORK/times"; log "  $v: nix-path-registration in ${t}s"
	t0=$(now)
	local paths=()
	for p in "$w"/store/*; do paths+=("store/${p##*/}"); done
	# make-squashfs.nix: the closure's store paths plus nix-path-registration at the root.
	(cd "$w" && mksquashfs nix-path-registration "${paths[@]}" "$w/iso/nix-store.squashfs" \
		-comp zstd -Xcompression-level 19 -b 1048576 -all-root -no-hardlinks -keep-as-directory \
		-no-progress -quiet) >"$w/mksquashfs.log" 2>&1 || { cat "$w/mksquashfs.log" >&2; die "mksquashfs failed for $v"; }
	t=$(since "$t0"); echo "$v mksquashfs_s $t" >>"$WORK/times"; log "  $v: mksquashfs (zstd 19) in ${t}s"
	t0=$(now)
	printf 'nixos-bench-25.11\n' >"$w/iso/version.txt"
	mkdir -p "$w/iso/EFI"
	: >"$w/iso/EFI/nixos-installer-image"
	find "$w/iso" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	rm -f "$IMG/$v.iso"
	(cd "$w/iso" && xorriso -no_rc -report_about SORRY -volume_date all_file_dates "=$SOURCE_DATE_EPOCH" \
		-as mkisofs -iso-level 3 -volid nixos-bench-25.11 -appid nixos -publisher nixos \
		-full-iso9660-filenames -J -r -graft-points \
		/version.txt=version.txt /EFI=EFI /nix-store.squashfs=nix-store.squashfs \
		-no-pad -output "$IMG/$v.iso") >"$w/xorriso.log" 2>&1 || { cat "$w/xorriso.log" >&2; die "xorriso failed for $v"; }
	grep -E 'WARNING|SORRY|FAILURE' "$w/xorriso.log" | grep -v 'does not comply to ISO 9660' >&2 || true
	t=$(since "$t0"); echo "$v xorriso_s $t" >>"$WORK/times"; log "  $v: xorriso in ${t}s"
	# The unsquashfs runs read the squashfs as the ISO holds it.
	rm -f "$IMG/$v.sqfs"
	xorriso -no_rc -report_about SORRY -osirrox on -indev "$IMG/$v.iso" \
		-extract /nix-store.squashfs "$IMG/$v.sqfs" >/dev/null 2>&1 || die "xorriso -osirrox failed for $v"
	chmod 0644 "$IMG/$v.sqfs"
	cmp -s "$IMG/$v.sqfs" "$w/iso/nix-store.squashfs" || die "$v.sqfs extracted from $v.iso differs from the one built"
	echo "$v files $(find "$w/store" -type f | wc -l) symlinks $(find "$w/store" -type l | wc -l) store_paths ${#paths[@]} input_bytes $(du -sb --apparent-size "$w/store" | cut -f1) squashfs_bytes $(stat -c %s "$IMG/$v.sqfs") iso_bytes $(stat -c %s "$IMG/$v.iso")" >>"$WORK/sizes"
	rmtree "$w"
}

main() {
	check_tools
	mkdir -p "$IMG"
	if [[ ${BENCH_FORCE:-0} != 1 && -r $IMG/params.txt && -r $IMG/SHA256SUMS ]] &&
		[[ "$(params)" == "$(cat "$IMG/params.txt")" ]]; then
		log "checking the images in $IMG against SHA256SUMS"
		local status=0
		(cd "$IMG" && sha256sum --quiet -c SHA256SUMS) || status=$?
		if ((status == 0)); then
			log "reusing the images in $IMG"
			return 0
		fi
		# Killed or interrupted while checking: the images may well be
		# fine, and a rebuild takes an hour; stop rather than delete them.
		((status < 128)) || die "checking SHA256SUMS was interrupted (status $status): not rebuilding"
		log "SHA256SUMS do not match: rebuilding"
	fi
	rm -f "$IMG/params.txt" "$IMG/SHA256SUMS"
	rmtree "$WORK"
	mkdir -p "$WORK"
	write_helper
	: >"$WORK/times"
	: >"$WORK/sizes"
	local t0 target files cap
	target=$(awk -v m="$BENCH_INPUT_MIB" -v s="$BENCH_SCALE" 'BEGIN { printf "%.0f", m * s * 1048576 }')
	files=$(awk -v m="$BENCH_MIN_FILES" -v s="$BENCH_SCALE" 'BEGIN { printf "%.0f", m * s }')
	cap=$((target / 8 > 64 << 20 ? target / 8 : 64 << 20))
	log "selecting about $((target >> 20)) MiB, >= $files files from /usr into $IMG/manifest.tsv"
	t0=$(now)
	"$PYTHON" "$WORK/storegen.py" select "$IMG/manifest.tsv" "$target" "$files" "$cap" | tee "$IMG/selection.txt"
	echo "all select_s $(since "$t0")" >>"$WORK/times"
	local v
	for v in "${VARIANTS[@]}"; do
		log "building $v.iso"
		build "$v"
	done
	cmp -s "$IMG/a.iso" "$IMG/b.iso" || die "a.iso and b.iso differ: the build is not deterministic"
	for v in deep renamed; do
		cmp -s "$IMG/a.iso" "$IMG/$v.iso" && die "$v.iso is identical to a.iso"
	done
	log "a.iso and b.iso are byte-identical; deep.iso and renamed.iso differ from a.iso"
	(cd "$IMG" && sha256sum a.iso b.iso deep.iso renamed.iso a.sqfs b.sqfs deep.sqfs renamed.sqfs) >"$IMG/SHA256SUMS"
	{
		echo "# built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
		cat "$WORK/times" "$WORK/sizes"
	} >"$IMG/build-times.txt"
	params >"$IMG/params.txt"
	rmtree "$WORK"
	log "done: $IMG"
	cat "$IMG/build-times.txt"
}

main "$@"
