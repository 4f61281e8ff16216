package lit

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// sigWindow checks that s can sign at now and returns the per-node
// signature's issuedAt and expiration (now + SessionSigTTL, capped at the
// session's expiration).
func (s *Session) sigWindow(now time.Time) (issued, exp string, err error) {
	if s.Wiped() {
		return "", "", fmt.Errorf("session signature: %w", ErrSessionWiped)
	}
	if !now.Before(s.expiration) {
		return "", "", fmt.Errorf("session signature: expired at %s: %w", s.expiration.UTC().Format(time.RFC3339), ErrSessionExpired)
	}
	end := now.Add(SessionSigTTL)
	if end.After(s.expiration) {
		end = s.expiration
	}
	return nagawire.FormatTime(now), nagawire.FormatTime(end), nil
}

// nagaSessionSigMessage is the Naga session-signature message for one
// node: the v2 fields plus maxPrice (hex wei), nodeAddress the node's full
// URL, and the capabilities: payment delegations first, the wallet's SIWE
// signature last.
func nagaSessionSigMessage(sessionKey string, delegations []AuthSig, wallet AuthSig, reqs []ResourceAbilityRequest, issued, exp, nodeURL string, maxPrice *big.Int) nagawire.SessionSigMessage {
	caps := make([]nagawire.AuthSig, 0, len(delegations)+1)
	for _, d := range delegations {
		caps = append(caps, nagawire.AuthSig(d))
	}
	m := nagawire.SessionSigMessage{
		SessionKey:   sessionKey,
		Capabilities: append(caps, nagawire.AuthSig(wallet)),
		IssuedAt:     issued,
		Expiration:   exp,
		NodeAddress:  nodeURL,
		MaxPrice:     "0x" + maxPrice.Text(16),
	}
	for _, r := range reqs {
		m.ResourceAbilityRequests = append(m.ResourceAbilityRequests, nagawire.ResourceAbilityRequest{
			Resource: nagawire.Resource{ResourcePrefix: r.Resource.ResourcePrefix, Resource: r.Resource.Resource},
			Ability:  r.Ability,
		})
	}
	return m
}

// signNaga signs the Naga session signature for each node URL with its
// maxPrice.
func (s *Session) signNaga(urls []string, maxPrices []*big.Int, reqs []ResourceAbilityRequest, now time.Time) ([]nagawire.AuthSig, error) {
	issued, exp, err := s.sigWindow(now)
	if err != nil {
		return nil, err
	}
	out := make([]nagawire.AuthSig, len(urls))
	for i, u := range urls {
		msg, err := nagaSessionSigMessage(s.key.PublicKeyHex(), s.delegations, s.authSig, reqs, issued, exp, u, maxPrices[i]).Marshal()
		if err != nil {
			return nil, fmt.Errorf("session signature: %v: %w", err, ErrInvalidParams)
		}
		sig := s.key.Sign(msg)
		if sig == nil {
			return nil, fmt.Errorf("session signature: %w", ErrSessionWiped)
		}
		out[i] = nagawire.AuthSig{Sig: hex.EncodeToString(sig), DerivedVia: nagawire.SessionSigDerivedVia,
			SignedMessage: string(msg), Address: s.key.PublicKeyHex(), Algo: nagawire.SessionSigAlgo}
	}
	return out, nil
}
