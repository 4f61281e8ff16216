package lit

import (
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Default values used when a Network leaves a field zero.
const (
	// DefaultNodeTimeout bounds one HTTP request to one node.
	DefaultNodeTimeout = 30 * time.Second
	// DefaultCallTimeout bounds one logical call (all nodes).
	DefaultCallTimeout = 60 * time.Second
)

// Network is a Lit network: which protocol it speaks and where its nodes
// are (v2: fixed URLs; Naga: a chain to read them from).
type Network struct {
	// Name is informational ("localhost", "naga-dev", "custom", ...).
	Name string
	// Protocol is ProtocolV2 (the default when empty) or ProtocolNaga.
	Protocol string

	// NodeURLs are a v2 network's base URLs, e.g. "http://localhost:7470".
	// They are used verbatim as the session signature's nodeAddress.
	NodeURLs []string
	// Threshold is how many good replies a v2 call needs (0 =
	// DefaultThreshold, capped at len(NodeURLs)). Naga takes it from the
	// chain and the handshake: leave it 0.
	Threshold int

	// NodeTimeout bounds each HTTP request (0 = DefaultNodeTimeout).
	NodeTimeout time.Duration
	// CallTimeout bounds each call across nodes, including a handshake it
	// has to wait for (0 = DefaultCallTimeout).
	CallTimeout time.Duration

	// Naga only (see NagaNetwork for the built-in values).

	// ChainRPCURL is the JSON-RPC endpoint of the chain that holds the
	// Staking and PriceFeed contracts.
	ChainRPCURL string
	// ChainID is the chain's id (informational: the SIWE chain id stays 1).
	ChainID uint64
	// Staking and PriceFeed are the contract addresses.
	Staking, PriceFeed common.Address
	// Ledger is the address of the contract that holds the accounts'
	// payment deposits (read by Client.PaymentBalance; zero: unknown).
	Ledger common.Address
	// NodeScheme is "http" or "https" for the node URLs the chain lists.
	NodeScheme string
	// RequiresAttestation makes every handshake verify each node's AMD
	// SEV-SNP attestation (bound to our challenge and to the host:port we
	// talked to); a node that fails is left out, and fewer attested nodes
	// than the handshake needs is ErrAttestation. NagaNetwork sets it for
	// naga-test, naga-staging and naga; set it on naga-local to test
	// against a devnet started with --attestation.
	RequiresAttestation bool
	// AttestationRoots is a PEM file of ARK, ASK (and VCEK) certificates
	// that replaces AMD's roots, as a devnet's test authority writes it.
	// For tests only: it is refused on any network but naga-local, and
	// needs RequiresAttestation.
	AttestationRoots string
	// MaxPrice is the most one call may cost in wei, re-issues included
	// (nil = the SDK's default, 2^128-1).
	MaxPrice *big.Int
	// ReissueAfter is how long a call waits for its chosen nodes before it
	// re-issues the call on another node set (0 = DefaultReissueAfter).
	ReissueAfter time.Duration
}

// withDefaults validates n, fills zero fields and picks its protocol.
func (n Network) withDefaults() (Network, protocol, error) {
	if n.NodeTimeout < 0 || n.CallTimeout < 0 || n.ReissueAfter < 0 {
		return n, nil, fmt.Errorf("lit: network: negative timeout: %w", ErrInvalidParams)
	}
	if n.NodeTimeout == 0 {
		n.NodeTimeout = DefaultNodeTimeout
	}
	if n.CallTimeout == 0 {
		n.CallTimeout = DefaultCallTimeout
	}
	if n.Name == "" {
		n.Name = "custom"
	}
	switch n.Protocol {
	case "", ProtocolV2:
		n.Protocol = ProtocolV2
		if n.RequiresAttestation || n.AttestationRoots != "" {
			return n, nil, fmt.Errorf("lit: network %q: node attestation applies to Naga networks only: %w", n.Name, ErrInvalidParams)
		}
		return v2Defaults(n)
	case ProtocolNaga:
		return nagaDefaults(n)
	}
	return n, nil, fmt.Errorf("lit: network: unknown protocol %q (want %q or %q): %w", n.Protocol, ProtocolV2, ProtocolNaga, ErrInvalidParams)
}
