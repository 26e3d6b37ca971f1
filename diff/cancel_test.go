package diff

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"isodiff/unpack"
)

// zeros is size bytes of zeros but the last one, last: contents large
// enough to take seconds to compare, held neither in memory nor on disk.
type zeros struct {
	size int64
	last byte
}

func (z zeros) Size() int64 { return z.size }

func (z zeros) ReadAt(p []byte, off int64) (int, error) {
	if off >= z.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.size-off))
	clear(p[:n])
	if off+int64(n) == z.size {
		p[n-1] = z.last
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// bigPair is two trees holding one file of size bytes, which differ in
// their last byte only.
func bigPair(size int64) (a, b *unpack.Node) {
	tree := func(last byte) *unpack.Node {
		return dir("", dir("/", &unpack.Node{Name: "big", Type: unpack.TypeFile, Layer: "test", Offset: -1, Data: zeros{size, last}}))
	}
	return tree(0), tree(1)
}

// TestCompareCancelled: a comparison stops within a few chunks of its
// context being cancelled, whatever it is doing, and says why.
func TestCompareCancelled(t *testing.T) {
	// 8 GiB on each side: seconds of reading, which must not run on.
	a, b := bigPair(8 << 30)
	for _, after := range []time.Duration{0, 5 * time.Millisecond, 20 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		var done atomic.Int64
		opt := DefaultOptions()
		opt.OnDone = func(*Node) { done.Add(1) }
		start := time.Now()
		time.AfterFunc(after, cancel)
		root, err := Compare(ctx, "x", a, b, opt)
		stopped := time.Since(start) - after
		if !errors.Is(err, context.Canceled) || root != nil {
			t.Fatalf("cancelled after %v: %v, tree %v", after, err, root != nil)
		}
		if stopped > 100*time.Millisecond {
			t.Errorf("cancelled after %v: returned %v later", after, stopped)
		}
		if done.Load() > 0 {
			t.Errorf("cancelled after %v: %d unfinished pairs handed on", after, done.Load())
		}
		t.Logf("cancelled after %v: returned %v later", after, stopped.Round(time.Millisecond))
	}
}

// TestDiffsStopWhenCancelled: the hex and text diffs, which read or work
// through whole contents, stop at once on a context that is done.
func TestDiffsStopWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	hexDiff(ctx, viewOf(zeros{8 << 30, 0}), viewOf(zeros{8 << 30, 1}), DefaultOptions())
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("hex diff of a cancelled comparison took %v", took)
	}
	ta, tb := reversedLines(240000)
	_, whole := textDiffWork(context.Background(), ta, tb, DefaultOptions())
	_, cut := textDiffWork(ctx, ta, tb, DefaultOptions())
	if cut > 2*checkSteps || whole < 10*checkSteps {
		t.Errorf("text diff took %d steps when cancelled, %d when not", cut, whole)
	}
}
