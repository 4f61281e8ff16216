// Package action runs Lit Actions for the devnet: JavaScript executed in a
// goja VM with the v2 node's action API (LitActions / Lit.Actions: signEcdsa,
// ethPersonalSignMessageEcdsa, setResponse, pubkeyToTokenId, the uint8array
// helpers, console). A run never signs anything itself: it records signing
// requests, which the node turns into signature shares once the run is over.
//
// A run is bounded like on a real node: code size, wall-clock time (the VM
// is interrupted), memory (see memory.go), call stack depth, response and
// log sizes, and the number of signatures. A run ends when the script, its
// promise jobs and its pending timers (setTimeout/setInterval) are done:
// a promise that never settles does not keep it alive. There is no network
// (fetch throws "not supported on devnet").
//
// Known limits: memory is measured for the whole process and shared out
// between the runs (goja has no heap limit of its own); and goja cannot
// interrupt one long built-in call, so Run gives up on such a VM one second
// after the deadline and returns ErrTimeout while that goroutine finishes
// the call on its own (memory.go says what that leaves open).
// Real nodes also provide `ethers` and `Lit.Auth` to actions; the devnet
// does not.
package action

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults used for the zero fields of Limits.
const (
	// DefaultTimeout is the wall-clock limit of one run. Real Lit nodes allow
	// 30 s; the devnet is stricter so that tests with runaway code end fast.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxCodeSize is the largest source accepted, in bytes. It equals
	// the largest file CIDv0 accepts, so that every action an ipfsId can name
	// also runs as inline code.
	DefaultMaxCodeSize = MaxCIDv0FileSize
	// DefaultMaxResponseSize is the largest setResponse string, in bytes
	// (real nodes: 100 KB).
	DefaultMaxResponseSize = 100 << 10
	// DefaultMaxLogSize is the most console output a run may print, in
	// bytes (real nodes: 100 KB); a console call past it throws.
	DefaultMaxLogSize = 100 << 10
	// DefaultMaxSignatures is the most signEcdsa/ethPersonalSignMessageEcdsa
	// requests one run may make (real nodes: 5).
	DefaultMaxSignatures = 5
	// DefaultMaxCallStackSize is the deepest JavaScript call stack allowed.
	DefaultMaxCallStackSize = 2000
)

// MaxSigNameSize is the longest sigName a signing request may have, in
// bytes. Nodes echo each sigName in their reply (Naga several times per
// signature), so an unbounded one made replies larger than clients
// accept.
const MaxSigNameSize = 256

// Limits bounds one run. Zero fields take the Default* values.
type Limits struct {
	Timeout          time.Duration
	MaxCodeSize      int
	MaxResponseSize  int
	MaxLogSize       int
	MaxCallStackSize int
	// MaxMemory is the memory one run may use, in bytes (DefaultMaxMemory);
	// all runs together also stay within the process's shared budget
	// (SetMemoryBudget).
	MaxMemory int64
	// MaxSignatures is the number of signing requests one run may make.
	MaxSignatures int
}

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxCodeSize <= 0 {
		l.MaxCodeSize = DefaultMaxCodeSize
	}
	if l.MaxResponseSize <= 0 {
		l.MaxResponseSize = DefaultMaxResponseSize
	}
	if l.MaxLogSize <= 0 {
		l.MaxLogSize = DefaultMaxLogSize
	}
	if l.MaxCallStackSize <= 0 {
		l.MaxCallStackSize = DefaultMaxCallStackSize
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = DefaultMaxMemory
	}
	if l.MaxSignatures <= 0 {
		l.MaxSignatures = DefaultMaxSignatures
	}
	return l
}

// Env is what the node provides to a run. It is called synchronously from
// inside the run, on the caller's goroutine.
type Env interface {
	// SignEcdsa is asked to accept a signing request before it is recorded
	// in Result.SignRequests (for example: is publicKey one of the node's
	// PKPs?). A non-nil error rejects the action's promise with the error's
	// text; the request is then not recorded.
	SignEcdsa(ctx context.Context, req SignRequest) error
}

// SignKind says which LitActions function produced a SignRequest.
type SignKind string

// The SignKind values.
const (
	// KindSignEcdsa: LitActions.signEcdsa; ToSign is the caller's bytes.
	KindSignEcdsa SignKind = "signEcdsa"
	// KindEthPersonalSign: LitActions.ethPersonalSignMessageEcdsa; ToSign
	// is the EIP-191 hash of Message.
	KindEthPersonalSign SignKind = "ethPersonalSignMessageEcdsa"
)

// SignRequest is one signature the action asked for. The node signs ToSign
// read as a big-endian integer (it does not hash it again).
type SignRequest struct {
	Kind      SignKind
	SigName   string
	ToSign    []byte // 1..32 bytes
	PublicKey string // as the action passed it (usually "04..." or "0x04...")
	// Message is the original message of an ethPersonalSignMessageEcdsa
	// call (nil for signEcdsa).
	Message []byte
}

// Result is what a run produced.
type Result struct {
	// Response is the last string given to setResponse ("" if none).
	Response string
	// Logs is the console output: one line per console call.
	Logs string
	// SignRequests are the accepted signing requests in call order. Each
	// SigName appears at most once.
	SignRequests []SignRequest
}

// ErrCodeTooLarge is returned when the source exceeds Limits.MaxCodeSize.
var ErrCodeTooLarge = errors.New("action: code too large")

// ErrTimeout is returned when a run exceeds Limits.Timeout.
var ErrTimeout = errors.New("action: timed out")

// ErrNotSupported is wrapped by the *ThrowError of an action that called a
// LitActions function the devnet does not implement (and did not catch it).
var ErrNotSupported = errors.New("not supported on devnet")

// ErrInvalidParams is returned when jsParams cannot be turned into JavaScript
// values (they must be JSON-encodable).
var ErrInvalidParams = errors.New("action: invalid jsParams")

// ErrInternal is returned if the JavaScript engine failed in an unexpected
// way (a recovered panic). It is a devnet bug, never the action's fault.
var ErrInternal = errors.New("action: internal error")

// ThrowError is an uncaught JavaScript exception: thrown at top level, a
// rejected promise nobody handled, or a syntax error.
type ThrowError struct {
	// Message is the thrown value as JavaScript prints it, e.g.
	// "Error: boom" or "TypeError: x is not a function".
	Message string
	// Stack is the JavaScript stack ("at go (<action>:3:9(12))" lines),
	// possibly empty.
	Stack string
	// InPromise is true when the exception was an unhandled rejection.
	InPromise bool
	// Err is a Go error the exception stands for (ErrNotSupported), or nil.
	Err error
}

// Error formats the exception like Deno does for Lit nodes.
func (e *ThrowError) Error() string {
	if e.InPromise {
		return "action: Uncaught (in promise) " + e.Message
	}
	return "action: Uncaught " + e.Message
}

// Unwrap returns Err.
func (e *ThrowError) Unwrap() error { return e.Err }

func notSupported(name string) error {
	return fmt.Errorf("LitActions.%s is %w", name, ErrNotSupported)
}

// logBuffer collects console output up to a limit.
type logBuffer struct {
	b   strings.Builder
	max int
}

// line appends s and a newline, or returns the error a real node throws
// when the logs would pass the limit (nothing is appended then).
func (l *logBuffer) line(s string) error {
	if l.b.Len()+len(s)+1 > l.max {
		//lint:ignore ST1005 a real node's wording, which actions may match on
		return fmt.Errorf("Console.log is printing something that is too long. Max length for all logs in a single request is %d bytes", l.max)
	}
	l.b.WriteString(s)
	l.b.WriteByte('\n')
	return nil
}

// ctxErr maps a cancelled run context to the error Run returns.
func ctxErr(ctx context.Context) error {
	var mem *MemoryLimitError
	if errors.As(context.Cause(ctx), &mem) {
		return mem
	}
	if errors.Is(context.Cause(ctx), ErrTimeout) {
		return ErrTimeout
	}
	return fmt.Errorf("action: run: %w", context.Cause(ctx))
}
