package emulator

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/proto"
)

func TestTrezorWireRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 55, 56, 118, 119, 1500} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i)
		}
		reports := trezorReports(0x0042, data)
		var d trezorDeframer
		for i, r := range reports {
			m, ok := d.push(r)
			if ok != (i == len(reports)-1) {
				t.Fatalf("size %d: report %d complete = %v", size, i, ok)
			}
			if ok && (m.kind != 0x42 || !bytes.Equal(m.data, data)) {
				t.Fatalf("size %d: got kind %x, %d bytes", size, m.kind, len(m.data))
			}
		}
	}
}

func TestTrezorDeframerDropsGarbage(t *testing.T) {
	garbage := make([]byte, hwwallet.ReportSize)
	garbage[0] = '?' // continuation report with no message started
	huge, _ := hex.DecodeString("3f2323000000ffffff")
	huge = append(huge, make([]byte, hwwallet.ReportSize-len(huge))...)
	var d trezorDeframer
	for _, r := range [][]byte{garbage, huge, make([]byte, 3)} {
		if _, ok := d.push(r); ok {
			t.Fatalf("report %x accepted", r)
		}
	}
	if m, ok := d.push(trezorReports(20, nil)[0]); !ok || m.kind != 20 {
		t.Fatal("a good message after garbage was not read")
	}
}

func FuzzTrezorDeframer(f *testing.F) {
	f.Add(trezorReports(56, []byte{8, 1, 8, 2})[0])
	f.Add([]byte("?##\x00\x40\x00\x00\x01\x00"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		var d trezorDeframer
		for len(stream) > 0 {
			n := min(len(stream), hwwallet.ReportSize)
			r := append(append([]byte(nil), stream[:n]...), make([]byte, hwwallet.ReportSize-n)...)
			stream = stream[n:]
			if m, ok := d.push(r); ok && len(m.data) > trezorMaxRequest {
				t.Fatalf("message of %d bytes", len(m.data))
			}
		}
	})
}

func TestTrezorPINPositions(t *testing.T) {
	// perm[i] is the digit at keypad position i+1.
	m := trezorMatrix{'5', '4', '6', '7', '2', '8', '3', '9', '1'}
	if got := m.String(); got != "3 9 1\n7 2 8\n5 4 6" {
		t.Fatalf("matrix screen %q", got)
	}
	pos, err := TrezorPINPositions(m.String(), "1234")
	if err != nil || pos != "9572" {
		t.Fatalf("positions %q, %v", pos, err)
	}
	if got := m.decode(pos); got != "1234" {
		t.Fatalf("device reads %q", got)
	}
	if got := m.decode("90a"); got != "1XX" {
		t.Fatalf("bad positions decode to %q", got)
	}
	for _, bad := range []struct{ matrix, pin string }{
		{"1 2 3", "1"}, {"1 1 2 3 4 5 6 7 8", "1"}, {"0 1 2 3 4 5 6 7 8", "1"}, {m.String(), "10"},
	} {
		if _, err := TrezorPINPositions(bad.matrix, bad.pin); !errors.Is(err, ErrBadPINMatrix) {
			t.Fatalf("%q %q: %v", bad.matrix, bad.pin, err)
		}
	}
	for range 20 {
		r := newTrezorMatrix()
		s := []byte(string(r[:]))
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		if string(s) != "123456789" {
			t.Fatalf("matrix %q is not a permutation", r[:])
		}
	}
}

func TestNewTrezorRejects(t *testing.T) {
	if _, err := NewTrezor(TrezorTestMnemonic, nil, "Model X"); !errors.Is(err, ErrUnknownTrezorModel) {
		t.Fatalf("model: %v", err)
	}
	if _, err := NewTrezor("all all", nil, TrezorOne); !errors.Is(err, ErrBadMnemonic) {
		t.Fatalf("mnemonic: %v", err)
	}
}

// exchange writes one hand-framed request and reads the reply.
func exchange(t *testing.T, tr hwwallet.Transport, report []byte) (uint16, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.WriteReport(ctx, report); err != nil {
		t.Fatal(err)
	}
	var d trezorDeframer
	for {
		r, err := tr.ReadReport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m, ok := d.push(r); ok {
			return m.kind, m.data
		}
	}
}

func TestTrezorRawExchange(t *testing.T) {
	emu, err := NewTrezor(TrezorTestMnemonic, nil, TrezorOne)
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
	// Initialize, framed by hand: ?## 0000 00000000.
	initReport := make([]byte, hwwallet.ReportSize)
	copy(initReport, "?##")
	kind, data := exchange(t, emu.Transport(), initReport)
	var f trezor.Features
	if err := proto.Unmarshal(data, &f); err != nil || kind != 17 {
		t.Fatalf("reply type %d: %v", kind, err)
	}
	if f.GetModel() != "1" || f.GetVendor() != "trezor.io" || !f.GetPinCached() || len(f.ProtoReflect().GetUnknown()) == 0 {
		t.Fatalf("features %v", &f)
	}
	// An idle Cancel is answered with Failure(ActionCancelled), as the
	// legacy firmware's fsm_msgCancel does.
	cancelReport := make([]byte, hwwallet.ReportSize)
	copy(cancelReport, "?##\x00\x14")
	kind, data = exchange(t, emu.Transport(), cancelReport)
	var fl trezor.Failure
	if err := proto.Unmarshal(data, &fl); err != nil || kind != 3 || fl.GetCode() != trezor.Failure_Failure_ActionCancelled {
		t.Fatalf("cancel reply type %d %v: %v", kind, &fl, err)
	}
	// An unknown message type gets UnexpectedMessage.
	unknown := make([]byte, hwwallet.ReportSize)
	copy(unknown, "?##\x01\xff")
	kind, data = exchange(t, emu.Transport(), unknown)
	if err := proto.Unmarshal(data, &fl); err != nil || kind != 3 || fl.GetCode() != trezor.Failure_Failure_UnexpectedMessage {
		t.Fatalf("unknown reply type %d %v: %v", kind, &fl, err)
	}
	if info := emu.Info(); info.ID != TrezorDeviceID || info.Model != "Trezor One" || !info.Emulated {
		t.Fatalf("info %+v", info)
	}
}
