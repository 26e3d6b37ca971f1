package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// Memory bound. The garbage collector's default lets the heap grow to twice
// what is live after each collection; the two unpacked trees of a large
// pair are live at once just after they are opened, so the peak would be
// twice their size. Instead the collector runs only when the heap reaches a
// soft limit: memoryFloor, raised to half as much again as the live heap
// whenever that grows past it, so that inputs that need more than the floor
// get it without the collector running all the time. Collecting only at the
// limit also spares the collections of a heap that only grows while the
// trees are opened (5-7% of the time of a large pair).
const memoryFloor = 176 << 20

// memoryHeadroom is how far above the live heap the limit is raised, in
// tenths: 1.5 for reports; the interactive view, which keeps every pair
// (to show identical entries too) and so has more live, sets 1.3, trading
// a few per cent of the comparison's time for staying under 256 MiB on
// the full-size bench pairs.
var memoryHeadroom atomic.Int64

func init() { memoryHeadroom.Store(15) }

// boundMemory sets the soft memory limit and keeps it above the live heap
// for the life of the process. A GOMEMLIMIT set in the environment leaves
// both settings alone, a GOGC the collector's percentage.
func boundMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(memoryFloor)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(-1)
	}
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		limit := int64(memoryFloor)
		for range tick.C {
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			if want := int64(sample[0].Value.Uint64()) * memoryHeadroom.Load() / 10; want > limit {
				limit = want
				debug.SetMemoryLimit(limit)
			}
		}
	}()
}
