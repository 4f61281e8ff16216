package action

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"

	"github.com/dop251/goja"
)

// builtinCode identifies goja's built-in array iteration functions by
// their Go code: %Array.prototype.values% (the original
// Array.prototype[Symbol.iterator]) and %ArrayIteratorPrototype%.next.
// goja makes each native function from one Go method bound to its runtime
// (r.arrayproto_values, r.arrayIterProto_next): a function object whose Go
// function has that method's code is the built-in, in whatever runtime
// and wherever an action put it, and no action can make one that is not
// (its functions, bound functions and proxies all have other code).
//
// It is read once per process from a scratch runtime. Capturing the
// functions themselves in each run would cost more than the fast path
// saves: reaching %ArrayIteratorPrototype%.next builds that prototype and
// %IteratorPrototype%, about 40 allocations (about 9 µs of a 200 µs run)
// for every action, most of which never build a typed array.
type builtinCode struct {
	values, next uintptr // 0 when unknown: the fast path is off
}

// arrayIterationCode is the builtinCode of this goja.
var arrayIterationCode = sync.OnceValue(readArrayIterationCode)

// readArrayIterationCode reads builtinCode from a scratch runtime. It
// turns the fast path off if the code does not identify the functions:
// if another built-in iteration function shares it (a goja that made
// them from one generic Go function).
func readArrayIterationCode() builtinCode {
	vm := goja.New()
	codes := func(src string) []uintptr {
		v, err := vm.RunString(src)
		if err != nil {
			return nil
		}
		arr := v.ToObject(vm)
		out := make([]uintptr, toLength(arr.Get("length")))
		for i := range out {
			out[i] = nativeCode(arr.Get(strconv.Itoa(i)))
		}
		return out
	}
	// The built-ins, then others an action could put in their place.
	c := codes(`const next = (it) => Object.getPrototypeOf(it).next;
[Array.prototype[Symbol.iterator], next([].values()),
	Array.prototype.keys, Array.prototype.entries, Object.getPrototypeOf(Uint8Array.prototype).values,
	next(new Set().values()), next(new Map().values()), next(""[Symbol.iterator]()), next("".matchAll(/x/g)),
	next((function* () {})()), Array.prototype.values.bind([]), Array.prototype.map, function () {}, () => {}, class {}]`)
	if len(c) < 2 || c[0] == 0 || c[1] == 0 || c[0] == c[1] || slices.Contains(c[2:], c[0]) || slices.Contains(c[2:], c[1]) {
		return builtinCode{}
	}
	return builtinCode{values: c[0], next: c[1]}
}

// nativeCode is the code of the Go function behind the native function
// v, or 0 if v is not one. It runs no action code: a function's Export is
// its Go function (a JavaScript function's is its Call method).
func nativeCode(v goja.Value) uintptr {
	obj, ok := v.(*goja.Object)
	if !ok || obj.ExportType() != funcType {
		return 0
	}
	f, ok := obj.Export().(func(goja.FunctionCall) goja.Value)
	if !ok || f == nil {
		return 0
	}
	return reflect.ValueOf(f).Pointer()
}

var funcType = reflect.TypeOf((func(goja.FunctionCall) goja.Value)(nil))

// builtinIteration reports whether iterating src with usingIter (src's
// @@iterator, read once) and next (read once from the iterator usingIter
// made) is the built-in iteration of a genuine array. The iterator's
// values are then arrayValues(src).
func builtinIteration(src *goja.Object, usingIter, next goja.Value) bool {
	code := arrayIterationCode()
	return code.values != 0 && src.ExportType() == arrayType &&
		nativeCode(usingIter) == code.values && nativeCode(next) == code.next
}

// arrayValues is what the built-in iteration of src yields
// (%ArrayIteratorPrototype%.next): while k < ToLength(src.length), read
// again at each step since an element getter may change it, src[k] (a
// hole reads as the prototype chain has it, or undefined). It allocates
// no iterator result objects. The list is announced as it grows, as
// constructFrom announces an iterator's.
func (g *bufferGuard) arrayValues(src *goja.Object) []goja.Value {
	values := make([]goja.Value, 0, min(toLength(src.Get("length")), 1024))
	// What a getter throws is rethrown as its value, as callOrThrow
	// rethrows what the iterator's next throws: the uncaught error's
	// stack is then the same.
	if ex := g.r.vm.Try(func() {
		for k := int64(0); k < toLength(src.Get("length")); k++ {
			v := src.Get(strconv.FormatInt(k, 10))
			if v == nil {
				v = goja.Undefined()
			}
			values = append(values, v)
			if len(values)%1024 == 0 {
				g.allow(float64(len(values)) * valueBytes)
			}
		}
	}); ex != nil {
		panic(ex.Value())
	}
	return values
}

// numberWriter stores the Number f in element k of dst, a typed array's
// exported backing slice, converted as goja's typed array of that kind
// converts it (ToInt8, ToUint8, ToUint8Clamp, ...). It reports false,
// storing nothing, if dst is not the slice type it expects.
type numberWriter func(dst any, k int, f float64) bool

// numberWriters are the typed-array constructors' numberWriters, by
// global name. The BigInt arrays have none: storing a Number in them
// throws, which obj.Set does.
var numberWriters = map[string]numberWriter{
	"Int8Array":         intWriter[int8],
	"Uint8Array":        intWriter[uint8],
	"Int16Array":        intWriter[int16],
	"Uint16Array":       intWriter[uint16],
	"Int32Array":        intWriter[int32],
	"Uint32Array":       intWriter[uint32],
	"Uint8ClampedArray": clampedWriter,
	"Float32Array": func(dst any, k int, f float64) bool {
		s, ok := dst.([]float32)
		if ok {
			s[k] = float32(f)
		}
		return ok
	},
	"Float64Array": func(dst any, k int, f float64) bool {
		s, ok := dst.([]float64)
		if ok {
			s[k] = f
		}
		return ok
	},
}

// intWriter stores f as goja's toInt8/toUint8/.../toUint32 do: 0 for NaN
// and the infinities, else the integer part taken as an int64, truncated
// to T's bits (the specification's modulo 2**n, with goja's result for
// values past 2**63).
func intWriter[T int8 | uint8 | int16 | uint16 | int32 | uint32](dst any, k int, f float64) bool {
	s, ok := dst.([]T)
	if ok {
		var n int64
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			n = int64(f)
		}
		s[k] = T(n)
	}
	return ok
}

// clampedWriter stores f as goja's toUint8Clamp does: clamped to
// [0, 255], rounded half to even, NaN to 0.
func clampedWriter(dst any, k int, f float64) bool {
	s, ok := dst.([]uint8)
	if !ok {
		return false
	}
	switch {
	case math.IsNaN(f) || f < 0:
		s[k] = 0
	case f > 255:
		s[k] = 255
	default:
		fl := math.Floor(f)
		switch half := fl + 0.5; {
		case half < f:
			s[k] = uint8(fl + 1)
		case half > f:
			s[k] = uint8(fl)
		default:
			s[k] = uint8(fl) + uint8(fl)&1
		}
	}
	return true
}

var (
	int64Type   = reflect.TypeOf(int64(0))
	float64Type = reflect.TypeOf(float64(0))
)

// numberValue returns v's value if v is a Number primitive: goja's
// integers (exactly representable, within ±2**53) and floats. Converting
// it to an element type then runs no action code.
func numberValue(v goja.Value) (float64, bool) {
	if _, obj := v.(*goja.Object); obj {
		return 0, false
	}
	if t := v.ExportType(); t == int64Type || t == float64Type {
		return v.ToFloat(), true
	}
	return 0, false
}
