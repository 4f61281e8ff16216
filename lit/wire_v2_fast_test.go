package lit

import (
	"testing"

	"github.com/litsigner/litsigner/lit/internal/jsonfast/jsonfasttest"
)

// TestFastV2Reply checks which replies the fast decoder takes, and that
// what it takes decodes as encoding/json decodes it.
func TestFastV2Reply(t *testing.T) {
	fixture := string(v2ReplyFixture(t))
	tests := []jsonfasttest.Case{
		{Name: "a signer's reply", Text: fixture, Fast: true},
		{Name: "a non-signer's reply", Text: `{"success":true,"signedData":{},"decryptedData":{},"claimData":{},"response":"","logs":""}`, Fast: true},
		{Name: "whitespace everywhere", Text: " {\n\t\"success\" : true ,\r\n \"signedData\" : { \"s\" : { \"shareIndex\" : 3 , \"sigName\" : \"s\" } } , \"logs\" : \"a\\nb\" } \n", Fast: true},
		{Name: "nulls", Text: `{"success":null,"signedData":null,"response":null,"logs":null}`, Fast: true},
		{Name: "null share fields", Text: `{"success":true,"signedData":{"a":{"sigType":null,"shareIndex":null}}}`, Fast: true},
		{Name: "escapes", Text: `{"success":true,"response":"\"\\\/\b\f\n\r\t","logs":"x"}`, Fast: true},
		{Name: "unknown simple values", Text: `{"success":true,"a":1.5e-3,"b":"x","c":[],"d":{},"e":false,"f":null,"g":-0}`, Fast: true},
		{Name: "success false", Text: `{"success":false}`, Fast: true},
		{Name: "empty object", Text: `{}`, Fast: true},

		{Name: "a \\u escape", Text: `{"success":true,"logs":"\u00e9"}`, Fast: false},
		{Name: "non-ASCII", Text: `{"success":true,"logs":"é"}`, Fast: false},
		{Name: "control character", Text: "{\"success\":true,\"logs\":\"a\tb\"}", Fast: false},
		{Name: "key in another case", Text: `{"Success":true}`, Fast: false},
		{Name: "share key in another case", Text: `{"success":true,"signedData":{"a":{"SigName":"a"}}}`, Fast: false},
		{Name: "duplicate key", Text: `{"success":true,"success":false}`, Fast: false},
		{Name: "duplicate share", Text: `{"signedData":{"a":{},"a":{}}}`, Fast: false},
		{Name: "duplicate share field", Text: `{"signedData":{"a":{"sigName":"a","sigName":"b"}}}`, Fast: false},
		{Name: "unknown share field", Text: `{"signedData":{"a":{"other":1}}}`, Fast: false},
		{Name: "non-empty unknown object", Text: `{"success":true,"claimData":{"a":1}}`, Fast: false},
		{Name: "fractional shareIndex", Text: `{"signedData":{"a":{"shareIndex":1.0}}}`, Fast: false},
		{Name: "huge shareIndex", Text: `{"signedData":{"a":{"shareIndex":99999999999999999999}}}`, Fast: false},
		{Name: "string shareIndex", Text: `{"signedData":{"a":{"shareIndex":"1"}}}`, Fast: false},
		{Name: "number for a string", Text: `{"response":1}`, Fast: false},
		{Name: "trailing data", Text: `{"success":true} x`, Fast: false},
		{Name: "trailing comma", Text: `{"success":true,}`, Fast: false},
		{Name: "leading zero", Text: `{"a":01}`, Fast: false},
		{Name: "truncated", Text: fixture[:len(fixture)-1], Fast: false},
		{Name: "top-level null", Text: `null`, Fast: false},
		{Name: "top-level array", Text: `[]`, Fast: false},
		{Name: "literal with garbage", Text: `{"success":truex}`, Fast: false},
		{Name: "escaped key", Text: `{"succ\u0065ss":true}`, Fast: false},
		{Name: "unterminated string", Text: `{"logs":"abc`, Fast: false},
	}
	jsonfasttest.Check(t, tests, fastV2Reply, jsonfasttest.Unmarshal[v2ExecuteReplyShares])
}

// FuzzV2ReplyFast checks that every body the fast decoder accepts decodes
// exactly as encoding/json decodes it.
func FuzzV2ReplyFast(f *testing.F) {
	jsonfasttest.Fuzz(f, []jsonfasttest.Case{
		{Text: string(v2ReplyFixture(f))},
		{Text: `{"success":true,"signedData":{"s":{"shareIndex":-0,"sigName":"s"}},"logs":"a\nb","x":[]}`},
		{Text: `{"success":null,"signedData":null,"response":"\"\\\/\b\f\n\r\t","a":1.5E+3}`},
	}, fastV2Reply, jsonfasttest.Unmarshal[v2ExecuteReplyShares])
}
