package action

import (
	"strconv"

	"github.com/dop251/goja"
)

// loopCheckEvery is how many element accesses a watched loop makes
// between two checks of the run's state.
const loopCheckEvery = 1024

// watchLoops makes the run's loopWatch: a counting proxy's traps, through
// which a native loop over an array-like (Array.from's) reads its
// elements, ending once the run is stopped.
//
// Array.prototype's own loops (indexOf, join, reverse, forEach... on
// {length: 2 ** 53 - 1}) are not replaced: replacing the thirty of them in
// every run made a run of the seed action 50 % slower (about 100 µs more,
// 1 ms more devnet CPU a v2 call). A run stuck in one is abandoned at its
// time limit, and the devnet child, stuck past stuckGrace, exits and is
// restarted (see SetStuckHandler).
func (r *run) watchLoops() {
	w := &loopWatch{r: r}
	r.loops = w
	// Array.from reads an array-like's elements with get only.
	w.traps = &goja.ProxyTrapConfig{
		Get: func(t *goja.Object, k string, _ goja.Value) goja.Value {
			w.step()
			return orUndefined(t.Get(k))
		},
		GetIdx: func(t *goja.Object, i int, _ goja.Value) goja.Value {
			w.step()
			return orUndefined(t.Get(strconv.Itoa(i)))
		},
	}
}

// loopWatch is the handler of the counting proxies (watchLoops).
type loopWatch struct {
	r     *run
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

// orUndefined is v, or undefined for a missing property (nil): a proxy's
// get trap answers a value.
func orUndefined(v goja.Value) goja.Value {
	if v == nil {
		return goja.Undefined()
	}
	return v
}
