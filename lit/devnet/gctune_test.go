package devnet

import "testing"

func TestGCPercentFor(t *testing.T) {
	tests := []struct {
		name string
		base uint64
		want int
	}{
		{"unknown", 0, maxGCPercent},
		{"tiny heap: capped at the runtime's heap minimum", 1 << 20, maxGCPercent},
		{"an eighth", minGCCycle / 8, 800},
		{"quarter", minGCCycle / 4, 400},
		{"just below", minGCCycle - 1, 100},
		{"at the floor", minGCCycle, 100},
		{"large heap: GOGC=100", 1 << 30, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := gcPercentFor(tt.base)
			if got != tt.want {
				t.Fatalf("gcPercentFor(%d) = %d, want %d", tt.base, got, tt.want)
			}
			// The next cycle allocates at most max(base, minGCCycle): the
			// pacer's base*percent/100, or the runtime's heap minimum of
			// 4 MiB*percent/100, whichever is larger.
			cycle := max(tt.base*uint64(got)/100, 4<<20*uint64(got)/100)
			if limit := max(tt.base, minGCCycle); cycle > limit {
				t.Fatalf("base %d: cycle %d bytes, over %d", tt.base, cycle, limit)
			}
		})
	}
}
