package nagawire

import (
	"encoding/json"
	"reflect"
	"testing"
)

// envelopeBodies are envelopes as nodes and clients send them, and
// variants the fast path takes or declines.
var envelopeBodies = []struct {
	name string
	body string
	fast bool
}{
	{"reply", `{"version":"1.0","payload":{"verification_key":"ab","random":"cd","created_at":"2026-01-01T00:00:00.000Z","ciphertext_and_tag":"00ff"}}`, true},
	{"request with epoch", `{"version":"1.0","payload":{"verification_key":"ab","random":"cd","created_at":"t","ciphertext_and_tag":"00"},"epoch":12}`, true},
	{"nulls", `{"version":null,"payload":null,"epoch":null}`, true},
	{"null fields", `{"payload":{"random":null}}`, true},
	{"unknown simple keys", ` { "x" : 1 , "payload" : { "y" : [ ] } } `, true},
	{"negative epoch", `{"epoch":-1}`, false},
	{"fractional epoch", `{"epoch":1.5}`, false},
	{"huge epoch", `{"epoch":18446744073709551616}`, false},
	{"key in another case", `{"Version":"1.0"}`, false},
	{"payload key in another case", `{"payload":{"Random":"x"}}`, false},
	{"duplicate", `{"version":"1","version":"2"}`, false},
	{"duplicate payload field", `{"payload":{"random":"a","random":"b"}}`, false},
	{"payload not an object", `{"payload":"x"}`, false},
	{"unicode escape", `{"version":"\u0031"}`, false},
	{"trailing data", `{"version":"1"} {}`, false},
	{"not an object", `[]`, false},
}

func TestFastEnvelope(t *testing.T) {
	for _, tt := range envelopeBodies {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fastEnvelope([]byte(tt.body))
			if ok != tt.fast {
				t.Fatalf("fast path ok = %v, want %v", ok, tt.fast)
			}
			if ok {
				requireEnvelopeAsJSON(t, []byte(tt.body), got)
			}
			// UnmarshalEnvelope answers as json.Unmarshal, whichever path.
			env, err := UnmarshalEnvelope([]byte(tt.body))
			var want Envelope
			wantErr := json.Unmarshal([]byte(tt.body), &want)
			if (err == nil) != (wantErr == nil) || (err == nil && !reflect.DeepEqual(env, want)) {
				t.Fatalf("UnmarshalEnvelope = %+v, %v; json.Unmarshal = %+v, %v", env, err, want, wantErr)
			}
		})
	}
}

func requireEnvelopeAsJSON(t *testing.T, body []byte, got Envelope) {
	t.Helper()
	var want Envelope
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("fast path accepted %q, which encoding/json refuses: %v", body, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %q:\nfast: %+v\nencoding/json: %+v", body, got, want)
	}
}

// FuzzFastEnvelope checks that every body the fast path accepts decodes
// exactly as encoding/json decodes it.
func FuzzFastEnvelope(f *testing.F) {
	for _, tt := range envelopeBodies {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, ok := fastEnvelope(body); ok {
			requireEnvelopeAsJSON(t, body, got)
		}
	})
}
