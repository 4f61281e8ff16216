package action

import (
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/dop251/goja"
)

// arrayIteration is the built-in iteration of arrays, captured before any
// action code runs (an action can replace either function): the original
// Array.prototype[Symbol.iterator] (%Array.prototype.values%) and
// %ArrayIteratorPrototype%.next.
type arrayIteration struct {
	values goja.Callable
	// valuesObj and next are the functions' objects, compared by identity.
	valuesObj, next *goja.Object
}

// captureArrayIteration reads the built-in array iteration functions. It
// runs at install time, on a VM no action code has touched yet.
func (r *run) captureArrayIteration() (arrayIteration, error) {
	arr := r.vm.NewArray()
	proto := arr.Prototype()
	if proto == nil {
		//lint:ignore ST1005 "Array" is the JavaScript global's name
		return arrayIteration{}, fmt.Errorf("Array.prototype missing")
	}
	// Array.prototype.values is the same function as
	// Array.prototype[Symbol.iterator] until an action changes either; it
	// is read by name because reading a symbol property materialises all
	// of goja's lazily built Array.prototype symbols (Symbol.unscopables
	// is an object of 17 properties): 6 µs per run.
	valuesObj, ok := proto.Get("values").(*goja.Object)
	if !ok {
		//lint:ignore ST1005 "Array" is the JavaScript global's name
		return arrayIteration{}, fmt.Errorf("Array.prototype[Symbol.iterator] missing")
	}
	values, ok := goja.AssertFunction(valuesObj)
	if !ok {
		//lint:ignore ST1005 "Array" is the JavaScript global's name
		return arrayIteration{}, fmt.Errorf("Array.prototype[Symbol.iterator] is not a function")
	}
	iter, err := values(arr)
	if err != nil {
		return arrayIteration{}, fmt.Errorf("array iterator: %v", err)
	}
	iterObj, ok := iter.(*goja.Object)
	if !ok {
		return arrayIteration{}, fmt.Errorf("array iterator is not an object")
	}
	next, ok := iterObj.Get("next").(*goja.Object)
	if !ok {
		return arrayIteration{}, fmt.Errorf("array iterator next missing")
	}
	return arrayIteration{values: values, valuesObj: valuesObj, next: next}, nil
}

// builtinIteration reports whether iterating src with usingIter (src's
// @@iterator, read once) and next (read once from the iterator usingIter
// made) is the built-in iteration of a genuine array. The iterator's
// values are then arrayValues(src), and no action code but src's own
// element getters runs while they are collected.
func (it *arrayIteration) builtinIteration(src *goja.Object, usingIter, next goja.Value) bool {
	return src.ExportType() == arrayType && usingIter == goja.Value(it.valuesObj) && next == goja.Value(it.next)
}

// arrayValues is what the built-in iteration of src yields
// (%ArrayIteratorPrototype%.next): while k < ToLength(src.length), read
// again at each step since an element getter may change it, src[k] (a
// hole reads as the prototype chain has it, or undefined). It allocates
// no iterator result objects. The list is announced as it grows, as
// constructFrom announces an iterator's.
func (g *bufferGuard) arrayValues(src *goja.Object) []goja.Value {
	values := make([]goja.Value, 0, min(toLength(src.Get("length")), 1024))
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
