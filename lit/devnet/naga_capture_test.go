package devnet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// sdkCapture is testdata/naga-sdk-execute-node7470.json: a request the real
// SDK 8.3.1 sent (decrypted) and the reply the capture stub sent back.
type sdkCapture struct {
	Node             string          `json:"node"`
	DecryptedRequest json.RawMessage `json:"decryptedRequest"`
	PlaintextReply   json.RawMessage `json:"plaintextReply"`
}

func loadCapture(t *testing.T) sdkCapture {
	t.Helper()
	raw, err := os.ReadFile("testdata/naga-sdk-execute-node7470.json")
	if err != nil {
		t.Fatal(err)
	}
	var c sdkCapture
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNagaCapturedSDKRequest replays the session signature the real SDK
// made (ed25519 by its session key, SIWE+ReCap by Anvil account #1): the
// node accepts it as addressed to http://127.0.0.1:7470 at capture time,
// then the action fails only because the SDK asked for the capture stub's
// PKP; for another node, or after expiry plus grace, it is refused.
func TestNagaCapturedSDKRequest(t *testing.T) {
	c := loadCapture(t)
	req, err := nagawire.ParseExecuteRequest(c.DecryptedRequest)
	if err != nil {
		t.Fatal(err)
	}
	var clock testClock
	captured := time.Date(2026, 12, 2, 10, 55, 0, 0, time.UTC)
	clock.Shift(time.Until(captured))
	n := startNaga(t, Config{Nodes: 3, Seed: "capture", Now: clock.Now, AdvertiseURLs: [][]string{
		{"http://127.0.0.1:7470"}, {"http://127.0.0.1:7471"}, {"http://127.0.0.1:7472"},
	}})
	r := nagaExecute(t, n, nagaCall{node: 0, req: req})
	if r.status != http.StatusBadRequest || r.object.ErrorCode != CodeJSExecutionError || !strings.Contains(r.object.Message, "not a PKP of this devnet") {
		t.Fatalf("captured request at node 7470: %d %+v", r.status, r.object)
	}
	r = nagaExecute(t, n, nagaCall{node: 1, req: req})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.object.Message, "nodeAddress") {
		t.Fatalf("captured request at node 7471: %d %+v", r.status, r.object)
	}
	clock.Shift(time.Until(time.Date(2026, 12, 2, 11, 55, 30, 0, time.UTC))) // expiration 11:54:09.290 + 60 s grace
	r = nagaExecute(t, n, nagaCall{node: 0, req: req})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.object.Message, "expired") {
		t.Fatalf("captured request after expiry: %d %+v", r.status, r.object)
	}
}

// TestNagaReplyShape compares our decrypted execute reply with the captured
// one key by key, in order, down into the JSON-in-JSON share.
func TestNagaReplyShape(t *testing.T) {
	c := loadCapture(t)
	n := startNaga(t, Config{Nodes: 3, Seed: "shape"})
	s := newNagaSession(t, time.Now())
	code := `(async () => { await Lit.Actions.signEcdsa({ toSign: new Uint8Array(jsParams.toSign), publicKey: jsParams.publicKey, sigName: jsParams.sigName }); Lit.Actions.setResponse({ response: JSON.stringify({ hello: "from the devnet", node: 1 }) }); console.log("x"); })();`
	params := map[string]any{"toSign": multiParams(n)["toSign"], "publicKey": "0x" + n.PKPs()[0].PublicKey, "sigName": "sig1"}
	r := runNaga(t, n, s, code, params, []int{0, 1, 2})
	want, got := jsonShape(t, c.PlaintextReply), jsonShape(t, r[0].plain)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("reply shape differs from the capture:\n got  %v\n want %v", got, want)
	}
}

// jsonShape lists every value's path and JSON type, in document order;
// strings holding a JSON object (the share) are expanded.
func jsonShape(t *testing.T, raw []byte) []string {
	t.Helper()
	var out []string
	var walk func(path string, dec *json.Decoder)
	walk = func(path string, dec *json.Decoder) {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				out = append(out, path+":object")
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						t.Fatal(err)
					}
					walk(path+"."+k.(string), dec)
				}
			case '[':
				out = append(out, path+":array")
				for i := 0; dec.More(); i++ {
					walk(fmt.Sprintf("%s[%d]", path, i), dec)
				}
			}
			if _, err := dec.Token(); err != nil { // closing delimiter
				t.Fatal(err)
			}
		case string:
			if strings.HasPrefix(v, "{") && json.Valid([]byte(v)) {
				walk(path+"<json>", json.NewDecoder(bytes.NewReader([]byte(v))))
				return
			}
			out = append(out, path+":string")
		case float64, json.Number:
			out = append(out, path+":number")
		case bool:
			out = append(out, path+":bool")
		case nil:
			out = append(out, path+":null")
		}
	}
	walk("", json.NewDecoder(bytes.NewReader(raw)))
	return out
}
