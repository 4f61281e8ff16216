package lit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/litsigner/litsigner/lit/internal/nagachain"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// The SDK 8.3.1 captures (three nodes priced 1000/2000/3000, epoch 5) as
// the nagawire and nagachain packages keep them.
const (
	nagaCaptureDir  = "internal/nagawire/testdata/sdk-8.3.1/"
	chainCaptureDir = "internal/nagachain/testdata/"
)

// nagaCapture is one captured execute request.
type nagaCapture struct {
	Node             string            `json:"node"`
	Headers          map[string]string `json:"headers"`
	Body             json.RawMessage   `json:"body"`
	DecryptedRequest json.RawMessage   `json:"decryptedRequest"`
	PlaintextReply   json.RawMessage   `json:"plaintextReply"`
	ReplyStatus      int               `json:"replyStatus"`
}

func loadNagaCapture(t testing.TB, name string) nagaCapture {
	t.Helper()
	raw, err := os.ReadFile(nagaCaptureDir + name)
	if err != nil {
		t.Fatal(err)
	}
	var c nagaCapture
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// replayChain answers the two discovery eth_calls with the captured
// replies, after checking the calldata is the captured calldata.
type replayChain struct {
	t       testing.TB
	replies map[string]string // calldata hex -> reply hex
}

func (r *replayChain) Call(args CallArgs, _ *string) (hexutil.Bytes, error) {
	data := args.Input
	if len(data) == 0 {
		data = args.Data
	}
	rep, ok := r.replies[hex.EncodeToString(data)]
	if !ok {
		r.t.Errorf("unexpected eth_call data %x", data)
		return nil, nil
	}
	return hexutil.Decode(rep)
}

func readHexFile(t testing.TB, name string) string {
	t.Helper()
	raw, err := os.ReadFile(chainCaptureDir + name)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(s, "0x") {
		s = "0x" + s
	}
	return s
}

// captureChain serves the happy-path capture's chain.
func captureChain(t testing.TB) string {
	t.Helper()
	rc := &replayChain{t: t, replies: map[string]string{}}
	for _, f := range []string{"happy3-validators", "happy3-nodes-for-request"} {
		rc.replies[strings.TrimPrefix(readHexFile(t, f+".call.hex"), "0x")] = readHexFile(t, f+".reply.hex")
	}
	rs := rpc.NewServer()
	if err := rs.RegisterName("eth", rc); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rs)
	t.Cleanup(func() { srv.Close(); rs.Stop() })
	return srv.URL
}

// TestNagaMatchesCapture plans the captured call on the captured chain and
// checks every node's request against what the SDK sent: the nodeSet, the
// keySetId, the nested jsParams, the code, and each session signature's
// message byte for byte once the inputs the SDK chose at random (session
// key, times, wallet signature) are the same.
func TestNagaMatchesCapture(t *testing.T) {
	net, err := NagaNetwork("naga-local")
	if err != nil {
		t.Fatal(err)
	}
	net.ChainRPCURL = captureChain(t)
	c, err := NewClient(net)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := c.proto.(*protoNaga)
	cn, err := p.readChain(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	wantURLs := []string{"http://127.0.0.1:7470", "http://127.0.0.1:7471", "http://127.0.0.1:7472"}
	if !reflect.DeepEqual(cn.urls, wantURLs) || cn.epoch != 5 || cn.minNodes != 3 {
		t.Fatalf("chain: %+v", cn)
	}
	// Our own node keys stand in for the stub's (not recorded), so the
	// test can open what the client sealed.
	st := &netState{threshold: nagachain.Threshold(3), epoch: cn.epoch}
	keys := map[string]nagawire.KeyPair{}
	for i, u := range cn.urls {
		if want := int64(1000 * (i + 1)); cn.prices[u].Int64() != want {
			t.Fatalf("price of %s = %v, want %d", u, cn.prices[u], want)
		}
		kp, err := nagawire.GenerateKeyPair(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[u] = kp
		st.nodes = append(st.nodes, nodeState{url: u, price: cn.prices[u], ext: nagaNode{identity: kp.Public, socket: cn.sockets[u]}})
	}
	captures := []nagaCapture{loadNagaCapture(t, "009-node0-execute.json"), loadNagaCapture(t, "010-node1-execute.json"), loadNagaCapture(t, "011-node2-execute.json")}
	var sdkReq struct {
		Code     string          `json:"code"`
		JSParams json.RawMessage `json:"jsParams"`
		AuthSig  AuthSig         `json:"authSig"`
		NodeSet  json.RawMessage `json:"nodeSet"`
		KeySetID string          `json:"keySetId"`
	}
	if err := json.Unmarshal(captures[0].DecryptedRequest, &sdkReq); err != nil {
		t.Fatal(err)
	}
	var wrapped struct {
		JSParams map[string]any `json:"jsParams"`
	}
	if err := json.Unmarshal(sdkReq.JSParams, &wrapped); err != nil {
		t.Fatal(err)
	}
	code, _ := base64Decode(sdkReq.Code)
	s := newTestSession(t, SessionOptions{})
	ra := LitActionRequest("*")
	plan, err := p.plan(c, st, s, ra, ExecuteJSRequest{Code: string(code), JSParams: wrapped.JSParams}, nil, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.calls) != 3 || plan.need != 3 || plan.price.Int64() != 6000 {
		t.Fatalf("plan %+v", plan)
	}
	for i, call := range plan.calls {
		capt := captures[i]
		if call.url != capt.Node || call.path != nagawire.ExecutePath {
			t.Fatalf("call %d to %s%s, SDK %s", i, call.url, call.path, capt.Node)
		}
		if call.header.Get("X-Lit-Sdk-Version") != capt.Headers["x-lit-sdk-version"] || call.header.Get("X-Lit-Sdk-Type") != capt.Headers["x-lit-sdk-type"] {
			t.Fatalf("headers %v, SDK %v", call.header, capt.Headers)
		}
		// The envelope has the SDK's shape.
		var ours, sdk map[string]any
		if err := json.Unmarshal(bytes.Join(call.body, nil), &ours); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(capt.Body, &sdk); err != nil {
			t.Fatal(err)
		}
		if shape(ours) != shape(sdk) || ours["epoch"] != sdk["epoch"] {
			t.Fatalf("envelope shape %s, SDK %s", shape(ours), shape(sdk))
		}
		var env nagawire.Envelope
		if err := json.Unmarshal(bytes.Join(call.body, nil), &env); err != nil {
			t.Fatal(err)
		}
		plain, _, err := nagawire.Open(keys[call.url], env.Payload)
		if err != nil {
			t.Fatal(err)
		}
		var got, want map[string]any
		if err := json.Unmarshal(plain, &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(capt.DecryptedRequest, &want); err != nil {
			t.Fatal(err)
		}
		gotSig, wantSig := got["authSig"].(map[string]any), want["authSig"].(map[string]any)
		delete(got, "authSig")
		delete(want, "authSig")
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("request to %s:\n ours %v\n SDK  %v", call.url, got, want)
		}
		if shape(gotSig) != shape(wantSig) || gotSig["derivedVia"] != wantSig["derivedVia"] || gotSig["algo"] != wantSig["algo"] {
			t.Fatalf("authSig %v, SDK %v", gotSig, wantSig)
		}
		// The signed message: same bytes as the SDK's for the SDK's inputs.
		sdkMsg, err := nagawire.ParseSessionSigMessage([]byte(wantSig["signedMessage"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		ourMsg, err := nagawire.ParseSessionSigMessage([]byte(gotSig["signedMessage"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		if ourMsg.MaxPrice != sdkMsg.MaxPrice || ourMsg.NodeAddress != sdkMsg.NodeAddress {
			t.Fatalf("maxPrice %s nodeAddress %s, SDK %s %s", ourMsg.MaxPrice, ourMsg.NodeAddress, sdkMsg.MaxPrice, sdkMsg.NodeAddress)
		}
		maxPrice, _ := new(big.Int).SetString(strings.TrimPrefix(ourMsg.MaxPrice, "0x"), 16)
		m := nagaSessionSigMessage(sdkMsg.SessionKey, nil, AuthSig(sdkMsg.WalletCapability()), []ResourceAbilityRequest{ra},
			sdkMsg.IssuedAt, sdkMsg.Expiration, call.url, maxPrice)
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != wantSig["signedMessage"].(string) {
			t.Fatalf("signed message:\n ours %s\n SDK  %s", b, wantSig["signedMessage"])
		}
	}
}

// TestNagaCombinesCapturedShares decodes the three captured replies and
// combines their shares into the signature the SDK's wasm produced.
func TestNagaCombinesCapturedShares(t *testing.T) {
	var shares []ecdsaShare
	for _, f := range []string{"009-node0-execute.json", "010-node1-execute.json", "011-node2-execute.json"} {
		c := loadNagaCapture(t, f)
		rep, err := decodeNagaResult(c.ReplyStatus, c.PlaintextReply)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, rep.Shares["sig1"])
	}
	sig, err := combineECDSA("sig1", shares)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(nagaCaptureDir + "012-sdk-executeJs-result.json")
	if err != nil {
		t.Fatal(err)
	}
	var sdk struct {
		Signatures map[string]struct {
			Signature  string `json:"signature"`
			RecoveryID int    `json:"recoveryId"`
			PublicKey  string `json:"publicKey"`
			SignedData string `json:"signedData"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(raw, &sdk); err != nil {
		t.Fatal(err)
	}
	want := sdk.Signatures["sig1"]
	if !strings.EqualFold("0x"+sig.R+sig.S, want.Signature) || sig.RecID != want.RecoveryID ||
		"0x"+sig.PublicKey != want.PublicKey || "0x"+sig.DataSigned != want.SignedData {
		t.Fatalf("ours %+v\nSDK %+v", sig, want)
	}
	// The captured error reply is a *NodeError with the node's status and code.
	c := loadNagaCapture(t, "error-010-node1-execute.json")
	_, err = decodeNagaResult(c.ReplyStatus, c.PlaintextReply)
	var ne *NodeError
	if !errorsAs(err, &ne) || ne.Status != 401 || ne.Code != "NodeInvalidAuthSigSessionKeySignature" || !strings.Contains(ne.Message, "session sig rejected") {
		t.Fatalf("err = %v", err)
	}
}

// shape is a map's sorted keys, recursively for objects.
func shape(m map[string]any) string {
	keys := sortedKeys(m)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		if sub, ok := m[k].(map[string]any); ok {
			b.WriteString("{" + shape(sub) + "}")
		}
		b.WriteString(",")
	}
	return b.String()
}

// TestNagaChainErrors serves chains whose answers a client must refuse.
func TestNagaChainErrors(t *testing.T) {
	v := nagachain.Validator{IP: 0x7f000001, Port: 1}
	tests := []struct {
		name string
		set  nagachain.ValidatorSet
	}{
		{"minimum node count 0", nagachain.ValidatorSet{MinNodeCount: big.NewInt(0), Validators: []nagachain.Validator{v, v, v}}},
		{"fewer validators than the minimum", nagachain.ValidatorSet{MinNodeCount: big.NewInt(3), Validators: []nagachain.Validator{v}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, err := nagachain.PackValidators(tt.set)
			if err != nil {
				t.Fatal(err)
			}
			rc := &replayChain{t: t, replies: map[string]string{
				hex.EncodeToString(nagachain.PackGetValidators(nagachain.DefaultRealmID)): hexutil.Encode(reply)}}
			rs := rpc.NewServer()
			if err := rs.RegisterName("eth", rc); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(rs)
			defer srv.Close()
			defer rs.Stop()
			net, _ := NagaNetwork("naga-local")
			net.ChainRPCURL = srv.URL
			c, err := NewClient(net)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Connect(context.Background()); !errors.Is(err, ErrChain) || strings.Count(err.Error(), "lit:") != 1 {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
