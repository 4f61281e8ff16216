package action

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestNativeArrayAllocations runs built-ins that allocate natively in
// proportion to a huge sparse array's length (2 ** 30: 16 GiB of values).
// Each must end with a MemoryLimitError, the call stopped: unguarded, Run
// abandoned it at the limit while it went on allocating until the Go
// runtime aborted the whole process ("fatal error: out of memory").
func TestNativeArrayAllocations(t *testing.T) {
	holes := `const a = []; a.length = 2 ** 30;`
	tests := []struct{ name, src string }{
		{"Uint8Array.from", `Uint8Array.from(new Array(2 ** 30))`},
		{"TypedArray.from", `Object.getPrototypeOf(Uint8Array).from.call(Float64Array, new Array(2 ** 30))`},
		{"from on an instance's constructor", `new Int8Array(1).constructor.from(new Array(2 ** 30))`},
		{"from of a native iterator", holes + `Uint8Array.from(a.keys())`},
		{"Array.from", `Array.from(new Array(2 ** 30))`},
		{"Array.from of an array-like", `Array.from({length: 2 ** 30})`},
		// Not guarded (see watchLoops): toSorted, toReversed, with and
		// toSpliced of a huge sparse array abort the process.
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.src, nil, nil, Limits{MaxMemory: 64 << 20, Timeout: 20 * time.Second})
			if !errors.Is(err, ErrMemoryLimit) || strings.Contains(err.Error(), "abandoned") {
				t.Fatalf("err = %v, want a MemoryLimitError, not abandoned", err)
			}
		})
	}
}
