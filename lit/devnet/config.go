package devnet

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/lit/internal/nagachain"
)

// Defaults of Config and of the devnet command, those of the Lit
// "localhost" network.
const (
	DefaultNodes       = 10
	DefaultBasePort    = 7470
	DefaultHost        = "127.0.0.1"
	DefaultPKPs        = 1
	DefaultMaxBodySize = 4 << 20
)

// Protocols a devnet speaks (Config.Protocol).
const (
	// ProtocolV2 is the Lit v2 node API of JS SDK 2.2.x (the default).
	ProtocolV2 = "v2"
	// ProtocolNaga is the Lit Naga node API of JS SDK 8.x, with a fake chain
	// for discovery and pricing.
	ProtocolNaga = "naga"
)

// Naga price defaults: node prices are DefaultBasePrice + rank·DefaultPriceStep
// wei, the ranks a fixed permutation of the node indexes, so that the
// cheapest nodes are not simply the first ones.
const (
	DefaultBasePrice = 1000
	DefaultPriceStep = 100
	// DefaultEpoch is the Naga devnet's first epoch number.
	DefaultEpoch = 1
)

// DefaultBalance is the Naga Ledger deposit, in wei, of every account the
// devnet has no balance for: 10^24 wei (a million tokens), enough for any
// test's calls at the default prices.
var DefaultBalance = new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil)

// MaxNodes bounds Config.Nodes.
const MaxNodes = 100

// ErrBadConfig is wrapped by Start and RunCommand errors caused by an
// invalid Config or command line.
var ErrBadConfig = errors.New("devnet: bad configuration")

// Config describes a devnet. The zero value of a field means its default;
// for BasePort, zero means random free ports.
type Config struct {
	// Protocol is the node API: ProtocolV2 (default, also "") or
	// ProtocolNaga.
	Protocol string
	// Nodes is the number of nodes (default 10; Naga needs at least 3).
	Nodes int
	// Threshold is the number of signature shares a signature needs
	// (default: 2/3 of Nodes rounded down, at least 1; 6 for 10 nodes; on
	// Naga max(3, floor(2n/3)), the number of nodes the SDK contacts; a
	// Naga node refuses a request whose nodeSet is smaller than Threshold,
	// so a larger value makes the SDK's requests fail).
	Threshold int
	// Host is the IPv4 loopback address the nodes listen on (default
	// 127.0.0.1). Each node also listens on [::1] at the same port when IPv6
	// loopback is available, because Node.js may resolve localhost to ::1.
	Host string
	// BasePort is the port of node 0; node i listens on BasePort+i. Zero
	// makes every node listen on a free port chosen by the kernel (tests
	// use it); the command's default is DefaultBasePort (7470), the port of
	// the SDK's "localhost" network.
	BasePort int
	// Ports, when set, are the nodes' ports one by one (overriding
	// BasePort); a restarted devnet process uses them to come back on the
	// ports its predecessor was given.
	Ports []int
	// Seed makes the PKP keys and the signature nonces deterministic.
	// Empty means fresh randomness.
	Seed string
	// PKPs is the number of PKP keys to generate (default 1).
	PKPs int
	// ActionsDir is a directory of Lit Action files; each file is served
	// under its CIDv0 for requests that name an ipfsId.
	ActionsDir string
	// ActionTimeout is the wall-clock limit of one action run (0: the
	// action runtime's default).
	ActionTimeout time.Duration
	// MaxCodeSize is the largest action source accepted, in bytes (0: the
	// action runtime's default).
	MaxCodeSize int
	// ActionMemory is the memory one action run may use, in bytes (0: the
	// action runtime's default, 256 MiB like real nodes). All runs of the
	// process also share action.SetMemoryBudget's budget.
	ActionMemory int64
	// MaxBodySize is the largest request body accepted (default 4 MiB).
	MaxBodySize int64
	// AdvertiseURLs, when AdvertiseURLs[i] is non-empty, replaces the set of
	// URLs node i accepts as a session signature's nodeAddress (by default
	// http://localhost:P, http://127.0.0.1:P and http://[::1]:P). Tests use
	// it to replay captured SDK requests addressed to fixed ports.
	AdvertiseURLs [][]string
	// Faults are the initial per-node faults, by node index.
	Faults map[int]Fault
	// Now is the nodes' clock (default time.Now).
	Now func() time.Time

	// ChainPort is the Naga fake chain's JSON-RPC port on Host. Zero makes
	// it listen on a free port (tests use it); the command's default is
	// DefaultChainPort (8545), the SDK's naga-local RPC URL.
	ChainPort int
	// Prices are the Naga nodes' prices in wei, by node index, one price
	// for every product. Empty means the defaults (DefaultBasePrice +
	// rank·DefaultPriceStep, distinct); otherwise it needs one per node.
	Prices []uint64
	// Epoch is the Naga chain's first epoch number (default DefaultEpoch).
	Epoch uint64
	// Balance is the Naga Ledger deposit in wei (Ledger.balance and
	// Ledger.stableBalance: the devnet has no pending withdrawals, so both
	// are equal) of every account not in Balances (nil: DefaultBalance).
	// It is what the chain reports; the nodes' payment refusals stay the
	// RefusePayment fault's.
	Balance *big.Int
	// Balances are per-account Ledger deposits in wei, overriding Balance.
	Balances map[common.Address]*big.Int
	// Attestation (Naga) makes every node attach an AMD SEV-SNP attestation
	// to its handshake, signed by a test ARK → ASK → VCEK chain made at
	// Start and bound as a real node binds it (to the client's challenge and
	// the node's host:port). Network.AttestationRoots is the PEM file of
	// that chain, for clients.
	Attestation bool
	// AttestationBad are nodes (by index) whose attestations fail: in the
	// order given, a wrong challenge, a wrong address, a broken signature,
	// then again. Needs Attestation.
	AttestationBad []int
	// AttestationRootsFile is where Start writes that PEM file; it is then
	// the caller's (Close leaves it, a restarted devnet process rewrites it
	// with its new chain). Empty means a new temporary directory that Close
	// removes.
	AttestationRootsFile string
}

// Fault is a misbehaviour of one node, for tests and benchmarks.
type Fault struct {
	// Latency is added before the node answers any request.
	Latency time.Duration
	// Down closes the node's listeners: connections are refused until the
	// fault is cleared.
	Down bool
	// WrongShare makes the node return a garbage signature share.
	WrongShare bool
	// Malformed makes the node answer 200 with invalid JSON.
	Malformed bool
	// HTTP500 makes the node answer every request with HTTP 500.
	HTTP500 bool
	// RefusePayment (Naga) makes the node refuse every execute request with
	// a payment error, as a node does when the payer has no balance or
	// delegation.
	RefusePayment bool
}

// live reports whether a node with this fault answers executeJs
// successfully (possibly slowly or with a wrong share).
func (f Fault) live() bool { return !f.Down && !f.Malformed && !f.HTTP500 && !f.RefusePayment }

// withDefaults returns cfg with defaults applied, or an error wrapping
// ErrBadConfig.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Protocol == "" {
		cfg.Protocol = ProtocolV2
	}
	if cfg.Protocol != ProtocolV2 && cfg.Protocol != ProtocolNaga {
		return cfg, fmt.Errorf("%w: protocol must be %q or %q, got %q", ErrBadConfig, ProtocolV2, ProtocolNaga, cfg.Protocol)
	}
	naga := cfg.Protocol == ProtocolNaga
	if cfg.Nodes == 0 {
		cfg.Nodes = DefaultNodes
	}
	if cfg.Nodes < 1 || cfg.Nodes > MaxNodes {
		return cfg, fmt.Errorf("%w: nodes must be 1..%d, got %d", ErrBadConfig, MaxNodes, cfg.Nodes)
	}
	if naga && cfg.Nodes < nagachain.MinimumThreshold {
		return cfg, fmt.Errorf("%w: a Naga network needs at least %d nodes (the SDK's minimum threshold), got %d",
			ErrBadConfig, nagachain.MinimumThreshold, cfg.Nodes)
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = max(1, cfg.Nodes*2/3)
		if naga {
			cfg.Threshold = nagachain.Threshold(cfg.Nodes)
		}
	}
	if cfg.Threshold < 1 || cfg.Threshold > cfg.Nodes {
		return cfg, fmt.Errorf("%w: threshold must be 1..%d, got %d", ErrBadConfig, cfg.Nodes, cfg.Threshold)
	}
	if cfg.Host == "" {
		cfg.Host = DefaultHost
	}
	if cfg.BasePort < 0 || cfg.BasePort+cfg.Nodes-1 > 65535 {
		return cfg, fmt.Errorf("%w: ports %d..%d out of range", ErrBadConfig, cfg.BasePort, cfg.BasePort+cfg.Nodes-1)
	}
	if len(cfg.Ports) != 0 && len(cfg.Ports) != cfg.Nodes {
		return cfg, fmt.Errorf("%w: %d ports for %d nodes", ErrBadConfig, len(cfg.Ports), cfg.Nodes)
	}
	for _, p := range cfg.Ports {
		if p < 1 || p > 65535 {
			return cfg, fmt.Errorf("%w: port %d out of range", ErrBadConfig, p)
		}
	}
	if cfg.PKPs == 0 {
		cfg.PKPs = DefaultPKPs
	}
	if cfg.PKPs < 1 || cfg.PKPs > 1000 {
		return cfg, fmt.Errorf("%w: pkps must be 1..1000, got %d", ErrBadConfig, cfg.PKPs)
	}
	if cfg.MaxBodySize == 0 {
		cfg.MaxBodySize = DefaultMaxBodySize
	}
	if cfg.MaxBodySize < 1024 {
		return cfg, fmt.Errorf("%w: max body size %d too small", ErrBadConfig, cfg.MaxBodySize)
	}
	if cfg.ActionTimeout < 0 || cfg.MaxCodeSize < 0 || cfg.ActionMemory < 0 {
		return cfg, fmt.Errorf("%w: negative action limits", ErrBadConfig)
	}
	if len(cfg.AdvertiseURLs) > cfg.Nodes {
		return cfg, fmt.Errorf("%w: %d advertise URL sets for %d nodes", ErrBadConfig, len(cfg.AdvertiseURLs), cfg.Nodes)
	}
	for i := range cfg.Faults {
		if i < 0 || i >= cfg.Nodes {
			return cfg, fmt.Errorf("%w: fault for node %d of %d", ErrBadConfig, i, cfg.Nodes)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.nagaDefaults(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// nagaDefaults checks and completes the Naga-only fields; on v2 they must
// be unset.
func (cfg *Config) nagaDefaults() error {
	if cfg.Protocol != ProtocolNaga {
		if cfg.ChainPort != 0 || len(cfg.Prices) != 0 || cfg.Epoch != 0 || cfg.Balance != nil || len(cfg.Balances) != 0 {
			return fmt.Errorf("%w: chain port, prices, epoch and balances are Naga settings (protocol %q)", ErrBadConfig, cfg.Protocol)
		}
		if cfg.Attestation || len(cfg.AttestationBad) > 0 || cfg.AttestationRootsFile != "" {
			return fmt.Errorf("%w: attestation is a Naga setting (protocol %q)", ErrBadConfig, cfg.Protocol)
		}
		for i, f := range cfg.Faults {
			if f.RefusePayment {
				return fmt.Errorf("%w: node %d: the payment-refusal fault exists on Naga only", ErrBadConfig, i)
			}
		}
		return nil
	}
	if addr, err := netip.ParseAddr(cfg.Host); err != nil || !addr.Is4() {
		return fmt.Errorf("%w: a Naga devnet's host must be an IPv4 address (the chain lists nodes by IPv4), got %q", ErrBadConfig, cfg.Host)
	}
	if cfg.ChainPort < 0 || cfg.ChainPort > 65535 {
		return fmt.Errorf("%w: chain port %d out of range", ErrBadConfig, cfg.ChainPort)
	}
	if cfg.ChainPort != 0 && cfg.BasePort != 0 && cfg.ChainPort >= cfg.BasePort && cfg.ChainPort < cfg.BasePort+cfg.Nodes {
		return fmt.Errorf("%w: chain port %d is one of the node ports %d..%d", ErrBadConfig, cfg.ChainPort, cfg.BasePort, cfg.BasePort+cfg.Nodes-1)
	}
	if cfg.Epoch == 0 {
		cfg.Epoch = DefaultEpoch
	}
	if err := cfg.balanceDefaults(); err != nil {
		return err
	}
	if (len(cfg.AttestationBad) > 0 || cfg.AttestationRootsFile != "") && !cfg.Attestation {
		return fmt.Errorf("%w: bad attestations and a roots file need attestation on", ErrBadConfig)
	}
	seen := map[int]bool{}
	for _, i := range cfg.AttestationBad {
		if i < 0 || i >= cfg.Nodes || seen[i] {
			return fmt.Errorf("%w: bad attestation for node %d: want distinct nodes 0..%d", ErrBadConfig, i, cfg.Nodes-1)
		}
		seen[i] = true
	}
	cfg.AttestationBad = append([]int(nil), cfg.AttestationBad...)
	switch {
	case len(cfg.Prices) == 0:
		cfg.Prices = defaultPrices(cfg.Nodes)
	case len(cfg.Prices) != cfg.Nodes:
		return fmt.Errorf("%w: %d prices for %d nodes", ErrBadConfig, len(cfg.Prices), cfg.Nodes)
	default:
		cfg.Prices = append([]uint64(nil), cfg.Prices...)
	}
	return nil
}

// defaultPrices gives node i the price DefaultBasePrice + rank(i)·DefaultPriceStep,
// where the ranks order the nodes by SHA-256 of their index: distinct
// prices, in an order unrelated to the ports.
func defaultPrices(n int) []uint64 {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) [32]byte { return sha256.Sum256([]byte("litsigner devnet price " + strconv.Itoa(i))) }
	slices.SortFunc(idx, func(a, b int) int {
		ka, kb := key(a), key(b)
		return bytes.Compare(ka[:], kb[:])
	})
	prices := make([]uint64, n)
	for rank, i := range idx {
		prices[i] = DefaultBasePrice + uint64(rank)*DefaultPriceStep
	}
	return prices
}

// balanceDefaults checks the Ledger balances (each must fit the contract's
// int256) and copies them, so that the caller's values are never shared.
func (cfg *Config) balanceDefaults() error {
	if cfg.Balance == nil {
		cfg.Balance = DefaultBalance
	}
	if !fitsInt256(cfg.Balance) {
		return fmt.Errorf("%w: balance %s wei does not fit the Ledger's int256", ErrBadConfig, cfg.Balance)
	}
	cfg.Balance = new(big.Int).Set(cfg.Balance)
	balances := make(map[common.Address]*big.Int, len(cfg.Balances))
	for a, b := range cfg.Balances {
		if b == nil || !fitsInt256(b) {
			return fmt.Errorf("%w: balance of %s: %v wei does not fit the Ledger's int256", ErrBadConfig, a.Hex(), b)
		}
		balances[a] = new(big.Int).Set(b)
	}
	cfg.Balances = balances
	return nil
}

func fitsInt256(x *big.Int) bool {
	return x.Sign() >= 0 && x.BitLen() <= 255 || x.Sign() < 0 && new(big.Int).Not(x).BitLen() <= 255
}
