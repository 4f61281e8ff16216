package lit

import (
	"encoding/json"
	"math/big"
	"reflect"
	"testing"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// nagaPlainReply is an opened execute reply as the devnet sends it.
func nagaPlainReply(t testing.TB) []byte {
	t.Helper()
	data, err := nagawire.ExecuteResponse{
		Success: true,
		SignedData: map[string]nagawire.SignedShare{"sig1": {SigType: nagawire.SigTypeEcdsaK256Sha256,
			SignatureShare: `{"EcdsaSignedMessageShare":{"digest":"ab","result":"success","share_id":"\"x\"","peer_id":"p","big_r":"\"02ab\"","compressed_public_key":"\"03cd\"","public_key":"\"04ef\"","sig_type":"EcdsaK256Sha256"}}`,
			PublicKey: "0x04ef", SigName: "sig1"}},
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
	tests := []struct {
		name string
		body string
		fast bool
	}{
		{"the devnet's reply", string(nagaPlainReply(t)), true},
		{"nulls and unknown keys", ` {"ok":true,"error":null,"errorObject":null,"x":1,"data":{"success":true,"signedData":null,"decryptedData":[],"claimData":{"a":[1]},"response":null,"logs":null,"paymentDetail":null,"y":"z"}} `, true},
		{"ok false", `{"ok":false,"data":{"success":true}}`, false},
		{"no data", `{"ok":true}`, false},
		{"data null", `{"ok":true,"data":null}`, false},
		{"duplicate data", `{"ok":true,"data":{},"data":{}}`, false},
		{"key in another case", `{"OK":true,"data":{}}`, false},
		{"data key in another case", `{"ok":true,"data":{"Success":true}}`, false},
		{"unknown share key", `{"ok":true,"data":{"signedData":{"a":{"x":"y"}}}}`, false},
		{"duplicate share", `{"ok":true,"data":{"signedData":{"a":{},"a":{}}}}`, false},
		{"decryptedData null", `{"ok":true,"data":{"decryptedData":null}}`, false},
		{"invalid claimData", `{"ok":true,"data":{"claimData":{"a":}}}`, false},
		{"bad paymentDetail", `{"ok":true,"data":{"paymentDetail":[{"quantity":-1}]}}`, false},
		{"unicode escape", `{"ok":true,"data":{"logs":"\u00e9"}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fastNagaData([]byte(tt.body))
			if ok != tt.fast {
				t.Fatalf("fast path ok = %v, want %v", ok, tt.fast)
			}
			if ok {
				requireNagaDataAsJSON(t, []byte(tt.body), got)
			}
		})
	}
}

func requireNagaDataAsJSON(t *testing.T, plain []byte, got nagawire.ExecuteResponse) {
	t.Helper()
	want, ok := nagaDataAsJSON(plain)
	if !ok {
		t.Fatalf("fast path accepted %q, which encoding/json refuses (or is not ok)", plain)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reply %q:\nfast: %+v\nencoding/json: %+v", plain, got, want)
	}
}

// FuzzFastNagaData checks that every opened reply the fast path accepts
// gives the data encoding/json gives.
func FuzzFastNagaData(f *testing.F) {
	f.Add(nagaPlainReply(f))
	f.Add([]byte(`{"ok":true,"data":{"success":false,"decryptedData":{},"claimData":[],"paymentDetail":[]}}`))
	f.Fuzz(func(t *testing.T, plain []byte) {
		if got, ok := fastNagaData(plain); ok {
			requireNagaDataAsJSON(t, plain, got)
		}
	})
}
