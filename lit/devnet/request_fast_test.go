package devnet

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/litsigner/litsigner/lit"
)

// FuzzParseExecuteSame: the node's cached parse gives what
// parseExecuteRequest gives, request or error, on a first and a repeated
// parse of a body.
func FuzzParseExecuteSame(f *testing.F) {
	for _, seed := range []string{
		`{"authSig":{"sig":"s","derivedVia":"d","signedMessage":"{\"a\":\"b\\n\"}","address":"x","algo":"ed25519"},"code":"eA","jsParams":{"a":1}}`,
		`{"authSig":{"sig":"a"},"authSig":{"address":"b"},"code":"eA"}`,
		`{"authSig":{"sig":"a"},"AUTHSIG":{"address":"b"},"code":"eA"}`,
		`{"authSig":{"sig":"a"},"authSig":null,"code":"eA"}`,
		`{"authSig":null,"code":"eA"}`,
		`{"authSig":"x","code":"eA"}`,
		`{"authSig":{"sig":1},"code":"eA"}`,
		`{"authSig":{},"code":"eA"}}`,
		`{"authSig":{},"code":"eA"} {}`,
		`{"authSig":{},"code":"eA"}  `,
		`{"authSig":{},"ipfsId":"QmTBdeNbkJhfeJW2BpiFnQ5zMTcgNCw2pNa1vkJFmN3v5d","jsParams":null}`,
		`{"authSig":{},"code":"//79","jsParams":{"a":[1,{"b":null}]}}`,
		`{"authSig":{},"code":5}`,
		`[]`,
		``,
		` { "code" : "eA\n" , "authSig" : {"sig":"}\"{"} , "jsParams" : { } , "targetNodeRange" : 0 , "authMethods" : [ ] } `,
		`{"authSig":{"sig":"a"},"code":"eA","x":{"nested":1}}`,
		`{"authSig":{"sig":"a"},"Code":"eA"}`,
		`{"authSig":{"sig":"a"},"code":"e\u0041"}`,
		`{"authSig":{"sig":"a"},"code":"eA","jsParams":[1]}`,
		`{"authSig":{"sig":"a"},"code":"eA","jsParams":{"a":}}`,
		`{"authSig":{"sig":"a"],"code":"eA"}`,
		`{"authSig":{"sig":"a"},"code":"eA","ipfsId":"Qm"}`,
	} {
		f.Add([]byte(seed))
	}
	nd := &node{authSigs: newBoundedCache[[sha256.Size]byte, lit.AuthSig](4),
		net: &Network{calls: newBoundedCache[[sha256.Size]byte, *actionCall](4)}}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantErr := parseExecuteRequest(body)
		for range 2 {
			got, gotErr := nd.parseExecute(body)
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
				t.Fatalf("body %q:\nfast %+v %+v\nslow %+v %+v", body, got, gotErr, want, wantErr)
			}
		}
	})
}

// TestFastExecuteBodyTaken checks that the bodies clients really send take
// the fast path (FuzzParseExecuteSame checks that it agrees with
// parseExecuteRequest): the real SDK's captured request, and one as
// litsignerd sends it.
func TestFastExecuteBodyTaken(t *testing.T) {
	var captured struct{ Body json.RawMessage }
	raw, err := os.ReadFile("testdata/execute-request-node7471.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &captured); err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{
		"SDK 2.2.63 (indented)": captured.Body,
		"litsignerd":            []byte(`{"code":"eA==","authSig":{"sig":"ab","derivedVia":"litSessionSignViaNacl","signedMessage":"{\"a\":\"b\\n\"}","address":"cd","algo":"ed25519"},"jsParams":{"toSign":[1,2],"publicKey":"0x04"},"targetNodeRange":0}`),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			f, ok := fastExecuteBody(body)
			if !ok {
				t.Fatalf("fast path declined %s", body)
			}
			if f.code == nil || len(f.authSig) == 0 || len(f.jsParams) == 0 {
				t.Fatalf("fields missing: %+v", f)
			}
		})
	}
}
