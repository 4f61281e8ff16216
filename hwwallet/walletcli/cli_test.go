package walletcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
	"github.com/litsigner/litsigner/hwwallet/leaktest"
)

func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
		NoUSB:  true,
	})
	return code, out.String(), errb.String()
}

// TestSignMessageReproducesPublishedVector is the CLI end of the Ledger
// vector: 'wallet sign-message --device emulator:ledger ...'.
func TestSignMessageReproducesPublishedVector(t *testing.T) {
	defer leaktest.Check(t)()
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	tc := v.LedgerPersonalSign[0]
	code, out, errOut := run(t, nil, "sign-message", "--device", "emulator:ledger", "--path", tc.Path, "--message", tc.Message)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := fmt.Sprintf("address:   %s\nsignature: 0x%s%s%02x\n", v.Addresses[0].Address, tc.R, tc.S, tc.V)
	if out != want {
		t.Fatalf("stdout\n%s\nwant\n%s", out, want)
	}
	if !strings.Contains(errOut, tc.Message) {
		t.Errorf("the emulator's screen was not printed: %q", errOut)
	}
}

func TestSignMessageJSONAndEnvMnemonic(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range v.TrezorSignMessage {
		env := map[string]string{"LITSIGNER_EMULATOR_MNEMONIC": v.Mnemonics[tc.Mnemonic]}
		hexMsg := "0x" + fmt.Sprintf("%x", tc.Message)
		for _, dev := range []string{"emulator:trezor", "emulator:ledger"} {
			code, out, errOut := run(t, env, "sign-message", "--json", "--device", dev, "--path", tc.Path, "--message-hex", hexMsg)
			if code != ExitOK {
				t.Fatalf("%s: exit %d: %s", dev, code, errOut)
			}
			var got Signature
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if got.Address != v.Addresses[2].Address || got.Device != dev {
				t.Errorf("%s: %+v", dev, got)
			}
			// Both vendors sign with RFC 6979, so both give trezor-firmware's signature.
			if got.Signature != "0x"+tc.Signature {
				t.Errorf("%s %q: signature %s, want 0x%s", dev, tc.Message, got.Signature, tc.Signature)
			}
		}
	}
}

func TestAccounts(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, nil, "accounts", "--device", "emulator:ledger", "--path", v.Addresses[0].Path, "--path", v.Addresses[1].Path)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, a := range v.Addresses[:2] {
		if !strings.Contains(out, a.Path) || !strings.Contains(out, a.Address) {
			t.Errorf("missing %s %s in\n%s", a.Path, a.Address, out)
		}
	}
	code, out, _ = run(t, nil, "accounts", "--device", "emulator:ledger", "--count", "3", "--json")
	var list []Account
	if code != ExitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) != 3 || list[2].Path != "m/44'/60'/0'/0/2" {
		t.Fatalf("exit %d: %s", code, out)
	}
}

func TestList(t *testing.T) {
	code, out, _ := run(t, nil, "list", "--emulators", "--json")
	var devs []hwwallet.DeviceInfo
	if code != ExitOK || json.Unmarshal([]byte(out), &devs) != nil || len(devs) != 3 || devs[0].ID != "emulator:ledger" || devs[1].ID != "emulator:trezor" || devs[2].ID != "emulator:trezor-safe7" {
		t.Fatalf("exit %d: %s", code, out)
	}
	code, out, _ = run(t, nil, "list", "--json")
	if code != ExitOK || strings.TrimSpace(out) != "[]" {
		t.Fatalf("exit %d: %q", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"sign-message", "--message", "x"},
		{"sign-message", "--device", "emulator:ledger"},
		{"sign-message", "--device", "emulator:ledger", "--message", "x", "--message-hex", "00"},
		{"sign-message", "--device", "emulator:ledger", "--message-hex", "zz"},
		{"sign-message", "--device", "emulator:ledger", "--path", "m/x", "--message", "x"},
		{"sign-message", "--device", "emulator:ledger", "--mnemonic", "too short", "--message", "x"},
		{"accounts", "--count", "0", "--device", "emulator:ledger"},
		{"list", "extra"},
		{"list", "--bogus"},
		{"sign-message", "--device", "emulator:ledger", "--message-hex", strings.Repeat("00", 32767)},
		// A malformed device ID is a typo, not an absent device.
		{"accounts", "--device", "speculos:nohost"},
		{"accounts", "--device", "foo:bar"},
		{"sign-message", "--device", "nonsense", "--message", "x"},
		{"accounts", "--device", "emulator:ledger", "--timeout", "0"},
		// Only the commands that open a device take --mnemonic.
		{"list", "--mnemonic", "x"},
		{"forget", "--mnemonic", "x"},
		{"forget", "--timeout", "1m"},
	} {
		if code, _, errOut := run(t, nil, args...); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, ExitUsage, errOut)
		}
	}
	if code, out, _ := run(t, nil, "--help"); code != ExitOK || !strings.Contains(out, "sign-message") {
		t.Errorf("--help: %d", code)
	}
}

// TestBadDeviceIDSaysWhy: the parse error comes first, on the first line.
func TestBadDeviceIDSaysWhy(t *testing.T) {
	code, _, errOut := run(t, nil, "accounts", "--device", "speculos:nohost")
	want := `litsigner: wallet accounts: --device: invalid device ID "speculos:nohost": want speculos:HOST:PORT` + "\n"
	if code != ExitUsage || !strings.HasPrefix(errOut, want) {
		t.Errorf("exit %d, stderr %q; want %d, %q", code, errOut, ExitUsage, want)
	}
}

// TestForgetJSON: 'wallet forget --json' prints JSON.
func TestForgetJSON(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := run(t, map[string]string{"XDG_STATE_HOME": dir}, "forget", "--json")
	var got struct {
		Forgotten *bool  `json:"forgotten"`
		Path      string `json:"path"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &got) != nil || got.Forgotten == nil || *got.Forgotten || !strings.HasPrefix(got.Path, dir) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestDeviceErrors(t *testing.T) {
	for _, args := range [][]string{
		{"sign-message", "--device", "ledger:1-1:1.0", "--message", "x"},
		{"accounts"}, // nothing plugged in
	} {
		code, _, errOut := run(t, nil, args...)
		if code != ExitDevice || !strings.Contains(errOut, "no hardware wallet found") {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, ExitDevice, errOut)
		}
	}
}

func TestExitCodeMapping(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("ledger: sign message: %w", err) }
	for _, tc := range []struct {
		err  error
		code int
	}{
		{nil, ExitOK},
		{usagef("bad flag"), ExitUsage},
		{wrap(hwwallet.ErrBadRequest), ExitUsage},
		{wrap(hwwallet.ErrUserRejected), ExitDevice},
		{wrap(hwwallet.ErrLocked), ExitDevice},
		{wrap(hwwallet.ErrAppNotOpen), ExitDevice},
		{wrap(hwwallet.ErrBusy), ExitDevice},
		{wrap(hwwallet.ErrPINNeeded), ExitDevice},
		{wrap(hwwallet.ErrPINInvalid), ExitDevice},
		{wrap(hwwallet.ErrUnsupportedModel), ExitDevice},
		{wrap(hwwallet.ErrDisconnected), ExitDevice},
		{wrap(hwwallet.ErrNoDevice), ExitDevice},
		{wrap(hwwallet.ErrNoPermission), ExitDevice},
		{wrap(hwwallet.ErrUSBUnavailable), ExitDevice},
		{wrap(hwwallet.ErrBadReply), ExitDevice},
		{wrap(context.DeadlineExceeded), ExitDevice},
		{wrap(context.Canceled), ExitFailure},
		{errors.New("disk on fire"), ExitFailure},
	} {
		if got := ExitCode(tc.err); got != tc.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
		if tc.err != nil && Describe(tc.err) == "" {
			t.Errorf("no sentence for %v", tc.err)
		}
	}
}
