package gcpace

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestPercentFor(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name        string
		base, cycle uint64
		want        int
	}{
		{"unknown base", 0, 32 * mib, 800},
		{"tiny heap: capped at the runtime's heap minimum", 1 * mib, 32 * mib, 800},
		{"an eighth", 4 * mib, 32 * mib, 800},
		{"a quarter", 8 * mib, 32 * mib, 400},
		{"just below", 32*mib - 1, 32 * mib, 100},
		{"at the cycle", 32 * mib, 32 * mib, 100},
		{"large heap: GOGC=100", 1 << 30, 32 * mib, 100},
		{"smaller cycle: its own cap", 1 * mib, 16 * mib, 400},
		{"smaller cycle, a third", 5 * mib, 16 * mib, 320},
		{"cycle below the heap minimum: GOGC=100", 1 * mib, 2 * mib, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PercentFor(tt.base, tt.cycle)
			if got != tt.want {
				t.Fatalf("PercentFor(%d, %d) = %d, want %d", tt.base, tt.cycle, got, tt.want)
			}
			// The next cycle allocates at most max(base, cycle): the
			// pacer's base*percent/100, or the runtime's heap minimum of
			// 4 MiB*percent/100, whichever is larger.
			next := max(tt.base*uint64(got)/100, heapMinimum*uint64(got)/100)
			if limit := max(tt.base, tt.cycle, heapMinimum); next > limit {
				t.Fatalf("base %d: cycle %d bytes, over %d", tt.base, next, limit)
			}
		})
	}
}

// TestStartTunesEachCycle checks that the pacer leaves the percent alone
// until a collection, then sets it after each one.
func TestStartTunesEachCycle(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tn := start(16 << 20)
	if n := tn.tunes.Load(); n != 0 {
		t.Fatalf("%d tunings before any collection, want 0", n)
	}
	for i := 0; i < 50 && tn.tunes.Load() < 3; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if n := tn.tunes.Load(); n < 3 {
		t.Fatalf("%d tunings after 50 collections, want one per collection", n)
	}
	// A test binary's live heap is far below the cycle: the percent is
	// above 100.
	if p := debug.SetGCPercent(100); p <= 100 || p > MaxPercent(16<<20) {
		t.Fatalf("percent after collections = %d, want in (100, %d]", p, MaxPercent(16<<20))
	}
}
