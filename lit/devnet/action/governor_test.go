package action

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestGovernorSharedBudget checks which runs the watchdog stops, from the
// charges it holds: the shared budget bounds all the memory the runs hold,
// that of runs already interrupted (freed only by a GC after they stop)
// and the retired garbage of runs that are over included. Ten array bombs
// in a row took the devnet child past its data cap while the budget
// counted only the runs not yet interrupted.
func TestGovernorSharedBudget(t *testing.T) {
	const budget, ownLimit = 100, 70
	type run struct {
		charge  float64
		tripped bool
	}
	tests := []struct {
		name    string
		retired float64
		runs    []run
		want    []bool // tripped after enforcement, per run
		shared  []bool // stopped by the shared budget, per run
	}{
		{"all fit", 10, []run{{20, true}, {30, false}, {30, false}}, []bool{true, false, false}, nil},
		{"interrupted runs count", 0, []run{{80, true}, {30, false}}, []bool{true, true}, []bool{false, true}},
		{"retired garbage counts", 90, []run{{20, false}}, []bool{true}, []bool{true}},
		{"garbage alone over the budget stops every run", 120, []run{{0, false}, {5, false}}, []bool{true, true}, []bool{true, true}},
		{"largest first, until the rest fit", 0, []run{{20, false}, {55, false}, {30, false}}, []bool{false, true, false}, []bool{false, true, false}},
		{"own limit first", 0, []run{{ownLimit + 10, false}, {10, false}}, []bool{true, false}, []bool{false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGovernor()
			g.budget.Store(budget)
			g.retired = tc.retired
			meters := make([]*meter, len(tc.runs))
			stopped := make([]*MemoryLimitError, len(tc.runs))
			for i, r := range tc.runs {
				meters[i] = &meter{limit: ownLimit, charge: r.charge, tripped: r.tripped, exceed: func(e *MemoryLimitError) { stopped[i] = e }}
				g.meters[meters[i]] = struct{}{}
			}
			g.mu.Lock()
			g.enforceLocked()
			g.mu.Unlock()
			for i, m := range meters {
				if m.tripped != tc.want[i] {
					t.Errorf("run %d (charge %v): tripped = %v, want %v", i, tc.runs[i].charge, m.tripped, tc.want[i])
				}
				if tc.shared != nil && stopped[i] != nil && stopped[i].Shared != tc.shared[i] {
					t.Errorf("run %d: stopped by %+v, want shared = %v", i, stopped[i], tc.shared[i])
				}
			}
		})
	}
}

// sink keeps the test's garbage from being optimised away.
var sink []byte

// TestGovernorCountsGarbageOfEarlierRuns checks that the first run of a
// batch starts with the heap allocated since the last GC counted as
// retired: when runs follow a batch of stopped memory bombs whose garbage
// the GC has not freed yet, the new runs may not add a whole budget on top
// of it.
func TestGovernorCountsGarbageOfEarlierRuns(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no GC frees the garbage early
	runtime.GC()
	for range 64 {
		sink = make([]byte, 1<<20) // 63 MiB of garbage
	}
	g := newGovernor()
	m := g.register(1<<30, func(*MemoryLimitError) {})
	defer g.unregister(m)
	g.mu.Lock()
	retired := g.retired
	g.mu.Unlock()
	if retired < 32<<20 {
		t.Errorf("retired = %.0f MiB after 63 MiB of garbage, want at least 32 MiB", retired/(1<<20))
	}
}
