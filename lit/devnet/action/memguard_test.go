package action

import (
	"context"
	"errors"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"
)

// TestBufferGuardPaths checks that every way to a buffer constructor is
// guarded, not only the global names.
func TestBufferGuardPaths(t *testing.T) {
	tests := []struct{ name, src string }{
		{"global", `new Uint8Array(2 ** 40)`},
		{"dynamic global name", `new globalThis["Float" + "64Array"](2 ** 40)`},
		{"instance constructor", `new (new Uint8Array(1).constructor)(2 ** 40)`},
		{"API result constructor", `new (LitActions.uint8arrayFromString("a").constructor)(2 ** 40)`},
		{"buffer constructor", `new (new Uint8Array(1).buffer.constructor)(2 ** 40)`},
		{"prototype constructor", `new (Object.getPrototypeOf(new Int32Array(1)).constructor)({length: 2 ** 40})`},
		{"Reflect.construct", `Reflect.construct(Uint16Array, [2 ** 40])`},
		{"from", `Uint8Array.from({length: 2 ** 40})`},
		{"from on an instance's constructor", `new BigInt64Array(1).constructor.from({length: 2 ** 40})`},
		{"API conversion", `LitActions.uint8arrayToString({length: 2 ** 40})`},
		// Values the action controls are read once, by the guard: each of
		// these made the constructor allocate 1 TiB past the check, and
		// the Go runtime abort the process.
		{"fake buffer", `new Uint8Array(Object.assign(Object.create(ArrayBuffer.prototype), {length: 2 ** 40}))`},
		{"proxied buffer", `new Uint8Array(new Proxy(new ArrayBuffer(8), {get: (t, k) => k === "length" ? 2 ** 40 : Reflect.get(t, k)}))`},
		{"iterator getter growing the array", `const a = [1]; Object.defineProperty(Array.prototype, Symbol.iterator, {get() { a.length = 2 ** 32 - 1; return undefined; }}); new Float64Array(a)`},
		{"ArrayBuffer valueOf", `new ArrayBuffer({valueOf() { return 2 ** 40 }})`},
		{"native iterator over holes", `const a = []; a.length = 2 ** 32 - 1; new Uint8Array(a.values())`},
		// A genuine array iterated the built-in way, read directly.
		{"array of holes", `const a = []; a.length = 2 ** 32 - 1; new Uint8Array(a)`},
		{"element getter growing the array", `const a = new Array(1); const it = Array.prototype[Symbol.iterator];
Object.setPrototypeOf(a, new Proxy({}, {get(t, k) { if (k === Symbol.iterator) return it; a.length++; return 1 }}));
new Uint8Array(a)`},
		{"API conversion, global replaced", `globalThis.Uint8Array = function () {}; LitActions.uint8arrayToString({length: 2 ** 40})`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.src, nil, nil, Limits{MaxMemory: 64 << 20, Timeout: time.Minute})
			if !errors.Is(err, ErrMemoryLimit) {
				t.Fatalf("err = %v, want a MemoryLimitError", err)
			}
		})
	}
}

// TestBufferGuardReflectGet: the guard forwards a buffer constructor's
// symbol reads with goja's own Reflect.get; one the action put in its
// place, which would be handed the original constructor, is refused with
// a TypeError, and never called.
func TestBufferGuardReflectGet(t *testing.T) {
	tests := []struct{ name, src string }{
		{"Reflect replaced", `let orig; const R = Reflect;
globalThis.Reflect = {get(t, k, r) { orig = t; return R.get(t, k, r) }};`},
		{"Reflect.get replaced", `let orig; const get = Reflect.get;
Reflect.get = (t, k, r) => { orig = t; return get(t, k, r) };`},
		{"Reflect.get bound", `let orig; Reflect.get = Reflect.get.bind(null);`},
		{"Reflect deleted", `let orig; delete globalThis.Reflect;`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src + `
let err = "none";
try { Uint8Array[Symbol.species]; ArrayBuffer[Symbol.species] } catch (e) { err = e instanceof TypeError ? "TypeError" : String(e) }
LitActions.setResponse({response: err + " " + (orig === undefined)});`
			res, err := Run(context.Background(), src, nil, nil, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Response != "TypeError true" {
				t.Errorf("response %q, want a TypeError and no constructor handed out", res.Response)
			}
		})
	}
}

// TestBufferGuardReadsOnce: the guard reads what the action controls once
// and the construction uses what the guard read: a length getter that
// would answer 2 ** 40 the second time is asked once, and a typed array's
// own length counts, whatever its prototype's length getter says.
func TestBufferGuardReadsOnce(t *testing.T) {
	src := `let n = 0;
const a = new Float64Array({get length() { return n++ ? 2 ** 40 : 1 }});
const s = new Uint8Array(4);
Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), "length", {get() { return 1 }});
const f = new Float64Array(s);
LitActions.setResponse({response: [a.length, n, f.byteLength].join()});`
	res, err := Run(context.Background(), src, nil, nil, Limits{MaxMemory: 64 << 20, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Response != "1,1,32" {
		t.Errorf("got %s, want 1,1,32", res.Response)
	}
}

// TestStringGuardReadsOnce: repeat, padStart and padEnd convert their
// receiver and arguments once, at the check; each of these made the
// built-in allocate 1 TiB past it and the Go runtime abort the process.
func TestStringGuardReadsOnce(t *testing.T) {
	src := `let n = 0; // conversions run
const once = (small, big) => { let k = 0; return {valueOf() { n++; return k++ ? big : small }, toString() { n++; return k++ ? big : small }} };
const r = ["x".repeat(once(2, 2 ** 40)), "x".padStart(once(2, 2 ** 40)), "x".padEnd(once(2, 2 ** 40), once("-", "é"))];
let m = 0;
r.push(String.prototype.repeat.call({toString() { return m++ ? "x".repeat(2 ** 20) : "" }}, 2 ** 20));
LitActions.setResponse({response: JSON.stringify([r, n, m])});`
	res, err := Run(context.Background(), src, nil, nil, Limits{MaxMemory: 64 << 20, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[["xx"," x","x-",""],4,1]`; res.Response != want {
		t.Errorf("got  %s\nwant %s", res.Response, want)
	}
}

// TestBufferGuardTransparent checks that the guarded constructors behave as
// the originals.
func TestBufferGuardTransparent(t *testing.T) {
	src := `class U extends Uint8Array {}
const u = new U([1, 2, 3]);
const checks = [
	new Uint8Array(1).constructor === Uint8Array,
	new ArrayBuffer(1).constructor === ArrayBuffer,
	u.constructor === U,
	u.slice(1) instanceof U,
	u.map(x => x * 2)[2] === 6,
	new Uint8Array([1, 2, 3]).subarray(1).length === 2,
	new Float32Array(new ArrayBuffer(8)).length === 2,
	new ArrayBuffer(4).slice(2).byteLength === 2,
	Uint8Array[Symbol.species] === Uint8Array,
	u instanceof Uint8Array && !([] instanceof Uint8Array),
	LitActions.uint8arrayFromString("a") instanceof Uint8Array,
	Uint8Array.BYTES_PER_ELEMENT === 1 && Float64Array.BYTES_PER_ELEMENT === 8,
	Uint8Array.name === "Uint8Array",
	new Uint8Array(new Set([1, 2, 300])).join() === "1,2,44",
	new Int16Array((function* () { yield 1; yield -2; })()).join() === "1,-2",
	new Uint8Array({length: 3, 0: 7, 2: "9"}).join() === "7,0,9",
	new Uint8Array({length: -1}).length === 0 && new Uint8Array({}).length === 0,
	new Float32Array(new Uint8Array([1, 2])).join() === "1,2",
	new U({length: 2, 1: 5}) instanceof U,
	new ArrayBuffer({valueOf() { return 3 }}).byteLength === 3,
	(() => { try { new Uint8Array({[Symbol.iterator]: 1}); return false } catch (e) { return e instanceof TypeError } })(),
	(() => { Reflect.get; const R = Reflect; delete globalThis.Reflect; globalThis.Reflect = R; return Float64Array[Symbol.species] === Float64Array })(),
];
LitActions.setResponse({response: checks.join()});`
	res, err := Run(context.Background(), src, nil, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(strings.Repeat("true,", 22), ","); res.Response != want {
		t.Errorf("got  %s\nwant %s", res.Response, want)
	}
}

// TestBufferConstructorSizes checks the guard's element sizes against goja's.
func TestBufferConstructorSizes(t *testing.T) {
	vm := goja.New()
	for _, bc := range bufferConstructors {
		c, ok := vm.Get(bc.name).(*goja.Object)
		if !ok {
			continue
		}
		want := 1.0
		if bpe := c.Get("BYTES_PER_ELEMENT"); bpe != nil {
			want = bpe.ToFloat()
		}
		if bc.size != want {
			t.Errorf("%s: size %v, goja's BYTES_PER_ELEMENT %v", bc.name, bc.size, want)
		}
	}
}

// TestFillGuardSemantics: the guarded Array.prototype.fill behaves as the
// specification's (and goja's) on arrays, array-likes and proxies, reads
// the length and range once, and fills past a chunk.
func TestFillGuardSemantics(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"range", `JSON.stringify([1, 2, 3, 4, 5].fill(0, 1, -1))`, `[1,0,0,0,5]`},
		{"holes", `JSON.stringify(new Array(3).fill("a"))`, `["a","a","a"]`},
		{"negative start", `JSON.stringify([1, 2, 3].fill(9, -2))`, `[1,9,9]`},
		{"start past the end", `JSON.stringify([1, 2].fill(9, 5))`, `[1,2]`},
		{"NaN and infinite range", `JSON.stringify([1, 2, 3].fill(9, NaN, Infinity))`, `[9,9,9]`},
		{"returns this", `const a = [1]; String(a.fill(2) === a)`, `true`},
		{"array-like", `JSON.stringify(Array.prototype.fill.call({length: 3, 5: "x"}, 7))`, `{"0":7,"1":7,"2":7,"5":"x","length":3}`},
		{"proxy", `const seen = []; const p = new Proxy([1, 2, 3], {set(t, k, v) { seen.push(k); t[k] = v; return true }}); p.fill(4, 1); JSON.stringify([...p, seen])`, `[1,4,4,["1","2"]]`},
		{"length and range read once", `let n = 0; const o = {get length() { n++; return 2 }}; Array.prototype.fill.call(o, 1, {valueOf() { n++; return 0 }}, {valueOf() { n++; return 2 }}); String([n, o[0], o[1]])`, `3,1,1`},
		{"past a chunk", `const a = new Array(40000).fill(3); String([a.length, a.reduce((x, y) => x + y)])`, `40000,120000`},
		{"frozen", `try { Object.freeze([1, 2]).fill(0); "no error" } catch (e) { e.name }`, `TypeError`},
		{"null this", `try { Array.prototype.fill.call(null, 0); "no error" } catch (e) { e.name }`, `TypeError`},
		{"symbol start", `try { [1].fill(0, Symbol()); "no error" } catch (e) { e.name }`, `TypeError`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// eval gives the completion value of the source's last
			// statement.
			res, err := Run(context.Background(), `LitActions.setResponse({response: String(eval(src))});`, map[string]any{"src": tc.src}, nil, Limits{Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if res.Response != tc.want {
				t.Errorf("got %s, want %s", res.Response, tc.want)
			}
		})
	}
}

// TestFillGuardBoundsMemory: a fill goja runs as one native loop (150
// bytes per element over a sparse array, without end over an array-like
// or a proxy) stops at the run's memory limit. Before the guard,
// new Array(1e7).fill(0) allocated 1.5 GB inside one call, and on all ten
// nodes at once killed the devnet child under its 640 MiB cap.
func TestFillGuardBoundsMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's memory is not the program's")
	}
	tests := []struct{ name, src string }{
		{"sparse array", `new Array(2e7).fill(0)`},
		{"array-like", `Array.prototype.fill.call({length: 2 ** 40}, 0)`},
		{"proxy", `new Proxy(new Array(2 ** 32 - 1), {}).fill(0)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			base := heapObjects()
			var peak atomic.Uint64
			done := make(chan struct{})
			go func() {
				for {
					if h := heapObjects(); h > peak.Load() {
						peak.Store(h)
					}
					select {
					case <-done:
						return
					case <-time.After(100 * time.Microsecond):
					}
				}
			}()
			_, err := Run(context.Background(), tc.src, nil, nil, Limits{MaxMemory: 64 << 20, Timeout: time.Minute})
			close(done)
			if !errors.Is(err, ErrMemoryLimit) {
				t.Errorf("err = %v, want a MemoryLimitError", err)
			}
			// Unguarded, the run went on inside the fill until Run gave up
			// on it: "(stuck in a built-in call; abandoned)".
			if err != nil && strings.Contains(err.Error(), "abandoned") {
				t.Errorf("err = %v: the run did not stop in the fill", err)
			}
			// Guarded, the heap grows by the limit and a chunk (64-74 MiB
			// measured).
			if grew := int64(peak.Load()) - int64(base); grew > 160<<20 {
				t.Errorf("the heap grew by %d MiB, want under 160 MiB (limit 64 MiB)", grew>>20)
			}
		})
	}
}

// heapObjects is the heap's object bytes (live or not yet swept).
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
