#!/usr/bin/env bash
# bench/run.sh - time isodiff against reference tools on large NixOS-like image pairs.
#
# Usage: bench/run.sh            (settings through the environment; see bench/README.md)
#
# Builds isodiff from this checkout, builds (or reuses) the images with bench/make-images.sh,
# then, for each pair, on this machine in one run, alternating the tools and repeating:
#   isodiff A B >/dev/null        the full text report, thrown away
#   isodiff -q A B                exit status only
#   cmp A B                       floor: stops at the first differing byte
#   cat A B >/dev/null            floor: reads both images once
#   unsquashfs -d                 both squashfs images (taken out of the ISOs beforehand)
#                                 extracted to a directory on the same disk
#   diffoscope --text F A B       under `timeout BENCH_TIMEOUT`
# each under /usr/bin/time -v (wall clock, user+sys CPU, peak RSS), with the page cache dropped
# before each run ("cold") and/or filled with both inputs ("warm"); plus isodiff's time to the
# first frame of its interactive view under a pseudo-terminal. Prints a Markdown table and
# writes it, with the raw numbers, to $BENCH_DIR/results/.
#
# Settings (environment):
#   BENCH_DIR      images, temporary files and results (default /var/tmp/isodiff-bench)
#   BENCH_SCALE    fraction of the full-size images (default 1; 0.05 is a quick harness check)
#   BENCH_REPEAT   runs per tool, pair and cache mode; the table shows the median (default 3)
#   BENCH_TIMEOUT  seconds diffoscope may run (default 600); one that does not finish is not
#                  run again for that pair and cache mode
#   BENCH_CACHE    "cold warm", "warm" or "cold" (default: both if the page cache can be
#                  dropped, that is as root, else warm)
#   BENCH_PAIRS    subset of "identical deep renamed" (default all three)
#   BENCH_TOOLS    subset of "isodiff isodiff-q cmp cat unsquashfs diffoscope firstframe"
#   ISODIFF        an isodiff binary to time instead of building one from this checkout
#   BENCH_INPUT_MIB, BENCH_MIN_FILES, SOURCE_DATE_EPOCH, BENCH_FORCE: see make-images.sh

set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
export BENCH_DIR=${BENCH_DIR:-/var/tmp/isodiff-bench}
export BENCH_SCALE=${BENCH_SCALE:-1}
BENCH_REPEAT=${BENCH_REPEAT:-3}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
BENCH_PAIRS=${BENCH_PAIRS:-identical deep renamed}
BENCH_TOOLS=${BENCH_TOOLS:-isodiff isodiff-q cmp cat unsquashfs diffoscope firstframe}
PYTHON=${PYTHON:-python3}
IMG=$BENCH_DIR/scale-$BENCH_SCALE
TMPD=$BENCH_DIR/tmp/run-$$
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$BENCH_DIR/results/scale-$BENCH_SCALE-$STAMP
RAW=$RES/raw.tsv

die() { echo "run.sh: $*" >&2; exit 2; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------------------------------------
ensure_tools() {
	local missing=() t
	for t in /usr/bin/time:time diffoscope:diffoscope-minimal unsquashfs:squashfs-tools \
		mksquashfs:squashfs-tools xorriso:xorriso zstd:zstd cmp:diffutils timeout:coreutils \
		"$PYTHON":python3; do
		command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
	done
	((${#missing[@]} == 0)) && return 0
	[[ $(id -u) == 0 ]] || die "missing tools; apt-get install ${missing[*]}"
	# diffoscope without its 800 recommended packages, but with what it needs to look inside
	# ISO 9660, squashfs, ELF, compressed and image files, and tlsh to pair renamed files.
	local pkgs=("${missing[@]}")
	[[ " ${missing[*]} " == *" diffoscope-minimal "* ]] && pkgs+=(genisoimage libarchive-tools
		binutils-multiarch xxd xz-utils bzip2 zstd python3-tlsh python3-debian sng e2fsprogs)
	log "installing ${pkgs[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2
}

build_isodiff() {
	if [[ -n ${ISODIFF:-} ]]; then
		[[ -x $ISODIFF ]] || die "ISODIFF=$ISODIFF is not an executable"
		return
	fi
	ISODIFF=$BENCH_DIR/bin/isodiff
	mkdir -p "$BENCH_DIR/bin"
	local i
	for i in 1 2 3 4 5; do
		if (cd "$REPO" && go build -o "$ISODIFF" .) 2>"$TMPD/go-build.log"; then
			return
		fi
		log "go build failed (try $i of 5; someone mid-edit?), retrying in 60 s"
		sed 's/^/    /' "$TMPD/go-build.log" | head -5 >&2
		sleep 60
	done
	die "go build failed"
}

CAN_DROP=0
drop_caches() { sync && echo 3 >/proc/sys/vm/drop_caches; }

# ---------------------------------------------------------------------------------------------
# The pseudo-terminal driver for the first-frame time: answers the terminal queries isodiff's
# UI sends, takes the time of the first output that contains "isodiff", then types "q".
write_firstframe() {
	cat >"$TMPD/firstframe.py" <<'EOF'
import os, pty, select, signal, struct, sys, time, fcntl, termios
limit = float(sys.argv[1])
args = sys.argv[2:]
t0 = time.monotonic()
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm-256color"
    os.execvp(args[0], args)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
buf, first, quit_at = b"", None, None
while True:
    now = time.monotonic()
    if first is None and now - t0 > limit:
        break
    if quit_at is not None and now - quit_at > 30:
        break
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:
        break  # the child has exited
    if not data:
        break
    buf = (buf + data)[-4096:]
    if b"\x1b]11;?" in data:
        os.write(fd, b"\x1b]11;rgb:0000/0000/0000\x1b\\")
    if b"\x1b[6n" in data:
        os.write(fd, b"\x1b[1;1R")
    if first is None and b"isodiff" in buf:
        first = time.monotonic() - t0
        os.write(fd, b"q")
        quit_at = time.monotonic()
# The child may close the terminal a little before it exits: give it 30 s after "q".
how = "killed"
end = time.monotonic() + (30 if first is not None else 0)
while True:
    done, _ = os.waitpid(pid, os.WNOHANG)
    if done:
        how = "exited"
        break
    if time.monotonic() > end:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        break
    time.sleep(0.05)
print("%s %s" % ("%.1f" % (first * 1000) if first is not None else "NA", how))
EOF
}

# ---------------------------------------------------------------------------------------------
bside() { case $1 in identical) echo b ;; *) echo "$1" ;; esac; }

clean_tmp() {
	if [[ -e $TMPD/unsq || -e $TMPD/dtmp ]]; then
		chmod -R u+w "$TMPD/unsq" "$TMPD/dtmp" 2>/dev/null || true
		rm -rf "$TMPD/unsq" "$TMPD/dtmp"
	fi
	mkdir -p "$TMPD/unsq" "$TMPD/dtmp"
	sync
}

# prepare CACHE FILE...: empty the page cache, or empty it and fill it with the inputs only
# (without the drop, unsquashfs got slower with every run: 15, 30, 44, 55 s, the extra time
# all in the kernel, at full scale).
prepare() {
	local cache=$1
	shift
	case $cache in
	cold) drop_caches ;;
	warm)
		if ((CAN_DROP)); then drop_caches; fi
		cat "$@" >/dev/null
		;;
	esac
}

# parse_time FILE: "wall_s cpu_s maxrss_kib sys_s" from GNU time -v output.
parse_time() {
	awk -F': ' '
		/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
		/User time \(seconds\)/ { u = $NF }
		/System time \(seconds\)/ { s = $NF }
		/Maximum resident set size/ { m = $NF }
		END { printf "%.2f %.2f %d %.2f\n", w, u + s, m, s }' "$1"
}

# run_tool CACHE PAIR TOOL REP: one timed run, appended to $RAW.
run_tool() {
	local cache=$1 pair=$2 tool=$3 rep=$4
	local A=$IMG/a.iso B=$IMG/$(bside "$2").iso SA=$IMG/a.sqfs SB=$IMG/$(bside "$2").sqfs
	local tf=$TMPD/time.txt st=0 res
	clean_tmp
	if [[ $tool == unsquashfs ]]; then prepare "$cache" "$SA" "$SB"; else prepare "$cache" "$A" "$B"; fi
	rm -f "$tf"
	set +e
	case $tool in
	isodiff) /usr/bin/time -v -o "$tf" "$ISODIFF" "$A" "$B" >/dev/null 2>"$TMPD/stderr" ;;
	isodiff-q) /usr/bin/time -v -o "$tf" "$ISODIFF" -q "$A" "$B" >/dev/null 2>"$TMPD/stderr" ;;
	cmp) /usr/bin/time -v -o "$tf" cmp "$A" "$B" >/dev/null 2>"$TMPD/stderr" ;;
	cat) /usr/bin/time -v -o "$tf" cat "$A" "$B" >/dev/null 2>"$TMPD/stderr" ;;
	unsquashfs)
		/usr/bin/time -v -o "$tf" sh -c 'unsquashfs -q -n -d "$3/a" "$1" >/dev/null &&
			unsquashfs -q -n -d "$3/b" "$2" >/dev/null' sh "$SA" "$SB" "$TMPD/unsq" 2>"$TMPD/stderr"
		;;
	diffoscope)
		TMPDIR=$TMPD/dtmp /usr/bin/time -v -o "$tf" timeout -k 60 "$BENCH_TIMEOUT" \
			diffoscope --text "$RES/diffoscope-$pair-$cache.txt" "$A" "$B" >/dev/null 2>"$TMPD/stderr"
		;;
	esac
	st=$?
	set -e
	[[ $tool == diffoscope ]] && cp "$TMPD/stderr" "$RES/diffoscope-$pair-$cache.stderr"
	res=$(parse_time "$tf")
	local r=($res)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cache" "$pair" "$tool" "$rep" "${r[0]}" "${r[1]}" "${r[2]}" "$st" "${r[3]}" >>"$RAW"
	log "$cache $pair #$rep $tool: exit $st, wall ${r[0]} s, cpu ${r[1]} s (sys ${r[3]}), peak rss ${r[2]} KiB"
	if ((st > 1)) && [[ $tool != diffoscope ]]; then
		sed 's/^/    /' "$TMPD/stderr" | head -5 >&2
	fi
	clean_tmp
	return 0
}

# first_frame CACHE PAIR REP
first_frame() {
	local cache=$1 pair=$2 rep=$3 A=$IMG/a.iso B=$IMG/$(bside "$2").iso out
	clean_tmp
	prepare "$cache" "$A" "$B"
	out=$("$PYTHON" "$TMPD/firstframe.py" 120 "$ISODIFF" "$A" "$B" 2>/dev/null || echo "NA error")
	printf '%s\t%s\tfirstframe\t%s\t%s\tNA\tNA\t%s\tNA\n' "$cache" "$pair" "$rep" "${out%% *}" "${out#* }" >>"$RAW"
	log "$cache $pair #$rep first frame: $out ms"
}

has() { [[ " $1 " == *" $2 "* ]]; }

# ---------------------------------------------------------------------------------------------
write_summary() {
	cat >"$TMPD/summary.py" <<'EOF'
import statistics, sys
raw, timeout, meta = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [l.rstrip("\n").split("\t") for l in open(raw) if l.strip()]
runs = {}
for r in rows:
    cache, pair, tool, rep, wall, cpu, rss, st = r[:8]
    sys_s = r[8] if len(r) > 8 else "NA"
    runs.setdefault((cache, pair, tool), []).append((wall, cpu, rss, st, sys_s))
caches = [c for c in ("cold", "warm") if any(k[0] == c for k in runs)]
pairs = [p for p in ("identical", "deep", "renamed") if any(k[1] == p for k in runs)]
tools = ["isodiff", "isodiff-q", "cmp", "cat", "unsquashfs", "diffoscope"]
expect = {"identical": "0"}

def med(xs):
    return statistics.median(xs) if xs else None

def stats(key):
    rs = runs.get(key, [])
    ok = [r for r in rs if r[3] in ("0", "1")]
    timed_out = [r for r in rs if r[3] in ("124", "137")]
    w = [float(r[0]) for r in ok]
    return {
        "n": len(rs), "ok": ok, "timed_out": bool(timed_out),
        "wall": med(w), "wmin": min(w) if w else None, "wmax": max(w) if w else None,
        "cpu": med([float(r[1]) for r in ok]), "rss": med([int(r[2]) for r in ok]),
        "sys": med([float(r[4]) for r in ok if r[4] != "NA"]),
        "exits": ",".join(sorted({r[3] for r in rs})),
    }

out = [open(meta).read().rstrip("\n"), ""]
out.append("### Wall time, CPU time and peak memory (median of the runs)")
out.append("")
out.append("| pair | cache | tool | wall s | (min-max) | CPU s (user+sys) | of which sys | peak RSS MiB | exit | runs |")
out.append("|---|---|---|---:|---|---:|---:|---:|---|---:|")
for c in caches:
    for p in pairs:
        for t in tools:
            if (c, p, t) not in runs:
                continue
            s = stats((c, p, t))
            if s["timed_out"] and not s["ok"]:
                # CPU and RSS up to the stop, when timeout could still collect them (not
                # when diffoscope ignored SIGTERM and timeout had to SIGKILL its group).
                r = runs[(c, p, t)][0]
                known = float(r[1]) > 0
                out.append("| %s | %s | %s | did not finish in %d s | | %s | %s | %s | timeout (%s) | %d |" % (
                    p, c, t, timeout, r[1] if known else "?", r[4] if known and r[4] != "NA" else "?",
                    "%.1f" % (int(r[2]) / 1024) if known else "?", r[3], s["n"]))
                continue
            if not s["ok"]:
                out.append("| %s | %s | %s | failed | | | | | %s | %d |" % (p, c, t, s["exits"], s["n"]))
                continue
            want = expect.get(p, "1")
            flag = "" if t in ("cat", "unsquashfs") or s["exits"] == want else " (expected %s)" % want
            out.append("| %s | %s | %s | %.2f | %.2f-%.2f | %.2f | %s | %.1f | %s%s | %d |" % (
                p, c, t, s["wall"], s["wmin"], s["wmax"], s["cpu"],
                "-" if s["sys"] is None else "%.2f" % s["sys"], s["rss"] / 1024, s["exits"], flag, s["n"]))
out.append("")
out.append("### Ratios of the median wall times")
out.append("")
out.append("| pair | cache | isodiff/cmp | isodiff/cat | isodiff/unsquashfs | isodiff -q/isodiff | diffoscope/isodiff |")
out.append("|---|---|---:|---:|---:|---:|---:|")

def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return "%.2f" % (a / b)

for c in caches:
    for p in pairs:
        g = {t: stats((c, p, t)) for t in tools}
        iso = g["isodiff"]["wall"]
        d = g["diffoscope"]
        if d["timed_out"] and not d["ok"]:
            dr = "> %.0f" % (timeout / iso) if iso else "-"
        else:
            dr = ratio(d["wall"], iso)
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (p, c, ratio(iso, g["cmp"]["wall"]),
            ratio(iso, g["cat"]["wall"]), ratio(iso, g["unsquashfs"]["wall"]),
            ratio(g["isodiff-q"]["wall"], iso), dr))
ff = [(k, v) for k, v in runs.items() if k[2] == "firstframe"]
if ff:
    out.append("")
    out.append("### isodiff: time to the first frame of the interactive view (pseudo-terminal, 120x40)")
    out.append("")
    out.append("| pair | cache | first frame ms (median) | (min-max) | runs | after q |")
    out.append("|---|---|---:|---|---:|---|")
    for c in caches:
        for p in pairs:
            rs = runs.get((c, p, "firstframe"))
            if not rs:
                continue
            ms = [float(r[0]) for r in rs if r[0] != "NA"]
            how = ",".join(sorted({r[3] for r in rs}))
            if not ms:
                out.append("| %s | %s | no frame | | %d | %s |" % (p, c, len(rs), how))
            else:
                out.append("| %s | %s | %.0f | %.0f-%.0f | %d | %s |" % (p, c, med(ms), min(ms), max(ms), len(rs), how))
print("\n".join(out))
EOF
}

# ---------------------------------------------------------------------------------------------
main() {
	mkdir -p "$TMPD" "$RES"
	trap 'chmod -R u+w "$TMPD" 2>/dev/null; rm -rf "$TMPD"' EXIT
	ensure_tools
	build_isodiff
	log "isodiff: $ISODIFF"
	local t0=$SECONDS
	"$HERE/make-images.sh" >&2
	log "images ready in $((SECONDS - t0)) s"
	local v
	for v in a b deep renamed; do
		[[ -r $IMG/$v.iso && -r $IMG/$v.sqfs ]] || die "$IMG/$v.iso or $v.sqfs missing"
	done
	[[ $(awk '$2 == "a.iso" { print $1 }' "$IMG/SHA256SUMS") == $(awk '$2 == "b.iso" { print $1 }' "$IMG/SHA256SUMS") ]] ||
		die "a.iso and b.iso are not identical"

	if [[ -w /proc/sys/vm/drop_caches ]] && drop_caches 2>/dev/null; then CAN_DROP=1; fi
	local caches=${BENCH_CACHE:-}
	if [[ -z $caches ]]; then
		if ((CAN_DROP)); then caches="cold warm"; else caches="warm"; fi
	fi
	if has "$caches" cold && ((!CAN_DROP)); then die "cannot drop the page cache (not root?): use BENCH_CACHE=warm"; fi

	write_firstframe
	write_summary
	: >"$RAW"
	local load0 tools=() t
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	for t in isodiff isodiff-q cmp cat unsquashfs diffoscope; do has "$BENCH_TOOLS" "$t" && tools+=("$t"); done
	local started=$SECONDS cache pair rep i n=${#tools[@]}
	for cache in $caches; do
		for pair in $BENCH_PAIRS; do
			local dnf=0
			for ((rep = 1; rep <= BENCH_REPEAT; rep++)); do
				# Alternate: each repetition starts the rotation one tool later.
				for ((i = 0; i < n; i++)); do
					t=${tools[(i + rep - 1) % n]}
					if [[ $t == diffoscope ]] && ((dnf)); then continue; fi
					run_tool "$cache" "$pair" "$t" "$rep"
					if [[ $t == diffoscope ]] && [[ $(tail -1 "$RAW" | cut -f8) =~ ^(124|137)$ ]]; then dnf=1; fi
				done
				if has "$BENCH_TOOLS" firstframe; then first_frame "$cache" "$pair" "$rep"; fi
			done
		done
	done
	local took=$((SECONDS - started))

	# Not timed: what isodiff and diffoscope reported, and whether isodiff found the three changes.
	local check="" f
	if has "$BENCH_PAIRS" deep; then
		"$ISODIFF" --text "$RES/isodiff-deep.txt" "$IMG/a.iso" "$IMG/deep.iso" || true
		while IFS= read -r f; do
			f=${f##*: }
			if grep -qF -- "${f#/*/}" "$RES/isodiff-deep.txt"; then check+="found ${f#/*/}; "; else check+="NOT FOUND ${f#/*/}; "; fi
		done <"$IMG/deep.changes"
	fi
	has "$BENCH_PAIRS" renamed && { "$ISODIFF" --text "$RES/isodiff-renamed.txt" "$IMG/a.iso" "$IMG/renamed.iso" || true; }

	local sizes
	sizes=$(awk '$1 == "a" && $2 == "files" { printf "%d files, %d symlinks in %d store paths, %.0f MiB uncompressed; squashfs %.0f MiB; ISO %.0f MiB (%d bytes)", $3, $5, $7, $9 / 1048576, $11 / 1048576, $13 / 1048576, $13 }' "$IMG/build-times.txt")
	{
		echo "## isodiff benchmark, scale $BENCH_SCALE, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo
		echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr); load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (other work on the machine shows there)"
		echo "- isodiff: $(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo '?') ($ISODIFF); $(diffoscope --version 2>&1 | head -1); $(unsquashfs -version 2>&1 | head -1 | cut -d'(' -f1); $(cmp --version | head -1)"
		echo "- images ($IMG): $sizes; pairs: identical = a.iso vs b.iso (two independent builds, byte-identical), deep = a.iso vs deep.iso ($(wc -l <"$IMG/deep.changes") deep changes: $(cut -d: -f1 "$IMG/deep.changes" | tr '\n' ';' | sed 's/;$//; s/;/, /g')), renamed = a.iso vs renamed.iso (every store path under a new hash)"
		echo "- cache: $caches (cold = \`sync; echo 3 > /proc/sys/vm/drop_caches\` before each run, which $( ((CAN_DROP)) && echo 'worked here' || echo 'was not possible here'); warm = the same drop where possible, then both inputs read with cat, just before each run)"
		echo "- $BENCH_REPEAT runs per tool, pair and cache mode, tools in rotating order; diffoscope under \`timeout $BENCH_TIMEOUT\` and not run again once it did not finish; timed part took $took s"
		echo "- isodiff found the deep changes in its report: ${check:-not checked}"
	} >"$TMPD/meta.md"
	"$PYTHON" "$TMPD/summary.py" "$RAW" "$BENCH_TIMEOUT" "$TMPD/meta.md" | tee "$RES/results.md"
	cp "$IMG/build-times.txt" "$IMG/deep.changes" "$RES/"
	log "results: $RES/results.md (raw: $RAW)"
}

main "$@"
