package hub

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/emulator/serve"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
)

// serveEmulators puts an emulated Ledger on Speculos' TCP protocol and an
// emulated Trezor on UDP, both on loopback, until the test ends.
func serveEmulators(t *testing.T, mnemonic string) (speculosAddr, udpAddr string) {
	t.Helper()
	l, err := emulator.NewLedger(mnemonic, nil)
	if err != nil {
		t.Fatal(err)
	}
	tz, err := emulator.NewTrezor(mnemonic, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { errs <- serve.ServeSpeculos(ctx, ln, l, nil, t.Logf) }()
	go func() { errs <- serve.ServeUDP(ctx, pc, tz.Transport(), t.Logf) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		l.Close()
		tz.Close()
	})
	return ln.Addr().String(), pc.LocalAddr().String()
}

func TestOpenNetworkEmulators(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	sp, udp := serveEmulators(t, v.Mnemonics["trezor_all"])
	h, err := New(Options{NoUSB: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want := v.TrezorSignMessage[0]
	for _, id := range []string{SpeculosPrefix + sp, TrezorUDPPrefix + udp} {
		w, err := h.Open(ctx, id, nil)
		if err != nil {
			t.Fatalf("open %s: %v", id, err)
		}
		if info := w.Info(); info.ID != id || !info.Emulated {
			t.Errorf("%s: info %+v", id, info)
		}
		sig, signer, err := w.SignPersonalMessage(ctx, hwwallet.DefaultPath, []byte(want.Message))
		if err != nil || signer.Hex() != v.Addresses[2].Address || len(sig) != 65 {
			t.Errorf("%s: sign = %x by %s, %v", id, sig, signer.Hex(), err)
		}
		w.Close()
	}
}

func TestOpenNetworkErrors(t *testing.T) {
	h, err := New(Options{NoUSB: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedTCP := ln.Addr().String()
	ln.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedUDP := pc.LocalAddr().String()
	pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, id := range []string{
		"speculos:", "speculos:nohost", "trezor-udp:127.0.0.1", "speculos::9999",
		"speculos:" + closedTCP, "trezor-udp:" + closedUDP,
	} {
		if _, err := h.Open(ctx, id, nil); !errors.Is(err, hwwallet.ErrNoDevice) {
			t.Errorf("Open(%q) = %v, want ErrNoDevice", id, err)
		}
	}
	if !IsNetworkID("trezor-udp:x:1") || IsNetworkID("trezor:1-2:1.0") || IsNetworkID("emulator:ledger") {
		t.Error("IsNetworkID")
	}
}

// TestCheckID: a typo in a device ID is told apart from an absent device.
func TestCheckID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{EmulatorLedgerID, true},
		{EmulatorTrezorID, true},
		{EmulatorTrezorSafe7ID, true},
		{"ledger:1-1:1.0", true},
		{"trezor:1209:53c1:01", true},
		{"speculos:127.0.0.1:9999", true},
		{"trezor-udp:[::1]:21324", true},
		{"speculos:nohost", false},
		{"speculos:", false},
		{"speculos::9999", false},
		{"speculos:host:http", false},
		{"trezor-udp:host:0", false},
		{"trezor-udp:host:70000", false},
		{"foo:bar", false},
		{"emulator:nano", false},
		{"ledger:", false},
		{"nonsense", false},
		{"", false},
	} {
		err := CheckID(tc.id)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrBadDeviceID)) {
			t.Errorf("CheckID(%q) = %v, want ok %v", tc.id, err, tc.ok)
		}
	}
}
