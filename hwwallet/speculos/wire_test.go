package speculos

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

func TestFrames(t *testing.T) {
	apdu, _ := hex.DecodeString("e008000022058000002c8000003c80000000000000000000000000000009726565662d6b6e6f74")
	frame, err := AppendCommand(nil, apdu)
	if err != nil {
		t.Fatal(err)
	}
	if want := "00000027" + hex.EncodeToString(apdu); hex.EncodeToString(frame) != want {
		t.Fatalf("command frame %x, want %s", frame, want)
	}
	got, err := ReadCommand(bytes.NewReader(frame))
	if err != nil || !bytes.Equal(got, apdu) {
		t.Fatalf("ReadCommand = %x, %v", got, err)
	}

	// The reply length counts the data only, not the status word.
	reply, _ := hex.DecodeString("0001139000")
	frame, err = AppendReply(nil, reply)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(frame) != "00000003"+"0001139000" {
		t.Fatalf("reply frame %x", frame)
	}
	got, err = ReadReply(bytes.NewReader(frame))
	if err != nil || !bytes.Equal(got, reply) {
		t.Fatalf("ReadReply = %x, %v", got, err)
	}
	// A bare status word.
	frame, _ = AppendReply(nil, []byte{0x69, 0x85})
	if got, err := ReadReply(bytes.NewReader(frame)); err != nil || hex.EncodeToString(got) != "6985" {
		t.Fatalf("ReadReply(status only) = %x, %v", got, err)
	}
}

func TestMalformedFrames(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		reply   bool
		wantEOF bool // clean end of stream
		cut     bool // cut short: wraps io.ErrUnexpectedEOF
	}{
		{name: "empty stream", in: "", wantEOF: true},
		{name: "empty stream (reply)", in: "", reply: true, wantEOF: true},
		{name: "short prefix", in: "0000", cut: true},
		{name: "short prefix (reply)", in: "000000", reply: true, cut: true},
		{name: "huge length", in: "7fffffff"},
		{name: "huge length (reply)", in: "00010001", reply: true},
		{name: "APDU cut", in: "00000005e00600", cut: true},
		{name: "APDU too short", in: "00000002e006"},
		{name: "reply without status word", in: "0000000001", reply: true, cut: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tc.in)
			var err error
			if tc.reply {
				_, err = ReadReply(bytes.NewReader(b))
			} else {
				_, err = ReadCommand(bytes.NewReader(b))
			}
			switch {
			case tc.wantEOF:
				if err != io.EOF {
					t.Fatalf("err = %v, want io.EOF", err)
				}
			case !errors.Is(err, ErrFrame):
				t.Fatalf("err = %v, want ErrFrame", err)
			case tc.cut != errors.Is(err, io.ErrUnexpectedEOF):
				t.Fatalf("err = %v, cut short = %v", err, tc.cut)
			}
		})
	}
	if _, err := AppendReply(nil, []byte{0x90}); err == nil {
		t.Error("AppendReply took a reply without a status word")
	}
	if _, err := AppendCommand(nil, make([]byte, MaxAPDU+1)); err == nil {
		t.Error("AppendCommand took an oversized APDU")
	}
}

// FuzzReadReply feeds untrusted bytes (what a TCP peer sends the driver)
// to the reply reader: it must not panic or allocate past MaxAPDU, and
// what it accepts must frame back to the same bytes.
func FuzzReadReply(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0x90, 0})
	f.Add([]byte{0, 0, 0, 3, 0, 1, 0x13, 0x90, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		reply, err := ReadReply(r)
		if err != nil {
			return
		}
		frame, err := AppendReply(nil, reply)
		if err != nil {
			t.Fatalf("accepted reply %x does not frame: %v", reply, err)
		}
		if !bytes.Equal(frame, in[:len(in)-r.Len()]) {
			t.Fatalf("reframed %x, read from %x", frame, in)
		}
	})
}

// FuzzReadCommand is the same for the emulator's side.
func FuzzReadCommand(f *testing.F) {
	f.Add([]byte{0, 0, 0, 4, 0xe0, 0x06, 0, 0})
	f.Add([]byte{0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		cmd, err := ReadCommand(r)
		if err != nil {
			return
		}
		frame, err := AppendCommand(nil, cmd)
		if err != nil || !bytes.Equal(frame, in[:len(in)-r.Len()]) {
			t.Fatalf("reframed %x (%v), read from %x", frame, err, in)
		}
	})
}
