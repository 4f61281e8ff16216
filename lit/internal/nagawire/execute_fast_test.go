package nagawire

import (
	"testing"

	"github.com/litsigner/litsigner/lit/internal/jsonfast/jsonfasttest"
)

// executeRequests are executeJs requests as clients send them, and
// variants the fast path takes or declines.
var executeRequests = []jsonfasttest.Case{
	{Name: "sdk shape", Fast: true, Text: `{"code":"Y29kZQ==","jsParams":{"jsParams":{"toSign":[1,2],"sigName":"sig1"}},` +
		`"authSig":{"sig":"ab","derivedVia":"litSessionSignViaNacl","signedMessage":"{\"a\":\"b\\n\"}","address":"cd","algo":"ed25519"},` +
		`"nodeSet":[{"socketAddress":"127.0.0.1:7470","value":1},{"socketAddress":"127.0.0.1:7471","value":1}],"keySetId":"naga-keyset1"}`},
	{Name: "ipfsId, no params", Fast: true, Text: ` { "ipfsId" : "QmX" , "jsParams" : { } , "authSig" : { } , "nodeSet" : [ ] , "keySetId" : "" } `},
	{Name: "null strings", Fast: true, Text: `{"code":null,"authSig":{"sig":null},"nodeSet":[{"socketAddress":null,"value":-0}]}`},
	{Name: "empty object", Fast: true, Text: `{}`},
	{Name: "unknown key", Fast: false, Text: `{"code":"x","extra":1}`},
	{Name: "unknown authSig key", Fast: false, Text: `{"authSig":{"sig":"a","extra":"b"}}`},
	{Name: "unknown nodeSet key", Fast: false, Text: `{"nodeSet":[{"value":1,"port":2}]}`},
	{Name: "unknown wrapper key", Fast: false, Text: `{"jsParams":{"jsParams":{},"x":1}}`},
	{Name: "key in another case", Fast: false, Text: `{"Code":"x"}`},
	{Name: "authSig key in another case", Fast: false, Text: `{"authSig":{"Sig":"x"}}`},
	{Name: "duplicate", Fast: false, Text: `{"code":"a","code":"b"}`},
	{Name: "params not an object", Fast: false, Text: `{"jsParams":{"jsParams":[1]}}`},
	{Name: "null params", Fast: false, Text: `{"jsParams":{"jsParams":null}}`},
	{Name: "params invalid inside", Fast: false, Text: `{"jsParams":{"jsParams":{"a":01}}}`},
	{Name: "null authSig", Fast: false, Text: `{"authSig":null}`},
	{Name: "null nodeSet", Fast: false, Text: `{"nodeSet":null}`},
	{Name: "fractional value", Fast: false, Text: `{"nodeSet":[{"value":1.5}]}`},
	{Name: "exponent value", Fast: false, Text: `{"nodeSet":[{"value":1e0}]}`},
	{Name: "huge value", Fast: false, Text: `{"nodeSet":[{"value":9223372036854775808}]}`},
	{Name: "null entry", Fast: false, Text: `{"nodeSet":[null]}`},
	{Name: "trailing comma", Fast: false, Text: `{"nodeSet":[{},]}`},
	{Name: "unicode escape", Fast: false, Text: `{"code":"\u0041"}`},
	{Name: "null keySetId", Fast: false, Text: `{"keySetId":null}`},
	{Name: "trailing data", Fast: false, Text: `{"code":"a"} {}`},
	{Name: "not an object", Fast: false, Text: `[]`},
}

// strictExecuteRequest is the reference: decodeStrict.
func strictExecuteRequest(text []byte) (wireExecuteRequest, bool) {
	var w wireExecuteRequest
	return w, decodeStrict(text, &w) == nil
}

func TestFastExecuteRequest(t *testing.T) {
	jsonfasttest.Check(t, executeRequests, fastExecuteRequest, strictExecuteRequest)
	// The SDK's requests take the fast path.
	for _, name := range executeCaptures {
		text := compact(t, loadCapture(t, name).DecryptedRequest)
		got, ok := fastExecuteRequest(text)
		if !ok {
			t.Fatalf("%s: the fast path declines the SDK's request", name)
		}
		jsonfasttest.Same(t, text, got, strictExecuteRequest)
	}
}

// FuzzFastExecuteRequest checks that every request the fast path accepts
// decodes exactly as decodeStrict decodes it.
func FuzzFastExecuteRequest(f *testing.F) {
	c := loadCapture(f, executeCaptures[0])
	f.Add(compact(f, c.DecryptedRequest))
	jsonfasttest.Fuzz(f, executeRequests, fastExecuteRequest, strictExecuteRequest)
}
