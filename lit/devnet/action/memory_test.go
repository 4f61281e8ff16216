package action

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// bombs are actions that allocate without end, in the shapes the limits
// must catch.
// boundedInProcess says whether ten of them at once stay under 1 GiB
// resident in one process (TestTenMemoryBombsRSS).
var bombs = []struct {
	name, src        string
	boundedInProcess bool
}{
	{"array of strings", `let a = []; while (true) { a.push('x'.repeat(1e6)); }`, true},
	{"one huge string", `'x'.repeat(2 ** 40);`, true},
	{"string doubling", `let s = 'x'; while (true) { s += s; }`, false},
	{"padEnd", `'x'.padEnd(2 ** 40);`, true},
	{"deep objects", `let o = {}; while (true) { o = {a: o, b: [1, 2, 3], c: 'y'}; }`, false},
	{"typed arrays", `let a = []; while (true) { a.push(new Uint8Array(1e6).fill(1)); }`, true},
	{"huge ArrayBuffer", `new ArrayBuffer(2 ** 40);`, true},
	{"huge typed array from an array-like", `new Float64Array({length: 2 ** 40});`, true},
	{"JSON.stringify of a huge object", `let a = []; while (true) { a.push({k: 'x'.repeat(1e5)}); if (a.length % 100 === 0) JSON.stringify(a); }`, false},
	{"JSON.stringify of a deep object", `let o = {}; for (let i = 0; ; i++) { o = {a: o}; if (i % 20000 === 0) JSON.stringify(o); }`, false},
}

func TestRunMemoryLimit(t *testing.T) {
	if raceEnabled {
		// 'x'.repeat(1e6) appends one byte at a time in goja: a minute per
		// megabyte under the race detector. TestRunMemoryWithinLimit keeps
		// the watchdog under -race.
		t.Skip("too slow under the race detector")
	}
	for _, b := range bombs {
		t.Run(b.name, func(t *testing.T) {
			// The last bomb's garbage is collected by a GC that its trip
			// starts in the background; on a busy machine it may not have
			// run yet, and the heap allocated since the last GC counts
			// against the shared budget (see governor.register). Each bomb
			// here is about its own limit: start it on a collected heap.
			runtime.GC()
			res, err := Run(context.Background(), `console.log("start"); `+b.src, nil, nil, Limits{MaxMemory: 64 << 20, Timeout: time.Minute})
			var me *MemoryLimitError
			if !errors.As(err, &me) || !errors.Is(err, ErrMemoryLimit) {
				t.Fatalf("err = %v, want a MemoryLimitError", err)
			}
			if me.Shared || me.Limit != 64<<20 {
				t.Errorf("error = %+v, want the run's own limit", me)
			}
			// A run stuck in one built-in call (a deep JSON.stringify) is
			// abandoned: its error says so after the limit.
			const want = "action exceeded its memory limit of 64 MiB"
			abandoned := strings.HasSuffix(err.Error(), "(stuck in a built-in call; abandoned)")
			if got := err.Error(); !strings.HasPrefix(got, want) || (got != want && !abandoned) {
				t.Errorf("message = %q, want %q", got, want)
			}
			if !abandoned && res.Logs != "start\n" {
				t.Errorf("logs = %q: what the action printed before is lost", res.Logs)
			}
		})
	}
}

// TestRunMemoryWithinLimit checks that an action using memory below its
// limit is not stopped, and that the memory of a stopped run does not count
// against the next one.
func TestRunMemoryWithinLimit(t *testing.T) {
	// Megabyte strings made by concatenation: fast even under -race.
	bomb := `let a = []; const mb = 'x'.repeat(1000).repeat(1000); for (let i = 0; ; i++) { a.push(mb + i); }`
	if _, err := Run(context.Background(), bomb, nil, nil, Limits{MaxMemory: 32 << 20, Timeout: time.Minute}); !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("bomb: err = %v", err)
	}
	fits := `let a = []; const mb = 'x'.repeat(1000).repeat(1000); for (let i = 0; i < 16; i++) { a.push(mb + i); } LitActions.setResponse({response: String(a.length)});`
	res, err := Run(context.Background(), fits, nil, nil, Limits{MaxMemory: 64 << 20})
	if err != nil {
		t.Fatalf("16 MB of a 64 MiB limit: %v", err)
	}
	if res.Response != "16" {
		t.Errorf("response = %q", res.Response)
	}
}

func TestMemoryLimitErrorText(t *testing.T) {
	tests := []struct {
		err  *MemoryLimitError
		want string
	}{
		{&MemoryLimitError{Limit: 256 << 20}, "action exceeded its memory limit of 256 MiB"},
		{&MemoryLimitError{Limit: 512 << 20, Shared: true}, "action stopped: the actions running together exceeded their shared memory limit of 512 MiB"},
		{&MemoryLimitError{Limit: 1000}, "action exceeded its memory limit of 1000 bytes"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
