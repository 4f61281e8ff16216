// Package emulator provides software hardware wallets for tests and for the
// daemon's --dev mode: an emulated Ledger (Ethereum app) and an emulated
// Trezor, each speaking the vendor's byte-level protocol over an in-memory
// report pipe, so the real drivers in hwwallet/ledger and hwwallet/trezor run
// unchanged against them.
//
// Building blocks shared by both emulators:
//
//   - Seed and Keyring: BIP-39 seed from a mnemonic (PBKDF2-HMAC-SHA512,
//     2048 rounds, salt "mnemonic"+passphrase) and BIP-32 secp256k1
//     derivation; Keyring.Key(path) returns the private key at a path.
//     SpeculosMnemonic and TrezorTestMnemonic are the seeds of the published
//     vectors.
//   - Pipe: an in-memory USB cable of 64-byte reports. Pipe.Host() is the
//     hwwallet.Transport a driver uses; Pipe.Device() is the end a device
//     loop reads requests from and writes replies to. Pipe.Unplug() cuts it:
//     pending and later reads and writes on both ends fail with an error
//     wrapping hwwallet.ErrDisconnected. Closing the host end stops the
//     device loop the same way, so no goroutine outlives its transport.
//   - Behaviour: the scripted user and device state, safe for concurrent
//     use and changeable while a device runs: approve, reject, approve or
//     reject after a delay, never answer (until unplugged, the host leaves,
//     or the action changes), locked, Ethereum app closed (Ledger), PIN
//     matrix with a given PIN and passphrase protection (Trezor), a codec v1
//     Trezor that only answers Failure(InvalidProtocol) (SetTHP), unplug after N reports. OnPrompt receives the
//     text the device would display (the daemon's --dev prints it), and
//     Prompts/PromptsOf count the prompts shown. Confirm is the single place
//     where an emulated device asks the user.
//
// Ledger (see ledger.go) implements the HID framing and the app-ethereum
// APDUs GET_APP_CONFIGURATION, GET_APP_AND_VERSION, GET_ADDRESS and
// SIGN_PERSONAL_MESSAGE with the app's state machine, status words and
// RFC 6979 deterministic signatures; each Transport call plugs in a new
// cable. Trezor (trezor*.go) implements codec v1 with the Ethereum
// messages, PIN matrix, passphrase and Failure codes; model TrezorSafe7
// (trezor_thp.go) is a THP device instead (hwwallet/trezor/thp's Device):
// CodeEntry pairing with the code shown as PromptPairingCode, connection
// screens (PromptConnect), PIN entry on the device, sessions, and the same
// Ethereum messages inside the channel, with THP secrets derived from the
// seed so that credentials survive restarts.
package emulator
