package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"

	"github.com/litsigner/litsigner/lit/workpool"
)

// scriptName is the file name the action's frames carry in stack traces.
const scriptName = "<action>"

// Run executes one Lit Action. params become global variables (they must be
// JSON-encodable; they reach the action as JSON values, like on a real node);
// env may be nil, in which case every well-formed signing request is
// recorded.
//
// The returned Result is never nil: on error it holds what the action did
// before failing (logs especially). The error is nil, ErrCodeTooLarge,
// ErrInvalidParams, ErrTimeout, a *MemoryLimitError, a *ThrowError
// (possibly wrapping ErrNotSupported), an error wrapping ctx's cause, or
// ErrInternal.
func Run(ctx context.Context, src string, params map[string]any, env Env, limits Limits) (*Result, error) {
	paramsJSON, err := json.Marshal(params)
	if err != nil {
		return &Result{}, fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	return RunJSON(ctx, src, paramsJSON, env, limits)
}

// RunJSON is Run with the params as JSON: an object, whose members become
// global variables, or null. Anything else fails with ErrInvalidParams.
func RunJSON(ctx context.Context, src string, paramsJSON []byte, env Env, limits Limits) (*Result, error) {
	limits = limits.withDefaults()
	res := &Result{}
	if len(src) > limits.MaxCodeSize {
		return res, fmt.Errorf("%w: %d bytes, limit %d", ErrCodeTooLarge, len(src), limits.MaxCodeSize)
	}
	if t := bytes.TrimSpace(paramsJSON); (len(t) == 0 || t[0] != '{') && string(t) != "null" {
		return res, fmt.Errorf("%w: not a JSON object or null", ErrInvalidParams)
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("action: run: %w", context.Cause(ctx))
	}

	runCtx, cancel := context.WithTimeoutCause(ctx, limits.Timeout, ErrTimeout)
	defer cancel()
	runCtx, stopForMemory := context.WithCancelCause(runCtx)
	defer stopForMemory(nil)

	r := &run{
		ctx:    runCtx,
		env:    env,
		limits: limits,
		res:    res,
		logs:   logBuffer{max: limits.MaxLogSize},
		goErrs: map[*goja.Object]error{},
	}
	// The VM runs on a goroutine of its own (a worker) so that Run returns
	// on time even when the action sits in one long built-in call
	// (JSON.stringify of a deeply nested object, say), which goja cannot
	// interrupt. Such a goroutine stops at the first JavaScript
	// instruction after that call; it no longer touches res.
	done := make(chan error, 1)
	r.meter = watchdog.register(limits.MaxMemory, func(e *MemoryLimitError) {
		stopForMemory(e)
		// Interrupted here, on the watchdog's goroutine, rather than by
		// the context's AfterFunc, which starts a goroutine that must
		// first be scheduled while the run goes on allocating.
		if vm := r.vmReady.Load(); vm != nil {
			vm.Interrupt(ErrMemoryLimit)
		}
	})
	runWorkers.Run(func() {
		// The account stays open until the VM stops, even after Run gave
		// up on it, so that what it still allocates is charged.
		defer watchdog.unregister(r.meter)
		r.meter.enter()
		defer r.meter.leave()
		done <- r.execSafely(src, paramsJSON)
	})
	select {
	case err := <-done:
		res.Logs = r.logs.b.String()
		if err != nil && runCtx.Err() != nil {
			// Whatever surfaced (an interrupt, or an exception raised by a
			// call cut short), the run ended because of the clock or ctx.
			err = ctxErr(runCtx)
		}
		return res, err
	case <-runCtx.Done():
	}
	select {
	case err := <-done:
		res.Logs = r.logs.b.String()
		if err == nil {
			return res, nil // finished just as the clock ran out
		}
		return res, ctxErr(runCtx)
	case <-time.After(abandonGrace):
		r.abandoned.Store(true)
		// Its account is closed now: a run still stuck must not count as
		// running for the shared budget and stop the next ones (what it
		// still allocates is charged as garbage outside any run).
		watchdog.unregister(r.meter)
		watchStuck(done)
		return &Result{}, fmt.Errorf("%w (stuck in a built-in call; abandoned)", ctxErr(runCtx))
	}
}

// runWorkers run the VMs. goja's interpreter runs deep: on a fresh
// goroutine every run grew its stack (copying it) several times, 3 % of
// the devnet's CPU in a profile. A VM shares nothing with the worker it
// runs on: each run has its own.
var runWorkers = workpool.New(2*time.Second, 32)

// abandonGrace is how long Run waits, after the deadline, for an
// interrupted VM to stop before giving up on it.
var abandonGrace = time.Second

// execSafely runs the action on a fresh VM, turning panics into ErrInternal.
func (r *run) execSafely(src string, paramsJSON []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", ErrInternal, p, debug.Stack())
		}
	}()
	r.vm = goja.New()
	r.vmReady.Store(r.vm)
	r.vm.SetMaxCallStackSize(r.limits.MaxCallStackSize)
	if err := r.installMemoryGuards(); err != nil {
		return fmt.Errorf("%w: install memory guards: %v", ErrInternal, err)
	}
	stop := context.AfterFunc(r.ctx, func() { r.vm.Interrupt(ErrTimeout) })
	defer stop()
	return r.exec(src, paramsJSON)
}

// run is the state of one execution.
type run struct {
	ctx context.Context
	vm  *goja.Runtime
	// vmReady is vm, for the memory watchdog's goroutine, once made.
	vmReady atomic.Pointer[goja.Runtime]
	env     Env
	limits  Limits
	res     *Result
	logs    logBuffer
	meter   *meter
	// signCalls counts signing requests, accepted or not.
	signCalls int
	// abandoned is set when Run gave up waiting; the API then refuses work.
	abandoned atomic.Bool
	// goErrs maps the JavaScript errors the API threw to the Go errors
	// they stand for, so that an uncaught one can be unwrapped.
	goErrs map[*goja.Object]error
	// rejected holds promises rejected with no handler yet, in order.
	rejected []*goja.Promise
	// timers are the pending setTimeout/setInterval callbacks.
	timers    []*timer
	nextTimer int64
	// buffers guards the buffer constructors (installMemoryGuards).
	buffers *bufferGuard
	// loops counts Array.from's reads of an array-like (watchLoops).
	loops *loopWatch
}

func (r *run) exec(src string, paramsJSON []byte) error {
	if err := r.setParams(paramsJSON); err != nil {
		return err
	}
	if err := r.installAPI(); err != nil {
		return fmt.Errorf("%w: install API: %v", ErrInternal, err)
	}
	r.vm.SetPromiseRejectionTracker(r.trackRejection)

	prg, err := compile(src)
	if err != nil {
		return err
	}
	// RunProgram also drains the promise job queue before returning, so
	// every async continuation that can run has run when it returns; then
	// the timer callbacks run, each followed by its jobs.
	if _, err := r.vm.RunProgram(prg); err != nil {
		return r.toError(err, false)
	}
	if len(r.rejected) == 0 {
		if err := r.runTimers(); err != nil {
			return err
		}
	}
	if len(r.rejected) > 0 {
		p := r.rejected[0]
		return r.thrown(p.Result(), nil, true)
	}
	return nil
}

// setParams defines each jsParam as a global, with the values JSON.parse
// would give (plain objects and arrays; see paramsDecoder).
func (r *run) setParams(paramsJSON []byte) error {
	v, err := decodeParams(r.vm, paramsJSON)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	obj, ok := v.(*goja.Object)
	if !ok { // params == nil marshals to null
		return nil
	}
	global := r.vm.GlobalObject()
	// Newer nodes also expose the whole object as jsParams; a param of
	// that name wins.
	if err := global.Set("jsParams", obj); err != nil {
		return fmt.Errorf("%w: set jsParams: %v", ErrInvalidParams, err)
	}
	for _, k := range obj.Keys() {
		if err := global.Set(k, obj.Get(k)); err != nil {
			return fmt.Errorf("%w: set %q: %v", ErrInvalidParams, k, err)
		}
	}
	return nil
}

func (r *run) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	switch op {
	case goja.PromiseRejectionReject:
		r.rejected = append(r.rejected, p)
	case goja.PromiseRejectionHandle:
		for i, q := range r.rejected {
			if q == p {
				r.rejected = append(r.rejected[:i], r.rejected[i+1:]...)
				break
			}
		}
	}
}

// toError converts an error from goja into Run's error.
func (r *run) toError(err error, inPromise bool) error {
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		return ctxErr(r.ctx)
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		var stack strings.Builder
		for _, f := range ex.Stack() {
			stack.WriteString("at ")
			stack.WriteString(frameString(f))
			stack.WriteByte('\n')
		}
		return r.thrown(ex.Value(), &stack, inPromise)
	}
	var se *goja.StackOverflowError
	if errors.As(err, &se) {
		return &ThrowError{Message: "RangeError: Maximum call stack size exceeded"}
	}
	return fmt.Errorf("%w: %v", ErrInternal, err)
}

// thrown builds the ThrowError for an uncaught JavaScript value.
func (r *run) thrown(v goja.Value, stack *strings.Builder, inPromise bool) error {
	te := &ThrowError{InPromise: inPromise, Message: r.describe(v)}
	if stack != nil {
		te.Stack = stack.String()
	}
	if obj, ok := v.(*goja.Object); ok {
		te.Err = r.goErrs[obj]
		if te.Stack == "" {
			te.Stack = r.stackOf(obj)
		}
	}
	return te
}

// stackOf reads obj.stack, which may be a throwing getter, never failing.
func (r *run) stackOf(obj *goja.Object) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	if st := obj.Get("stack"); st != nil && !goja.IsUndefined(st) && !goja.IsNull(st) {
		return st.String()
	}
	return ""
}

// describe renders a thrown value as "Name: message" (String(v) in
// JavaScript), never failing.
func (r *run) describe(v goja.Value) (s string) {
	if v == nil {
		return "undefined"
	}
	defer func() {
		if recover() != nil {
			s = "[exception]"
		}
	}()
	if sym, ok := v.(*goja.Symbol); ok {
		return symbolString(sym)
	}
	if obj, ok := v.(*goja.Object); ok {
		if _, isFn := goja.AssertFunction(obj.Get("toString")); !isFn {
			return "[object]"
		}
	}
	return v.String()
}
