package emulator

import (
	"encoding/json"
	"os"
	"testing"
)

// vectors mirrors hwwallet/testdata/vectors.json (a copy of the published
// /shared/vectors/hwwallet.json).
type vectors struct {
	Mnemonics map[string]string `json:"mnemonics"`
	Addresses []struct {
		Mnemonic, Path, Address string
	} `json:"addresses"`
	LedgerPersonalSign []struct {
		Mnemonic, Path, Message string
		V                       int
		R, S                    string
	} `json:"ledger_personal_sign"`
	LedgerAPDUs []struct {
		Path, Message, APDU string
		HIDFramePrefix      string `json:"hid_frame_prefix"`
	} `json:"ledger_apdus"`
	TrezorSignMessage []struct {
		Mnemonic, Path, Message, Signature string
	} `json:"trezor_sign_message"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("../testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
