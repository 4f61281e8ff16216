package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

// executor runs Lit Actions with a session; *lit.Client satisfies it.
type executor interface {
	ExecuteJS(ctx context.Context, s *lit.Session, req lit.ExecuteJSRequest) (*lit.ExecuteJSResult, error)
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
// with attrs. A blocking call is also cancelled when the daemon stops, and
// no call runs once it has (gate). It returns fn's result and the client's
// error.
func handle[T any](ctx context.Context, gate *callGate, method string, mayBlock bool, fn func(context.Context) (T, error), attrs ...slog.Attr) (T, error) {
	start := time.Now()
	if err := gate.enter(); err != nil {
		err = rpcError(err)
		gate.audit.Record(ctx, method, start, err, attrs...)
		var zero T
		return zero, err
	}
	defer gate.leave()
	if mayBlock {
		var cancel context.CancelFunc
		ctx, cancel = gate.withStop(ipc.CallContext(ctx))
		defer cancel()
	}
	res, err := fn(ctx)
	err = rpcError(withCause(ctx, err))
	gate.audit.Record(ctx, method, start, err, attrs...)
	return res, err
}

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
	gate     *callGate
	network  func(context.Context) rpcapi.NetworkStatus
	idle     *idleMemory // nil: memory is left to the Go runtime
}

// ExecuteJs runs a Lit Action with the session, prompting the device for a
// session first when needed. The caller's disconnect cancels the node
// requests.
func (a *litAPI) ExecuteJs(ctx context.Context, p rpcapi.ExecuteJsRawParams) (*rpcapi.ExecuteResult, error) {
	if a.idle != nil {
		a.idle.begin()
		defer a.idle.end()
	}
	what := slog.String("codeSha256", codeHash(p.Code))
	if p.IPFSID != "" {
		what = slog.String("ipfsId", p.IPFSID)
	}
	return handle(ctx, a.gate, "lit_executeJs", blocking, func(ctx context.Context) (_ *rpcapi.ExecuteResult, err error) {
		if (p.Code == "") == (p.IPFSID == "") {
			return nil, fmt.Errorf("%w: give exactly one of code and ipfsId", errInvalidParams)
		}
		// go-ethereum checked that the request is JSON; jsParams must be
		// an object (or null) before the device is asked for anything.
		if _, ok := lit.JSParamsObject(p.JSParams); p.JSParams != nil && !ok {
			return nil, fmt.Errorf("%w: jsParams must be a JSON object", errInvalidParams)
		}
		lease, err := a.sessions.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer func() { lease.Release(err) }()
		cctx, cancel := lease.Context(ctx)
		defer cancel()
		r, err := a.exec.ExecuteJS(cctx, lease.Session(), lit.ExecuteJSRequest{Code: p.Code, IPFSID: p.IPFSID, JSParamsJSON: p.JSParams})
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
		return a.sessions.Status(), nil
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
// device shows.
func (w *walletAPI) Pair(ctx context.Context, code string) error {
	_, err := handle(ctx, w.gate, "wallet_pair", nonBlocking, func(context.Context) (struct{}, error) { return struct{}{}, w.pin.Pair(code) })
	return err
}

// Unlock answers a pending Trezor One PIN request with matrix positions.
func (w *walletAPI) Unlock(ctx context.Context, positions string) error {
	_, err := handle(ctx, w.gate, "wallet_unlock", nonBlocking, func(context.Context) (struct{}, error) { return struct{}{}, w.pin.Unlock(positions) })
	return err
}
