package lit

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
	siwe "github.com/spruceid/siwe-go"
)

// SessionURIPrefix is the SIWE uri prefix naming a session key.
const SessionURIPrefix = "lit:session:"

// siweFields is what we put in a session SIWE message.
type siweFields struct {
	Domain     string
	Address    common.Address
	Statement  string
	URI        string
	ChainID    int
	Nonce      string
	IssuedAt   time.Time
	Expiration time.Time
	Resources  []string
}

// checkASCIILine rejects text a hardware wallet would not show as text, or
// that breaks the one-line SIWE fields.
func checkASCIILine(field, s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("lit: siwe: %s must be printable ASCII without newlines (byte %d is 0x%02x): %w", field, i, s[i], ErrInvalidParams)
		}
	}
	return nil
}

// buildSIWE returns the EIP-4361 text for f, built with siwe-go and checked
// to round-trip through siwe-go's own parser unchanged.
func buildSIWE(f siweFields) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("lit: siwe: siwe-go panicked: %v: %w", r, ErrInvalidParams)
		}
	}()
	if f.Domain == "" || strings.ContainsAny(f.Domain, " /?#") {
		return "", fmt.Errorf("lit: siwe: domain %q must be a bare authority (host[:port]): %w", f.Domain, ErrInvalidParams)
	}
	if err := checkASCIILine("domain", f.Domain); err != nil {
		return "", err
	}
	if err := checkASCIILine("statement", f.Statement); err != nil {
		return "", err
	}
	if f.Address == (common.Address{}) {
		return "", fmt.Errorf("lit: siwe: zero address: %w", ErrInvalidParams)
	}
	if f.ChainID <= 0 {
		return "", fmt.Errorf("lit: siwe: chain id %d: %w", f.ChainID, ErrInvalidParams)
	}
	if len(f.Nonce) < 8 || strings.IndexFunc(f.Nonce, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) >= 0 {
		return "", fmt.Errorf("lit: siwe: nonce must be 8+ alphanumeric characters: %w", ErrInvalidParams)
	}
	if !f.Expiration.After(f.IssuedAt) {
		return "", fmt.Errorf("lit: siwe: expiration must be after issued-at: %w", ErrInvalidParams)
	}
	resources := make([]url.URL, 0, len(f.Resources))
	for _, r := range f.Resources {
		if err := checkASCIILine("resource", r); err != nil {
			return "", err
		}
		u, err := url.Parse(r)
		if err != nil {
			return "", fmt.Errorf("lit: siwe: resource %q: %v: %w", r, err, ErrInvalidParams)
		}
		resources = append(resources, *u)
	}
	opts := map[string]any{
		"chainId":        f.ChainID,
		"issuedAt":       nagawire.FormatTime(f.IssuedAt),
		"expirationTime": nagawire.FormatTime(f.Expiration),
	}
	if f.Statement != "" {
		opts["statement"] = f.Statement
	}
	if len(resources) > 0 {
		opts["resources"] = resources
	}
	msg, err := siwe.InitMessage(f.Domain, f.Address.Hex(), f.URI, f.Nonce, opts)
	if err != nil {
		return "", fmt.Errorf("lit: siwe: build: %v: %w", err, ErrInvalidParams)
	}
	text = msg.String()
	back, err := parseSIWE(text)
	if err != nil {
		return "", fmt.Errorf("lit: siwe: own message does not parse: %w", err)
	}
	if back.String() != text || back.GetAddress() != f.Address || back.GetNonce() != f.Nonce {
		return "", fmt.Errorf("lit: siwe: own message does not round-trip: %w", ErrInvalidParams)
	}
	return text, nil
}

// parseSIWE is siwe.ParseMessage with panics turned into errors.
func parseSIWE(text string) (msg *siwe.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("lit: siwe: parse panicked: %v", r)
		}
	}()
	m, err := siwe.ParseMessage(text)
	if err != nil {
		return nil, fmt.Errorf("lit: siwe: parse: %w", err)
	}
	return m, nil
}

// recoverPersonal returns the address that signed text with personal_sign
// (EIP-191). sig is 65 bytes r||s||v with v in {0,1,27,28}. It hashes the
// exact text (not a re-rendering of it) and never panics. We do not use
// siwe-go's VerifyEIP191: it hashes its own rendering of the message and
// panics on a signature shorter than 65 bytes.
func recoverPersonal(text string, sig []byte) (common.Address, error) {
	if len(sig) != crypto.SignatureLength {
		return common.Address{}, fmt.Errorf("signature is %d bytes, want 65", len(sig))
	}
	s := append([]byte(nil), sig...)
	if s[64] >= 27 {
		s[64] -= 27
	}
	if s[64] > 1 {
		return common.Address{}, fmt.Errorf("bad recovery byte %d", sig[64])
	}
	pub, err := crypto.SigToPub(accounts.TextHash([]byte(text)), s)
	if err != nil {
		return common.Address{}, fmt.Errorf("recover: %w", err)
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// newNonce returns 16 random alphanumeric characters (no modulo bias).
func newNonce() (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, 16)
	buf := make([]byte, 32)
	for len(out) < 16 {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("lit: siwe: nonce: %w", err)
		}
		for _, c := range buf {
			if c < 248 && len(out) < 16 { // 248 = 4*62
				out = append(out, alphabet[int(c)%62])
			}
		}
	}
	return string(out), nil
}
