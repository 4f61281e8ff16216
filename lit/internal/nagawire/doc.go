// Package nagawire is the wire grammar of the Lit "Naga" network (SDK 8.x):
// the end-to-end encryption of node requests and replies, the handshake,
// the session-signature message, the executeJs request and reply, and the
// JSON-in-JSON ECDSA signature share. The client (package lit) and the
// local network (package lit/devnet) both read and write these types, so
// the two cannot drift apart; the real SDK's captured requests and the
// real-SDK conformance check are the independent oracle.
//
// The formats are described in lit/PROTOCOL-naga.md.
package nagawire
