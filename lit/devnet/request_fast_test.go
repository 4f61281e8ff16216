package devnet

import (
	"crypto/sha256"
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
	} {
		f.Add([]byte(seed))
	}
	nd := &node{authSigs: newBoundedCache[[sha256.Size]byte, lit.AuthSig](4)}
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
