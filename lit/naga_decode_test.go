package lit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// sealedReply seals plain from node to client as a node does.
func sealedReply(t *testing.T, from nagawire.KeyPair, to [32]byte, plain string) []byte {
	t.Helper()
	var random [16]byte
	_, _ = rand.Read(random[:])
	b, err := json.Marshal(nagawire.Envelope{Version: "1", Payload: nagawire.Seal(from, to, []byte(plain), random, time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNagaDecodeErrors(t *testing.T) {
	node, _ := nagawire.GenerateKeyPair(rand.Reader)
	other, _ := nagawire.GenerateKeyPair(rand.Reader)
	client, _ := nagawire.GenerateKeyPair(rand.Reader)
	call := &nodeCall{url: "http://n", ext: nagaCall{identity: node.Public, shared: nagawire.NewIdentity(client).SharedKey(node.Public)}}
	errObj := func(msg, obj string) string {
		b, _ := json.Marshal(map[string]any{"ok": false, "error": msg, "errorObject": obj, "data": nil})
		return string(b)
	}
	good := loadNagaCapture(t, "009-node0-execute.json")
	share := func(mod func(m map[string]any)) string {
		var res map[string]any
		_ = json.Unmarshal(good.PlaintextReply, &res)
		sig := res["data"].(map[string]any)["signedData"].(map[string]any)["sig1"].(map[string]any)
		mod(sig)
		b, _ := json.Marshal(res)
		return string(b)
	}
	tests := []struct {
		name   string
		status int
		body   []byte
		check  func(error) bool
	}{
		{"plain-text 502", 502, []byte("bad gateway"), func(err error) bool {
			var ne *NodeError
			return errors.As(err, &ne) && ne.Status == 502 && ne.Message == "bad gateway"
		}},
		{"plain JSON 200", 200, []byte(`{"ok":true}`), func(err error) bool { return errors.Is(err, ErrBadReply) }},
		{"envelope version 2", 200, []byte(`{"version":"2","payload":{"ciphertext_and_tag":"00"}}`), func(err error) bool { return errors.Is(err, ErrBadReply) }},
		{"sealed by another key", 200, sealedReply(t, other, client.Public, `{"ok":true}`), func(err error) bool {
			return errors.Is(err, ErrBadReply) && strings.Contains(err.Error(), "identity key")
		}},
		{"claims the node key, sealed by another", 200, func() []byte {
			var env nagawire.Envelope
			_ = json.Unmarshal(sealedReply(t, other, client.Public, `{"ok":true}`), &env)
			env.Payload.VerificationKey = hex.EncodeToString(node.Public[:])
			b, _ := json.Marshal(env)
			return b
		}(), func(err error) bool { return errors.Is(err, ErrBadReply) }},
		{"sealed result not JSON", 200, sealedReply(t, node, client.Public, `<html>`), func(err error) bool { return errors.Is(err, ErrBadReply) }},
		{"success false", 200, sealedReply(t, node, client.Public, `{"ok":true,"error":null,"errorObject":null,"data":{"success":false,"signedData":{}}}`), func(err error) bool {
			var ne *NodeError
			return errors.As(err, &ne)
		}},
		{"action error", 400, sealedReply(t, node, client.Public, errObj("Error: boom", `{"errorKind":"Validation","errorCode":"NodeJsExecutionError"}`)),
			func(err error) bool {
				var ae *ActionError
				return errors.As(err, &ae) && ae.Message == "Error: boom" && err.Error() == "Lit Action failed: Error: boom"
			}},
		{"max price", 402, sealedReply(t, node, client.Public, errObj("maxPrice 1 wei is below this node's price 1000 wei", `{"errorKind":"Payment","errorCode":"NodeMaxPriceTooLow"}`)),
			func(err error) bool {
				return errors.Is(err, ErrPriceTooHigh) && strings.Contains(err.Error(), hintPrice)
			}},
		{"no payer", 402, sealedReply(t, node, client.Public, errObj("no payer covers this request", `{"errorKind":"Payment","errorCode":"NodePaymentRefused"}`)),
			func(err error) bool {
				return errors.Is(err, ErrNoPaymentBalance) && strings.Contains(err.Error(), hintBalance)
			}},
		{"stale epoch", 400, sealedReply(t, node, client.Public, errObj("the request is for epoch 1; this node is in epoch 3", `{"errorKind":"Validation","errorCode":"NodeInvalidEpoch"}`)),
			func(err error) bool { return errors.Is(err, errStaleState) }},
		{"errorObject not JSON", 500, sealedReply(t, node, client.Public, errObj("boom", `not json`)), func(err error) bool {
			var ne *NodeError
			return errors.As(err, &ne) && ne.Status == 500 && ne.Message == "boom"
		}},
		{"share of another sigType", 200, sealedReply(t, node, client.Public, share(func(m map[string]any) { m["sigType"] = "SchnorrEd25519" })),
			func(err error) bool { return errors.Is(err, ErrBadReply) && strings.Contains(err.Error(), "sigType") }},
		{"share names another sig", 200, sealedReply(t, node, client.Public, share(func(m map[string]any) { m["sigName"] = "other" })),
			func(err error) bool { return errors.Is(err, ErrBadReply) }},
		{"share for another key", 200, sealedReply(t, node, client.Public, share(func(m map[string]any) { m["publicKey"] = "04" + strings.Repeat("11", 64) })),
			func(err error) bool { return errors.Is(err, ErrBadReply) && strings.Contains(err.Error(), "publicKey") }},
		{"share not JSON", 200, sealedReply(t, node, client.Public, share(func(m map[string]any) { m["signatureShare"] = "{" })),
			func(err error) bool { return errors.Is(err, ErrBadReply) }},
		{"failed share", 200, sealedReply(t, node, client.Public, share(func(m map[string]any) {
			m["signatureShare"] = strings.Replace(m["signatureShare"].(string), `"result":"success"`, `"result":"fail"`, 1)
		})), func(err error) bool { return errors.Is(err, ErrBadReply) && strings.Contains(err.Error(), "fail") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&protoNaga{}).decode(nil, call, tt.status, tt.body)
			if err == nil || !tt.check(err) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	// The good capture decodes when sealed by the node.
	rep, err := (&protoNaga{}).decode(nil, call, 200, sealedReply(t, node, client.Public, string(good.PlaintextReply)))
	if err != nil || len(rep.Shares) != 1 || rep.Logs == "" {
		t.Fatalf("good reply: %+v %v", rep, err)
	}
}

func TestNagaHandshakeReplyErrors(t *testing.T) {
	data := func(mod func(m map[string]any)) string {
		m := map[string]any{"serverPublicKey": "s", "subnetPublicKey": "a", "networkPublicKey": "b", "networkPublicKeySet": "c",
			"clientSdkVersion": "8", "hdRootPubkeys": []string{}, "latestBlockhash": "0xab", "nodeIdentityKey": strings.Repeat("11", 32),
			"nodeVersion": "1", "epoch": 3}
		mod(m)
		b, _ := json.Marshal(map[string]any{"ok": true, "data": m})
		return string(b)
	}
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"plain-text 503", 503, "unavailable", nil},
		{"not JSON", 200, "<html>", ErrBadReply},
		{"ok false", 500, `{"ok":false,"error":"node is syncing","errorObject":null,"data":null}`, nil},
		{"data not an object", 200, `{"ok":true,"data":[1]}`, ErrBadReply},
		{"identity key short", 200, data(func(m map[string]any) { m["nodeIdentityKey"] = "1111" }), ErrBadReply},
		{"identity key missing", 200, data(func(m map[string]any) { delete(m, "nodeIdentityKey") }), ErrBadReply},
		{"identity key of low order", 200, data(func(m map[string]any) { m["nodeIdentityKey"] = "ec" + strings.Repeat("ff", 30) + "7f" }), ErrBadReply},
		{"blockhash not hex", 200, data(func(m map[string]any) { m["latestBlockhash"] = "latest" }), ErrBadReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeHandshake("http://n", tt.status, []byte(tt.body))
			var ne *NodeError
			switch {
			case err == nil:
				t.Fatal("no error")
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("err = %v, want %v", err, tt.want)
			case tt.want == nil && (!errors.As(err, &ne) || ne.Status != tt.status):
				t.Fatalf("err = %v, want a *NodeError with status %d", err, tt.status)
			}
		})
	}
	h, err := decodeHandshake("http://n", 200, []byte(data(func(map[string]any) {})))
	if err != nil || h.data.Epoch != 3 || h.key[0] != 0x11 {
		t.Fatalf("good handshake: %+v %v", h, err)
	}
}
