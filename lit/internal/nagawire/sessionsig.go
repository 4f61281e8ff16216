package nagawire

import (
	"errors"
	"fmt"
)

// Session-signature constants, the same strings the SDK writes.
const (
	// SessionSigDerivedVia marks a session key's ed25519 signature.
	SessionSigDerivedVia = "litSessionSignViaNacl"
	// SessionSigAlgo is the session signature's algorithm.
	SessionSigAlgo = "ed25519"
	// WalletSigDerivedVia marks an EIP-191 personal_sign capability.
	WalletSigDerivedVia = "web3.eth.personal.sign"
)

// ErrSessionSigMessage marks a session-signature message that does not
// parse as the Naga grammar.
var ErrSessionSigMessage = errors.New("malformed session signature message")

// AuthSig is the SDK's signature object: a wallet's SIWE signature (a
// capability) or a session key's per-node signature. Field order is the
// SDK's: it is serialized inside signed JSON.
type AuthSig struct {
	Sig           string `json:"sig"`
	DerivedVia    string `json:"derivedVia"`
	SignedMessage string `json:"signedMessage"`
	Address       string `json:"address"`
	Algo          string `json:"algo,omitempty"`
}

// Resource names what a session asks to use.
type Resource struct {
	ResourcePrefix string `json:"resourcePrefix"`
	Resource       string `json:"resource"`
}

// ResourceAbilityRequest is one resource and the ability wanted on it.
type ResourceAbilityRequest struct {
	Resource Resource `json:"resource"`
	Ability  string   `json:"ability"`
}

// SessionSigMessage is what a session key signs for one node. The wallet's
// SIWE capability is the last entry of Capabilities (payment delegations,
// if any, come first).
type SessionSigMessage struct {
	SessionKey              string                   `json:"sessionKey"`
	ResourceAbilityRequests []ResourceAbilityRequest `json:"resourceAbilityRequests"`
	Capabilities            []AuthSig                `json:"capabilities"`
	IssuedAt                string                   `json:"issuedAt"`
	Expiration              string                   `json:"expiration"`
	// NodeAddress is the node's URL with its scheme, e.g.
	// "https://1.2.3.4:443"; the node compares it without the scheme.
	NodeAddress string `json:"nodeAddress"`
	// MaxPrice is the most the user pays this node for the request, a hex
	// wei amount ("0x…").
	MaxPrice string `json:"maxPrice"`
}

// Marshal returns the exact bytes the SDK signs (JSON.stringify of the
// message in the SDK's key order).
func (m SessionSigMessage) Marshal() ([]byte, error) {
	b, err := marshalJS(m)
	if err != nil {
		return nil, fmt.Errorf("nagawire: session signature message: %w", err)
	}
	return b, nil
}

// ParseSessionSigMessage parses a signed message strictly: every field
// present, no unknown ones.
func ParseSessionSigMessage(data []byte) (SessionSigMessage, error) {
	var raw struct {
		SessionKey              *string                  `json:"sessionKey"`
		ResourceAbilityRequests []ResourceAbilityRequest `json:"resourceAbilityRequests"`
		Capabilities            []AuthSig                `json:"capabilities"`
		IssuedAt                *string                  `json:"issuedAt"`
		Expiration              *string                  `json:"expiration"`
		NodeAddress             *string                  `json:"nodeAddress"`
		MaxPrice                *string                  `json:"maxPrice"`
	}
	if err := decodeStrict(data, &raw); err != nil {
		return SessionSigMessage{}, fmt.Errorf("nagawire: %w: %v", ErrSessionSigMessage, err)
	}
	for name, v := range map[string]*string{
		"sessionKey": raw.SessionKey, "issuedAt": raw.IssuedAt, "expiration": raw.Expiration,
		"nodeAddress": raw.NodeAddress, "maxPrice": raw.MaxPrice,
	} {
		if v == nil {
			return SessionSigMessage{}, fmt.Errorf("nagawire: %w: %s missing", ErrSessionSigMessage, name)
		}
	}
	if len(raw.Capabilities) == 0 {
		return SessionSigMessage{}, fmt.Errorf("nagawire: %w: no capabilities", ErrSessionSigMessage)
	}
	return SessionSigMessage{
		SessionKey:              *raw.SessionKey,
		ResourceAbilityRequests: raw.ResourceAbilityRequests,
		Capabilities:            raw.Capabilities,
		IssuedAt:                *raw.IssuedAt,
		Expiration:              *raw.Expiration,
		NodeAddress:             *raw.NodeAddress,
		MaxPrice:                *raw.MaxPrice,
	}, nil
}

// WalletCapability is the SIWE capability: the last entry.
func (m SessionSigMessage) WalletCapability() AuthSig {
	return m.Capabilities[len(m.Capabilities)-1]
}
