package hub

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/leaktest"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestDevicesAndOpenEmulators(t *testing.T) {
	defer leaktest.Check(t)()
	h, err := New(Options{Emulators: true, NoUSB: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	devs, err := h.Devices(ctx(t))
	if err != nil || len(devs) != 3 || devs[0].ID != EmulatorLedgerID || devs[1].ID != EmulatorTrezorID || devs[2].ID != EmulatorTrezorSafe7ID || !devs[0].Emulated {
		t.Fatalf("Devices() = %+v, %v", devs, err)
	}
	want := common.HexToAddress("0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D")
	for _, id := range []string{EmulatorLedgerID, EmulatorTrezorID, EmulatorLedgerID} {
		w, err := h.Open(ctx(t), id, nil)
		if err != nil {
			t.Fatalf("open %s: %v", id, err)
		}
		if w.Info().ID != id {
			t.Errorf("Info().ID = %q", w.Info().ID)
		}
		sig, signer, err := w.SignPersonalMessage(ctx(t), hwwallet.DefaultPath, []byte("hello"))
		if err != nil || signer != want || len(sig) != 65 {
			t.Fatalf("%s: sign: %x %s %v", id, sig, signer.Hex(), err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.Behaviour().PromptsOf(emulator.PromptSignMessage); n != 3 {
		t.Errorf("%d sign prompts, want 3", n)
	}
}

func TestEmulatorBehaviourFromOptions(t *testing.T) {
	defer leaktest.Check(t)()
	b := emulator.NewBehaviour()
	b.SetAction(emulator.Reject)
	h, err := New(Options{Emulators: true, NoUSB: true, EmulatorBehaviour: b, EmulatorMnemonic: emulator.TrezorTestMnemonic})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, id := range []string{EmulatorLedgerID, EmulatorTrezorID} {
		w, err := h.Open(ctx(t), id, nil)
		if err != nil {
			t.Fatal(err)
		}
		addr, err := w.Address(ctx(t), accounts.DefaultBaseDerivationPath)
		if err != nil || addr != common.HexToAddress("0x73d0385F4d8E00C5e6504C6030F47BF6212736A8") {
			t.Errorf("%s: address %s %v", id, addr.Hex(), err)
		}
		if _, _, err := w.SignPersonalMessage(ctx(t), accounts.DefaultBaseDerivationPath, []byte("x")); !errors.Is(err, hwwallet.ErrUserRejected) {
			t.Errorf("%s: %v, want ErrUserRejected", id, err)
		}
		w.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	defer leaktest.Check(t)()
	h, err := New(Options{NoUSB: true})
	if err != nil {
		t.Fatal(err)
	}
	devs, err := h.Devices(ctx(t))
	if err != nil || len(devs) != 0 {
		t.Fatalf("Devices() = %v %v", devs, err)
	}
	for _, id := range []string{EmulatorLedgerID, EmulatorTrezorID, "ledger:1-1:1.0", "trezor:1209:53c1:01", "bogus"} {
		if _, err := h.Open(ctx(t), id, nil); !errors.Is(err, hwwallet.ErrNoDevice) {
			t.Errorf("open %s: %v, want ErrNoDevice", id, err)
		}
	}
	h.Close()
	if _, err := h.Devices(ctx(t)); err == nil {
		t.Error("Devices after Close succeeded")
	}
	if _, err := New(Options{Emulators: true, EmulatorMnemonic: "not a mnemonic"}); err == nil {
		t.Error("bad mnemonic accepted")
	}
}
