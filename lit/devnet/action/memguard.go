package action

import (
	"fmt"
	"math"

	"github.com/dop251/goja"
)

// bufferGuard replaces ArrayBuffer and the typed-array constructors with
// proxies that announce the bytes a construction will allocate (a length,
// or an array-like's length, times the element size) before it happens.
// Construction goes on through Reflect.construct, so prototypes,
// instanceof and subclassing behave as before.
//
// It runs before the action and leaves no name behind.
const bufferGuard = `(function (announce) {
	const AB = ArrayBuffer;
	const names = ["ArrayBuffer", "SharedArrayBuffer", "Int8Array", "Uint8Array", "Uint8ClampedArray",
		"Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
		"BigInt64Array", "BigUint64Array"];
	for (const name of names) {
		const C = globalThis[name];
		if (typeof C !== "function") continue;
		const size = C.BYTES_PER_ELEMENT || 1;
		const guarded = new Proxy(C, {
			// goja's instanceof does not see through proxies: answer it.
			get(target, key, receiver) {
				if (key === Symbol.hasInstance) return (v) => v instanceof target;
				return Reflect.get(target, key, receiver);
			},
			construct(target, args, newTarget) {
				const a = args[0];
				let n = 0;
				if (a === null || (typeof a !== "object" && typeof a !== "function")) {
					n = (typeof a === "bigint" || typeof a === "symbol") ? 0 : Number(a);
				} else if (!(a instanceof AB)) {
					n = Number(a.length);
				}
				if (!announce(n * size)) throw new RangeError("Array buffer allocation failed");
				return Reflect.construct(target, args, newTarget);
			},
		});
		Object.defineProperty(globalThis, name, {value: guarded, writable: true, configurable: true, enumerable: false});
	}
})`

// bufferGuardProgram is bufferGuard compiled once for every run.
var bufferGuardProgram = goja.MustCompile("<memory guard>", bufferGuard, true)

// installMemoryGuards checks, before they allocate, the built-ins whose
// allocation follows from their arguments: one call such as
// "x".repeat(2 ** 40) or new ArrayBuffer(2 ** 40) would otherwise make the
// Go runtime abort the whole process ("fatal error: out of memory"), which
// no watchdog can prevent.
func (r *run) installMemoryGuards() error {
	proto := r.vm.Get("String").ToObject(r.vm).Get("prototype").ToObject(r.vm)
	// Each sizer returns the bytes the call's result takes, from the
	// receiver's length and bytes per character and the call's arguments.
	sizers := map[string]func(n int64, per int64, call goja.FunctionCall) float64{
		"repeat": func(n, per int64, call goja.FunctionCall) float64 {
			return float64(n*per) * call.Argument(0).ToFloat()
		},
		"padStart": func(_, per int64, call goja.FunctionCall) float64 {
			return float64(per) * call.Argument(0).ToFloat()
		},
		"padEnd": func(_, per int64, call goja.FunctionCall) float64 {
			return float64(per) * call.Argument(0).ToFloat()
		},
	}
	for name, size := range sizers {
		orig, ok := goja.AssertFunction(proto.Get(name))
		if !ok {
			//lint:ignore ST1005 "String" is the JavaScript global's name
			return fmt.Errorf("String.prototype.%s missing", name)
		}
		guarded := func(call goja.FunctionCall) goja.Value {
			if !goja.IsUndefined(call.This) && !goja.IsNull(call.This) {
				s := call.This.String()
				if !r.announce(size(int64(len(s)), bytesPerChar(s), call)) {
					return goja.Undefined() // interrupted before the next instruction
				}
			}
			v, err := orig(call.This, call.Arguments...)
			if err != nil {
				panic(r.jsValueOf(err))
			}
			return v
		}
		if err := proto.DefineDataProperty(name, r.vm.ToValue(guarded), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			return err
		}
	}
	install, err := r.vm.RunProgram(bufferGuardProgram)
	if err != nil {
		return err
	}
	fn, ok := goja.AssertFunction(install)
	if !ok {
		return fmt.Errorf("buffer guard is not a function")
	}
	announce := func(call goja.FunctionCall) goja.Value {
		return r.vm.ToValue(r.announce(call.Argument(0).ToFloat()))
	}
	_, err = fn(goja.Undefined(), r.vm.ToValue(announce))
	return err
}

// announce reports whether the run may allocate want bytes at once. If not,
// it ends the run with a *MemoryLimitError: the VM is interrupted before
// its next instruction. NaN and negative sizes pass: the built-in itself
// throws its RangeError for them.
func (r *run) announce(want float64) bool {
	if math.IsNaN(want) || want <= 0 {
		return true
	}
	if want < float64(r.meter.remaining()) {
		return true
	}
	watchdog.refuse(r.meter, int64(min(want, math.MaxInt64/2)))
	r.vm.Interrupt(ErrMemoryLimit)
	return false
}

// bytesPerChar is what goja spends per UTF-16 unit of s: 1 for ASCII, 2
// otherwise.
func bytesPerChar(s string) int64 {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return 2
		}
	}
	return 1
}
