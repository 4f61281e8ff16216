package action

import (
	"slices"

	"github.com/dop251/goja"
)

// lazyObject backs a JavaScript object whose initial properties are
// functions made only when first read. A run defines some forty API
// functions (LitActions, console) and an action calls a few: making each
// goja function costs about ten allocations, which was a fifth of a run.
//
// To the action it looks like the plain object it replaces: its
// properties are writable, enumerable and configurable data properties, in
// their definition order, a function keeps its identity between reads,
// and properties can be replaced, added and deleted. What a goja
// DynamicObject cannot do: hold Symbol properties, accessors or
// non-writable properties, or be made non-extensible (these throw).
type lazyObject struct {
	// names are the current keys in order; vals[i] is names[i]'s value, nil
	// until made. Both start as shared or nil slices and are copied before
	// their first change.
	names []string
	vals  []goja.Value
	owned bool // names is this object's own copy
	// make returns the initial value of names[i] (an initial name).
	make func(name string) goja.Value
}

// newLazyObject returns a JavaScript object with the given initial names
// (not modified), whose values make returns on first read.
func newLazyObject(vm *goja.Runtime, names []string, make func(string) goja.Value) *goja.Object {
	return vm.NewDynamicObject(&lazyObject{names: names, make: make})
}

func (o *lazyObject) index(key string) int {
	return slices.Index(o.names, key)
}

// Get returns key's value, making it on the first read; nil if absent.
func (o *lazyObject) Get(key string) goja.Value {
	i := o.index(key)
	if i < 0 {
		return nil
	}
	if o.vals == nil {
		o.vals = make([]goja.Value, len(o.names))
	}
	if o.vals[i] == nil {
		o.vals[i] = o.make(key)
	}
	return o.vals[i]
}

// own copies the shared names before a change.
func (o *lazyObject) own() {
	if !o.owned {
		o.names = slices.Clone(o.names)
		o.owned = true
	}
	if o.vals == nil {
		o.vals = make([]goja.Value, len(o.names))
	}
}

// Set stores val, adding key at the end if it is new.
func (o *lazyObject) Set(key string, val goja.Value) bool {
	o.own()
	if i := o.index(key); i >= 0 {
		o.vals[i] = val
		return true
	}
	o.names = append(o.names, key)
	o.vals = append(o.vals, val)
	return true
}

// Has reports whether key is a property.
func (o *lazyObject) Has(key string) bool { return o.index(key) >= 0 }

// Delete removes key; deleting a missing key succeeds.
func (o *lazyObject) Delete(key string) bool {
	if i := o.index(key); i >= 0 {
		o.own()
		o.names = slices.Delete(o.names, i, i+1)
		o.vals = slices.Delete(o.vals, i, i+1)
	}
	return true
}

// Keys returns the keys in order.
func (o *lazyObject) Keys() []string { return slices.Clone(o.names) }
