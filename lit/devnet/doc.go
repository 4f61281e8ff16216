// Package devnet runs a local Lit-compatible network for development and
// tests: N nodes on loopback HTTP ports speaking the Lit v2 node API
// (POST /web/handshake and POST /web/execute, with the request and reply
// shapes the real JS SDK 2.2.x uses), verifying session signatures like a
// node, running Lit Actions in goja (package lit/devnet/action), and holding
// PKP keys only as per-node Shamir shares so that exactly a threshold of
// signature shares combines into a valid ECDSA signature.
//
// This is a simulation with a trusted dealer, not a secure MPC. At start the
// dealer generates each PKP key, deals Shamir shares of it to the nodes and
// forgets the key (only the public key is kept). For every signature the
// dealer side also derives the nonce k (deterministically from a network
// secret, the request id, the PKP, the sigName and the message), publishes
// R = k·G and hands each node of the signing set its Lagrange-weighted k⁻¹.
// A node's share is s_i = λ_i·k⁻¹·(m + r·x_i); the t shares of the signing
// set sum to s = k⁻¹·(m + r·x), and any smaller subset does not. Anybody who
// sees k⁻¹ and s can recover the key: every node process shares one address
// space anyway. Never hold real value with a devnet PKP.
//
// One signing set of Threshold live nodes is chosen per request (keyed by
// the X-Request-Id header the SDK sends identically to every node); the
// other nodes answer with an empty signatureShare, as real nodes outside
// the signing set do. Fault knobs (latency, down, wrong share, malformed
// reply, HTTP 500) can be set per node at start or at run time.
package devnet
