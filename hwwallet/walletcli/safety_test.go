package walletcli

import (
	"strings"
	"testing"
)

// TestSafetyChecksFlag: a non-standard path on the emulated Trezor is
// refused with a hint at --safety-checks prompt, which then makes the
// device confirm the setting, warn about the path and sign.
func TestSafetyChecksFlag(t *testing.T) {
	const nonStandard = "m/44'/0'/0'/0/0"
	code, _, errOut := run(t, nil, "sign-message", "--device", "emulator:trezor", "--path", nonStandard, "--message", "hi")
	if code != ExitUsage {
		t.Fatalf("strict: exit %d, want %d: %s", code, ExitUsage, errOut)
	}
	if !strings.Contains(errOut, "--safety-checks prompt") || !strings.Contains(errOut, "Forbidden key path") {
		t.Errorf("the error does not point at --safety-checks prompt:\n%s", errOut)
	}

	code, out, errOut := run(t, nil, "sign-message", "--device", "emulator:trezor", "--path", nonStandard, "--message", "hi", "--safety-checks", "prompt")
	if code != ExitOK {
		t.Fatalf("prompt: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "address:   0x") {
		t.Errorf("stdout %q", out)
	}
	for _, screen := range []string{"Safety override", "Wrong derivation path for selected account.\n" + nonStandard, "[emulator approves]"} {
		if !strings.Contains(errOut, screen) {
			t.Errorf("screen %q not shown:\n%s", screen, errOut)
		}
	}

	code, out, errOut = run(t, nil, "accounts", "--device", "emulator:trezor", "--path", nonStandard, "--safety-checks", "prompt", "--json")
	if code != ExitOK || !strings.Contains(out, nonStandard) {
		t.Fatalf("accounts: exit %d, %q: %s", code, out, errOut)
	}
}

func TestSafetyChecksFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sign-message", "--device", "emulator:trezor", "--message", "x", "--safety-checks", "always"}, "--safety-checks"},
		{[]string{"sign-message", "--device", "emulator:ledger", "--message", "x", "--safety-checks", "prompt"}, "is a Trezor setting"},
		{[]string{"list", "--safety-checks", "prompt"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		code, _, errOut := run(t, nil, tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want usage error with %q", tc.args, code, errOut, tc.want)
		}
	}
}
