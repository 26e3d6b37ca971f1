#!/usr/bin/env bash
# bench/attacks.sh - run isodiff on hostile inputs and measure how it holds.
#
# Usage: bench/attacks.sh BINARY [BINARY2 ...]
#
# isodiff must exit 0 only for byte-identical inputs, 1 when they differ, and 2 when the
# comparison could not be made (with one line on stderr naming the input, layer and cause); it
# must never hang, panic, fill the disk or take unbounded memory. This script builds each
# attack's inputs with the real tools (once: a stamp per attack), runs every BINARY on every
# attack under a timeout with a fresh TMPDIR, and prints a Markdown table: exit status, wall
# time, peak RSS (/usr/bin/time %M), peak temporary disk (the files open under TMPDIR, polled
# from /proc/PID/fd every 50 ms: isodiff unlinks its spool files at once, so du sees nothing)
# and the first line of stderr.
#
# Settings (environment):
#   ATTACK_DIR      inputs, per-run temporary directories and results
#                   (default /var/tmp/isodiff-attacks)
#   ATTACK_TIMEOUT  seconds one run may take before it is killed (default 120)
#   ATTACKS         the attacks to run, in order (default all; see ALL_ATTACKS below)
#   ATTACK_FORCE=1  rebuild the inputs even when their stamp is there
#   ATTACK_BUILD_ONLY=1  build the inputs, run nothing
#   ATTACK_BOMB_LEVEL  zstd level of the 20 GiB zero stream (default 3, under 2 minutes per
#                   stream; level 19 ran at 65 MB/s on a loaded 2-CPU machine, 5-6 minutes)

set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC

ALL_ATTACKS="gzip-padding iso-joliet-padding squashfs-export-pointer cpio-check zstd-reserved
tmpdir-missing spool-write-error unreadable-dir zstd-bomb-iso reversed-lines fifo
many-cpio-members squashfs-wide-dir sparse-16g escape-names"

WORK=${ATTACK_DIR:-/var/tmp/isodiff-attacks}
TIMEOUT=${ATTACK_TIMEOUT:-120}
ATTACKS=${ATTACKS:-$ALL_ATTACKS}
FORCE=${ATTACK_FORCE:-0}
BUILD_ONLY=${ATTACK_BUILD_ONLY:-0}
BOMB_LEVEL=${ATTACK_BOMB_LEVEL:-3}
PYTHON=${PYTHON:-python3}
NOBODY=65534
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$WORK/results/$STAMP

die() { echo "attacks.sh: $*" >&2; exit 2; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

(($# >= 1)) || die "usage: bench/attacks.sh BINARY [BINARY2 ...]"

ensure_tools() {
	local missing=() t
	for t in /usr/bin/time:time xorriso:xorriso mksquashfs:squashfs-tools unsquashfs:squashfs-tools \
		zstd:zstd gzip:gzip cpio:cpio setpriv:util-linux timeout:coreutils "$PYTHON":python3; do
		command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
	done
	((${#missing[@]} == 0)) && return 0
	[[ $(id -u) == 0 ]] || die "missing tools; apt-get install ${missing[*]}"
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# flip FILE OFFSET MASK OUT: OUT is FILE with the byte at OFFSET xor MASK.
flip() {
	"$PYTHON" - "$@" <<'EOF'
import sys
src, off, mask, out = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0), sys.argv[4]
b = bytearray(open(src, "rb").read())
b[off] ^= mask
open(out, "wb").write(b)
EOF
}

# note TEXT: a line about the built inputs, printed under the table.
note() { echo "$*" >>notes.txt; }

# ---------------------------------------------------------------------------------------------
# The attacks. build_NAME runs in an empty directory and leaves the inputs there; rows_NAME
# calls `row LABEL EXPECTED MODE ARGS...` once per table row (ARGS relative to that directory;
# MODE: plain, notmp, fsize64, nobody or escapes).

# gzip-padding: a gzip member whose last deflate byte differs only in the bits after the
# end-of-block code. The decoded bytes are equal, the files are not: 0 would be a lie.
build_gzip_padding() {
	printf 'hello world\n' | gzip -n >a.gz
	flip a.gz 23 0x80 b.gz
	if cmp -s <(gzip -dc a.gz) <(gzip -dc b.gz); then
		note "b.gz is a.gz with bit 7 of byte 23 flipped; gzip -dc decodes both to the same bytes"
	else
		note "b.gz is a.gz with bit 7 of byte 23 flipped; they do NOT decode the same"
	fi
}
rows_gzip_padding() { row gzip-padding 1 plain a.gz b.gz; }

# iso-joliet-padding: one byte changed in the unused tail of the Joliet root directory's
# sector, after the last record. Readers that stop at the zero length byte never see it.
build_iso_joliet_padding() {
	mkdir -p dir/sub
	for f in alpha beta gamma; do echo "$f" >"dir/$f.txt"; done
	echo nested >dir/sub/nested.txt
	xorriso -as mkisofs -J -R -o a.iso dir/ 2>xorriso.log
	"$PYTHON" - >>notes.txt <<'EOF'
import struct
b = bytearray(open("a.iso", "rb").read())
S = 2048
for s in range(16, 64):
    vd = b[s * S:(s + 1) * S]
    if vd[1:6] != b"CD001" or vd[0] == 255:
        raise SystemExit("no Joliet volume descriptor")
    if vd[0] == 2 and vd[88:91] in (b"%/@", b"%/C", b"%/E"):
        break
root = vd[156:156 + 34]
lba = struct.unpack_from("<I", root, 2)[0]
pos = 0
while pos < S and b[lba * S + pos] != 0:
    pos += b[lba * S + pos]
if pos + 1 >= S:
    raise SystemExit("the Joliet root directory sector has no room after its records")
off = lba * S + pos + 1
b[off] ^= 0xFF
open("b.iso", "wb").write(b)
print(f"b.iso: byte {off} (Joliet SVD at sector {s}, root directory at sector {lba}, "
      f"records end at {pos}) xor 0xff")
EOF
}
rows_iso_joliet_padding() { row iso-joliet-padding 1 plain a.iso b.iso; }

# squashfs-export-pointer: one bit flipped in the superblock's export (NFS lookup) table start.
# A reader that never follows that pointer sees two identical file systems.
build_squashfs_export_pointer() {
	mkdir -p dir/sub
	for f in alpha beta gamma; do echo "$f" >"dir/$f.txt"; done
	echo nested >dir/sub/nested.txt
	mksquashfs dir a.sqfs -exports -noappend -no-progress >mksquashfs.log
	flip a.sqfs 88 0x01 b.sqfs
	local before after
	before=$(od -An -tx8 -j88 -N8 a.sqfs | tr -d ' ')
	after=$(od -An -tx8 -j88 -N8 b.sqfs | tr -d ' ')
	note "b.sqfs: export table start 0x$before -> 0x$after (bit 0 of byte 88)"
	if unsquashfs -l b.sqfs >/dev/null 2>&1; then
		note "unsquashfs -l reads b.sqfs without complaint"
	else
		note "unsquashfs -l fails on b.sqfs"
	fi
}
rows_squashfs_export_pointer() { row squashfs-export-pointer "1 or 2" plain a.sqfs b.sqfs; }

# cpio-check: the newc check field of the first member, which GNU cpio ignores for newc (it is
# only a checksum in the crc format): the archives differ in a header field nothing decodes.
build_cpio_check() {
	mkdir -p dir/sub
	for f in alpha beta gamma; do echo "$f" >"dir/$f.txt"; done
	echo nested >dir/sub/nested.txt
	(cd dir && find . | sort | cpio -o -H newc --quiet) >a.cpio
	"$PYTHON" - <<'EOF'
b = bytearray(open("a.cpio", "rb").read())
assert b[0:6] == b"070701" and b[102:110] == b"00000000", b[:110]
b[102:110] = b"00000001"
open("b.cpio", "wb").write(b)
EOF
	if cpio -it --quiet <b.cpio >/dev/null 2>&1; then
		note "b.cpio: first header's check field 00000000 -> 00000001; cpio -it lists it without complaint"
	else
		note "b.cpio: first header's check field 00000000 -> 00000001; cpio -it rejects it"
	fi
}
rows_cpio_check() { row cpio-check 1 plain a.cpio b.cpio; }

# zstd-reserved: the reserved bit of the zstd frame header descriptor set. If a decoder
# ignores it, both decode the same; either way the files differ.
build_zstd_reserved() {
	seq 1 1000 | zstd -q -c >a.zst
	flip a.zst 4 0x08 b.zst
	local msg
	if msg=$(zstd -t -q b.zst 2>&1); then
		note "b.zst: reserved bit (bit 3 of byte 4) set; zstd -t accepts it"
	else
		note "b.zst: reserved bit (bit 3 of byte 4) set; zstd -t rejects it ($(echo "$msg" | head -1)); attack kept"
	fi
}
rows_zstd_reserved() { row zstd-reserved "not 0" plain a.zst b.zst; }

# Two gzip texts that differ in one line: their decompressed streams, larger than the 1 MiB a
# stream may keep in memory, are spooled to TMPDIR.
build_gzip_texts() {
	seq 1 1000000 | gzip -n >a.gz
	seq 1 1000000 | sed 's/^500000$/500000x/' | gzip -n >b.gz
	note "a.gz: seq 1 1000000 ($(gzip -dc a.gz | wc -c) bytes decompressed); b.gz: line 500000 changed"
}

# tmpdir-missing: TMPDIR names a directory that does not exist: spooling cannot start, which
# is a local failure (2), not a difference.
build_tmpdir_missing() { build_gzip_texts; }
rows_tmpdir_missing() { row tmpdir-missing 2 notmp a.gz b.gz; }

# spool-write-error: the file size limit (ulimit -f 64) makes spool writes fail with EFBIG
# part way: the comparison could not be made (2); a truncated spool must not compare equal.
build_spool_write_error() { build_gzip_texts; }
rows_spool_write_error() { row spool-write-error 2 fsize64 a.gz b.gz; }

# unreadable-dir: B has a subdirectory nobody may list, run as nobody (root reads everything).
# An unlistable directory is a failure to compare, not an empty directory.
build_unreadable_dir() {
	local t
	for t in A B; do
		mkdir -p "$t/sub"
		echo top >"$t/top.txt"
		echo inside >"$t/sub/inside.txt"
	done
	chmod -R a+rX A B
	chmod 000 B/sub
	note "B/sub is mode 000; the run is as uid/gid $NOBODY"
}
rows_unreadable_dir() { row unreadable-dir 2 nobody A B; }

# zstd-bomb-iso: an ISO whose /boot/initrd is 730 KiB of zstd that decode to 20 GiB
# of zeros; B differs in the last decoded byte, so the comparison must go into the initrd.
# Measures how much isodiff spools: --max-decompressed caps each stream, --max-spooled the sum.
# The two streams are decoded in step and zeros are not stored: both are cut at the default
# --max-decompressed (16 GiB) before B's last byte, nothing is spooled, and the initrds still
# differ (their sizes, and the compressed bytes past the cut).
build_zstd_bomb_iso() {
	local n=$((20 * 1024 * 1024 * 1024))
	log "zstd-bomb-iso: df -h $WORK before building:"
	df -h "$WORK" >&2
	mkdir -p a/boot b/boot
	head -c "$n" /dev/zero | zstd "-$BOMB_LEVEL" -T0 --long=27 -q -c >a/boot/initrd
	{ head -c $((n - 1)) /dev/zero; printf '\001'; } | zstd "-$BOMB_LEVEL" -T0 --long=27 -q -c >b/boot/initrd
	# Fixed dates: the initrd is then all that differs between the ISOs.
	find a b -exec touch -h -d @315532800 {} +
	local side
	for side in a b; do
		SOURCE_DATE_EPOCH=315532800 xorriso -no_rc -volume_date all_file_dates =315532800 \
			-as mkisofs -J -R -o "$side.iso" "$side/" 2>>xorriso.log
	done
	note "/boot/initrd: 20 GiB of zeros (B: last byte 1) through zstd -$BOMB_LEVEL -T0 --long=27:" \
		"$(stat -c %s a/boot/initrd) and $(stat -c %s b/boot/initrd) bytes; ISOs $(stat -c %s a.iso) and" \
		"$(stat -c %s b.iso) bytes, $(cmp -l a.iso b.iso | wc -l) bytes differ"
	rm -rf a b
}
rows_zstd_bomb_iso() {
	row zstd-bomb-iso "1, both streams cut at --max-decompressed, nothing spooled" plain a.iso b.iso
	row "zstd-bomb-iso --max-spooled 1GiB" "1, as without the option: nothing spooled" plain --max-spooled 1073741824 a.iso b.iso
}

# reversed-lines: a text file against its reverse: the worst case of a line diff (no common
# subsequence longer than one line), whose cost must stay bounded. Given as the inputs
# themselves and as the one file of two directories (where every version diffs it as text).
build_reversed_lines() {
	local n
	for n in 60000 240000; do
		mkdir "A$n" "B$n"
		seq 1 "$n" >"A$n/lines.txt"
		tac "A$n/lines.txt" >"B$n/lines.txt"
		touch -d @315532800 "A$n/lines.txt" "B$n/lines.txt" "A$n" "B$n"
	done
	cp A240000/lines.txt a240k.txt
	cp B240000/lines.txt b240k.txt
	note "A60000/B60000, A240000/B240000: lines.txt = seq 1 N and the same through tac;" \
		"a240k.txt/b240k.txt: copies of the 240,000-line pair"
}
rows_reversed_lines() {
	row "reversed-lines 60k, in dirs" 1 plain A60000 B60000
	row "reversed-lines 240k, in dirs" 1 plain A240000 B240000
	row "reversed-lines 240k, files" 1 plain a240k.txt b240k.txt
}

# fifo: a FIFO with no writer as input A: opening it for reading would block forever.
build_fifo() {
	mkfifo p
	printf 'hello world\n' | gzip -n >a.gz
	note "p: a FIFO nobody writes to"
}
rows_fifo() { row fifo 2 plain p a.gz; }

# many-cpio-members: a zstd newc archive of 1,000,000 one-byte members (124 MB decoded, a
# few hundred KiB compressed): memory must not grow with the member count beyond reason.
build_many_cpio_members() {
	local side
	for side in a b; do
		"$PYTHON" - "$side" <<'EOF' | zstd -q -T0 -c >"$side.cpio.zst"
import sys
N, changed = 1_000_000, 500_000
side = sys.argv[1]
out = sys.stdout.buffer
def member(ino, mode, nlink, name, data):
    name = name + b"\0"
    h = b"070701" + b"".join(b"%08X" % v for v in (
        ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name), 0))
    h += name
    h += b"\0" * (-len(h) % 4)
    return h + data + b"\0" * (-len(data) % 4)
buf = []
for i in range(N):
    data = b"y" if (side == "b" and i == changed) else b"x"
    buf.append(member(i + 1, 0o100644, 1, b"m%07d" % i, data))
    if len(buf) == 10000:
        out.write(b"".join(buf))
        buf = []
buf.append(member(0, 0, 1, b"TRAILER!!!", b""))
tail = b"".join(buf)
out.write(tail)
EOF
	done
	note "a.cpio.zst: 1,000,000 members m0000000.. of 1 byte 'x' ($(stat -c %s a.cpio.zst) bytes);" \
		"b: member m0500000 is 'y'; cpio -it lists $(zstd -dc a.cpio.zst | cpio -it --quiet | wc -l) names in a"
}
rows_many_cpio_members() { row many-cpio-members 1 plain a.cpio.zst b.cpio.zst; }

# squashfs-wide-dir: one directory of 500,000 empty files (B: one more): the directory's
# listing must not cost memory out of proportion.
build_squashfs_wide_dir() {
	mkdir w
	"$PYTHON" - <<'EOF'
import os
for i in range(500_000):
    os.close(os.open("w/f%06d" % i, os.O_CREAT | os.O_WRONLY, 0o644))
EOF
	mksquashfs w a.sqfs -noappend -no-progress >mksquashfs.log
	: >w/f500000
	mksquashfs w b.sqfs -noappend -no-progress >>mksquashfs.log
	rm -rf w
	note "a.sqfs: 500,000 empty files f000000.. in the root ($(stat -c %s a.sqfs) bytes); b.sqfs: f500000 added"
}
rows_squashfs_wide_dir() { row squashfs-wide-dir 1 plain a.sqfs b.sqfs; }

# sparse-16g: a squashfs holding a 16 GiB sparse file (B: one byte written 4 KiB before its
# end): comparing must not read or spool 16 GiB of holes slowly.
build_sparse_16g() {
	mkdir s
	truncate -s 16G s/big
	mksquashfs s a.sqfs -noappend -no-progress >mksquashfs.log
	printf '\001' | dd of=s/big bs=1 seek=$((16 * 1024 * 1024 * 1024 - 4096)) conv=notrunc status=none
	mksquashfs s b.sqfs -noappend -no-progress >>mksquashfs.log
	rm -rf s
	note "a.sqfs: /big, 16 GiB sparse ($(stat -c %s a.sqfs) bytes); b.sqfs: byte 1 at 16 GiB - 4096"
}
rows_sparse_16g() { row sparse-16g 1 plain a.sqfs b.sqfs; }

# escape-names: differing files whose names carry terminal escapes (OSC title, clear screen,
# OSC 52 clipboard write, the 8-bit CSI U+009B, the right-to-left override U+202E): the
# report must not pass them to the terminal raw.
build_escape_names() {
	"$PYTHON" - <<'EOF'
import os
names = [b"\x1b]0;pwned\x07\x1b[2J\x1b]52;c;aGk=\x07", b"csi\xc2\x9b31mred", b"rlo\xe2\x80\xaetxt.exe"]
for side, text in ((b"A", b"a\n"), (b"B", b"b\n")):
    os.makedirs(side + b"/d\x1b[1mbold", exist_ok=True)
    for n in names + [b"d\x1b[1mbold/" + names[0]]:
        with open(side + b"/" + n, "wb") as f:
            f.write(text)
with open(b"B/new\x1b[31mred\xc2\x9b\xe2\x80\xae", "wb") as f:
    f.write(b"only in B\n")
EOF
	note "A and B: 4 files named with ESC/BEL/OSC 52, U+009B, U+202E (one in a directory named with ESC) that differ; one more such file only in B"
}
rows_escape_names() { row escape-names "1, raw escapes: no" escapes --text - A B; }

# ---------------------------------------------------------------------------------------------
# The measuring helper: runs one command under /usr/bin/time with a timeout, a TMPDIR, an
# optional file size limit and user, polls its open files under TMPDIR, and prints one line:
# status, wall s, peak RSS MiB, peak temporary MiB, stderr column (tab-separated).
write_measure() {
	cat >"$WORK/bin/measure.py" <<'EOF'
import os, re, resource, signal, subprocess, sys, threading, time

timeout, tmpdir, fsize_kib, uid, outdir, scan = (
    float(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6] == "1")
cmd = sys.argv[7:]
timefile = os.path.join(outdir, "time")
argv = ["/usr/bin/time", "-f", "%M", "-o", timefile, "--"]
if uid >= 0:
    argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
argv += cmd
env = dict(os.environ, TMPDIR=tmpdir)

def limits():
    if fsize_kib >= 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_kib * 1024, fsize_kib * 1024))

RAW = [(b"\x1b", "ESC"), (b"\x07", "BEL"), (b"\xc2\x9b", "U+009B"), (b"\xe2\x80\xae", "U+202E")]
found = set()
keep = {"stdout": bytearray(), "stderr": bytearray()}
total = {"stdout": 0, "stderr": 0}

def drain(name, pipe):
    tail = b""
    for chunk in iter(lambda: pipe.read1(1 << 16), b""):
        total[name] += len(chunk)
        if len(keep[name]) < 1 << 20:
            keep[name] += chunk[: (1 << 20) - len(keep[name])]
        if scan:
            window = tail + chunk
            for seq, label in RAW:
                if seq in window:
                    found.add(label)
            tail = chunk[-2:]

t0 = time.monotonic()
p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     env=env, preexec_fn=limits, start_new_session=True)
threads = [threading.Thread(target=drain, args=(n, s)) for n, s in (("stdout", p.stdout), ("stderr", p.stderr))]
for t in threads:
    t.start()

def child_of(ppid):
    # /proc/PID/task/*/children is not always built into the kernel: scan the parents.
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open(f"/proc/{d}/stat", "rb").read()
            except OSError:
                continue
            if int(st[st.rindex(b")") + 2:].split()[1]) == ppid:
                return int(d)
    return None

prefix = tmpdir.rstrip("/") + "/"
child, peak_tmp, hwm, timed_out = None, 0, 0, False
while p.poll() is None:
    if time.monotonic() - t0 > timeout:
        os.killpg(p.pid, signal.SIGKILL)
        timed_out = True
        break
    if child is None:
        child = child_of(p.pid)
    files = {}
    if child is not None:
        fddir = f"/proc/{child}/fd"
        try:
            fds = os.listdir(fddir)
        except OSError:
            fds = []
        for fd in fds:
            try:
                if os.readlink(f"{fddir}/{fd}").startswith(prefix):
                    st = os.stat(f"{fddir}/{fd}")
                    files[(st.st_dev, st.st_ino)] = st.st_size
            except OSError:
                pass
        try:
            for line in open(f"/proc/{child}/status"):
                if line.startswith("VmHWM:"):
                    hwm = max(hwm, int(line.split()[1]))
        except OSError:
            pass
    for root, _, names in os.walk(tmpdir):
        for n in names:
            try:
                st = os.lstat(os.path.join(root, n))
                files[(st.st_dev, st.st_ino)] = st.st_size
            except OSError:
                pass
    peak_tmp = max(peak_tmp, sum(files.values()))
    time.sleep(0.05)
p.wait()
wall = time.monotonic() - t0
for t in threads:
    t.join()
for name in keep:
    open(os.path.join(outdir, name), "wb").write(keep[name])

timelines = open(timefile).read().splitlines() if os.path.exists(timefile) else []
m = re.search(r"terminated by signal (\d+)", "\n".join(timelines))
if timed_out:
    status = "timeout"
elif m:
    status = f"signal {m.group(1)}"
else:
    status = str(p.returncode)
if timelines and timelines[-1].strip().isdigit():
    rss = f"{int(timelines[-1]) / 1024:.1f}"
else:
    rss = f"≥ {hwm / 1024:.1f}" if hwm else "?"

def shown(b, limit=110):
    s = b.decode("utf-8", "backslashreplace")
    out = []
    for c in s:
        o = ord(c)
        if o < 0x20 or o == 0x7F or 0x80 <= o <= 0x9F:
            out.append(f"\\x{o:02x}")
        elif 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069:
            out.append(f"\\u{o:04x}")
        elif c == "|":
            out.append("\\|")
        else:
            out.append(c)
    s = "".join(out)
    return s if len(s) <= limit else s[: limit - 1] + "…"

errlines = bytes(keep["stderr"]).splitlines()
col = shown(errlines[0]) if errlines else ""
if len(errlines) > 1:
    col += f" (+{len(errlines) - 1} lines)"
if scan:
    col = ("raw escapes: yes (" + ", ".join(sorted(found)) + ")" if found else "raw escapes: no") + \
        (f"; stdout {total['stdout']} bytes" ) + ("; " + col if col else "")
left = []
if os.path.isdir(tmpdir):
    for root, _, names in os.walk(tmpdir):
        left += [os.path.join(root, n) for n in names]
if left:
    col += ("; " if col else "") + f"left {len(left)} files in TMPDIR"
print("\t".join([status, f"{wall:.2f}", rss, f"{peak_tmp / 1048576:.1f}", col]))
EOF
}

# ---------------------------------------------------------------------------------------------
# stamp_of NAME: what the inputs of an attack were built by (its build function, the helpers,
# and the settings it reads): the inputs are rebuilt when it changes.
stamp_of() {
	{
		declare -f "build_$1" build_gzip_texts flip note
		[[ $1 != zstd_bomb_iso ]] || echo "level $BOMB_LEVEL"
	} | sha256sum | cut -c1-16
}

RUN=0
# row LABEL EXPECTED MODE ARGS...: one table row per binary.
row() {
	local label=$1 expected=$2 mode=$3 i
	shift 3
	for i in "${!BINS[@]}"; do
		RUN=$((RUN + 1))
		local out=$RES/$RUN tmp=$WORK/tmp/run-$RUN fsize=-1 uid=-1 scan=0 line
		mkdir -p "$out"
		case $mode in
		notmp) tmp=/nonexistent ;;
		fsize64) fsize=64 ;;
		nobody) uid=$NOBODY ;;
		escapes) scan=1 ;;
		esac
		if [[ $tmp != /nonexistent ]]; then
			rm -rf "$tmp"
			mkdir -p "$tmp"
			chmod 700 "$tmp"
			[[ $uid -lt 0 ]] || chown "$NOBODY:$NOBODY" "$tmp"
		fi
		log "$label: ${LABELS[$i]} ${*}"
		echo "${LABELS[$i]} $*" >"$out/command"
		line=$(cd "$WORK/$ATTACK" && "$PYTHON" "$WORK/bin/measure.py" "$TIMEOUT" "$tmp" "$fsize" "$uid" "$out" "$scan" \
			"${BINS[$i]}" "$@")
		[[ $tmp == /nonexistent ]] || rm -rf "$tmp"
		local status wall rss disk err
		IFS=$'\t' read -r status wall rss disk err <<<"$line"
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "${LABELS[$i]}" "$status" "$expected" \
			"$wall" "$rss" "$disk" "$err" | tee -a "$RES/table.md"
	done
}

ensure_tools
mkdir -p "$WORK/bin" "$WORK/tmp"
[[ $BUILD_ONLY == 1 ]] || mkdir -p "$RES"
chmod 755 "$WORK" "$WORK/bin"
write_measure

# Copies of the binaries: readable by nobody, and safe from a rebuild while the script runs.
BINS=() LABELS=()
for b in "$@"; do
	[[ -x $b ]] || die "$b is not an executable"
	n=${#BINS[@]}
	cp "$b" "$WORK/bin/$n-$(basename "$b")"
	chmod 755 "$WORK/bin/$n-$(basename "$b")"
	BINS+=("$WORK/bin/$n-$(basename "$b")")
	LABELS+=("$(basename "$b")")
done

[[ $BUILD_ONLY == 1 ]] || {
	echo "Attacks run $STAMP on $(hostname), $(nproc) CPUs, load average at start:" \
		"$(cut -d' ' -f1-3 /proc/loadavg); timeout $TIMEOUT s; work directory $WORK."
	echo
	echo "| attack | binary | exit | expected | wall s | peak RSS MiB | peak tmp MiB | stderr (first line) |"
	echo "|---|---|---|---|---:|---:|---:|---|"
} | tee "$RES/table.md"

for ATTACK in $ATTACKS; do
	fn=${ATTACK//-/_}
	declare -F "build_$fn" >/dev/null || die "no attack named $ATTACK"
	dir=$WORK/$ATTACK
	stamp=$(stamp_of "$fn")
	if [[ $FORCE == 1 || $(cat "$dir/.stamp" 2>/dev/null) != "$stamp" ]]; then
		log "$ATTACK: building"
		rm -rf "$dir" "$dir.build"
		mkdir -p "$dir.build"
		t0=$SECONDS
		(cd "$dir.build" && "build_$fn")
		echo "built in $((SECONDS - t0)) s on $(date -u +%F)" >>"$dir.build/notes.txt"
		echo "$stamp" >"$dir.build/.stamp"
		mv "$dir.build" "$dir"
		chmod 755 "$dir"
	fi
	[[ $BUILD_ONLY == 1 ]] || "rows_$fn"
done
if [[ $BUILD_ONLY == 1 ]]; then
	log "inputs built in $WORK"
	exit 0
fi

{
	echo
	echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "Inputs:"
	echo
	for ATTACK in $ATTACKS; do
		sed "s/^/- $ATTACK: /" "$WORK/$ATTACK/notes.txt"
	done
} | tee -a "$RES/table.md"
log "table and each run's stdout/stderr in $RES"
