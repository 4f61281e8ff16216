package trezor

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
	"github.com/litsigner/litsigner/hwwallet/trezor/thp"
	"github.com/litsigner/litsigner/hwwallet/trezor/thpstore"
)

// codeReader is the user at the terminal: it reads the pairing code off
// the emulated Safe 7's screen (the Behaviour's prompts) and types it,
// or types wrong instead.
type codeReader struct {
	codes chan string
	wrong string // typed instead of the code when set
	asked int
	pass  string
}

func newCodeReader(b *emulator.Behaviour) *codeReader {
	r := &codeReader{codes: make(chan string, 4)}
	b.OnPrompt(func(p emulator.Prompt) {
		if p.Kind == emulator.PromptPairingCode {
			r.codes <- p.Text
		}
	})
	return r
}

func (r *codeReader) PairingCode(ctx context.Context, _ hwwallet.DeviceInfo) (string, error) {
	r.asked++
	select {
	case c := <-r.codes:
		if r.wrong != "" {
			return r.wrong, nil
		}
		return c, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (r *codeReader) PIN(context.Context, hwwallet.DeviceInfo) (string, error) {
	return "", errors.New("a Safe 7 takes its PIN on the device")
}

func (r *codeReader) Passphrase(context.Context, hwwallet.DeviceInfo, bool) (string, bool, error) {
	return r.pass, false, nil
}

// safe7 plugs in an emulated Safe 7 and opens the driver on it with the
// store in dir; the error of OpenWith is returned for the test to check.
func safe7(t *testing.T, b *emulator.Behaviour, dir string, p hwwallet.Prompter) (*emulator.Trezor, *Device, error) {
	t.Helper()
	emu, err := emulator.NewTrezor(emulator.TrezorTestMnemonic, b, emulator.TrezorSafe7)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopEmulator(t, emu) })
	dev, err := OpenWith(testCtx(t), emu.Transport(), emu.Info(), Options{Prompter: p, Pairing: thpstore.New(dir), HostName: "test-host"})
	if err == nil {
		t.Cleanup(func() { dev.Close() })
	}
	return emu, dev, err
}

// TestTHPPairReconnectSign: the first connection pairs with the code on
// the screen and saves the credential; a later one (the device plugged in
// again) presents it and only asks to confirm the connection; both sign
// the Trezor vectors.
func TestTHPPairReconnectSign(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for round, wantCodes := range []int{1, 0} {
		b := emulator.NewBehaviour()
		r := newCodeReader(b)
		_, dev, err := safe7(t, b, dir, r)
		if err != nil {
			t.Fatalf("round %d: open: %v", round, err)
		}
		if r.asked != wantCodes || !dev.IsTHP() {
			t.Fatalf("round %d: asked for the code %d times, want %d (THP %v)", round, r.asked, wantCodes, dev.IsTHP())
		}
		if f := dev.Features(); f.Model != emulator.TrezorSafe7 || f.InternalModel != "T3W1" || dev.Info().Model != "Safe 7" {
			t.Fatalf("features %+v info %+v", f, dev.Info())
		}
		ctx := testCtx(t)
		for _, s := range v.TrezorSignMessage {
			path, _ := accounts.ParseDerivationPath(s.Path)
			sig, signer, err := dev.SignPersonalMessage(ctx, path, []byte(s.Message))
			if err != nil {
				t.Fatalf("round %d: sign %q: %v", round, s.Message, err)
			}
			if got := hex.EncodeToString(sig); got != s.Signature || signer != common.HexToAddress("0x73d0385F4d8E00C5e6504C6030F47BF6212736A8") {
				t.Fatalf("round %d: sign %q: %s by %s", round, s.Message, got, signer.Hex())
			}
		}
		if b.PromptsOf(emulator.PromptConnect) != 1 {
			t.Fatalf("round %d: %d connection screens, want 1", round, b.PromptsOf(emulator.PromptConnect))
		}
	}
	fi, err := os.Stat(filepath.Join(dir, thpstore.FileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
}

func TestTHPWrongCode(t *testing.T) {
	dir := t.TempDir()
	b := emulator.NewBehaviour()
	r := newCodeReader(b)
	r.wrong = "000000"
	_, _, err := safe7(t, b, dir, r)
	if !errors.Is(err, hwwallet.ErrPairing) {
		t.Fatalf("open with a wrong code: %v, want ErrPairing", err)
	}
	creds, err := thpstore.New(dir).Credentials()
	if err != nil || len(creds) != 0 {
		t.Fatalf("credentials after a failed pairing: %v %v", creds, err)
	}
	// A malformed code is refused before it reaches the device.
	b2 := emulator.NewBehaviour()
	r2 := newCodeReader(b2)
	r2.wrong = "12ab56"
	if _, _, err := safe7(t, b2, dir, r2); !errors.Is(err, thp.ErrWrongCode) || !errors.Is(err, hwwallet.ErrPairing) {
		t.Fatalf("open with a malformed code: %v, want ErrWrongCode", err)
	}
}

// reportingReader types wrongFirst wrong codes, then the right one, and
// records what the driver reports for each (a hwwallet.PairingReporter).
type reportingReader struct {
	*codeReader
	wrongFirst int
	results    []error
}

func (r *reportingReader) PairingCode(ctx context.Context, dev hwwallet.DeviceInfo) (string, error) {
	r.wrong = ""
	if r.asked < r.wrongFirst {
		r.wrong = "000000"
	}
	return r.codeReader.PairingCode(ctx, dev)
}

func (r *reportingReader) PairingResult(_ hwwallet.DeviceInfo, err error) {
	r.results = append(r.results, err)
}

// TestTHPWrongCodePairsAgain: the device takes one guess per code and
// ends the pairing on a wrong one; the driver pairs again (a new code on
// the screen) and tells the prompter what became of each code, so that a
// typo does not lose the connection.
func TestTHPWrongCodePairsAgain(t *testing.T) {
	dir := t.TempDir()
	b := emulator.NewBehaviour()
	r := &reportingReader{codeReader: newCodeReader(b), wrongFirst: 1}
	_, dev, err := safe7(t, b, dir, r)
	if err != nil {
		t.Fatalf("open after one wrong code: %v", err)
	}
	if !dev.IsTHP() || r.asked != 2 || b.PromptsOf(emulator.PromptPairingCode) != 2 {
		t.Fatalf("asked %d times, %d codes shown; want 2 and 2", r.asked, b.PromptsOf(emulator.PromptPairingCode))
	}
	if len(r.results) != 2 || !errors.Is(r.results[0], hwwallet.ErrPairing) || !errors.Is(r.results[0], thp.ErrWrongCode) ||
		!strings.Contains(r.results[0].Error(), "new code") || r.results[1] != nil {
		t.Fatalf("reported %v, want [wrong code (pairs again), nil]", r.results)
	}
	if creds, err := thpstore.New(dir).Credentials(); err != nil || len(creds) != 1 {
		t.Fatalf("credentials: %v %v", creds, err)
	}

	// Wrong every time: the driver gives up after maxPairingAttempts codes.
	b2 := emulator.NewBehaviour()
	r2 := &reportingReader{codeReader: newCodeReader(b2), wrongFirst: maxPairingAttempts}
	if _, _, err := safe7(t, b2, t.TempDir(), r2); !errors.Is(err, hwwallet.ErrPairing) || !errors.Is(err, thp.ErrWrongCode) {
		t.Fatalf("open with only wrong codes: %v", err)
	}
	if r2.asked != maxPairingAttempts || len(r2.results) != maxPairingAttempts || strings.Contains(r2.results[maxPairingAttempts-1].Error(), "new code") {
		t.Fatalf("asked %d, reported %v", r2.asked, r2.results)
	}
}

func TestTHPNoWayToAskTheCode(t *testing.T) {
	_, _, err := safe7(t, emulator.NewBehaviour(), t.TempDir(), nil)
	if !errors.Is(err, hwwallet.ErrPairingNeeded) {
		t.Fatalf("open without a pairing prompter: %v, want ErrPairingNeeded", err)
	}
}

func TestTHPWithoutStoreIsUnsupported(t *testing.T) {
	emu, err := emulator.NewTrezor(emulator.TrezorTestMnemonic, nil, emulator.TrezorSafe7)
	if err != nil {
		t.Fatal(err)
	}
	defer stopEmulator(t, emu)
	_, err = OpenWith(testCtx(t), emu.Transport(), emu.Info(), Options{})
	var fe *FailureError
	if !errors.Is(err, hwwallet.ErrUnsupportedModel) || !errors.As(err, &fe) || fe.Code != FailureInvalidProtocol {
		t.Fatalf("open: %v, want ErrUnsupportedModel with failure 17", err)
	}
}

// paired opens a Safe 7 whose pairing is already stored in a fresh dir.
func paired(t *testing.T, b *emulator.Behaviour) (*emulator.Trezor, *Device, string) {
	t.Helper()
	dir := t.TempDir()
	pb := emulator.NewBehaviour()
	_, dev, err := safe7(t, pb, dir, newCodeReader(pb))
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	dev.Close()
	emu, dev, err := safe7(t, b, dir, nil)
	if err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	return emu, dev, dir
}

func TestTHPLockedUnlocksOnDevice(t *testing.T) {
	b := emulator.NewBehaviour()
	b.SetLocked(true)
	_, dev, _ := paired(t, b)
	if b.Locked() || b.PromptsOf(emulator.PromptPIN) != 1 {
		t.Fatalf("locked %v after %d PIN screens", b.Locked(), b.PromptsOf(emulator.PromptPIN))
	}
	if _, _, err := dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	// The device locks itself again: the next key operation shows PIN entry.
	b.SetLocked(true)
	if _, err := dev.Address(testCtx(t), hwwallet.DefaultPath); err != nil || b.PromptsOf(emulator.PromptPIN) != 2 {
		t.Fatalf("address on a relocked device: %v, %d PIN screens", err, b.PromptsOf(emulator.PromptPIN))
	}
}

func TestTHPLockedUserGivesUp(t *testing.T) {
	dir := t.TempDir()
	pb := emulator.NewBehaviour()
	if _, dev, err := safe7(t, pb, dir, newCodeReader(pb)); err != nil {
		t.Fatal(err)
	} else {
		dev.Close()
	}
	b := emulator.NewBehaviour()
	b.SetLocked(true)
	b.SetAction(emulator.Reject)
	_, _, err := safe7(t, b, dir, nil)
	if !errors.Is(err, hwwallet.ErrLocked) && !errors.Is(err, hwwallet.ErrUserRejected) {
		t.Fatalf("open with the PIN refused: %v, want ErrLocked or ErrUserRejected", err)
	}
}

func TestTHPUserBehaviour(t *testing.T) {
	msg := []byte("This is an example of a signed message.")
	for _, tc := range []struct {
		name    string
		script  func(b *emulator.Behaviour)
		timeout time.Duration
		want    error
	}{
		{"approve after delay", func(b *emulator.Behaviour) { b.SetDelay(100 * time.Millisecond) }, 0, nil},
		{"reject", func(b *emulator.Behaviour) { b.SetAction(emulator.Reject) }, 0, hwwallet.ErrUserRejected},
		{"never answer, context ends", func(b *emulator.Behaviour) { b.SetAction(emulator.NeverAnswer) }, 300 * time.Millisecond, context.DeadlineExceeded},
		{"slow user, context ends", func(b *emulator.Behaviour) { b.SetDelay(time.Hour) }, 200 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := emulator.NewBehaviour()
			_, dev, _ := paired(t, b)
			if _, err := dev.Address(testCtx(t), hwwallet.DefaultPath); err != nil {
				t.Fatal(err)
			}
			tc.script(b)
			ctx := testCtx(t)
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			_, _, err := dev.SignPersonalMessage(ctx, hwwallet.DefaultPath, msg)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("sign: %v, want %v", err, tc.want)
			}
			// Whatever happened, the channel is in step for the next request.
			b.SetDelay(0)
			b.SetAction(emulator.Approve)
			if _, _, err := dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, msg); err != nil {
				t.Fatalf("sign afterwards: %v", err)
			}
		})
	}
}

func TestTHPUnplug(t *testing.T) {
	b := emulator.NewBehaviour()
	emu, dev, _ := paired(t, b)
	b.UnplugAfterReports(emu.Pipe().Reports() + 3)
	_, _, err := dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, make([]byte, 300))
	if !errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("err = %v, want ErrDisconnected", err)
	}
}

// TestTHPDeviceRestart: the device forgets its channels; the driver
// connects again with the credential (a connection screen, no code) and
// the call goes through.
func TestTHPDeviceRestart(t *testing.T) {
	b := emulator.NewBehaviour()
	emu, dev, _ := paired(t, b)
	if _, err := dev.Address(testCtx(t), hwwallet.DefaultPath); err != nil {
		t.Fatal(err)
	}
	screens := b.PromptsOf(emulator.PromptConnect)
	emu.Restart()
	if _, _, err := dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, []byte("after restart")); err != nil {
		t.Fatalf("sign after a restart: %v", err)
	}
	if got := b.PromptsOf(emulator.PromptConnect); got != screens+1 {
		t.Fatalf("%d connection screens after the restart, want %d", got, screens+1)
	}
}

func TestTHPPassphrase(t *testing.T) {
	b := emulator.NewBehaviour()
	b.SetPassphraseProtection(true)
	dir := t.TempDir()
	r := newCodeReader(b)
	r.pass = "TREZOR"
	_, dev, err := safe7(t, b, dir, r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dev.Address(testCtx(t), hwwallet.DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	k, err := emulator.NewKeyringFromMnemonic(emulator.TrezorTestMnemonic, "TREZOR")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := k.Address(hwwallet.DefaultPath)
	if got != want {
		t.Fatalf("address with passphrase %s, want %s", got.Hex(), want.Hex())
	}
}

// TestTHPUserRefusesTheHost: the user declines the pairing request, or
// later the connection request of a paired host.
func TestTHPUserRefusesTheHost(t *testing.T) {
	b := emulator.NewBehaviour()
	b.SetAction(emulator.Reject)
	r := newCodeReader(b)
	if _, _, err := safe7(t, b, t.TempDir(), r); !errors.Is(err, hwwallet.ErrUserRejected) || r.asked != 0 {
		t.Fatalf("pairing refused: %v (code asked %d times), want ErrUserRejected", err, r.asked)
	}
	b2 := emulator.NewBehaviour()
	_, dev, dir := paired(t, b2)
	dev.Close()
	b3 := emulator.NewBehaviour()
	b3.SetAction(emulator.Reject)
	if _, _, err := safe7(t, b3, dir, nil); !errors.Is(err, hwwallet.ErrUserRejected) {
		t.Fatalf("connection refused: %v, want ErrUserRejected", err)
	}
}
