package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

// Executor runs Lit Actions with a session; *lit.Client satisfies it.
type Executor interface {
	ExecuteJS(ctx context.Context, s *lit.Session, req lit.ExecuteJSRequest) (*lit.ExecuteJSResult, error)
	NodeStatus() []lit.NodeStatus
}

// ExecuteJsParams are lit_executeJs's parameters: exactly one of Code and
// IPFSID, and the action's jsParams.
type ExecuteJsParams struct {
	Code     string         `json:"code,omitempty"`
	IPFSID   string         `json:"ipfsId,omitempty"`
	JSParams map[string]any `json:"jsParams,omitempty"`
}

// StartSessionParams are lit_startSession's optional parameters.
type StartSessionParams struct {
	// TTL is the session lifetime as a Go duration ("1h"); default the
	// configured TTL.
	TTL string `json:"ttl,omitempty"`
}

// PKPInfo is a PKP the network knows (reported in --dev mode).
type PKPInfo struct {
	PublicKey  string `json:"publicKey"`
	EthAddress string `json:"ethAddress"`
	TokenID    string `json:"tokenId,omitempty"`
}

// NodeInfo is one node's health in lit_networkStatus.
type NodeInfo struct {
	URL string `json:"url"`
	// State is "unknown" (not contacted yet), "up" or "down".
	State string `json:"state"`
	// Up is State == "up"; it is absent while State is "unknown".
	Up            *bool   `json:"up,omitempty"`
	LastLatencyMs float64 `json:"lastLatencyMs"`
	// ExecLatencyMs is the node's smoothed lit_executeJs latency (Naga).
	ExecLatencyMs float64    `json:"execLatencyMs,omitempty"`
	LastError     string     `json:"lastError,omitempty"`
	LastSeen      *time.Time `json:"lastSeen,omitempty"`
	// Price is the node's price for a Lit Action in wei, decimal (Naga).
	Price string `json:"price,omitempty"`
	// Slow is set when the node missed a re-issue deadline (Naga): it is
	// chosen last for a while.
	Slow bool `json:"slow,omitempty"`
	// BadShares counts the node's recent node sets whose shares did not
	// combine (Naga).
	BadShares int `json:"badShares,omitempty"`
	// Attestation is the node's last attestation check, on networks that
	// verify them: "verified" or "refused: <reason>" (the node is then
	// down and left out of calls).
	Attestation string `json:"attestation,omitempty"`
}

// PaymentInfo is what the daemon knows of the account's Naga payment
// balance (the deposit in the network's Ledger contract), read at most
// every 10 seconds.
type PaymentInfo struct {
	// Account is the session's wallet address, which pays ("" without a
	// session).
	Account string `json:"account,omitempty"`
	// Balance is Ledger.balance(account) in wei, decimal (it may be
	// negative); null when unknown (no session, or the read failed).
	Balance *string `json:"balance"`
	// StableBalance is Ledger.stableBalance(account) in wei, decimal: the
	// part not being withdrawn, which must cover a call's price; null when
	// unknown.
	StableBalance *string `json:"stableBalance"`
	// CheckedAt is when the balance was read (or the read failed).
	CheckedAt *time.Time `json:"checkedAt,omitempty"`
	// Error is why reading the balance from the chain failed.
	Error string `json:"error,omitempty"`
	// Note says why the balance is unknown, or what to do about it.
	Note string `json:"note,omitempty"`
	// MaxPrice is the most one call may cost, in wei, decimal.
	MaxPrice string `json:"maxPrice"`
}

// NetworkStatus is lit_networkStatus's result.
type NetworkStatus struct {
	Name string `json:"name"`
	// Protocol is "v2" or "naga".
	Protocol string `json:"protocol"`
	// Epoch is the Naga network's epoch (0 for v2, or before the first
	// handshake).
	Epoch     uint64 `json:"epoch"`
	Threshold int    `json:"threshold"`
	// Connected reports a current handshake with the nodes.
	Connected bool `json:"connected"`
	// Reissues counts calls re-sent to another node set (Naga);
	// LastReissue says why the last one was.
	Reissues    int    `json:"reissues"`
	LastReissue string `json:"lastReissue,omitempty"`
	// Chain is the Naga network's chain (absent for v2).
	Chain *ChainStatus `json:"chain,omitempty"`
	// Payment is the Naga account's payment state (absent for v2).
	Payment *PaymentInfo `json:"payment,omitempty"`
	Nodes   []NodeInfo   `json:"nodes"`
	// Dev is true when the daemon runs its own devnet (--dev).
	Dev bool `json:"dev"`
	// PKPs are the devnet's PKPs (--dev only): pass PKPs[0].PublicKey as an
	// action's publicKey.
	PKPs []PKPInfo `json:"pkps,omitempty"`
}

// ChainStatus is the chain a Naga network reads its nodes and prices from.
type ChainStatus struct {
	RPCURL    string `json:"rpcUrl"`
	ChainID   uint64 `json:"chainId"`
	Staking   string `json:"staking"`
	PriceFeed string `json:"priceFeed"`
}

// Signature is one combined and verified PKP signature in lit_executeJs's
// result, shaped like JS SDK 2.2.x's (the same for Naga networks).
type Signature struct {
	R          string `json:"r"`
	S          string `json:"s"`
	RecID      int    `json:"recid"`
	Signature  string `json:"signature"`
	PublicKey  string `json:"publicKey"`
	DataSigned string `json:"dataSigned"`
}

// ExecuteResult is lit_executeJs's result. It is the daemon's own type, so
// that a change in package lit cannot silently change the API.
type ExecuteResult struct {
	Signatures map[string]Signature `json:"signatures"`
	// Response is the most common response; JSON-decoded when it parses.
	Response any    `json:"response"`
	Logs     string `json:"logs"`
}

// executeResult maps lit's result to the API's.
func executeResult(r *lit.ExecuteJSResult) *ExecuteResult {
	out := &ExecuteResult{Signatures: make(map[string]Signature, len(r.Signatures)), Response: r.Response, Logs: r.Logs}
	for name, s := range r.Signatures {
		out.Signatures[name] = Signature{R: s.R, S: s.S, RecID: s.RecID, Signature: s.Signature, PublicKey: s.PublicKey, DataSigned: s.DataSigned}
	}
	return out
}

// Account is one wallet account in wallet_accounts.
type Account struct {
	Device  string `json:"device"`
	Path    string `json:"path"`
	Address string `json:"address"`
}

// LitAPI is the "lit" namespace: lit_executeJs, lit_sessionStatus,
// lit_startSession, lit_revokeSession, lit_networkStatus.
type LitAPI struct {
	sessions *Sessions
	exec     Executor
	audit    *Auditor
	network  func(context.Context) NetworkStatus
}

// ExecuteJs runs a Lit Action with the session, prompting the device for a
// session first when needed. The caller's disconnect cancels the node
// requests.
func (a *LitAPI) ExecuteJs(ctx context.Context, p ExecuteJsParams) (res *ExecuteResult, err error) {
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
func (a *LitAPI) SessionStatus(ctx context.Context) SessionStatus {
	a.audit.Record(ctx, "lit_sessionStatus", time.Now(), nil)
	return a.sessions.Status()
}

// StartSession makes sure a session is live, prompting the device when
// needed, and returns its status.
func (a *LitAPI) StartSession(ctx context.Context, p *StartSessionParams) (st SessionStatus, err error) {
	start := time.Now()
	ctx = ipc.CallContext(ctx)
	defer func() {
		err = RPCError(withCause(ctx, err))
		a.audit.Record(ctx, "lit_startSession", start, err)
	}()
	var ttl time.Duration
	if p != nil && p.TTL != "" {
		if ttl, err = time.ParseDuration(p.TTL); err != nil || ttl < time.Minute {
			return SessionStatus{}, fmt.Errorf("%w: ttl %q: want a duration of at least 1m such as \"1h\"", ErrInvalidParams, p.TTL)
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
func (a *LitAPI) NetworkStatus(ctx context.Context) NetworkStatus {
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
func (w *WalletAPI) Accounts(ctx context.Context) (accts []Account, err error) {
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
	return []Account{{Device: id, Path: w.cfg.Path.String(), Address: addr.Hex()}}, nil
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
