package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/hub"
	"github.com/litsigner/litsigner/hwwallet/trezor/thpstore"
	"github.com/litsigner/litsigner/lit"
)

// TestDevSafe7PairsThroughWalletPair is 'litsignerd --dev --device
// emulator:trezor-safe7': the first approval finds the Safe 7 unpaired,
// the device shows a code, and wallet_pair (litsigner wallet pair CODE)
// answers it; the session is approved on the device and signs. The
// pairing is kept in $XDG_STATE_HOME/litsigner, so the next approval
// needs no code.
func TestDevSafe7PairsThroughWalletPair(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	cfg := devConfig(t)
	cfg.Device = hub.EmulatorTrezorSafe7ID
	td := startDaemon(t, cfg, Options{})
	codes := make(chan string, 4)
	td.devBehaviour().OnPrompt(func(p emulator.Prompt) {
		if p.Kind == emulator.PromptPairingCode {
			codes <- p.Text
		}
	})
	pkp := networkPKP(t, td)

	// No pairing is pending yet.
	if err := call(t, dial(t, td.sock), nil, "wallet_pair", "123456"); codeOf(err) != rpcapi.CodeNoPairingRequest {
		t.Fatalf("wallet_pair with nothing pending: %v", err)
	}
	errc := make(chan error, 1)
	var res lit.ExecuteJSResult
	go func() {
		errc <- call(t, dial(t, td.sock), &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)})
	}()
	var code string
	select {
	case code = <-codes:
	case <-time.After(20 * time.Second):
		t.Fatal("the Safe 7 showed no pairing code")
	}
	waitFor(t, "the pairing request", td.pin.PairingPending)
	if err := call(t, dial(t, td.sock), nil, "wallet_pair", "12345"); codeOf(err) != rpcapi.CodeInvalidParams {
		t.Fatalf("wallet_pair with 5 digits: %v", err)
	}
	if err := call(t, dial(t, td.sock), nil, "wallet_pair", code); err != nil {
		t.Fatalf("wallet_pair: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("executeJs: %v", err)
	}
	checkHello(t, &res, pkp)

	var st rpcapi.SessionStatus
	if err := call(t, dial(t, td.sock), &st, "lit_sessionStatus"); err != nil {
		t.Fatal(err)
	}
	keys, err := emulator.NewKeyringFromMnemonic(emulator.SpeculosMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := keys.Address(td.cfg.Path())
	if st.State != "active" || st.Address != want.Hex() || st.Approvals != 1 {
		t.Fatalf("status %+v, want active for %s", st, want.Hex())
	}
	if fi, err := os.Stat(filepath.Join(state, "litsigner", thpstore.FileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("pairing file: %v %v", fi, err)
	}

	// A new approval reconnects with the stored credential: no code.
	if !callOK(t, td, "lit_revokeSession") {
		t.Fatal("revoke")
	}
	if err := call(t, dial(t, td.sock), &st, "lit_startSession"); err != nil || st.State != "active" {
		t.Fatalf("second approval: %+v, %v", st, err)
	}
	if n := td.devBehaviour().PromptsOf(emulator.PromptPairingCode); n != 1 {
		t.Fatalf("%d pairing codes shown, want 1", n)
	}
	var devs []hwwallet.DeviceInfo
	if err := call(t, dial(t, td.sock), &devs, "wallet_devices"); err != nil || !slices.ContainsFunc(devs, func(d hwwallet.DeviceInfo) bool { return d.ID == hub.EmulatorTrezorSafe7ID }) {
		t.Fatalf("wallet_devices: %+v, %v", devs, err)
	}
}

func callOK(t *testing.T, td *testDaemon, method string) bool {
	t.Helper()
	var ok bool
	return call(t, dial(t, td.sock), &ok, method) == nil && ok
}

func TestPairingBroker(t *testing.T) {
	b := &pinBroker{}
	requested := make(chan hwwallet.DeviceInfo, 1)
	b.OnPairingRequest = func(d hwwallet.DeviceInfo) { requested <- d }
	if err := b.Pair("123456"); !errors.Is(err, errNoPairingRequest) {
		t.Fatalf("Pair with nothing pending: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		c, err := b.PairingCode(context.Background(), hwwallet.DeviceInfo{ID: "x"})
		if err != nil {
			c = err.Error()
		}
		got <- c
	}()
	if d := <-requested; d.ID != "x" {
		t.Fatalf("request for %+v", d)
	}
	if _, err := b.PairingCode(context.Background(), hwwallet.DeviceInfo{}); !errors.Is(err, hwwallet.ErrBusy) {
		t.Fatalf("a second pending pairing: %v", err)
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", " 12345"} {
		if err := b.Pair(bad); !errors.Is(err, errInvalidParams) {
			t.Errorf("Pair(%q): %v", bad, err)
		}
	}
	if err := b.Pair("012345"); err != nil {
		t.Fatal(err)
	}
	if c := <-got; c != "012345" {
		t.Fatalf("code %q", c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.PairingCode(ctx, hwwallet.DeviceInfo{}); !errors.Is(err, hwwallet.ErrPairingNeeded) || !errors.Is(err, context.Canceled) {
		t.Fatalf("PairingCode after the approval ended: %v", err)
	}
	if b.PairingPending() {
		t.Fatal("still pending")
	}
}
