package hub

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/internal/leaktest"
	"github.com/litsigner/litsigner/hwwallet/ledger"
	"github.com/litsigner/litsigner/hwwallet/usbhid"
)

// TestWalletPausesDiscovery: no enumeration happens while a wallet opened
// by the hub waits for the user.
func TestWalletPausesDiscovery(t *testing.T) {
	defer leaktest.Check(t)()
	var scans atomic.Int64
	p := usbhid.NewPoller(func(context.Context) ([]hwwallet.DeviceInfo, error) {
		scans.Add(1)
		return nil, nil
	}, time.Millisecond, nil)
	defer p.Close()
	sub, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Subscribe(sub, 1)

	b := emulator.NewBehaviour()
	b.SetAction(emulator.NeverAnswer)
	emu, _ := emulator.NewLedger(emulator.SpeculosMnemonic, b)
	defer emu.Close()
	d, _ := ledger.Open(emu.Transport(), emu.Info())
	w := &pausingWallet{Wallet: d, poller: p}
	defer w.Close()

	done := make(chan error)
	go func() {
		_, _, err := w.SignPersonalMessage(context.Background(), hwwallet.DefaultPath, []byte("x"))
		done <- err
	}()
	for b.Prompts() == 0 {
		time.Sleep(time.Millisecond)
	}
	before := scans.Load()
	time.Sleep(30 * time.Millisecond)
	if n := scans.Load() - before; n != 0 {
		t.Fatalf("%d enumerations while the device was prompting", n)
	}
	b.SetAction(emulator.Approve)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for scans.Load() == before {
		time.Sleep(time.Millisecond) // discovery resumes
	}
}
