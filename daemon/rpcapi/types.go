// Package rpcapi is litsignerd's JSON-RPC contract: the parameters and
// results of every method, the error codes with their names and meanings,
// and how the litsigner command maps a code to its exit status. The daemon
// and its clients both import it; it imports nothing of litsigner's, so a
// client does not link the server, and a change inside package lit cannot
// silently change the API.
package rpcapi

import (
	"encoding/json"
	"time"
)

// ExecuteJsParams are lit_executeJs's parameters: exactly one of Code and
// IPFSID, and the action's jsParams.
type ExecuteJsParams struct {
	Code     string         `json:"code,omitempty"`
	IPFSID   string         `json:"ipfsId,omitempty"`
	JSParams map[string]any `json:"jsParams,omitempty"`
}

// ExecuteJsRawParams are ExecuteJsParams as the daemon reads them: the
// same JSON, with jsParams kept as the client sent them (an object, or
// null), to be passed on to the nodes as they are.
type ExecuteJsRawParams struct {
	Code     string          `json:"code,omitempty"`
	IPFSID   string          `json:"ipfsId,omitempty"`
	JSParams json.RawMessage `json:"jsParams,omitempty"`
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

// Account is one wallet account in wallet_accounts.
type Account struct {
	Device  string `json:"device"`
	Path    string `json:"path"`
	Address string `json:"address"`
}

// SessionStatus is the public state of the session (lit_sessionStatus). It
// never contains the session key or any signature.
type SessionStatus struct {
	// State is "none", "approving" (waiting for the device), "pairing"
	// (a Trezor Safe 7 shows a pairing code: see Hint) or "active".
	State string `json:"state"`
	// Hint says what the user must do on the host for the approval to go
	// on (the pairing command), when anything.
	Hint string `json:"hint,omitempty"`
	// Address is the wallet account that authorized the session.
	Address string `json:"address,omitempty"`
	// SessionPublicKey is the ed25519 public key (hex), the SIWE URI's subject.
	SessionPublicKey string `json:"sessionPublicKey,omitempty"`
	// ExpiresAt is when the session ends.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// Resources are the granted Lit resources ("lit-litaction://*").
	Resources []string `json:"resources,omitempty"`
	// Device is the wallet id that approved (or is approving).
	Device string `json:"device,omitempty"`
	// Approvals counts sessions approved on the device since start;
	// ApprovalAttempts counts device prompts (including failed ones).
	Approvals        int `json:"approvals"`
	ApprovalAttempts int `json:"approvalAttempts"`
	// Calls counts lit_executeJs calls since start, CallErrors the failed ones.
	Calls      int `json:"calls"`
	CallErrors int `json:"callErrors"`
}
