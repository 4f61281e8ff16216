package lit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/litsigner/litsigner/lit/internal/nagachain"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// nagaFault is a misbehaviour of one Naga test node.
type nagaFault struct {
	Latency      time.Duration // before answering an execute
	HTTP500      bool          // plaintext 500 on execute
	WrongShare   bool          // a share that does not combine
	WrongKey     bool          // seal the reply with another key
	Garbage      bool          // a reply that is not an envelope
	PaymentPrice bool          // refuse: price above maxPrice
	NoBalance    bool          // refuse: no balance
	NewerEpoch   bool          // refuse: wrong epoch
	HandshakeBad bool          // a handshake without nodeIdentityKey
}

// nagaTestNet is a Naga network built from nagawire and nagachain: a
// chain (go-ethereum rpc) answering the two discovery eth_calls, and
// nodes that open sealed requests, check the session signature as a node
// does (ed25519 over the exact bytes, nodeAddress, maxPrice against their
// price, the wallet capability), "run" the action (code containing
// "throw" fails like a throwing action; other code signs jsParams.toSign)
// and split a real ECDSA signature additively over the request's nodeSet.
type nagaTestNet struct {
	t       testing.TB
	pkp     *ecdsa.PrivateKey
	chain   *httptest.Server
	servers []*httptest.Server
	urls    []string
	keys    []nagawire.KeyPair
	prices  []int64

	mu        sync.Mutex
	epoch     uint64
	faults    []nagaFault
	dealt     map[string]dealtSignature // by nodeSet + digest
	executes  map[string]int            // by node URL
	sets      [][]string                // nodeSets seen, sorted socket addresses
	chainRead int
	cancelled int
}

func newNagaTestNet(t testing.TB, nodes int) *nagaTestNet {
	t.Helper()
	n := &nagaTestNet{t: t, pkp: testPKP(t), epoch: 7, faults: make([]nagaFault, nodes),
		dealt: map[string]dealtSignature{}, executes: map[string]int{}}
	for i := 0; i < nodes; i++ {
		kp, err := nagawire.GenerateKeyPair(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		n.keys = append(n.keys, kp)
		n.prices = append(n.prices, 1000+int64(i)*100)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.serve(i, w, r) }))
		n.servers = append(n.servers, srv)
		n.urls = append(n.urls, srv.URL)
	}
	rs := rpc.NewServer()
	if err := rs.RegisterName("eth", &nagaTestChain{n: n}); err != nil {
		t.Fatal(err)
	}
	n.chain = httptest.NewServer(rs)
	t.Cleanup(func() {
		n.chain.Close()
		rs.Stop()
		for _, s := range n.servers {
			s.Close()
		}
	})
	return n
}

var (
	testStaking   = common.HexToAddress("0x00000000000000000000000000000000000000a1")
	testPriceFeed = common.HexToAddress("0x00000000000000000000000000000000000000b2")
)

func (n *nagaTestNet) network() Network {
	return Network{Name: "naga-test-net", Protocol: ProtocolNaga, ChainRPCURL: n.chain.URL, ChainID: 31337,
		Staking: testStaking, PriceFeed: testPriceFeed, NodeScheme: "http",
		NodeTimeout: 20 * time.Second, CallTimeout: 30 * time.Second,
		// No re-issue for slowness unless a test asks: load must not
		// change what a test sees.
		ReissueAfter: 25 * time.Second}
}

func (n *nagaTestNet) setFault(i int, f nagaFault) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.faults[i] = f
}

func (n *nagaTestNet) pkpHex() string {
	return hex.EncodeToString(crypto.FromECDSAPub(&n.pkp.PublicKey))
}

func (n *nagaTestNet) validator(i int) nagachain.Validator {
	u, err := url.Parse(n.urls[i])
	if err != nil {
		n.t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(u.Host)
	ip, _ := nagachain.IPv4(ap.Addr())
	return nagachain.Validator{IP: ip, Port: uint32(ap.Port()), NodeAddress: common.BigToAddress(big.NewInt(int64(i + 1)))}
}

// nagaTestChain is the chain's eth namespace.
type nagaTestChain struct{ n *nagaTestNet }

// CallArgs is the part of eth_call's first argument the chain reads.
type CallArgs struct {
	To    *common.Address `json:"to"`
	Data  hexutil.Bytes   `json:"data"`
	Input hexutil.Bytes   `json:"input"`
}

// Call answers eth_call for Staking and PriceFeed.
func (c *nagaTestChain) Call(args CallArgs, _ *string) (hexutil.Bytes, error) {
	n := c.n
	data := args.Input
	if len(data) == 0 {
		data = args.Data
	}
	call, err := nagachain.DecodeCall(data)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.chainRead++
	epoch := n.epoch
	n.mu.Unlock()
	switch {
	case call.Method == nagachain.MethodGetValidators && args.To != nil && *args.To == testStaking:
		set := nagachain.ValidatorSet{MinNodeCount: big.NewInt(3), Epoch: nagachain.Epoch{Number: new(big.Int).SetUint64(epoch),
			EndTime: big.NewInt(time.Now().Add(time.Hour).Unix())}}
		for i := range n.urls {
			set.Validators = append(set.Validators, n.validator(i))
		}
		return nagachain.PackValidators(set)
	case call.Method == nagachain.MethodGetNodesForRequest && args.To != nil && *args.To == testPriceFeed:
		set := nagachain.PriceSet{EpochID: new(big.Int).SetUint64(epoch), MinNodeCount: big.NewInt(3)}
		for i := range n.urls {
			p := big.NewInt(n.prices[i])
			set.Nodes = append(set.Nodes, nagachain.NodePrices{Validator: n.validator(i), Prices: []*big.Int{p, p, p, p}})
		}
		return nagachain.PackNodesForRequest(set)
	}
	return nil, fmt.Errorf("no such contract call")
}

func (n *nagaTestNet) serve(i int, w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	f := n.faults[i]
	epoch := n.epoch
	n.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	if r.Header.Get("X-Lit-Sdk-Type") != "Typescript" || !strings.HasPrefix(r.Header.Get("X-Lit-Sdk-Version"), "8.0.0-") {
		http.Error(w, "missing SDK headers", 400)
		return
	}
	switch r.URL.Path {
	case nagawire.HandshakePath:
		var req nagawire.HandshakeRequest
		if err := json.Unmarshal(body, &req); err != nil || len(req.Challenge) != 64 || req.ClientPublicKey != "test" {
			http.Error(w, "bad handshake", 400)
			return
		}
		key := hex.EncodeToString(n.keys[i].Public[:])
		if f.HandshakeBad {
			key = ""
		}
		res, _ := nagawire.NewResult(nagawire.HandshakeData{ServerPublicKey: "s", SubnetPublicKey: "subnet", NetworkPublicKey: "net",
			NetworkPublicKeySet: "set", ClientSDKVersion: "8.3.1", HDRootPubkeys: []string{}, LatestBlockhash: "0xfeedbeef00112233",
			NodeIdentityKey: key, NodeVersion: "test", Epoch: epoch})
		writeJSONReply(w, 200, res)
	case nagawire.ExecutePath:
		n.execute(i, f, epoch, w, r, body)
	default:
		http.Error(w, "no such endpoint", 404)
	}
}

// reply seals res to the client's key and writes it with status.
func (n *nagaTestNet) reply(i int, f nagaFault, w http.ResponseWriter, status int, client [32]byte, res nagawire.Result) {
	plain, err := json.Marshal(res)
	if err != nil {
		n.t.Error(err)
		return
	}
	sender := n.keys[i]
	if f.WrongKey {
		sender, _ = nagawire.GenerateKeyPair(rand.Reader)
	}
	var random [16]byte
	_, _ = rand.Read(random[:])
	writeJSONReply(w, status, nagawire.Envelope{Version: "1", Payload: nagawire.Seal(sender, client, plain, random, time.Now())})
}

func (n *nagaTestNet) fail(i int, f nagaFault, w http.ResponseWriter, status int, client [32]byte, msg, kind, code string) {
	res, _ := nagawire.NewErrorResult(msg, map[string]any{"errorKind": kind, "errorCode": code, "status": status})
	n.reply(i, f, w, status, client, res)
}

func (n *nagaTestNet) execute(i int, f nagaFault, epoch uint64, w http.ResponseWriter, r *http.Request, raw []byte) {
	var env nagawire.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		http.Error(w, "not an envelope", 400)
		return
	}
	plain, client, err := nagawire.Open(n.keys[i], env.Payload)
	if err != nil {
		http.Error(w, "does not decrypt", 400)
		return
	}
	n.mu.Lock()
	n.executes[n.urls[i]]++
	n.mu.Unlock()
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			n.mu.Lock()
			n.cancelled++
			n.mu.Unlock()
			return
		}
	}
	switch {
	case f.HTTP500:
		http.Error(w, "internal failure", 500)
		return
	case f.Garbage:
		writeJSONReply(w, 200, map[string]any{"ok": true})
		return
	case f.PaymentPrice:
		n.fail(i, f, w, 402, client, "price 5000 exceeds maxPrice", "Payment", "NodePriceTooHigh")
		return
	case f.NoBalance:
		n.fail(i, f, w, 402, client, "insufficient balance and no payment delegation", "Payment", "NodeInsufficientBalance")
		return
	case f.NewerEpoch || env.Epoch == nil || *env.Epoch != epoch:
		n.fail(i, f, w, 400, client, "request for a stale epoch", "Validation", "NodeWrongEpoch")
		return
	}
	req, err := nagawire.ParseExecuteRequest(plain)
	if err != nil {
		n.fail(i, f, w, 400, client, err.Error(), "Validation", "NodeInvalidRequest")
		return
	}
	if err := n.checkSessionSig(i, req); err != nil {
		n.fail(i, f, w, 401, client, err.Error(), "Validation", "NodeInvalidAuthSigSessionKeySignature")
		return
	}
	code, _ := base64.StdEncoding.DecodeString(req.Code)
	if strings.Contains(string(code), "throw") {
		n.fail(i, f, w, 400, client, "Error: boom", "Validation", "NodeJsExecutionError")
		return
	}
	var params struct {
		ToSign    []int  `json:"toSign"`
		PublicKey string `json:"publicKey"`
		SigName   string `json:"sigName"`
	}
	_ = json.Unmarshal(req.JSParams, &params)
	resp := nagawire.ExecuteResponse{Success: true, SignedData: map[string]nagawire.SignedShare{},
		Response: `{"ok":true}`, Logs: "hello from the action\n",
		PaymentDetail: []nagawire.PaymentDetail{{Component: "baseAmount", Quantity: 1, Price: big.NewInt(n.prices[i])}}}
	if params.SigName != "" {
		var digest [32]byte // toSign left-padded, as in the v2 tests
		if len(params.ToSign) > 32 {
			n.fail(i, f, w, 400, client, "toSign is longer than 32 bytes", "Validation", "NodeInvalidRequest")
			return
		}
		for j, b := range params.ToSign {
			digest[32-len(params.ToSign)+j] = byte(b)
		}
		set := make([]string, len(req.NodeSet))
		for j, e := range req.NodeSet {
			set[j] = e.SocketAddress
		}
		sort.Strings(set)
		pos := -1
		for j, s := range set {
			if s == n.validator(i).SocketAddress() {
				pos = j
			}
		}
		if pos < 0 {
			n.fail(i, f, w, 400, client, "not in the nodeSet", "Validation", "NodeNotInSet")
			return
		}
		key := strings.Join(set, ",") + "/" + hex.EncodeToString(digest[:])
		n.mu.Lock()
		d, ok := n.dealt[key]
		if !ok {
			d = dealSignature(n.t, n.pkp, digest[:], len(set))
			n.dealt[key] = d
			n.sets = append(n.sets, set)
		}
		n.mu.Unlock()
		s := d.shares[pos]
		if f.WrongShare {
			s = big.NewInt(7)
		}
		//lint:ignore SA1019 the dealer holds R as affine coordinates; go-ethereum compresses only an ecdsa.PublicKey
		rpub := crypto.CompressPubkey(&ecdsa.PublicKey{Curve: crypto.S256(), X: d.rx, Y: d.ry})
		enc, err := nagawire.EncodeEcdsaShare(nagawire.EcdsaShare{Digest: digest, Result: "success", ShareID: strconv.Itoa(pos + 1),
			PeerID: strconv.Itoa(i), S: s, BigR: rpub, PublicKey: crypto.FromECDSAPub(&n.pkp.PublicKey), SigType: nagawire.SigTypeEcdsaK256Sha256})
		if err != nil {
			n.t.Error(err)
			return
		}
		resp.SignedData[params.SigName] = nagawire.SignedShare{SigType: nagawire.SigTypeEcdsaK256Sha256, SignatureShare: enc,
			PublicKey: n.pkpHex(), SigName: params.SigName}
	}
	res, err := nagawire.NewResult(resp)
	if err != nil {
		n.t.Error(err)
		return
	}
	n.reply(i, f, w, 200, client, res)
}

// checkSessionSig checks the request's session signature as a node does.
func (n *nagaTestNet) checkSessionSig(i int, req nagawire.ExecuteRequest) error {
	sig := req.AuthSig
	msg, err := nagawire.ParseSessionSigMessage([]byte(sig.SignedMessage))
	if err != nil {
		return err
	}
	pub, err := hex.DecodeString(sig.Address)
	if err != nil || len(pub) != ed25519.PublicKeySize || msg.SessionKey != sig.Address {
		return fmt.Errorf("bad session key")
	}
	s, err := hex.DecodeString(sig.Sig)
	if err != nil || !ed25519.Verify(pub, []byte(sig.SignedMessage), s) {
		return fmt.Errorf("ed25519 signature does not verify")
	}
	if msg.NodeAddress != n.urls[i] {
		return fmt.Errorf("nodeAddress %s is not this node", msg.NodeAddress)
	}
	maxPrice, ok := new(big.Int).SetString(strings.TrimPrefix(msg.MaxPrice, "0x"), 16)
	if !ok || maxPrice.Cmp(big.NewInt(n.prices[i])) < 0 {
		return fmt.Errorf("maxPrice %s below the node's price", msg.MaxPrice)
	}
	resource := "*"
	if req.IPFSID != "" {
		resource = req.IPFSID
	}
	return VerifyCapability(AuthSig(msg.WalletCapability()), msg.SessionKey, time.Now(), resource)
}

// executesAt counts the execute requests node i received.
func (n *nagaTestNet) executesAt(i int) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.executes[n.urls[i]]
}

// newNagaTestClient connects a client and a session whose SIWE nonce is
// the nodes' blockhash.
func newNagaTestClient(t testing.TB, n *nagaTestNet, net Network) (*Client, *Session) {
	t.Helper()
	c, err := NewClient(net)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	nonce, err := c.SessionNonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c, newTestSession(t, SessionOptions{Nonce: nonce})
}

func bigInt(v int64) *big.Int { return big.NewInt(v) }

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// openPlan opens every call of p with the test nodes' keys and returns
// the session-signature messages.
func (n *nagaTestNet) openPlan(t testing.TB, p *callPlan) []nagawire.SessionSigMessage {
	t.Helper()
	var out []nagawire.SessionSigMessage
	for _, call := range p.calls {
		i := slices.Index(n.urls, call.url)
		var env nagawire.Envelope
		if err := json.Unmarshal(bytes.Join(call.body, nil), &env); err != nil {
			t.Fatal(err)
		}
		plain, _, err := nagawire.Open(n.keys[i], env.Payload)
		if err != nil {
			t.Fatal(err)
		}
		req, err := nagawire.ParseExecuteRequest(plain)
		if err != nil {
			t.Fatal(err)
		}
		m, err := nagawire.ParseSessionSigMessage([]byte(req.AuthSig.SignedMessage))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}
