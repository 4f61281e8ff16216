package action

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRunStopsNativeLoops runs actions that sit in one native loop goja
// cannot interrupt: Array.from over a huge array-like (read through the
// counting proxy), and a backtracking regular expression (regexp2's match
// timeout). Each must stop soon after its deadline (ErrTimeout), not be
// abandoned still running.
func TestRunStopsNativeLoops(t *testing.T) {
	old := abandonGrace
	abandonGrace = 2 * testRegexpMatchTimeout
	defer func() { abandonGrace = old }()
	tests := []struct{ name, src string }{
		{"Array.from of an array-like", `Array.from({length: 2 ** 32 - 1, 0: 1}, Boolean)`},
		{"backtracking regexp", `/^(x+x+)+y(?=z)/.test("x".repeat(60))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Run(context.Background(), tt.src, nil, nil, Limits{Timeout: 50 * time.Millisecond})
			if !errors.Is(err, ErrTimeout) || strings.Contains(err.Error(), "abandoned") {
				t.Fatalf("err = %v after %v, want ErrTimeout, not abandoned", err, time.Since(start))
			}
		})
	}
}

// TestFromTransparent checks that the replaced %TypedArray%.from and
// Array.from give what goja's own give.
func TestFromTransparent(t *testing.T) {
	src := `const checks = [
	Uint8Array.from([1, 2, 300]).join() === "1,2,44" && Uint8Array.from({length: 2, 0: 5}, (x, i) => (x || 0) + i).join() === "5,1",
	Float32Array.from(new Set([1, 2])).join() === "1,2" && Int16Array.from("12").join() === "1,2",
	(() => { class U extends Uint8Array {}; return U.from([1]) instanceof U })(),
	Uint8Array.from.call(Float64Array, [0.5])[0] === 0.5 && Object.getPrototypeOf(Uint8Array).from === Uint8Array.from,
	(() => { try { BigInt64Array.from([1]); return false } catch (e) { return e instanceof TypeError } })(),
	(() => { try { Uint8Array.from.call({}, [1]); return false } catch (e) { return e instanceof TypeError } })(),
	Array.from([1, 2]).join() === "1,2" && Array.from({length: 2, 1: 3}).join() === ",3" && Array.from("ab", x => x + x).join() === "aa,bb",
];
LitActions.setResponse({response: checks.join()});`
	res, err := Run(context.Background(), src, nil, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range strings.Split(res.Response, ",") {
		if c != "true" {
			t.Errorf("check %d = %s", i, c)
		}
	}
}
