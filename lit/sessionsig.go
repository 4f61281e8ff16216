package lit

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Constants of the SDK's session signature objects.
const (
	// SessionSigDerivedVia is the derivedVia of a per-node session signature.
	SessionSigDerivedVia = "litSessionSignViaNacl"
	// SessionSigAlgo is the algo of a per-node session signature.
	SessionSigAlgo = "ed25519"
	// WalletSigDerivedVia is the derivedVia of the wallet's SIWE signature.
	WalletSigDerivedVia = "web3.eth.personal.sign"
	// LitActionResourcePrefix is the resourcePrefix of Lit Action resources.
	LitActionResourcePrefix = "lit-litaction"
	// LitActionExecutionAbility is the SDK's LitAbility.LitActionExecution.
	LitActionExecutionAbility = "lit-action-execution"
	// SessionSigTTL is the SDK's default lifetime of a per-node session signature.
	SessionSigTTL = 5 * time.Minute
)

// parseJSTime parses an ISO 8601 / RFC 3339 time.
func parseJSTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q", s)
	}
	return t, nil
}

// LitResource names a resource the way the SDK's session signatures do.
type LitResource struct {
	Resource       string `json:"resource"`
	ResourcePrefix string `json:"resourcePrefix"`
}

// ResourceAbilityRequest is one entry of resourceAbilityRequests.
type ResourceAbilityRequest struct {
	Resource LitResource `json:"resource"`
	Ability  string      `json:"ability"`
}

// LitActionRequest is the request to execute the Lit Action resource id
// ("*" for all actions or inline code, or an IPFS CID).
func LitActionRequest(id string) ResourceAbilityRequest {
	return ResourceAbilityRequest{
		Resource: LitResource{Resource: id, ResourcePrefix: LitActionResourcePrefix},
		Ability:  LitActionExecutionAbility,
	}
}

// SessionSigPayload is the parsed signedMessage of a per-node session signature.
type SessionSigPayload struct {
	SessionKey              string                   `json:"sessionKey"`
	ResourceAbilityRequests []ResourceAbilityRequest `json:"resourceAbilityRequests"`
	Capabilities            []AuthSig                `json:"capabilities"`
	IssuedAt                string                   `json:"issuedAt"`
	Expiration              string                   `json:"expiration"`
	NodeAddress             string                   `json:"nodeAddress"`
}

// Encode returns the exact JSON text the SDK signs for p: JSON.stringify
// with the SDK's key order and JavaScript string escaping.
func (p *SessionSigPayload) Encode() (string, error) {
	var b strings.Builder
	if err := p.encodePrefix(&b); err != nil {
		return "", err
	}
	if !validStrings(p.NodeAddress) {
		return "", fmt.Errorf("lit: session signature: invalid UTF-8: %w", ErrInvalidParams)
	}
	encodeSuffix(&b, p.NodeAddress)
	return b.String(), nil
}

// encodePrefix writes everything up to and including the comma before
// nodeAddress; it is the same for every node of one request.
func (p *SessionSigPayload) encodePrefix(b *strings.Builder) error {
	ss := []string{p.SessionKey, p.IssuedAt, p.Expiration}
	for _, r := range p.ResourceAbilityRequests {
		ss = append(ss, r.Resource.Resource, r.Resource.ResourcePrefix, r.Ability)
	}
	for _, c := range p.Capabilities {
		ss = append(ss, c.Sig, c.DerivedVia, c.SignedMessage, c.Address, c.Algo)
	}
	if !validStrings(ss...) {
		return fmt.Errorf("lit: session signature: invalid UTF-8: %w", ErrInvalidParams)
	}
	b.WriteByte('{')
	jsKey(b, "sessionKey")
	jsQuote(b, p.SessionKey)
	b.WriteByte(',')
	jsKey(b, "resourceAbilityRequests")
	b.WriteByte('[')
	for i, r := range p.ResourceAbilityRequests {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		jsKey(b, "resource")
		b.WriteByte('{')
		jsKey(b, "resource")
		jsQuote(b, r.Resource.Resource)
		b.WriteByte(',')
		jsKey(b, "resourcePrefix")
		jsQuote(b, r.Resource.ResourcePrefix)
		b.WriteString("},")
		jsKey(b, "ability")
		jsQuote(b, r.Ability)
		b.WriteByte('}')
	}
	b.WriteString("],")
	jsKey(b, "capabilities")
	b.WriteByte('[')
	for i, c := range p.Capabilities {
		if i > 0 {
			b.WriteByte(',')
		}
		jsAuthSig(b, c)
	}
	b.WriteString("],")
	jsKey(b, "issuedAt")
	jsQuote(b, p.IssuedAt)
	b.WriteByte(',')
	jsKey(b, "expiration")
	jsQuote(b, p.Expiration)
	b.WriteByte(',')
	return nil
}

func encodeSuffix(b *strings.Builder, nodeAddress string) {
	jsKey(b, "nodeAddress")
	jsQuote(b, nodeAddress)
	b.WriteByte('}')
}

// ParseSessionSig decodes a per-node session signature's signedMessage
// without verifying anything (see VerifySessionSig). It never panics.
func ParseSessionSig(sig AuthSig) (*SessionSigPayload, error) {
	var p SessionSigPayload
	dec := json.NewDecoder(strings.NewReader(sig.SignedMessage))
	if err := dec.Decode(&p); err != nil {
		return nil, &SessionSigError{Reason: ErrSessionSigMalformed, Detail: "signedMessage: " + err.Error()}
	}
	if dec.More() {
		return nil, &SessionSigError{Reason: ErrSessionSigMalformed, Detail: "signedMessage: trailing data"}
	}
	return &p, nil
}

// signedSessionSig signs text with key as the SDK does.
func signedSessionSig(key *SessionKey, text string) (AuthSig, error) {
	sig := key.Sign([]byte(text))
	if sig == nil {
		return AuthSig{}, ErrSessionWiped
	}
	return AuthSig{
		Sig:           hex.EncodeToString(sig),
		DerivedVia:    SessionSigDerivedVia,
		SignedMessage: text,
		Address:       key.PublicKeyHex(),
		Algo:          SessionSigAlgo,
	}, nil
}
