// Package devnet runs a local Lit-compatible network for development and
// tests: N nodes on loopback HTTP ports, verifying session signatures like a
// node, running Lit Actions in goja (package lit/devnet/action), and holding
// PKP keys only as per-node Shamir shares so that exactly a threshold of
// signature shares combines into a valid ECDSA signature.
//
// It speaks one of two node APIs (Config.Protocol). The node core (node.go:
// verify → run the action → signature shares) is shared; each protocol is an
// HTTP codec:
//
//   - v2 (v2.go, the default): the API of the JS SDK 2.2.x, POST
//     /web/handshake and POST /web/execute, plaintext JSON.
//   - Naga (naga.go, naga_http.go, chain.go): the API of the JS SDK 8.x.
//     A fake chain (go-ethereum rpc; eth_chainId 31337, net_version,
//     eth_blockNumber, eth_getLogs, eth_call) serves Staking and PriceFeed at
//     the SDK's naga-local addresses: the node list, the epoch, the minimum
//     node count and per-node prices. Nodes have x25519 identity keys, answer
//     POST /web/handshake/ wrapped in {ok,error,errorObject,data}, and take
//     POST /web/execute/v2 end-to-end encrypted (package nagawire), replying
//     sealed to the request's key, errors included. A session signature is
//     checked as a Naga node does (ed25519 over the exact message, nodeAddress
//     with its scheme, 60 s clock grace, maxPrice at least the node's price,
//     the wallet's SIWE capability last). The signature is split additively
//     over the request's nodeSet, one nonce per (PKP, nodeSet, sigName,
//     digest), and each share is the JSON-in-JSON EcdsaSignedMessageShare of
//     the SDK captures.
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
// On v2 one signing set of Threshold live nodes is chosen per request
// (keyed by the X-Request-Id header the SDK sends identically to every
// node); the other nodes answer with an empty signatureShare, as real nodes
// outside the signing set do. On Naga the signing set is the request's
// nodeSet (at least Threshold nodes, this node among them). Fault knobs
// (latency, down, wrong share, malformed reply, HTTP 500, and on Naga a
// payment refusal) can be set per node at start or at run time; Naga prices
// (SetPrice), epochs (AdvanceEpoch) and the accounts' Ledger balances
// (SetBalance) too.
package devnet
