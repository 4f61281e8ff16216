package devnet

// nagaNode is a node's Naga state: its x25519 identity key (the E2EE key the
// handshake announces as nodeIdentityKey).
type nagaNode struct {
	identityPublic, identitySecret [32]byte
}
