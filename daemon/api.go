package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/workpool"
)

// executor runs Lit Actions with a session; *lit.Client satisfies it.
type executor interface {
	ExecuteJS(ctx context.Context, s *lit.Session, req lit.ExecuteJSRequest) (*lit.ExecuteJSResult, error)
	ValidateExecute(req lit.ExecuteJSRequest, capability lit.Capability) error
	NodeStatus() []lit.NodeStatus
}

// executeResult maps lit's result to the API's.
func executeResult(r *lit.ExecuteJSResult) *rpcapi.ExecuteResult {
	out := &rpcapi.ExecuteResult{Signatures: make(map[string]rpcapi.Signature, len(r.Signatures)), Response: r.Response, Logs: r.Logs}
	for name, s := range r.Signatures {
		out.Signatures[name] = rpcapi.Signature{R: s.R, S: s.S, RecID: s.RecID, Signature: s.Signature, PublicKey: s.PublicKey, DataSigned: s.DataSigned}
	}
	return out
}

// handle runs one API method's body fn and does what every method shares: a
// blocking method (one that may wait on the device or the network) runs
// with ipc.CallContext, so that the caller's disconnect cancels it; fn's
// error becomes the JSON-RPC error the client gets (naming ctx's
// cancellation cause, see withCause); and the call is audited under method
// with attrs. No call runs once the daemon stops (gate); the server's
// shutdown cancels the blocking ones in flight. It returns fn's result and
// the client's error. A blocking method runs on one of callWorkers.
func handle[T any](ctx context.Context, gate *callGate, method string, mayBlock bool, fn func(context.Context) (T, error), attrs ...slog.Attr) (T, error) {
	start := time.Now()
	if err := gate.enter(); err != nil {
		err = rpcError(err)
		gate.audit.Record(ctx, method, start, err, attrs...)
		var zero T
		return zero, err
	}
	var (
		res T
		err error
	)
	run := func(ctx context.Context) {
		res, err = fn(ctx)
		err = rpcError(withCause(ctx, err))
		gate.audit.Record(ctx, method, start, err, attrs...)
	}
	if !mayBlock {
		run(ctx)
		return res, err
	}
	callWorkers.Do(func() {
		ctx, release := ipc.CallContext(ctx)
		defer release()
		run(ctx)
	})
	return res, err
}

// callWorkers run the blocking methods. go-ethereum calls each method on a
// goroutine of its own, whose small first stack the call's depth
// (reflection, the Lit client, the audit record) grew by copying, call
// after call; a kept worker's stack is grown already. A method that
// panics panics in go-ethereum's goroutine as before (workpool.Pool.Do),
// where go-ethereum recovers it.
var callWorkers = workpool.New(5*time.Second, 64)

// Whether a method may wait on the device or the network (handle's mayBlock).
const (
	blocking    = true
	nonBlocking = false
)

// litAPI is the "lit" namespace: lit_executeJs, lit_sessionStatus,
// lit_startSession, lit_revokeSession, lit_networkStatus.
type litAPI struct {
	sessions *sessionManager
	exec     executor
	// capability is the sessions' (SessionOptions.Capability), checked
	// before a session is asked for.
	capability lit.Capability
	gate       *callGate
	network    func(context.Context) rpcapi.NetworkStatus
	idle       *idleMemory // nil: memory is left to the Go runtime
	pin        *pinBroker  // the approvals' prompter, for the pairing state
}

// decodeParam decodes a method's parameter raw (nil when absent) into v,
// described as want in the error. Methods take their parameters as JSON
// and decode them here so that a parameter of the wrong type is refused
// like any other invalid one (data.kind invalid_params, the field named):
// go-ethereum's own argument errors carry no data.
func decodeParam(raw *json.RawMessage, v any, want string) error {
	if raw == nil {
		return nil
	}
	err := json.Unmarshal(*raw, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%w: %s is a JSON %s, want a %s", errInvalidParams, te.Field, te.Value, te.Type.Kind())
	}
	if errors.As(err, &te) {
		return fmt.Errorf("%w: want %s, not a JSON %s", errInvalidParams, want, te.Value)
	}
	return fmt.Errorf("%w: want %s: %v", errInvalidParams, want, err)
}

// ExecuteJs runs a Lit Action with the session, prompting the device for a
// session first when needed and the call can succeed. The caller's
// disconnect cancels the node requests.
func (a *litAPI) ExecuteJs(ctx context.Context, raw *json.RawMessage) (*rpcapi.ExecuteResult, error) {
	if a.idle != nil {
		a.idle.begin()
		defer a.idle.end()
	}
	var p rpcapi.ExecuteJsRawParams
	perr := decodeParam(raw, &p, "an object {code | ipfsId, jsParams?}")
	what := slog.String("codeSha256", codeHash(p.Code))
	if p.IPFSID != "" {
		what = slog.String("ipfsId", p.IPFSID)
	}
	return handle(ctx, a.gate, "lit_executeJs", blocking, func(ctx context.Context) (_ *rpcapi.ExecuteResult, err error) {
		if perr != nil {
			return nil, perr
		}
		if (p.Code == "") == (p.IPFSID == "") {
			return nil, fmt.Errorf("%w: give exactly one of code and ipfsId", errInvalidParams)
		}
		// A call that cannot succeed (bad CID, code too large, jsParams
		// the nodes refuse, an action the session's capability does not
		// grant) is refused before the device is asked for a session.
		req := lit.ExecuteJSRequest{Code: p.Code, IPFSID: p.IPFSID, JSParamsJSON: p.JSParams}
		if err := a.exec.ValidateExecute(req, a.capability); err != nil {
			return nil, err
		}
		lease, err := a.sessions.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer func() { lease.Release(err) }()
		cctx, cancel := lease.Context(ctx)
		defer cancel()
		r, err := a.exec.ExecuteJS(cctx, lease.Session(), req)
		if err != nil {
			return nil, withCause(cctx, err)
		}
		return executeResult(r), nil
	}, what)
}

// withCause adds ctx's cancellation cause (session ended, shutdown, client
// gone) to err when ctx is done, so the error code names the real reason.
func withCause(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w: %w", cause, err)
}

// SessionStatus reports the session state and counters.
func (a *litAPI) SessionStatus(ctx context.Context) rpcapi.SessionStatus {
	st, _ := handle(ctx, a.gate, "lit_sessionStatus", nonBlocking, func(context.Context) (rpcapi.SessionStatus, error) {
		return a.pin.withPairing(a.sessions.Status()), nil
	})
	return st
}

// StartSession makes sure a session is live, prompting the device when
// needed, and returns its status.
func (a *litAPI) StartSession(ctx context.Context, p *rpcapi.StartSessionParams) (rpcapi.SessionStatus, error) {
	return handle(ctx, a.gate, "lit_startSession", blocking, func(ctx context.Context) (rpcapi.SessionStatus, error) {
		var ttl time.Duration
		if p != nil && p.TTL != "" {
			var err error
			if ttl, err = time.ParseDuration(p.TTL); err != nil {
				return rpcapi.SessionStatus{}, fmt.Errorf("%w: ttl %q: want a duration such as \"1h\" (at most %s)", errInvalidParams, p.TTL, a.sessions.cfg.TTL)
			}
			if ttl <= 0 {
				return rpcapi.SessionStatus{}, fmt.Errorf("%w: ttl %q: must be positive", errInvalidParams, p.TTL)
			}
		}
		return a.sessions.Start(ctx, ttl)
	})
}

// RevokeSession ends the session and wipes its key. It reports whether a
// session (or a pending approval) existed.
func (a *litAPI) RevokeSession(ctx context.Context) bool {
	// The audit record says whether there was a session, so the revocation
	// happens before handle, which only records it.
	did := a.sessions.Revoke()
	handle(ctx, a.gate, "lit_revokeSession", nonBlocking, func(context.Context) (struct{}, error) { return struct{}{}, nil }, slog.Bool("revoked", did))
	return did
}

// NetworkStatus reports the nodes, the threshold and (in --dev) the PKPs.
func (a *litAPI) NetworkStatus(ctx context.Context) rpcapi.NetworkStatus {
	st, _ := handle(ctx, a.gate, "lit_networkStatus", nonBlocking, func(ctx context.Context) (rpcapi.NetworkStatus, error) {
		return a.network(ctx), nil
	})
	return st
}

// walletAPI is the "wallet" namespace: wallet_devices, wallet_accounts,
// wallet_unlock, wallet_pair.
type walletAPI struct {
	wallets WalletOpener
	pin     *pinBroker
	cfg     sessionConfig
	gate    *callGate
}

// Devices lists the hardware wallets found.
func (w *walletAPI) Devices(ctx context.Context) ([]hwwallet.DeviceInfo, error) {
	return handle(ctx, w.gate, "wallet_devices", blocking, func(ctx context.Context) ([]hwwallet.DeviceInfo, error) {
		devs, err := w.wallets.Devices(ctx)
		if devs == nil {
			devs = []hwwallet.DeviceInfo{}
		}
		return devs, err
	})
}

// Accounts returns the configured account on the configured (or first)
// device. It opens the device, so it may ask for a PIN.
func (w *walletAPI) Accounts(ctx context.Context) ([]rpcapi.Account, error) {
	return handle(ctx, w.gate, "wallet_accounts", blocking, func(ctx context.Context) ([]rpcapi.Account, error) {
		ctx, cancel := context.WithTimeout(ctx, w.cfg.ApprovalTimeout)
		defer cancel()
		id, err := pickDevice(ctx, w.wallets, w.cfg.Device)
		if err != nil {
			return nil, fmt.Errorf("wallet: %w", err)
		}
		wal, err := w.wallets.Open(ctx, id, w.pin)
		if err != nil {
			return nil, fmt.Errorf("wallet: open %s: %w", id, err)
		}
		defer wal.Close()
		addr, err := wal.Address(ctx, w.cfg.Path)
		if err != nil {
			return nil, fmt.Errorf("wallet: account %s: %w", w.cfg.Path, err)
		}
		return []rpcapi.Account{{Device: id, Path: w.cfg.Path.String(), Address: addr.Hex()}}, nil
	})
}

// Pair answers a pending Trezor Safe 7 pairing with the 6-digit code the
// device shows, and returns once the device accepted or refused it.
func (w *walletAPI) Pair(ctx context.Context, raw *json.RawMessage) error {
	_, err := handle(ctx, w.gate, "wallet_pair", blocking, func(ctx context.Context) (struct{}, error) {
		var code string
		if err := decodeParam(raw, &code, `the code as a string ("123456")`); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, w.pin.Pair(ctx, code)
	})
	return err
}

// Unlock answers a pending Trezor One PIN request with matrix positions.
func (w *walletAPI) Unlock(ctx context.Context, raw *json.RawMessage) error {
	_, err := handle(ctx, w.gate, "wallet_unlock", nonBlocking, func(context.Context) (struct{}, error) {
		var positions string
		if err := decodeParam(raw, &positions, `the positions as a string ("1937")`); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, w.pin.Unlock(positions)
	})
	return err
}
