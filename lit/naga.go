package lit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/litsigner/litsigner/lit/attest"
	"github.com/litsigner/litsigner/lit/internal/nagachain"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// Naga defaults.
const (
	// NagaSDKVersion is the SDK release whose Naga wire format this client
	// speaks; X-Lit-SDK-Version is "8.0.0-<network>" as the SDK sends it.
	NagaSDKVersion = "8.3.1"
	// DefaultReissueAfter is how long a Naga call waits for its chosen
	// nodes before it re-issues the call on another node set, when nothing
	// is known of their latency yet. Once latencies are known the deadline
	// is four times the slowest chosen node's execute latency, within
	// [MinReissueAfter, DefaultReissueAfter].
	DefaultReissueAfter = 1500 * time.Millisecond
	// MinReissueAfter is the shortest adaptive re-issue deadline.
	MinReissueAfter = 500 * time.Millisecond
	// nagaStateTTL bounds how long a handshake is trusted when the chain
	// gives no usable epoch end.
	nagaStateTTL = 5 * time.Minute
	// handshakeGrace is how long the handshake waits for the remaining
	// nodes once enough have answered.
	handshakeGrace = time.Second
)

// defaultMaxPrice is the SDK's default user maxPrice: 2^128 - 1 wei.
var defaultMaxPrice = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// NagaNetworkNames lists the built-in Naga networks: naga-dev,
// naga-test, naga-staging, naga (mainnet) and naga-local.
func NagaNetworkNames() []string { return nagachain.NetworkNames() }

// NagaNetwork returns the built-in Naga network called name (see
// NagaNetworkNames) with its chain RPC URL, chain id, contract addresses
// and node URL scheme as the SDK's network packages 8.4.1 publish them.
// Override ChainRPCURL, Staking, PriceFeed or Ledger on the result for another
// deployment. On naga-test, naga-staging and naga, RequiresAttestation is
// set: every handshake verifies the nodes' SEV-SNP attestation.
func NagaNetwork(name string) (Network, error) {
	info, err := nagachain.Lookup(name)
	if err != nil {
		return Network{}, fmt.Errorf("lit: network %q: not a built-in Naga network (%s): %w", name, strings.Join(NagaNetworkNames(), ", "), ErrInvalidParams)
	}
	return Network{
		Name:                info.Name,
		Protocol:            ProtocolNaga,
		ChainRPCURL:         info.RPCURL,
		ChainID:             info.ChainID,
		Staking:             info.Contracts.Staking,
		PriceFeed:           info.Contracts.PriceFeed,
		Ledger:              info.Contracts.Ledger,
		NodeScheme:          info.Scheme,
		RequiresAttestation: info.RequiresAttestation,
	}, nil
}

// nagaDefaults validates a Naga network.
func nagaDefaults(n Network) (Network, protocol, error) {
	bad := func(format string, a ...any) (Network, protocol, error) {
		return n, nil, fmt.Errorf("lit: network %q: "+format+": %w", append(append([]any{n.Name}, a...), ErrInvalidParams)...)
	}
	switch {
	case n.AttestationRoots != "" && n.Name != nagachain.NagaLocal:
		return bad("AttestationRoots replaces AMD's roots for tests and is accepted on %s only", nagachain.NagaLocal)
	case n.AttestationRoots != "" && !n.RequiresAttestation:
		return bad("AttestationRoots is given but RequiresAttestation is not set")
	case len(n.NodeURLs) > 0:
		return bad("Naga nodes come from the chain: NodeURLs must be empty")
	case n.Threshold != 0:
		return bad("Naga thresholds come from the chain: Threshold must be 0")
	case n.ChainRPCURL == "":
		return bad("no chain RPC URL")
	case n.Staking == (common.Address{}) || n.PriceFeed == (common.Address{}):
		return bad("Staking and PriceFeed contract addresses are required")
	case n.MaxPrice != nil && n.MaxPrice.Sign() <= 0:
		return bad("MaxPrice must be positive")
	}
	switch strings.TrimSuffix(n.NodeScheme, "://") {
	case "":
		n.NodeScheme = "https"
	case "http", "https":
		n.NodeScheme = strings.TrimSuffix(n.NodeScheme, "://")
	default:
		return bad("node scheme %q is not http or https", n.NodeScheme)
	}
	if n.MaxPrice != nil {
		n.MaxPrice = new(big.Int).Set(n.MaxPrice)
	} else {
		n.MaxPrice = new(big.Int).Set(defaultMaxPrice)
	}
	return n, &protoNaga{}, nil
}

// protoNaga is the Lit v8 "Naga" protocol (described in lit/PROTOCOL-naga.md).
type protoNaga struct {
	mu  sync.Mutex
	eth *ethclient.Client
	// attest verifies the nodes' attestations; nil when the network
	// requires none.
	attest *attest.Options
	// hdr is the requests' extra header (nagaHeader), made once: the
	// client renders a header map once (Client.renderedHeader).
	hdr http.Header
}

// header returns the requests' extra header on network name.
func (p *protoNaga) header(name string) http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hdr == nil {
		p.hdr = nagaHeader(name)
	}
	return p.hdr
}

func (*protoNaga) name() string { return ProtocolNaga }

// nagaNode is the per-node state of a Naga handshake.
type nagaNode struct {
	identity [32]byte
	socket   string // host:port, for the nodeSet
}

// nagaCall is the per-call state: the node's identity key, and the box
// key between it and the call's request key, which sealed the request and
// opens the reply.
type nagaCall struct {
	identity [32]byte
	shared   *nagawire.SharedKey
}

// nagaHeader is the SDK 8.x request headers for network name.
func nagaHeader(name string) http.Header {
	if name == nagachain.NagaLocal {
		name = "custom" // what the SDK's nagaLocal module calls itself
	}
	return http.Header{"X-Lit-Sdk-Version": {"8.0.0-" + name}, "X-Lit-Sdk-Type": {"Typescript"}}
}

// chainNodes is what the chain says about the node set.
type chainNodes struct {
	epoch    uint64
	endTime  time.Time
	minNodes int
	urls     []string
	sockets  map[string]string
	prices   map[string]*big.Int // LIT_ACTION price by URL
}

// ethClient dials the chain RPC once.
func (p *protoNaga) ethClient(ctx context.Context, c *Client) (*ethclient.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eth == nil {
		eth, err := ethclient.DialContext(ctx, c.net.ChainRPCURL)
		if err != nil {
			return nil, fmt.Errorf("chain %s: %w", c.net.ChainRPCURL, err)
		}
		p.eth = eth
	}
	return p.eth, nil
}

// readChain reads the validators and their prices (the SDK's two
// eth_calls).
func (p *protoNaga) readChain(ctx context.Context, c *Client) (*chainNodes, error) {
	eth, err := p.ethClient(ctx, c)
	if err != nil {
		return nil, err
	}
	staking, feed := c.net.Staking, c.net.PriceFeed
	out, err := eth.CallContract(ctx, ethereum.CallMsg{To: &staking, Data: nagachain.PackGetValidators(nagachain.DefaultRealmID)}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: chain: Staking.getActiveUnkickedValidatorStructsAndCounts: %w", ErrChain, err)
	}
	vs, err := nagachain.UnpackValidators(out)
	if err != nil {
		return nil, fmt.Errorf("%w: chain: Staking validators: %w", ErrChain, err)
	}
	if vs.MinNodeCount == nil || vs.MinNodeCount.Sign() <= 0 || !vs.MinNodeCount.IsInt64() {
		return nil, fmt.Errorf("%w: chain: Staking reports a minimum node count of %v", ErrChain, vs.MinNodeCount)
	}
	cn := &chainNodes{minNodes: int(vs.MinNodeCount.Int64()), sockets: map[string]string{}, prices: map[string]*big.Int{}}
	if len(vs.Validators) < cn.minNodes {
		return nil, fmt.Errorf("%w: chain: %d active validators, fewer than the minimum of %d", ErrChain, len(vs.Validators), cn.minNodes)
	}
	if n := vs.Epoch.Number; n != nil && n.IsUint64() {
		cn.epoch = n.Uint64()
	}
	if e := vs.Epoch.EndTime; e != nil && e.IsInt64() && e.Int64() > 0 {
		cn.endTime = time.Unix(e.Int64(), 0)
	}
	for _, v := range vs.Validators {
		u := nagachain.NodeURL(c.net.NodeScheme, v)
		if _, dup := cn.sockets[u]; dup {
			continue
		}
		cn.urls = append(cn.urls, u)
		cn.sockets[u] = v.SocketAddress()
	}
	out, err = eth.CallContract(ctx, ethereum.CallMsg{To: &feed, Data: nagachain.PackGetNodesForRequest(nagachain.DefaultRealmID, nagachain.AllProducts)}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: chain: PriceFeed.getNodesForRequest: %w", ErrChain, err)
	}
	ps, err := nagachain.UnpackNodesForRequest(out)
	if err != nil {
		return nil, fmt.Errorf("%w: chain: PriceFeed prices: %w", ErrChain, err)
	}
	col := -1
	for i, id := range nagachain.AllProducts {
		if id == nagachain.ProductLitAction {
			col = i
		}
	}
	for _, np := range ps.Nodes {
		if col < len(np.Prices) && np.Prices[col] != nil {
			cn.prices[nagachain.NodeURL(c.net.NodeScheme, np.Validator)] = new(big.Int).Set(np.Prices[col])
		}
	}
	return cn, nil
}

// ErrChain reports that the network's chain could not be read or gave an
// unusable node set.
var ErrChain = errors.New("chain unreadable")

// blockhashRE is the SDK's check of latestBlockhash.
var blockhashRE = regexp.MustCompile(`^0x[0-9a-fA-F]+$`)

// nagaHello is one good handshake.
type nagaHello struct {
	url  string
	data nagawire.HandshakeData
	key  [32]byte
}

// connect reads the node set from the chain and handshakes every node.
// When the nodes announce another epoch than the chain's, the chain is
// read again once.
func (p *protoNaga) connect(ctx context.Context, c *Client) (*netState, error) {
	var st *netState
	var err error
	for try := 0; try < 2; try++ {
		var cn *chainNodes
		if cn, err = p.readChain(ctx, c); err != nil {
			return nil, err
		}
		c.setNodes(cn.urls, cn.prices)
		var newer bool
		st, newer, err = p.handshake(ctx, c, cn)
		if err != nil || !newer {
			break
		}
		c.log.Info("lit: nodes announce a newer epoch than the chain, reading it again", "network", c.net.Name, "epoch", cn.epoch)
	}
	if err != nil {
		return nil, err
	}
	c.log.Info("lit: connected", "network", c.net.Name, "protocol", ProtocolNaga, "epoch", st.epoch,
		"nodes", len(st.nodes), "threshold", st.threshold)
	return st, nil
}

// handshake handshakes cn's nodes; newer reports that most nodes are in
// a later epoch than cn.
func (p *protoNaga) handshake(ctx context.Context, c *Client, cn *chainNodes) (st *netState, newer bool, err error) {
	var challenge [32]byte
	if _, err := rand.Read(challenge[:]); err != nil {
		return nil, false, fmt.Errorf("handshake challenge: %w", err)
	}
	body, err := json.Marshal(nagawire.HandshakeRequest{ClientPublicKey: nagawire.HandshakeClientPublicKey,
		Challenge: hex.EncodeToString(challenge[:]), Epoch: cn.epoch})
	if err != nil {
		return nil, false, err
	}
	hdr := p.header(c.net.Name)
	calls := make([]*nodeCall, len(cn.urls))
	for i, u := range cn.urls {
		calls[i] = &nodeCall{url: u, path: nagawire.HandshakePath, header: hdr, body: [][]byte{body},
			check: func(ctx context.Context, r nodeResult) (any, error) { return p.checkHello(ctx, c, r, challenge) }}
	}
	// As the SDK: enough nodes for max(3, floor(2n/3)) of the n listed.
	need := max(nagachain.MinimumThreshold, len(cn.urls)*2/3)
	var good []nagaHello
	var reasons []NodeReason
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var grace *time.Timer
	defer func() {
		if grace != nil {
			grace.Stop()
		}
	}()
	c.fanOut(hctx, newRequestID(), calls, func(r nodeResult) bool {
		err := r.err
		if err == nil {
			err = r.checkErr
		}
		if err != nil {
			var refused *attest.Error
			switch {
			case errors.As(err, &refused):
				c.noteAttestation(r.call.url, err)
			case r.err == nil:
				c.noteError(r.call.url, err)
			}
			reasons = append(reasons, NodeReason{Node: r.call.url, Err: err})
			return len(calls)-len(reasons) < need
		}
		good = append(good, r.checked.(nagaHello))
		if len(good) >= need && grace == nil {
			// Enough to go on: give the others a moment, not NodeTimeout.
			grace = time.AfterFunc(handshakeGrace, cancel)
		}
		return false
	})
	if len(good) < need {
		urls := make([]string, 0, len(good))
		for _, h := range good {
			urls = append(urls, h.url)
		}
		err := belowThreshold(ctx, "handshake", need, cn.urls, urls, reasons)
		if refusedAny(reasons) {
			err = fmt.Errorf("%w: %w", ErrAttestation, err)
		}
		return nil, false, err
	}
	epochs := map[uint64]int{}
	var hashes, subnet, netKey, netSet []string
	for _, h := range good {
		epochs[h.data.Epoch]++
		hashes = append(hashes, h.data.LatestBlockhash)
		subnet = append(subnet, h.data.SubnetPublicKey)
		netKey = append(netKey, h.data.NetworkPublicKey)
		netSet = append(netSet, h.data.NetworkPublicKeySet)
	}
	later := 0
	for e, n := range epochs {
		if e > cn.epoch {
			later += n
		}
	}
	if 2*later > len(good) {
		return nil, true, nil
	}
	sort.Slice(good, func(i, j int) bool { return good[i].url < good[j].url })
	// The SDK takes max(3, floor(2c/3)) of the c nodes that answered, so
	// with nodes missing it sends fewer requests than the key's threshold,
	// which the nodes refuse (their signing set must reach the threshold
	// of the whole validator set). We keep the validator set's threshold
	// and use the extra nodes that answered for re-issues.
	st = &netState{threshold: need, epoch: cn.epoch}
	for _, h := range good {
		st.nodes = append(st.nodes, nodeState{url: h.url, price: cn.prices[h.url],
			ext: nagaNode{identity: h.key, socket: cn.sockets[h.url]}})
		st.info.ConnectedNodes = append(st.info.ConnectedNodes, h.url)
	}
	st.info.LatestBlockhash, _ = mostCommon(hashes)
	st.info.SubnetPublicKey, _ = mostCommon(subnet)
	st.info.NetworkPublicKey, _ = mostCommon(netKey)
	st.info.NetworkPublicKeySet, _ = mostCommon(netSet)
	st.info.Threshold, st.info.Epoch = st.threshold, st.epoch
	now := c.now()
	st.expires = now.Add(nagaStateTTL)
	if cn.endTime.After(now) && cn.endTime.Before(st.expires) {
		st.expires = cn.endTime
	}
	return st, false, nil
}

// decodeHandshake parses one node's handshake reply.
func decodeHandshake(url string, status int, body []byte) (nagaHello, error) {
	var res nagawire.Result
	if err := json.Unmarshal(body, &res); err != nil {
		if status < 200 || status > 299 {
			return nagaHello{}, &NodeError{Status: status, Message: clip(strings.TrimSpace(string(body)))}
		}
		return nagaHello{}, fmt.Errorf("handshake reply: %v: %w", err, ErrBadReply)
	}
	if !res.OK || status < 200 || status > 299 {
		return nagaHello{}, nagaResultError(status, res)
	}
	var h nagawire.HandshakeData
	if err := json.Unmarshal(res.Data, &h); err != nil {
		return nagaHello{}, fmt.Errorf("handshake reply: data: %v: %w", err, ErrBadReply)
	}
	key, err := h.IdentityKey()
	if err != nil {
		return nagaHello{}, fmt.Errorf("handshake reply: nodeIdentityKey: %v: %w", err, ErrBadReply)
	}
	if !blockhashRE.MatchString(h.LatestBlockhash) || len(h.LatestBlockhash) > 130 {
		return nagaHello{}, fmt.Errorf("handshake reply: latestBlockhash %q is not 0x-hex: %w", clip(h.LatestBlockhash), ErrBadReply)
	}
	return nagaHello{url: url, data: h, key: key}, nil
}

// close closes the chain connection.
func (p *protoNaga) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eth != nil {
		p.eth.Close()
		p.eth = nil
	}
}
