package action

import (
	"fmt"
	"math"

	"github.com/dop251/goja"
)

// bufferConstructors are the globals replaced by bufferGuard, with the
// bytes per element they allocate. goja has no SharedArrayBuffer; it is
// listed so that a goja that adds one is guarded.
var bufferConstructors = []struct {
	name string
	size float64
}{
	{"ArrayBuffer", 1}, {"SharedArrayBuffer", 1}, {"Int8Array", 1}, {"Uint8Array", 1}, {"Uint8ClampedArray", 1},
	{"Int16Array", 2}, {"Uint16Array", 2}, {"Int32Array", 4}, {"Uint32Array", 4}, {"Float32Array", 4}, {"Float64Array", 8},
	{"BigInt64Array", 8}, {"BigUint64Array", 8},
}

// stringSizers are the String.prototype methods whose result size follows
// from their arguments. Each returns the bytes the call's result takes,
// from the receiver's length n, its bytes per character and the call's
// arguments.
var stringSizers = []struct {
	name string
	size func(n, per int64, call goja.FunctionCall) float64
}{
	{"repeat", func(n, per int64, call goja.FunctionCall) float64 {
		return float64(n*per) * call.Argument(0).ToFloat()
	}},
	{"padStart", func(_, per int64, call goja.FunctionCall) float64 {
		return float64(per) * call.Argument(0).ToFloat()
	}},
	{"padEnd", func(_, per int64, call goja.FunctionCall) float64 {
		return float64(per) * call.Argument(0).ToFloat()
	}},
}

// installMemoryGuards checks, before they allocate, the built-ins whose
// allocation follows from their arguments: one call such as
// "x".repeat(2 ** 40) or new ArrayBuffer(2 ** 40) would otherwise make the
// Go runtime abort the whole process ("fatal error: out of memory"), which
// no watchdog can prevent.
func (r *run) installMemoryGuards() error {
	if err := r.guardStrings(); err != nil {
		return err
	}
	return r.guardBuffers()
}

// guardStrings wraps String.prototype.repeat/padStart/padEnd.
func (r *run) guardStrings() error {
	// A string primitive reaches String.prototype without building the
	// String constructor.
	proto := r.vm.ToValue("").ToObject(r.vm).Prototype()
	if proto == nil {
		//lint:ignore ST1005 "String" is the JavaScript global's name
		return fmt.Errorf("String.prototype missing")
	}
	for _, s := range stringSizers {
		orig, ok := goja.AssertFunction(proto.Get(s.name))
		if !ok {
			//lint:ignore ST1005 "String" is the JavaScript global's name
			return fmt.Errorf("String.prototype.%s missing", s.name)
		}
		size := s.size
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
		if err := proto.DefineDataProperty(s.name, r.vm.ToValue(guarded), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			return err
		}
	}
	return nil
}

// bufferGuard replaces ArrayBuffer and the typed-array constructors with
// proxies that announce the bytes a construction will allocate (a length,
// or an array-like's length, times the element size) before it happens.
// Construction goes on with the original constructor and the same
// newTarget, so prototypes, instanceof and subclassing behave as before.
// The proxies are native (Go traps, one handler for all of them): a
// JavaScript handler cost a third of a whole run to set up.
type bufferGuard struct {
	r           *run
	arrayBuffer *goja.Object // the original ArrayBuffer
	uint8Array  *goja.Object // the original Uint8Array
	ctors       []guardedCtor
	reflectGet  goja.Callable // Reflect.get, looked up on first use
}

// guardedCtor is one replaced constructor.
type guardedCtor struct {
	target      *goja.Object
	size        float64    // BYTES_PER_ELEMENT, 1 for ArrayBuffer
	hasInstance goja.Value // made on first use
}

// guardBuffers replaces the buffer constructors by guarded proxies. It
// leaves no name behind.
func (r *run) guardBuffers() error {
	g := &bufferGuard{r: r, ctors: make([]guardedCtor, 0, len(bufferConstructors))}
	global := r.vm.GlobalObject()
	traps := &goja.ProxyTrapConfig{GetSym: g.getSym, Construct: g.construct}
	for _, bc := range bufferConstructors {
		c, ok := global.Get(bc.name).(*goja.Object)
		if !ok {
			continue
		}
		switch bc.name {
		case "ArrayBuffer":
			g.arrayBuffer = c
		case "Uint8Array":
			g.uint8Array = c
		}
		g.ctors = append(g.ctors, guardedCtor{target: c, size: bc.size})
		proxy := r.vm.ToValue(r.vm.NewProxy(c, traps))
		if err := global.DefineDataProperty(bc.name, proxy, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
			return err
		}
		// Instances reach their constructor through prototype.constructor
		// (new Uint8Array(1).constructor, and the typed arrays the API
		// returns): it must be the guarded one too.
		if proto, ok := c.Get("prototype").(*goja.Object); ok {
			if err := proto.DefineDataProperty("constructor", proxy, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
				return err
			}
		}
	}
	if g.arrayBuffer == nil || g.uint8Array == nil {
		return fmt.Errorf("ArrayBuffer or Uint8Array missing")
	}
	r.buffers = g
	return nil
}

// newUint8Array is `new Uint8Array(arg)` with the original constructor,
// counted as the guarded one counts it, whatever the action did to the
// global Uint8Array (a node converts its API's arguments natively).
// Failures are thrown into the action, as the constructor throws them.
func (g *bufferGuard) newUint8Array(arg goja.Value) *goja.Object {
	return g.construct(g.uint8Array, []goja.Value{arg}, g.uint8Array)
}

// ctor returns the entry of target.
func (g *bufferGuard) ctor(target *goja.Object) *guardedCtor {
	for i := range g.ctors {
		if g.ctors[i].target == target {
			return &g.ctors[i]
		}
	}
	panic(fmt.Sprintf("buffer guard: unknown target %v", target)) // unreachable: each proxy has its own target
}

// getSym answers instanceof, which goja does not see through a proxy, and
// forwards every other symbol property (Symbol.species is a getter that
// must see the proxy as its receiver).
func (g *bufferGuard) getSym(target *goja.Object, sym *goja.Symbol, receiver goja.Value) goja.Value {
	vm := g.r.vm
	if sym == goja.SymHasInstance {
		c := g.ctor(target)
		if c.hasInstance == nil {
			c.hasInstance = vm.ToValue(func(call goja.FunctionCall) goja.Value {
				return vm.ToValue(vm.InstanceOf(call.Argument(0), target))
			})
		}
		return c.hasInstance
	}
	if g.reflectGet == nil {
		get, ok := goja.AssertFunction(vm.Get("Reflect").ToObject(vm).Get("get"))
		if !ok {
			panic(vm.NewTypeError("Reflect.get missing"))
		}
		g.reflectGet = get
	}
	v, err := g.reflectGet(goja.Undefined(), target, sym, receiver)
	if err != nil {
		panic(g.r.jsValueOf(err))
	}
	return v
}

// construct announces the allocation of `new target(...args)`, then
// constructs it.
func (g *bufferGuard) construct(target *goja.Object, args []goja.Value, newTarget *goja.Object) *goja.Object {
	c := g.ctor(target)
	if !g.r.announce(g.elements(args) * c.size) {
		vm := g.r.vm
		e, err := vm.New(vm.Get("RangeError"), vm.ToValue("Array buffer allocation failed"))
		if err != nil {
			panic(g.r.jsValueOf(err))
		}
		panic(e)
	}
	construct, ok := goja.AssertConstructor(target)
	if !ok {
		panic(g.r.vm.NewTypeError("not a constructor"))
	}
	obj, err := construct(newTarget, args...)
	if err != nil {
		panic(g.r.jsValueOf(err))
	}
	return obj
}

// elements is the number of elements a construction with args allocates,
// as the constructor will read it: Number(length) for a primitive (0 for a
// BigInt or a Symbol, which the constructor rejects), Number(a.length) for
// an object other than an ArrayBuffer (whose memory already exists).
func (g *bufferGuard) elements(args []goja.Value) float64 {
	a := goja.Undefined()
	if len(args) > 0 {
		a = args[0]
	}
	obj, isObj := a.(*goja.Object)
	if !isObj {
		if _, isSym := a.(*goja.Symbol); isSym || goja.IsBigInt(a) {
			return 0
		}
		return a.ToFloat()
	}
	if g.r.vm.InstanceOf(obj, g.arrayBuffer) {
		return 0
	}
	n := obj.Get("length")
	if n == nil {
		return math.NaN()
	}
	return n.ToFloat()
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
