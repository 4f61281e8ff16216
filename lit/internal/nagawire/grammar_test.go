package nagawire

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

// capture is one request file of the SDK 8.3.1 captures.
type capture struct {
	Body             json.RawMessage `json:"body"`
	DecryptedRequest json.RawMessage `json:"decryptedRequest"`
	PlaintextReply   json.RawMessage `json:"plaintextReply"`
	Reply            json.RawMessage `json:"reply"`
	ReplyStatus      int             `json:"replyStatus"`
}

func loadCapture(t testing.TB, name string) capture {
	t.Helper()
	raw, err := os.ReadFile("testdata/sdk-8.3.1/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var c capture
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func compact(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var executeCaptures = []string{"009-node0-execute.json", "010-node1-execute.json", "011-node2-execute.json"}

// The SDK's executeJs request parses, and marshals back to the SDK's bytes.
func TestExecuteRequestCapture(t *testing.T) {
	for _, name := range executeCaptures {
		c := loadCapture(t, name)
		want := compact(t, c.DecryptedRequest)
		r, err := ParseExecuteRequest(want)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: marshal\n%s\nwant\n%s", name, got, want)
		}
		if r.KeySetID != KeySetID || len(r.NodeSet) != 3 || r.NodeSet[0].SocketAddress != "127.0.0.1:7470" {
			t.Fatalf("%s: parsed %+v", name, r)
		}
		if !strings.Contains(string(r.JSParams), `"sigName":"sig1"`) {
			t.Fatalf("%s: jsParams %s lost the user's object", name, r.JSParams)
		}
	}
}

// The session signature message of the capture parses, marshals back to
// the very bytes the SDK signed, and its ed25519 signature verifies.
func TestSessionSigMessageCapture(t *testing.T) {
	for _, name := range executeCaptures {
		c := loadCapture(t, name)
		r, err := ParseExecuteRequest(compact(t, c.DecryptedRequest))
		if err != nil {
			t.Fatal(err)
		}
		signed := []byte(r.AuthSig.SignedMessage)
		m, err := ParseSessionSigMessage(signed)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, signed) {
			t.Fatalf("%s: marshal\n%s\nwant\n%s", name, got, signed)
		}
		pub, _ := hex.DecodeString(r.AuthSig.Address)
		sig, _ := hex.DecodeString(r.AuthSig.Sig)
		if !ed25519.Verify(pub, signed, sig) {
			t.Fatalf("%s: captured session signature does not verify", name)
		}
		if m.MaxPrice == "" || !strings.HasPrefix(m.NodeAddress, "http://127.0.0.1:747") || m.WalletCapability().DerivedVia != WalletSigDerivedVia {
			t.Fatalf("%s: parsed %+v", name, m)
		}
	}
}

func TestParseSessionSigMessageRejects(t *testing.T) {
	good := `{"sessionKey":"ab","resourceAbilityRequests":[],"capabilities":[{"sig":"","derivedVia":"","signedMessage":"","address":""}],"issuedAt":"a","expiration":"b","nodeAddress":"c","maxPrice":"0x1"}`
	if _, err := ParseSessionSigMessage([]byte(good)); err != nil {
		t.Fatalf("good message: %v", err)
	}
	for name, in := range map[string]string{
		"no maxPrice":     strings.Replace(good, `,"maxPrice":"0x1"`, "", 1),
		"no capabilities": strings.Replace(good, `[{"sig":"","derivedVia":"","signedMessage":"","address":""}]`, "[]", 1),
		"unknown field":   strings.Replace(good, `{"sessionKey"`, `{"extra":1,"sessionKey"`, 1),
		"trailing data":   good + "{}",
		"not JSON":        "hello",
		"wrong type":      strings.Replace(good, `"maxPrice":"0x1"`, `"maxPrice":1`, 1),
	} {
		if _, err := ParseSessionSigMessage([]byte(in)); !errors.Is(err, ErrSessionSigMessage) {
			t.Errorf("%s: error %v, want ErrSessionSigMessage", name, err)
		}
	}
}

func TestParseExecuteRequestRejects(t *testing.T) {
	good := `{"code":"YQ==","jsParams":{"jsParams":{}},"authSig":{"sig":"","derivedVia":"","signedMessage":"","address":""},"nodeSet":[{"socketAddress":"h:1","value":1}],"keySetId":"naga-keyset1"}`
	if _, err := ParseExecuteRequest([]byte(good)); err != nil {
		t.Fatalf("good request: %v", err)
	}
	for name, in := range map[string]string{
		"code and ipfsId": strings.Replace(good, `"code":"YQ=="`, `"code":"YQ==","ipfsId":"Qm"`, 1),
		"neither":         strings.Replace(good, `"code":"YQ==",`, "", 1),
		"no authSig":      strings.Replace(good, `"authSig":{"sig":"","derivedVia":"","signedMessage":"","address":""},`, "", 1),
		"empty nodeSet":   strings.Replace(good, `[{"socketAddress":"h:1","value":1}]`, "[]", 1),
		"no keySetId":     strings.Replace(good, `,"keySetId":"naga-keyset1"`, "", 1),
		"unknown field":   strings.Replace(good, `{"code"`, `{"x":1,"code"`, 1),
		"not JSON":        "[",
	} {
		if _, err := ParseExecuteRequest([]byte(in)); !errors.Is(err, ErrExecuteRequest) {
			t.Errorf("%s: error %v, want ErrExecuteRequest", name, err)
		}
	}
}

type replyData struct {
	OK   bool            `json:"ok"`
	Data ExecuteResponse `json:"data"`
}

// The nodes' shares of the capture parse, re-encode to the same strings,
// and their sum is the signature the SDK's wasm combiner returned.
func TestEcdsaSharesCapture(t *testing.T) {
	var shares []EcdsaShare
	for _, name := range executeCaptures {
		c := loadCapture(t, name)
		var r replyData
		if err := json.Unmarshal(c.PlaintextReply, &r); err != nil {
			t.Fatal(err)
		}
		ss := r.Data.SignedData["sig1"]
		s, err := ParseEcdsaShare(ss.SignatureShare)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, err := EncodeEcdsaShare(s)
		if err != nil {
			t.Fatal(err)
		}
		if again != ss.SignatureShare {
			t.Fatalf("%s: re-encoded\n%s\nwant\n%s", name, again, ss.SignatureShare)
		}
		shares = append(shares, s)
	}
	n := crypto.S256().Params().N
	sum := new(big.Int)
	for _, s := range shares {
		if !bytes.Equal(s.BigR, shares[0].BigR) || s.Digest != shares[0].Digest {
			t.Fatal("shares disagree on R or digest")
		}
		sum.Add(sum, s.S)
	}
	sum.Mod(sum, n)
	if sum.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		sum.Sub(n, sum)
	}
	var result struct {
		Signatures map[string]struct {
			Signature string `json:"signature"`
		} `json:"signatures"`
	}
	raw, err := os.ReadFile("testdata/sdk-8.3.1/012-sdk-executeJs-result.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &result); err != nil {
		t.Fatal(err)
	}
	want := strings.ToUpper(strings.TrimPrefix(result.Signatures["sig1"].Signature, "0x"))
	got := strings.ToUpper(hex.EncodeToString(shares[0].BigR[1:]) + hex.EncodeToString(sum.FillBytes(make([]byte, 32))))
	if got != want {
		t.Fatalf("combined r||s %s\nSDK            %s", got, want)
	}
}

func TestParseEcdsaShareRejects(t *testing.T) {
	c := loadCapture(t, executeCaptures[0])
	var r replyData
	if err := json.Unmarshal(c.PlaintextReply, &r); err != nil {
		t.Fatal(err)
	}
	good := r.Data.SignedData["sig1"].SignatureShare
	big := strings.Repeat("F", 64)
	for name, in := range map[string]string{
		"not JSON":        "{",
		"no share":        `{"Other":{}}`,
		"scalar too big":  strings.Replace(good, `A74DCF9AD9BB90563F20BCEBCAF951AA247CEC9D79472CC9DB964100A979F35A`, big, 1),
		"scalar unquoted": strings.Replace(good, `\"A74DCF9AD9BB90563F20BCEBCAF951AA247CEC9D79472CC9DB964100A979F35A\"`, `A74D`, 1),
		"R off curve":     strings.Replace(good, `02B24992238F30850AA357171358F03E744E0DAA60A23BB79E9DC83419679DF4A3`, "02"+big, 1),
		"short digest":    strings.Replace(good, `8d56004a276045900676061fe2209c2ad6c7ba74a5f2fc36cad076d0fac6f18c`, "8d56", 1),
	} {
		if _, err := ParseEcdsaShare(in); !errors.Is(err, ErrShare) {
			t.Errorf("%s: error %v, want ErrShare", name, err)
		}
	}
}

// The failed reply of the node-error capture is a Result with the
// message and the error object as a JSON string.
func TestErrorResultCapture(t *testing.T) {
	c := loadCapture(t, "error-010-node1-execute.json")
	var r Result
	if err := json.Unmarshal(c.PlaintextReply, &r); err != nil {
		t.Fatal(err)
	}
	if r.OK || r.ErrorText() != "stub: session sig rejected (simulated)" || r.ErrorObject == nil || c.ReplyStatus != 401 {
		t.Fatalf("parsed %+v", r)
	}
	made, err := NewErrorResult(r.ErrorText(), json.RawMessage(*r.ErrorObject))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := marshalJS(made)
	if !bytes.Equal(got, compact(t, c.PlaintextReply)) {
		t.Fatalf("error result\n%s\nwant\n%s", got, compact(t, c.PlaintextReply))
	}
}

func TestHandshakeCapture(t *testing.T) {
	c := loadCapture(t, "003-node0-handshake.json")
	var req HandshakeRequest
	if err := decodeStrict(c.Body, &req); err != nil || req.ClientPublicKey != HandshakeClientPublicKey || len(req.Challenge) != 64 {
		t.Fatalf("request %+v: %v", req, err)
	}
	var r Result
	if err := json.Unmarshal(c.Reply, &r); err != nil || !r.OK {
		t.Fatalf("reply: %v", err)
	}
	var h HandshakeData
	if err := decodeStrict(r.Data, &h); err != nil {
		t.Fatal(err)
	}
	if _, err := h.IdentityKey(); err != nil || h.Epoch != 5 || h.LatestBlockhash == "" {
		t.Fatalf("handshake %+v: %v", h, err)
	}
	got, _ := marshalJS(h)
	if !bytes.Equal(got, compact(t, r.Data)) {
		t.Fatalf("handshake data\n%s\nwant\n%s", got, compact(t, r.Data))
	}
}

func TestMarshalJSLineSeparators(t *testing.T) {
	got, err := marshalJS(map[string]string{"a": "x\u2028y\\u2029<&>"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"a\":\"x\u2028y\\\\u2029<&>\"}"; string(got) != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

// TestUnquoteHexFastPath: the fields plainJSONString takes are decoded as
// json.Unmarshal decodes them, and the others fall through to it.
func TestUnquoteHexFastPath(t *testing.T) {
	tests := []struct {
		field string
		fast  bool
	}{
		{`"0A0b"`, true},
		{`"0x0a0b"`, true},
		{`""`, true},
		{`"zz"`, true}, // plain, then rejected as hex
		{`"0A\u0030B"`, false},
		{` "0A0B"`, false},
		{`"0A0B" `, false},
		{`"0A 0B"`, false},
		{`"0A0B`, false},
		{`0A0B`, false},
		{`"`, false},
		{`"\"`, false},
	}
	for _, tt := range tests {
		inner, fast := plainJSONString(tt.field)
		if fast != tt.fast {
			t.Errorf("%s: fast %v, want %v", tt.field, fast, tt.fast)
		}
		var viaJSON string
		jsonErr := json.Unmarshal([]byte(tt.field), &viaJSON)
		if fast && (jsonErr != nil || viaJSON != inner) {
			t.Errorf("%s: fast path %q, json.Unmarshal %q (%v)", tt.field, inner, viaJSON, jsonErr)
		}
		got, err := unquoteHex(tt.field, 2)
		want, wantErr := unquoteHexViaJSON(tt.field, 2)
		if (err == nil) != (wantErr == nil) || err == nil && !bytes.Equal(got, want) {
			t.Errorf("%s: unquoteHex %x, %v; want %x, %v", tt.field, got, err, want, wantErr)
		}
	}
}

// unquoteHexViaJSON is unquoteHex with every field decoded by
// json.Unmarshal: what its fast path must agree with.
func unquoteHexViaJSON(field string, n int) ([]byte, error) {
	var h string
	if err := json.Unmarshal([]byte(field), &h); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	return b, decodeHexInto(b, h)
}

// FuzzUnquoteHex: unquoteHex gives what decoding every field with
// json.Unmarshal gives.
func FuzzUnquoteHex(f *testing.F) {
	for _, s := range []string{`"0A0b"`, `"0x0a"`, `"0A\u0030B"`, ` "0A"`, `"\""`, `""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		got, err := unquoteHex(field, 2)
		want, wantErr := unquoteHexViaJSON(field, 2)
		if (err == nil) != (wantErr == nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("%q: unquoteHex %x, %v; json.Unmarshal %x, %v", field, got, err, want, wantErr)
		}
	})
}

func FuzzParseEcdsaShare(f *testing.F) {
	c := loadCapture(f, executeCaptures[0])
	var r replyData
	if err := json.Unmarshal(c.PlaintextReply, &r); err != nil {
		f.Fatal(err)
	}
	f.Add(r.Data.SignedData["sig1"].SignatureShare)
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseEcdsaShare(s)
		if err != nil {
			return
		}
		if _, err := EncodeEcdsaShare(sh); err != nil {
			t.Fatalf("parsed share does not re-encode: %v", err)
		}
	})
}

func FuzzParseExecuteRequest(f *testing.F) {
	c := loadCapture(f, executeCaptures[0])
	f.Add([]byte(compact(f, c.DecryptedRequest)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseExecuteRequest(data)
		if err != nil {
			return
		}
		got, err := r.Marshal()
		if err != nil {
			t.Fatalf("parsed request does not marshal: %v", err)
		}
		if want := wholeMarshal(t, r); !bytes.Equal(got, want) {
			t.Fatalf("Marshal\n%s\nencoding/json of the whole request\n%s", got, want)
		}
	})
}

// wholeMarshal encodes r as one struct (wireExecuteRequest), what Marshal
// must give by parts (PreparedRequest).
func wholeMarshal(t testing.TB, r ExecuteRequest) []byte {
	t.Helper()
	nodes := r.NodeSet
	if nodes == nil {
		nodes = []NodeSetEntry{}
	}
	b, err := marshalJS(wireExecuteRequest{Code: r.Code, IPFSID: r.IPFSID, JSParams: &wrappedParams{JSParams: r.JSParams},
		AuthSig: &r.AuthSig, NodeSet: &nodes, KeySetID: &r.KeySetID})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPreparedRequest: one PreparedRequest gives, for each node's authSig,
// the bytes of the whole request encoded at once, whatever the fields
// (omitted code or ipfsId, no parameters, no node set, line separators,
// characters encoding/json escapes).
func TestPreparedRequest(t *testing.T) {
	sigs := []AuthSig{
		{},
		{Sig: "ab", DerivedVia: "litSessionSignViaNacl", SignedMessage: `{"a":"<\u2028>"}`, Address: "0x01", Algo: "ed25519"},
		{Sig: "\u2029\"\\", SignedMessage: "line\nbreak & <tag>"},
	}
	tests := []struct {
		name string
		req  ExecuteRequest
	}{
		{"code", ExecuteRequest{Code: "Y29uc29sZS5sb2coMSk=", JSParams: json.RawMessage(`{"toSign":[1,2],"s":"\u2028 raw \u2028"}`),
			NodeSet: []NodeSetEntry{{SocketAddress: "127.0.0.1:7470", Value: 1}, {SocketAddress: "127.0.0.1:7471", Value: 1}}, KeySetID: KeySetID}},
		{"ipfsId, no params", ExecuteRequest{IPFSID: "QmZ", NodeSet: []NodeSetEntry{{SocketAddress: "h:1", Value: 1}}, KeySetID: KeySetID}},
		{"empty", ExecuteRequest{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.req.Prepare()
			if err != nil {
				t.Fatal(err)
			}
			for i, sig := range sigs {
				got, err := p.With(sig)
				if err != nil {
					t.Fatal(err)
				}
				r := tt.req
				r.AuthSig = sig
				if want := wholeMarshal(t, r); !bytes.Equal(got, want) {
					t.Fatalf("authSig %d: With\n%s\nwhole\n%s", i, got, want)
				}
				if !json.Valid(got) {
					t.Fatalf("authSig %d: not JSON: %s", i, got)
				}
			}
		})
	}
}

func FuzzParseSessionSigMessage(f *testing.F) {
	c := loadCapture(f, executeCaptures[0])
	r, err := ParseExecuteRequest(compact(f, c.DecryptedRequest))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(r.AuthSig.SignedMessage))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseSessionSigMessage(data)
		if err != nil {
			return
		}
		if _, err := m.Marshal(); err != nil {
			t.Fatalf("parsed message does not marshal: %v", err)
		}
	})
}
