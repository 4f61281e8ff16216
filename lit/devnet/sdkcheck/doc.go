// Package sdkcheck holds the conformance check of the devnet against the
// real Lit JS SDK 2.2.63: run.mjs (a Node program, dependencies pinned in
// package-lock.json, installed with `npm ci` in this directory) runs the
// seed program against `litsigner devnet`, and the package's test starts the
// devnet in-process, runs it and compares the SDK's combined signatures with
// lit.CombineECDSAShares on the same node shares. The test runs when
// LITSIGNER_SDKCHECK=1; it needs node and the installed node_modules.
package sdkcheck
