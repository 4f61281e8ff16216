package action

import (
	"fmt"
	"strconv"

	"github.com/dop251/goja"
)

// loopedArrayMethods are the Array.prototype methods that goja runs as one
// native loop over the receiver's length, running no JavaScript for (some)
// elements: on an array-like such as {length: 2 ** 53 - 1} or a huge
// sparse array, indexOf, reverse or forEach spin for days, and the VM
// cannot be interrupted inside them. fill has its own guard (guardFill).
// allocates is whether the method allocates its dense result of the
// receiver's length before reading any element.
var loopedArrayMethods = []struct {
	name      string
	allocates bool
}{
	{"indexOf", false}, {"lastIndexOf", false}, {"includes", false},
	{"join", false}, {"toLocaleString", false}, {"reverse", false}, {"copyWithin", false},
	{"shift", false}, {"unshift", false}, {"splice", false}, {"slice", false}, {"sort", false},
	{"concat", false}, {"flat", false}, {"flatMap", false},
	{"every", false}, {"some", false}, {"forEach", false}, {"map", false}, {"filter", false},
	{"reduce", false}, {"reduceRight", false},
	{"find", false}, {"findIndex", false}, {"findLast", false}, {"findLastIndex", false},
	{"toReversed", true}, {"toSorted", true}, {"with", true}, {"toSpliced", true},
}

// directLoopMax is the longest genuine array a looped method runs on
// directly: goja's loop over it ends within milliseconds.
const directLoopMax = 1 << 16

// loopCheckEvery is how many element accesses a watched loop makes
// between two checks of the run's state.
const loopCheckEvery = 1024

// guardArrayLoops replaces the loopedArrayMethods. On a genuine array of
// at most directLoopMax elements, or a primitive receiver, the method runs
// as before. On anything else (an array-like, a typed array, a proxy, a
// longer array) it runs on a native proxy of the receiver whose traps
// count the element accesses and, once the run is stopped (time, memory,
// caller), throw to end the loop; the VM is interrupted before the action
// can catch that. A method returning its receiver returns the receiver,
// not the proxy. What an action can tell: a callback's third argument, and
// the `this` of an array-like's element getters reached through has/get
// traps, are the proxy (a getter still sees the receiver as `this`).
func (r *run) guardArrayLoops() error {
	proto := r.vm.NewArray().Prototype()
	if proto == nil {
		//lint:ignore ST1005 "Array" is the JavaScript global's name
		return fmt.Errorf("Array.prototype missing")
	}
	reflectObj, ok := r.vm.GlobalObject().Get("Reflect").(*goja.Object)
	if !ok {
		return fmt.Errorf("Reflect missing")
	}
	has, ok := goja.AssertFunction(reflectObj.Get("has"))
	if !ok {
		return fmt.Errorf("Reflect.has missing")
	}
	w := &loopWatch{r: r, has: has}
	r.loops = w
	w.traps = &goja.ProxyTrapConfig{
		Has:    func(t *goja.Object, k string) bool { return w.hasKey(t, r.vm.ToValue(k)) },
		HasIdx: func(t *goja.Object, i int) bool { return w.hasKey(t, r.vm.ToValue(i)) },
		Get: func(t *goja.Object, k string, _ goja.Value) goja.Value {
			w.step()
			return orUndefined(t.Get(k))
		},
		GetIdx: func(t *goja.Object, i int, _ goja.Value) goja.Value {
			w.step()
			return orUndefined(t.Get(strconv.Itoa(i)))
		},
	}
	for _, m := range loopedArrayMethods {
		orig, ok := goja.AssertFunction(proto.Get(m.name))
		if !ok {
			//lint:ignore ST1005 "Array" is the JavaScript global's name
			return fmt.Errorf("Array.prototype.%s missing", m.name)
		}
		allocates := m.allocates
		spreads := m.name == "concat"
		guarded := func(call goja.FunctionCall) goja.Value {
			obj, isObj := call.This.(*goja.Object)
			if !isObj {
				return r.callOrThrow(orig, call.This, call.Arguments)
			}
			if obj.ExportType() == arrayType {
				// A genuine array's length runs no action code.
				length := toLength(obj.Get("length"))
				if length <= directLoopMax {
					args := call.Arguments
					if spreads {
						args = w.spreadArgs(args)
					}
					return r.callOrThrow(orig, obj, args)
				}
				if allocates && !r.announce(float64(length)*valueBytes) {
					return goja.Undefined() // interrupted before the next instruction
				}
			}
			args := call.Arguments
			if spreads {
				args = w.spreadArgs(args)
			}
			pv := r.vm.ToValue(r.vm.NewProxy(obj, w.traps))
			v := r.callOrThrow(orig, pv, args)
			if v == pv || (v != nil && v.SameAs(pv)) {
				return obj
			}
			return v
		}
		if err := proto.DefineDataProperty(m.name, r.vm.ToValue(guarded), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			return fmt.Errorf("replace Array.prototype.%s: %w", m.name, err)
		}
	}
	return nil
}

// loopWatch is the handler of the proxies guardArrayLoops makes.
type loopWatch struct {
	r     *run
	has   goja.Callable // the original Reflect.has
	traps *goja.ProxyTrapConfig
	steps int
}

// step counts one element access and, every loopCheckEvery, throws into
// the loop if the run was stopped (stopping interrupts the VM, so the
// action cannot catch what is thrown).
func (w *loopWatch) step() {
	w.steps++
	if w.steps%loopCheckEvery == 0 && w.r.stopping() {
		panic(w.r.vm.NewGoError(ctxErr(w.r.ctx)))
	}
}

// spreadArgs is concat's arguments with those it spreads in a native loop
// (a genuine array of more than directLoopMax elements, an array-like with
// a true Symbol.isConcatSpreadable) replaced by a counting proxy: their
// elements are what concat reads from them. The check reads
// Symbol.isConcatSpreadable, which concat reads again.
func (w *loopWatch) spreadArgs(args []goja.Value) []goja.Value {
	var out []goja.Value
	for i, a := range args {
		obj, ok := a.(*goja.Object)
		if !ok {
			continue
		}
		sp := obj.GetSymbol(goja.SymIsConcatSpreadable)
		unset := sp == nil || goja.IsUndefined(sp)
		big := obj.ExportType() == arrayType && unset && toLength(obj.Get("length")) > directLoopMax
		if !big && (unset || !sp.ToBoolean()) {
			continue
		}
		if out == nil {
			out = append([]goja.Value(nil), args...)
		}
		out[i] = w.r.vm.ToValue(w.r.vm.NewProxy(obj, w.traps))
	}
	if out == nil {
		return args
	}
	return out
}

// hasKey is HasProperty(t, k), counted.
func (w *loopWatch) hasKey(t *goja.Object, k goja.Value) bool {
	w.step()
	return w.r.callOrThrow(w.has, goja.Undefined(), []goja.Value{t, k}).ToBoolean()
}

// orUndefined is v, or undefined for a missing property (nil): a proxy's
// get trap answers a value.
func orUndefined(v goja.Value) goja.Value {
	if v == nil {
		return goja.Undefined()
	}
	return v
}
