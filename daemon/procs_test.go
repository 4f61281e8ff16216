package daemon

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimitProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	tests := []struct {
		name string
		env  string
		// before is GOMAXPROCS as the runtime set it from env.
		before, want int
	}{
		{"unset: the daemon's own", "", 2, daemonProcs},
		{"set: the user's", "3", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GOMAXPROCS(tt.before)
			got := limitProcs(func(k string) string {
				if k == "GOMAXPROCS" {
					return tt.env
				}
				return ""
			})
			if got != tt.want || runtime.GOMAXPROCS(0) != tt.want {
				t.Fatalf("limitProcs = %d, GOMAXPROCS %d, want %d", got, runtime.GOMAXPROCS(0), tt.want)
			}
		})
	}
}

func TestPaceGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tests := []struct {
		name   string
		env    string
		paced  bool
		pctSet bool // the percent is no longer the 100 set before
	}{
		{"set: the user's", "200", false, false},
		{"unset: the daemon's pacing", "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			got := paceGC(func(k string) string {
				if k == "GOGC" {
					return tt.env
				}
				return ""
			})
			if got != tt.paced {
				t.Fatalf("paceGC = %v, want %v", got, tt.paced)
			}
			// The pacer sets the percent after collections (its
			// finalizer runs soon after one). The cases run in order: no
			// pacer runs before the second.
			p := 100
			for i := 0; i < 200 && p == 100; i++ {
				runtime.GC()
				time.Sleep(time.Millisecond)
				p = debug.SetGCPercent(100)
			}
			if (p != 100) != tt.pctSet {
				t.Fatalf("GC percent after paceGC and collections = %d", p)
			}
		})
	}
}
