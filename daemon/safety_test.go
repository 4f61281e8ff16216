package daemon

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/hub"
	"github.com/litsigner/litsigner/hwwallet/trezor"
)

// TestTrezorSafetyChecksConfig: with trezorSafetyChecks "prompt" the
// session approval first asks the Trezor (through the hub, as the daemon
// opens devices) to prompt for non-standard paths, then signs the SIWE
// message at such a path after the warning; with "strict" the device
// refuses the path.
func TestTrezorSafetyChecksConfig(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cfg, _, err := ParseArgs([]string{"--config", writeConfig(t, `{"trezorSafetyChecks": "prompt", "derivationPath": "m/44'/0'/0'/0/0"}`)}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	level, err := trezor.ParseSafetyChecks(cfg.TrezorSafetyChecks)
	if err != nil || level != trezor.SafetyPromptTemporarily {
		t.Fatalf("trezorSafetyChecks %q: %v %v", cfg.TrezorSafetyChecks, level, err)
	}
	if d := DefaultConfig(); d.TrezorSafetyChecks != "strict" {
		t.Fatalf("default trezorSafetyChecks %q", d.TrezorSafetyChecks)
	}
	path, err := accounts.ParseDerivationPath(cfg.DerivationPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		level trezor.SafetyCheckLevel
		ok    bool
	}{{trezor.SafetyStrict, false}, {trezor.SafetyPromptTemporarily, true}} {
		t.Run(tc.level.String(), func(t *testing.T) {
			b := emulator.NewBehaviour()
			h, err := hub.New(hub.Options{Emulators: true, NoUSB: true, EmulatorBehaviour: b})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close() })
			s := newSessionManager(sessionConfig{
				Device: hub.EmulatorTrezorID, Path: path, TrezorSafetyChecks: tc.level,
				TTL: time.Hour, RenewMargin: 5 * time.Minute, ApprovalTimeout: 20 * time.Second,
			}, h, &pinBroker{}, sessionHooks{}, testLogger(t))
			t.Cleanup(s.Close)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := s.Start(ctx, 0)
			if !tc.ok {
				if !errors.Is(err, trezor.ErrForbiddenPath) || !errors.Is(err, hwwallet.ErrBadRequest) {
					t.Fatalf("strict: err = %v, want ErrForbiddenPath", err)
				}
				if !strings.Contains(err.Error(), `"trezorSafetyChecks": "prompt"`) {
					t.Errorf("the error does not name the config key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("prompt: %v", err)
			}
			if st.State != "active" {
				t.Errorf("state %q", st.State)
			}
			if b.PromptsOf(emulator.PromptSafetyChecks) != 1 || b.PromptsOf(emulator.PromptPathWarning) == 0 || b.PromptsOf(emulator.PromptSignMessage) != 1 {
				t.Errorf("screens: safety %d, path warnings %d, sign %d", b.PromptsOf(emulator.PromptSafetyChecks),
					b.PromptsOf(emulator.PromptPathWarning), b.PromptsOf(emulator.PromptSignMessage))
			}
		})
	}
}
