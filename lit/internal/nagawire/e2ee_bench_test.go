package nagawire

import (
	"bytes"
	"crypto/rand"
	"testing"
	"time"
)

// BenchmarkE2EEPerNode is the fixed cost Naga's end-to-end encryption
// adds to a call (issue 11 asks for it measured): per node asked, on each
// side, and once per call for the client's request key. Sizes are those
// of the seed action's call: a 3 KB request (code, jsParams, session
// signature) and a 1.5 KB reply (one signature share, the payment detail).
//
//   - request-key: the client's fresh key pair for the call (one x25519
//     product), GenerateIdentity;
//   - client: the box key with the node's identity key (one product), the
//     sealed request's JSON, then the reply's envelope parsed and opened;
//   - node: the box key with the request key (one product), the request's
//     envelope parsed and opened, the reply sealed.
//
// A call asking n nodes costs request-key + n x (client) on the client and
// n x (node) on the nodes; the x25519 products are most of it.
func BenchmarkE2EEPerNode(b *testing.B) {
	nodeID, err := GenerateIdentity(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	clientID, err := GenerateIdentity(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	request := bytes.Repeat([]byte(`{"a":"bcdefgh"}`), 200)
	reply := bytes.Repeat([]byte(`{"a":"bcdefgh"}`), 100)
	at := time.UnixMilli(1767225600123)
	epoch := uint64(3)
	toNode := clientID.SharedKey(nodeID.KeyPair().Public).SealEnvelope(request, [16]byte{1}, at, &epoch)
	toClient := nodeID.SharedKey(clientID.KeyPair().Public).SealEnvelope(reply, [16]byte{2}, at, nil)
	open := func(b *testing.B, k *SharedKey, body []byte, want int) {
		env, err := UnmarshalEnvelope(body)
		if err != nil {
			b.Fatal(err)
		}
		plain, err := k.Open(env.Payload)
		if err != nil || len(plain) != want {
			b.Fatalf("open: %d bytes, %v", len(plain), err)
		}
	}
	b.Run("request-key", func(b *testing.B) {
		for b.Loop() {
			if _, err := GenerateIdentity(rand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client", func(b *testing.B) {
		for b.Loop() {
			k := clientID.SharedKey(nodeID.KeyPair().Public)
			_ = k.SealEnvelope(request, [16]byte{3}, at, &epoch)
			open(b, k, toClient, len(reply))
		}
	})
	b.Run("node", func(b *testing.B) {
		for b.Loop() {
			k := nodeID.SharedKey(clientID.KeyPair().Public)
			open(b, k, toNode, len(request))
			_ = k.SealEnvelope(reply, [16]byte{4}, at, nil)
		}
	})
}
