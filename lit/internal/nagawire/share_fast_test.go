package nagawire

import (
	"encoding/json"
	"reflect"
	"testing"
)

// shareTexts are share documents the fast path takes or declines.
var shareTexts = []struct {
	name string
	text string
	fast bool
}{
	{"a node's share", `{"EcdsaSignedMessageShare":{"digest":"AB12","result":"success","share_id":"\"01\"","peer_id":"p1","signature_share":"\"0A\"","big_r":"\"02CD\"","compressed_public_key":"\"03EF\"","public_key":"\"04AB\"","sig_type":"EcdsaK256Sha256"}}`, true},
	{"null share", `{"EcdsaSignedMessageShare":null}`, true},
	{"null fields and unknown keys", ` { "x" : [ ] , "EcdsaSignedMessageShare" : { "digest" : null , "y" : 2 } } `, true},
	{"empty", `{}`, true},
	{"key in another case", `{"ecdsaSignedMessageShare":{}}`, false},
	{"field in another case", `{"EcdsaSignedMessageShare":{"Digest":"ab"}}`, false},
	{"duplicate", `{"EcdsaSignedMessageShare":{},"EcdsaSignedMessageShare":{}}`, false},
	{"duplicate field", `{"EcdsaSignedMessageShare":{"digest":"a","digest":"b"}}`, false},
	{"number field", `{"EcdsaSignedMessageShare":{"digest":1}}`, false},
	{"unicode escape", `{"EcdsaSignedMessageShare":{"digest":"\u0041"}}`, false},
	{"not an object", `"x"`, false},
}

func TestFastShareEnvelope(t *testing.T) {
	for _, tt := range shareTexts {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fastShareEnvelope([]byte(tt.text))
			if ok != tt.fast {
				t.Fatalf("fast path ok = %v, want %v", ok, tt.fast)
			}
			if ok {
				requireShareAsJSON(t, []byte(tt.text), got)
			}
		})
	}
}

func requireShareAsJSON(t *testing.T, text []byte, got wireShareEnvelope) {
	t.Helper()
	var want wireShareEnvelope
	if err := json.Unmarshal(text, &want); err != nil {
		t.Fatalf("fast path accepted %q, which encoding/json refuses: %v", text, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("text %q:\nfast: %+v\nencoding/json: %+v", text, got, want)
	}
}

// FuzzFastShareEnvelope checks that every text the fast path accepts
// decodes exactly as encoding/json decodes it.
func FuzzFastShareEnvelope(f *testing.F) {
	for _, tt := range shareTexts {
		f.Add([]byte(tt.text))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if got, ok := fastShareEnvelope(text); ok {
			requireShareAsJSON(t, text, got)
		}
	})
}
