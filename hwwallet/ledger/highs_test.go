package ledger

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
)

// highSDevice passes APDUs to a real (emulated) Ledger and rewrites its
// personal_sign reply v || r || s into the same signature's high-s twin
// v' || r || n-s, which recovers to the same address.
type highSDevice struct {
	APDUTransport
	rewritten int
}

func (h *highSDevice) Exchange(ctx context.Context, cmd []byte) ([]byte, error) {
	reply, err := h.APDUTransport.Exchange(ctx, cmd)
	if err != nil || len(cmd) < 2 || cmd[1] != insSignPersonalMessage || len(reply) != 65+2 {
		return reply, err
	}
	out := append([]byte(nil), reply...)
	s := new(big.Int).SetBytes(out[33:65])
	s.Sub(crypto.S256().Params().N, s).FillBytes(out[33:65])
	out[0] = 55 - out[0] // 27 <-> 28
	h.rewritten++
	return out, nil
}

// TestHighSSignatureRefused: the Ledger driver applies the same low-s rule
// as the Trezor driver (hwwallet.CheckPersonalSignature).
func TestHighSSignatureRefused(t *testing.T) {
	emu, err := emulator.NewLedger(emulator.SpeculosMnemonic, nil)
	if err != nil {
		t.Fatal(err)
	}
	dev := &highSDevice{APDUTransport: NewHIDTransport(emu.Transport())}
	d, err := OpenAPDU(dev, emu.Info())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		emu.Close()
	})
	sig, _, err := d.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, []byte("hello"))
	if dev.rewritten != 1 {
		t.Fatalf("%d sign replies rewritten, want 1", dev.rewritten)
	}
	if !errors.Is(err, hwwallet.ErrBadReply) {
		t.Fatalf("high-s signature: sig %x, err %v, want ErrBadReply", sig, err)
	}
}
