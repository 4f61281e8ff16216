package nagawire

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

// TestSharedKey: a SharedKey seals what Open opens and opens what Seal
// seals, both ways, and refuses a payload from another sender.
func TestSharedKey(t *testing.T) {
	gen := func() KeyPair {
		kp, err := GenerateKeyPair(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}
	client, node, other := gen(), gen(), gen()
	k := NewSharedKey(client, node.Public)
	now := time.Unix(1_700_000_000, 123e6)
	for _, size := range []int{51, 200} { // the SDK layout: shorter blobs keep no zero prefix
		msg := make([]byte, size)
		for i := range msg {
			msg[i] = byte(i)
		}
		// client -> node
		plain, sender, err := Open(node, k.Seal(msg, [16]byte{1}, now))
		if err != nil || string(plain) != string(msg) || sender != client.Public {
			t.Fatalf("size %d: node opened %x from %x: %v", size, plain, sender[:4], err)
		}
		// node -> client
		plain, err = k.Open(Seal(node, client.Public, msg, [16]byte{2}, now))
		if err != nil || string(plain) != string(msg) {
			t.Fatalf("size %d: client opened %x: %v", size, plain, err)
		}
		// another sender
		if _, err := k.Open(Seal(other, client.Public, msg, [16]byte{3}, now)); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("size %d: payload of another sender: %v, want ErrDecrypt", size, err)
		}
		// tampered
		p := Seal(node, client.Public, msg, [16]byte{4}, now)
		p.Random = "00000000000000000000000000000005"
		if _, err := k.Open(p); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("size %d: tampered payload: %v, want ErrDecrypt", size, err)
		}
	}
	if _, err := k.Open(Payload{VerificationKey: "zz"}); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("malformed payload: %v, want ErrEnvelope", err)
	}
}
