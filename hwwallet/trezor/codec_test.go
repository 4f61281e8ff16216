package trezor

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/proto"
)

// TestFirstReportLayout pins the exact bytes of EthereumGetAddress for
// m/44'/60'/0'/0/0: ?## 0038 00000018, then address_n unpacked (proto2)
// and show_display = false.
func TestFirstReportLayout(t *testing.T) {
	data, err := proto.Marshal(getAddressRequest(accounts.DefaultBaseDerivationPath))
	if err != nil {
		t.Fatal(err)
	}
	reports := encodeMessage(msgEthereumGetAddress, data)
	if len(reports) != 1 {
		t.Fatalf("%d reports, want 1", len(reports))
	}
	want := "3f2323" + "0038" + "00000018" +
		"08ac80808008" + "08bc80808008" + "088080808008" + "0800" + "0800" + "1000"
	wantBytes, _ := hex.DecodeString(want)
	wantBytes = append(wantBytes, make([]byte, hwwallet.ReportSize-len(wantBytes))...)
	if !bytes.Equal(reports[0], wantBytes) {
		t.Fatalf("first report\n got %x\nwant %x", reports[0], wantBytes)
	}
}

func TestMessageSpanningReports(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		reports int
	}{
		{"empty", 0, 1},
		{"fills first report", 55, 1},
		{"one byte over", 56, 2},
		{"fills two reports", 55 + 63, 2},
		{"siwe sized", 400, 7},
		{"t1 limit", 1024 + 30, 17},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := make([]byte, tc.size)
			for i := range payload {
				payload[i] = byte(i*7 + 1)
			}
			reports := encodeMessage(0x1234, payload)
			if len(reports) != tc.reports {
				t.Fatalf("%d reports, want %d", len(reports), tc.reports)
			}
			for i, r := range reports {
				if len(r) != hwwallet.ReportSize || r[0] != '?' {
					t.Fatalf("report %d: %x", i, r)
				}
			}
			// Continuation reports carry 63 payload bytes after '?'.
			if tc.reports > 1 && !bytes.Equal(reports[1][1:], pad(payload[55:min(len(payload), 55+63)], 63)) {
				t.Fatalf("second report %x", reports[1])
			}
			var a assembler
			for i, r := range reports {
				done, err := a.add(r)
				if err != nil {
					t.Fatalf("report %d: %v", i, err)
				}
				if done != (i == len(reports)-1) {
					t.Fatalf("report %d: done = %v", i, done)
				}
			}
			if a.kind != 0x1234 || !bytes.Equal(a.data, payload) {
				t.Fatalf("reassembled kind %x, %d bytes", a.kind, len(a.data))
			}
		})
	}
}

func pad(b []byte, n int) []byte { return append(append([]byte(nil), b...), make([]byte, n-len(b))...) }

func TestAssemblerRejects(t *testing.T) {
	report := func(prefix string) []byte {
		b, _ := hex.DecodeString(prefix)
		return pad(b, hwwallet.ReportSize)
	}
	tests := []struct {
		name   string
		report []byte
	}{
		{"short report", make([]byte, 10)},
		{"long report", make([]byte, 65)},
		{"no magic", report("002323")},
		{"no header", report("3f0000")},
		{"too large", report("3f2323001100ffffff")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a assembler
			if _, err := a.add(tc.report); !errors.Is(err, hwwallet.ErrBadReply) {
				t.Fatalf("err = %v, want ErrBadReply", err)
			}
		})
	}
}

// FuzzAssembler feeds arbitrary bytes as a stream of reports: it must
// never panic, and a completed message never exceeds its announced size.
func FuzzAssembler(f *testing.F) {
	for _, r := range encodeMessage(msgFeatures, bytes.Repeat([]byte{0xab}, 150)) {
		f.Add(r)
	}
	f.Add([]byte("?##\x00\x11\x00\x00\x00\x02\x08\x01"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		var a assembler
		for len(stream) > 0 {
			n := min(len(stream), hwwallet.ReportSize)
			r := pad(stream[:n], hwwallet.ReportSize)
			stream = stream[n:]
			done, err := a.add(r)
			if err != nil {
				a = assembler{}
				continue
			}
			if done {
				if len(a.data) != a.want || a.want > maxReplyBytes {
					t.Fatalf("message of %d bytes, announced %d", len(a.data), a.want)
				}
				a = assembler{}
			}
		}
	})
}

// FuzzDecodeReply runs every reply decoder on arbitrary payloads: errors
// are fine, panics are not.
func FuzzDecodeReply(f *testing.F) {
	seed := func(m proto.Message) []byte { b, _ := proto.Marshal(m); return b }
	f.Add(seed(&failureSeed))
	f.Add([]byte{0x08, 0x11, 0x12, 0x03, 'T', 'H', 'P'})
	f.Add([]byte{0xf2, 0x01, 0x02, 0x07, 0x11})             // packed capabilities
	f.Add([]byte{0x9a, 0x02, 0x20})                         // truncated session_id
	f.Add([]byte{0x12, 0x2a, '0', 'x', '7', '3', 'd', '0'}) // truncated address
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeFailure(data)
		_, _ = decodeFeatures(data)
		_, _ = decodeAddress(data)
		if sig, addr, err := decodeSignature(data); err == nil && addr != nil {
			_ = hwwallet.CheckPersonalSignature([]byte("m"), sig, *addr)
		}
		var f Features
		_ = parseUnknownFeatures(data, &f)
	})
}

// TestPassphraseAckEncoding pins the PassphraseAck bytes hwwallet/PROTOCOL.md §7
// describes: an explicit empty string (0a 00), on_device as field 3 (18 01).
func TestPassphraseAckEncoding(t *testing.T) {
	tests := []struct {
		pass     string
		onDevice bool
		want     string
	}{
		{"", false, "0a00"},
		{"TREZOR", false, "0a06545245 5a4f52"},
		{"", true, "1801"},
	}
	for _, tc := range tests {
		got, err := proto.Marshal(passphraseAck(tc.pass, tc.onDevice))
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.ReplaceAll(tc.want, " ", ""); hex.EncodeToString(got) != want {
			t.Fatalf("ack(%q, %v) = %x, want %s", tc.pass, tc.onDevice, got, want)
		}
	}
}
