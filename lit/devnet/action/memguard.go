package action

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

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
// The call they get has the receiver and arguments already converted (see
// guardStrings). fill is whether the second argument is a string (the
// filler, whose characters may take more bytes than the receiver's).
var stringSizers = []struct {
	name string
	fill bool
	size func(n, per int64, call goja.FunctionCall) float64
}{
	{"repeat", false, func(n, per int64, call goja.FunctionCall) float64 {
		return float64(n*per) * call.Argument(0).ToFloat()
	}},
	{"padStart", true, padSize},
	{"padEnd", true, padSize},
}

// padSize is the size of a padStart/padEnd result: maxLength characters.
func padSize(_, per int64, call goja.FunctionCall) float64 {
	if fill := call.Argument(1); !goja.IsUndefined(fill) {
		per = max(per, bytesPerChar(fill.String()))
	}
	return float64(per) * call.Argument(0).ToFloat()
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
	if err := r.guardFill(); err != nil {
		return err
	}
	r.watchLoops()
	return r.guardBuffers()
}

// fillChunk is the most elements one call of goja's own
// Array.prototype.fill may set (see guardFill): about 2.5 MB of
// allocation on a sparse array.
const fillChunk = 1 << 14

// arrayType is what a genuine array (not a proxy, not an array-like)
// exports as.
var arrayType = reflect.TypeOf([]any(nil))

// guardFill replaces Array.prototype.fill, which goja runs as one native
// loop: on a sparse array (new Array(1e7).fill(0)) or an array-like
// ({length: 2 ** 40}) that loop allocates without bound (about 150 bytes
// per element on a sparse array: 152 MB measured for a million) and the VM
// cannot be interrupted inside it. The replacement reads the length and the range
// once, in the specification's order (Array.prototype.fill), then fills a
// genuine array with goja's fill a chunk at a time, and any other object
// element by element, stopping as soon as the run is stopped (memory,
// time): the watchdog's samples see the growth between chunks.
func (r *run) guardFill() error {
	proto := r.vm.NewArray().Prototype()
	if proto == nil {
		//lint:ignore ST1005 "Array" is the JavaScript global's name
		return fmt.Errorf("Array.prototype missing")
	}
	orig, ok := goja.AssertFunction(proto.Get("fill"))
	if !ok {
		//lint:ignore ST1005 "Array" is the JavaScript global's name
		return fmt.Errorf("Array.prototype.fill missing")
	}
	guarded := func(call goja.FunctionCall) goja.Value {
		if goja.IsUndefined(call.This) || goja.IsNull(call.This) {
			return r.callOrThrow(orig, call.This, call.Arguments) // its TypeError
		}
		obj := call.This.ToObject(r.vm)
		length := toLength(obj.Get("length"))
		value := call.Argument(0)
		k := relativeIndex(call.Argument(1).ToInteger(), length)
		final := length
		if end := call.Argument(2); !goja.IsUndefined(end) {
			final = relativeIndex(end.ToInteger(), length)
		}
		if obj.ExportType() == arrayType {
			// Reading a genuine array's length runs no action code:
			// goja's fill may read it again, a chunk at a time.
			for k < final && !r.stopping() {
				next := min(k+fillChunk, final)
				r.callOrThrow(orig, obj, []goja.Value{value, r.vm.ToValue(k), r.vm.ToValue(next)})
				k = next
			}
			return obj
		}
		for i := int64(0); k < final; k, i = k+1, i+1 {
			if i%1024 == 0 && r.stopping() {
				break
			}
			if err := obj.Set(strconv.FormatInt(k, 10), value); err != nil {
				panic(r.jsValueOf(err))
			}
		}
		return obj
	}
	return proto.DefineDataProperty("fill", r.vm.ToValue(guarded), goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
}

// toLength is the specification's ToLength of v (nil for a missing
// property): an integer in [0, 2**53 - 1]. It converts v once (a valueOf
// runs once; a Symbol or BigInt throws the TypeError).
func toLength(v goja.Value) int64 {
	if v == nil {
		return 0
	}
	return min(max(v.ToInteger(), 0), 1<<53-1)
}

// relativeIndex is an index argument relative to length, as the array
// methods take it: from the end when negative, clamped to [0, length].
func relativeIndex(rel, length int64) int64 {
	if rel < 0 {
		return max(length+rel, 0)
	}
	return min(rel, length)
}

// stopping reports whether the run was stopped (a limit, or the caller):
// the VM is then interrupted before its next instruction, and a built-in
// loop should return now.
func (r *run) stopping() bool {
	if r.ctx.Err() == nil {
		return false
	}
	r.vm.Interrupt(context.Cause(r.ctx)) // the run's error comes from its context
	return true
}

// callOrThrow calls f, rethrowing what it throws into the action.
func (r *run) callOrThrow(f goja.Callable, this goja.Value, args []goja.Value) goja.Value {
	v, err := f(this, args...)
	if err != nil {
		panic(r.jsValueOf(err))
	}
	return v
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
		size, fill := s.size, s.fill
		guarded := func(call goja.FunctionCall) goja.Value {
			this, args := call.This, call.Arguments
			if _, sym := this.(*goja.Symbol); !sym && !goja.IsUndefined(this) && !goja.IsNull(this) {
				// Each value the action controls is converted once, here,
				// in the built-in's order; the built-in then gets
				// primitives, whose conversions run no action code (a
				// valueOf answering 1 to the check and 2 ** 40 to the
				// built-in had it allocate past the check).
				str := this.String()
				this = r.vm.ToValue(str)
				args = r.primitiveArgs(args, fill)
				if !r.announce(size(int64(len(str)), bytesPerChar(str), goja.FunctionCall{This: this, Arguments: args})) {
					return goja.Undefined() // interrupted before the next instruction
				}
			}
			v, err := orig(this, args...)
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

// primitiveArgs converts a guarded string method's arguments as the
// method would: the first to a number (a Symbol or BigInt stays, for the
// method to throw its TypeError), and with fill the second, unless
// undefined, to a string. The others are passed on unread.
func (r *run) primitiveArgs(args []goja.Value, fill bool) []goja.Value {
	out := append([]goja.Value(nil), args...)
	if len(out) > 0 {
		if _, sym := out[0].(*goja.Symbol); !sym && !goja.IsBigInt(out[0]) {
			out[0] = out[0].ToNumber()
		}
	}
	if fill && len(out) > 1 && !goja.IsUndefined(out[1]) {
		if _, sym := out[1].(*goja.Symbol); !sym {
			out[1] = r.vm.ToValue(out[1].String())
		}
	}
	return out
}

// bufferGuard replaces ArrayBuffer and the typed-array constructors with
// proxies that announce the bytes a construction will allocate (a length,
// or an array-like's length, times the element size) before it happens.
// Construction goes on with the original constructor and the same
// newTarget, so prototypes, instanceof and subclassing behave as before.
// The proxies are native (Go traps, one handler for all of them): a
// JavaScript handler cost a third of a whole run to set up.
type bufferGuard struct {
	r          *run
	uint8Array *goja.Object // the original Uint8Array
	ctors      []guardedCtor
	// reflectGet is goja's own Reflect.get (see genuineReflectGet), taken
	// on first use: building Reflect in every run cost about 150
	// allocations (10 % of a seed run), and few actions read a symbol of
	// a buffer constructor.
	reflectGet goja.Callable
}

// guardedCtor is one replaced constructor.
type guardedCtor struct {
	target      *goja.Object
	size        float64    // BYTES_PER_ELEMENT, 1 for ArrayBuffer
	buffer      bool       // an ArrayBuffer constructor: its argument is a length
	hasInstance goja.Value // made on first use
	// write stores a Number in an instance's element; nil for the
	// buffers and the BigInt arrays.
	write numberWriter
}

// guardBuffers replaces the buffer constructors by guarded proxies. It
// leaves no name behind.
func (r *run) guardBuffers() error {
	g := &bufferGuard{r: r, ctors: make([]guardedCtor, 0, len(bufferConstructors))}
	global := r.vm.GlobalObject()
	traps := &goja.ProxyTrapConfig{GetSym: g.getSym, Construct: g.construct}
	haveArrayBuffer := false
	for _, bc := range bufferConstructors {
		c, ok := global.Get(bc.name).(*goja.Object)
		if !ok {
			continue
		}
		switch bc.name {
		case "ArrayBuffer":
			haveArrayBuffer = true
		case "Uint8Array":
			g.uint8Array = c
		}
		g.ctors = append(g.ctors, guardedCtor{target: c, size: bc.size, buffer: strings.HasSuffix(bc.name, "ArrayBuffer"), write: numberWriters[bc.name]})
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
	if !haveArrayBuffer || g.uint8Array == nil {
		return fmt.Errorf("ArrayBuffer or Uint8Array missing")
	}
	r.buffers = g
	return g.guardFrom()
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

// reflectGetCode is the code of goja's Reflect.get (see nativeCode), read
// once per process from a scratch runtime; 0 if it does not identify the
// function (another built-in shares it).
var reflectGetCode = sync.OnceValue(func() uintptr {
	vm := goja.New()
	v, err := vm.RunString(`[Reflect.get, Reflect.set, Reflect.has, Reflect.apply, Object.getOwnPropertyDescriptor, Function.prototype.call]`)
	if err != nil {
		return 0
	}
	arr := v.ToObject(vm)
	code := nativeCode(arr.Get("0"))
	for i := int64(1); i < toLength(arr.Get("length")); i++ {
		if nativeCode(arr.Get(strconv.FormatInt(i, 10))) == code {
			return 0
		}
	}
	return code
})

// genuineReflectGet returns the global Reflect.get if it is goja's own,
// whose Go code no action can give a function of its own (a function, a
// bound function or a proxy has other code): a Reflect.get the action
// put in its place would be handed the original constructor. Otherwise
// it throws a TypeError into the action.
func (r *run) genuineReflectGet() goja.Callable {
	if code := reflectGetCode(); code != 0 {
		if refl, ok := r.vm.GlobalObject().Get("Reflect").(*goja.Object); ok {
			get := refl.Get("get")
			if fn, ok := goja.AssertFunction(get); ok && nativeCode(get) == code {
				return fn
			}
		}
	}
	panic(r.vm.NewTypeError("a typed array's symbol property needs the built-in Reflect.get, which the action replaced"))
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
		g.reflectGet = g.r.genuineReflectGet()
	}
	v, err := g.reflectGet(goja.Undefined(), target, sym, receiver)
	if err != nil {
		panic(g.r.jsValueOf(err))
	}
	return v
}

// construct announces the allocation of `new target(...args)`, then
// constructs it. Every size it announces is the one the construction then
// uses: the constructor never reads a value the action controls after the
// check (a length getter, a valueOf, an iterator getter that changes what
// it returns), since it gets numbers and genuine buffers only.
func (g *bufferGuard) construct(target *goja.Object, args []goja.Value, newTarget *goja.Object) *goja.Object {
	c := g.ctor(target)
	construct, ok := goja.AssertConstructor(target)
	if !ok {
		panic(g.r.vm.NewTypeError("not a constructor"))
	}
	var n float64 // elements allocated
	if len(args) > 0 {
		switch a := args[0].(type) {
		case *goja.Object:
			if c.buffer {
				// ToIndex(length): the object's valueOf runs once, here.
				num := a.ToNumber()
				args = append([]goja.Value{num}, args[1:]...)
				n = num.ToFloat()
				break
			}
			switch kind, length := bufferKind(a); kind {
			case genuineBuffer:
				// A view of memory that exists.
			case typedArray:
				n = float64(length) // its own length, not a getter's
			default:
				return g.constructFrom(c, construct, newTarget, a)
			}
		case *goja.Symbol:
		default:
			if !goja.IsBigInt(a) {
				n = a.ToFloat() // a primitive: no action code runs
			}
		}
	}
	g.allow(n * c.size)
	obj, err := construct(newTarget, args...)
	if err != nil {
		panic(g.r.jsValueOf(err))
	}
	return obj
}

// allow throws the constructor's RangeError, after ending the run (see
// announce), unless the run may allocate bytes.
func (g *bufferGuard) allow(bytes float64) {
	if g.r.announce(bytes) {
		return
	}
	vm := g.r.vm
	e, err := vm.New(vm.Get("RangeError"), vm.ToValue("Array buffer allocation failed"))
	if err != nil {
		panic(g.r.jsValueOf(err))
	}
	panic(e)
}

// Kinds of a typed-array constructor's object argument.
const (
	otherObject = iota
	genuineBuffer
	typedArray
)

// bufferKind tells a genuine ArrayBuffer and a genuine typed array (with
// its length) from every other object: by the object's own type, which
// neither a prototype nor a proxy can fake.
func bufferKind(o *goja.Object) (kind, length int) {
	t := o.ExportType()
	switch {
	case t == reflect.TypeOf(goja.ArrayBuffer{}):
		return genuineBuffer, 0
	case t != nil && t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Interface:
		return typedArray, reflect.ValueOf(o.Export()).Len()
	}
	return otherObject, 0
}

// valueBytes bounds the memory one collected iterator value takes.
const valueBytes = 16

// iterableValues collects src's values if src is iterable (its
// @@iterator read once), as the specification's IteratorToList does: a
// genuine array iterated the built-in way is read directly
// (arrayValues), any other iterator a value at a time (iteratorValues);
// both announce the list as it grows. iterable is false, and values nil,
// for an array-like.
func (g *bufferGuard) iterableValues(src *goja.Object) (values []goja.Value, iterable bool) {
	vm := g.r.vm
	usingIter := iteratorMethod(src)
	if usingIter == nil {
		return nil, false
	}
	method, ok := goja.AssertFunction(usingIter)
	if !ok {
		panic(vm.NewTypeError("object is not iterable"))
	}
	iter, ok := g.r.callOrThrow(method, src, nil).(*goja.Object)
	if !ok {
		panic(vm.NewTypeError("iterator is not an object"))
	}
	nextVal := iter.Get("next")
	next, ok := goja.AssertFunction(nextVal)
	if !ok {
		panic(vm.NewTypeError("iterator.next is not a function"))
	}
	if builtinIteration(src, usingIter, nextVal) {
		return g.arrayValues(src), true
	}
	return g.iteratorValues(iter, next), true
}

// iteratorMethod is src's @@iterator (read once), or nil when src has
// none (undefined or null): an array-like, not an iterable.
func iteratorMethod(src *goja.Object) goja.Value {
	it := src.GetSymbol(goja.SymIterator)
	if it == nil || goja.IsUndefined(it) || goja.IsNull(it) {
		return nil
	}
	return it
}

// constructFrom is `new C(src)` for an object src other than a buffer or a
// typed array, done as the specification does it (TypedArray ( ...args ),
// InitializeTypedArrayFromList / FromArrayLike): src's @@iterator once;
// then either the iterator's values, or ToLength(src.length) and each
// index; then C(length) and the elements set one by one. The constructor
// itself only sees the length, announced first.
//
// A genuine array iterated the built-in way (the seed action's toSign, an
// array of 32 numbers) has its values read directly (arrayValues), without
// a call and a result object per element; Number values are stored
// directly in the new array's elements. Both give what the specification's
// steps give, in a quarter of the time (BenchmarkBytesOf).
func (g *bufferGuard) constructFrom(c *guardedCtor, construct goja.Constructor, newTarget *goja.Object, src *goja.Object) *goja.Object {
	vm := g.r.vm
	values, iterable := g.iterableValues(src)
	length := int64(len(values))
	if !iterable {
		length = toLength(src.Get("length"))
	}
	g.allow(float64(length) * c.size)
	obj, err := construct(newTarget, vm.ToValue(length))
	if err != nil {
		panic(g.r.jsValueOf(err))
	}
	var dst any // obj's elements, to store Numbers without a conversion that could run code
	if c.write != nil && length > 0 {
		dst = obj.Export()
	}
	for k := int64(0); k < length; k++ {
		var v goja.Value
		if values != nil {
			v = values[k]
		} else if v = src.Get(strconv.FormatInt(k, 10)); v == nil {
			v = goja.Undefined()
		}
		// A fresh typed array's length is fixed (goja lets no action
		// detach or resize its buffer, and none holds it yet), so dst
		// stays its elements while a valueOf below runs.
		if f, ok := numberValue(v); ok && dst != nil && c.write(dst, int(k), f) {
			continue
		}
		if err := obj.Set(strconv.FormatInt(k, 10), v); err != nil {
			panic(g.r.jsValueOf(err))
		}
	}
	return obj
}

// iteratorValues collects what iter yields, calling next until a result
// is done (the specification's IteratorToList).
func (g *bufferGuard) iteratorValues(iter *goja.Object, next goja.Callable) []goja.Value {
	var values []goja.Value
	for {
		res, ok := g.r.callOrThrow(next, iter, nil).(*goja.Object)
		if !ok {
			panic(g.r.vm.NewTypeError("iterator result is not an object"))
		}
		if res.Get("done").ToBoolean() {
			return values
		}
		values = append(values, res.Get("value"))
		// A native iterator runs no JavaScript the watchdog could
		// stop: the list itself is announced as it grows.
		if len(values)%1024 == 0 {
			g.allow(float64(len(values)) * valueBytes)
		}
	}
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
