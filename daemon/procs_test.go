package daemon

import (
	"runtime"
	"testing"
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
