package devnet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// This file is a minimal Naga client written for the tests from nagawire
// alone (not from package lit), so that the devnet is checked against the
// wire grammar, not against the client it serves.

func startNaga(t *testing.T, cfg Config) *Network {
	t.Helper()
	cfg.Protocol = ProtocolNaga
	cfg.BasePort, cfg.ChainPort = 0, 0
	n, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// nagaSession is an EOA-authorised session: an ed25519 session key and the
// wallet's SIWE+ReCap capability for it.
type nagaSession struct {
	pub        ed25519.PublicKey
	priv       ed25519.PrivateKey
	capability nagawire.AuthSig
}

// newNagaSession builds the SIWE message the SDK builds (domain localhost,
// chain id 1, URI lit:session:<key>, a ReCap granting Threshold/Execution on
// each of grants: "*" or CIDs) and signs it with the test wallet.
func newNagaSession(t testing.TB, now time.Time, grants ...string) *nagaSession {
	t.Helper()
	if len(grants) == 0 {
		grants = []string{"*"}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	att := map[string]any{}
	var stmt []string
	for i, g := range grants {
		att["lit-litaction://"+g] = map[string]any{"Threshold/Execution": []any{map[string]any{}}}
		stmt = append(stmt, fmt.Sprintf("(%d) 'Threshold': 'Execution' for 'lit-litaction://%s'.", i+1, g))
	}
	recap, err := json.Marshal(map[string]any{"att": att, "prf": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	w := newWalletSigner(t)
	msg := "localhost wants you to sign in with your Ethereum account:\n" + w.Address().Hex() + "\n\n" +
		"I further authorize the stated URI to perform the following actions on my behalf: " + strings.Join(stmt, " ") + "\n\n" +
		"URI: lit:session:" + hex.EncodeToString(pub) + "\n" +
		"Version: 1\nChain ID: 1\nNonce: 0x" + strings.Repeat("cd", 32) + "\n" +
		"Issued At: " + nagawire.FormatTime(now.Add(-time.Minute)) + "\n" +
		"Expiration Time: " + nagawire.FormatTime(now.Add(time.Hour)) + "\n" +
		"Resources:\n- urn:recap:" + base64.RawURLEncoding.EncodeToString(recap)
	sig, err := w.SignPersonalMessage(context.Background(), []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	return &nagaSession{pub: pub, priv: priv, capability: nagawire.AuthSig{
		Sig: hexutil.Encode(sig), DerivedVia: nagawire.WalletSigDerivedVia, SignedMessage: msg, Address: w.Address().Hex(),
	}}
}

// sessionMsg is the message the session key signs for one node, with the
// SDK's defaults (wildcard resource, U128-max price, valid for an hour).
func (s *nagaSession) sessionMsg(nodeURL string, now time.Time) nagawire.SessionSigMessage {
	return nagawire.SessionSigMessage{
		SessionKey: hex.EncodeToString(s.pub),
		ResourceAbilityRequests: []nagawire.ResourceAbilityRequest{{
			Resource: nagawire.Resource{ResourcePrefix: "lit-litaction", Resource: "*"}, Ability: "lit-action-execution",
		}},
		Capabilities: []nagawire.AuthSig{s.capability},
		IssuedAt:     nagawire.FormatTime(now),
		Expiration:   nagawire.FormatTime(now.Add(time.Hour)),
		NodeAddress:  nodeURL,
		MaxPrice:     "0x" + strings.Repeat("f", 32),
	}
}

// sign signs m with the session key.
func (s *nagaSession) sign(t testing.TB, m nagawire.SessionSigMessage) nagawire.AuthSig {
	t.Helper()
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return nagawire.AuthSig{
		Sig: hex.EncodeToString(ed25519.Sign(s.priv, raw)), DerivedVia: nagawire.SessionSigDerivedVia,
		SignedMessage: string(raw), Address: hex.EncodeToString(s.pub), Algo: nagawire.SessionSigAlgo,
	}
}

// nagaCall is one execute request to one node, before it is sealed.
type nagaCall struct {
	node    int
	req     nagawire.ExecuteRequest
	epoch   *uint64
	reqID   string
	nodeKey *[32]byte // default: the node's identity key
	tamper  func(*nagawire.Envelope)
}

// nagaReply is a node's answer, opened.
type nagaReply struct {
	status int
	raw    []byte // the HTTP body
	plain  []byte // the opened result
	result nagawire.Result
	resp   nagawire.ExecuteResponse // when result.OK
	object NodeError                // when !result.OK
	sealed bool                     // the body was an envelope we opened
}

// nodeSetOf names the given nodes as the SDK does.
func nodeSetOf(n *Network, nodes ...int) []nagawire.NodeSetEntry {
	var out []nagawire.NodeSetEntry
	for _, i := range nodes {
		out = append(out, nagawire.NodeSetEntry{SocketAddress: strings.TrimPrefix(n.NodeURLs()[i], "http://"), Value: 1})
	}
	return out
}

// nagaRequest is an execute request of code with params over nodes, with a
// session signature for the node being called.
func nagaRequest(t testing.TB, n *Network, s *nagaSession, node int, code string, params any, nodes []int) nagawire.ExecuteRequest {
	t.Helper()
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	return nagawire.ExecuteRequest{
		Code:     base64.StdEncoding.EncodeToString([]byte(code)),
		JSParams: raw,
		AuthSig:  s.sign(t, s.sessionMsg(n.NodeURLs()[node], time.Now())),
		NodeSet:  nodeSetOf(n, nodes...),
		KeySetID: nagawire.KeySetID,
	}
}

// nagaExecute seals and sends one call and opens the reply.
func nagaExecute(t *testing.T, n *Network, c nagaCall) nagaReply {
	t.Helper()
	kp, err := nagawire.GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	nodeKey := n.nodes[c.node].naga.identity.Public
	if c.nodeKey != nil {
		nodeKey = *c.nodeKey
	}
	plain, err := c.req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var random [16]byte
	_, _ = rand.Read(random[:])
	epoch := n.Epoch()
	if c.epoch != nil {
		epoch = *c.epoch
	}
	env := nagawire.Envelope{Version: nagawire.EnvelopeVersion, Payload: nagawire.Seal(kp, nodeKey, plain, random, time.Now()), Epoch: &epoch}
	if c.tamper != nil {
		c.tamper(&env)
	}
	status, body := post(t, n.NodeURLs()[c.node]+nagawire.ExecutePath, env, c.reqID)
	return openReply(t, n, c.node, kp, status, body)
}

// openReply decodes a node's execute reply: a sealed envelope from the
// node's identity key, or a plaintext result.
func openReply(t *testing.T, n *Network, node int, kp nagawire.KeyPair, status int, body []byte) nagaReply {
	t.Helper()
	r := nagaReply{status: status, raw: body}
	var env nagawire.Envelope
	plain := body
	if err := json.Unmarshal(body, &env); err == nil && env.Version != "" {
		p, sender, err := nagawire.Open(kp, env.Payload)
		if err != nil {
			t.Fatalf("node %d: reply does not open: %v", node, err)
		}
		if sender != n.nodes[node].naga.identity.Public {
			t.Fatalf("node %d: reply sealed by %x, not the node's identity key", node, sender)
		}
		plain, r.sealed = p, true
	}
	r.plain = plain
	if err := json.Unmarshal(plain, &r.result); err != nil {
		t.Fatalf("node %d: reply %q is not a result: %v", node, plain, err)
	}
	if r.result.OK {
		if err := json.Unmarshal(r.result.Data, &r.resp); err != nil {
			t.Fatalf("node %d: data %s: %v", node, r.result.Data, err)
		}
	} else if r.result.ErrorObject != nil {
		if err := json.Unmarshal([]byte(*r.result.ErrorObject), &r.object); err != nil {
			t.Fatalf("node %d: errorObject %q: %v", node, *r.result.ErrorObject, err)
		}
	}
	return r
}

// runNaga sends one logical request to every node of nodes, as the SDK
// does, and requires every reply to succeed.
func runNaga(t *testing.T, n *Network, s *nagaSession, code string, params any, nodes []int) []nagaReply {
	t.Helper()
	var out []nagaReply
	for _, i := range nodes {
		r := nagaExecute(t, n, nagaCall{node: i, req: nagaRequest(t, n, s, i, code, params, nodes), reqID: "lit_test"})
		if r.status != http.StatusOK || !r.result.OK || !r.sealed {
			t.Fatalf("node %d: status %d, sealed %v, %s %+v", i, r.status, r.sealed, r.result.ErrorText(), r.object)
		}
		out = append(out, r)
	}
	return out
}

// combineNaga sums the additive shares of sigName (same R required),
// normalises to low s and returns r‖s, the recovery id and the public key.
func combineNaga(t *testing.T, replies []nagaReply, sigName string) (sig []byte, pub []byte, digest [32]byte, err error) {
	t.Helper()
	n := crypto.S256().Params().N
	sum := new(big.Int)
	var bigR []byte
	for i, r := range replies {
		ss, ok := r.resp.SignedData[sigName]
		if !ok {
			return nil, nil, digest, fmt.Errorf("reply %d has no %s", i, sigName)
		}
		sh, perr := nagawire.ParseEcdsaShare(ss.SignatureShare)
		if perr != nil {
			return nil, nil, digest, perr
		}
		if i == 0 {
			bigR, pub, digest = sh.BigR, sh.PublicKey, sh.Digest
		} else if !bytes.Equal(bigR, sh.BigR) || sh.Digest != digest {
			return nil, nil, digest, fmt.Errorf("reply %d: another R or digest", i)
		}
		sum.Add(sum, sh.S)
	}
	sum.Mod(sum, n)
	R, derr := crypto.DecompressPubkey(bigR)
	if derr != nil {
		return nil, nil, digest, derr
	}
	//lint:ignore SA1019 the reference combination needs R's affine coordinates
	rr := new(big.Int).Mod(R.X, n)
	//lint:ignore SA1019 the recovery id is the parity of R.y
	recID := byte(R.Y.Bit(0))
	if sum.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		sum.Sub(n, sum)
		recID ^= 1
	}
	sig = make([]byte, 65)
	rr.FillBytes(sig[:32])
	sum.FillBytes(sig[32:64])
	sig[64] = recID
	if !crypto.VerifySignature(pub, digest[:], sig[:64]) {
		return nil, nil, digest, fmt.Errorf("combined signature does not verify")
	}
	rec, rerr := crypto.Ecrecover(digest[:], sig)
	if rerr != nil || !bytes.Equal(rec, pub) {
		return nil, nil, digest, fmt.Errorf("recovery id: %v", rerr)
	}
	return sig, pub, digest, nil
}

// cheapest returns the k cheapest nodes by price, in price order.
func cheapest(n *Network, k int) []int {
	prices := n.Prices()
	idx := make([]int, len(prices))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return prices[idx[a]] < prices[idx[b]] })
	return idx[:k]
}

// rpcCall posts one JSON-RPC request to the chain.
func rpcCall(t *testing.T, url, method string, params ...any) (json.RawMessage, *rpcErr) {
	t.Helper()
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcErr         `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: reply %q: %v", method, raw, err)
	}
	return out.Result, out.Error
}

type rpcErr struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}
