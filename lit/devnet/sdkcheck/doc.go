// Package sdkcheck holds the conformance checks of the devnet against the
// real Lit JS SDKs.
//
//   - v2: run.mjs (SDK 2.2.63, pinned in package-lock.json, `npm ci` in this
//     directory) runs the seed program against the v2 devnet; the test
//     compares the SDK's combined signatures with lit.CombineECDSAShares on
//     the same node shares.
//   - Naga: naga/run-naga.js (SDK 8.3.1: lit-client 8.3.1, networks 8.4.1,
//     auth 8.2.3, pinned in naga/package-lock.json, `npm ci` in naga/) runs an
//     EOA session, signEcdsa, several signatures, a throwing action and an
//     ipfsId-scoped session against the Naga devnet; the test combines the
//     exact shares the SDK's wasm combined and requires the same signatures.
//   - naga/make-e2ee-vectors.js writes lit/internal/nagawire's E2EE vectors
//     with the SDK's own walletEncrypt (fixed keys, randomness and clock).
//
// The real-SDK tests run when LITSIGNER_SDKCHECK=1 (they need node and the
// installed node_modules). They use the SDK's fixed ports (nodes 7470-7479,
// the Naga chain 8545) under an flock on /tmp/litsigner-fixed-ports.lock.
package sdkcheck
