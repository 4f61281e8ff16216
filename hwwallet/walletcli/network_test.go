package walletcli

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/emulator/serve"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
)

// TestSignMessageOverSpeculos: 'wallet sign-message --device
// speculos:HOST:PORT' reproduces the Ledger vector through a Speculos APDU
// port (here litsigner's own emulator behind it), and a port where nothing
// listens is a device error (exit 3) that says so.
func TestSignMessageOverSpeculos(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	l, err := emulator.NewLedger(emulator.SpeculosMnemonic, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve.ServeSpeculos(ctx, ln, l, nil, t.Logf) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		l.Close()
	}()
	tc := v.LedgerPersonalSign[0]
	code, out, errOut := run(t, nil, "sign-message", "--device", "speculos:"+ln.Addr().String(), "--path", tc.Path, "--message", tc.Message)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := fmt.Sprintf("address:   %s\nsignature: 0x%s%s%02x\n", v.Addresses[0].Address, tc.R, tc.S, tc.V)
	if out != want {
		t.Fatalf("stdout\n%s\nwant\n%s", out, want)
	}

	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	code, _, errOut = run(t, nil, "accounts", "--device", "speculos:"+addr, "--count", "1")
	if code != ExitDevice || !strings.Contains(errOut, "nothing listens on "+addr) {
		t.Fatalf("nothing listening: exit %d: %s", code, errOut)
	}
}
