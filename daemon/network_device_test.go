package daemon

import (
	"context"
	"net"
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/emulator/serve"
	"github.com/litsigner/litsigner/lit"
)

// TestSessionOnNetworkEmulators: litsignerd (--dev network) with its
// device set to an emulator on the network, as a CI pipeline would set it
// to Speculos or trezor-user-env: the session is approved over Speculos'
// TCP protocol, or the Trezor emulator's UDP protocol, and the seed
// action runs.
func TestSessionOnNetworkEmulators(t *testing.T) {
	for _, kind := range []string{"speculos", "trezor-udp"} {
		t.Run(kind, func(t *testing.T) {
			b := emulator.NewBehaviour()
			id := startNetworkEmulator(t, kind, b)
			cfg := devConfig(t)
			cfg.Device = id
			td := startDaemon(t, cfg, Options{DevNodes: 3})
			pkp := networkPKP(t, td)
			c := dial(t, td.sock)
			var res lit.ExecuteJSResult
			if err := call(t, c, &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}); err != nil {
				t.Fatal(err)
			}
			checkHello(t, &res, pkp)
			var st rpcapi.SessionStatus
			if err := call(t, c, &st, "lit_sessionStatus"); err != nil {
				t.Fatal(err)
			}
			keys, err := emulator.NewKeyringFromMnemonic(emulator.SpeculosMnemonic, "")
			if err != nil {
				t.Fatal(err)
			}
			want, _ := keys.Address(td.cfg.Path())
			if st.State != "active" || st.Address != want.Hex() || st.Approvals != 1 {
				t.Fatalf("status %+v, want active with %s", st, want.Hex())
			}
			if n := b.PromptsOf(emulator.PromptSignMessage); n != 1 {
				t.Fatalf("network emulator showed %d sign prompts, want 1", n)
			}
		})
	}
}

// startNetworkEmulator serves an emulated Ledger (Speculos TCP) or Trezor
// (UDP) with the Speculos seed on loopback and returns its device ID.
func startNetworkEmulator(t testing.TB, kind string, b *emulator.Behaviour) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var id string
	var closeDev func() error
	if kind == "speculos" {
		l, err := emulator.NewLedger(emulator.SpeculosMnemonic, b)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		id, closeDev = "speculos:"+ln.Addr().String(), l.Close
		go func() { done <- serve.ServeSpeculos(ctx, ln, l, nil, t.Logf) }()
	} else {
		tz, err := emulator.NewTrezor(emulator.SpeculosMnemonic, b, "")
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		id, closeDev = "trezor-udp:"+pc.LocalAddr().String(), tz.Close
		go func() { done <- serve.ServeUDP(ctx, pc, tz.Transport(), t.Logf) }()
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		closeDev()
	})
	return id
}
