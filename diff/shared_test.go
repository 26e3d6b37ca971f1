package diff

import (
	"bytes"
	"context"
	"reflect"
	"sync"
	"testing"

	"isodiff/unpack"
)

// spoolPair spools a and b as the comparison opens two sides of a layer:
// through the two Envs of a Pair, each in its own goroutine.
func spoolPair(t *testing.T, a, b []byte) (da, db unpack.Data) {
	t.Helper()
	env := &unpack.Env{TempDir: t.TempDir()}
	envA, envB := env.Pair()
	t.Cleanup(func() { envA.Close(); envB.Close() })
	var errA, errB error
	var wg sync.WaitGroup
	wg.Go(func() { defer envA.Done(); da, errA = envA.Spool(bytes.NewReader(a)) })
	wg.Go(func() { defer envB.Done(); db, errB = envB.Spool(bytes.NewReader(b)) })
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	return da, db
}

// TestSharedSpool: streams spooled in step compare as their bytes do. The
// part they share is left out of the hex diff but for the context next
// to a difference, which is shown as if it had been read.
func TestSharedSpool(t *testing.T) {
	a := make([]byte, 3<<20)
	for i := range a {
		a[i] = byte(i*7 + i>>12)
	}
	b := bytes.Clone(a)
	b[1<<20] ^= 1 // the first byte after the first chunk, which is shared
	b[5<<19+3] ^= 1
	da, db := spoolPair(t, a, b)
	if !unpack.SameStorage(da, 0, db, 0, 1<<20) {
		t.Fatal("the first chunk is not shared")
	}
	opt := DefaultOptions()
	opt.ContextRows = 3
	got := hexDiff(context.Background(), viewOf(da), viewOf(db), opt)
	want := hexDiff(context.Background(), viewOf(data(a)), viewOf(data(b)), opt)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hex diff of the spooled streams\n%+v\nwant\n%+v", got, want)
	}
	if got.DiffBytes != 2 || got.FirstDiff != 1<<20 || len(got.Hunks[0].Rows) != 7 {
		t.Errorf("%d bytes differ from %#x, %d rows in the first hunk", got.DiffBytes, got.FirstDiff, len(got.Hunks[0].Rows))
	}

	da, db = spoolPair(t, a, a)
	if same, err := equalData(context.Background(), da, db, nil); !same || err != nil {
		t.Errorf("equal streams: same %v, %v", same, err)
	}
	da, db = spoolPair(t, a, b)
	if same, err := equalData(context.Background(), da, db, nil); same || err != nil {
		t.Errorf("differing streams: same %v, %v", same, err)
	}
}
