package trezor

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

var failureSeed = trezor.Failure{Code: trezor.Failure_Failure_ActionCancelled.Enum(), Message: proto.String("Cancelled")}

func TestFailureMapping(t *testing.T) {
	tests := []struct {
		code FailureCode
		want error
	}{
		{FailureActionCancelled, hwwallet.ErrUserRejected},
		{FailurePinCancelled, hwwallet.ErrUserRejected},
		{FailurePinInvalid, hwwallet.ErrPINInvalid},
		{FailurePinExpected, hwwallet.ErrPINNeeded},
		{FailureInvalidProtocol, hwwallet.ErrUnsupportedModel},
		{FailureBusy, hwwallet.ErrBusy},
		{FailureDataError, hwwallet.ErrBadRequest},
		{FailureFirmwareError, ErrFailure},
		{FailureCode(1234), ErrFailure},
	}
	for _, tc := range tests {
		t.Run(tc.code.String(), func(t *testing.T) {
			// Through the wire: the code survives go-ethereum's enum, which
			// lacks the newer values.
			data := protowire.AppendTag(nil, 1, protowire.VarintType)
			data = protowire.AppendVarint(data, uint64(tc.code))
			data = protowire.AppendTag(data, 2, protowire.BytesType)
			data = protowire.AppendString(data, "msg")
			f, err := decodeFailure(data)
			if err != nil {
				t.Fatal(err)
			}
			if f.Code != tc.code || f.Message != "msg" {
				t.Fatalf("decoded %+v", f)
			}
			var err2 error = f
			if !errors.Is(err2, tc.want) || !errors.Is(err2, ErrFailure) {
				t.Fatalf("%v does not match %v and ErrFailure", err2, tc.want)
			}
			var fe *FailureError
			if !errors.As(err2, &fe) || fe.Code != tc.code {
				t.Fatalf("errors.As: %v", err2)
			}
		})
	}
	if msg := (&FailureError{Code: FailureInvalidProtocol}).Error(); !bytes.Contains([]byte(msg), []byte("THP")) {
		t.Fatalf("THP failure says %q", msg)
	}
}

func TestDecodeFeaturesModernFields(t *testing.T) {
	base, err := proto.Marshal(&trezor.Features{
		Vendor: proto.String("trezor.io"), MajorVersion: proto.Uint32(2), MinorVersion: proto.Uint32(8),
		PinCached: proto.Bool(true), Model: proto.String("Safe 3"), PassphraseProtection: proto.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	packed := protowire.AppendTag(nil, 30, protowire.BytesType)
	packed = protowire.AppendBytes(packed, []byte{1, 7, 17})
	unpacked := protowire.AppendTag(nil, 30, protowire.VarintType)
	unpacked = protowire.AppendVarint(unpacked, 17)
	tail := protowire.AppendTag(nil, 35, protowire.BytesType)
	tail = protowire.AppendBytes(tail, []byte{0xaa, 0xbb})
	tail = protowire.AppendTag(tail, 44, protowire.BytesType)
	tail = protowire.AppendString(tail, "T2B1")
	tail = protowire.AppendTag(tail, 50, protowire.Fixed32Type) // unknown, skipped
	tail = protowire.AppendFixed32(tail, 5)

	for name, caps := range map[string][]byte{"packed": packed, "unpacked": unpacked} {
		t.Run(name, func(t *testing.T) {
			f, err := decodeFeatures(append(append(append([]byte(nil), base...), caps...), tail...))
			if err != nil {
				t.Fatal(err)
			}
			if f.Model != "Safe 3" || !f.Unlocked || !f.PassphraseProtection || f.Major != 2 || f.InternalModel != "T2B1" {
				t.Fatalf("features %+v", f)
			}
			if !f.Has(CapabilityPassphraseEntry) || !bytes.Equal(f.SessionID, []byte{0xaa, 0xbb}) {
				t.Fatalf("capabilities %v session %x", f.Capabilities, f.SessionID)
			}
		})
	}
	if _, err := decodeFeatures(append(base, 0xf2, 0x01, 0x05, 0x01)); !errors.Is(err, hwwallet.ErrBadReply) {
		t.Fatalf("truncated capabilities: %v", err)
	}
}

func TestLegacyPassphraseRequest(t *testing.T) {
	onDevice, _ := proto.Marshal(&trezor.PassphraseRequest{OnDevice: proto.Bool(true)})
	for _, tc := range []struct {
		data []byte
		want bool
	}{{nil, false}, {onDevice, true}, {[]byte{0x08}, false}} {
		if got := legacyOnDevice(tc.data); got != tc.want {
			t.Fatalf("legacyOnDevice(%x) = %v", tc.data, got)
		}
	}
}
