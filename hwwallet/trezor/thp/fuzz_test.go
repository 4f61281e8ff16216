package thp

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
)

// feed is a PacketTransport that reads fixed packets, then io.EOF, and
// discards what is written.
type feed struct{ packets [][]byte }

func (f *feed) ReadPacket(context.Context) ([]byte, error) {
	if len(f.packets) == 0 {
		return nil, io.EOF
	}
	p := f.packets[0]
	f.packets = f.packets[1:]
	return p, nil
}

func (f *feed) WritePacket(context.Context, []byte) error { return nil }

// splitPackets cuts fuzz input into 64-byte packets (the last one padded).
func splitPackets(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 && len(out) < 64 {
		p := make([]byte, PacketSize)
		n := copy(p, b)
		out = append(out, p)
		b = b[n:]
	}
	return out
}

func seedPackets(tr transcript, in bool, n int) []byte {
	var b []byte
	for _, e := range tr.packets {
		if e.in == in && len(b) < n*PacketSize {
			b = append(b, e.pkt...)
		}
	}
	return b
}

// FuzzDevice feeds arbitrary packets to a device: it answers or drops
// them and stops cleanly at the end of input, never panics.
func FuzzDevice(f *testing.F) {
	tr := loadTranscript(&testing.T{}, "01-codeentry.jsonl")
	f.Add(seedPackets(tr, true, 6))
	f.Fuzz(func(t *testing.T, b []byte) {
		// In a bubble: retransmission timers and back-off take no real time.
		synctest.Test(t, func(t *testing.T) { fuzzDevice(t, b) })
	})
}

func fuzzDevice(t *testing.T, b []byte) {
	d, err := NewDevice(DeviceConfig{
		StaticKey:     mustKey(t, fixtureDeviceStatic),
		CredentialKey: []byte("key"),
		Properties:    fixtureProperties,
		UI:            &approvingUI{},
		FirstChannel:  0x1234,
		Rand:          &seededReader{seed: "fuzz"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Serve(context.Background(), &feed{packets: splitPackets(b)}); !errors.Is(err, io.EOF) {
		t.Fatalf("serve: %v", err)
	}
}

// FuzzHostConnect feeds arbitrary device packets to a connecting host: an
// error, never a panic or a hang.
func FuzzHostConnect(f *testing.F) {
	tr := loadTranscript(&testing.T{}, "01-codeentry.jsonl")
	f.Add(seedPackets(tr, false, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		synctest.Test(t, func(t *testing.T) { fuzzHostConnect(t, b) })
	})
}

func fuzzHostConnect(t *testing.T, b []byte) {
	var rnd seededReader
	cfg := HostConfig{
		StaticKey:   mustKey(t, fixtureHostStatic),
		HostName:    "h",
		AppName:     "a",
		PairingCode: func(context.Context) (string, error) { return fixtureCode, nil },
		Rand:        &rnd,
	}
	if _, err := Connect(context.Background(), &feed{packets: splitPackets(b)}, cfg); err == nil {
		t.Fatal("connected to a stream of arbitrary packets")
	}
}
