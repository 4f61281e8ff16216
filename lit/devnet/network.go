package devnet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet/action"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// shutdownTimeout bounds the graceful part of Close.
const shutdownTimeout = 5 * time.Second

// Network is a running devnet. Its methods are safe for concurrent use.
type Network struct {
	cfg     Config
	proto   protocol
	nodes   []*node
	servers []*nodeServer
	pkps    []pkpKey
	byKey   map[string]int // lower-case uncompressed hex public key -> PKP index
	dealer  *dealer
	actions *action.Dir
	limits  action.Limits
	// calls are the action calls decoded, by what was sent (actionCall).
	calls *boundedCache[[sha256.Size]byte, *actionCall]

	// Naga only.
	chain    *chain
	hostAddr netip.Addr                     // cfg.Host, IPv4
	bySocket atomic.Pointer[map[string]int] // "ip:port" (nodeSet socketAddress) -> node index, once all listen
	netKey   [32]byte                       // derives the network's stable values
	nagaKeys nagaHandshakeKeys
	// attest signs the nodes' attestations (Config.Attestation); rootsDir
	// holds its roots file until Close.
	attest    *nodeAttestation
	rootsDir  string
	rootsFile string

	// baseCtx is the parent of every request context; Close cancels it so
	// that running actions stop.
	baseCtx    context.Context
	cancelBase context.CancelFunc
	stopWatch  func() bool

	mu        sync.Mutex
	faults    []Fault
	prices    []uint64 // Naga: current price of each node, wei
	closed    bool
	closeOnce sync.Once
	wg        sync.WaitGroup // serving goroutines
}

// Start deals the PKP keys, loads the actions directory and starts every
// node listening. The network runs until Close is called or ctx is done.
func Start(ctx context.Context, cfg Config) (*Network, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("devnet: start: %w", err)
	}
	n := &Network{
		cfg:    cfg,
		proto:  v2Protocol{},
		byKey:  map[string]int{},
		faults: make([]Fault, cfg.Nodes),
		limits: action.Limits{Timeout: cfg.ActionTimeout, MaxCodeSize: cfg.MaxCodeSize, MaxMemory: cfg.ActionMemory},
		prices: cfg.Prices,
		calls:  newBoundedCache[[sha256.Size]byte, *actionCall](maxCachedCalls),
	}
	if cfg.Protocol == ProtocolNaga {
		n.proto = nagaProtocol{}
		n.hostAddr = netip.MustParseAddr(cfg.Host) // checked by withDefaults
	}
	for i, f := range cfg.Faults {
		n.faults[i] = f
	}
	if cfg.ActionsDir != "" {
		if n.actions, err = action.LoadDir(cfg.ActionsDir); err != nil {
			return nil, fmt.Errorf("devnet: start: %w", err)
		}
	}
	if err := n.deal(); err != nil {
		return nil, err
	}
	if cfg.Attestation {
		if err := n.startAttestation(); err != nil {
			return nil, err
		}
	}
	n.baseCtx, n.cancelBase = context.WithCancel(context.WithoutCancel(ctx))
	if cfg.Protocol == ProtocolNaga {
		if n.chain, err = newChain(n); err != nil {
			n.cancelBase()
			n.removeRoots()
			return nil, err
		}
	}
	if err := n.listenAll(); err != nil {
		n.cancelBase()
		n.closeServers()
		n.removeRoots()
		return nil, err
	}
	if cfg.Protocol == ProtocolNaga {
		if err := n.startChain(); err != nil {
			n.cancelBase()
			n.closeServers()
			n.wg.Wait()
			n.removeRoots()
			return nil, err
		}
	}
	n.stopWatch = context.AfterFunc(ctx, func() { _ = n.Close() })
	return n, nil
}

// deal creates the nodes, their key shares and handshake keys, and the
// dealer's nonce key.
func (n *Network) deal() error {
	cfg := n.cfg
	keys := newEntropy(cfg.Seed, "pkp")
	n.nodes = make([]*node, cfg.Nodes)
	for i := range n.nodes {
		n.nodes[i] = &node{net: n, index: i, verified: lit.NewVerifyCache(0),
			lagrange: newBoundedCache[setMask, secp256k1.ModNScalar](maxLagrangeSets),
			nagaSigs: newBoundedCache[[sha256.Size]byte, *nagawire.SessionSigMessage](lit.DefaultVerifyCacheSize),
			v2Addrs:  newBoundedCache[[sha256.Size]byte, string](lit.DefaultVerifyCacheSize),
			authSigs: newBoundedCache[[sha256.Size]byte, lit.AuthSig](maxCachedAuthSigs)}
	}
	for p := 0; p < cfg.PKPs; p++ {
		key, shares, err := dealPKP(keys, cfg.Nodes, cfg.Threshold)
		if err != nil {
			return err
		}
		n.byKey[key.info.PublicKey] = p
		n.pkps = append(n.pkps, key)
		for i, nd := range n.nodes {
			nd.keyShares = append(nd.keyShares, shares[i])
		}
	}
	d, err := newDealer(newEntropy(cfg.Seed, "nonce"), cfg.Nodes, cfg.Threshold, cfg.Now)
	if err != nil {
		return err
	}
	n.dealer = d
	if cfg.Protocol == ProtocolNaga {
		return n.dealNaga()
	}
	hk := newEntropy(cfg.Seed, "handshake")
	hexOf := func(size int) (string, error) {
		b := make([]byte, size)
		if _, err := hk.Read(b); err != nil {
			return "", fmt.Errorf("devnet: handshake keys: %w", err)
		}
		return hex.EncodeToString(b), nil
	}
	// BLS12-381 G1 public keys are 48 bytes; the key set is the commitment
	// of the threshold polynomial. Their values are never used by executeJs.
	subnet, err := hexOf(48)
	if err != nil {
		return err
	}
	keySet, err := hexOf(48 * cfg.Threshold)
	if err != nil {
		return err
	}
	for _, nd := range n.nodes {
		server, err := hexOf(32)
		if err != nil {
			return err
		}
		nd.handshake = handshakeReply{
			ServerPublicKey:     server,
			SubnetPublicKey:     subnet,
			NetworkPublicKey:    subnet,
			NetworkPublicKeySet: keySet,
		}
	}
	return nil
}

// NodeURLs returns each node's base URL (http://Host:port), in node order.
func (n *Network) NodeURLs() []string {
	out := make([]string, len(n.servers))
	for i, s := range n.servers {
		out[i] = s.url
	}
	return out
}

// Protocol is the network's node API, ProtocolV2 or ProtocolNaga.
func (n *Network) Protocol() string { return n.cfg.Protocol }

// Threshold is the number of signature shares a signature needs.
func (n *Network) Threshold() int { return n.cfg.Threshold }

// PKPs returns the public descriptions of the network's PKP keys.
func (n *Network) PKPs() []PKP {
	out := make([]PKP, len(n.pkps))
	for i, k := range n.pkps {
		out[i] = k.info
	}
	return out
}

// Fault returns node i's current fault (the zero Fault for a bad index).
func (n *Network) Fault(i int) Fault {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i < 0 || i >= len(n.faults) {
		return Fault{}
	}
	return n.faults[i]
}

// SetFault replaces node i's fault. Setting Down closes the node's
// listeners and connections; clearing it listens again on the same port.
func (n *Network) SetFault(i int, f Fault) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("devnet: set fault: network closed")
	}
	if i < 0 || i >= len(n.faults) {
		return fmt.Errorf("devnet: set fault: no node %d (%d nodes)", i, len(n.faults))
	}
	old := n.faults[i]
	n.faults[i] = f
	switch {
	case f.Down && !old.Down:
		n.servers[i].stop()
	case !f.Down && old.Down:
		if err := n.servers[i].start(n); err != nil {
			n.faults[i].Down = true
			return fmt.Errorf("devnet: set fault: reopen node %d: %w", i, err)
		}
	}
	return nil
}

// ClearFaults makes every node healthy again.
func (n *Network) ClearFaults() error {
	var errs []error
	for i := range n.cfg.Nodes {
		if err := n.SetFault(i, Fault{}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close stops every node: it stops accepting connections, waits up to 5 s
// for requests in flight, then cancels running actions and closes what is
// left. It is safe to call more than once and concurrently: every call
// returns once the network is down.
func (n *Network) Close() error {
	n.closeOnce.Do(n.shutdown)
	return nil
}

func (n *Network) shutdown() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	if n.stopWatch != nil {
		n.stopWatch()
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range n.servers {
		wg.Go(func() { s.shutdown(ctx) })
	}
	if n.chain != nil {
		wg.Go(func() { n.chain.shutdown(ctx) })
	}
	wg.Wait()
	n.cancelBase()
	n.closeServers()
	n.wg.Wait()
	n.removeRoots()
}

// closeServers stops every node's server that listenAll made (after a
// failed start, those after the failing node are nil).
func (n *Network) closeServers() {
	for _, s := range n.servers {
		if s != nil {
			s.stop()
		}
	}
}

// lookupPKP finds a PKP by public key: uncompressed hex, with or without
// 0x.
func (n *Network) lookupPKP(publicKey string) (int, pkpKey, bool) {
	k := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(publicKey, "0x"), "0X"))
	i, ok := n.byKey[k]
	if !ok {
		return 0, pkpKey{}, false
	}
	return i, n.pkps[i], true
}
