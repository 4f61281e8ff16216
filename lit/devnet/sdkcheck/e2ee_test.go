package sdkcheck

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// e2eeVector is one entry of testdata/e2ee-vectors.json, written by the
// SDK's own walletEncrypt (naga/make-e2ee-vectors.js).
type e2eeVector struct {
	Name             string `json:"name"`
	SenderSecret     string `json:"senderSecret"`
	SenderPublic     string `json:"senderPublic"`
	RecipientSecret  string `json:"recipientSecret"`
	RecipientPublic  string `json:"recipientPublic"`
	Version          string `json:"version"`
	VerificationKey  string `json:"verification_key"`
	Random           string `json:"random"`
	CreatedAt        string `json:"created_at"`
	Plaintext        string `json:"plaintext"`
	CiphertextAndTag string `json:"ciphertext_and_tag"`
}

func key32(t *testing.T, s string) [32]byte {
	t.Helper()
	var k [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("key %q: %v", s, err)
	}
	copy(k[:], b)
	return k
}

// TestE2EEVectorsFromSDK opens the SDK's ciphertexts with nagawire and seals
// the same plaintexts again: the bytes must be the SDK's, in both
// directions.
func TestE2EEVectorsFromSDK(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "e2ee-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []e2eeVector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 2 {
		t.Fatalf("%d vectors", len(vs))
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			sender, err := nagawire.KeyPairFromSecret(key32(t, v.SenderSecret))
			if err != nil {
				t.Fatal(err)
			}
			recipient, err := nagawire.KeyPairFromSecret(key32(t, v.RecipientSecret))
			if err != nil {
				t.Fatal(err)
			}
			if sender.Public != key32(t, v.SenderPublic) || recipient.Public != key32(t, v.RecipientPublic) {
				t.Fatal("public keys differ from the SDK's")
			}
			if v.Version != nagawire.EnvelopeVersion || v.VerificationKey != v.SenderPublic {
				t.Fatalf("version %q, verification_key %s", v.Version, v.VerificationKey)
			}
			sdk := nagawire.Payload{VerificationKey: v.VerificationKey, Random: v.Random, CreatedAt: v.CreatedAt, CiphertextAndTag: v.CiphertextAndTag}
			plain, from, err := nagawire.Open(recipient, sdk)
			if err != nil {
				t.Fatalf("open the SDK's envelope: %v", err)
			}
			if string(plain) != v.Plaintext || from != sender.Public {
				t.Fatalf("opened %q from %x", plain, from)
			}
			var random [16]byte
			rb, err := hex.DecodeString(v.Random)
			if err != nil || len(rb) != 16 {
				t.Fatalf("random %q", v.Random)
			}
			copy(random[:], rb)
			created, err := time.Parse(time.RFC3339Nano, v.CreatedAt)
			if err != nil {
				t.Fatal(err)
			}
			ours := nagawire.Seal(sender, recipient.Public, []byte(v.Plaintext), random, created)
			if ours != sdk {
				t.Fatalf("our seal differs from the SDK's walletEncrypt:\n ours %+v\n sdk  %+v", ours, sdk)
			}
			// A flipped byte no longer opens.
			bad := sdk
			bad.CiphertextAndTag = v.CiphertextAndTag[:len(v.CiphertextAndTag)-2] + "00"
			if bad.CiphertextAndTag == sdk.CiphertextAndTag {
				bad.CiphertextAndTag = v.CiphertextAndTag[:len(v.CiphertextAndTag)-2] + "01"
			}
			if _, _, err := nagawire.Open(recipient, bad); err == nil {
				t.Fatal("a tampered envelope opened")
			}
		})
	}
}
