package lit

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

// testFault is a misbehaviour of one test node.
type testFault struct {
	Latency      time.Duration
	WrongShare   bool
	Malformed    bool
	HTTP500      bool
	HandshakeERR bool
	Huge         bool // reply larger than the client's limit
	OtherData    bool // claims to have signed other data
}

// testNet is a small v2 network on httptest servers: every node verifies
// the session signature with VerifySessionSig and answers executeJs with a
// real additive share of a real ECDSA signature by the PKP key. The
// "action" is not interpreted (that is the devnet's job): code containing
// "throw" fails like a throwing action, any other code signs
// jsParams.toSign for jsParams.publicKey/sigName and sets a response.
type testNet struct {
	t         testing.TB
	key       *ecdsa.PrivateKey
	threshold int
	urls      []string
	servers   []*httptest.Server
	// signers are the node indexes of the signing set, in share order.
	signers []int

	mu       sync.Mutex
	faults   []testFault
	dealt    map[string]dealtSignature // by request id + sigName
	requests map[string][]string       // request id -> node URLs that saw it
	// slowExecutes counts /web/execute requests that reached a slowed node,
	// cancelled those the client then gave up on.
	slowExecutes, cancelled int
}

func newTestNet(t testing.TB, nodes, threshold int) *testNet {
	t.Helper()
	n := &testNet{t: t, key: testPKP(t), threshold: threshold, faults: make([]testFault, nodes),
		dealt: map[string]dealtSignature{}, requests: map[string][]string{}}
	for i := 0; i < threshold; i++ {
		n.signers = append(n.signers, i)
	}
	for i := 0; i < nodes; i++ {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.serve(i, w, r) }))
		n.servers = append(n.servers, srv)
		n.urls = append(n.urls, srv.URL)
	}
	t.Cleanup(func() {
		for _, s := range n.servers {
			s.Close()
		}
	})
	return n
}

func (n *testNet) network() Network {
	return Network{NodeURLs: n.urls, Threshold: n.threshold, NodeTimeout: 20 * time.Second, CallTimeout: 30 * time.Second}
}

func (n *testNet) setFault(i int, f testFault) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.faults[i] = f
}

// slowCounts returns slowExecutes and cancelled.
func (n *testNet) slowCounts() (seen, cancelled int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.slowExecutes, n.cancelled
}

func (n *testNet) pkpHex() string {
	return hex.EncodeToString(crypto.FromECDSAPub(&n.key.PublicKey))
}

func writeJSONReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func nodeErr(w http.ResponseWriter, status int, kind, code, msg string) {
	writeJSONReply(w, status, map[string]any{"errorKind": kind, "errorCode": code, "status": status, "message": msg, "details": []string{msg}})
}

func (n *testNet) serve(i int, w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	f := n.faults[i]
	id := r.Header.Get("X-Request-Id")
	n.requests[id] = append(n.requests[id], n.urls[i])
	n.mu.Unlock()
	if r.Header.Get("X-Lit-SDK-Version") == "" || r.Header.Get("X-Lit-SDK-Type") != "Typescript" ||
		!strings.HasPrefix(id, "lit_") || r.Header.Get("Content-Type") != "application/json" {
		nodeErr(w, 400, "Validation", "NodeInvalidRequest", "missing SDK headers")
		return
	}
	// Read the body first: only then does net/http notice that the client
	// went away and cancel r.Context().
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	if f.Latency > 0 && r.URL.Path == "/web/execute" {
		n.mu.Lock()
		n.slowExecutes++
		n.mu.Unlock()
	}
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			// Only executes count: a handshake the client gave up on
			// at its threshold may reach us late, after the test set
			// this latency.
			if r.URL.Path == "/web/execute" {
				n.mu.Lock()
				n.cancelled++
				n.mu.Unlock()
			}
			return
		}
	}
	switch {
	case f.HTTP500:
		http.Error(w, "internal failure", http.StatusInternalServerError)
		return
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true,"signedData":{`)
		return
	case f.Huge:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true,"response":"`+strings.Repeat("x", 2<<20)+`"}`)
		return
	}
	switch r.URL.Path {
	case "/web/handshake":
		v := fmt.Sprintf("key-%d", i%2) // two camps; the SDK keeps the most common value
		if i == 0 {
			v = "odd"
		}
		if f.HandshakeERR {
			v = "ERR"
		}
		writeJSONReply(w, 200, map[string]string{"serverPublicKey": v, "subnetPublicKey": "subnet",
			"networkPublicKey": "net", "networkPublicKeySet": "set"})
	case "/web/execute":
		n.execute(i, f, id, w, body)
	default:
		nodeErr(w, 404, "Validation", "NodeEndpointNotFound", "no such endpoint")
	}
}

func (n *testNet) execute(i int, f testFault, id string, w http.ResponseWriter, raw []byte) {
	var body struct {
		AuthSig  AuthSig `json:"authSig"`
		JSParams struct {
			ToSignRaw []int  `json:"toSign"`
			PublicKey string `json:"publicKey"`
			SigName   string `json:"sigName"`
		} `json:"jsParams"`
		Code   string `json:"code"`
		IPFSID string `json:"ipfsId"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		nodeErr(w, 400, "Validation", "NodeInvalidRequest", err.Error())
		return
	}
	resource := "*"
	if body.IPFSID != "" {
		resource = body.IPFSID
	}
	if err := VerifySessionSig(body.AuthSig, n.urls[i], time.Now(), resource); err != nil {
		nodeErr(w, 401, "Unauthorized", "NodeInvalidAuthSig", err.Error())
		return
	}
	code, _ := base64.StdEncoding.DecodeString(body.Code)
	if strings.Contains(string(code), "throw") {
		nodeErr(w, 500, "Execution", "NodeJsExecutionError", "Error: boom")
		return
	}
	reply := map[string]any{"success": true, "decryptedData": map[string]any{},
		"response": `{"ok":true}`, "logs": "hello from the action\n"}
	signed := map[string]Share{}
	if p := body.JSParams; p.SigName != "" {
		toSign := make([]byte, len(p.ToSignRaw))
		for j, b := range p.ToSignRaw {
			toSign[j] = byte(b)
		}
		if !strings.EqualFold(p.PublicKey, n.pkpHex()) {
			nodeErr(w, 400, "Validation", "NodeUnknownPKP", "unknown PKP")
			return
		}
		n.mu.Lock()
		k := id + "/" + p.SigName
		d, ok := n.dealt[k]
		if !ok {
			d = dealSignature(n.t, n.key, toSign, len(n.signers))
			n.dealt[k] = d
		}
		n.mu.Unlock()
		pos := len(n.signers) // not a signer: empty share
		for j, s := range n.signers {
			if s == i {
				pos = j
			}
		}
		sh := d.shareFor(n.key, toSign, p.SigName, pos)
		sh.ShareIndex = i + 1
		if f.WrongShare && sh.SignatureShare != "" {
			sh.SignatureShare = strings.Repeat("7", 64)
		}
		if f.OtherData {
			sh.DataSigned = hex.EncodeToString([]byte("other"))
		}
		signed[p.SigName] = sh
	}
	reply["signedData"] = signed
	writeJSONReply(w, 200, reply)
}
