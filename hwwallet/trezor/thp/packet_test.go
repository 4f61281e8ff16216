package thp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// rust/trezor-thp/src/crc32.rs vectors.
func TestChecksum(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "00000000"},
		{"a", "e8b7be43"},
		{"abc", "352441c2"},
		{"123456789", "cbf43926"},
		{string(make([]byte, 32)), "190a55ad"},
	} {
		if got := hex.EncodeToString(checksum(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("crc(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Frames from trezor-suite packages/protocol/tests/protocol-thp/protocol-thp.test.ts
// and the fixtures' first packets.
func TestFrameVectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    frame
		want string
	}{
		{"alloc request (suite)", frame{ctl: ctlAllocReq, channel: BroadcastChannel, payload: mustHex("639ba57ff4e0c234")}, "40ffff000c639ba57ff4e0c2348189a406"},
		{"alloc request (fixture)", frame{ctl: ctlAllocReq, channel: BroadcastChannel, payload: mustHex("0011223344556677")}, "40ffff000c001122334455667796643c6c"},
		{"ACK0", frame{ctl: ctlAck, channel: 0x1234}, "2012340004d9fcce58"},
		{"ACK1", frame{ctl: ctlAck | ackSeqBit, channel: 0x1234}, "2812340004e98c8599"},
		{"unallocated channel", frame{ctl: ctlError, channel: 0x1222, payload: []byte{byte(ErrUnallocatedChannel)}}, "42122200050270303cfa"},
		{"device locked", frame{ctl: ctlError, channel: 0x1234, payload: []byte{byte(ErrDeviceLocked)}}, "4212340005059b26a11a"},
		{"init request try_to_unlock", frame{ctl: ctlHandshakeInitReq, channel: 0x1234, payload: append(mustHex("04bcd2e0d00f2cce5fe8f1c6c2fbec5c07fa56e3aa5c88a5689975d88b3fce05"), 1)},
			"001234002504bcd2e0d00f2cce5fe8f1c6c2fbec5c07fa56e3aa5c88a5689975d88b3fce05013c33a9e2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkts, err := tc.f.packets()
			if err != nil {
				t.Fatal(err)
			}
			want := mustHex(tc.want)
			if len(pkts) != 1 || !bytes.Equal(pkts[0][:len(want)], want) || !bytes.Equal(pkts[0][len(want):], make([]byte, PacketSize-len(want))) {
				t.Fatalf("got %x, want %s", pkts, tc.want)
			}
			var r reassembler
			got, err := r.push(pkts[0])
			if err != nil || got == nil || got.ctl != tc.f.ctl || got.channel != tc.f.channel || !bytes.Equal(got.payload, tc.f.payload) {
				t.Fatalf("reassembled %+v, %v", got, err)
			}
		})
	}
}

// The suite's allocation response: channel 0x3c83, its properties, and
// h0 = SHA-256(protocol name ‖ properties).
func TestAllocationResponseVector(t *testing.T) {
	p := make([]byte, PacketSize)
	copy(p, mustHex("41ffff0020639ba57ff4e0c2343c830a0454335731180220002802280328042801c0171551"))
	var r reassembler
	f, err := r.push(p)
	if err != nil || f == nil {
		t.Fatal(f, err)
	}
	if got := hex.EncodeToString(f.payload[8:10]); got != "3c83" {
		t.Errorf("channel %s", got)
	}
	props, err := parseDeviceProperties(f.payload[10:])
	if err != nil {
		t.Fatal(err)
	}
	want := DeviceProperties{InternalModel: "T3W1", ProtocolMajor: 2, PairingMethods: []PairingMethod{CodeEntry, QrCode, NFC, SkipPairing}}
	if props.InternalModel != want.InternalModel || props.ProtocolMajor != 2 || len(props.PairingMethods) != 4 || props.PairingMethods[3] != SkipPairing {
		t.Errorf("properties %+v", props)
	}
	if got := hex.EncodeToString(newSymmetricState(f.payload[10:]).h); got != "a1615c6dc1c2a2df8155ea5b54d0f39c320d4908e4b1eaf8d24ab5c4b466e947" {
		t.Errorf("h0 %s", got)
	}
	if got := hex.EncodeToString(fixtureProperties.marshal()); got != "0a045433573110001802200028022801" {
		t.Errorf("fixture properties encode to %s", got)
	}
}

// A long payload spans continuation packets and reassembles; damage and
// interleaving are handled as the specification says.
func TestReassembly(t *testing.T) {
	payload := bytes.Repeat([]byte{0xab}, 200)
	f := frame{ctl: ctlEncrypted | seqBit, channel: 0x0042, payload: payload}
	pkts, err := f.packets()
	if err != nil {
		t.Fatal(err)
	}
	// 5 + 200 + 4 bytes: 59 in the first packet, 61 in each continuation.
	if len(pkts) != 4 || pkts[1][0] != ctlContinuation || packetChannel(pkts[3]) != 0x0042 {
		t.Fatalf("%d packets", len(pkts))
	}
	tests := []struct {
		name    string
		packets [][]byte
		wantErr error
		want    bool
	}{
		{"whole", pkts, nil, true},
		{"stray continuation first", append([][]byte{pkts[2]}, pkts...), nil, true},
		{"restart drops the half payload", append([][]byte{pkts[0], pkts[1]}, pkts...), nil, true},
		{"other channel's continuation ignored", [][]byte{pkts[0], withChannel(pkts[1], 7), pkts[1], pkts[2], pkts[3]}, nil, true},
		{"damaged", [][]byte{pkts[0], pkts[1], flip(pkts[2], 10), pkts[3]}, errBadChecksum, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r reassembler
			var got *frame
			var err error
			for _, p := range tc.packets {
				if got, err = r.push(p); err != nil || got != nil {
					break
				}
			}
			if !errors.Is(err, tc.wantErr) || (got != nil) != tc.want {
				t.Fatalf("got %v, %v", got, err)
			}
			if tc.want && !bytes.Equal(got.payload, payload) {
				t.Fatal("payload differs")
			}
		})
	}
}

func TestMalformedPackets(t *testing.T) {
	mk := func(hexHeader string) []byte {
		p := make([]byte, PacketSize)
		copy(p, mustHex(hexHeader))
		return p
	}
	for _, tc := range []struct {
		name string
		p    []byte
	}{
		{"short", make([]byte, 10)},
		{"long", make([]byte, 65)},
		{"unknown control byte", mk("07123400040000")},
		{"length below the CRC", mk("04123400030000")},
		{"length above the maximum", mk("041234ffff")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r reassembler
			if f, err := r.push(tc.p); !errors.Is(err, errBadPacket) || f != nil {
				t.Fatalf("got %v, %v", f, err)
			}
		})
	}
	if _, err := (frame{ctl: ctlEncrypted, payload: make([]byte, maxLength)}).packets(); err == nil {
		t.Error("an oversized frame was cut into packets")
	}
}

func withChannel(p []byte, ch uint16) []byte {
	q := bytes.Clone(p)
	q[1], q[2] = byte(ch>>8), byte(ch)
	return q
}

func flip(p []byte, i int) []byte {
	q := bytes.Clone(p)
	q[i] ^= 1
	return q
}

// FuzzReassembler feeds arbitrary packets: never a panic, and every frame
// it returns is well formed and re-encodes to the same first bytes.
func FuzzReassembler(f *testing.F) {
	f.Add(mustHex("40ffff000c639ba57ff4e0c2348189a406"), []byte{})
	f.Add(mustHex("41ffff0020639ba57ff4e0c2343c830a0454335731180220002802280328042801c0171551"), []byte{})
	f.Add(mustHex("04004200d5"), mustHex("800042abab"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var r reassembler
		for _, in := range [][]byte{a, b} {
			p := make([]byte, PacketSize)
			copy(p, in)
			fr, err := r.push(p)
			if err != nil || fr == nil {
				continue
			}
			if !validControl(fr.ctl) || len(fr.payload) > maxLength-crcLen {
				t.Fatalf("bad frame %+v", fr)
			}
			pkts, err := fr.packets()
			if err != nil {
				t.Fatal(err)
			}
			var r2 reassembler
			var again *frame
			for _, q := range pkts {
				if again, err = r2.push(q); err != nil {
					t.Fatal(err)
				}
			}
			if again == nil || !bytes.Equal(again.payload, fr.payload) {
				t.Fatal("re-encoding does not round-trip")
			}
		}
	})
}
