package daemon

import (
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/attest"
	"github.com/litsigner/litsigner/lit/devnet"
	"github.com/litsigner/litsigner/lit/devnet/action"
)

// Network names besides the Naga ones (lit.NagaNetworkNames).
const (
	// NetworkLocalhost is the Lit v2 "localhost" network (the default).
	NetworkLocalhost = "localhost"
	// NetworkCustom is a Lit v2 network given by nodeUrls.
	NetworkCustom = "custom"
	// NetworkNagaLocal is the Naga network of a local chain and nodes, as
	// `litsigner devnet --protocol naga` serves it.
	NetworkNagaLocal = "naga-local"
)

// maxCodeSize is the largest inline action the daemon sends: the client's
// 1 MiB, but the devnet's 256 KiB on the networks a devnet serves (--dev,
// localhost, naga-local). The devnet names inline code by its CIDv0 as
// one `ipfs add` chunk, which holds 256 KiB, and refuses larger code on
// every node: the caller would get below_threshold, after a session
// approval, for a call that cannot succeed.
func maxCodeSize(c *Config) int {
	if c.Dev || c.Network == NetworkLocalhost || c.Network == NetworkNagaLocal {
		return action.MaxCIDv0FileSize
	}
	return lit.DefaultMaxCodeSize
}

// maxWei bounds maxPrice: a uint256.
var maxWei = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// networkNames lists every accepted value of the network key.
func networkNames() []string {
	return append([]string{NetworkLocalhost, NetworkCustom}, lit.NagaNetworkNames()...)
}

// isNaga reports whether name is a built-in Naga network.
func isNaga(name string) bool { return slices.Contains(lit.NagaNetworkNames(), name) }

// parseWei parses a wei amount written in decimal ("1000") or hex
// ("0x3e8"). It must be positive and fit in 256 bits.
func parseWei(s string) (*big.Int, error) {
	v, ok := new(big.Int), false
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		if len(s) > 2 && !strings.ContainsAny(s[2:], "+-") {
			_, ok = v.SetString(s[2:], 16)
		}
	case s != "" && !strings.ContainsAny(s, "+-"):
		_, ok = v.SetString(s, 10)
	}
	if !ok {
		return nil, fmt.Errorf("%q is not a wei amount (want a decimal such as \"1000000000\" or hex such as \"0x3b9aca00\")", s)
	}
	if v.Sign() <= 0 {
		return nil, fmt.Errorf("%q: must be positive", s)
	}
	if v.Cmp(maxWei) > 0 {
		return nil, fmt.Errorf("%q: more than 2^256-1 wei", s)
	}
	return v, nil
}

// validateNetwork checks the network key and the keys that go with it
// (nodeUrls, threshold, rpcUrl, stakingAddress, priceFeedAddress,
// ledgerAddress, maxPrice). Errors name the key.
func (c *Config) validateNetwork() error {
	bad := c.errorf
	if !slices.Contains(networkNames(), c.Network) {
		return bad("network", "unknown network %q (want one of %s)", c.Network, strings.Join(networkNames(), ", "))
	}
	if err := c.checkAttestation(); err != nil {
		return err
	}
	naga := isNaga(c.Network)
	if c.Dev && c.Network != NetworkLocalhost && c.Network != NetworkCustom && c.Network != NetworkNagaLocal {
		return bad("network", "--dev runs a local devnet: use network %s (Naga) or %s (v2), not %q", NetworkNagaLocal, NetworkLocalhost, c.Network)
	}
	if !naga {
		for key, set := range map[string]bool{"rpcUrl": c.RPCURL != "", "stakingAddress": c.StakingAddress != "",
			"priceFeedAddress": c.PriceFeedAddress != "", "ledgerAddress": c.LedgerAddress != "", "maxPrice": c.MaxPrice != ""} {
			if set {
				return bad(key, "applies to the Naga networks only (network is %q)", c.Network)
			}
		}
		if !c.Dev && c.Network == NetworkCustom && len(c.NodeURLs) == 0 {
			return bad("nodeUrls", "network \"custom\" needs node URLs")
		}
		for _, u := range c.NodeURLs {
			if err := checkURL(u, "http", "https"); err != nil {
				return bad("nodeUrls", "%v", err)
			}
		}
		return nil
	}
	if len(c.NodeURLs) > 0 {
		return bad("nodeUrls", "network %q reads its nodes from the chain: remove nodeUrls (or set rpcUrl and the contract addresses)", c.Network)
	}
	if c.Threshold != 0 {
		return bad("threshold", "network %q takes its threshold from the chain: remove threshold", c.Network)
	}
	if c.Dev {
		for key, set := range map[string]bool{"rpcUrl": c.RPCURL != "", "stakingAddress": c.StakingAddress != "",
			"priceFeedAddress": c.PriceFeedAddress != "", "ledgerAddress": c.LedgerAddress != ""} {
			if set {
				return bad(key, "--dev runs its own chain: remove %s", key)
			}
		}
	}
	if c.RPCURL != "" {
		if err := checkURL(c.RPCURL, "http", "https", "ws", "wss"); err != nil {
			return bad("rpcUrl", "%v", err)
		}
	}
	for key, v := range map[string]string{"stakingAddress": c.StakingAddress, "priceFeedAddress": c.PriceFeedAddress, "ledgerAddress": c.LedgerAddress} {
		if v != "" && !isHexAddress(v) {
			return bad(key, "%q is not a hex address (want 0x and 40 hex digits)", v)
		}
	}
	if c.MaxPrice != "" {
		if _, err := parseWei(c.MaxPrice); err != nil {
			return bad("maxPrice", "%v", err)
		}
	}
	if _, err := lit.NagaNetwork(c.Network); err != nil {
		return bad("network", "%v", err)
	}
	return nil
}

// checkAttestation is the one place that decides how a network's nodes
// are attested: the requireAttestation and attestationRoots keys (roots
// replace AMD's for tests, so only on naga-local, and only with
// requireAttestation). Errors name the key.
func (c *Config) checkAttestation() error {
	bad := c.errorf
	switch {
	case c.RequireAttestation && !isNaga(c.Network):
		return bad("requireAttestation", "applies to the Naga networks only (network is %q)", c.Network)
	case c.AttestationRoots != "" && c.Dev:
		return bad("attestationRoots", "--dev --require-attestation trusts its own devnet's test roots: remove attestationRoots")
	case c.AttestationRoots != "" && c.Network != NetworkNagaLocal:
		return bad("attestationRoots", "test roots replace AMD's and are accepted with network %s only (network is %q)", NetworkNagaLocal, c.Network)
	case c.AttestationRoots != "" && !c.RequireAttestation:
		return bad("attestationRoots", "is used only with requireAttestation (--require-attestation)")
	case c.AttestationRoots != "":
		if _, err := attest.LoadRoots(c.AttestationRoots); err != nil {
			return bad("attestationRoots", "%v", err)
		}
	}
	return nil
}

func checkURL(s string, schemes ...string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", s, err)
	}
	if !slices.Contains(schemes, u.Scheme) || u.Host == "" {
		return fmt.Errorf("%q is not a URL (want %s://host[:port])", s, strings.Join(schemes, ":// or "))
	}
	return nil
}

func isHexAddress(s string) bool {
	return (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X")) && common.IsHexAddress(s)
}

// devnetEndpoints is where the --dev devnet listens.
type devnetEndpoints struct {
	NodeURLs  []string
	Threshold int
	// Chain is set for a Naga devnet.
	Chain *devnet.ChainInfo
	// AttestationRoots is an attesting Naga devnet's test roots file.
	AttestationRoots string
}

// LitNetwork returns the Lit network the configuration names; dev, when
// set, is the --dev devnet that replaces the network's nodes (v2) or chain
// (Naga).
func (c *Config) LitNetwork(dev *devnetEndpoints) (lit.Network, error) {
	var n lit.Network
	switch {
	case isNaga(c.Network):
		var err error
		if n, err = lit.NagaNetwork(c.Network); err != nil {
			return n, err
		}
		if c.RPCURL != "" {
			n.ChainRPCURL = c.RPCURL
		}
		if c.StakingAddress != "" {
			n.Staking = common.HexToAddress(c.StakingAddress)
		}
		if c.PriceFeedAddress != "" {
			n.PriceFeed = common.HexToAddress(c.PriceFeedAddress)
		}
		if c.LedgerAddress != "" {
			n.Ledger = common.HexToAddress(c.LedgerAddress)
		}
		n.RequiresAttestation = n.RequiresAttestation || c.RequireAttestation
		n.AttestationRoots = c.AttestationRoots
		if dev != nil {
			if dev.Chain == nil {
				return n, errors.New("the devnet serves no chain")
			}
			n.ChainRPCURL = dev.Chain.RPCURL
			n.Staking = common.HexToAddress(dev.Chain.Contracts.Staking)
			n.PriceFeed = common.HexToAddress(dev.Chain.Contracts.PriceFeed)
			if dev.Chain.Contracts.Ledger != "" {
				n.Ledger = common.HexToAddress(dev.Chain.Contracts.Ledger)
			}
			if dev.AttestationRoots != "" {
				n.AttestationRoots = dev.AttestationRoots
			}
		}
		if c.MaxPrice != "" {
			p, err := parseWei(c.MaxPrice)
			if err != nil {
				return n, err
			}
			n.MaxPrice = p
		}
	default:
		n = lit.LocalhostNetwork()
		if c.Network == NetworkCustom {
			n = lit.Network{Name: NetworkCustom}
		}
		if len(c.NodeURLs) > 0 {
			n.NodeURLs = c.NodeURLs
		}
		if dev != nil {
			n = lit.Network{Name: "dev", NodeURLs: dev.NodeURLs, Threshold: dev.Threshold}
		}
		if c.Threshold > 0 {
			n.Threshold = c.Threshold
		}
		if len(n.NodeURLs) == 0 {
			return n, c.errorf("nodeUrls", "no node URLs")
		}
		if n.Threshold > len(n.NodeURLs) {
			if c.Threshold > 0 {
				return n, c.errorf("threshold", "must be at most the number of nodes (%d), got %d", len(n.NodeURLs), n.Threshold)
			}
			return n, c.errorf("nodeUrls", "%d nodes are fewer than the threshold (%d)", len(n.NodeURLs), n.Threshold)
		}
	}
	n.NodeTimeout = time.Duration(c.NodeTimeout)
	n.CallTimeout = time.Duration(c.CallTimeout)
	return n, nil
}

// SocketChainID is the chain id the socket's eth_chainId reports: the Lit
// network's chain for Naga (31337 naga-local, 175188 naga-dev, naga-test
// and naga-staging, 175200 naga), and for v2 the configured chainId as
// before. The SIWE chain id is always the chainId key (default 1).
func (c *Config) SocketChainID() uint64 {
	if isNaga(c.Network) {
		if n, err := lit.NagaNetwork(c.Network); err == nil {
			return n.ChainID
		}
	}
	return uint64(c.ChainID)
}

// networkKey is the config key to blame for a network that cannot be
// built: nodeUrls for v2, network for Naga.
func networkKey(c Config) string {
	if isNaga(c.Network) {
		return "network"
	}
	return "nodeUrls"
}
