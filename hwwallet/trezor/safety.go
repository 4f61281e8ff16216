package trezor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Safety checks. With its safety checks Strict (the default), a Trezor
// refuses keys outside the standard paths of the coin with DataError
// "Forbidden key path". The user can relax them with ApplySettings
// (safety_checks), confirmed on the device: PromptTemporarily until the
// device is powered off (it survives a new session), PromptAlways for good
// (core firmware only). The device then shows a warning for a non-standard
// path and signs if the user continues. This is what trezorctl's
// `set safety-checks prompt` sends.
//
// go-ethereum's protobuf structs predate the setting: the SafetyCheckLevel
// enum and the field numbers below are defined here from trezor-firmware's
// common/protob/messages-management.proto, and the field travels as an
// unknown field of go-ethereum's ApplySettings.

// SafetyCheckLevel is the enum SafetyCheckLevel of messages-management.proto.
type SafetyCheckLevel int32

// The levels, with their protobuf values.
const (
	// SafetyStrict refuses non-standard paths (the default).
	SafetyStrict SafetyCheckLevel = 0
	// SafetyPromptAlways asks the user before unsafe actions, for good
	// (core firmware; the Trezor One refuses it).
	SafetyPromptAlways SafetyCheckLevel = 1
	// SafetyPromptTemporarily is SafetyPromptAlways until the device is
	// powered off.
	SafetyPromptTemporarily SafetyCheckLevel = 2
)

// Field numbers of the setting (messages-management.proto).
const (
	applySettingsSafetyChecks = 9  // ApplySettings.safety_checks
	featuresSafetyChecks      = 37 // Features.safety_checks
)

// Message types (messages.proto MessageType) of the ApplySettings exchange.
var (
	msgApplySettings = trezor.Type(&trezor.ApplySettings{}) // 25
	msgSuccess       = trezor.Type(&trezor.Success{})       // 2
)

// String names the level as trezor-firmware does.
func (l SafetyCheckLevel) String() string {
	switch l {
	case SafetyStrict:
		return "Strict"
	case SafetyPromptAlways:
		return "PromptAlways"
	case SafetyPromptTemporarily:
		return "PromptTemporarily"
	default:
		return fmt.Sprintf("SafetyCheckLevel(%d)", int32(l))
	}
}

// Prompts reports whether the level lets the user approve non-standard
// paths.
func (l SafetyCheckLevel) Prompts() bool {
	return l == SafetyPromptAlways || l == SafetyPromptTemporarily
}

// ParseSafetyChecks reads the user-facing setting: "strict" (SafetyStrict,
// the device default) or "prompt" (SafetyPromptTemporarily, as trezorctl's
// `set safety-checks prompt`).
func ParseSafetyChecks(s string) (SafetyCheckLevel, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "strict":
		return SafetyStrict, nil
	case "prompt":
		return SafetyPromptTemporarily, nil
	default:
		return 0, fmt.Errorf("safety checks %q: want strict or prompt", s)
	}
}

// ErrForbiddenPath matches the device's refusal of a non-standard
// derivation path while its safety checks are strict (Failure DataError
// "Forbidden key path").
var ErrForbiddenPath = errors.New("the Trezor refuses this non-standard derivation path while its safety checks are strict")

// forbiddenPathMessage is the Failure text core and legacy firmware send.
const forbiddenPathMessage = "Forbidden key path"

// applySettingsRequest is ApplySettings with only safety_checks set.
func applySettingsRequest(level SafetyCheckLevel) *trezor.ApplySettings {
	m := &trezor.ApplySettings{}
	b := protowire.AppendTag(nil, applySettingsSafetyChecks, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(level))
	m.ProtoReflect().SetUnknown(b)
	return m
}

// SetSafetyChecks sends ApplySettings(safety_checks = level). The device
// asks the user to confirm (a ButtonRequest, answered with ButtonAck); it
// answers Success once the setting is applied. A user who declines gives
// an error matching hwwallet.ErrUserRejected.
func (d *Device) SetSafetyChecks(ctx context.Context, level SafetyCheckLevel) error {
	if err := d.acquire(ctx); err != nil {
		return fmt.Errorf("trezor: set safety checks: %w", err)
	}
	defer d.release()
	if err := d.setSafetyChecks(ctx, level); err != nil {
		return fmt.Errorf("trezor: set safety checks to %v: %w", level, err)
	}
	return nil
}

func (d *Device) setSafetyChecks(ctx context.Context, level SafetyCheckLevel) error {
	data, err := d.call(ctx, msgApplySettings, applySettingsRequest(level), msgSuccess)
	if err != nil {
		return err
	}
	var ok trezor.Success
	if err := proto.Unmarshal(data, &ok); err != nil {
		return fmt.Errorf("decode Success: %v: %w", err, hwwallet.ErrBadReply)
	}
	d.mu.Lock()
	l := level
	d.features.SafetyChecks = &l
	d.mu.Unlock()
	return nil
}

// AllowNonStandardPaths makes sure the device prompts for non-standard
// paths instead of refusing them: it reads the current level with
// GetFeatures and, unless the device already prompts, sends
// ApplySettings(safety_checks = PromptTemporarily) for the user to
// confirm. The setting lasts until the device is powered off.
func (d *Device) AllowNonStandardPaths(ctx context.Context) error {
	if err := d.acquire(ctx); err != nil {
		return fmt.Errorf("trezor: set safety checks: %w", err)
	}
	defer d.release()
	data, err := d.call(ctx, msgGetFeatures, &trezor.GetFeatures{}, msgFeatures)
	if err != nil {
		return fmt.Errorf("trezor: set safety checks: %w", err)
	}
	f, err := decodeFeatures(data)
	if err != nil {
		return fmt.Errorf("trezor: set safety checks: %w", err)
	}
	d.setFeatures(f)
	if f.SafetyChecks != nil && f.SafetyChecks.Prompts() {
		return nil
	}
	if err := d.setSafetyChecks(ctx, SafetyPromptTemporarily); err != nil {
		return fmt.Errorf("trezor: set safety checks to %v: %w", SafetyPromptTemporarily, err)
	}
	return nil
}

// PathPrompter is implemented by wallets that can be made to prompt for
// non-standard paths: the Trezor driver, and the hub's wrappers around any
// wallet (which refuse for other vendors).
type PathPrompter interface {
	AllowNonStandardPaths(ctx context.Context) error
}

var _ PathPrompter = (*Device)(nil)
