package action

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dop251/goja"
)

// fromArrayKinds are the typed arrays constructFrom builds.
var fromArrayKinds = []string{
	"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
	"Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
}

// fromArraySources are arguments of `new K(...)`: a JavaScript expression
// that may log what action code runs to `log`. Those marked fast take
// constructFrom's fast path; the others its specification steps.
var fromArraySources = []struct {
	name, src string
}{
	{"small ints", `[1, 2, 3, 0, 255]`},
	{"empty", `[]`},
	{"numbers", `[0, -1, 255, 256, 257, -129, 127, 128, 1.5, 2.5, -1.5, 0.5, 254.5, 255.5, 253.5, 0.49999999999999994, -0, NaN, Infinity, -Infinity,
		1e20, -1e20, 2 ** 31, 2 ** 32, 2 ** 32 + 5.7, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, -(2 ** 63), -(2 ** 64), 1e300, -1e300, 5e-324,
		3.4028235e38, 3.5e38, 1e39, 65535.9, 65536, -32769, 32768, 2147483648, -2147483649, 4294967295, 1 / 3, 0.1 + 0.2]`},
	{"strings", `["1", "0x10", " 7 ", "", "abc", "1e3", "-0", "Infinity", "300"]`},
	{"other primitives", `[true, false, null, undefined]`},
	{"BigInts", `[1n, -1n, 2n ** 64n + 3n, 2n ** 63n]`},
	{"symbol", `[1, Symbol("s")]`},
	{"nested arrays", `[[5], ["6"], [], [1, 2]]`},
	{"valueOf in order", `[{valueOf() { log.push("a"); return 3 }}, 4, {valueOf() { log.push("b"); return 300 }}, {toString() { log.push("c"); return "7" }}]`},
	{"valueOf returning a BigInt", `[{valueOf() { log.push("v"); return 5n }}]`},
	{"valueOf throws", `[1, {valueOf() { log.push("x"); throw new Error("boom") }}, {valueOf() { log.push("never"); return 1 }}]`},
	{"valueOf changes the source", `(() => { const a = [1, {valueOf() { a[2] = 99; a.length = 10; return 2 }}, 3]; return a })()`},
	{"holes", `[1, , 3, , ]`},
	{"empty slots", `new Array(5)`},
	{"sparse", `(() => { const a = [1]; a[300] = 2; return a })()`},
	{"hole read from the prototype", `(Object.defineProperty(Array.prototype, 1, {get() { log.push("proto"); return 9 }, configurable: true}), [1, , 3])`},
	{"hole read from Object.prototype", `(Object.prototype[0] = 42, [, 1])`},
	{"element getter", `Object.defineProperty([1, 2], 0, {get() { log.push("g"); return 5 }})`},
	{"element getter throws", `Object.defineProperty([1, 2], 1, {get() { throw new Error("boom") }})`},
	{"element getter grows the array", `(() => { const a = [1, 2]; Object.defineProperty(a, 1, {get() { log.push("grow"); a.push(a.length); return 7 }}); return a })()`},
	{"element getter shrinks the array", `(() => { const a = [1, 2, 3, 4]; Object.defineProperty(a, 0, {get() { a.length = 2; return 7 }, configurable: true}); return a })()`},
	{"subclass of Array", `(() => { class A extends Array {} return A.from([1, 2, 3]) })()`},
	{"frozen", `Object.freeze([4, 5])`},
	{"values replaced, iterator kept", `(Array.prototype.values = function* () { yield 1 }, [4, 5])`},
	{"next read through a getter", `(() => { const p = Object.getPrototypeOf([][Symbol.iterator]()); const next = p.next; Object.defineProperty(p, "next", {get() { log.push("next"); return next }}); return [1, 2] })()`},
	// Modified iteration: the specification's steps.
	{"own iterator", `(() => { const a = [1, 2]; a[Symbol.iterator] = function* () { yield 7 }; return a })()`},
	{"Array.prototype iterator replaced", `(Array.prototype[Symbol.iterator] = function* () { yield 8; yield 9 }, [1, 2, 3])`},
	{"iterator getter", `(Object.defineProperty(Array.prototype, Symbol.iterator, {get() { log.push("it"); return function* () { yield 3 } }}), [1])`},
	{"iterator next replaced", `(() => { const p = Object.getPrototypeOf([][Symbol.iterator]()); const next = p.next; p.next = function () { const r = next.call(this); if (!r.done) r.value *= 2; return r }; return [1, 2, 3] })()`},
	{"iterator next deleted", `(() => { const p = Object.getPrototypeOf([][Symbol.iterator]()); delete p.next; return [1, 2] })()`},
	{"iterator replaced by keys", `(Array.prototype[Symbol.iterator] = Array.prototype.keys, [5, 6, 7])`},
	{"iterator replaced by entries", `(Array.prototype[Symbol.iterator] = Array.prototype.entries, [5, 6])`},
	{"typed array values as iterator", `(() => { const a = [1, 2]; a[Symbol.iterator] = Object.getPrototypeOf(Uint8Array.prototype).values; return a })()`},
	{"own iterator, the original", `(() => { const a = [1, 2]; a[Symbol.iterator] = Array.prototype.values; return a })()`},
	{"bound iterator", `(() => { const a = [1, 2]; a[Symbol.iterator] = Array.prototype.values.bind([7]); return a })()`},
	{"proxied iterator", `(Array.prototype[Symbol.iterator] = new Proxy(Array.prototype.values, {apply(t, th, args) { log.push("apply"); return Reflect.apply(t, [4, 4, 4], args) }}), [1])`},
	{"next replaced by a Set's", `(() => { const p = Object.getPrototypeOf([][Symbol.iterator]()); p.next = Object.getPrototypeOf(new Set().values()).next; return [1] })()`},
	{"next bound to another iterator", `(() => { const p = Object.getPrototypeOf([][Symbol.iterator]()); p.next = p.next.bind([9, 8].values()); return [1, 2, 3] })()`},
	{"no iterator", `Object.setPrototypeOf([1, 2, 3], null)`},
	{"proxy", `new Proxy([1, 2, 3], {get(t, k, r) { log.push(String(k)); return Reflect.get(t, k, r) }})`},
	{"array-like", `({length: 3, 0: 1, 2: "3"})`},
	{"arguments", `(function () { return arguments })(1, 2, 300)`},
}

// TestConstructFromMatchesGoja checks the guarded typed-array
// constructors against goja's own, unguarded, for every kind and source:
// the elements, what action code ran, and what was thrown.
func TestConstructFromMatchesGoja(t *testing.T) {
	for _, kind := range fromArrayKinds {
		for _, tc := range fromArraySources {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				script := fmt.Sprintf(`const log = [];
let out;
try {
	const t = new %s(%s);
	out = [Object.getPrototypeOf(t) === %[1]s.prototype, t.length, Array.prototype.join.call(t, " ")].join();
} catch (e) {
	out = "threw " + (e instanceof Error ? e.name + (e.message === "boom" ? ": boom" : "") : String(e));
}
out + " | " + log.join();`, kind, tc.src)
				want, err := goja.New().RunString(script)
				if err != nil {
					t.Fatal(err)
				}
				res, err := Run(context.Background(), `LitActions.setResponse({response: String(eval(src))});`, map[string]any{"src": script}, nil, Limits{Timeout: time.Minute})
				if err != nil {
					t.Fatal(err)
				}
				if res.Response != want.String() {
					t.Errorf("got  %s\nwant %s", res.Response, want)
				}
			})
		}
	}
}

// TestConstructFromFastPath checks that a plain array of numbers takes
// the fast path: without it, each element costs a call of the iterator's
// next, a result object and a string-keyed Set (220 allocations for 32
// elements; 21 with it).
func TestConstructFromFastPath(t *testing.T) {
	if code := arrayIterationCode(); code.values == 0 || code.next == 0 {
		t.Fatalf("the built-in array iteration is not identified (%+v): the fast path is off", code)
	}
	r := newTestRun(t)
	v, err := r.vm.RunString(`Array.from({length: 32}, (_, i) => i * 8)`)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	allocs := testing.AllocsPerRun(100, func() { got = r.bytesOf(v) })
	if allocs > 40 {
		t.Errorf("%v allocations per conversion, want at most 40: the fast path was not taken", allocs)
	}
	for i, b := range got {
		if int(b) != i*8 {
			t.Fatalf("got %v", got)
		}
	}
}

// TestNumberWriters checks that each writer accepts its kind's elements,
// so that Numbers are never stored through the slower obj.Set.
func TestNumberWriters(t *testing.T) {
	vm := goja.New()
	for _, kind := range fromArrayKinds {
		write, ok := numberWriters[kind]
		if !ok {
			continue
		}
		ta, err := vm.RunString(fmt.Sprintf(`new %s(2)`, kind))
		if err != nil {
			t.Fatal(err)
		}
		if !write(ta.Export(), 1, 7) {
			t.Errorf("%s: the writer does not take its elements (%T)", kind, ta.Export())
		}
		if got := ta.ToObject(vm).Get("1").ToFloat(); got != 7 {
			t.Errorf("%s: element 1 is %v after writing 7", kind, got)
		}
	}
}

// TestConstructFromThrowsAsBefore: what an element getter throws reaches
// the run as it does through the iterator's next (a proxy of the same
// array takes that path): an uncaught primitive gets the same stack.
func TestConstructFromThrowsAsBefore(t *testing.T) {
	run := func(proxy bool) *ThrowError {
		t.Helper()
		src := "const a = [1, 2];\nObject.defineProperty(a, 1, {get() { throw 5 }});\nconst x = proxy ? new Proxy(a, {}) : a;\nnew Uint8Array(x);"
		_, err := Run(context.Background(), src, map[string]any{"proxy": proxy}, nil, Limits{Timeout: time.Minute})
		var te *ThrowError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v, want a ThrowError", err)
		}
		return te
	}
	fast, slow := run(false), run(true)
	if fast.Message != slow.Message || fast.Stack != slow.Stack {
		t.Errorf("fast path: %q, stack %q\nwant %q, stack %q", fast.Message, fast.Stack, slow.Message, slow.Stack)
	}
}

// TestConstructFromStops: an element getter that never returns is
// stopped by the run's clock on the fast path too, even when the action
// catches what the constructor throws.
func TestConstructFromStops(t *testing.T) {
	src := `const a = [1, 2]; Object.defineProperty(a, 1, {get() { while (1) {} }});
for (;;) { try { new Uint8Array(a) } catch (e) {} }`
	_, err := Run(context.Background(), src, nil, nil, Limits{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want ErrTimeout", err)
	}
}
