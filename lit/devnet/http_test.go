package devnet

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/lit"
)

func TestHTTPErrors(t *testing.T) {
	n := startNet(t, Config{Nodes: 1, Threshold: 1, MaxBodySize: 4096})
	u := n.NodeURLs()[0]
	s := newSession(t, lit.Capability{})
	sig := sessionSig(t, s, u, "*")
	bodyWith := func(mod func(map[string]any)) []byte {
		b := codeBody(sig, signHello, helloParams(n))
		mod(b)
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		status      int
		code        string
	}{
		{"GET", http.MethodGet, "/web/execute", "", nil, 405, CodeMethodNotAllowed},
		{"OPTIONS", http.MethodOptions, "/web/handshake", "", nil, 405, CodeMethodNotAllowed},
		{"unknown path", http.MethodPost, "/web/pkp/sign", "application/json", []byte(`{}`), 404, CodeNotFound},
		{"not JSON content type", http.MethodPost, "/web/execute", "text/plain", []byte(`{}`), 400, CodeInvalidRequest},
		{"invalid JSON", http.MethodPost, "/web/execute", "application/json", []byte(`{"authSig":`), 400, CodeInvalidRequest},
		{"JSON array", http.MethodPost, "/web/execute", "application/json", []byte(`[]`), 400, CodeInvalidRequest},
		{"trailing data", http.MethodPost, "/web/execute", "application/json", []byte(`{} {}`), 400, CodeInvalidRequest},
		{"too large", http.MethodPost, "/web/execute", "application/json", bytes.Repeat([]byte(" "), 5000), 413, CodeRequestTooLarge},
		{"handshake not JSON", http.MethodPost, "/web/handshake", "application/json", []byte(`test`), 400, CodeInvalidRequest},
		{"no authSig", http.MethodPost, "/web/execute", "application/json", bodyWith(func(b map[string]any) { delete(b, "authSig") }), 400, CodeInvalidRequest},
		{"no code", http.MethodPost, "/web/execute", "application/json", bodyWith(func(b map[string]any) { delete(b, "code") }), 400, CodeInvalidRequest},
		{"code and ipfsId", http.MethodPost, "/web/execute", "application/json",
			bodyWith(func(b map[string]any) { b["ipfsId"] = "QmTBdeNbkJhfeJW2BpiFnQ5zMTcgNCw2pNa1vkJFmN3v5d" }), 400, CodeInvalidRequest},
		{"bad base64", http.MethodPost, "/web/execute", "application/json", bodyWith(func(b map[string]any) { b["code"] = "%%%" }), 400, CodeInvalidRequest},
		{"bad ipfsId", http.MethodPost, "/web/execute", "application/json",
			bodyWith(func(b map[string]any) { delete(b, "code"); b["ipfsId"] = "bafy" }), 400, CodeInvalidRequest},
		{"jsParams not object", http.MethodPost, "/web/execute", "application/json", bodyWith(func(b map[string]any) { b["jsParams"] = []int{1} }), 400, CodeInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, u+tc.path, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			req.Header.Set("X-Request-Id", "lit_err")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(resp.Body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("status %d %q, want %d: %s", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, buf.Bytes())
			}
			e := decodeError(t, buf.Bytes())
			if e.ErrorCode != tc.code || e.Status != tc.status || e.CorrelationID != "lit_err" {
				t.Fatalf("error %+v", e)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	n := startNet(t, Config{Nodes: 3, Threshold: 2})
	var replies []handshakeReply
	for _, u := range n.NodeURLs() {
		status, body := post(t, u+"/web/handshake", map[string]string{"clientPublicKey": "test"}, "lit_hs")
		if status != 200 {
			t.Fatalf("%s: %d %s", u, status, body)
		}
		var r handshakeReply
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{r.ServerPublicKey, r.SubnetPublicKey, r.NetworkPublicKey, r.NetworkPublicKeySet} {
			if _, err := hex.DecodeString(v); err != nil || v == "" || v == "ERR" {
				t.Fatalf("bad key %q", v)
			}
		}
		replies = append(replies, r)
	}
	if replies[0].NetworkPublicKeySet != replies[2].NetworkPublicKeySet || replies[0].SubnetPublicKey != replies[1].SubnetPublicKey {
		t.Fatal("network keys differ between nodes")
	}
	if replies[0].ServerPublicKey == replies[1].ServerPublicKey {
		t.Fatal("server keys are the same on two nodes")
	}
}

// TestIPv6Loopback checks that a node also answers on [::1] (Node.js may
// resolve localhost there), when the machine has an IPv6 loopback.
func TestIPv6Loopback(t *testing.T) {
	n := startNet(t, Config{Nodes: 1, Threshold: 1})
	port := n.NodeURLs()[0][strings.LastIndex(n.NodeURLs()[0], ":")+1:]
	if !n.servers[0].has6() {
		t.Skip("no IPv6 loopback on this machine")
	}
	status, body := post(t, "http://[::1]:"+port+"/web/handshake", map[string]string{"clientPublicKey": "test"}, "")
	if status != 200 {
		t.Fatalf("[::1]: %d %s", status, body)
	}
}
