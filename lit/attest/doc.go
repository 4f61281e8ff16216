// Package attest verifies the AMD SEV-SNP attestation a Lit Naga node sends
// in its handshake, and provides the test authority a local network uses to
// produce such attestations.
//
// # What a node sends
//
// The handshake reply's `attestation` object is
//
//	{"type":"AMD_SEV_SNP", "noonce":b64, "data":{name:b64,…}, "signatures":[b64,…], "report":b64}
//
// noonce is the 32-byte challenge the client put in the handshake request;
// data holds at least EXTERNAL_ADDR (the node's host:port) and, from real
// nodes, RELEASE_ID, INSTANCE_ID and UNIX_TIME; report is the 1184-byte
// SNP attestation report. The node sets the report's REPORT_DATA to
// SHA-512 of "noonce" ‖ noonce ‖ "data" ‖ each key ‖ value (keys in byte
// order) ‖ — if there are signatures — "signatures" ‖ every signature but
// the last (see ReportData).
//
// # What the SDK checks (@lit-protocol/crypto 8.1.0 checkSevSnpAttestation)
//
// On naga-test, naga-staging, naga and naga-proto the SDK, per node:
// compares noonce with the challenge; compares EXTERNAL_ADDR's host and port
// with the URL's (port 80/443 by scheme when absent); builds the VCEK URL
// https://kdsintf.amd.com/vcek/v1/Milan/{chip id}?blSPL=…&teeSPL=…&snpSPL=…&ucodeSPL=…
// from the report (always "Milan", levels zero-padded to two digits) and
// fetches it through https://cors.litgateway.com/{that URL}, directly if
// the proxy fails, caching it per URL; then (Rust sev crate 2.0, in wasm)
// checks ARK → ASK → VCEK with AMD's built-in Milan ARK and ASK, the report
// signature with the VCEK, and REPORT_DATA against the hash above. It checks
// no certificate dates, no TCB values, no guest policy and no measurement.
// A node failing this is left out of the handshake; the SDK needs at least
// max(3, ⌊2n/3⌋) good nodes.
//
// The SDK also wires a release-id check (networks 8.4.1, BaseModuleFactory
// defaultVerifyReleaseId) but always passes it a null configuration, so it
// never runs; its default implementation would call a contract function
// (getReleaseByIdAndSubnetId) its own ABI lacks, and expects a 64-character
// id where nodes send 48. ReleaseRegister implements the check against the
// published ReleaseRegister contract (getRelease(bytes32)) and the node's
// id format instead; like the SDK, Verify runs it only when configured.
//
// # What Verify checks
//
// The same, using github.com/google/go-sev-guest for parsing and for the
// chain and signature, with these differences: the report must be exactly
// 1184 bytes of a supported version (2–5), VCEK-signed with ECDSA P-384
// (the only kind the SDK can verify) and from a Milan chip; type must be
// AMD_SEV_SNP; EXTERNAL_ADDR must parse as host:port; the VCEK must carry
// the report's chip id and REPORTED_TCB; ARK, ASK and VCEK must be within
// their validity dates; the report data is checked before any fetch.
// RequireNoDebug additionally refuses guests whose policy allows debugging.
// Each refusal is an *Error naming the node, with one ErrAttestation*
// reason.
//
// VCEKs come from the roots (a test authority's), then the disk Cache
// (DefaultCacheDir: $XDG_CACHE_HOME/litsigner/vcek, one 0644 DER file per
// product, chip and TCB, in a 0700 directory, written atomically), then the
// proxy and the KDS through a Getter. A cached VCEK that no longer verifies
// is dropped and fetched again; fetched ones are cached only once verified.
//
// # The test authority
//
// TestAuthority is a fresh ARK → ASK → VCEK chain shaped like AMD's and one
// fake Milan chip. Attest binds a report exactly as a node does, and
// AttestSpoiled makes the three bad kinds a devnet serves (wrong challenge,
// wrong address, broken signature). WriteRoots writes ARK, ASK and the VCEK
// as PEM; LoadRoots reads such a file into Options.Roots, so a verifier
// needs no KDS. KDSHandler serves the VCEK as AMD's KDS would.
//
// Importing go-sev-guest's verify package registers one flag on the
// standard flag set (-workaround_kds_productname); it does nothing here.
package attest
