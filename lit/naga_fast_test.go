package lit

import (
	"encoding/json"
	"math/big"
	"testing"

	"github.com/litsigner/litsigner/lit/internal/jsonfast/jsonfasttest"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// nagaPlainReply is an opened execute reply as the devnet sends it.
func nagaPlainReply(t testing.TB) []byte {
	t.Helper()
	data, err := nagawire.ExecuteResponse{
		Success: true,
		SignedData: map[string]nagawire.SignedShare{"sig1": {SigType: nagawire.SigTypeEcdsaK256Sha256,
			SignatureShare: `{"EcdsaSignedMessageShare":{"digest":"ab","result":"success","share_id":"\"x\"","peer_id":"p","big_r":"\"02ab\"","compressed_public_key":"\"03cd\"","public_key":"\"04ef\"","sig_type":"EcdsaK256Sha256"}}`,
			PublicKey:      "0x04ef", SigName: "sig1"}},
		Response: `{"ok":true}`, Logs: "hello\n",
		PaymentDetail: []nagawire.PaymentDetail{{Component: "lit_action", Quantity: 1, Price: big.NewInt(12345)}},
	}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(nagawire.Result{OK: true, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// nagaDataAsJSON is what decodeNagaResult's encoding/json path gives for
// plain: the data, and whether both decodings succeeded with ok true.
func nagaDataAsJSON(plain []byte) (nagawire.ExecuteResponse, bool) {
	var res nagawire.Result
	var data nagawire.ExecuteResponse
	if json.Unmarshal(plain, &res) != nil || !res.OK || json.Unmarshal(res.Data, &data) != nil {
		return nagawire.ExecuteResponse{}, false
	}
	return data, true
}

func TestFastNagaData(t *testing.T) {
	tests := []jsonfasttest.Case{
		{Name: "the devnet's reply", Text: string(nagaPlainReply(t)), Fast: true},
		{Name: "nulls and unknown keys", Text: ` {"ok":true,"error":null,"errorObject":null,"x":1,"data":{"success":true,"signedData":null,"decryptedData":[],"claimData":{"a":[1]},"response":null,"logs":null,"paymentDetail":null,"y":"z"}} `, Fast: true},
		{Name: "ok false", Text: `{"ok":false,"data":{"success":true}}`, Fast: false},
		{Name: "no data", Text: `{"ok":true}`, Fast: false},
		{Name: "data null", Text: `{"ok":true,"data":null}`, Fast: false},
		{Name: "duplicate data", Text: `{"ok":true,"data":{},"data":{}}`, Fast: false},
		{Name: "key in another case", Text: `{"OK":true,"data":{}}`, Fast: false},
		{Name: "data key in another case", Text: `{"ok":true,"data":{"Success":true}}`, Fast: false},
		{Name: "unknown share key", Text: `{"ok":true,"data":{"signedData":{"a":{"x":"y"}}}}`, Fast: false},
		{Name: "duplicate share", Text: `{"ok":true,"data":{"signedData":{"a":{},"a":{}}}}`, Fast: false},
		{Name: "decryptedData null", Text: `{"ok":true,"data":{"decryptedData":null}}`, Fast: false},
		{Name: "invalid claimData", Text: `{"ok":true,"data":{"claimData":{"a":}}}`, Fast: false},
		{Name: "bad paymentDetail", Text: `{"ok":true,"data":{"paymentDetail":[{"quantity":-1}]}}`, Fast: false},
		{Name: "paymentDetail entries", Text: `{"ok":true,"data":{"paymentDetail":[{"component":"baseAmount","quantity":1,"price":12345},` +
			`{"component":null,"quantity":null,"price":null,"x":[]} , {"price":-0,"quantity":18446744073709551615},{}]}}`, Fast: true},
		{Name: "empty paymentDetail", Text: `{"ok":true,"data":{"paymentDetail":[]}}`, Fast: true},
		{Name: "huge price", Text: `{"ok":true,"data":{"paymentDetail":[{"price":123456789012345678901234567890123456789}]}}`, Fast: true},
		{Name: "fractional price", Text: `{"ok":true,"data":{"paymentDetail":[{"price":1.5}]}}`, Fast: false},
		{Name: "exponent price", Text: `{"ok":true,"data":{"paymentDetail":[{"price":1e3}]}}`, Fast: false},
		{Name: "quoted price", Text: `{"ok":true,"data":{"paymentDetail":[{"price":"1"}]}}`, Fast: false},
		{Name: "quantity too big", Text: `{"ok":true,"data":{"paymentDetail":[{"quantity":18446744073709551616}]}}`, Fast: false},
		{Name: "null entry", Text: `{"ok":true,"data":{"paymentDetail":[null]}}`, Fast: false},
		{Name: "payment key in another case", Text: `{"ok":true,"data":{"paymentDetail":[{"Price":1}]}}`, Fast: false},
		{Name: "duplicate payment key", Text: `{"ok":true,"data":{"paymentDetail":[{"price":1,"price":2}]}}`, Fast: false},
		{Name: "paymentDetail not an array", Text: `{"ok":true,"data":{"paymentDetail":{}}}`, Fast: false},
		{Name: "unicode escape", Text: `{"ok":true,"data":{"logs":"\u00e9"}}`, Fast: false},
	}
	jsonfasttest.Check(t, tests, fastNagaData, nagaDataAsJSON)
}

// FuzzFastNagaData checks that every opened reply the fast path accepts
// gives the data encoding/json gives.
func FuzzFastNagaData(f *testing.F) {
	jsonfasttest.Fuzz(f, []jsonfasttest.Case{
		{Text: string(nagaPlainReply(f))},
		{Text: `{"ok":true,"data":{"success":false,"decryptedData":{},"claimData":[],"paymentDetail":[]}}`},
	}, fastNagaData, nagaDataAsJSON)
}
