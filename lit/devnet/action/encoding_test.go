package action

import (
	"bytes"
	"testing"
)

func TestEncodings(t *testing.T) {
	tests := []struct {
		enc  string
		data []byte
		text string
	}{
		{"utf8", []byte("héllo"), "héllo"},
		{"utf-8", []byte("x"), "x"},
		{"base16", []byte("hello"), "68656c6c6f"},
		{"hex", []byte{0, 255}, "00ff"},
		{"base16upper", []byte("hello"), "68656C6C6F"},
		{"base64", []byte("hello"), "aGVsbG8"},
		{"base64pad", []byte("hello"), "aGVsbG8="},
		{"base64url", []byte{0xfb, 0xff}, "-_8"},
		{"base64urlpad", []byte{0xfb, 0xff}, "-_8="},
		{"base58btc", []byte("hello"), "Cn8eVZg"},
		{"latin1", []byte{0x41, 0xe9}, "Aé"},
		{"ascii", []byte("abc"), "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.enc, func(t *testing.T) {
			got, err := encodeBytes(tc.data, tc.enc)
			if err != nil || got != tc.text {
				t.Errorf("encode = %q, %v; want %q", got, err, tc.text)
			}
			back, err := decodeString(tc.text, tc.enc)
			if err != nil || !bytes.Equal(back, tc.data) {
				t.Errorf("decode = %x, %v; want %x", back, err, tc.data)
			}
		})
	}
	if got := decodeUTF8([]byte{'a', 0xff, 'b'}); got != "a\uFFFDb" {
		t.Errorf("invalid UTF-8 decoded as %q", got)
	}
	for _, bad := range []struct{ s, enc string }{{"zz", "base16"}, {"a*", "base64"}, {"0", "base58btc"}, {"x", "base2"}} {
		if _, err := decodeString(bad.s, bad.enc); err == nil {
			t.Errorf("decodeString(%q, %q) accepted", bad.s, bad.enc)
		}
	}
	if _, err := encodeBytes(nil, "base2"); err == nil {
		t.Error("unknown encoding accepted")
	}
}
