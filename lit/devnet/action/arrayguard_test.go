package action

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestRunStopsNativeLoops runs actions that sit in one native loop goja
// cannot interrupt, over an array-like or a huge sparse array, or in a
// backtracking regular expression. Each must stop soon after its deadline
// (ErrTimeout), not be abandoned still running.
func TestRunStopsNativeLoops(t *testing.T) {
	old := abandonGrace
	abandonGrace = 2 * testRegexpMatchTimeout
	defer func() { abandonGrace = old }()
	// join leaves a large garbage string behind: collected now, it is not
	// counted against the next tests' shared budget.
	defer runtime.GC()
	huge := `const o = {length: 2 ** 53 - 1};`
	tests := []struct{ name, src string }{
		{"indexOf", huge + `Array.prototype.indexOf.call(o, 1)`},
		{"includes", huge + `Array.prototype.includes.call(o, 1)`},
		{"lastIndexOf", huge + `Array.prototype.lastIndexOf.call(o, 1)`},
		{"reverse", huge + `Array.prototype.reverse.call(o)`},
		{"copyWithin", huge + `Array.prototype.copyWithin.call(o, 1, 0)`},
		{"forEach over holes", huge + `Array.prototype.forEach.call(o, x => x)`},
		{"find with a native callback", huge + `Array.prototype.find.call(o, Boolean)`},
		{"join", huge + `Array.prototype.join.call(o)`},
		{"caught", huge + `try { Array.prototype.indexOf.call(o, 1) } catch (e) {} for (;;) {}`},
		{"concat of a sparse array", `[].concat(new Array(2 ** 32 - 1))`},
		{"concat of a spreadable array-like", `[].concat({length: 2 ** 53 - 2, [Symbol.isConcatSpreadable]: true})`},
		{"flat over holes", `new Array(2 ** 32 - 1).flat()`},
		{"Array.from of an array-like", `Array.from({length: 2 ** 32 - 1, 0: 1}, Boolean)`},
		{"sparse array indexOf", `new Array(2 ** 32 - 1).indexOf(1)`},
		{"sparse array lastIndexOf", `new Array(2 ** 32 - 1).lastIndexOf(1)`},
		{"typed array", `Array.prototype.lastIndexOf.call(new Uint8Array(1 << 27), 1, -1)`},
		{"proxy with native traps", `Array.prototype.includes.call(new Proxy({length: 2 ** 53 - 1}, {get: Reflect.get}), 1)`},
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

// TestArrayLoopsTransparent checks that the guarded methods give what
// goja's own give, on the receivers the guard proxies and those it does
// not.
func TestArrayLoopsTransparent(t *testing.T) {
	src := `const big = new Array(70000); big[5] = 1; big[69999] = 2;
const like = {length: 4, 0: "a", 2: "c", 3: NaN};
const checks = [
	[1, 2, 3].indexOf(2) === 1 && [1, 2, 3].includes(3) && [1, 2, 1].lastIndexOf(1) === 2,
	big.indexOf(2) === 69999 && big.lastIndexOf(1) === 5 && big.includes(undefined) && !big.includes(3),
	Array.prototype.indexOf.call(like, "c") === 2 && Array.prototype.includes.call(like, NaN),
	Array.prototype.lastIndexOf.call(like, "a") === 0 && Array.prototype.indexOf.call(like, undefined) === -1,
	Array.prototype.join.call(like, "-") === "a--c-NaN",
	Array.prototype.reverse.call(like) === like && like[0] === NaN || Number.isNaN(like[0]),
	big.reverse() === big && big[0] === 2 && big[69994] === 1,
	Array.prototype.map.call({length: 2, 0: 3, 1: 4}, x => x * 2).join() === "6,8",
	Array.prototype.filter.call({length: 3, 0: 1, 2: 3}, x => x > 1).join() === "3",
	Array.prototype.sort.call({length: 3, 0: 3, 1: 1, 2: 2})[0] === 1,
	big.toReversed().length === 70000 && Array.isArray(big.slice(1)),
	Array.prototype.findLast.call({length: 3, 0: 1, 1: 2}, x => x === 2) === 2,
	Array.prototype.indexOf.call("abc", "b") === 1,
	[1].concat([2], big, {length: 1, 0: 3, [Symbol.isConcatSpreadable]: true}, 4).length === 70004,
	(() => { const b = new Array(70000); b[Symbol.isConcatSpreadable] = false; const c = [].concat(b); return c.length === 1 && c[0] === b })(),
	Uint8Array.from([1, 2, 300]).join() === "1,2,44" && Uint8Array.from({length: 2, 0: 5}, (x, i) => (x || 0) + i).join() === "5,1",
	Float32Array.from(new Set([1, 2])).join() === "1,2" && Int16Array.from("12").join() === "1,2",
	(() => { class U extends Uint8Array {}; return U.from([1]) instanceof U })(),
	Uint8Array.from.call(Float64Array, [0.5])[0] === 0.5 && Object.getPrototypeOf(Uint8Array).from === Uint8Array.from,
	(() => { try { BigInt64Array.from([1]); return false } catch (e) { return e instanceof TypeError } })(),
	(() => { try { Uint8Array.from.call({}, [1]); return false } catch (e) { return e instanceof TypeError } })(),
	Array.from([1, 2]).join() === "1,2" && Array.from({length: 2, 1: 3}).join() === ",3" && Array.from("ab", x => x + x).join() === "aa,bb",
	(() => { try { Array.prototype.indexOf.call(null, 1); return false } catch (e) { return e instanceof TypeError } })(),
	(() => { const o = {get length() { this.n = (this.n || 0) + 1; return 1 }, 0: 7}; return Array.prototype.indexOf.call(o, 7) === 0 && o.n === 1 })(),
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
