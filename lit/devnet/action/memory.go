package action

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// How the memory limits work.
//
// goja allocates on the Go heap and has no heap limit of its own, and Go
// cannot say which goroutine owns which bytes. So a watchdog samples the
// process's heap (runtime/metrics, every sampleEvery while runs are active)
// and charges each growth to the runs that executed JavaScript during that
// interval, in equal parts; a shrink (the GC freed something) first retires
// the memory of runs that are over, then shrinks every active charge in
// proportion. A run whose charge passes its Limits.MaxMemory is interrupted
// with a *MemoryLimitError. The shared budget (SetMemoryBudget) bounds all
// the memory the runs hold: the charges of the running ones, of the ones
// already interrupted (a run stops at its next instruction, and what it
// holds is freed only by a later GC), and the garbage of runs that are over
// (retired). When that passes the budget, the largest running runs are
// interrupted until the rest fit, so ten bombs at once, or two batches of
// them in a row, cannot add up past it. Built-ins whose allocation size
// follows from their arguments (String.prototype.repeat/padStart/padEnd,
// ArrayBuffer and typed-array constructors) are checked before they
// allocate, because one such call can ask for terabytes, which the Go
// runtime cannot survive. Array.prototype.fill, one native loop in goja
// (150 bytes per element over a sparse array), is run a chunk at a time
// (guardFill). %TypedArray%.from and Array.from are checked too
// (guardFrom); Array.from reads an array-like through a counting proxy
// (watchLoops).
//
// What this cannot stop: one built-in call that grows without bound inside
// goja (Array.from of a native iterator over a huge sparse array, toSorted,
// toReversed, with or toSpliced of one, JSON.stringify of an exponentially
// shared object graph), or that loops for good over a huge length
// (Array.prototype.indexOf, join, reverse... on {length: 2 ** 53 - 1});
// goja checks interrupts only between instructions. Run abandons such a
// call at the deadline but its goroutine goes on. Programs that must
// survive hostile actions run the devnet in a separate process under an
// address space limit that exits when a run stays stuck (SetStuckHandler;
// litsignerd --dev does).

// DefaultMaxMemory is the memory limit of one run, that of real Lit nodes
// (256 MB, the V8 heap limit of their Deno runtime).
const DefaultMaxMemory = 256 << 20

// DefaultMemoryBudget is the memory all the runs of this process may use
// together (see SetMemoryBudget). It keeps a ten-node devnet running ten
// memory bombs at once well under 1 GiB resident.
const DefaultMemoryBudget = 256 << 20

// sampleEvery is the watchdog's period. At a few GB/s of allocation per
// core, it lets a run overshoot its limit by some tens of MB at most.
const sampleEvery = time.Millisecond

// ErrMemoryLimit is wrapped by every *MemoryLimitError.
var ErrMemoryLimit = errors.New("action: memory limit exceeded")

// MemoryLimitError ends a run that used more memory than it may.
type MemoryLimitError struct {
	// Limit is the limit passed, in bytes.
	Limit int64
	// Shared is true when the limit was the budget shared by all the runs
	// of the process rather than the run's own.
	Shared bool
}

// Error names the limit.
func (e *MemoryLimitError) Error() string {
	if e.Shared {
		return fmt.Sprintf("action stopped: the actions running together exceeded their shared memory limit of %s", formatBytesSize(e.Limit))
	}
	return fmt.Sprintf("action exceeded its memory limit of %s", formatBytesSize(e.Limit))
}

// Unwrap returns ErrMemoryLimit.
func (e *MemoryLimitError) Unwrap() error { return ErrMemoryLimit }

// formatBytesSize prints n in MiB when it is a whole number of them.
func formatBytesSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// SetMemoryBudget sets the memory all runs of the process may use
// together, in bytes (<= 0: DefaultMemoryBudget), and returns the previous
// value. A program running a devnet sets it once, before starting runs.
func SetMemoryBudget(n int64) int64 {
	if n <= 0 {
		n = DefaultMemoryBudget
	}
	return watchdog.budget.Swap(n)
}

// watchdog is the process's single memory governor.
var watchdog = newGovernor()

// governor charges heap growth to the active runs.
type governor struct {
	budget atomic.Int64

	mu      sync.Mutex
	meters  map[*meter]struct{}
	last    int64   // heap sample at the previous tick
	retired float64 // memory charged to runs that are over, not yet freed
	running bool    // the sampler goroutine is running
	sample  []metrics.Sample
	// live reads the heap the last GC found live.
	live []metrics.Sample
}

func newGovernor() *governor {
	g := &governor{
		meters: map[*meter]struct{}{},
		sample: []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/heap/stacks:bytes"},
		},
		live: []metrics.Sample{{Name: "/gc/heap/live:bytes"}},
	}
	g.budget.Store(DefaultMemoryBudget)
	return g
}

// meter is one run's account.
type meter struct {
	limit int64
	// busy counts the run's goroutines executing JavaScript right now
	// (0 or 1); active is set whenever it ran since the last tick.
	busy   atomic.Int32
	active atomic.Bool
	charge float64 // guarded by governor.mu
	// exceed ends the run with the error; called at most once.
	exceed  func(*MemoryLimitError)
	tripped bool // guarded by governor.mu
}

// enter and leave bracket the run's JavaScript execution; between them the
// run can allocate.
func (m *meter) enter() {
	m.busy.Add(1)
	m.active.Store(true)
}

func (m *meter) leave() { m.busy.Add(-1) }

// remaining is how many more bytes the run may allocate in one go.
func (m *meter) remaining() int64 {
	watchdog.mu.Lock()
	defer watchdog.mu.Unlock()
	return max(0, min(m.limit-int64(m.charge), watchdog.budget.Load()-int64(watchdog.totalLocked())))
}

// trip ends the run with e unless it already ended.
func (g *governor) tripLocked(m *meter, e *MemoryLimitError) {
	if m.tripped {
		return
	}
	m.tripped = true
	m.exceed(e)
}

// register opens an account; the caller must unregister it.
func (g *governor) register(limit int64, exceed func(*MemoryLimitError)) *meter {
	m := &meter{limit: limit, exceed: exceed}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.meters) == 0 {
		g.last = g.heap()
		// The heap allocated since the last GC may be the garbage of
		// earlier runs (a batch of memory bombs that just stopped): it
		// counts as retired until a GC frees it, so that the next runs
		// cannot pile their own budget on top of it.
		g.retired = float64(g.sinceGC())
	}
	g.meters[m] = struct{}{}
	if !g.running {
		g.running = true
		go g.sampleLoop()
	}
	return m
}

// unregister closes m's account. What m still holds becomes retired until
// the GC frees it; a tripped run's garbage is collected at once so that the
// next runs start from a clean heap.
// It may be called again (Run closes an abandoned run's account at once,
// its goroutine when it stops): only the first call counts.
func (g *governor) unregister(m *meter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.meters[m]; !ok {
		return
	}
	delete(g.meters, m)
	g.retired += m.charge
	if m.tripped {
		go runtime.GC()
	}
}

func (g *governor) sampleLoop() {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for range t.C {
		if !g.tick() {
			return
		}
	}
}

// heap reads the bytes of heap objects (live or not yet swept) and of
// goroutine stacks (deep recursion in a built-in grows the VM goroutine's).
func (g *governor) heap() int64 {
	metrics.Read(g.sample)
	var n int64
	for _, s := range g.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			n += int64(s.Value.Uint64())
		}
	}
	return n
}

// sinceGC is the bytes of heap objects beyond what the last GC found live:
// garbage, or memory allocated since. It takes the heap objects from the
// sample heap just read.
func (g *governor) sinceGC() int64 {
	metrics.Read(g.live)
	objects, live := g.sample[0].Value, g.live[0].Value
	if objects.Kind() != metrics.KindUint64 || live.Kind() != metrics.KindUint64 {
		return 0
	}
	return max(0, int64(objects.Uint64())-int64(live.Uint64()))
}

// tick charges the heap change since the previous tick and trips the runs
// over a limit. It returns false, stopping the sampler, when no run is
// left.
func (g *governor) tick() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.meters) == 0 {
		g.running = false
		g.retired = 0
		return false
	}
	h := g.heap()
	delta := float64(h - g.last)
	g.last = h
	var ran []*meter
	for m := range g.meters {
		if m.active.Swap(m.busy.Load() > 0) {
			ran = append(ran, m)
		}
	}
	switch {
	case delta > 0 && len(ran) > 0:
		share := delta / float64(len(ran))
		for _, m := range ran {
			m.charge += share
		}
	case delta > 0:
		g.retired += delta // allocated outside any run
	case delta < 0:
		freed := -delta
		fromRetired := min(freed, g.retired)
		g.retired -= fromRetired
		freed -= fromRetired
		if total := g.totalLocked(); freed > 0 && total > 0 {
			f := max(0, total-freed) / total
			for m := range g.meters {
				m.charge *= f
			}
		}
	}
	g.enforceLocked()
	return true
}

// totalLocked is the memory the runs hold: the charges of every run,
// interrupted or not (an interrupted run's memory is freed only by a GC
// after it stops), and the retired garbage of runs that are over.
func (g *governor) totalLocked() float64 {
	total := g.retired
	for m := range g.meters {
		total += m.charge
	}
	return total
}

// enforceLocked trips every run over its own limit, then the largest
// running runs until the memory the runs hold fits in the shared budget.
// Tripping a run frees nothing at once: while the memory of interrupted
// runs and the retired garbage alone pass the budget, every running run is
// tripped, since any of its allocations would add to the excess.
func (g *governor) enforceLocked() {
	for m := range g.meters {
		if !m.tripped && m.charge > float64(m.limit) {
			g.tripLocked(m, &MemoryLimitError{Limit: m.limit})
		}
	}
	budget := float64(g.budget.Load())
	total := g.totalLocked()
	if total <= budget {
		return
	}
	var running []*meter
	for m := range g.meters {
		if !m.tripped {
			running = append(running, m)
		}
	}
	slices.SortFunc(running, func(a, b *meter) int { return cmp.Compare(b.charge, a.charge) })
	for _, m := range running {
		if total <= budget {
			return
		}
		total -= m.charge
		g.tripLocked(m, &MemoryLimitError{Limit: int64(budget), Shared: true})
	}
}

// refuse trips m at once: a built-in is about to allocate more than the
// run may use.
func (g *governor) refuse(m *meter, want int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if want > m.limit-int64(m.charge) {
		g.tripLocked(m, &MemoryLimitError{Limit: m.limit})
		return
	}
	g.tripLocked(m, &MemoryLimitError{Limit: g.budget.Load(), Shared: true})
}
