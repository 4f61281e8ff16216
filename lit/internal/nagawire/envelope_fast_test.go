package nagawire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

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

// TestSealEnvelope: SealEnvelope writes json.Marshal of the Envelope of
// Seal's payload for the same inputs, and the envelope opens to the
// plaintext.
func TestSealEnvelope(t *testing.T) {
	maxEpoch := uint64(1<<64 - 1)
	tests := []struct {
		name      string
		plaintext string
		millis    int64
		epoch     *uint64
	}{
		{"request", `{"code":"Y29uc29sZS5sb2coImhlbGxvIik7","jsParams":{"jsParams":{"a":1}}}`, 1767225600123, new(uint64)},
		{"reply, no epoch", `{"ok":true,"error":null,"errorObject":null,"data":"<&>\u2028"}`, 1767225600000, nil},
		{"empty, largest epoch", "", 0, &maxEpoch},
	}
	for _, tt := range tests {
		checkSealEnvelope(t, []byte(tt.plaintext), [16]byte{1, 2, 3}, tt.millis, tt.epoch)
	}
}

// sealKeys are a sender's and a recipient's box keys for one pair.
var sealKeys = func() (send, recv *SharedKey) {
	a, _ := GenerateKeyPair(bytes.NewReader(bytes.Repeat([]byte{1}, 32)))
	b, _ := GenerateKeyPair(bytes.NewReader(bytes.Repeat([]byte{2}, 32)))
	return NewSharedKey(a, b.Public), NewSharedKey(b, a.Public)
}

func checkSealEnvelope(t *testing.T, plaintext []byte, random [16]byte, millis int64, epoch *uint64) {
	t.Helper()
	send, recv := sealKeys()
	at := time.UnixMilli(millis)
	got := send.SealEnvelope(plaintext, random, at, epoch)
	want, err := json.Marshal(Envelope{Version: EnvelopeVersion, Payload: send.Seal(plaintext, random, at), Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("SealEnvelope\n%s\njson.Marshal of Seal's envelope\n%s", got, want)
	}
	env, err := UnmarshalEnvelope(got)
	if err != nil {
		t.Fatal(err)
	}
	if 16+16+len(plaintext) < 83 {
		return // what the SDK cannot open either (TestSealOpenRoundTrip)
	}
	if opened, err := recv.Open(env.Payload); err != nil || !bytes.Equal(opened, plaintext) {
		t.Fatalf("the envelope opens to %q, %v; want %q", opened, err, plaintext)
	}
}

// FuzzSealEnvelope: SealEnvelope writes what json.Marshal writes, for any
// plaintext, randomness, time and epoch.
func FuzzSealEnvelope(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":"a plaintext long enough for the SDK to open it"}`), []byte("0123456789abcdef"), int64(1767225600123), uint64(5), true)
	f.Add([]byte{}, []byte{}, int64(-62135596800000), uint64(0), false)
	f.Fuzz(func(t *testing.T, plaintext, rnd []byte, millis int64, epoch uint64, withEpoch bool) {
		var random [16]byte
		copy(random[:], rnd)
		var e *uint64
		if withEpoch {
			e = &epoch
		}
		checkSealEnvelope(t, plaintext, random, millis, e)
	})
}

// BenchmarkSealEnvelope seals a request-sized plaintext into an
// envelope's JSON: SealEnvelope, and Seal then json.Marshal (what the
// client and the devnet did before).
func BenchmarkSealEnvelope(b *testing.B) {
	send, _ := sealKeys()
	plaintext := bytes.Repeat([]byte(`{"a":"bcdefgh"}`), 200) // 3 KB
	at := time.UnixMilli(1767225600123)
	epoch := uint64(3)
	b.Run("SealEnvelope", func(b *testing.B) {
		for range b.N {
			_ = send.SealEnvelope(plaintext, [16]byte{1}, at, &epoch)
		}
	})
	b.Run("Seal+json.Marshal", func(b *testing.B) {
		for range b.N {
			if _, err := json.Marshal(Envelope{Version: EnvelopeVersion, Payload: send.Seal(plaintext, [16]byte{1}, at), Epoch: &epoch}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
