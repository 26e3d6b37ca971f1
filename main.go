// Command isodiff shows why two builds of an operating system image differ.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
	"github.com/sirupsen/logrus"

	"isodiff/diff"
	"isodiff/ui"
	"isodiff/unpack"
	"isodiff/unpack/formats"
	"isodiff/unpack/localdir"
)

// Exit statuses, as git bisect run reads them: 0 good, 1 bad, and 2 for
// "could not compare" (125 would mean skip; use --could-not-compare-status
// to map 2 onto it).
const (
	exitSame      = 0
	exitDifferent = 1
	exitTrouble   = 2
	// With --bisect: git bisect run skips a commit on 125 and stops on
	// anything from 128 on.
	exitSkipBisect  = 125
	exitUsageBisect = 255
)

// errVersion asks for the version instead of a comparison.
var errVersion = errors.New("version asked for")

// version names the module version and the commit isodiff was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "isodiff (no build information)"
	}
	v := "isodiff " + info.Main.Version
	var rev, when, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " with uncommitted changes"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (commit %s of %s%s)", rev[:min(len(rev), 12)], when, modified)
	}
	return v + ", " + info.GoVersion
}

// bisecting reports whether the command line asks for --bisect, read
// before the flags are parsed so that a usage error can be told apart.
func bisecting(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--bisect" || a == "-bisect" {
			return true
		}
	}
	return false
}

const usage = `isodiff compares two operating system images and shows every way they differ.

Usage:
  isodiff [flags] A B

Flags may come before or after A and B ("--" ends them).
A and B are two images, or two directories (such as the <out> and
<out>.check trees of nix-build --check --keep-failed). Images are found by
their magic bytes and unpacked layer inside layer: ISO 9660 (system area,
El Torito catalog and boot images, Rock Ridge, Joliet), squashfs, FAT,
cpio and initramfs, gzip, xz, zstd, lz4, bzip2, lzma and lzop streams.

On a terminal, isodiff opens an interactive view of the differences, which
fills in while both inputs are unpacked (press ? there for the keys);
otherwise (a pipe, a file, or --text, --json, --markdown, --html or -q)
it writes a report.

Inputs of no format isodiff unpacks are compared as bytes (or as text).

Exit status: 0 identical (byte for byte, or after the filters given:
--hide, --exclude, --only, --mask-store-hashes; the report says which), 1 different, 2 the
comparison could not be made (an input missing or unreadable, an I/O
error, a temporary directory that cannot be written, an interrupt or
SIGTERM before the end). With --bisect: 0 good, 1 bad, 125 skip, 255 usage
error, as git bisect run reads them.

Examples:
  isodiff a.iso b.iso                      report on standard output
  isodiff --text report.txt a.iso b.iso    report to a file
  isodiff --json report.json a.iso b.iso   differences as diffoscope's JSON
  isodiff --markdown - a.iso b.iso         report for a GitHub issue or PR
  isodiff --html report.html a.iso b.iso   report as one web page
  isodiff -q a.iso b.iso                   exit status only
  isodiff --ignore-known-noise a.iso b.iso what the usual suspects leave
  isodiff --bisect good.iso new.iso        exit status for git bisect run
  isodiff --max-diff-lines 0 a.iso b.iso   no limit on text diffs
  isodiff result result.check              two nix-build --check output trees

Flags:
`

type config struct {
	text, json      string
	markdown, html  string
	quiet           bool
	opt             diff.Options
	report          ui.ReportOptions
	troubleExitCode int
	maxDecompressed int64
	maxSpooled      int64
	interactive     bool
	bisect          bool
	cpuProfile      string
	memProfile      string
	filter          diff.Filter
}

func main() {
	boundMemory()
	// An interrupt or a termination stops the comparison where it is, and
	// isodiff says so, instead of dying in the middle of a report or with
	// the terminal in full-screen mode.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	status := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

// run runs the command; ctx stops the comparison.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, a, b, err := parseFlags(args, stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitSame
	case errors.Is(err, errVersion):
		fmt.Fprintln(stdout, version())
		return exitSame
	case err != nil:
		fmt.Fprintf(stderr, "isodiff: %s (see isodiff --help)\n", ui.Clean(err.Error()))
		if bisecting(args) {
			// git bisect run stops at 255 instead of marking the
			// commit bad for a mistyped command line.
			return exitUsageBisect
		}
		return exitTrouble
	}
	stop, err := startProfiles(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "isodiff: %v\n", err)
		return exitTrouble
	}
	status := compare(ctx, cfg, a, b, stdout, stderr)
	if err := stop(); err != nil {
		fmt.Fprintf(stderr, "isodiff: %v\n", err)
	}
	if status == exitTrouble {
		return cfg.troubleExitCode
	}
	return status
}

// parseFlags reads the command line; --help writes the usage to stdout.
func parseFlags(args []string, stdout io.Writer) (*config, string, string, error) {
	cfg := &config{opt: diff.DefaultOptions(), report: ui.DefaultReportOptions()}
	cfg.opt.Formats = formats.All
	fs := flag.NewFlagSet("isodiff", flag.ContinueOnError)
	// Errors are returned and printed by the caller, on one line.
	fs.SetOutput(io.Discard)
	// The flag package calls Usage on every parse error too: the help is
	// written for -h and --help only, and an error is one line on stderr.
	fs.Usage = func() {}
	printUsage := func() {
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, usage)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fs.StringVar(&cfg.text, "text", "", "write the text report to `FILE` (- for standard output)")
	fs.StringVar(&cfg.json, "json", "", "write the differences as diffoscope's JSON to `FILE` (- for standard output), which diffoscope --load-existing-diff renders")
	fs.StringVar(&cfg.markdown, "markdown", "", "write the report as Markdown for a GitHub issue or pull request to `FILE` (- for standard output), cut to the 65,536 characters GitHub takes")
	fs.StringVar(&cfg.html, "html", "", "write the report as one self-contained web page to `FILE` (- for standard output)")
	fs.BoolVar(&cfg.quiet, "q", false, "quiet: write no report, only set the exit status")
	fs.BoolVar(&cfg.quiet, "quiet", false, "same as -q")
	fs.IntVar(&cfg.opt.MaxDiffLines, "max-diff-lines", cfg.opt.MaxDiffLines, "lines of one text diff to show, 0 for all")
	fs.IntVar(&cfg.opt.MaxHexBytes, "max-hex-bytes", cfg.opt.MaxHexBytes, "bytes of hex dump to show per file, 0 for all")
	fs.IntVar(&cfg.report.MaxReportSize, "max-report-size", cfg.report.MaxReportSize, "bytes of text or HTML report to write, 0 for all")
	fs.Int64Var(&cfg.opt.MaxTextSize, "max-text-size", cfg.opt.MaxTextSize, "files larger than this many bytes are compared as binary")
	fs.IntVar(&cfg.opt.ContextLines, "context", cfg.opt.ContextLines, "lines of context around each text change")
	fs.IntVar(&cfg.opt.Workers, "j", 0, "entries compared at once, 0 for two per CPU (the result is the same)")
	fs.IntVar(&cfg.opt.MaxDepth, "max-depth", cfg.opt.MaxDepth, "layers to unpack at most (an image inside an image inside ...)")
	fs.Int64Var(&cfg.maxDecompressed, "max-decompressed", unpack.DefaultMaxDecompressed, "bytes one compressed stream may decompress to; a larger one is cut and marked")
	fs.Int64Var(&cfg.maxSpooled, "max-spooled", 0, "bytes all decompressed streams together may keep, in memory or in the temporary directory (what both sides share counted once), past which the comparison stops (exit 2); 0 for 4 GiB or half the free space, whichever is less")
	fs.IntVar(&cfg.troubleExitCode, "could-not-compare-status", exitTrouble, "exit status when the comparison could not be made (125 makes git bisect skip)")
	fs.BoolVar(&cfg.bisect, "bisect", false, "exit statuses for git bisect run: 0 identical (good), 1 different (bad), 125 could not compare (skip), 255 usage error (stop); implies -q")
	fs.Func("exclude", "leave out the differences at and below paths matching `GLOB` (repeatable): \"*\" within a name, \"**\" across names and layers; matched against the path a report prints, or any part of it after a \"/\" or \" :: \"", func(g string) error {
		if err := diff.CheckGlob(g); err != nil {
			return err
		}
		cfg.filter.Exclude = append(cfg.filter.Exclude, g)
		return nil
	})
	fs.Func("color", "`WHEN` to colour: auto (a terminal that takes it, unless NO_COLOR is set), always or never", func(s string) error {
		switch s {
		case "auto", "always", "never":
			cfg.report.Color = s
			return nil
		}
		return fmt.Errorf("want auto, always or never")
	})
	fs.Func("only", "compare only the paths matching `GLOB` (repeatable, as --exclude's), what is below them and what leads to them; every other difference is left out of the report and the exit status", func(g string) error {
		if err := diff.CheckGlob(g); err != nil {
			return err
		}
		cfg.filter.Only = append(cfg.filter.Only, g)
		return nil
	})
	fs.Func("hide", "leave out the differences wholly explained by the known `CAUSE`s (comma-separated, repeatable: timestamp, layout, gzip header, ...); they are counted in the summary", func(s string) error {
		for _, c := range strings.Split(s, ",") {
			if c = strings.TrimSpace(c); c != "" {
				cfg.filter.Hide = append(cfg.filter.Hide, c)
			}
		}
		return nil
	})
	fs.BoolFunc("mask-store-hashes", "compare text with the hash of every /nix/store/<hash>- path masked on both sides: a pair that differs in such hashes alone is left out (counted in the summary as store path hash, as --hide does), and the text diffs of the others show only the lines that differ in more", func(string) error {
		cfg.opt.MaskStoreHashes = true
		cfg.filter.Hide = append(cfg.filter.Hide, diff.CauseStoreHash)
		return nil
	})
	fs.BoolFunc("ignore-known-noise", "hide the usual suspects of a NixOS image: "+strings.Join(knownNoise, ", ")+" (as --hide; counted in the summary)", func(string) error {
		cfg.filter.Hide = append(cfg.filter.Hide, knownNoise...)
		return nil
	})
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to `FILE` (for go tool pprof)")
	fs.StringVar(&cfg.memProfile, "memprofile", "", "write a heap profile at the end of the run to `FILE` (for go tool pprof)")
	inputs, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage()
	}
	if err != nil {
		return nil, "", "", err
	}
	if *showVersion {
		return nil, "", "", errVersion
	}
	if cfg.troubleExitCode < 0 || cfg.troubleExitCode > 255 {
		return nil, "", "", fmt.Errorf("--could-not-compare-status %d: an exit status is 0 to 255", cfg.troubleExitCode)
	}
	if cfg.bisect {
		cfg.quiet = true
		cfg.troubleExitCode = exitSkipBisect
	}
	if len(inputs) != 2 {
		return nil, "", "", fmt.Errorf("want two inputs, got %d", len(inputs))
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"context", int64(cfg.opt.ContextLines)}, {"j", int64(cfg.opt.Workers)},
		{"max-decompressed", cfg.maxDecompressed}, {"max-spooled", cfg.maxSpooled}, {"max-depth", int64(cfg.opt.MaxDepth)},
		{"max-diff-lines", int64(cfg.opt.MaxDiffLines)}, {"max-hex-bytes", int64(cfg.opt.MaxHexBytes)},
		{"max-report-size", int64(cfg.report.MaxReportSize)}, {"max-text-size", cfg.opt.MaxTextSize},
	} {
		if f.v < 0 {
			return nil, "", "", fmt.Errorf("-%s %d: must not be negative", f.name, f.v)
		}
	}
	if cfg.opt.MaxDiffLines == 0 {
		cfg.opt.MaxDiffLines = int(^uint(0) >> 1)
	}
	if cfg.opt.MaxHexBytes == 0 {
		cfg.opt.MaxHexBytes = int(^uint(0) >> 1)
	}
	if cfg.text == "" && cfg.json == "" && cfg.markdown == "" && cfg.html == "" && !cfg.quiet {
		// A person at a terminal gets the interactive UI; a pipe or file
		// gets the report.
		if f, ok := stdout.(*os.File); ok && fullScreen(term.IsTerminal(f.Fd()), os.Getenv("TERM")) {
			cfg.interactive = true
		} else {
			cfg.text = "-"
		}
	}
	return cfg, inputs[0], inputs[1], nil
}

// fullScreen reports whether a terminal of type termType can show the
// interactive view: not when it is unknown or declares itself dumb (an
// editor's shell buffer, a CI log), which get the report.
func fullScreen(isTerminal bool, termType string) bool {
	return isTerminal && termType != "" && termType != "dumb"
}

// startProfiles starts the CPU profile asked for; the function it returns
// stops it.
func startProfiles(cfg *config) (func() error, error) {
	if cfg.cpuProfile == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(cfg.cpuProfile)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// writeHeapProfile writes the heap profile asked for, taken when the
// comparison is complete and both trees are still held.
func writeHeapProfile(cfg *config, stderr io.Writer) {
	if cfg.memProfile == "" {
		return
	}
	f, err := os.Create(cfg.memProfile)
	if err == nil {
		runtime.GC()
		err = errors.Join(pprof.WriteHeapProfile(f), f.Close())
	}
	if err != nil {
		fmt.Fprintf(stderr, "isodiff: heap profile: %v\n", err)
	}
}

// parseInterspersed parses flags before, between and after the operands
// (isodiff A B --text r.txt), as git and GNU tools do; everything after
// "--" is an operand.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(operands, rest...), nil
		}
		if len(rest) == 0 {
			return operands, nil
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
}

// input is one opened side of the comparison.
type input struct {
	label, path string
	env         *unpack.Env
	file        *os.File
	mapped      *unpack.Mapped // the file, mapped; nil if it could not be
	isDir       bool
	format      string
	size        int64
	tree        *unpack.Node
	err         error
}

// open opens the input, and maps it when it is one file, without
// unpacking anything yet. A FIFO or device is refused before it is read:
// opening is non-blocking, so a FIFO with no writer cannot hang isodiff.
func (in *input) open() {
	f, err := openNonBlocking(in.path)
	if err != nil {
		in.err = fmt.Errorf("%s: %s: %w", in.label, in.path, unwrapPath(err))
		return
	}
	in.file = f
	st, err := f.Stat()
	switch {
	case err != nil:
		in.err = fmt.Errorf("%s: %s: %w", in.label, in.path, err)
		return
	case st.IsDir():
		in.isDir = true
		return
	case !st.Mode().IsRegular():
		in.err = fmt.Errorf("%s: %s: not a regular file or directory (%s)", in.label, in.path, fileKind(st.Mode()))
		return
	}
	in.size = st.Size()
	// Mapped, large ranges are compared without being copied; where the
	// file cannot be mapped it is read as it is.
	if m, err := unpack.MapFile(f, in.size); err == nil {
		in.mapped = m
	}
}

// unpack reads the opened input's outermost layer.
func (in *input) unpack() {
	defer in.env.Done()
	defer func() {
		// A reader's bug must not take the process down: the input is
		// reported as not compared, naming what happened.
		if r := recover(); r != nil {
			in.err = fmt.Errorf("%s: %s: internal error while reading the image: %v", in.label, in.path, r)
		}
	}()
	var err error
	if in.isDir {
		if in.tree, err = localdir.Open(in.path); err != nil {
			in.err = fmt.Errorf("%s: %s: %w", in.label, in.path, err)
		}
		return
	}
	format, ok := unpack.Detect(in.reader(), in.size, formats.All)
	if !ok {
		// As cmp and diffoscope do: what isodiff cannot unpack it
		// compares as bytes (or text).
		in.tree = in.asFile()
		return
	}
	in.format = format.Name
	in.tree, err = format.Open(in.reader(), in.size, in.env)
	if err != nil {
		in.err = fmt.Errorf("%s: %s: %w", in.label, in.path, err)
	}
}

// bytes is the input's content, nil for a directory.
func (in *input) bytes() unpack.Data {
	if in.isDir {
		return nil
	}
	return io.NewSectionReader(in.reader(), 0, in.size)
}

// fileKind names a file type that is neither a regular file nor a
// directory.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	}
	return m.Type().String()
}

// reader is what the input is read through.
func (in *input) reader() io.ReaderAt {
	if in.mapped != nil {
		return in.mapped
	}
	return in.file
}

// asFile is the input as one file, for when there is nothing to unpack.
func (in *input) asFile() *unpack.Node {
	return &unpack.Node{Type: unpack.TypeFile, Layer: "bytes", Data: io.NewSectionReader(in.reader(), 0, in.size)}
}

// unwrapPath drops the *PathError wrapper, whose path we print already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// comparison is one run: both inputs and the tree built from them.
type comparison struct {
	a, b *input
	root *diff.Node
	errs []error // why nothing could be compared, one per line
}

// runComparison opens both inputs in parallel and compares them, until
// ctx is done.
func runComparison(ctx context.Context, cfg *config, pathA, pathB string, env *unpack.Env) *comparison {
	// The two images are opened at once: two compressed streams given
	// as they are spool in step, what they have in common kept once.
	envA, envB := env.Pair()
	c := &comparison{
		a: &input{label: "A", path: pathA, env: envA},
		b: &input{label: "B", path: pathB, env: envB},
	}
	if c.parallel((*input).open) {
		return c
	}
	if c.a.isDir != c.b.isDir {
		dir, other := c.a, c.b
		if c.b.isDir {
			dir, other = c.b, c.a
		}
		c.errs = append(c.errs, fmt.Errorf("%s: %s: is a directory, but %s: %s is a file: give two images or two directories", dir.label, dir.path, other.label, other.path))
		return c
	}
	name := filepath.Base(pathA)
	if cfg.opt.DifferencesOnly && !c.a.isDir && c.a.size == c.b.size {
		// Equal bytes are equal content: nothing to unpack. (The
		// interactive view unpacks them all the same, to be browsed.)
		same, err := diff.SameBytes(ctx, c.a.bytes(), c.b.bytes())
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("reading the inputs: %w", err))
			return c
		}
		if same {
			c.root = &diff.Node{Name: name, Descended: true}
			return c
		}
	}
	if c.parallel((*input).unpack) {
		return c
	}
	if c.a.format != c.b.format {
		// Nothing to pair between two formats: compare the files as bytes,
		// which the comparison does, saying why, for any entry whose two
		// sides are of different formats.
		c.a.tree, c.b.tree = c.a.asFile(), c.b.asFile()
	}
	root, err := diff.CompareImages(ctx, name,
		diff.Image{Tree: c.a.tree, Bytes: c.a.bytes()},
		diff.Image{Tree: c.b.tree, Bytes: c.b.bytes()}, cfg.opt)
	if err != nil {
		c.errs = append(c.errs, err)
		return c
	}
	c.root = root
	return c
}

// parallel runs step on both inputs at once and reports whether either
// failed, recording why.
func (c *comparison) parallel(step func(*input)) bool {
	var wg sync.WaitGroup
	for _, in := range []*input{c.a, c.b} {
		wg.Go(func() { step(in) })
	}
	wg.Wait()
	for _, in := range []*input{c.a, c.b} {
		if in.err != nil {
			c.errs = append(c.errs, in.err)
		}
	}
	return len(c.errs) > 0
}

func (c *comparison) close() {
	for _, in := range []*input{c.a, c.b} {
		in.env.Close()
		if in.mapped != nil {
			in.mapped.Close()
		}
		if in.file != nil {
			in.file.Close()
		}
	}
}

func (c *comparison) inputs() (ui.Input, ui.Input) {
	return ui.Input{Path: c.a.path, Size: c.a.size, IsDir: c.a.isDir},
		ui.Input{Path: c.b.path, Size: c.b.size, IsDir: c.b.isDir}
}

func compare(ctx context.Context, cfg *config, pathA, pathB string, stdout, stderr io.Writer) int {
	// Decompressed streams are spooled to unlinked temporary files, which
	// vanish however the process ends; Close releases them.
	env := &unpack.Env{TempDir: os.TempDir(), MaxDecompressed: cfg.maxDecompressed, MaxSpooled: cfg.maxSpooled}
	if env.MaxSpooled == 0 {
		// Bombs side by side must not fill the disk, nor keep isodiff
		// decompressing for minutes: far more than the initrds and
		// compressed files of any OS image need, and never more than
		// half of what is free.
		env.MaxSpooled = defaultSpooled
		if free := freeSpace(env.TempDir); free > 0 {
			env.MaxSpooled = min(defaultSpooled, free/2)
		}
	}
	defer env.Close()
	cfg.opt.Env = env
	// A report shows differences only; the interactive view can show
	// identical entries too.
	cfg.opt.DifferencesOnly = !cfg.interactive
	if cfg.interactive {
		return interactive(ctx, cfg, pathA, pathB, env, stderr)
	}
	stopProgress := showProgress(cfg, stderr)
	c := runComparison(ctx, cfg, pathA, pathB, env)
	stopProgress()
	defer c.close()
	writeHeapProfile(cfg, stderr)
	if interrupted(ctx, stderr) || spoolLimit(env, stderr) {
		return exitTrouble
	}
	if len(c.errs) > 0 {
		// Errors quote paths and names from the images: escaped, never
		// sent to the terminal as they are.
		for _, err := range c.errs {
			for _, line := range strings.Split(err.Error(), "\n") {
				fmt.Fprintf(stderr, "isodiff: %s\n", ui.Clean(line))
			}
		}
		return exitTrouble
	}

	// Filters apply to the finished tree: the report, the JSON and the
	// exit status see the same differences.
	diff.FoldMirrors(c.root)
	cfg.report.Hidden = cfg.filter.Apply(c.root)
	ia, ib := c.inputs()
	if cfg.text != "" {
		if err := writeTo(cfg.text, stdout, func(w io.Writer) error { return ui.WriteText(w, ia, ib, c.root, cfg.report) }); err != nil {
			fmt.Fprintf(stderr, "isodiff: writing text report: %v\n", err)
			return exitTrouble
		}
	}
	if cfg.json != "" {
		if err := writeTo(cfg.json, stdout, func(w io.Writer) error { return ui.WriteJSON(w, ia, ib, c.root, cfg.report.Hidden) }); err != nil {
			fmt.Fprintf(stderr, "isodiff: writing JSON report: %v\n", err)
			return exitTrouble
		}
	}
	if cfg.markdown != "" {
		if err := writeTo(cfg.markdown, stdout, func(w io.Writer) error { return ui.WriteMarkdown(w, ia, ib, c.root, cfg.report) }); err != nil {
			fmt.Fprintf(stderr, "isodiff: writing Markdown report: %v\n", err)
			return exitTrouble
		}
	}
	if cfg.html != "" {
		if err := writeTo(cfg.html, stdout, func(w io.Writer) error { return ui.WriteHTML(w, ia, ib, c.root, cfg.report) }); err != nil {
			fmt.Fprintf(stderr, "isodiff: writing HTML report: %v\n", err)
			return exitTrouble
		}
	}
	if incomplete(c.root, stderr) {
		return exitTrouble
	}
	if c.root.Differs() {
		return exitDifferent
	}
	return exitSame
}

// interrupted reports, on one line, a run stopped by a signal (ctx done):
// the comparison is incomplete, and nothing of it is shown.
func interrupted(ctx context.Context, stderr io.Writer) bool {
	if ctx.Err() == nil {
		return false
	}
	fmt.Fprintf(stderr, "isodiff: stopped: %v\n", context.Cause(ctx))
	return true
}

// spoolLimit reports, on one line, a comparison that needed more temporary
// space than --max-spooled allows: where it stopped depends on the
// schedule, so nothing of it is shown.
func spoolLimit(env *unpack.Env, stderr io.Writer) bool {
	if !env.SpoolLimitReached() {
		return false
	}
	fmt.Fprintf(stderr, "isodiff: the comparison needs more than %d bytes of decompressed streams in %s (--max-spooled)\n", env.MaxSpooled, env.TempDir)
	return true
}

// incomplete reports the entries that could not be read for an I/O error,
// one line each (ten at most), and whether there were any.
func incomplete(root *diff.Node, stderr io.Writer) bool {
	var bad []*diff.Node
	root.Walk(func(n *diff.Node) bool {
		if n.IOError {
			bad = append(bad, n)
		}
		return true
	})
	for i, n := range bad {
		if i == 10 {
			fmt.Fprintf(stderr, "isodiff: %d more entries could not be read\n", len(bad)-10)
			break
		}
		fmt.Fprintf(stderr, "isodiff: %s: %s\n", ui.Clean(n.Path()), ui.Clean(joinErr(n.ErrA, n.ErrB)))
	}
	return len(bad) > 0
}

func joinErr(a, b string) string {
	switch {
	case a == "":
		return "B: " + b
	case b == "":
		return "A: " + a
	}
	return "A: " + a + "; B: " + b
}

// interactive runs the comparison behind the terminal UI, which shows the
// tree as it fills in; quitting the UI stops the comparison, and ctx
// being done stops both.
func interactive(ctx context.Context, cfg *config, pathA, pathB string, env *unpack.Env, stderr io.Writer) int {
	// Nothing may write over the screen: not the standard logger, not a
	// library's logrus.
	log.SetOutput(io.Discard)
	logrus.SetOutput(io.Discard)

	memoryHeadroom.Store(13)
	var r *lipgloss.Renderer
	if cfg.report.Color == "always" || cfg.report.Color == "never" {
		r = ui.ColorRenderer(os.Stdout, cfg.report.Color)
	}
	model, stop := startInteractive(ctx, cfg, pathA, pathB, env, r)
	// However the view ends, the comparison ends with it.
	defer stop()
	final, err := tea.NewProgram(model, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx)).Run()
	if interrupted(ctx, stderr) {
		return exitTrouble
	}
	if err != nil {
		fmt.Fprintf(stderr, "isodiff: terminal: %v\n", err)
		return exitTrouble
	}
	m := final.(ui.Model)
	if spoolLimit(env, stderr) {
		return exitTrouble
	}
	if err := m.Err(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "isodiff: %s\n", ui.Clean(line))
		}
	}
	return interactiveStatus(m.Outcome())
}

// interactiveStatus is the exit status after the interactive view: as in
// report mode once the comparison is complete; when the view quit before
// the end, 1 if differences had been found, else 2.
func interactiveStatus(o ui.Outcome) int {
	switch {
	case o.Root != nil && o.Root.Differs():
		return exitDifferent
	case o.Root != nil:
		return exitSame
	case o.DifferencesSeen:
		return exitDifferent
	}
	return exitTrouble
}

// startInteractive starts the comparison in the background and returns
// the UI that watches it (r: the renderer, nil for the terminal's), which
// stops the comparison when it quits, as stop does.
func startInteractive(ctx context.Context, cfg *config, pathA, pathB string, env *unpack.Env, r *lipgloss.Renderer) (m ui.Model, stop context.CancelFunc) {
	ctx, stop = context.WithCancel(ctx)
	feed := &ui.Feed{}
	progress := &diff.Progress{}
	opt := cfg.opt
	opt.OnDone, opt.Progress = feed.Done, progress
	// A person scrolls: keep far more of each diff than a report would.
	opt.MaxDiffLines = max(opt.MaxDiffLines, 20000)
	opt.MaxHexBytes = max(opt.MaxHexBytes, 256<<10)
	run := *cfg
	run.opt = opt

	results := make(chan ui.Result, 1)
	go func() {
		c := runComparison(ctx, &run, pathA, pathB, env)
		results <- ui.Result{Root: c.root, Err: errors.Join(c.errs...)}
	}()
	describe := func(path string) ui.Input {
		in := ui.Input{Path: path}
		if st, err := os.Stat(path); err == nil {
			in.Size, in.IsDir = st.Size(), st.IsDir()
		}
		return in
	}
	return ui.NewModel(ui.Session{
		A: describe(pathA), B: describe(pathB),
		Feed: feed, Progress: progress, Result: results, Cancel: stop,
	}, r), stop
}

// writeTo runs write on standard output for "-", else on a new file.
func writeTo(name string, stdout io.Writer, write func(io.Writer) error) error {
	if name == "-" {
		return write(stdout)
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// knownNoise are the causes --ignore-known-noise hides: what a person
// bisecting a regression, or checking whether a rebuild changed anything
// besides the usual suspects, sets aside. Every one changes bytes that
// follow from when, where or with what the image was built, never what a
// file holds.
var knownNoise = []string{
	"timestamp", "squashfs mkfs_time", "zip entry time", "ar member time", "gzip header", "lzop header", "pyc header",
	"GPT GUID", "MBR disk signature", "FAT serial", "ISO tool version",
	"layout", "El Torito boot-info-table", "order only", "store path hash",
}

// showProgress shows, on standard error when it is a terminal and a report
// is wanted, how far the comparison is, once it has taken long enough to
// want it (half a second), on one line rewritten in place; the returned
// func clears it. Pipes, files and -q get nothing.
func showProgress(cfg *config, stderr io.Writer) (stop func()) {
	f, ok := stderr.(*os.File)
	if !ok || cfg.quiet || cfg.bisect || !term.IsTerminal(f.Fd()) {
		return func() {}
	}
	p := &diff.Progress{}
	cfg.opt.Progress = p
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(f, "\r\x1b[K")
				}
				return
			case <-tick.C:
				if time.Since(start) < 500*time.Millisecond {
					continue
				}
				line := ui.ProgressLine(p, time.Since(start))
				if w, _, err := term.GetSize(f.Fd()); err == nil && w > 1 {
					line = ansi.Truncate(line, w-1, "…")
				}
				fmt.Fprint(f, "\r\x1b[K"+line)
				shown = true
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
