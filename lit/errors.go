package lit

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/litsigner/litsigner/lit/attest"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrInvalidParams reports a request or option that fails validation
	// before anything is sent to a node.
	ErrInvalidParams = errors.New("invalid params")
	// ErrBelowThreshold is wrapped by *ThresholdError: fewer than the
	// threshold of nodes gave a usable answer.
	ErrBelowThreshold = errors.New("below threshold")
	// ErrBadShares reports signature shares that do not combine into a
	// signature that verifies against the PKP public key (see *ShareError).
	ErrBadShares = errors.New("bad signature shares")
	// ErrTimeout reports that a call ran out of time. Errors wrapping it also
	// match context.DeadlineExceeded.
	ErrTimeout = timeoutError{}
	// ErrSessionWiped reports use of a wiped session or session key.
	ErrSessionWiped = errors.New("session key wiped")
	// ErrSessionExpired reports use of a session past its SIWE expiration.
	ErrSessionExpired = errors.New("session expired")
	// ErrSignerMismatch reports a wallet signature that does not recover to
	// the signer's address.
	ErrSignerMismatch = errors.New("wallet signature does not recover to the signer address")
	// ErrBadReply reports a node reply that cannot be parsed.
	ErrBadReply = errors.New("malformed node reply")
	// ErrPriceTooHigh reports that the nodes' prices exceed the call's
	// maxPrice (see *PaymentError).
	ErrPriceTooHigh = errors.New("node price above maxPrice")
	// ErrNoPaymentBalance reports that a node found no balance or payment
	// delegation for the account (see *PaymentError).
	ErrNoPaymentBalance = errors.New("no payment balance or delegation")
	// ErrAttestation reports a handshake that got fewer attested nodes than
	// it needs, because some nodes failed attestation. The error also
	// matches ErrBelowThreshold, and errors.As finds the most common
	// node's *attest.Error (its Reason says why) through it.
	ErrAttestation = errors.New("too few nodes passed attestation")
)

// timeoutError is ErrTimeout: it is also context.DeadlineExceeded, so code
// that only knows the standard library can still recognise it.
type timeoutError struct{}

func (timeoutError) Error() string   { return "timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
func (timeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded
}

// NodeReason is why one node did not give a usable answer.
type NodeReason struct {
	Node string
	Err  error
}

// ThresholdError reports that fewer than Needed nodes answered usefully.
// It matches ErrBelowThreshold, and errors.As finds the most common node
// error (e.g. a *NodeError) through it.
type ThresholdError struct {
	Op      string
	Needed  int
	Got     int
	Reasons []NodeReason
}

// Error lists the count and each failing node's reason.
func (e *ThresholdError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of %d needed nodes answered", e.Op, e.Got, e.Needed)
	rs := append([]NodeReason(nil), e.Reasons...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Node < rs[j].Node })
	for i, r := range rs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %v", r.Node, r.Err)
	}
	return b.String()
}

// Unwrap exposes ErrBelowThreshold and the most common node error.
func (e *ThresholdError) Unwrap() []error {
	errs := []error{ErrBelowThreshold}
	if c := e.commonReason(); c != nil {
		errs = append(errs, c)
	}
	return errs
}

// commonReason is the error of the most frequent kind of reason; nodes
// that simply had not answered count only when nothing else is known.
func (e *ThresholdError) commonReason() error {
	counts := map[string]int{}
	first := map[string]error{}
	best, bestN := "", 0
	for _, r := range e.Reasons {
		if r.Err == nil || errors.Is(r.Err, errNoReply) {
			continue
		}
		k := reasonClass(r.Err)
		counts[k]++
		if _, ok := first[k]; !ok {
			first[k] = r.Err
		}
		if counts[k] > bestN || (counts[k] == bestN && k < best) {
			best, bestN = k, counts[k]
		}
	}
	if bestN == 0 {
		for _, r := range e.Reasons {
			if r.Err != nil {
				return r.Err
			}
		}
		return nil
	}
	return first[best]
}

// reasonClass groups node errors that mean the same thing (their texts
// differ by node URL).
func reasonClass(err error) string {
	var ne *NodeError
	var ae *ActionError
	var te *attest.Error
	switch {
	case errors.As(err, &te):
		return "attestation\x00" + te.Reason.Error()
	case errors.As(err, &ae):
		return "action\x00" + ae.Code + "\x00" + ae.Message
	case errors.As(err, &ne):
		return fmt.Sprintf("node\x00%d\x00%s\x00%s\x00%s", ne.Status, ne.Kind, ne.Code, ne.Message)
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrBadReply):
		return "bad reply"
	case errors.Is(err, ErrInconsistent):
		return "inconsistent"
	}
	return "other\x00" + err.Error()
}

// NodeError is a structured error reply from a node (non-2xx with a JSON
// body, or success:false), parsed tolerantly.
type NodeError struct {
	Status  int
	Kind    string
	Code    string
	Message string
	Details []string
}

// Error formats the node's kind, code and message.
func (e *NodeError) Error() string {
	var parts []string
	if e.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.Kind != "" || e.Code != "" {
		parts = append(parts, strings.Trim(e.Kind+"/"+e.Code, "/"))
	}
	msg := e.Message
	if msg == "" && len(e.Details) > 0 {
		msg = strings.Join(e.Details, "; ")
	}
	if msg != "" {
		parts = append(parts, msg)
	}
	if len(parts) == 0 {
		return "node error"
	}
	return "node error: " + strings.Join(parts, ": ")
}

// ActionError is a Lit Action failure reported by nodes (the action threw,
// timed out, or called an API wrongly). Its message leads with the
// action's own message; Nodes and Reasons keep the per-node detail.
type ActionError struct {
	// Node is one reporting node.
	Node string
	// Code is the node's error code (e.g. NodeJsExecutionError).
	Code string
	// Message is the action's error as the nodes report it.
	Message string
	// Nodes are all nodes that reported this error, sorted.
	Nodes []string
	// Reasons are the other nodes' failures of the same call, if any.
	Reasons []NodeReason
}

// Error is "Lit Action failed: <the action's message>".
func (e *ActionError) Error() string {
	if e.Message == "" {
		return "Lit Action failed (" + e.Code + ")"
	}
	return "Lit Action failed: " + e.Message
}

// ShareError reports why the shares for one sigName could not be combined.
// It matches ErrBadShares.
type ShareError struct {
	SigName string
	Reason  string
}

// Error names the signature and the reason.
func (e *ShareError) Error() string {
	return fmt.Sprintf("signature %q: %s", e.SigName, e.Reason)
}

// Unwrap returns ErrBadShares.
func (e *ShareError) Unwrap() error { return ErrBadShares }

// SessionSigError is a refused session signature (see VerifySessionSig).
// Reason is one of the Reason* constants; errors.Is matches the
// corresponding sentinel.
type SessionSigError struct {
	Reason error
	Detail string
}

// Error states the reason and its detail.
func (e *SessionSigError) Error() string {
	if e.Detail == "" {
		return "lit: session signature: " + e.Reason.Error()
	}
	return "lit: session signature: " + e.Reason.Error() + ": " + e.Detail
}

// Unwrap returns the reason sentinel.
func (e *SessionSigError) Unwrap() error { return e.Reason }

// Reasons a node refuses a session signature; match them with errors.Is.
var (
	ErrSessionSigMalformed  = errors.New("malformed session signature")
	ErrSessionSigBadSig     = errors.New("ed25519 signature does not verify")
	ErrSessionSigWrongNode  = errors.New("nodeAddress is not this node")
	ErrSessionSigExpired    = errors.New("session signature expired")
	ErrSessionSigNotYet     = errors.New("session signature not yet valid")
	ErrSessionSigBadSIWE    = errors.New("SIWE capability invalid")
	ErrSessionSigSIWESig    = errors.New("SIWE signature does not recover to its address")
	ErrSessionSigSIWEExpiry = errors.New("SIWE capability expired")
	ErrSessionSigURI        = errors.New("SIWE uri is not this session key")
	ErrSessionSigNotGranted = errors.New("capability does not grant the requested resource")
)
