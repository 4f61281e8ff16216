package action

import (
	"fmt"
	"sort"
	"time"

	"github.com/dop251/goja"
)

// maxTimers bounds the pending setTimeout/setInterval callbacks of a run.
const maxTimers = 10000

// timer is one pending setTimeout or setInterval callback.
type timer struct {
	id       int64
	due      time.Time
	interval time.Duration // > 0 for setInterval
	fn       goja.Callable
	args     []goja.Value
}

// installTimers defines setTimeout, setInterval, clearTimeout and
// clearInterval, as Deno (the real nodes' runtime) provides them; the
// callbacks run from the event loop in runTimers. fetch is not available
// on the devnet and says so.
func (r *run) installTimers() error {
	add := func(call goja.FunctionCall, repeat bool) goja.Value {
		fn, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(r.vm.NewTypeError("the callback must be a function"))
		}
		if len(r.timers) >= maxTimers {
			panic(r.jsError(fmt.Errorf("too many pending timers (limit %d)", maxTimers)))
		}
		ms := call.Argument(1).ToFloat()
		if !(ms >= 1) { // NaN, negative, below 1 ms
			ms = 0
		}
		d := time.Duration(min(ms, float64(24*time.Hour/time.Millisecond))) * time.Millisecond
		r.nextTimer++
		t := &timer{id: r.nextTimer, due: time.Now().Add(d), fn: fn}
		if len(call.Arguments) > 2 {
			t.args = append([]goja.Value(nil), call.Arguments[2:]...)
		}
		if repeat {
			t.interval = max(d, time.Millisecond)
		}
		r.timers = append(r.timers, t)
		return r.vm.ToValue(t.id)
	}
	clear := func(call goja.FunctionCall) goja.Value {
		id := call.Argument(0).ToInteger()
		for i, t := range r.timers {
			if t.id == id {
				r.timers = append(r.timers[:i], r.timers[i+1:]...)
				break
			}
		}
		return goja.Undefined()
	}
	defs := []struct {
		name string
		fn   func(goja.FunctionCall) goja.Value
	}{
		{"setTimeout", func(c goja.FunctionCall) goja.Value { return add(c, false) }},
		{"setInterval", func(c goja.FunctionCall) goja.Value { return add(c, true) }},
		{"clearTimeout", clear},
		{"clearInterval", clear},
		{"fetch", func(goja.FunctionCall) goja.Value {
			panic(r.jsError(fmt.Errorf("fetch is %w (the devnet has no network access)", ErrNotSupported)))
		}},
	}
	for _, d := range defs {
		if err := r.vm.Set(d.name, d.fn); err != nil {
			return err
		}
	}
	return nil
}

// runTimers is the event loop: it runs due timer callbacks (each followed
// by its promise jobs) until none is pending, an exception escapes, a
// promise rejection stays unhandled, or the run's context ends.
func (r *run) runTimers() error {
	for len(r.timers) > 0 {
		if len(r.rejected) > 0 {
			return nil // reported by the caller
		}
		sort.SliceStable(r.timers, func(i, j int) bool {
			if !r.timers[i].due.Equal(r.timers[j].due) {
				return r.timers[i].due.Before(r.timers[j].due)
			}
			return r.timers[i].id < r.timers[j].id
		})
		t := r.timers[0]
		if wait := time.Until(t.due); wait > 0 {
			sleep := time.NewTimer(wait)
			r.meter.leave() // asleep: allocates nothing
			select {
			case <-r.ctx.Done():
				sleep.Stop()
				r.meter.enter()
				return ctxErr(r.ctx)
			case <-sleep.C:
			}
			r.meter.enter()
		}
		if r.ctx.Err() != nil {
			return ctxErr(r.ctx)
		}
		if t.interval > 0 {
			t.due = time.Now().Add(t.interval)
		} else {
			r.timers = r.timers[1:]
		}
		if _, err := t.fn(goja.Undefined(), t.args...); err != nil {
			return r.toError(err, false)
		}
	}
	return nil
}
