package devnet

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// The devnet child's GC pacing.
//
// With the default GOGC=100 the GC runs each time the program has
// allocated as much as its live heap (plus stacks and globals). The devnet's
// live heap is small (some MB) while each node request allocates ~100 KB,
// so under load the child collected dozens of times a second, a fifth of
// its CPU. After each collection the child therefore sets the GC percent so
// that the next cycle may allocate at least minGCCycle bytes: with a live
// heap base B, percent = clamp(minGCCycle*100/B, 100, maxGCPercent), so the
// next cycle allocates at most max(B, minGCCycle), never less than under
// GOGC=100.
//
// Why the action memory accounting stays correct (action/memory.go): the
// watchdog charges heap growth to the runs that executed JavaScript and
// reduces the charges only when the heap shrinks, i.e. after a collection.
// So between two collections the active runs together are charged at most
// what the process allocated during the cycle. Under GOGC=100 that is B; here
// it is max(B, minGCCycle). Where the two differ (B < minGCCycle), the
// extra charge is below minGCCycle (32 MiB), far from any run's limit
// (256 MiB by default, never below what a real action needs) and from the
// shared budget (at least 256 MiB); where B >= minGCCycle nothing changes.
// A run that really keeps memory raises B itself, which brings the percent
// back to 100. Growth is still charged as soon as it is sampled, so a memory
// bomb is caught exactly as early as before. The process's soft memory
// limit (limitMemory) still forces collections near the RLIMIT_DATA cap,
// whatever the percent.
const minGCCycle = 32 << 20

// maxGCPercent caps the percent. The runtime never lets the heap goal fall
// below a minimum of 4 MiB × percent/100 (the whole goal before the first
// collection): at 800 that minimum is minGCCycle, so a tiny live heap cannot
// stretch a cycle past minGCCycle either.
const maxGCPercent = 800

// gcTuner recomputes the GC percent after every collection.
type gcTuner struct {
	sample  []metrics.Sample
	percent int
}

// startGCTuner arms the tuner; it runs for the rest of the process's life.
func startGCTuner() {
	t := &gcTuner{
		sample: []metrics.Sample{
			{Name: "/gc/heap/live:bytes"},
			{Name: "/gc/scan/stack:bytes"},
			{Name: "/gc/scan/globals:bytes"},
		},
		percent: 100,
	}
	t.tune()
	t.arm()
}

// gcSentinel is an object only a finalizer refers to: its finalizer runs
// after each collection that found it unreachable, i.e. once per cycle. It
// holds a pointer so that the allocator does not pack it with other tiny
// objects (which would delay its finalizer).
type gcSentinel struct{ _ *byte }

// arm allocates a sentinel whose finalizer tunes the GC and arms a new one.
func (t *gcTuner) arm() {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		t.tune()
		t.arm()
	})
}

// tune sets the percent for the cycle that starts now.
func (t *gcTuner) tune() {
	if p := t.target(); p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
}

// target is gcPercentFor(B), B being what the GC pacer
// multiplies the percent by: the heap marked live by the last cycle, its
// scanned stacks and the scannable globals.
func (t *gcTuner) target() int {
	metrics.Read(t.sample)
	var base uint64
	for _, s := range t.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			base += s.Value.Uint64()
		}
	}
	return gcPercentFor(base)
}

// gcPercentFor is the percent for a base of B bytes:
// minGCCycle*100/B within [100, maxGCPercent].
func gcPercentFor(base uint64) int {
	if base == 0 {
		return maxGCPercent // before the first collection: see maxGCPercent
	}
	if base >= minGCCycle {
		return 100
	}
	return int(min(maxGCPercent, max(100, uint64(minGCCycle)*100/base)))
}
