package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestDevSafe7WrongCodeKeepsApproval: while the code is awaited, status
// says "pairing" with the command to run. A wrong code fails the wallet_pair
// that sent it (4013, saying a new code comes), not the approval: the
// Safe 7 takes one guess per code, so the daemon pairs again, the device
// shows a new code, and the right one approves the waiting session.
func TestDevSafe7WrongCodeKeepsApproval(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	cfg := devConfig(t)
	cfg.Device = hub.EmulatorTrezorSafe7ID
	td := startDaemon(t, cfg, Options{})
	codes := make(chan string, 4)
	td.devBehaviour().OnPrompt(func(p emulator.Prompt) {
		if p.Kind == emulator.PromptPairingCode {
			codes <- p.Text
		}
	})
	nextCode := func() string {
		t.Helper()
		select {
		case c := <-codes:
			waitFor(t, "the pairing request", td.pin.PairingPending)
			return c
		case <-time.After(20 * time.Second):
			t.Fatal("the Safe 7 showed no pairing code")
			return ""
		}
	}
	errc := make(chan error, 1)
	var st rpcapi.SessionStatus
	go func() { errc <- call(t, dial(t, td.sock), &st, "lit_startSession") }()

	code := nextCode()
	// With notifications off, status is where the user learns of the code.
	var pending rpcapi.SessionStatus
	if err := call(t, dial(t, td.sock), &pending, "lit_sessionStatus"); err != nil || pending.State != "pairing" ||
		!strings.Contains(pending.Hint, "litsigner wallet pair CODE") || pending.Device != hub.EmulatorTrezorSafe7ID {
		t.Fatalf("status while the code is awaited: %+v, %v", pending, err)
	}
	wrong := "111111"
	if code == wrong {
		wrong = "222222"
	}
	err := call(t, dial(t, td.sock), nil, "wallet_pair", wrong)
	if codeOf(err) != rpcapi.CodePairingNeeded || !strings.Contains(err.Error(), "new code") {
		t.Fatalf("wallet_pair with a wrong code: %v, want %d saying a new code comes", err, rpcapi.CodePairingNeeded)
	}
	select {
	case err := <-errc:
		t.Fatalf("the approval ended after a wrong code: %v", err)
	default:
	}
	code2 := nextCode()
	if err := call(t, dial(t, td.sock), nil, "wallet_pair", code2); err != nil {
		t.Fatalf("wallet_pair with the new code: %v", err)
	}
	if err := <-errc; err != nil || st.State != "active" || st.Hint != "" {
		t.Fatalf("session start: %+v, %v", st, err)
	}
	if n := td.devBehaviour().PromptsOf(emulator.PromptPairingCode); n != 2 {
		t.Fatalf("%d pairing codes shown, want 2", n)
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
	if err := b.Pair(context.Background(), "123456"); !errors.Is(err, errNoPairingRequest) {
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
		if err := b.Pair(context.Background(), bad); !errors.Is(err, errInvalidParams) {
			t.Errorf("Pair(%q): %v", bad, err)
		}
	}
	// Pair returns what the device made of the code (PairingResult).
	paired := make(chan error, 1)
	go func() { paired <- b.Pair(context.Background(), "012345") }()
	if c := <-got; c != "012345" {
		t.Fatalf("code %q", c)
	}
	select {
	case err := <-paired:
		t.Fatalf("Pair returned %v before the device checked the code", err)
	case <-time.After(50 * time.Millisecond):
	}
	wrong := fmt.Errorf("wrong code: %w", hwwallet.ErrPairing)
	b.PairingResult(hwwallet.DeviceInfo{ID: "x"}, wrong)
	if err := <-paired; !errors.Is(err, hwwallet.ErrPairing) || codeOf(rpcError(err)) != rpcapi.CodePairingNeeded {
		t.Fatalf("Pair of a wrong code: %v", err)
	}
	// A Pair that gives its code as the approval ends hears so.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, err := b.PairingCode(ctx, hwwallet.DeviceInfo{ID: "x"})
		got <- err.Error()
	}()
	<-requested
	b.mu.Lock()
	b.pairing, b.checking = nil, make(chan error, 1) // what Pair does, but the code never arrives
	lost := b.checking
	b.mu.Unlock()
	cancel()
	<-got
	if err := <-lost; !errors.Is(err, hwwallet.ErrPairingNeeded) {
		t.Fatalf("Pair whose code nobody read: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := b.PairingCode(ctx, hwwallet.DeviceInfo{}); !errors.Is(err, hwwallet.ErrPairingNeeded) || !errors.Is(err, context.Canceled) {
		t.Fatalf("PairingCode after the approval ended: %v", err)
	}
	if b.PairingPending() {
		t.Fatal("still pending")
	}
}
