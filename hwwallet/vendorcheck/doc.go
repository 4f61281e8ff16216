// Package vendorcheck drives litsigner's emulated devices with the
// vendors' own host libraries, the code Ledger Live, Trezor Suite and most
// dApps run: check.mjs (a Node program; dependencies pinned in
// package-lock.json, installed with `npm ci` here) uses
// @ledgerhq/hw-app-eth 7.9.0 over @ledgerhq/hw-transport-node-speculos
// 6.34.7 against `litsigner emulator ledger`, and @trezor/connect 9.7.3
// over its UDP transport against `litsigner emulator trezor`, with no
// network access. The package's test starts each emulator in-process on a
// free loopback port, runs the script, and checks the addresses and
// signatures it got against the published vectors, the vendors' "user
// refused" errors under --reject, and, for a long message, that
// hw-app-eth and litsigner's Ledger driver send the same APDUs. With
// connect's THP settings it also pairs with `litsigner emulator trezor
// --model safe7` (the test types the code the emulator prints), signs the
// vectors, and reconnects with the credential connect saved, also to a
// restarted, locked emulator. It runs
// when LITSIGNER_VENDORCHECK=1 (set by .ci/run); it needs node and the
// installed node_modules.
package vendorcheck
