// Package vectors embeds the published hardware-wallet test vectors
// (testdata/hwwallet.json, the project's shared vector file) for the
// hwwallet packages' tests.
package vectors

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed testdata/hwwallet.json
var raw []byte

// Vectors is the published vector file.
type Vectors struct {
	// Mnemonics maps a mnemonic name ("speculos", "trezor_all") to its words.
	Mnemonics map[string]string `json:"mnemonics"`
	// Addresses are derived addresses.
	Addresses []Address `json:"addresses"`
	// LedgerPersonalSign are Ledger personal_sign signatures.
	LedgerPersonalSign []LedgerPersonalSign `json:"ledger_personal_sign"`
	// LedgerAPDUs are recorded Ledger sign-message APDUs.
	LedgerAPDUs []LedgerAPDU `json:"ledger_apdus"`
	// TrezorSignMessage are Trezor EthereumSignMessage signatures.
	TrezorSignMessage []TrezorSignMessage `json:"trezor_sign_message"`
}

// Address is the address a mnemonic (named as in Vectors.Mnemonics)
// derives at a BIP-32 path.
type Address struct {
	Mnemonic, Path, Address string
}

// LedgerPersonalSign is a Ledger signature of a UTF-8 message: V is 27 or
// 28, R and S are hex without 0x.
type LedgerPersonalSign struct {
	Mnemonic, Path, Message string
	V                       byte
	R, S                    string
}

// LedgerAPDU is the hex sign-message APDU for a path and message, and, when
// published, the hex prefix of its first HID report.
type LedgerAPDU struct {
	Path, Message, APDU string
	HIDFramePrefix      string `json:"hid_frame_prefix"`
}

// TrezorSignMessage is a Trezor signature of a UTF-8 message: Signature is
// 65 bytes r||s||v in hex without 0x.
type TrezorSignMessage struct {
	Mnemonic, Path, Message, Signature string
}

// Load decodes the embedded vector file.
func Load() (Vectors, error) {
	var v Vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		return Vectors{}, fmt.Errorf("vectors: decode hwwallet.json: %w", err)
	}
	return v, nil
}
