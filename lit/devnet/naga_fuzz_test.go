package devnet

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// fuzzNaga starts a small Naga network for a fuzz target.
func fuzzNaga(f *testing.F) *Network {
	n, err := Start(context.Background(), Config{Protocol: ProtocolNaga, Nodes: 3, Seed: "fuzz", ActionTimeout: time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = n.Close() })
	return n
}

// serve runs one request through node 0's handler.
func serve(n *Network, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, n.NodeURLs()[0]+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	n.nodes[0].ServeHTTP(w, req)
	return w
}

// FuzzNagaExecuteBody feeds raw bodies (the untrusted envelope) to the
// execute endpoint: every refusal is a 4xx {ok:false} result, plaintext or
// sealed, never a panic or a 5xx.
func FuzzNagaExecuteBody(f *testing.F) {
	n := fuzzNaga(f)
	s := newNagaSession(f, time.Now())
	kp, _ := nagawire.GenerateKeyPair(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	req := nagaRequest(f, n, s, 0, `Lit.Actions.setResponse({response: "x"})`, map[string]any{}, []int{0, 1, 2})
	plain, _ := req.Marshal()
	env := nagawire.Envelope{Version: "1", Payload: nagawire.Seal(kp, n.nodes[0].naga.identity.Public, plain, [16]byte{1}, time.Now())}
	good, _ := json.Marshal(env)
	f.Add(good)
	f.Add([]byte(`{"version":"1","payload":{"verification_key":"00","random":"","created_at":"","ciphertext_and_tag":""}}`))
	f.Add([]byte(`{"version":"1","payload":null,"epoch":-1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := serve(n, nagawire.ExecutePath, body)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		var res nagawire.Result
		var e nagawire.Envelope
		raw := w.Body.Bytes()
		if json.Unmarshal(raw, &e) == nil && e.Version != "" {
			return // sealed to the sender's key; only that key opens it
		}
		if err := json.Unmarshal(raw, &res); err != nil || res.OK || res.ErrorObject == nil {
			t.Fatalf("plaintext reply %q (%v)", raw, err)
		}
	})
}

// FuzzNagaExecuteRequest seals arbitrary plaintexts to node 0, as a client
// would: the decrypted request parser and the checks behind it must refuse
// bad input with a sealed 4xx {ok:false} the sender can open.
func FuzzNagaExecuteRequest(f *testing.F) {
	n := fuzzNaga(f)
	s := newNagaSession(f, time.Now())
	req := nagaRequest(f, n, s, 0, `Lit.Actions.setResponse({response: "x"})`, map[string]any{"a": 1}, []int{0, 1, 2})
	plain, _ := req.Marshal()
	f.Add(plain)
	req.NodeSet = nil
	plain, _ = req.Marshal()
	f.Add(plain)
	f.Add([]byte(`{"code":"eA==","jsParams":{"jsParams":{}},"authSig":{"sig":"","derivedVia":"","signedMessage":"{}","address":""},"nodeSet":[{"socketAddress":"x","value":1}],"keySetId":"naga-keyset1"}`))
	kp, _ := nagawire.GenerateKeyPair(bytes.NewReader(bytes.Repeat([]byte{9}, 64)))
	f.Fuzz(func(t *testing.T, plaintext []byte) {
		env := nagawire.Envelope{Version: "1", Payload: nagawire.Seal(kp, n.nodes[0].naga.identity.Public, plaintext, [16]byte{2}, time.Now())}
		body, _ := json.Marshal(env)
		w := serve(n, nagawire.ExecutePath, body)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q", w.Code, plaintext)
		}
		var out nagawire.Envelope
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("reply %q: %v", w.Body.Bytes(), err)
		}
		opened, _, err := nagawire.Open(kp, out.Payload)
		if err != nil {
			t.Fatalf("reply does not open: %v", err)
		}
		var res nagawire.Result
		if err := json.Unmarshal(opened, &res); err != nil {
			t.Fatalf("opened reply %q: %v", opened, err)
		}
		if res.OK != (w.Code == http.StatusOK) {
			t.Fatalf("ok %v with status %d", res.OK, w.Code)
		}
	})
}

// FuzzNagaHandshake feeds raw handshake bodies.
func FuzzNagaHandshake(f *testing.F) {
	n := fuzzNaga(f)
	f.Add([]byte(`{"clientPublicKey":"test","challenge":"abcd","epoch":1}`))
	f.Add([]byte(`{"challenge":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := serve(n, nagawire.HandshakePath, body)
		var res nagawire.Result
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatalf("reply %q: %v", w.Body.Bytes(), err)
		}
		if res.OK != (w.Code == http.StatusOK) || (w.Code != 200 && w.Code != 400) {
			t.Fatalf("status %d ok %v", w.Code, res.OK)
		}
	})
}
