package devnet

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/litsigner/litsigner/lit/devnet/action"
	"github.com/litsigner/litsigner/lit/internal/nagachain"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// multiSign signs two messages and logs; jsParams and each param are
// globals.
const multiSign = `(async () => {
  await Lit.Actions.signEcdsa({ toSign: new Uint8Array(jsParams.toSign), publicKey, sigName: "sig1" });
  await LitActions.signEcdsa({ toSign: new Uint8Array(toSign2), publicKey: jsParams.publicKey, sigName: "sig2" });
  console.log("two signatures");
  Lit.Actions.setResponse({ response: JSON.stringify({ ok: true }) });
})();`

func multiParams(n *Network) map[string]any {
	d1 := make([]int, 32)
	d2 := make([]int, 32)
	for i := range d1 {
		d1[i], d2[i] = i+1, 200-i
	}
	return map[string]any{"toSign": d1, "toSign2": d2, "publicKey": "0x" + n.PKPs()[0].PublicKey}
}

func TestNagaHandshake(t *testing.T) {
	n := startNaga(t, Config{Nodes: 4, Seed: "hs"})
	hs := func(i int, body any) (int, nagawire.Result, nagawire.HandshakeData) {
		status, raw := post(t, n.NodeURLs()[i]+nagawire.HandshakePath, body, "")
		var res nagawire.Result
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatalf("handshake reply %q: %v", raw, err)
		}
		var d nagawire.HandshakeData
		if res.OK {
			if err := json.Unmarshal(res.Data, &d); err != nil {
				t.Fatal(err)
			}
		}
		return status, res, d
	}
	good := nagawire.HandshakeRequest{ClientPublicKey: "test", Challenge: strings.Repeat("ab", 32), Epoch: 1}
	var first nagawire.HandshakeData
	for i := range 4 {
		status, res, d := hs(i, good)
		if status != 200 || !res.OK || res.Error != nil {
			t.Fatalf("node %d: %d %+v", i, status, res)
		}
		if d.NodeIdentityKey != n.NodeIdentityKeys()[i] || d.Epoch != 1 || !strings.HasPrefix(d.LatestBlockhash, "0x") ||
			len(d.HDRootPubkeys) != 2 || d.SubnetPublicKey == "" || d.NetworkPublicKeySet == "" || string(d.Attestation) != "null" {
			t.Fatalf("node %d: %+v", i, d)
		}
		if i == 0 {
			first = d
		} else if d.LatestBlockhash != first.LatestBlockhash || d.NodeIdentityKey == first.NodeIdentityKey {
			t.Fatalf("node %d: blockhash %s (node 0 %s), identity %s", i, d.LatestBlockhash, first.LatestBlockhash, d.NodeIdentityKey)
		}
	}
	if e, err := n.AdvanceEpoch(); err != nil || e != 2 {
		t.Fatalf("AdvanceEpoch: %d %v", e, err)
	}
	_, _, d := hs(0, good)
	if d.Epoch != 2 || d.LatestBlockhash == first.LatestBlockhash {
		t.Fatalf("after AdvanceEpoch: %+v", d)
	}
	for name, body := range map[string]any{
		"not json":     []byte("{"),
		"no challenge": map[string]any{"clientPublicKey": "test", "epoch": 1},
		"bad hex":      map[string]any{"clientPublicKey": "test", "challenge": "zz"},
	} {
		status, res, _ := hs(0, body)
		if status != http.StatusBadRequest || res.OK || res.ErrorObject == nil || !strings.Contains(*res.ErrorObject, CodeInvalidRequest) {
			t.Errorf("%s: %d %+v", name, status, res)
		}
	}
	// The v2 paths are not served.
	status, _ := post(t, n.NodeURLs()[0]+"/web/execute", map[string]any{}, "")
	if status != http.StatusNotFound {
		t.Errorf("v2 path: %d", status)
	}
}

func TestNagaExecute(t *testing.T) {
	n := startNaga(t, Config{Nodes: 5, Seed: "exec"})
	if n.Threshold() != 3 {
		t.Fatalf("threshold %d", n.Threshold())
	}
	s := newNagaSession(t, time.Now())
	set := cheapest(n, 3)
	replies := runNaga(t, n, s, multiSign, multiParams(n), set)
	for k, r := range replies {
		if r.resp.Response != `{"ok":true}` || r.resp.Logs != "two signatures\n" || !r.resp.Success {
			t.Fatalf("reply %d: %+v", k, r.resp)
		}
		if len(r.resp.PaymentDetail) != 1 || r.resp.PaymentDetail[0].Price.Uint64() != n.Price(set[k]) {
			t.Errorf("reply %d: paymentDetail %+v, price %d", k, r.resp.PaymentDetail, n.Price(set[k]))
		}
		sh := r.resp.SignedData["sig1"]
		if sh.SigType != "EcdsaK256Sha256" || sh.PublicKey != n.PKPs()[0].PublicKey || sh.SigName != "sig1" ||
			!strings.HasPrefix(sh.SignatureShare, `{"EcdsaSignedMessageShare":{"digest":"0102`) {
			t.Fatalf("reply %d: share %+v", k, sh)
		}
	}
	for _, name := range []string{"sig1", "sig2"} {
		sig, pub, _, err := combineNaga(t, replies, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if hex.EncodeToString(pub) != n.PKPs()[0].PublicKey || len(sig) != 65 {
			t.Fatalf("%s: pub %x", name, pub)
		}
	}
	// A request to all 5 nodes works too (any set of at least threshold).
	all := runNaga(t, n, s, multiSign, multiParams(n), []int{0, 1, 2, 3, 4})
	if _, _, _, err := combineNaga(t, all, "sig1"); err != nil {
		t.Fatal(err)
	}
	// No signature: empty signedData.
	r := runNaga(t, n, s, `Lit.Actions.setResponse({response: "hi " + who})`, map[string]any{"who": "there"}, set)
	if r[0].resp.Response != "hi there" || len(r[0].resp.SignedData) != 0 {
		t.Fatalf("%+v", r[0].resp)
	}
}

func TestNagaNodeSetSplit(t *testing.T) {
	n := startNaga(t, Config{Nodes: 6, Seed: "split"}) // threshold 4
	s := newNagaSession(t, time.Now())
	params := multiParams(n)
	a := runNaga(t, n, s, multiSign, params, []int{0, 1, 2, 3})
	b := runNaga(t, n, s, multiSign, params, []int{2, 3, 4, 5})
	if _, _, _, err := combineNaga(t, a, "sig1"); err != nil {
		t.Fatalf("set A: %v", err)
	}
	if _, _, _, err := combineNaga(t, b, "sig1"); err != nil {
		t.Fatalf("set B: %v", err)
	}
	// The same set again gives the same signature (one nonce per digest and set).
	a2 := runNaga(t, n, s, multiSign, params, []int{3, 2, 1, 0})
	sa, _, _, _ := combineNaga(t, a, "sig1")
	sa2, _, _, err := combineNaga(t, a2, "sig1")
	if err != nil || !bytes.Equal(sa, sa2) {
		t.Fatalf("same set, another signature: %v", err)
	}
	// Shares of different sets do not combine.
	mixed := []nagaReply{a[0], a[1], b[2], b[3]}
	if _, _, _, err := combineNaga(t, mixed, "sig1"); err == nil {
		t.Fatal("shares of two node sets combined")
	}
	// A strict subset of a set does not give a valid signature either.
	if _, _, _, err := combineNaga(t, a[:3], "sig1"); err == nil {
		t.Fatal("3 of 4 additive shares combined")
	}
	// Bad node sets are refused.
	for name, tc := range map[string]struct {
		node  int
		set   []nagawire.NodeSetEntry
		code  string
		count int
	}{
		"below threshold": {0, nodeSetOf(n, 0, 1, 2), CodeInvalidRequest, 0},
		"not in set":      {5, nodeSetOf(n, 0, 1, 2, 3), CodeNotInNodeSet, 0},
		"unknown node":    {0, append(nodeSetOf(n, 0, 1, 2), nagawire.NodeSetEntry{SocketAddress: "127.0.0.1:1", Value: 1}), CodeInvalidRequest, 0},
		"duplicate":       {0, nodeSetOf(n, 0, 1, 2, 2), CodeInvalidRequest, 0},
	} {
		req := nagaRequest(t, n, s, tc.node, multiSign, params, nil)
		req.NodeSet = tc.set
		r := nagaExecute(t, n, nagaCall{node: tc.node, req: req})
		if r.status != http.StatusBadRequest || r.result.OK || r.object.ErrorCode != tc.code || !r.sealed {
			t.Errorf("%s: %d %s %+v", name, r.status, r.result.ErrorText(), r.object)
		}
	}
}

func TestNagaRefusals(t *testing.T) {
	n := startNaga(t, Config{Nodes: 3, Seed: "refuse", Prices: []uint64{1000, 2000, 3000}})
	now := time.Now()
	s := newNagaSession(t, now)
	params := multiParams(n)
	set := []int{0, 1, 2}
	withMsg := func(node int, edit func(*nagawire.SessionSigMessage)) nagawire.ExecuteRequest {
		req := nagaRequest(t, n, s, node, multiSign, params, set)
		m := s.sessionMsg(n.NodeURLs()[node], now)
		edit(&m)
		req.AuthSig = s.sign(t, m)
		return req
	}
	other := [32]byte{1}
	oldEpoch := uint64(7)
	cidSession := newNagaSession(t, now, "QmWuDdyPQtUtjn7vwBfXHjPN2pZP4b4W7oLKHwZHWiPbB9")
	tests := []struct {
		name   string
		call   nagaCall
		status int
		code   string
	}{
		{"tampered ciphertext", nagaCall{node: 0, req: nagaRequest(t, n, s, 0, multiSign, params, set), tamper: func(e *nagawire.Envelope) {
			e.Payload.CiphertextAndTag = flipHexDigit(e.Payload.CiphertextAndTag, len(e.Payload.CiphertextAndTag)-1)
		}}, 400, CodeE2EE},
		{"sealed to another key", nagaCall{node: 0, req: nagaRequest(t, n, s, 0, multiSign, params, set), nodeKey: &other}, 400, CodeE2EE},
		{"envelope version", nagaCall{node: 0, req: nagaRequest(t, n, s, 0, multiSign, params, set), tamper: func(e *nagawire.Envelope) { e.Version = "2" }}, 400, CodeE2EE},
		{"wrong epoch", nagaCall{node: 0, req: nagaRequest(t, n, s, 0, multiSign, params, set), epoch: &oldEpoch}, 400, CodeInvalidEpoch},
		{"wrong node address", nagaCall{node: 0, req: nagaRequest(t, n, s, 1, multiSign, params, set)}, 401, CodeInvalidAuthSig},
		{"node address without scheme", nagaCall{node: 0, req: withMsg(0, func(m *nagawire.SessionSigMessage) {
			m.NodeAddress = strings.TrimPrefix(m.NodeAddress, "http://")
		})}, 401, CodeInvalidAuthSig},
		{"expired beyond grace", nagaCall{node: 0, req: withMsg(0, func(m *nagawire.SessionSigMessage) {
			m.Expiration = nagawire.FormatTime(now.Add(-2 * time.Minute))
		})}, 401, CodeInvalidAuthSig},
		{"issued in the future", nagaCall{node: 0, req: withMsg(0, func(m *nagawire.SessionSigMessage) {
			m.IssuedAt = nagawire.FormatTime(now.Add(5 * time.Minute))
		})}, 401, CodeInvalidAuthSig},
		{"maxPrice too low", nagaCall{node: 1, req: withMsg(1, func(m *nagawire.SessionSigMessage) { m.MaxPrice = "0x7cf" })}, 402, CodeMaxPriceTooLow},
		{"maxPrice not hex", nagaCall{node: 1, req: withMsg(1, func(m *nagawire.SessionSigMessage) { m.MaxPrice = "lots" })}, 400, CodeInvalidRequest},
		{"resource not asked", nagaCall{node: 0, req: withMsg(0, func(m *nagawire.SessionSigMessage) {
			m.ResourceAbilityRequests[0].Resource.Resource = "QmWuDdyPQtUtjn7vwBfXHjPN2pZP4b4W7oLKHwZHWiPbB9"
		})}, 401, CodeInvalidAuthSig},
		{"CID not granted", nagaCall{node: 0, req: func() nagawire.ExecuteRequest {
			req := nagaRequest(t, n, cidSession, 0, multiSign, params, set)
			return req
		}()}, 401, CodeInvalidAuthSig},
		{"wallet sig not last", nagaCall{node: 0, req: withMsg(0, func(m *nagawire.SessionSigMessage) {
			m.Capabilities = append(m.Capabilities, nagawire.AuthSig{Sig: "0x00", DerivedVia: "lit.bls", SignedMessage: "x", Address: "0x00"})
		})}, 401, CodeInvalidAuthSig},
		{"bad session signature", nagaCall{node: 0, req: func() nagawire.ExecuteRequest {
			req := nagaRequest(t, n, s, 0, multiSign, params, set)
			req.AuthSig.Sig = flipHexDigit(req.AuthSig.Sig, 0)
			return req
		}()}, 401, CodeInvalidAuthSig},
		{"keySetId", nagaCall{node: 0, req: func() nagawire.ExecuteRequest {
			req := nagaRequest(t, n, s, 0, multiSign, params, set)
			req.KeySetID = "other"
			return req
		}()}, 400, CodeInvalidRequest},
		{"unknown ipfsId", nagaCall{node: 0, req: func() nagawire.ExecuteRequest {
			req := nagaRequest(t, n, s, 0, multiSign, params, set)
			req.Code, req.IPFSID = "", "QmWuDdyPQtUtjn7vwBfXHjPN2pZP4b4W7oLKHwZHWiPbB9"
			return req
		}()}, 404, CodeActionNotFound},
		{"action throws", nagaCall{node: 0, req: nagaRequest(t, n, s, 0, `throw new Error("boom " + x)`, map[string]any{"x": 1}, set)}, 400, CodeJSExecutionError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := nagaExecute(t, n, tc.call)
			if r.status != tc.status || r.result.OK || r.object.ErrorCode != tc.code || r.object.Status != tc.status {
				t.Fatalf("status %d, error %q, object %+v; want %d %s", r.status, r.result.ErrorText(), r.object, tc.status, tc.code)
			}
			if !r.sealed {
				t.Fatal("the error reply is not sealed to the client")
			}
			if string(r.result.Data) != "null" || r.result.Error == nil || *r.result.Error != r.object.Message {
				t.Fatalf("result %+v", r.result)
			}
		})
	}
	// Within the 60 s grace, an expired session is still accepted.
	r := nagaExecute(t, n, nagaCall{node: 0, req: withMsg(0, func(m *nagawire.SessionSigMessage) {
		m.Expiration = nagawire.FormatTime(now.Add(-30 * time.Second))
	})})
	if !r.result.OK {
		t.Fatalf("expired 30 s ago: %+v", r.object)
	}
	// maxPrice equal to the price is enough; the price can change.
	if r := nagaExecute(t, n, nagaCall{node: 1, req: withMsg(1, func(m *nagawire.SessionSigMessage) { m.MaxPrice = "0x7d0" })}); !r.result.OK {
		t.Fatalf("maxPrice = price: %+v", r.object)
	}
	if err := n.SetPrice(1, 2001); err != nil {
		t.Fatal(err)
	}
	if r := nagaExecute(t, n, nagaCall{node: 1, req: withMsg(1, func(m *nagawire.SessionSigMessage) { m.MaxPrice = "0x7d0" })}); r.object.ErrorCode != CodeMaxPriceTooLow {
		t.Fatalf("after SetPrice: %+v", r.object)
	}
	// The payment-refusal knob.
	if err := n.SetFault(2, Fault{RefusePayment: true}); err != nil {
		t.Fatal(err)
	}
	if r := nagaExecute(t, n, nagaCall{node: 2, req: nagaRequest(t, n, s, 2, multiSign, params, set)}); r.status != 402 || r.object.ErrorCode != CodePaymentRefused {
		t.Fatalf("refuse-payment: %d %+v", r.status, r.object)
	}
	// The epoch before the current one is still accepted.
	if _, err := n.AdvanceEpoch(); err != nil {
		t.Fatal(err)
	}
	prev := n.Epoch() - 1
	if r := nagaExecute(t, n, nagaCall{node: 0, req: nagaRequest(t, n, s, 0, multiSign, params, set), epoch: &prev}); !r.result.OK {
		t.Fatalf("previous epoch: %+v", r.object)
	}
}

func TestNagaIPFSSession(t *testing.T) {
	dir := t.TempDir()
	src := `Lit.Actions.setResponse({response: "from ipfs " + jsParams.n})`
	if err := os.WriteFile(filepath.Join(dir, "a.js"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cid, err := action.CIDv0([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	n := startNaga(t, Config{Nodes: 3, Seed: "ipfs", ActionsDir: dir})
	now := time.Now()
	s := newNagaSession(t, now, cid)
	set := []int{0, 1, 2}
	for _, i := range set {
		req := nagaRequest(t, n, s, i, "", map[string]any{"n": 7}, set)
		req.Code, req.IPFSID = "", cid
		m := s.sessionMsg(n.NodeURLs()[i], now)
		m.ResourceAbilityRequests[0].Resource.Resource = cid
		req.AuthSig = s.sign(t, m)
		r := nagaExecute(t, n, nagaCall{node: i, req: req})
		if !r.result.OK || r.resp.Response != "from ipfs 7" {
			t.Fatalf("node %d: %+v %+v", i, r.object, r.resp)
		}
		// The same session cannot run other code.
		req = nagaRequest(t, n, s, i, `Lit.Actions.setResponse({response: "x"})`, nil, set)
		req.AuthSig = s.sign(t, m)
		if r := nagaExecute(t, n, nagaCall{node: i, req: req}); r.object.ErrorCode != CodeInvalidAuthSig {
			t.Fatalf("node %d: inline code under a CID session: %+v", i, r.object)
		}
	}
}

func TestNagaFaults(t *testing.T) {
	n := startNaga(t, Config{Nodes: 4, Seed: "faults", Faults: map[int]Fault{3: {Down: true}}})
	s := newNagaSession(t, time.Now())
	params := multiParams(n)
	set := []int{0, 1, 2}
	// Down: connection refused.
	if _, _, err := handshake(t.Context(), n.NodeURLs()[3]); err == nil {
		t.Fatal("down node answered")
	}
	// Wrong share: the combination fails verification.
	if err := n.SetFault(1, Fault{WrongShare: true}); err != nil {
		t.Fatal(err)
	}
	replies := runNaga(t, n, s, multiSign, params, set)
	if _, _, _, err := combineNaga(t, replies, "sig1"); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("wrong share combined: %v", err)
	}
	// Malformed: 200 and a body that is not JSON.
	if err := n.SetFault(1, Fault{Malformed: true}); err != nil {
		t.Fatal(err)
	}
	status, body := post(t, n.NodeURLs()[1]+nagawire.ExecutePath, map[string]any{}, "")
	if status != 200 || json.Valid(body) {
		t.Fatalf("malformed: %d %q", status, body)
	}
	// HTTP 500: a plaintext {ok:false}.
	if err := n.SetFault(1, Fault{HTTP500: true}); err != nil {
		t.Fatal(err)
	}
	status, body = post(t, n.NodeURLs()[1]+nagawire.HandshakePath, map[string]any{}, "")
	var res nagawire.Result
	if status != 500 || json.Unmarshal(body, &res) != nil || res.OK || !strings.Contains(*res.ErrorObject, CodeSimulatedHTTP500) {
		t.Fatalf("http500: %d %q", status, body)
	}
	// Latency: the reply still comes, sealed and valid.
	if err := n.SetFault(1, Fault{Latency: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	replies = runNaga(t, n, s, multiSign, params, set)
	if _, _, _, err := combineNaga(t, replies, "sig1"); err != nil {
		t.Fatalf("slow node: %v", err)
	}
	if err := n.ClearFaults(); err != nil {
		t.Fatal(err)
	}
	replies = runNaga(t, n, s, multiSign, params, []int{1, 2, 3})
	if _, _, _, err := combineNaga(t, replies, "sig2"); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
}

func TestNagaChain(t *testing.T) {
	n := startNaga(t, Config{Nodes: 4, Seed: "chain", Prices: []uint64{4000, 1000, 3000, 2000}})
	url := n.ChainURL()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("chain URL %q", url)
	}
	str := func(raw json.RawMessage) string {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		return s
	}
	if res, err := rpcCall(t, url, "eth_chainId"); err != nil || str(res) != "0x7a69" {
		t.Fatalf("eth_chainId %s %v", res, err)
	}
	if res, err := rpcCall(t, url, "net_version"); err != nil || str(res) != "31337" {
		t.Fatalf("net_version %s %v", res, err)
	}
	if res, err := rpcCall(t, url, "eth_blockNumber"); err != nil || str(res) != "0x1" {
		t.Fatalf("eth_blockNumber %s %v", res, err)
	}
	c := n.Contracts()
	if ch := n.Chain(); ch.RPCURL != url || ch.ChainID != 31337 || ch.Contracts.Staking != c.Staking.Hex() || ch.Contracts.PriceFeed != "0xAA292E8611aDF267e563f334Ee42320aC96D0463" {
		t.Fatalf("Chain() %+v", ch)
	}
	logFilter := map[string]any{"fromBlock": "0x0", "toBlock": "latest", "address": strings.ToLower(c.Staking.Hex()), "topics": []any{nagachain.StateChangedTopic.Hex()}}
	if res, err := rpcCall(t, url, "eth_getLogs", logFilter); err != nil || string(res) != "[]" {
		t.Fatalf("eth_getLogs %s %v", res, err)
	}
	call := func(to common.Address, data []byte) (json.RawMessage, *rpcErr) {
		return rpcCall(t, url, "eth_call", map[string]any{"to": to.Hex(), "data": hexutil.Encode(data)}, "latest")
	}
	res, rerr := call(c.Staking, nagachain.PackGetValidators(nagachain.DefaultRealmID))
	if rerr != nil {
		t.Fatal(rerr)
	}
	vs, err := nagachain.UnpackValidators(hexutil.MustDecode(str(res)))
	if err != nil {
		t.Fatal(err)
	}
	if vs.Epoch.Number.Uint64() != 1 || vs.MinNodeCount.Int64() != 3 || len(vs.Validators) != 4 {
		t.Fatalf("validators %+v", vs)
	}
	for i, v := range vs.Validators {
		if nagachain.NodeURL("http", v) != n.NodeURLs()[i] {
			t.Errorf("validator %d: %s, node %s", i, nagachain.NodeURL("http", v), n.NodeURLs()[i])
		}
	}
	res, rerr = call(c.PriceFeed, nagachain.PackGetNodesForRequest(nagachain.DefaultRealmID, nagachain.AllProducts))
	if rerr != nil {
		t.Fatal(rerr)
	}
	ps, err := nagachain.UnpackNodesForRequest(hexutil.MustDecode(str(res)))
	if err != nil {
		t.Fatal(err)
	}
	for i, np := range ps.Nodes {
		if np.Validator.SocketAddress() != strings.TrimPrefix(n.NodeURLs()[i], "http://") || len(np.Prices) != 4 ||
			np.Prices[nagachain.ProductLitAction].Uint64() != n.Price(i) {
			t.Errorf("node %d: %+v", i, np)
		}
	}
	if got := cheapest(n, 3); got[0] != 1 || got[1] != 3 || got[2] != 2 {
		t.Errorf("cheapest %v", got)
	}
	// Errors: no code at the address, unknown selector, malformed data, wrong realm.
	if res, err := call(common.HexToAddress("0x1234"), nagachain.PackGetValidators(1)); err != nil || str(res) != "0x" {
		t.Errorf("unknown address: %s %v", res, err)
	}
	for name, tc := range map[string]struct {
		to   common.Address
		data []byte
	}{
		"unknown selector": {c.Staking, []byte{1, 2, 3, 4}},
		"wrong contract":   {c.PriceFeed, nagachain.PackGetValidators(1)},
		"truncated":        {c.Staking, nagachain.PackGetValidators(1)[:10]},
		"realm 2":          {c.Staking, nagachain.PackGetValidators(2)},
		"bad product":      {c.PriceFeed, nagachain.PackGetNodesForRequest(1, []int64{9})},
	} {
		if _, err := call(tc.to, tc.data); err == nil || err.Code != 3 || !strings.HasPrefix(err.Message, "execution reverted") {
			t.Errorf("%s: %+v", name, err)
		}
	}
	if _, err := rpcCall(t, url, "eth_call", map[string]any{"data": "0x"}, "latest"); err == nil || err.Code != -32602 {
		t.Errorf("no to: %+v", err)
	}
	if _, err := rpcCall(t, url, "eth_call", map[string]any{"to": c.Staking.Hex(), "data": "0xzz"}, "latest"); err == nil || err.Code != -32602 {
		t.Errorf("bad hex: %+v", err)
	}
	if _, err := rpcCall(t, url, "eth_getLogs", map[string]any{"fromBlock": "0x5", "toBlock": "0x1"}); err == nil {
		t.Error("inverted range accepted")
	}
	// Epoch change: a StateChanged(Active) log in a new block, and the new epoch.
	if _, err := n.AdvanceEpoch(); err != nil {
		t.Fatal(err)
	}
	if err := n.SetPrice(0, 10); err != nil {
		t.Fatal(err)
	}
	res, rerr = rpcCall(t, url, "eth_getLogs", logFilter)
	var logs []struct {
		Topics      []string `json:"topics"`
		Data        string   `json:"data"`
		BlockNumber string   `json:"blockNumber"`
	}
	if rerr != nil || json.Unmarshal(res, &logs) != nil || len(logs) != 1 || logs[0].BlockNumber != "0x2" {
		t.Fatalf("eth_getLogs after AdvanceEpoch: %s %v", res, rerr)
	}
	if state, err := nagachain.UnpackStateChanged(hexutil.MustDecode(logs[0].Data)); err != nil || state != nagachain.StateActive {
		t.Fatalf("StateChanged data %s: %d %v", logs[0].Data, state, err)
	}
	res, _ = call(c.PriceFeed, nagachain.PackGetNodesForRequest(1, nagachain.AllProducts))
	ps, _ = nagachain.UnpackNodesForRequest(hexutil.MustDecode(str(res)))
	if ps.EpochID.Uint64() != 2 || ps.Nodes[0].Prices[2].Uint64() != 10 {
		t.Fatalf("after epoch/price change: epoch %v price %v", ps.EpochID, ps.Nodes[0].Prices[2])
	}
}

func TestNagaConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"too few nodes":    {Protocol: ProtocolNaga, Nodes: 2},
		"prices count":     {Protocol: ProtocolNaga, Nodes: 3, Prices: []uint64{1}},
		"ipv6 host":        {Protocol: ProtocolNaga, Nodes: 3, Host: "::1"},
		"chain on node":    {Protocol: ProtocolNaga, Nodes: 3, BasePort: 7470, ChainPort: 7471},
		"unknown proto":    {Protocol: "datil"},
		"v2 with prices":   {Nodes: 3, Prices: []uint64{1, 2, 3}},
		"v2 with payment":  {Nodes: 3, Faults: map[int]Fault{0: {RefusePayment: true}}},
		"v2 with balance":  {Nodes: 3, Balance: big.NewInt(1)},
		"v2 with balances": {Nodes: 3, Balances: map[common.Address]*big.Int{{}: big.NewInt(1)}},
		"balance too big":  {Protocol: ProtocolNaga, Nodes: 3, Balance: new(big.Int).Lsh(big.NewInt(1), 255)},
		"nil balance":      {Protocol: ProtocolNaga, Nodes: 3, Balances: map[common.Address]*big.Int{{}: nil}},
	} {
		if _, err := cfg.withDefaults(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	cfg, err := Config{Protocol: ProtocolNaga}.withDefaults()
	if err != nil || cfg.Threshold != 6 || cfg.Epoch != 1 || len(cfg.Prices) != 10 {
		t.Fatalf("%+v %v", cfg, err)
	}
	seen := map[uint64]bool{}
	for _, p := range cfg.Prices {
		seen[p] = true
	}
	if len(seen) != 10 || cfg.Prices[0] < cfg.Prices[1] && cfg.Prices[1] < cfg.Prices[2] && cfg.Prices[2] < cfg.Prices[3] {
		t.Errorf("default prices %v: want distinct and not in port order", cfg.Prices)
	}
}

// flipHexDigit changes the hex digit at i to another one.
func flipHexDigit(s string, i int) string {
	b := []byte(s)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return string(b)
}

// TestNagaStartStopNoLeak starts and stops a Naga network the way another
// package's test does (in-process, free ports), uses every server, and
// requires every goroutine it started to be gone; cancelling Start's
// context stops it too.
func TestNagaStartStopNoLeak(t *testing.T) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	before := runtime.NumGoroutine()
	for _, viaCtx := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		n, err := Start(ctx, Config{Protocol: ProtocolNaga, Nodes: 3, Seed: "leak"})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range append(n.NodeURLs(), n.ChainURL()) {
			resp, err := client.Post(u+nagawire.HandshakePath, "application/json", strings.NewReader(`{"challenge":"ab"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if viaCtx {
			cancel()
		} else {
			if err := n.Close(); err != nil {
				t.Fatal(err)
			}
			cancel()
		}
		_ = n.Close() // returns once the network is down, whoever started closing it
		if _, err := client.Post(n.ChainURL(), "application/json", strings.NewReader(`{}`)); err == nil {
			t.Fatal("chain still answering after Close")
		}
	}
	// One bounded wait: goroutines of closed connections end asynchronously.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, got, buf[:runtime.Stack(buf, true)])
	}
}

// TestOKResultJSON: okResultJSON gives what marshalResult gives for the
// Result NewResult makes of a response, whatever the response's strings
// hold (HTML characters, line separators, escapes, other scripts).
func TestOKResultJSON(t *testing.T) {
	responses := []nagawire.ExecuteResponse{
		{Success: true},
		{Success: true, Response: "<a href=\"x\">&</a>\u2028\u2029\t\\u2028", Logs: "line\nline \u00e9 \U0001F600",
			SignedData:    map[string]nagawire.SignedShare{"sig1": {SigType: nagawire.SigTypeEcdsaK256Sha256, SignatureShare: `{"a":"<b>"}`, SigName: "sig1"}},
			PaymentDetail: []nagawire.PaymentDetail{{Component: "baseAmount", Quantity: 1, Price: big.NewInt(12345)}}},
	}
	for i, resp := range responses {
		reply, err := resp.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		res, err := nagawire.NewResult(json.RawMessage(reply))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := okResultJSON(reply), marshalResult(res); !bytes.Equal(got, want) {
			t.Fatalf("response %d: okResultJSON\n%s\nmarshalResult\n%s", i, got, want)
		}
	}
}
