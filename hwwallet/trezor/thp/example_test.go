package thp_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/trezor/thp"
)

// How a driver uses THP once the codec v1 probe was answered
// Failure(InvalidProtocol): connect (pairing the first time), create a
// session, then send the ordinary protobuf messages inside the channel.
func ExampleConnect() {
	var (
		ctx       = context.Background()
		transport hwwallet.Transport   // the USB or UDP transport the probe used
		stored    []thp.Credential     // loaded from the state directory
		persist   func(thp.Credential) // writes a new credential there, next to hostKey
	)
	hostKey, _ := ecdh.X25519().GenerateKey(rand.Reader) // stored 0600 once, reused
	h, err := thp.Connect(ctx, thp.Reports(transport), thp.HostConfig{
		StaticKey:   hostKey,
		Credentials: stored,
		HostName:    "my-laptop",
		AppName:     "litsigner",
		PairingCode: func(ctx context.Context) (string, error) {
			return "123456", nil // ask the user for the code on the Trezor's screen
		},
		OnButtonRequest: func(b thp.ButtonRequest) { fmt.Println("confirm on the Trezor:", b.Name) },
		UnlockOnDevice:  true,
	})
	if err != nil {
		return
	}
	if cred, ok := h.NewCredential(); ok {
		persist(cred)
	}
	session, err := h.CreateSession(ctx, "")
	if err != nil {
		return
	}
	var signMessage []byte // proto.Marshal(&trezor.EthereumSignMessage{...})
	reply, err := h.Call(ctx, thp.Message{Session: session, Type: 64, Data: signMessage})
	if err != nil {
		return
	}
	switch reply.Type {
	case 66: // EthereumMessageSignature
	case thp.TypeFailure:
	}
}
