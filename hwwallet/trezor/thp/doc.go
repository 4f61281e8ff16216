// Package thp implements the Trezor Host Protocol version 2 (THP), the
// encrypted channel that the Trezor Safe 7 speaks instead of codec v1:
// 64-byte packets with channel ids and CRC-32, the alternating-bit
// protocol with ACKs and retransmission, the Noise XX handshake with the
// device's masked static key, CodeEntry pairing (CPace over Elligator2),
// pairing credentials, sessions and the encrypted transport.
//
// Both ends live here and share one wire grammar: Host is what the
// driver runs after the codec v1 probe answers Failure(InvalidProtocol);
// Device is the device side the emulator runs. Both speak over a
// PacketTransport, which moves single 64-byte packets.
//
// A driver uses it once the codec v1 probe was answered
// Failure(InvalidProtocol): connect (pairing the first time), keep a new
// credential, create a session, then send the ordinary protobuf messages
// inside the channel:
//
//	h, err := thp.Connect(ctx, thp.Reports(transport), thp.HostConfig{
//		StaticKey:      hostKey, // X25519, generated once and stored 0600
//		Credentials:    stored,  // from earlier pairings
//		HostName:       "my-laptop",
//		AppName:        "litsigner",
//		PairingCode:    askUser, // the code the Trezor shows, the first time
//		UnlockOnDevice: true,
//	})
//	if cred, ok := h.NewCredential(); ok {
//		persist(cred)
//	}
//	session, err := h.CreateSession(ctx, "")
//	reply, err := h.Call(ctx, thp.Message{Session: session, Type: 64, Data: signMessage})
//
// References: trezor-firmware docs/common/thp/specification.md,
// common/protob/messages-thp.proto, rust/trezor-thp.
package thp
