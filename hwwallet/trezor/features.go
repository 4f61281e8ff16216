package trezor

import (
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Capability is one entry of Features.capabilities
// (trezor-firmware common/protob/messages-management.proto,
// Features.Capability).
type Capability uint32

// Capabilities the driver looks at.
const (
	// CapabilityEthereum: the firmware has the Ethereum app.
	CapabilityEthereum Capability = 7
	// CapabilityPassphraseEntry: the passphrase can be typed on the device
	// (Model T, Safe 3/5; never the Trezor One).
	CapabilityPassphraseEntry Capability = 17
)

// Field numbers of Features (messages-management.proto) that go-ethereum's
// 2019 struct does not know; protobuf keeps them as unknown fields.
const (
	featuresCapabilities  = 30 // repeated Capability
	featuresSessionID     = 35 // bytes
	featuresInternalModel = 44 // string, e.g. "T2B1"
)

// Features is what the device says about itself in reply to Initialize or
// GetFeatures (message Features, type 17, messages-management.proto).
type Features struct {
	// Vendor is "trezor.io" for genuine firmware.
	Vendor string
	// Major, Minor and Patch are the firmware version.
	Major, Minor, Patch uint32
	// Model is the model field (21): "1", "T", "Safe 3", "Safe 5", ...
	Model string
	// InternalModel is field 44 ("T1B1", "T2T1", "T2B1", ...), if sent.
	InternalModel string
	// Label is the user's device name.
	Label string
	// DeviceID is the device's unique identifier.
	DeviceID string
	// Initialized reports whether the device holds a seed.
	Initialized bool
	// PINProtection reports whether a PIN is set.
	PINProtection bool
	// PassphraseProtection reports whether passphrases are enabled.
	PassphraseProtection bool
	// Unlocked is modern field 16 (go-ethereum still calls it pin_cached):
	// the PIN has been entered, or none is set.
	Unlocked bool
	// Capabilities is field 30.
	Capabilities []Capability
	// SessionID is field 35: the session to resume with Initialize.
	SessionID []byte
	// SafetyChecks is field 37, the effective safety check level (nil
	// when the firmware does not report it).
	SafetyChecks *SafetyCheckLevel
}

// Has reports whether the device announced capability c.
func (f Features) Has(c Capability) bool { return slices.Contains(f.Capabilities, c) }

// IsTrezorOne reports whether the device is a Trezor One (model "1"), which
// takes the PIN through the host matrix and limits messages to 1024 bytes.
func (f Features) IsTrezorOne() bool { return f.Model == "1" }

// ModelName is a human-readable model name for hwwallet.DeviceInfo.Model.
func (f Features) ModelName() string {
	switch f.Model {
	case "1":
		return "Trezor One"
	case "T":
		return "Model T"
	case "":
		return "Trezor"
	default:
		return f.Model
	}
}

// decodeFeatures parses a Features (type 17) payload, including the fields
// go-ethereum's struct lacks.
func decodeFeatures(data []byte) (Features, error) {
	var m trezor.Features
	if err := proto.Unmarshal(data, &m); err != nil {
		return Features{}, fmt.Errorf("decode Features: %v: %w", err, hwwallet.ErrBadReply)
	}
	f := Features{
		Vendor:               m.GetVendor(),
		Major:                m.GetMajorVersion(),
		Minor:                m.GetMinorVersion(),
		Patch:                m.GetPatchVersion(),
		Model:                m.GetModel(),
		Label:                m.GetLabel(),
		DeviceID:             m.GetDeviceId(),
		Initialized:          m.GetInitialized(),
		PINProtection:        m.GetPinProtection(),
		PassphraseProtection: m.GetPassphraseProtection(),
		Unlocked:             m.GetPinCached(),
	}
	if err := parseUnknownFeatures(m.ProtoReflect().GetUnknown(), &f); err != nil {
		return Features{}, fmt.Errorf("decode Features: %w", err)
	}
	return f, nil
}

// parseUnknownFeatures reads the modern fields out of the unknown bytes.
func parseUnknownFeatures(b []byte, f *Features) error {
	bad := func(what string) error {
		return fmt.Errorf("malformed %s: %w", what, hwwallet.ErrBadReply)
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return bad("field tag")
		}
		b = b[n:]
		switch {
		case num == featuresCapabilities && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return bad("capability")
			}
			f.Capabilities = append(f.Capabilities, Capability(v))
			b = b[n:]
			continue
		case num == featuresCapabilities && typ == protowire.BytesType:
			packed, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return bad("capabilities")
			}
			for len(packed) > 0 {
				v, m := protowire.ConsumeVarint(packed)
				if m < 0 {
					return bad("capabilities")
				}
				f.Capabilities = append(f.Capabilities, Capability(v))
				packed = packed[m:]
			}
			b = b[n:]
			continue
		case num == featuresSessionID && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return bad("session_id")
			}
			f.SessionID = append([]byte(nil), v...)
			b = b[n:]
			continue
		case num == featuresSafetyChecks && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return bad("safety_checks")
			}
			l := SafetyCheckLevel(int32(v))
			f.SafetyChecks = &l
			b = b[n:]
			continue
		case num == featuresInternalModel && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return bad("internal_model")
			}
			f.InternalModel = string(v)
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return bad("field value")
		}
		b = b[n:]
	}
	return nil
}
