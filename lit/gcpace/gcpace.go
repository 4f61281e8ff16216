// Package gcpace paces the Go garbage collector of a process whose live
// heap is small while it allocates fast: litsignerd and the devnet child.
//
// With the default GOGC=100 the GC runs each time the program has
// allocated as much as its live heap base B (the heap marked live, plus the
// scanned stacks and globals). With a base of a few MB and each request
// allocating ~100 KB, such a process collects dozens of times a second
// under load, and each cycle also scans every goroutine's stack. After each
// collection the pacer therefore sets the GC percent so that the next cycle
// may allocate at least a minimum number of bytes (the cycle):
// percent = clamp(cycle*100/B, 100, MaxPercent(cycle)). The next cycle then
// allocates at most max(B, cycle), never less than under GOGC=100, and a
// large live heap brings the percent back to 100.
package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// heapMinimum is the runtime's minimum heap goal at GOGC=100: the goal
// never falls below heapMinimum × percent/100 (the whole goal before the
// first collection).
const heapMinimum = 4 << 20

// MaxPercent is the largest percent the pacer sets for cycle: at it, the
// runtime's heap minimum is cycle, so that a tiny live heap cannot stretch
// a cycle past cycle either.
func MaxPercent(cycle uint64) int {
	return int(max(100, cycle*100/heapMinimum))
}

// PercentFor is the GC percent for a live heap base of base bytes:
// cycle*100/base within [100, MaxPercent(cycle)] (MaxPercent when base is
// not known yet).
func PercentFor(base, cycle uint64) int {
	top := MaxPercent(cycle)
	if base == 0 {
		return top
	}
	if base >= cycle {
		return 100
	}
	return int(min(uint64(top), max(100, cycle*100/base)))
}

// tuner recomputes the GC percent after every collection.
type tuner struct {
	cycle   uint64
	sample  []metrics.Sample
	percent int
	// tunes counts the tunings, for tests.
	tunes atomic.Int64
}

// Start paces the GC so that each cycle may allocate at least cycle bytes,
// for the rest of the process's life: it sets the percent after every
// collection, from the first one on (until then the heap is as small as
// the runtime keeps it: a process that starts and then waits keeps its
// small footprint). An environment GOGC is overridden.
func Start(cycle uint64) { start(cycle) }

func start(cycle uint64) *tuner {
	t := &tuner{
		cycle: cycle,
		sample: []metrics.Sample{
			{Name: "/gc/heap/live:bytes"},
			{Name: "/gc/scan/stack:bytes"},
			{Name: "/gc/scan/globals:bytes"},
		},
		percent: -2, // never a real percent: the first tune sets one
	}
	t.arm()
	return t
}

// sentinel is an object only a finalizer refers to: its finalizer runs
// after each collection that found it unreachable, i.e. once per cycle. It
// holds a pointer so that the allocator does not pack it with other tiny
// objects (which would delay its finalizer).
type sentinel struct{ _ *byte }

// arm allocates a sentinel whose finalizer tunes the GC and arms a new one.
func (t *tuner) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		t.tune()
		t.arm()
	})
}

// tune sets the percent for the cycle that starts now.
func (t *tuner) tune() {
	t.tunes.Add(1)
	if p := PercentFor(t.base(), t.cycle); p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
}

// base is what the GC pacer multiplies the percent by: the heap marked
// live by the last cycle, its scanned stacks and the scannable globals.
func (t *tuner) base() uint64 {
	metrics.Read(t.sample)
	var base uint64
	for _, s := range t.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			base += s.Value.Uint64()
		}
	}
	return base
}
