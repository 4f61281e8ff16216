package lit

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestFastV2Reply checks which replies the fast decoder takes, and that
// what it takes decodes as encoding/json decodes it.
func TestFastV2Reply(t *testing.T) {
	fixture := string(v2ReplyFixture(t))
	tests := []struct {
		name string
		body string
		fast bool
	}{
		{"a signer's reply", fixture, true},
		{"a non-signer's reply", `{"success":true,"signedData":{},"decryptedData":{},"claimData":{},"response":"","logs":""}`, true},
		{"whitespace everywhere", " {\n\t\"success\" : true ,\r\n \"signedData\" : { \"s\" : { \"shareIndex\" : 3 , \"sigName\" : \"s\" } } , \"logs\" : \"a\\nb\" } \n", true},
		{"nulls", `{"success":null,"signedData":null,"response":null,"logs":null}`, true},
		{"null share fields", `{"success":true,"signedData":{"a":{"sigType":null,"shareIndex":null}}}`, true},
		{"escapes", `{"success":true,"response":"\"\\\/\b\f\n\r\t","logs":"x"}`, true},
		{"unknown simple values", `{"success":true,"a":1.5e-3,"b":"x","c":[],"d":{},"e":false,"f":null,"g":-0}`, true},
		{"success false", `{"success":false}`, true},
		{"empty object", `{}`, true},

		{"a \\u escape", `{"success":true,"logs":"\u00e9"}`, false},
		{"non-ASCII", `{"success":true,"logs":"é"}`, false},
		{"control character", "{\"success\":true,\"logs\":\"a\tb\"}", false},
		{"key in another case", `{"Success":true}`, false},
		{"share key in another case", `{"success":true,"signedData":{"a":{"SigName":"a"}}}`, false},
		{"duplicate key", `{"success":true,"success":false}`, false},
		{"duplicate share", `{"signedData":{"a":{},"a":{}}}`, false},
		{"duplicate share field", `{"signedData":{"a":{"sigName":"a","sigName":"b"}}}`, false},
		{"unknown share field", `{"signedData":{"a":{"other":1}}}`, false},
		{"non-empty unknown object", `{"success":true,"claimData":{"a":1}}`, false},
		{"fractional shareIndex", `{"signedData":{"a":{"shareIndex":1.0}}}`, false},
		{"huge shareIndex", `{"signedData":{"a":{"shareIndex":99999999999999999999}}}`, false},
		{"string shareIndex", `{"signedData":{"a":{"shareIndex":"1"}}}`, false},
		{"number for a string", `{"response":1}`, false},
		{"trailing data", `{"success":true} x`, false},
		{"trailing comma", `{"success":true,}`, false},
		{"leading zero", `{"a":01}`, false},
		{"truncated", fixture[:len(fixture)-1], false},
		{"top-level null", `null`, false},
		{"top-level array", `[]`, false},
		{"literal with garbage", `{"success":truex}`, false},
		{"escaped key", `{"succ\u0065ss":true}`, false},
		{"unterminated string", `{"logs":"abc`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fastV2Reply([]byte(tt.body))
			if ok != tt.fast {
				t.Fatalf("fastV2Reply ok = %v, want %v", ok, tt.fast)
			}
			if ok {
				requireSameAsJSON(t, []byte(tt.body), got)
			}
		})
	}
}

// requireSameAsJSON fails unless json.Unmarshal accepts body and gives got.
func requireSameAsJSON(t *testing.T, body []byte, got v2ExecuteReplyShares) {
	t.Helper()
	var want v2ExecuteReplyShares
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("fast decoder accepted %q, which encoding/json refuses: %v", body, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %q:\nfast decoder: %+v\nencoding/json: %+v", body, got, want)
	}
}

// FuzzV2ReplyFast checks that every body the fast decoder accepts decodes
// exactly as encoding/json decodes it.
func FuzzV2ReplyFast(f *testing.F) {
	f.Add(v2ReplyFixture(f))
	f.Add([]byte(`{"success":true,"signedData":{"s":{"shareIndex":-0,"sigName":"s"}},"logs":"a\nb","x":[]}`))
	f.Add([]byte(`{"success":null,"signedData":null,"response":"\"\\\/\b\f\n\r\t","a":1.5E+3}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, ok := fastV2Reply(body); ok {
			requireSameAsJSON(t, body, got)
		}
	})
}
