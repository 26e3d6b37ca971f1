package unpack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// pattern is n bytes of no pattern (seeded): nothing in them is a hole.
func pattern(seed uint64, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	for i := range b {
		b[i] |= 1
	}
	return b
}

// failing reads b, then fails with err.
func failing(b []byte, err error) io.Reader {
	return io.MultiReader(bytes.NewReader(b), errReader{err})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// sameAs reports whether d reads exactly the bytes of r: all at once, in
// odd pieces that cross every seam, and nothing past its end.
func sameAs(d Data, r io.Reader) (bool, error) {
	want, err := io.ReadAll(r)
	if err != nil {
		return false, err
	}
	if d.Size() != int64(len(want)) {
		return false, fmt.Errorf("size %d, want %d", d.Size(), len(want))
	}
	got := make([]byte, len(want))
	if n, err := d.ReadAt(got, 0); n != len(got) || (err != nil && err != io.EOF) {
		return false, fmt.Errorf("ReadAt of all: %d bytes, %v", n, err)
	}
	if !bytes.Equal(got, want) {
		return false, errors.New("the bytes differ")
	}
	piece := make([]byte, 100_003)
	for off := int64(0); off < d.Size(); off += int64(len(piece)) {
		n, err := d.ReadAt(piece, off)
		if want := min(int64(len(piece)), d.Size()-off); int64(n) != want || (n < len(piece) && err != io.EOF) {
			return false, fmt.Errorf("ReadAt(%d bytes at %d): %d, %v", len(piece), off, n, err)
		}
		if !bytes.Equal(piece[:n], want[off:off+int64(n)]) {
			return false, fmt.Errorf("the bytes at %d differ", off)
		}
	}
	if n, err := d.ReadAt(piece[:1], d.Size()); n != 0 || err != io.EOF {
		return false, fmt.Errorf("ReadAt past the end: %d, %v", n, err)
	}
	return true, nil
}

// side is one stream of a pair: what it reads and what it must read as.
type side struct {
	src  io.Reader
	want []byte // its bytes, as far as Spool must keep them
	done bool   // the side opens its layer without spooling
}

type spooled struct {
	d   Data
	err error
}

// spoolPair spools a and b through the two Envs of a Pair of env, each in
// its goroutine as the comparison does, and fails the test rather than
// hang.
func spoolPair(t *testing.T, env *Env, a, b side) (ra, rb spooled) {
	t.Helper()
	pa, pb := env.Pair()
	t.Cleanup(func() { pa.Close(); pb.Close() })
	out := [2]*spooled{&ra, &rb}
	var wg sync.WaitGroup
	for i, s := range []side{a, b} {
		e := []*Env{pa, pb}[i]
		wg.Go(func() {
			defer e.Done()
			if !s.done {
				out[i].d, out[i].err = e.Spool(s.src)
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		t.Fatal("a pair of streams did not finish: deadlock")
	}
	return ra, rb
}

func checkSide(t *testing.T, label string, s spooled, want []byte) {
	t.Helper()
	if s.d == nil {
		t.Errorf("%s: no Data (error %v)", label, s.err)
		return
	}
	if ok, err := sameAs(s.d, bytes.NewReader(want)); !ok {
		t.Errorf("%s: does not read its own %d bytes: %v", label, len(want), err)
	}
}

// TestSpoolPairs: whatever two streams of a pair do, each side's Data
// reads exactly its own bytes, and what they have in common is stored
// once.
func TestSpoolPairs(t *testing.T) {
	const mib = 1 << 20
	base := pattern(1, 5*mib+12345)
	changedAt := func(off int) []byte {
		b := bytes.Clone(base)
		b[off] ^= 0xff
		return b
	}
	errBoom := errors.New("boom")
	cases := []struct {
		name       string
		a, b       side
		errA, errB error // errors.Is
		stored     int64 // Env.Spooled, -1: not checked
		sharedLen  int64 // bytes both keep at one place
		sameStored bool
	}{
		{name: "equal", a: side{src: bytes.NewReader(base), want: base}, b: side{src: bytes.NewReader(base), want: base},
			stored: int64(len(base)), sharedLen: int64(len(base)), sameStored: true},
		{name: "small equal", a: side{src: bytes.NewReader(base[:100]), want: base[:100]}, b: side{src: bytes.NewReader(base[:100]), want: base[:100]},
			stored: 100, sharedLen: 100, sameStored: true},
		{name: "empty", a: side{src: bytes.NewReader(nil), want: nil}, b: side{src: bytes.NewReader(nil), want: nil},
			stored: 0, sharedLen: 0, sameStored: true},
		{name: "diverge in chunk 3", a: side{src: bytes.NewReader(base), want: base}, b: side{src: bytes.NewReader(changedAt(3*mib + 7)), want: changedAt(3*mib + 7)},
			stored: 3*mib + 2*int64(len(base)-3*mib), sharedLen: 3 * mib},
		{name: "diverge in the first byte", a: side{src: bytes.NewReader(base), want: base}, b: side{src: bytes.NewReader(changedAt(0)), want: changedAt(0)},
			stored: 2 * int64(len(base)), sharedLen: 0},
		{name: "diverge in the last byte", a: side{src: bytes.NewReader(base), want: base}, b: side{src: bytes.NewReader(changedAt(len(base) - 1)), want: changedAt(len(base) - 1)},
			stored: 5*mib + 2*12345, sharedLen: 5 * mib},
		{name: "A shorter, within a chunk", a: side{src: bytes.NewReader(base[:2*mib+5]), want: base[:2*mib+5]}, b: side{src: bytes.NewReader(base), want: base},
			stored: 2*mib + 5 + int64(len(base)-2*mib), sharedLen: 2 * mib},
		{name: "B shorter, at a chunk's end", a: side{src: bytes.NewReader(base), want: base}, b: side{src: bytes.NewReader(base[:2*mib]), want: base[:2*mib]},
			stored: int64(len(base)), sharedLen: 2 * mib},
		{name: "A fails mid-stream", a: side{src: failing(base[:3*mib+10], errBoom), want: base[:3*mib+10]}, b: side{src: bytes.NewReader(base), want: base},
			errA: errBoom, stored: 3*mib + 10 + int64(len(base)-3*mib), sharedLen: 3 * mib},
		{name: "both fail at the same byte", a: side{src: failing(base[:mib+10], errBoom), want: base[:mib+10]}, b: side{src: failing(base[:mib+10], io.ErrUnexpectedEOF), want: base[:mib+10]},
			errA: errBoom, errB: io.ErrUnexpectedEOF, stored: mib + 10, sharedLen: mib + 10, sameStored: true},
		{name: "B opens without a stream", a: side{src: bytes.NewReader(base), want: base}, b: side{done: true},
			stored: int64(len(base)), sharedLen: -1},
		{name: "A opens without a stream", a: side{done: true}, b: side{src: bytes.NewReader(base[:10]), want: base[:10]},
			stored: 10, sharedLen: -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := &Env{TempDir: t.TempDir()}
			defer env.Close()
			ra, rb := spoolPair(t, env, c.a, c.b)
			for i, s := range []struct {
				side
				spooled
				err error
			}{{c.a, ra, c.errA}, {c.b, rb, c.errB}} {
				label := string("AB"[i])
				if s.done {
					continue
				}
				if (s.err == nil) != (s.spooled.err == nil) || (s.err != nil && !errors.Is(s.spooled.err, s.err)) {
					t.Errorf("%s: error %v, want %v", label, s.spooled.err, s.err)
				}
				checkSide(t, label, s.spooled, s.want)
			}
			if got := env.Spooled(); c.stored >= 0 && got != c.stored {
				t.Errorf("stored %d bytes, want %d", got, c.stored)
			}
			if c.sharedLen < 0 {
				return
			}
			if c.sharedLen > 0 && (!SameStorage(ra.d, 0, rb.d, 0, c.sharedLen) || SameStorage(ra.d, 0, rb.d, 0, c.sharedLen+1)) {
				t.Errorf("SameStorage does not prove exactly the first %d bytes the same", c.sharedLen)
			}
			same, err := ra.d.(StoredEqualer).SameStored(rb.d)
			if same != c.sameStored || err != nil {
				t.Errorf("SameStored: %v, %v; want %v", same, err, c.sameStored)
			}
		})
	}
}

// TestSpoolPairZeros: two bombs of zeros that differ in their last byte
// store one block, and their holes are everything else; a cap cuts both
// where it says, with nothing stored at all.
func TestSpoolPairZeros(t *testing.T) {
	const n = 64 << 20
	last := func(b byte) io.Reader {
		return io.MultiReader(io.LimitReader(zeros{}, n-1), bytes.NewReader([]byte{b}))
	}
	env := &Env{TempDir: t.TempDir()}
	defer env.Close()
	ra, rb := spoolPair(t, env, side{src: last(0)}, side{src: last(1)})
	if ra.err != nil || rb.err != nil {
		t.Fatalf("errors %v, %v", ra.err, rb.err)
	}
	if ok, err := sameAs(ra.d, io.LimitReader(zeros{}, n)); !ok {
		t.Errorf("A: %v", err)
	}
	if ok, err := sameAs(rb.d, last(1)); !ok {
		t.Errorf("B: %v", err)
	}
	if got := env.Spooled(); got != holeBlock {
		t.Errorf("stored %d bytes, want the one block that is not zeros (%d)", got, holeBlock)
	}
	if got, want := ra.d.(Holed).Holes(), []Range{{0, n}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("A's holes %v, want %v", got, want)
	}
	if got, want := rb.d.(Holed).Holes(), []Range{{0, n - holeBlock}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("B's holes %v, want %v", got, want)
	}

	capped := &Env{TempDir: filepath.Join(t.TempDir(), "missing"), MaxDecompressed: n / 2}
	defer capped.Close()
	ra, rb = spoolPair(t, capped, side{src: last(0)}, side{src: last(1)})
	for i, s := range []spooled{ra, rb} {
		if !errors.Is(s.err, ErrTooLarge) {
			t.Errorf("%c: error %v, want ErrTooLarge", "AB"[i], s.err)
		}
		if ok, err := sameAs(s.d, io.LimitReader(zeros{}, n/2)); !ok {
			t.Errorf("%c: %v", "AB"[i], err)
		}
	}
	if capped.Spooled() != 0 {
		t.Errorf("stored %d bytes of zeros", capped.Spooled())
	}
	if same, _ := ra.d.(StoredEqualer).SameStored(rb.d); !same {
		t.Error("the two cut streams are not proven the same")
	}
}

// TestSpoolPairLimit: bytes stored once for both count once against the
// comparison's limit, and both sides stop where it is reached.
func TestSpoolPairLimit(t *testing.T) {
	defer noLeak(t, runtime.NumGoroutine())
	b := pattern(2, 4<<20)
	env := &Env{TempDir: t.TempDir(), MaxSpooled: 3<<20 + 100}
	defer env.Close()
	ra, rb := spoolPair(t, env, side{src: bytes.NewReader(b)}, side{src: bytes.NewReader(b)})
	for i, s := range []spooled{ra, rb} {
		if !errors.Is(s.err, ErrSpoolLimit) || !IsLocal(s.err) {
			t.Errorf("%c: error %v, want the spool limit as a LocalError", "AB"[i], s.err)
		}
		checkSide(t, string("AB"[i]), s, b[:3<<20+100])
	}
	if env.Spooled() != 3<<20+100 || !env.SpoolLimitReached() {
		t.Errorf("stored %d bytes (limit reached: %v), want the limit", env.Spooled(), env.SpoolLimitReached())
	}
}

// TestSpoolPairOrder: the k-th stream of one side meets the k-th of the
// other; after Done a side spools alone (a lazily decoded entry), and a
// stream spooled while reading another does not wait for the partner.
func TestSpoolPairOrder(t *testing.T) {
	one, two := pattern(3, 2<<20+1), pattern(4, 3<<20)
	env := &Env{TempDir: t.TempDir()}
	defer env.Close()
	pa, pb := env.Pair()
	defer pa.Close()
	defer pb.Close()
	var got [2][3]spooled
	var wg sync.WaitGroup
	for i, e := range []*Env{pa, pb} {
		wg.Go(func() {
			func() {
				defer e.Done()
				got[i][0].d, got[i][0].err = e.Spool(bytes.NewReader(one))
				// Side B reads a stream that spools another on its way.
				src := io.Reader(bytes.NewReader(two))
				if i == 1 {
					src = &nested{r: src, env: e, inner: one}
				}
				got[i][1].d, got[i][1].err = e.Spool(src)
			}()
			// After Done: alone, whatever the partner does.
			got[i][2].d, got[i][2].err = e.Spool(bytes.NewReader(two))
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		t.Fatal("deadlock")
	}
	for i := range 2 {
		for k, want := range [][]byte{one, two, two} {
			if got[i][k].err != nil {
				t.Errorf("%c stream %d: %v", "AB"[i], k, got[i][k].err)
			}
			checkSide(t, fmt.Sprintf("%c stream %d", "AB"[i], k), got[i][k], want)
		}
	}
	for k, want := range []bool{true, true, false} {
		if same, _ := got[0][k].d.(StoredEqualer).SameStored(got[1][k].d); same != want {
			t.Errorf("stream %d: SameStored %v, want %v", k, same, want)
		}
	}
}

// nested spools inner through env when first read, as a reader that
// decodes a layer of its own would.
type nested struct {
	r     io.Reader
	env   *Env
	inner []byte
	once  sync.Once
	err   error
}

func (n *nested) Read(p []byte) (int, error) {
	n.once.Do(func() {
		d, err := n.env.Spool(bytes.NewReader(n.inner))
		if err == nil {
			if ok, cerr := sameAs(d, bytes.NewReader(n.inner)); !ok {
				err = cerr
			}
		}
		n.err = err
	})
	if n.err != nil {
		return 0, n.err
	}
	return n.r.Read(p)
}

// TestSpoolPairPanic: a side whose reader panics leaves its partner to go
// on alone.
func TestSpoolPairPanic(t *testing.T) {
	defer noLeak(t, runtime.NumGoroutine())
	b := pattern(5, 3<<20)
	env := &Env{TempDir: t.TempDir()}
	defer env.Close()
	pa, pb := env.Pair()
	defer pa.Close()
	defer pb.Close()
	var da Data
	var errA error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer pa.Done()
		da, errA = pa.Spool(bytes.NewReader(b))
	})
	wg.Go(func() {
		defer pb.Done()
		defer func() { recover() }()
		pb.Spool(io.MultiReader(bytes.NewReader(b[:1<<20]), panicReader{}))
	})
	wg.Wait()
	if errA != nil {
		t.Fatal(errA)
	}
	checkSide(t, "A", spooled{d: da}, b)
}

// noLeak fails the test when goroutines it started outlive it: the
// readers decoding ahead end before Spool returns.
func noLeak(t *testing.T, before int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines left running", runtime.NumGoroutine()-before)
}

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("reader bug") }

// TestSpoolPairsRandom runs many pairs at once, of random lengths,
// divergences, failures and limits (run it with -race): every side reads
// its own bytes, or the error says why not.
func TestSpoolPairsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	base := pattern(6, 6<<20)
	env := &Env{TempDir: t.TempDir(), MaxDecompressed: 5 << 20}
	defer env.Close()
	type run struct {
		srcs [2][]byte
		fail [2]bool
		done [2]bool
		got  [2]spooled
	}
	runs := make([]*run, 24)
	for i := range runs {
		ru := &run{}
		for s := range 2 {
			n := r.IntN(len(base) + 1)
			if r.IntN(3) == 0 {
				n = r.IntN(3) << 20
			}
			b := bytes.Clone(base[:n])
			if n > 0 && r.IntN(2) == 0 {
				b[r.IntN(n)] ^= 0x55
			}
			if r.IntN(4) == 0 {
				clear(b[:n/2])
			}
			ru.srcs[s], ru.fail[s], ru.done[s] = b, r.IntN(5) == 0, r.IntN(8) == 0
		}
		runs[i] = ru
	}
	var wg sync.WaitGroup
	for _, ru := range runs {
		wg.Go(func() {
			pa, pb := env.Pair()
			defer pa.Close()
			defer pb.Close()
			var inner sync.WaitGroup
			for s, e := range []*Env{pa, pb} {
				inner.Go(func() {
					defer e.Done()
					if ru.done[s] {
						return
					}
					var src io.Reader = bytes.NewReader(ru.srcs[s])
					if ru.fail[s] {
						src = failing(ru.srcs[s], io.ErrUnexpectedEOF)
					}
					ru.got[s].d, ru.got[s].err = e.Spool(src)
				})
			}
			inner.Wait()
			for s := range 2 {
				if ru.done[s] {
					continue
				}
				want, err := ru.srcs[s], ru.got[s].err
				cut := int64(len(want)) > env.MaxDecompressed
				if cut {
					want = want[:env.MaxDecompressed]
				}
				switch {
				case cut && !errors.Is(err, ErrTooLarge):
					t.Errorf("%d bytes over the limit: error %v", len(ru.srcs[s]), err)
				case !cut && ru.fail[s] && !errors.Is(err, io.ErrUnexpectedEOF):
					t.Errorf("failing reader: error %v", err)
				case !cut && !ru.fail[s] && err != nil:
					t.Errorf("error %v", err)
				}
				if ok, cerr := sameAs(ru.got[s].d, bytes.NewReader(want)); !ok {
					t.Errorf("a side of %d bytes: %v", len(want), cerr)
				}
			}
		})
	}
	wg.Wait()
}

// TestSharedSections: the bytes two sections of paired streams hold at one
// place are proven the same, through the sections; WithoutShared leaves
// out what both keep at one place.
func TestSharedSections(t *testing.T) {
	b := pattern(8, 4<<20)
	c := bytes.Clone(b)
	c[3<<20+5] ^= 1
	env := &Env{TempDir: t.TempDir()}
	defer env.Close()
	ra, rb := spoolPair(t, env, side{src: bytes.NewReader(b)}, side{src: bytes.NewReader(c)})
	sa, sb := io.NewSectionReader(ra.d, 1000, 3<<20), io.NewSectionReader(rb.d, 1000, 3<<20)
	if !SameStorage(sa, 0, sb, 0, 3<<20-1000) {
		t.Error("the sections' shared bytes are not proven the same")
	}
	if SameStorage(sa, 0, sb, 1, 100) || SameStorage(sa, 0, sb, 0, 3<<20) {
		t.Error("bytes at other places, or past the shared part, proven the same")
	}
	if SameStorage(io.NewSectionReader(sa, 0, 10), 0, sb, 0, 11) {
		t.Error("bytes past a section's end proven the same")
	}
	got := WithoutShared([]Range{{0, 4 << 20}}, ra.d, rb.d, 0)
	if want := []Range{{3 << 20, 4 << 20}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("WithoutShared %v, want %v", got, want)
	}
	got = WithoutShared([]Range{{0, 3 << 20}}, sa, sb, 100)
	// Shared: [0, 3 MiB-1000) of the sections, less 100 bytes of margin
	// at each end, in whole pages.
	if want := []Range{{0, 4096}, {(3<<20 - 1100) &^ 4095, 3 << 20}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("WithoutShared of sections %v, want %v", got, want)
	}
}

// TestSpoolSmallInMemory: a stream of up to a MiB never touches the disk,
// whatever part of it is shared; a longer one does.
func TestSpoolSmallInMemory(t *testing.T) {
	b := pattern(9, maxMemStore)
	c := bytes.Clone(b)
	c[600_000] ^= 1
	env := &Env{TempDir: filepath.Join(t.TempDir(), "missing")}
	defer env.Close()
	ra, rb := spoolPair(t, env, side{src: bytes.NewReader(b)}, side{src: bytes.NewReader(c)})
	checkSide(t, "A", ra, b)
	checkSide(t, "B", rb, c)
	if ra.err != nil || rb.err != nil {
		t.Errorf("a MiB each, without a temporary directory: %v, %v", ra.err, rb.err)
	}
	long := append(bytes.Clone(b), 1)
	ra, rb = spoolPair(t, env, side{src: bytes.NewReader(long)}, side{src: bytes.NewReader(append(bytes.Clone(c), 1))})
	if !IsLocal(ra.err) || !IsLocal(rb.err) {
		t.Errorf("a MiB and a byte each, without a temporary directory: %v, %v; want LocalErrors", ra.err, rb.err)
	}
	if env.budget().mem.Load() > 4*maxMemStore {
		t.Errorf("%d bytes in memory for two pairs", env.budget().mem.Load())
	}
}

// TestSpoolClose: the second Close of a pair releases what the two
// shared, memory and files; reading after that fails, never panics.
func TestSpoolClose(t *testing.T) {
	b := pattern(10, 3<<20)
	env := &Env{TempDir: t.TempDir()}
	pa, pb := env.Pair()
	var da, db Data
	var wg sync.WaitGroup
	wg.Go(func() { defer pa.Done(); da, _ = pa.Spool(bytes.NewReader(b)) })
	wg.Go(func() { defer pb.Done(); db, _ = pb.Spool(bytes.NewReader(b[:1<<20+100])) })
	wg.Wait()
	if err := pa.Close(); err != nil {
		t.Fatal(err)
	}
	// B's Data lies in the store A shared with it: still there.
	checkSide(t, "B after A's Close", spooled{d: db}, b[:1<<20+100])
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
	if m := env.budget().mem.Load(); m != 0 {
		t.Errorf("%d bytes of memory held after both Close", m)
	}
	for _, d := range []Data{da, db} {
		if n, err := d.ReadAt(make([]byte, 10), 0); err == nil {
			t.Errorf("read %d bytes after Close", n)
		}
	}
}
