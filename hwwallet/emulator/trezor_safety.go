package emulator

import (
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Safety checks (messages-management.proto SafetyCheckLevel; core
// apps/common/safety_checks.py and apps/management/apply_settings.py,
// legacy fsm_msgApplySettings). Strict is the default and refuses
// non-standard paths with "Forbidden key path". ApplySettings with
// safety_checks, confirmed on the device, relaxes it:
//   - PromptTemporarily lives in RAM: it survives a new session
//     (Initialize) and is gone after a power cycle (PowerCycle);
//   - PromptAlways is stored in flash (core only: the Trezor One answers
//     ProcessError "Unsupported safety-checks setting").
//
// Relaxed, a key request for a non-standard path first shows a warning
// (ButtonRequest UnknownDerivationPath) and goes on if the user continues.

// The safety-check screens of the emulated Trezor.
const (
	// PromptSafetyChecks: confirm a change of the safety check level.
	PromptSafetyChecks PromptKind = "safety-checks"
	// PromptPathWarning: the path is not a standard one; continue anyway?
	PromptPathWarning PromptKind = "path-warning"
)

// Safety check levels (messages-management.proto enum SafetyCheckLevel).
const (
	safetyStrict            = 0
	safetyPromptAlways      = 1
	safetyPromptTemporarily = 2
)

// Field numbers go-ethereum's structs lack (messages-management.proto).
const (
	applySettingsSafetyChecks = 9  // ApplySettings.safety_checks
	featuresSafetyChecks      = 37 // Features.safety_checks
)

// ButtonRequest codes go-ethereum's enum names (messages-common.proto).
const (
	buttonProtectCall           = trezor.ButtonRequest_ButtonRequest_ProtectCall           // 7
	buttonUnknownDerivationPath = trezor.ButtonRequest_ButtonRequest_UnknownDerivationPath // 15
)

// safetyLevel is the effective level, as Features.safety_checks reports it.
func (e *Trezor) safetyLevel() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.safetyTemporary:
		return safetyPromptTemporarily
	case e.safetyAlways:
		return safetyPromptAlways
	default:
		return safetyStrict
	}
}

// PowerCycle simulates unplugging the device and plugging it back in as
// far as its settings go: PromptTemporarily is forgotten, PromptAlways
// (stored in flash) stays.
func (e *Trezor) PowerCycle() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.safetyTemporary = false
}

// appendSafetyFeature adds Features.safety_checks (field 37).
func (e *Trezor) appendSafetyFeature(b []byte) []byte {
	b = protowire.AppendTag(b, featuresSafetyChecks, protowire.VarintType)
	return protowire.AppendVarint(b, e.safetyLevel())
}

// applySettings answers ApplySettings. The emulator implements
// safety_checks only; any other setting is refused.
func (e *Trezor) applySettings(data []byte) error {
	var req trezor.ApplySettings
	if err := proto.Unmarshal(data, &req); err != nil {
		return fail(trezor.Failure_Failure_DataError, "Failed to decode message")
	}
	level, has, err := safetyChecksField(req.ProtoReflect().GetUnknown())
	if err != nil {
		return err
	}
	others := req.Language != nil || req.Label != nil || req.UsePassphrase != nil || req.Homescreen != nil ||
		req.PassphraseSource != nil || req.AutoLockDelayMs != nil || req.DisplayRotation != nil
	switch {
	case others:
		return fail(trezor.Failure_Failure_ProcessError, "Only safety_checks is emulated")
	case !has:
		return fail(trezor.Failure_Failure_ProcessError, "No setting provided")
	}
	if e.locked() {
		if err := e.enterPIN(); err != nil {
			return err
		}
	}
	p := Prompt{Kind: PromptSafetyChecks}
	switch {
	case e.isOne() && level == safetyStrict:
		p.Title = "Safety checks"
		p.Text = "Do you really want to enforce strict safety checks?\n(Recommended.)"
	case e.isOne() && level == safetyPromptTemporarily:
		p.Title = "Safety checks"
		p.Text = "Do you really want to be temporarily able to approve some actions which might be unsafe?"
	case level == safetyStrict:
		p.Title = "Safety checks"
		p.Text = "Do you really want to enforce strict safety checks (recommended)?"
	case level == safetyPromptTemporarily || (level == safetyPromptAlways && !e.isOne()):
		p.Title = "Safety override"
		when := "temporarily "
		if level == safetyPromptAlways {
			when = ""
		}
		p.Text = "Are you sure?\nTrezor will " + when + "allow you to approve some actions which might be unsafe."
	case level == safetyPromptAlways:
		return fail(trezor.Failure_Failure_ProcessError, "Unsupported safety-checks setting")
	default:
		return fail(trezor.Failure_Failure_DataError, fmt.Sprintf("Invalid safety_checks value %d", level))
	}
	if err := e.confirmCode(buttonProtectCall, p); err != nil {
		return err
	}
	e.mu.Lock()
	switch level {
	case safetyStrict:
		e.safetyTemporary, e.safetyAlways = false, false
	case safetyPromptAlways:
		e.safetyTemporary, e.safetyAlways = false, true
	case safetyPromptTemporarily:
		e.safetyTemporary, e.safetyAlways = true, false
	}
	e.mu.Unlock()
	return e.send(&trezor.Success{Message: proto.String("Settings applied")})
}

// safetyChecksField reads ApplySettings.safety_checks from the fields
// go-ethereum's struct does not know.
func safetyChecksField(b []byte) (level uint64, has bool, err error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, false, fail(trezor.Failure_Failure_DataError, "Failed to decode message")
		}
		b = b[n:]
		if num == applySettingsSafetyChecks && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, false, fail(trezor.Failure_Failure_DataError, "Failed to decode message")
			}
			level, has = v, true
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return 0, false, fail(trezor.Failure_Failure_DataError, "Failed to decode message")
		}
		b = b[n:]
	}
	return level, has, nil
}

// standardPath reports whether path is one of the Ethereum paths the
// firmware's keychain accepts (m/44'/60'/... and m/44'/1'/... for
// testnets).
func standardPath(path accounts.DerivationPath) bool {
	return len(path) >= 2 && path[0] == 0x8000002c && (path[1] == 0x8000003c || path[1] == 0x80000001)
}

// checkPath applies the safety checks to a key request: Strict refuses a
// non-standard path, the prompting levels show a warning the user must
// pass.
func (e *Trezor) checkPath(path accounts.DerivationPath) error {
	if standardPath(path) {
		return nil
	}
	if e.safetyLevel() == safetyStrict {
		return fail(trezor.Failure_Failure_DataError, "Forbidden key path")
	}
	p := Prompt{Kind: PromptPathWarning, Title: "Warning", Path: path,
		Text: "Wrong derivation path for selected account.\n" + pathString(path) + "\nContinue anyway?"}
	if e.isOne() {
		p.Text = "Wrong address path for selected coin.\n" + pathString(path) + "\nContinue at your own risk!"
	}
	return e.confirmCode(buttonUnknownDerivationPath, p)
}

// pathString prints a path as the firmware does: m/44'/60'/0'/0/0.
func pathString(path accounts.DerivationPath) string {
	var b strings.Builder
	b.WriteString("m")
	for _, c := range path {
		if c >= 0x80000000 {
			fmt.Fprintf(&b, "/%d'", c-0x80000000)
		} else {
			fmt.Fprintf(&b, "/%d", c)
		}
	}
	return b.String()
}
