package emulator

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// featureSafety reads Features.safety_checks (37) from a Features payload.
func featureSafety(t *testing.T, data []byte) uint64 {
	t.Helper()
	var f trezor.Features
	if err := proto.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	b := f.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		b = b[n:]
		if num == featuresSafetyChecks {
			v, _ := protowire.ConsumeVarint(b)
			return v
		}
		b = b[protowire.ConsumeFieldValue(num, typ, b):]
	}
	t.Fatal("no safety_checks in Features")
	return 0
}

// TestTrezorSafetyChecksLifetime follows the firmware: PromptTemporarily
// survives a new session (Initialize without session_id) and ends with a
// power cycle; PromptAlways survives the power cycle.
func TestTrezorSafetyChecksLifetime(t *testing.T) {
	emu, err := NewTrezor(TrezorTestMnemonic, nil, TrezorT)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		emu.Transport().Close()
		select {
		case <-emu.Done():
		case <-time.After(5 * time.Second):
			t.Error("device goroutines did not stop")
		}
	}()
	tr := emu.Transport()
	send := func(kind uint16, m proto.Message) (uint16, []byte) {
		data, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return exchange(t, tr, trezorReports(kind, data)[0])
	}
	initialize := func() uint64 {
		kind, data := send(trezor.Type(&trezor.Initialize{}), &trezor.Initialize{})
		if kind != trezor.Type(&trezor.Features{}) {
			t.Fatalf("Initialize answered type %d", kind)
		}
		return featureSafety(t, data)
	}
	apply := func(level uint64) {
		m := &trezor.ApplySettings{}
		m.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, applySettingsSafetyChecks, protowire.VarintType), level))
		kind, data := send(trezor.Type(m), m)
		var br trezor.ButtonRequest
		if kind != trezor.Type(&br) || proto.Unmarshal(data, &br) != nil || br.GetCode() != buttonProtectCall {
			t.Fatalf("ApplySettings answered type %d, want ButtonRequest(ProtectCall)", kind)
		}
		if kind, _ := send(trezor.Type(&trezor.ButtonAck{}), &trezor.ButtonAck{}); kind != trezor.Type(&trezor.Success{}) {
			t.Fatalf("after ButtonAck: type %d, want Success", kind)
		}
	}
	if got := initialize(); got != safetyStrict {
		t.Fatalf("fresh device: level %d", got)
	}
	apply(safetyPromptTemporarily)
	if got := initialize(); got != safetyPromptTemporarily {
		t.Fatalf("after a new session: level %d, want PromptTemporarily", got)
	}
	emu.PowerCycle()
	if got := initialize(); got != safetyStrict {
		t.Fatalf("after a power cycle: level %d, want Strict", got)
	}
	apply(safetyPromptAlways)
	emu.PowerCycle()
	if got := initialize(); got != safetyPromptAlways {
		t.Fatalf("PromptAlways after a power cycle: level %d", got)
	}
	// No setting at all is refused like the firmware does.
	kind, data := send(trezor.Type(&trezor.ApplySettings{}), &trezor.ApplySettings{})
	var fl trezor.Failure
	if kind != 3 || proto.Unmarshal(data, &fl) != nil || fl.GetMessage() != "No setting provided" {
		t.Fatalf("empty ApplySettings: type %d %v", kind, &fl)
	}
}

func TestPathString(t *testing.T) {
	if got := pathString([]uint32{0x8000002c, 0x80000000, 0x80000000, 0, 7}); got != "m/44'/0'/0'/0/7" {
		t.Fatalf("got %q", got)
	}
}

// FuzzSafetyChecksField feeds host bytes to the ApplySettings field
// reader: it never panics, and a level it reports was encoded in b.
func FuzzSafetyChecksField(f *testing.F) {
	f.Add(protowire.AppendVarint(protowire.AppendTag(nil, applySettingsSafetyChecks, protowire.VarintType), 2))
	f.Add([]byte{0x48, 0xff})
	f.Add([]byte{0x0a, 0x03, 'a', 'b', 'c', 0x48, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		level, has, err := safetyChecksField(b)
		if err != nil && has {
			t.Fatalf("error %v with a level %d", err, level)
		}
	})
}
