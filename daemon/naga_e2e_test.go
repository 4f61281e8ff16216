package daemon

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet"
)

// nagaDevConfig is litsignerd --dev --network naga-local on free ports.
func nagaDevConfig(t testing.TB) Config {
	cfg := devConfig(t)
	cfg.Network = NetworkNagaLocal
	return cfg
}

// cheapestNode is the index of the devnet's cheapest node, one of every
// call's chosen nodes.
func cheapestNode(n *devnet.Network) int {
	best := 0
	for i, p := range n.Prices() {
		if p < n.Price(best) {
			best = i
		}
	}
	return best
}

// rawStatus is lit_networkStatus as the socket sends it, parsed both ways.
func rawStatus(t *testing.T, c *ipc.Client) (rpcapi.NetworkStatus, string) {
	t.Helper()
	var raw json.RawMessage
	if err := call(t, c, &raw, "lit_networkStatus"); err != nil {
		t.Fatal(err)
	}
	var ns rpcapi.NetworkStatus
	if err := json.Unmarshal(raw, &ns); err != nil {
		t.Fatal(err)
	}
	return ns, string(raw)
}

// TestNagaDevEndToEnd drives litsignerd --dev --network naga-local through
// its socket: the session approved on the emulated Ledger with the nodes'
// blockhash as SIWE nonce, the seed action, the status, an action error,
// a re-issued call and a payment refusal.
func TestNagaDevEndToEnd(t *testing.T) {
	td := startDaemon(t, nagaDevConfig(t), Options{DevNodes: 5})
	dn := td.inProcessDevnet()
	if dn.Protocol() != devnet.ProtocolNaga || dn.ChainURL() == "" {
		t.Fatalf("--dev --network naga-local started a %s devnet (chain %q)", dn.Protocol(), dn.ChainURL())
	}
	c := dial(t, td.sock)

	// The socket reports the Lit network's chain; the SIWE keeps chain 1.
	var chainID hexutil.Uint64
	if err := call(t, c, &chainID, "eth_chainId"); err != nil || chainID != 31337 {
		t.Fatalf("eth_chainId = %d, %v; want 31337", chainID, err)
	}

	// Before any call: nodes not contacted are unknown, never up:false.
	ns, raw := rawStatus(t, c)
	if ns.Protocol != lit.ProtocolNaga || ns.Name != NetworkNagaLocal || !ns.Dev || len(ns.PKPs) == 0 || ns.Chain == nil ||
		ns.Chain.RPCURL != dn.ChainURL() || ns.Chain.ChainID != 31337 || ns.Payment == nil || ns.Payment.MaxPrice == "" ||
		ns.Payment.Balance != nil || ns.Payment.Note != noteNoSession {
		t.Fatalf("status before the first call: %s", raw)
	}
	if strings.Contains(raw, `"up":false`) {
		t.Fatalf("a node never contacted is reported down: %s", raw)
	}
	for _, n := range ns.Nodes {
		if n.State != lit.NodeUnknown {
			t.Fatalf("node %s is %s before any call", n.URL, n.State)
		}
	}
	pkp := ns.PKPs[0]

	var res rpcapi.ExecuteResult
	if err := call(t, c, &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}); err != nil {
		t.Fatal(err)
	}
	checkNagaHello(t, res, pkp)
	if got := td.devBehaviour().PromptsOf(emulator.PromptSignMessage); got != 1 {
		t.Fatalf("%d prompts on the emulated Ledger, want 1 (the session approval)", got)
	}
	var sst rpcapi.SessionStatus
	if err := call(t, c, &sst, "lit_sessionStatus"); err != nil || sst.State != "active" {
		t.Fatalf("session %+v, %v", sst, err)
	}

	ns, raw = rawStatus(t, c)
	if !ns.Connected || ns.Epoch != dn.Epoch() || ns.Threshold != 3 || len(ns.Nodes) != 5 || ns.Payment.Account != sst.Address ||
		ns.Payment.Balance == nil || *ns.Payment.Balance != devnet.DefaultBalance.String() || ns.Payment.StableBalance == nil ||
		*ns.Payment.StableBalance != devnet.DefaultBalance.String() || ns.Payment.Error != "" || ns.Payment.Note != "" {
		t.Fatalf("status after a call: %s", raw)
	}
	up := 0
	for i, n := range ns.Nodes {
		if n.Price == "" {
			t.Errorf("node %d has no price: %+v", i, n)
		}
		if n.State == lit.NodeUp {
			up++
			if n.Up == nil || !*n.Up || n.LastSeen == nil {
				t.Errorf("node %d: %+v", i, n)
			}
		}
	}
	if up < ns.Threshold {
		t.Fatalf("%d nodes up after a call, want at least %d: %s", up, ns.Threshold, raw)
	}

	// An action error leads with the action's message; per-node detail is in data.
	err := call(t, c, nil, "lit_executeJs", rpcapi.ExecuteJsParams{Code: `throw new Error("boom")`})
	var ie *ipc.Error
	if !errors.As(err, &ie) || ie.Code != rpcapi.CodeActionError || !strings.HasPrefix(ie.Message, "Lit Action failed: Error: boom") {
		t.Fatalf("action error: %v", err)
	}
	if d, _ := ie.Data.(map[string]any); d["kind"] != "action_error" || d["nodes"] == nil {
		t.Fatalf("action error data: %v", ie.Data)
	}

	// A failing cheapest node: the call is re-issued and the status says so.
	if err := dn.SetFault(cheapestNode(dn), devnet.Fault{HTTP500: true}); err != nil {
		t.Fatal(err)
	}
	if err := call(t, c, &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}); err != nil {
		t.Fatalf("call with a failing node: %v", err)
	}
	if ns, raw = rawStatus(t, c); ns.Reissues < 1 || ns.LastReissue == "" {
		t.Fatalf("no re-issue in the status: %s", raw)
	}
	if err := dn.ClearFaults(); err != nil {
		t.Fatal(err)
	}

	// Every node refuses payment: code 4103 with the hint.
	for i := range dn.NodeURLs() {
		if err := dn.SetFault(i, devnet.Fault{RefusePayment: true}); err != nil {
			t.Fatal(err)
		}
	}
	err = call(t, c, nil, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)})
	if !errors.As(err, &ie) || ie.Code != rpcapi.CodePaymentRefused || !strings.Contains(ie.Message, "Ledger contract") {
		t.Fatalf("payment refusal: %v", err)
	}
	if err := dn.ClearFaults(); err != nil {
		t.Fatal(err)
	}

	if got := td.devBehaviour().PromptsOf(emulator.PromptSignMessage); got != 1 {
		t.Fatalf("%d prompts, want the one approval for every call", got)
	}
}

// checkNagaHello verifies the seed action's signature on Naga, whose
// dataSigned is the 32-byte digest the nodes signed (the seed's toSign,
// left-padded).
func checkNagaHello(t *testing.T, res rpcapi.ExecuteResult, pkp rpcapi.PKPInfo) {
	t.Helper()
	sig, ok := res.Signatures["sig1"]
	if !ok {
		t.Fatalf("no sig1 in %+v", res)
	}
	digest, err := hex.DecodeString(strings.TrimPrefix(sig.DataSigned, "0x"))
	want := make([]byte, 32)
	copy(want[32-len("Hello World"):], "Hello World")
	if err != nil || !bytes.Equal(digest, want) {
		t.Fatalf("dataSigned = %s", sig.DataSigned)
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(sig.Signature, "0x"))
	if err != nil || len(raw) != 65 {
		t.Fatalf("signature %q: %v", sig.Signature, err)
	}
	raw[64] -= 27
	pub, err := crypto.Ecrecover(digest, raw)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(pub) != strings.TrimPrefix(strings.ToLower(pkp.PublicKey), "0x") {
		t.Fatalf("recovered %x, want %s", pub, pkp.PublicKey)
	}
}

// TestNagaMaxPriceRefused: a maxPrice below the cheapest node set's price
// is refused before anything is sent, with code 4103.
func TestNagaMaxPriceRefused(t *testing.T) {
	cfg := nagaDevConfig(t)
	cfg.MaxPrice = "10"
	td := startDaemon(t, cfg, Options{DevNodes: 3})
	c := dial(t, td.sock)
	pkp := networkPKP(t, td)
	err := call(t, c, nil, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)})
	var ie *ipc.Error
	if !errors.As(err, &ie) || ie.Code != rpcapi.CodePaymentRefused || !strings.Contains(ie.Message, "maxPrice") {
		t.Fatalf("got %v, want a payment refusal naming maxPrice", err)
	}
	if d, _ := ie.Data.(map[string]any); d["reason"] != lit.ErrPriceTooHigh.Error() || d["hint"] == "" {
		t.Fatalf("data %v", ie.Data)
	}
	if ns, _ := rawStatus(t, c); ns.Payment == nil || ns.Payment.MaxPrice != "10" {
		t.Fatalf("status %+v", ns)
	}
}

// TestExecuteResultShape: lit_executeJs's own type encodes as lit's did
// (the API the README documents).
func TestExecuteResultShape(t *testing.T) {
	in := &lit.ExecuteJSResult{
		Signatures: map[string]lit.Signature{"sig1": {R: "r", S: "s", RecID: 1, Signature: "0xsig", PublicKey: "04pub", DataSigned: "aa"}},
		Response:   map[string]any{"ok": true},
		Logs:       "hello\n",
	}
	want, _ := json.Marshal(in)
	got, _ := json.Marshal(executeResult(in))
	if string(got) != string(want) {
		t.Fatalf("rpcapi.ExecuteResult JSON\n%s\nwant\n%s", got, want)
	}
	const shape = `{"signatures":{"sig1":{"r":"r","s":"s","recid":1,"signature":"0xsig","publicKey":"04pub","dataSigned":"aa"}},"response":{"ok":true},"logs":"hello\n"}`
	if string(got) != shape {
		t.Fatalf("rpcapi.ExecuteResult JSON %s, want %s", got, shape)
	}
}

// TestStatusBeforeFirstCall: v2 nodes never contacted are "unknown", not
// up:false (issue 10 item 4); after a call those that answered are "up".
func TestStatusBeforeFirstCall(t *testing.T) {
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	c := dial(t, td.sock)
	ns, raw := rawStatus(t, c)
	if ns.Protocol != lit.ProtocolV2 || len(ns.Nodes) != 3 || ns.Chain != nil || ns.Payment != nil || strings.Contains(raw, `"up"`) {
		t.Fatalf("status before the first call: %s", raw)
	}
	for _, n := range ns.Nodes {
		if n.State != lit.NodeUnknown {
			t.Fatalf("node %s is %s before any call", n.URL, n.State)
		}
	}
	var res rpcapi.ExecuteResult
	if err := call(t, c, &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(ns.PKPs[0].PublicKey)}); err != nil {
		t.Fatal(err)
	}
	// The call returns at the threshold and cancels the rest: a node whose
	// request was cancelled may still be unknown, but none is down.
	ns, raw = rawStatus(t, c)
	up := 0
	for _, n := range ns.Nodes {
		switch {
		case n.State == lit.NodeUp && n.Up != nil && *n.Up:
			up++
		case n.State == lit.NodeUnknown && n.Up == nil:
		default:
			t.Fatalf("after a call: %s", raw)
		}
	}
	if up < ns.Threshold {
		t.Fatalf("%d nodes up after a call, want at least %d: %s", up, ns.Threshold, raw)
	}
	var chainID hexutil.Uint64
	if err := call(t, c, &chainID, "eth_chainId"); err != nil || chainID != 1 {
		t.Fatalf("v2 eth_chainId = %d, %v; want the chainId key (1)", chainID, err)
	}
}

// TestNagaChainUnreadable: a Naga network whose chain does not answer
// fails the session's first step with code 4104, and no prompt is shown.
func TestNagaChainUnreadable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	cfg := nagaDevConfig(t)
	cfg.Dev = false
	cfg.RPCURL = closed
	cfg.Device = "emulator:ledger"
	cfg.CallTimeout = Duration(10 * time.Second)
	td := startDaemon(t, cfg, Options{})
	c := dial(t, td.sock)
	err = call(t, c, nil, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t)})
	var ie *ipc.Error
	if !errors.As(err, &ie) || ie.Code != rpcapi.CodeChainError || !strings.Contains(ie.Message, closed) {
		t.Fatalf("got %v, want code %d naming %s", err, rpcapi.CodeChainError, closed)
	}
	var sst rpcapi.SessionStatus
	if err := call(t, c, &sst, "lit_sessionStatus"); err != nil || sst.State != "none" || sst.Approvals != 0 {
		t.Fatalf("session %+v, %v", sst, err)
	}
}
