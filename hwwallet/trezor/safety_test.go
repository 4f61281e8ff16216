package trezor

import (
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
)

// bitcoinPath is outside the Ethereum schemas: refused under Strict.
var bitcoinPath = accounts.DerivationPath{0x8000002c, 0x80000000, 0x80000000, 0, 0}

func TestSafetyChecks(t *testing.T) {
	tests := []struct {
		model      string
		level      SafetyCheckLevel
		setErr     error // errors.Is target of SetSafetyChecks, nil = applied
		signs      bool  // the non-standard path signs afterwards
		afterCycle bool  // still prompting after a power cycle
	}{
		{emulator.TrezorT, SafetyPromptTemporarily, nil, true, false},
		{emulator.TrezorT, SafetyPromptAlways, nil, true, true},
		{emulator.TrezorT, SafetyStrict, nil, false, false},
		{emulator.TrezorOne, SafetyPromptTemporarily, nil, true, false},
		{emulator.TrezorOne, SafetyPromptAlways, ErrFailure, false, false}, // legacy: "Unsupported safety-checks setting"
		{emulator.TrezorOne, SafetyStrict, nil, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.model+"/"+tc.level.String(), func(t *testing.T) {
			r := newRig(t, tc.model, nil, nil)
			ctx := testCtx(t)
			msg := []byte("hello")

			_, _, err := r.dev.SignPersonalMessage(ctx, bitcoinPath, msg)
			if !errors.Is(err, ErrForbiddenPath) || !errors.Is(err, hwwallet.ErrBadRequest) {
				t.Fatalf("strict: err = %v, want ErrForbiddenPath", err)
			}
			if !strings.Contains(err.Error(), `safety checks to "prompt"`) {
				t.Errorf("the error does not say how to allow the path: %v", err)
			}

			err = r.dev.SetSafetyChecks(ctx, tc.level)
			if tc.setErr != nil {
				if !errors.Is(err, tc.setErr) {
					t.Fatalf("set %v: err = %v, want %v", tc.level, err, tc.setErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("set %v: %v", tc.level, err)
			}
			if n := r.b.PromptsOf(emulator.PromptSafetyChecks); n != 1 {
				t.Errorf("%d safety-check screens, want 1", n)
			}
			f, err := r.dev.RefreshFeatures(ctx)
			if err != nil || f.SafetyChecks == nil || *f.SafetyChecks != tc.level {
				t.Fatalf("features after set: %v %v", f.SafetyChecks, err)
			}

			sig, addr, err := r.dev.SignPersonalMessage(ctx, bitcoinPath, msg)
			if tc.signs != (err == nil) {
				t.Fatalf("sign at %v after %v: err = %v", bitcoinPath, tc.level, err)
			}
			if tc.signs {
				if len(sig) != 65 || addr == ([20]byte{}) {
					t.Fatalf("signature %x by %s", sig, addr)
				}
				// One warning for the address, one for the signature.
				if n := r.b.PromptsOf(emulator.PromptPathWarning); n != 2 {
					t.Errorf("%d path warnings, want 2", n)
				}
			}
			// Standard paths never warn.
			before := r.b.PromptsOf(emulator.PromptPathWarning)
			if _, err := r.dev.Address(ctx, hwwallet.DefaultPath); err != nil {
				t.Fatal(err)
			}
			if r.b.PromptsOf(emulator.PromptPathWarning) != before {
				t.Error("a standard path got a warning")
			}

			r.emu.PowerCycle()
			_, err = r.dev.Address(ctx, bitcoinPath)
			if tc.afterCycle != (err == nil) {
				t.Fatalf("after a power cycle: err = %v, want prompting = %v", err, tc.afterCycle)
			}
		})
	}
}

func TestSafetyChecksRejected(t *testing.T) {
	b := emulator.NewBehaviour()
	r := newRig(t, emulator.TrezorT, b, nil)
	ctx := testCtx(t)
	b.SetAction(emulator.Reject)
	err := r.dev.SetSafetyChecks(ctx, SafetyPromptTemporarily)
	if !errors.Is(err, hwwallet.ErrUserRejected) {
		t.Fatalf("rejected settings change: err = %v", err)
	}
	if _, err := r.dev.Address(ctx, bitcoinPath); !errors.Is(err, ErrForbiddenPath) {
		t.Fatalf("after the rejection the path must still be forbidden: %v", err)
	}

	// Approved, then the user declines the path warning.
	b.SetAction(emulator.Approve)
	if err := r.dev.AllowNonStandardPaths(ctx); err != nil {
		t.Fatal(err)
	}
	b.SetAction(emulator.Reject)
	if _, _, err := r.dev.SignPersonalMessage(ctx, bitcoinPath, []byte("x")); !errors.Is(err, hwwallet.ErrUserRejected) {
		t.Fatalf("declined path warning: err = %v", err)
	}
}

// TestAllowNonStandardPathsOnce checks that a device already prompting is
// not asked again.
func TestAllowNonStandardPathsOnce(t *testing.T) {
	r := newRig(t, emulator.TrezorSafe3, nil, nil)
	ctx := testCtx(t)
	for range 2 {
		if err := r.dev.AllowNonStandardPaths(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.b.PromptsOf(emulator.PromptSafetyChecks); n != 1 {
		t.Fatalf("%d confirmations, want 1", n)
	}
	if _, err := r.dev.Address(ctx, bitcoinPath); err != nil {
		t.Fatal(err)
	}
}

func TestParseSafetyChecks(t *testing.T) {
	for in, want := range map[string]SafetyCheckLevel{"strict": SafetyStrict, "prompt": SafetyPromptTemporarily, " Prompt ": SafetyPromptTemporarily} {
		if got, err := ParseSafetyChecks(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "always", "PromptAlways"} {
		if _, err := ParseSafetyChecks(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
