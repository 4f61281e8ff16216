package nagawire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/litsigner/litsigner/lit/internal/jsonfast/jsonfasttest"
)

// envelopeBodies are envelopes as nodes and clients send them, and
// variants the fast path takes or declines.
var envelopeBodies = []jsonfasttest.Case{
	{Name: "reply", Text: `{"version":"1.0","payload":{"verification_key":"ab","random":"cd","created_at":"2026-01-01T00:00:00.000Z","ciphertext_and_tag":"00ff"}}`, Fast: true},
	{Name: "request with epoch", Text: `{"version":"1.0","payload":{"verification_key":"ab","random":"cd","created_at":"t","ciphertext_and_tag":"00"},"epoch":12}`, Fast: true},
	{Name: "nulls", Text: `{"version":null,"payload":null,"epoch":null}`, Fast: true},
	{Name: "null fields", Text: `{"payload":{"random":null}}`, Fast: true},
	{Name: "unknown simple keys", Text: ` { "x" : 1 , "payload" : { "y" : [ ] } } `, Fast: true},
	{Name: "negative epoch", Text: `{"epoch":-1}`, Fast: false},
	{Name: "fractional epoch", Text: `{"epoch":1.5}`, Fast: false},
	{Name: "huge epoch", Text: `{"epoch":18446744073709551616}`, Fast: false},
	{Name: "key in another case", Text: `{"Version":"1.0"}`, Fast: false},
	{Name: "payload key in another case", Text: `{"payload":{"Random":"x"}}`, Fast: false},
	{Name: "duplicate", Text: `{"version":"1","version":"2"}`, Fast: false},
	{Name: "duplicate payload field", Text: `{"payload":{"random":"a","random":"b"}}`, Fast: false},
	{Name: "payload not an object", Text: `{"payload":"x"}`, Fast: false},
	{Name: "unicode escape", Text: `{"version":"\u0031"}`, Fast: false},
	{Name: "trailing data", Text: `{"version":"1"} {}`, Fast: false},
	{Name: "not an object", Text: `[]`, Fast: false},
}

func TestFastEnvelope(t *testing.T) {
	jsonfasttest.Check(t, envelopeBodies, fastEnvelope, jsonfasttest.Unmarshal[Envelope])
	// UnmarshalEnvelope answers as json.Unmarshal, whichever path.
	for _, c := range envelopeBodies {
		env, err := UnmarshalEnvelope([]byte(c.Text))
		var want Envelope
		wantErr := json.Unmarshal([]byte(c.Text), &want)
		if (err == nil) != (wantErr == nil) || (err == nil && !reflect.DeepEqual(env, want)) {
			t.Errorf("%s: UnmarshalEnvelope = %+v, %v; json.Unmarshal = %+v, %v", c.Name, env, err, want, wantErr)
		}
	}
}

// FuzzFastEnvelope checks that every body the fast path accepts decodes
// exactly as encoding/json decodes it.
func FuzzFastEnvelope(f *testing.F) {
	jsonfasttest.Fuzz(f, envelopeBodies, fastEnvelope, jsonfasttest.Unmarshal[Envelope])
}

// envelopeMarshalCases are envelopes Marshal writes itself (hex, times)
// and ones it leaves to json.Marshal.
var envelopeMarshalCases = []Envelope{
	{Version: "1", Payload: Payload{VerificationKey: "ab01", Random: "cd", CreatedAt: "2026-01-01T00:00:00.000Z", CiphertextAndTag: "00ff"}},
	{Version: "1", Payload: Payload{CiphertextAndTag: "00"}, Epoch: new(uint64)},
	{Version: "1", Epoch: func() *uint64 { e := uint64(1<<64 - 1); return &e }()},
	{},
	{Version: `"quoted" \ back`},
	{Version: "1", Payload: Payload{Random: "<b>"}},
	{Version: "1", Payload: Payload{CreatedAt: "a&b"}},
	{Payload: Payload{CreatedAt: "tab\there", CiphertextAndTag: "é\u2028"}},
	{Payload: Payload{VerificationKey: "\x7f"}},
}

// TestEnvelopeMarshal: Marshal writes what json.Marshal writes.
func TestEnvelopeMarshal(t *testing.T) {
	for i, env := range envelopeMarshalCases {
		checkEnvelopeMarshal(t, fmt.Sprint(i), env)
	}
}

func checkEnvelopeMarshal(t *testing.T, name string, env Envelope) {
	t.Helper()
	got, err := env.Marshal()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	want, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: Marshal\n%s\njson.Marshal\n%s", name, got, want)
	}
}

// FuzzEnvelopeMarshal: Marshal writes what json.Marshal writes, whatever
// the strings hold.
func FuzzEnvelopeMarshal(f *testing.F) {
	for _, e := range envelopeMarshalCases {
		var epoch uint64
		if e.Epoch != nil {
			epoch = *e.Epoch
		}
		f.Add(e.Version, e.Payload.VerificationKey, e.Payload.Random, e.Payload.CreatedAt, e.Payload.CiphertextAndTag, epoch, e.Epoch != nil)
	}
	f.Fuzz(func(t *testing.T, version, key, random, created, ct string, epoch uint64, withEpoch bool) {
		env := Envelope{Version: version, Payload: Payload{VerificationKey: key, Random: random, CreatedAt: created, CiphertextAndTag: ct}}
		if withEpoch {
			env.Epoch = &epoch
		}
		checkEnvelopeMarshal(t, "fuzz", env)
	})
}
