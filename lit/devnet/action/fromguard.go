package action

import (
	"fmt"
	"strconv"

	"github.com/dop251/goja"
)

// guardFrom replaces %TypedArray%.from (what Uint8Array.from and the other
// typed arrays' from inherit) and Array.from. goja's own collect an
// iterable's values natively before anything sees their number:
// Uint8Array.from(new Array(2 ** 30)) appended 2 ** 30 values (16 GiB), an
// allocation no watchdog can stop, which aborted the process.
//
// %TypedArray%.from is done as the specification does it (like
// constructFrom): the values of an iterable are collected by
// iteratorValues or arrayValues, which announce the list as it grows; an
// array-like's length goes to the constructor, which is guarded.
// Array.from announces a genuine array's values before goja copies them,
// and reads an array-like source through a counting proxy (see
// watchLoops).
func (g *bufferGuard) guardFrom() error {
	vm := g.r.vm
	typedArray := g.uint8Array.Prototype()
	if typedArray == nil {
		return fmt.Errorf("%%TypedArray%% missing")
	}
	if err := typedArray.DefineDataProperty("from", vm.ToValue(g.typedArrayFrom), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
		return fmt.Errorf("replace %%TypedArray%%.from: %w", err)
	}
	array, ok := vm.GlobalObject().Get("Array").(*goja.Object)
	if !ok {
		//lint:ignore ST1005 "Array" is the JavaScript global's name
		return fmt.Errorf("Array missing")
	}
	orig, ok := goja.AssertFunction(array.Get("from"))
	if !ok {
		//lint:ignore ST1005 "Array" is the JavaScript global's name
		return fmt.Errorf("Array.from missing")
	}
	arrayFrom := func(call goja.FunctionCall) goja.Value {
		args := call.Arguments
		if src, ok := call.Argument(0).(*goja.Object); ok {
			if src.ExportType() == arrayType {
				// Its length runs no action code.
				g.allow(float64(toLength(src.Get("length"))) * valueBytes)
			} else if iteratorMethod(src) == nil {
				args = append([]goja.Value{vm.ToValue(vm.NewProxy(src, g.r.loops.traps))}, args[1:]...)
			}
		}
		return g.r.callOrThrow(orig, call.This, args)
	}
	if err := array.DefineDataProperty("from", vm.ToValue(arrayFrom), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
		return fmt.Errorf("replace Array.from: %w", err)
	}
	return nil
}

// typedArrayFrom is %TypedArray%.from(source, mapFn, thisArg) with this
// the constructor.
func (g *bufferGuard) typedArrayFrom(call goja.FunctionCall) goja.Value {
	vm := g.r.vm
	c, ok := call.This.(*goja.Object)
	if !ok {
		panic(vm.NewTypeError("%s is not a constructor", call.This))
	}
	if _, ok := goja.AssertConstructor(c); !ok {
		panic(vm.NewTypeError("%s is not a constructor", call.This))
	}
	var mapFn goja.Callable
	if m := call.Argument(1); !goja.IsUndefined(m) {
		if mapFn, ok = goja.AssertFunction(m); !ok {
			panic(vm.NewTypeError("%s is not a function", m))
		}
	}
	thisArg := call.Argument(2)
	src := call.Argument(0).ToObject(vm)
	values, iterable := g.iterableValues(src)
	length := int64(len(values))
	if !iterable {
		length = toLength(src.Get("length"))
	}
	obj, err := vm.New(c, vm.ToValue(length))
	if err != nil {
		panic(g.r.jsValueOf(err))
	}
	if kind, n := bufferKind(obj); kind != typedArray || int64(n) < length {
		panic(vm.NewTypeError("from: the constructor did not make a typed array of %d elements", length))
	}
	for k := int64(0); k < length; k++ {
		if k%loopCheckEvery == 0 && g.r.stopping() {
			panic(vm.NewGoError(ctxErr(g.r.ctx)))
		}
		var v goja.Value
		if iterable {
			v = values[k]
		} else {
			v = orUndefined(src.Get(strconv.FormatInt(k, 10)))
		}
		if mapFn != nil {
			v = g.r.callOrThrow(mapFn, thisArg, []goja.Value{v, vm.ToValue(k)})
		}
		if err := obj.Set(strconv.FormatInt(k, 10), v); err != nil {
			panic(g.r.jsValueOf(err))
		}
	}
	return obj
}
