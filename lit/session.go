package lit

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// Session defaults.
const (
	// DefaultStatement is the seed's SIWE statement; the ReCap sentence is
	// appended to it.
	DefaultStatement = "Sign a session key to use with Lit Protocol"
	// DefaultDomain is the SIWE domain when SessionOptions.Domain is empty.
	DefaultDomain = "localhost"
	// DefaultSessionTTL is the SDK's default wallet-signature lifetime.
	DefaultSessionTTL = 24 * time.Hour
)

// SessionOptions configure the SIWE message that authorizes a session key.
type SessionOptions struct {
	// Domain is the SIWE domain (printable ASCII authority); default "localhost".
	Domain string
	// Statement is shown to the user; the ReCap sentence is appended.
	// Printable ASCII only. Default DefaultStatement.
	Statement string
	// ChainID is the SIWE chain id; default 1.
	ChainID int
	// Expiration ends the session; default Now()+24h.
	Expiration time.Time
	// Capability limits which actions the session may run.
	Capability Capability
	// Nonce is the SIWE nonce (default: random). Naga nodes expect the
	// latest blockhash they announced: pass Client.SessionNonce's value.
	Nonce string
	// PaymentDelegations are payment delegation signatures (Naga: a
	// payer's auth sig for resource prefix lit-paymentdelegation) sent
	// ahead of the wallet's signature in every session signature's
	// capabilities, as the SDK's capabilityAuthSigs. v2 ignores them.
	PaymentDelegations []AuthSig
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Session is a session key authorized by a wallet's SIWE signature.
type Session struct {
	key        *SessionKey
	authSig    AuthSig
	address    common.Address
	expiration time.Time
	capability Capability
	resources  []string
	now        func() time.Time
	// delegations go before authSig in Naga capabilities.
	delegations []AuthSig

	mu    sync.RWMutex
	wiped bool

	// sigs are the per-node session signatures made for reuse (see
	// sigcache.go).
	sigs sigCache
}

// withDefaults fills the options NewSession defaults.
func (opts SessionOptions) withDefaults(issued time.Time) SessionOptions {
	if opts.Domain == "" {
		opts.Domain = DefaultDomain
	}
	if opts.Statement == "" {
		opts.Statement = DefaultStatement
	}
	if opts.ChainID == 0 {
		opts.ChainID = 1
	}
	if opts.Expiration.IsZero() {
		opts.Expiration = issued.Add(DefaultSessionTTL)
	}
	return opts
}

// CheckSessionOptions returns the error NewSession would give for opts'
// Domain, Statement, ChainID and Capability, without a key or a wallet: a
// program can refuse a bad configuration before its first approval. It
// builds the SIWE message with a placeholder address, key and nonce.
func CheckSessionOptions(opts SessionOptions) error {
	issued := time.Now()
	opts = opts.withDefaults(issued)
	capab, err := opts.Capability.normalized()
	if err != nil {
		return fmt.Errorf("lit: check session options: %w", err)
	}
	rc := capab.toRecap()
	_, err = buildSIWE(siweFields{
		Domain:     opts.Domain,
		Address:    common.Address{19: 1},
		Statement:  opts.Statement + " " + rc.statement(),
		URI:        SessionURIPrefix + strings.Repeat("00", 32),
		ChainID:    opts.ChainID,
		Nonce:      "checkonly",
		IssuedAt:   issued,
		Expiration: issued.Add(time.Hour),
		Resources:  []string{rc.encode()},
	})
	return err
}

// NewSession builds the SIWE message for key, asks signer to sign it
// (personal_sign), verifies the signature by EIP-191 recovery against
// signer.Address(), and returns the session.
func NewSession(ctx context.Context, key *SessionKey, signer PersonalSigner, opts SessionOptions) (*Session, error) {
	if key == nil || signer == nil {
		return nil, fmt.Errorf("lit: new session: nil key or signer: %w", ErrInvalidParams)
	}
	if key.Wiped() {
		return nil, fmt.Errorf("lit: new session: %w", ErrSessionWiped)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	issued := now()
	opts = opts.withDefaults(issued)
	capab, err := opts.Capability.normalized()
	if err != nil {
		return nil, fmt.Errorf("lit: new session: %w", err)
	}
	rc := capab.toRecap()
	nonce := opts.Nonce
	if nonce == "" {
		if nonce, err = newNonce(); err != nil {
			return nil, err
		}
	} else if len(nonce) < 8 || strings.TrimLeft(nonce, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return nil, fmt.Errorf("lit: new session: nonce %q must be at least 8 letters and digits: %w", clip(nonce), ErrInvalidParams)
	}
	addr := signer.Address()
	text, err := buildSIWE(siweFields{
		Domain:     opts.Domain,
		Address:    addr,
		Statement:  opts.Statement + " " + rc.statement(),
		URI:        SessionURIPrefix + key.PublicKeyHex(),
		ChainID:    opts.ChainID,
		Nonce:      nonce,
		IssuedAt:   issued,
		Expiration: opts.Expiration,
		Resources:  []string{rc.encode()},
	})
	if err != nil {
		return nil, fmt.Errorf("lit: new session: %w", err)
	}
	sig, err := signer.SignPersonalMessage(ctx, []byte(text))
	if err != nil {
		return nil, fmt.Errorf("lit: new session: wallet signature: %w", err)
	}
	got, err := recoverPersonal(text, sig)
	if err != nil {
		return nil, fmt.Errorf("lit: new session: wallet signature: %v: %w", err, ErrSignerMismatch)
	}
	if got != addr {
		return nil, fmt.Errorf("lit: new session: recovered %s, want %s: %w", got.Hex(), addr.Hex(), ErrSignerMismatch)
	}
	norm := append([]byte(nil), sig...)
	if norm[64] < 27 {
		norm[64] += 27
	}
	return &Session{
		key: key,
		authSig: AuthSig{
			Sig:           "0x" + hex.EncodeToString(norm),
			DerivedVia:    WalletSigDerivedVia,
			SignedMessage: text,
			Address:       addr.Hex(),
		},
		address:     addr,
		expiration:  opts.Expiration.Truncate(time.Millisecond),
		capability:  capab,
		resources:   rc.resourceKeys(),
		now:         now,
		delegations: append([]AuthSig(nil), opts.PaymentDelegations...),
	}, nil
}

// SIWEMessage is the text the wallet signed.
func (s *Session) SIWEMessage() string { return s.authSig.SignedMessage }

// Address is the wallet account that authorized the session.
func (s *Session) Address() common.Address { return s.address }

// Expiration is when the wallet's authorization ends.
func (s *Session) Expiration() time.Time { return s.expiration }

// Resources lists the granted Lit resource keys, e.g. "lit-litaction://*".
func (s *Session) Resources() []string { return append([]string(nil), s.resources...) }

// Capability is the normalized capability the session was granted.
func (s *Session) Capability() Capability {
	return Capability{IPFSIDs: append([]string(nil), s.capability.IPFSIDs...)}
}

// PublicKeyHex is the session key's public key (hex, no 0x).
func (s *Session) PublicKeyHex() string { return s.key.PublicKeyHex() }

// AuthSig is the wallet's signature over the SIWE message. It is public
// information but, together with the session key, it authorizes actions.
func (s *Session) AuthSig() AuthSig { return s.authSig }

// Wipe zeroes the session key; the session can no longer sign.
func (s *Session) Wipe() {
	s.mu.Lock()
	s.wiped = true
	s.mu.Unlock()
	s.key.Wipe()
	s.sigs.clear()
}

// Wiped reports whether the session key was wiped.
func (s *Session) Wiped() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.wiped || s.key.Wiped()
}

// Valid reports whether the session can sign at now (not wiped, not expired).
func (s *Session) Valid(now time.Time) bool { return !s.Wiped() && now.Before(s.expiration) }

// requestFor is the resourceAbilityRequest for running id ("*" for inline
// code or a CID), checked against the session's capability.
func (s *Session) requestFor(id string) (ResourceAbilityRequest, error) {
	return s.capability.requestFor(id)
}

// SignForNode returns the session signature for one node: the SDK's
// signing template with nodeAddress = nodeURL, issuedAt = now and
// expiration = now + 5 min (capped at the session's expiration).
func (s *Session) SignForNode(nodeURL string, reqs []ResourceAbilityRequest, now time.Time) (AuthSig, error) {
	sigs, err := s.signForNodes([]string{nodeURL}, reqs, now)
	if err != nil {
		return AuthSig{}, err
	}
	return sigs[0], nil
}

// signForNodes signs the same template for every node URL.
func (s *Session) signForNodes(nodeURLs []string, reqs []ResourceAbilityRequest, now time.Time) ([]AuthSig, error) {
	if err := s.canSignV2(now); err != nil {
		return nil, err
	}
	exp := s.sigExpiration(now)
	p := SessionSigPayload{
		SessionKey:              s.key.PublicKeyHex(),
		ResourceAbilityRequests: reqs,
		Capabilities:            []AuthSig{s.authSig},
		IssuedAt:                nagawire.FormatTime(now),
		Expiration:              nagawire.FormatTime(exp),
	}
	var prefix strings.Builder
	if err := p.encodePrefix(&prefix); err != nil {
		return nil, err
	}
	out := make([]AuthSig, len(nodeURLs))
	var b strings.Builder
	for i, u := range nodeURLs {
		if !validStrings(u) {
			return nil, fmt.Errorf("lit: session signature: node URL not UTF-8: %w", ErrInvalidParams)
		}
		b.Reset()
		b.Grow(prefix.Len() + len(u) + 20)
		b.WriteString(prefix.String())
		encodeSuffix(&b, u)
		sig, err := signedSessionSig(s.key, b.String())
		if err != nil {
			return nil, fmt.Errorf("lit: session signature: %w", err)
		}
		out[i] = sig
	}
	return out, nil
}

// canSignV2 reports why s cannot sign a v2 session signature at now.
func (s *Session) canSignV2(now time.Time) error {
	if s.Wiped() {
		return fmt.Errorf("lit: session signature: %w", ErrSessionWiped)
	}
	if !now.Before(s.expiration) {
		return fmt.Errorf("lit: session signature: expired at %s: %w", s.expiration.UTC().Format(time.RFC3339), ErrSessionExpired)
	}
	return nil
}
