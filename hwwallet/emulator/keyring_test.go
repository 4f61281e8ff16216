package emulator

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
)

func TestKeyringPublishedAddresses(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	if v.Mnemonics["speculos"] != SpeculosMnemonic || v.Mnemonics["trezor_all"] != TrezorTestMnemonic {
		t.Fatal("mnemonic constants differ from the published vectors")
	}
	if len(v.Addresses) == 0 {
		t.Fatal("no address vectors")
	}
	for _, tc := range v.Addresses {
		t.Run(tc.Mnemonic+" "+tc.Path, func(t *testing.T) {
			k, err := NewKeyringFromMnemonic(v.Mnemonics[tc.Mnemonic], "")
			if err != nil {
				t.Fatal(err)
			}
			path, err := accounts.ParseDerivationPath(tc.Path)
			if err != nil {
				t.Fatal(err)
			}
			addr, err := k.Address(path)
			if err != nil {
				t.Fatal(err)
			}
			if addr.Hex() != tc.Address {
				t.Fatalf("address %s, want %s", addr.Hex(), tc.Address)
			}
		})
	}
}

func TestSeedPassphraseChangesKeys(t *testing.T) {
	path := accounts.DefaultBaseDerivationPath
	a, err := NewKeyringFromMnemonic(TrezorTestMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewKeyringFromMnemonic(TrezorTestMnemonic, "TREZOR")
	if err != nil {
		t.Fatal(err)
	}
	aa, _ := a.Address(path)
	ba, _ := b.Address(path)
	if aa == ba {
		t.Fatal("passphrase did not change the derived address")
	}
}

func TestSeedRejectsBadWordCount(t *testing.T) {
	for _, m := range []string{"", "all", "all all all all all all all all all all all"} {
		if _, err := Seed(m, ""); !errors.Is(err, ErrBadMnemonic) {
			t.Errorf("Seed(%q) = %v, want ErrBadMnemonic", m, err)
		}
	}
}
