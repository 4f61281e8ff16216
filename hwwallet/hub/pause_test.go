package hub

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/leaktest"
	"github.com/litsigner/litsigner/hwwallet/ledger"
	"github.com/litsigner/litsigner/hwwallet/usbhid"
)

// TestWalletPausesDiscovery: no enumeration happens while a wallet opened
// by the hub waits for the user; listing answers the last list seen.
func TestWalletPausesDiscovery(t *testing.T) {
	defer leaktest.Check(t)()
	var scans atomic.Int64
	p := usbhid.NewPoller(func(context.Context) ([]hwwallet.DeviceInfo, error) {
		scans.Add(1)
		return nil, nil
	})
	if _, err := p.List(context.Background()); err != nil {
		t.Fatal(err)
	}

	b := emulator.NewBehaviour()
	b.SetAction(emulator.NeverAnswer)
	prompted := make(chan struct{}, 1)
	b.OnPrompt(func(emulator.Prompt) { prompted <- struct{}{} })
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
	select {
	case <-prompted:
	case <-time.After(10 * time.Second):
		t.Fatal("the device never prompted")
	}
	before := scans.Load()
	if _, err := p.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := scans.Load() - before; n != 0 {
		t.Fatalf("%d enumerations while the device was prompting", n)
	}
	b.SetAction(emulator.Approve)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := p.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := scans.Load() - before; n != 1 {
		t.Fatalf("%d enumerations after the wallet finished, want 1", n)
	}
}
