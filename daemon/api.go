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

// Executor runs Lit Actions with a session; *lit.Client satisfies it.
type Executor interface {
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

// LitAPI is the "lit" namespace: lit_executeJs, lit_sessionStatus,
// lit_startSession, lit_revokeSession, lit_networkStatus.
type LitAPI struct {
	sessions *Sessions
	exec     Executor
	audit    *Auditor
	network  func(context.Context) rpcapi.NetworkStatus
}

// ExecuteJs runs a Lit Action with the session, prompting the device for a
// session first when needed. The caller's disconnect cancels the node
// requests.
func (a *LitAPI) ExecuteJs(ctx context.Context, p rpcapi.ExecuteJsParams) (res *rpcapi.ExecuteResult, err error) {
	start := time.Now()
	ctx = ipc.CallContext(ctx)
	var what slog.Attr
	if p.IPFSID != "" {
		what = slog.String("ipfsId", p.IPFSID)
	} else {
		what = slog.String("codeSha256", CodeHash(p.Code))
	}
	defer func() {
		err = RPCError(withCause(ctx, err))
		a.audit.Record(ctx, "lit_executeJs", start, err, what)
	}()
	if (p.Code == "") == (p.IPFSID == "") {
		return nil, fmt.Errorf("%w: give exactly one of code and ipfsId", ErrInvalidParams)
	}
	lease, err := a.sessions.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { lease.Release(err) }()
	cctx, cancel := lease.Context(ctx)
	defer cancel()
	r, err := a.exec.ExecuteJS(cctx, lease.Session(), lit.ExecuteJSRequest{Code: p.Code, IPFSID: p.IPFSID, JSParams: p.JSParams})
	if err != nil {
		return nil, withCause(cctx, err)
	}
	return executeResult(r), nil
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
func (a *LitAPI) SessionStatus(ctx context.Context) rpcapi.SessionStatus {
	a.audit.Record(ctx, "lit_sessionStatus", time.Now(), nil)
	return a.sessions.Status()
}

// StartSession makes sure a session is live, prompting the device when
// needed, and returns its status.
func (a *LitAPI) StartSession(ctx context.Context, p *rpcapi.StartSessionParams) (st rpcapi.SessionStatus, err error) {
	start := time.Now()
	ctx = ipc.CallContext(ctx)
	defer func() {
		err = RPCError(withCause(ctx, err))
		a.audit.Record(ctx, "lit_startSession", start, err)
	}()
	var ttl time.Duration
	if p != nil && p.TTL != "" {
		if ttl, err = time.ParseDuration(p.TTL); err != nil || ttl < time.Minute {
			return rpcapi.SessionStatus{}, fmt.Errorf("%w: ttl %q: want a duration of at least 1m such as \"1h\"", ErrInvalidParams, p.TTL)
		}
	}
	return a.sessions.Start(ctx, ttl)
}

// RevokeSession ends the session and wipes its key. It reports whether a
// session (or a pending approval) existed.
func (a *LitAPI) RevokeSession(ctx context.Context) bool {
	did := a.sessions.Revoke()
	a.audit.Record(ctx, "lit_revokeSession", time.Now(), nil, slog.Bool("revoked", did))
	return did
}

// NetworkStatus reports the nodes, the threshold and (in --dev) the PKPs.
func (a *LitAPI) NetworkStatus(ctx context.Context) rpcapi.NetworkStatus {
	a.audit.Record(ctx, "lit_networkStatus", time.Now(), nil)
	return a.network(ctx)
}

// WalletAPI is the "wallet" namespace: wallet_devices, wallet_accounts,
// wallet_unlock, wallet_pair.
type WalletAPI struct {
	wallets WalletOpener
	pin     *PINBroker
	cfg     SessionConfig
	audit   *Auditor
}

// Devices lists the hardware wallets found.
func (w *WalletAPI) Devices(ctx context.Context) (devs []hwwallet.DeviceInfo, err error) {
	start := time.Now()
	ctx = ipc.CallContext(ctx)
	defer func() {
		err = RPCError(err)
		w.audit.Record(ctx, "wallet_devices", start, err)
	}()
	devs, err = w.wallets.Devices(ctx)
	if devs == nil {
		devs = []hwwallet.DeviceInfo{}
	}
	return devs, err
}

// Accounts returns the configured account on the configured (or first)
// device. It opens the device, so it may ask for a PIN.
func (w *WalletAPI) Accounts(ctx context.Context) (accts []rpcapi.Account, err error) {
	start := time.Now()
	ctx = ipc.CallContext(ctx)
	defer func() {
		err = RPCError(err)
		w.audit.Record(ctx, "wallet_accounts", start, err)
	}()
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
}

// Pair answers a pending Trezor Safe 7 pairing with the 6-digit code the
// device shows.
func (w *WalletAPI) Pair(ctx context.Context, code string) (err error) {
	start := time.Now()
	defer func() {
		err = RPCError(err)
		w.audit.Record(ctx, "wallet_pair", start, err)
	}()
	return w.pin.Pair(code)
}

// Unlock answers a pending Trezor One PIN request with matrix positions.
func (w *WalletAPI) Unlock(ctx context.Context, positions string) (err error) {
	start := time.Now()
	defer func() {
		err = RPCError(err)
		w.audit.Record(ctx, "wallet_unlock", start, err)
	}()
	return w.pin.Unlock(positions)
}
