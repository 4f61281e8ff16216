package nagawire

import (
	"testing"

	"github.com/litsigner/litsigner/lit/internal/jsonfast/jsonfasttest"
)

// shareTexts are share documents the fast path takes or declines.
var shareTexts = []jsonfasttest.Case{
	{Name: "a node's share", Text: `{"EcdsaSignedMessageShare":{"digest":"AB12","result":"success","share_id":"\"01\"","peer_id":"p1","signature_share":"\"0A\"","big_r":"\"02CD\"","compressed_public_key":"\"03EF\"","public_key":"\"04AB\"","sig_type":"EcdsaK256Sha256"}}`, Fast: true},
	{Name: "null share", Text: `{"EcdsaSignedMessageShare":null}`, Fast: true},
	{Name: "null fields and unknown keys", Text: ` { "x" : [ ] , "EcdsaSignedMessageShare" : { "digest" : null , "y" : 2 } } `, Fast: true},
	{Name: "empty", Text: `{}`, Fast: true},
	{Name: "key in another case", Text: `{"ecdsaSignedMessageShare":{}}`, Fast: false},
	{Name: "field in another case", Text: `{"EcdsaSignedMessageShare":{"Digest":"ab"}}`, Fast: false},
	{Name: "duplicate", Text: `{"EcdsaSignedMessageShare":{},"EcdsaSignedMessageShare":{}}`, Fast: false},
	{Name: "duplicate field", Text: `{"EcdsaSignedMessageShare":{"digest":"a","digest":"b"}}`, Fast: false},
	{Name: "number field", Text: `{"EcdsaSignedMessageShare":{"digest":1}}`, Fast: false},
	{Name: "unicode escape", Text: `{"EcdsaSignedMessageShare":{"digest":"\u0041"}}`, Fast: false},
	{Name: "not an object", Text: `"x"`, Fast: false},
}

func TestFastShareEnvelope(t *testing.T) {
	jsonfasttest.Check(t, shareTexts, fastShareEnvelope, jsonfasttest.Unmarshal[wireShareEnvelope])
}

// FuzzFastShareEnvelope checks that every text the fast path accepts
// decodes exactly as encoding/json decodes it.
func FuzzFastShareEnvelope(f *testing.F) {
	jsonfasttest.Fuzz(f, shareTexts, fastShareEnvelope, jsonfasttest.Unmarshal[wireShareEnvelope])
}
