package lit

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// Fuzz targets for every parser of untrusted node (or client) bytes. Each
// must return an error, never panic.

func FuzzParseHandshake(f *testing.F) {
	f.Add([]byte(`{"serverPublicKey":"a","subnetPublicKey":"b","networkPublicKey":"c","networkPublicKeySet":"d"}`))
	f.Add([]byte(`{"serverPublicKey":"ERR"}`))
	f.Add([]byte(`{"serverPublicKey":5,"subnetPublicKey":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = wireV2{}.parseHandshake(body)
	})
}

func FuzzParseExecute(f *testing.F) {
	f.Add([]byte(`{"success":true,"signedData":{"sig1":{"sigType":"ECDSA","signatureShare":"01","shareIndex":1,"localX":"02","localY":"03","publicKey":"04","dataSigned":"05","sigName":"sig1"}},"decryptedData":{},"response":"{\"a\":1}","logs":"x"}`))
	f.Add([]byte(`{"success":false,"error":{"errorKind":"Execution","errorCode":"NodeJsExecutionError","message":"boom"}}`))
	f.Add([]byte(`{"success":true,"signedData":{"a":{"sigName":"b"}},"response":{"x":[1,2]}}`))
	f.Add([]byte(`{"success":true,"signedData":{"a":{"shareIndex":"x"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rep, err := protoV2{}.decode(nil, nil, 200, body)
		if err != nil {
			return
		}
		// Whatever parsed must survive aggregation.
		_ = appendConsistencyKey(nil, rep)
		for name, sh := range rep.Shares {
			_, _ = combineECDSA(name, []ecdsaShare{sh})
		}
		_ = parseResponse(rep.Response)
	})
}

func FuzzParseError(f *testing.F) {
	f.Add(500, []byte(`{"errorKind":"Unexpected","errorCode":"NodeInternalError","status":500,"message":"m","details":["a"]}`))
	f.Add(401, []byte(`{"errorKind":"Unauthorized","details":"one"}`))
	f.Add(400, []byte(`{"error":"plain"}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(500, []byte(`{"details":[1,{"a":2},null]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := wireV2{}.parseError(status, body)
		if err == nil {
			t.Fatal("nil error")
		}
		_ = err.Error()
	})
}

func FuzzCombineShares(f *testing.F) {
	f.Add([]byte(`[{"sigType":"ECDSA","signatureShare":"01","shareIndex":1,"localX":"79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798","localY":"483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8","publicKey":"0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8","dataSigned":"48656c6c6f20576f726c64","sigName":"sig1"}]`))
	f.Add([]byte(`[{"signatureShare":"ff","localX":"0x00","localY":"","publicKey":"02","dataSigned":""}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var shares []Share
		if json.Unmarshal(body, &shares) != nil {
			return
		}
		_, _ = CombineECDSAShares(shares)
	})
}

func FuzzVerifySessionSig(f *testing.F) {
	raw, err := os.ReadFile("testdata/execute-request-node7471.json")
	if err != nil {
		f.Fatal(err)
	}
	var fx fixtureExecute
	if err := json.Unmarshal(raw, &fx); err != nil {
		f.Fatal(err)
	}
	a := fx.Body.AuthSig
	f.Add(a.Sig, a.SignedMessage, a.Address, a.Algo)
	f.Add("00", `{"capabilities":[{"signedMessage":"x"}]}`, "00", "ed25519")
	f.Fuzz(func(t *testing.T, sig, msg, addr, algo string) {
		s := AuthSig{Sig: sig, DerivedVia: SessionSigDerivedVia, SignedMessage: msg, Address: addr, Algo: algo}
		_ = VerifySessionSig(s, "http://localhost:7471", fixtureNow, "*")
		if p, err := ParseSessionSig(s); err == nil && len(p.Capabilities) > 0 {
			// Reach the SIWE and ReCap parsers even without a valid ed25519 signature.
			_ = verifyCapability(p.Capabilities[0], p.SessionKey, time.Unix(0, 0), "*")
		}
	})
}

func FuzzParseSIWE(f *testing.F) {
	f.Add("localhost:3000 wants you to sign in with your Ethereum account:\n0x14791697260E4c9A71f18484C9f997B308e59325\n\nSign\n\nURI: lit:session:ab\nVersion: 1\nChain ID: 1\nNonce: 10rsPjAXwg1BbE7DP\nIssued At: 2026-11-24T00:17:21.243Z\nResources:\n- urn:recap:eyJhdHQiOnt9fQ")
	f.Fuzz(func(t *testing.T, text string) {
		if m, err := parseSIWE(text); err == nil {
			_ = m.String()
			for _, r := range m.GetResources() {
				_, _ = decodeRecap(r.String())
			}
		}
		_, _ = recoverPersonal(text, []byte(text))
	})
}

func FuzzDecodeNagaResult(f *testing.F) {
	for _, name := range []string{"009-node0-execute.json", "error-010-node1-execute.json"} {
		if raw, err := os.ReadFile(nagaCaptureDir + name); err == nil {
			var c struct {
				PlaintextReply json.RawMessage `json:"plaintextReply"`
			}
			if json.Unmarshal(raw, &c) == nil {
				f.Add(200, []byte(c.PlaintextReply))
			}
		}
	}
	f.Add(402, []byte(`{"ok":false,"error":"insufficient balance","errorObject":"{\"errorKind\":\"Payment\"}","data":null}`))
	f.Add(200, []byte(`{"ok":true,"data":{"success":true,"signedData":{"s":{"sigType":"EcdsaK256Sha256","signatureShare":"{}"}}}}`))
	f.Add(200, []byte(`{"ok":false,"errorObject":"not json"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		rep, err := decodeNagaResult(status, body)
		if err != nil {
			_ = err.Error()
			return
		}
		_ = appendConsistencyKey(nil, rep)
		for name, sh := range rep.Shares {
			_, _ = combineECDSA(name, []ecdsaShare{sh})
		}
	})
}

func FuzzDecodeNagaHandshake(f *testing.F) {
	if raw, err := os.ReadFile(nagaCaptureDir + "003-node0-handshake.json"); err == nil {
		var c struct {
			Reply json.RawMessage `json:"reply"`
		}
		if json.Unmarshal(raw, &c) == nil {
			f.Add(200, []byte(c.Reply))
		}
	}
	f.Add(200, []byte(`{"ok":true,"data":{"nodeIdentityKey":"00","latestBlockhash":"0x1"}}`))
	f.Add(500, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if _, err := decodeHandshake("http://n", status, body); err != nil {
			_ = err.Error()
		}
	})
}

func FuzzDecodeNagaEnvelope(f *testing.F) {
	node := nagawire.KeyPairFromSecret([32]byte{1})
	client := nagawire.KeyPairFromSecret([32]byte{2})
	res, _ := nagawire.NewResult(nagawire.ExecuteResponse{Success: true})
	plain, _ := json.Marshal(res)
	env, _ := json.Marshal(nagawire.Envelope{Version: "1", Payload: nagawire.Seal(node, client.Public, plain, [16]byte{3}, time.Unix(1e9, 0))})
	f.Add(200, env)
	f.Add(200, []byte(`{"version":"1","payload":{"verification_key":"00","ciphertext_and_tag":"00"}}`))
	f.Add(401, []byte(`unauthorized`))
	call := &nodeCall{url: "http://n", ext: nagaCall{identity: node.Public, shared: nagawire.NewIdentity(client).SharedKey(node.Public)}}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if _, err := (&protoNaga{}).decode(nil, call, status, body); err != nil {
			_ = err.Error()
		}
	})
}
