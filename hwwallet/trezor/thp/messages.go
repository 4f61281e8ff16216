package thp

import (
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"

	"google.golang.org/protobuf/encoding/protowire"
)

// Message is one application message inside the encrypted channel: the
// session it belongs to, its type (trezor-firmware messages.proto enum
// MessageType) and its protobuf body.
type Message struct {
	Session byte
	Type    uint16
	Data    []byte
}

// Message types (common/protob/messages.proto and messages-thp.proto).
const (
	TypeSuccess                        uint16 = 2
	TypeFailure                        uint16 = 3
	TypeCancel                         uint16 = 20
	TypeButtonRequest                  uint16 = 26
	TypeButtonAck                      uint16 = 27
	TypeGetFeatures                    uint16 = 55
	TypeFeatures                       uint16 = 17
	TypeThpCreateNewSession            uint16 = 1000
	TypeThpPairingRequest              uint16 = 1008
	TypeThpPairingRequestApproved      uint16 = 1009
	TypeThpSelectMethod                uint16 = 1010
	TypeThpPairingPreparationsFinished uint16 = 1011
	TypeThpCredentialRequest           uint16 = 1016
	TypeThpCredentialResponse          uint16 = 1017
	TypeThpEndRequest                  uint16 = 1018
	TypeThpEndResponse                 uint16 = 1019
	TypeThpCodeEntryCommitment         uint16 = 1024
	TypeThpCodeEntryChallenge          uint16 = 1025
	TypeThpCodeEntryCpaceTrezor        uint16 = 1026
	TypeThpCodeEntryCpaceHostTag       uint16 = 1027
	TypeThpCodeEntrySecret             uint16 = 1028
)

// PairingMethod is ThpPairingMethod (messages-thp.proto).
type PairingMethod uint64

// The pairing methods. Production firmware offers only CodeEntry.
const (
	SkipPairing PairingMethod = 1
	CodeEntry   PairingMethod = 2
	QrCode      PairingMethod = 3
	NFC         PairingMethod = 4
)

// String names the method as Trezor does.
func (m PairingMethod) String() string {
	switch m {
	case SkipPairing:
		return "SkipPairing"
	case CodeEntry:
		return "CodeEntry"
	case QrCode:
		return "QrCode"
	case NFC:
		return "NFC"
	}
	return fmt.Sprintf("PairingMethod(%d)", uint64(m))
}

// Failure codes the THP layer itself sends (messages-common.proto).
const (
	failureUnexpectedMessage uint64 = 1
	failureDataError         uint64 = 3
	failureActionCancelled   uint64 = 4
	failurePinCancelled      uint64 = 6
	failureInvalidSession    uint64 = 14
)

// ButtonRequest code Other (messages-common.proto ButtonRequestType).
const buttonRequestOther uint64 = 1

// DeviceProperties is ThpDeviceProperties, sent in the channel allocation
// response; its exact bytes are the Noise prologue.
type DeviceProperties struct {
	InternalModel  string          // 1, e.g. "T3W1"
	ModelVariant   uint32          // 2
	ProtocolMajor  uint32          // 3, 2 for THP v2
	ProtocolMinor  uint32          // 4; 0 means no ACK piggybacking
	PairingMethods []PairingMethod // 5, in the device's order of preference
}

// marshal encodes the properties as the firmware does: every scalar
// present, methods unpacked.
func (p DeviceProperties) marshal() []byte {
	var b []byte
	b = appendString(b, 1, p.InternalModel)
	b = appendVarint(b, 2, uint64(p.ModelVariant))
	b = appendVarint(b, 3, uint64(p.ProtocolMajor))
	b = appendVarint(b, 4, uint64(p.ProtocolMinor))
	for _, m := range p.PairingMethods {
		b = appendVarint(b, 5, uint64(m))
	}
	return b
}

func parseDeviceProperties(b []byte) (DeviceProperties, error) {
	var p DeviceProperties
	err := walk(b, func(num protowire.Number, v field) error {
		switch num {
		case 1:
			p.InternalModel = string(v.bytes)
		case 2:
			p.ModelVariant = uint32(v.varint)
		case 3:
			p.ProtocolMajor = uint32(v.varint)
		case 4:
			p.ProtocolMinor = uint32(v.varint)
		case 5:
			if v.typ == protowire.BytesType { // packed
				for _, m := range packedVarints(v.bytes) {
					p.PairingMethods = append(p.PairingMethods, PairingMethod(m))
				}
			} else {
				p.PairingMethods = append(p.PairingMethods, PairingMethod(v.varint))
			}
		}
		return nil
	})
	if err != nil {
		return DeviceProperties{}, fmt.Errorf("device properties: %w", err)
	}
	return p, nil
}

// field is one decoded protobuf field value.
type field struct {
	typ    protowire.Type
	varint uint64
	bytes  []byte
}

// walk decodes a protobuf message field by field. Unknown wire types
// (groups, fixed) are skipped as protowire defines them.
func walk(b []byte, fn func(protowire.Number, field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", ErrUnexpected, protowire.ParseError(n))
		}
		b = b[n:]
		var f field
		f.typ = typ
		switch typ {
		case protowire.VarintType:
			f.varint, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %v", ErrUnexpected, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, f); err != nil {
			return err
		}
	}
	return nil
}

func packedVarints(b []byte) []uint64 {
	var out []uint64
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return nil
		}
		out = append(out, v)
		b = b[n:]
	}
	return out
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendString(b []byte, num protowire.Number, v string) []byte {
	return appendBytes(b, num, []byte(v))
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	return appendVarint(b, num, protowire.EncodeBool(v))
}

// bytesFields returns the length-delimited fields nums of a message, in
// that order; absent fields are nil.
func bytesFields(b []byte, nums ...protowire.Number) ([][]byte, error) {
	out := make([][]byte, len(nums))
	err := walk(b, func(num protowire.Number, v field) error {
		for i, want := range nums {
			if num == want {
				if v.typ != protowire.BytesType {
					return fmt.Errorf("%w: field %d is not bytes", ErrUnexpected, num)
				}
				out[i] = v.bytes
			}
		}
		return nil
	})
	return out, err
}

// varintField returns field num as a varint and whether it was present.
func varintField(b []byte, num protowire.Number) (uint64, bool, error) {
	var v uint64
	var ok bool
	err := walk(b, func(n protowire.Number, f field) error {
		if n == num && f.typ == protowire.VarintType {
			v, ok = f.varint, true
		}
		return nil
	})
	return v, ok, err
}

// Failure is a Failure message (messages-common.proto: code 1, message 2).
type Failure struct {
	Code    uint64
	Message string
}

// Error implements error.
func (f *Failure) Error() string {
	return fmt.Sprintf("device failure %d: %q", f.Code, f.Message)
}

// Is matches hwwallet.ErrUserRejected for a refusal on the device
// (ActionCancelled, PinCancelled), e.g. of the pairing request.
func (f *Failure) Is(target error) bool {
	return target == hwwallet.ErrUserRejected && (f.Code == failureActionCancelled || f.Code == failurePinCancelled)
}

func (f *Failure) marshal() []byte {
	return appendString(appendVarint(nil, 1, f.Code), 2, f.Message)
}

// ParseFailure decodes a Failure body.
func ParseFailure(b []byte) (*Failure, error) {
	f := &Failure{}
	err := walk(b, func(num protowire.Number, v field) error {
		switch num {
		case 1:
			f.Code = v.varint
		case 2:
			f.Message = string(v.bytes)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decode Failure: %w", err)
	}
	return f, nil
}

// ButtonRequest is the device asking for a confirmation on its screen
// (messages-common.proto: code 1, name 4).
type ButtonRequest struct {
	Code uint64
	Name string
}

func (r ButtonRequest) marshal() []byte {
	return appendString(appendVarint(nil, 1, r.Code), 4, r.Name)
}

// ParseButtonRequest decodes a ButtonRequest body.
func ParseButtonRequest(b []byte) (ButtonRequest, error) {
	var r ButtonRequest
	err := walk(b, func(num protowire.Number, v field) error {
		switch num {
		case 1:
			r.Code = v.varint
		case 4:
			r.Name = string(v.bytes)
		}
		return nil
	})
	if err != nil {
		return ButtonRequest{}, fmt.Errorf("decode ButtonRequest: %w", err)
	}
	return r, nil
}

// successMessage is Success{message = 1}.
func successMessage(text string) []byte { return appendString(nil, 1, text) }

// credentialMetadata is ThpCredentialMetadata.
// Autoconnect is encoded only when set, as the firmware's protobuf does
// with an optional field.
type credentialMetadata struct {
	HostName    string // 1
	Autoconnect *bool  // 2
	AppName     string // 3
}

func (m credentialMetadata) marshal() []byte {
	b := appendString(nil, 1, m.HostName)
	if m.Autoconnect != nil {
		b = appendBool(b, 2, *m.Autoconnect)
	}
	return appendString(b, 3, m.AppName)
}

func parseCredentialMetadata(b []byte) (credentialMetadata, error) {
	var m credentialMetadata
	err := walk(b, func(num protowire.Number, v field) error {
		switch num {
		case 1:
			m.HostName = string(v.bytes)
		case 2:
			a := v.varint != 0
			m.Autoconnect = &a
		case 3:
			m.AppName = string(v.bytes)
		}
		return nil
	})
	return m, err
}
