package emulator

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/leaktest"
)

// ledgerExchange frames cmd the way a host does and returns the reply.
func ledgerExchange(t *testing.T, tr hwwallet.Transport, cmd []byte) (data []byte, sw uint16) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream := binary.BigEndian.AppendUint16(nil, uint16(len(cmd)))
	stream = append(stream, cmd...)
	for seq := 0; len(stream) > 0; seq++ {
		r := make([]byte, 64)
		r[0], r[1], r[2], r[3], r[4] = 1, 1, 5, byte(seq>>8), byte(seq)
		n := copy(r[5:], stream)
		stream = stream[n:]
		if err := tr.WriteReport(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	var reply []byte
	want := -1
	for want < 0 || len(reply) < want {
		r, err := tr.ReadReport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := r[5:]
		if want < 0 {
			want = int(binary.BigEndian.Uint16(p))
			p = p[2:]
		}
		reply = append(reply, p[:min(len(p), want-len(reply))]...)
	}
	return reply[:len(reply)-2], binary.BigEndian.Uint16(reply[len(reply)-2:])
}

func ledgerHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

const path5 = "058000002c8000003c800000000000000000000000"

func TestLedgerAppStateMachine(t *testing.T) {
	defer leaktest.Check(t)()
	l, err := NewLedger(SpeculosMnemonic, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tr := l.Transport()
	for _, tc := range []struct {
		name string
		apdu string
		sw   uint16
	}{
		{"app configuration", "e006000000", 0x9000},
		{"get address", "e002000015" + path5, 0x9000},
		{"get address, empty path", "e00200000100", 0x6A80},
		{"get address, 11 elements", "e00200002d0b" + string(bytes.Repeat([]byte("00000000"), 11)), 0x6A80},
		{"get address, bad P1", "e002020015" + path5, 0x6B00},
		{"continuation without first chunk", "e008800001aa", 0x6A80},
		{"first chunk, bad P1", "e008400019" + path5 + "00000001", 0x6B00},
		{"first chunk without length", "e008000015" + path5, 0x6A80},
		{"first chunk, 600 bytes declared", "e00800001a" + path5 + "00000258aa", 0x9000},
		{"first chunk while mid-flow", "e00800001a" + path5 + "00000258aa", 0x6980},
		{"after the reset, a continuation is refused", "e008800001aa", 0x6A80},
		{"more bytes than declared", "e00800001b" + path5 + "00000001aabb", 0x6A80},
		{"too long for the app", "e00800001a" + path5 + "00007fffaa", 0x6A80},
		{"unknown INS", "e0ff000000", 0x6D00},
		{"unknown CLA", "e1ff000000", 0x6E00},
		{"Lc mismatch", "e006000005", 0x6700},
	} {
		if _, sw := ledgerExchange(t, tr, ledgerHex(tc.apdu)); sw != tc.sw {
			t.Errorf("%s: SW %04X, want %04X", tc.name, sw, tc.sw)
		}
	}

	// Two chunks, then the signature (v 27/28 first).
	first := ledgerHex("e0080000ff" + path5 + "00000107")
	first = append(first, bytes.Repeat([]byte{'a'}, 255-25)...)
	if _, sw := ledgerExchange(t, tr, first); sw != 0x9000 {
		t.Fatalf("chunk 1: %04X", sw)
	}
	second := append(ledgerHex("e008800021"), bytes.Repeat([]byte{'a'}, 0x21)...)
	data, sw := ledgerExchange(t, tr, second)
	if sw != 0x9000 || len(data) != 65 || (data[0] != 27 && data[0] != 28) {
		t.Fatalf("signature %x %04X", data, sw)
	}

	l.Behaviour().SetAppClosed(true)
	if data, sw := ledgerExchange(t, tr, ledgerHex("b001000000")); sw != 0x9000 || !bytes.Contains(data, []byte("BOLOS")) {
		t.Errorf("dashboard app and version: %q %04X", data, sw)
	}
	if _, sw := ledgerExchange(t, tr, ledgerHex("e006000000")); sw != 0x6E01 {
		t.Errorf("dashboard: %04X", sw)
	}
	l.Behaviour().SetLocked(true)
	if _, sw := ledgerExchange(t, tr, ledgerHex("b001000000")); sw != 0x5515 {
		t.Errorf("locked: %04X", sw)
	}
}

func TestLedgerAddressOnScreen(t *testing.T) {
	l, _ := NewLedger(SpeculosMnemonic, nil)
	defer l.Close()
	tr := l.Transport()
	var shown Prompt
	l.Behaviour().OnPrompt(func(p Prompt) { shown = p })
	data, sw := ledgerExchange(t, tr, ledgerHex("e002010115"+path5))
	if sw != 0x9000 || len(data) != 1+65+1+40+32 || string(data[67:107]) != "Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D" {
		t.Fatalf("address with chain code: %q %04X", data, sw)
	}
	if shown.Kind != PromptAddress || shown.Text != "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D" {
		t.Fatalf("prompt %+v", shown)
	}
	l.Behaviour().SetAction(Reject)
	if _, sw := ledgerExchange(t, tr, ledgerHex("e002010015"+path5)); sw != 0x6985 {
		t.Fatalf("rejected address: %04X", sw)
	}
}

func TestLedgerIgnoresForeignReports(t *testing.T) {
	l, _ := NewLedger(SpeculosMnemonic, nil)
	defer l.Close()
	tr := l.Transport()
	junk := make([]byte, 64)
	junk[0] = 0x3f
	if err := tr.WriteReport(context.Background(), junk); err != nil {
		t.Fatal(err)
	}
	if _, sw := ledgerExchange(t, tr, ledgerHex("e006000000")); sw != 0x9000 {
		t.Fatalf("after junk: %04X", sw)
	}
}

func TestLedgerUnplugAndReplug(t *testing.T) {
	defer leaktest.Check(t)()
	l, _ := NewLedger(SpeculosMnemonic, nil)
	tr := l.Transport()
	l.Unplug()
	if err := tr.WriteReport(context.Background(), make([]byte, 64)); err == nil {
		t.Fatal("write after unplug")
	}
	if _, sw := ledgerExchange(t, l.Transport(), ledgerHex("e006000000")); sw != 0x9000 {
		t.Fatalf("after replug: %04X", sw)
	}
	l.Close()
	if err := l.Transport().WriteReport(context.Background(), make([]byte, 64)); err == nil {
		t.Fatal("transport after Close works")
	}
}
