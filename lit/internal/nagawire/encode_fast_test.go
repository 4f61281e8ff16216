package nagawire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/crypto"
)

// marshalJSString is what marshalJS writes for s.
func marshalJSString(t testing.TB, s string) string {
	t.Helper()
	b, err := marshalJS(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fastDeclines reports whether appendJSString must leave s to marshalJS: a
// control character other than \n, \r, \t, or invalid UTF-8.
func fastDeclines(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return true
		}
	}
	return false
}

func TestAppendJSString(t *testing.T) {
	for _, s := range []string{
		"", "success", `"00AB"`, `a"b\c`, "line\nfeed\rtab\t", "<script>&amp;</script>", "del\x7f",
		"sep\u2028par\u2029", `literal \u2028 and \\u2029`, "naïve 日本 🚀", `{"ok":true,"n":[1,2]}`,
		"\x01", "bell\a", "back\bform\f", "bad \xff utf8", "cut \xe2\x80",
	} {
		got, ok := appendJSString([]byte("prefix"), s)
		if ok == fastDeclines(s) {
			t.Errorf("appendJSString(%q): ok %v", s, ok)
			continue
		}
		if ok {
			if want := "prefix" + marshalJSString(t, s); string(got) != want {
				t.Errorf("appendJSString(%q) = %s, want %s", s, got, want)
			}
		}
	}
}

func FuzzAppendJSString(f *testing.F) {
	for _, s := range []string{"", `a"b\c`, "x\ny", "\u2028", `\u2029`, "é", "\x00", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := appendJSString(nil, s)
		if ok == fastDeclines(s) {
			t.Fatalf("appendJSString(%q): ok %v", s, ok)
		}
		if ok && string(got) != marshalJSString(t, s) {
			t.Fatalf("appendJSString(%q) = %s, want %s", s, got, marshalJSString(t, s))
		}
	})
}

// marshalResponseSlow is ExecuteResponse.Marshal through marshalJS only.
func marshalResponseSlow(t testing.TB, r ExecuteResponse) []byte {
	t.Helper()
	b, err := marshalJS(r.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testShare(sigName string) SignedShare {
	return SignedShare{SigType: SigTypeEcdsaK256Sha256, SignatureShare: `{"EcdsaSignedMessageShare":{"digest":"ab","big_r":"\"02AB\""}}`,
		PublicKey: "04" + strings.Repeat("cd", 64), SigName: sigName}
}

func TestExecuteResponseMarshalFast(t *testing.T) {
	price := big.NewInt(1000000000000000)
	huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	cases := map[string]ExecuteResponse{
		"zero":         {},
		"devnet reply": {Success: true, SignedData: map[string]SignedShare{"sig1": testShare("sig1")}, Logs: "hello\n", PaymentDetail: []PaymentDetail{{Component: "baseAmount", Quantity: 1, Price: price}}},
		"sorted names": {Success: true, SignedData: map[string]SignedShare{"m4": testShare("m4"), "m0": testShare("m0"), "Z": testShare("Z"), "a\"b": testShare("a\"b")}},
		"response":     {Success: true, Response: `{"ok":true,"s":"<&>\u2028\\"}`, Logs: "naïve\ttab\r\n🚀"},
		"prices":       {PaymentDetail: []PaymentDetail{{Component: "a", Quantity: 0, Price: nil}, {Component: "b", Quantity: 1<<64 - 1, Price: huge}, {Component: "c", Price: big.NewInt(-5)}}},
		"empty slices": {SignedData: map[string]SignedShare{}, PaymentDetail: []PaymentDetail{}},
		// Left to marshalJS: raw JSON other than {}, a control character,
		// invalid UTF-8.
		"raw data":      {DecryptedData: json.RawMessage(`{ "a" : 1 }`), ClaimData: json.RawMessage(`{}`)},
		"control":       {Logs: "bell\a"},
		"invalid utf-8": {Response: "\xff"},
		"control name":  {SignedData: map[string]SignedShare{"\x01": testShare("x")}},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if want := marshalResponseSlow(t, r); !bytes.Equal(got, want) {
				t.Errorf("Marshal:\n got  %s\n want %s", got, want)
			}
		})
	}
	// The fast writer itself takes the devnet's reply (the cases above
	// would pass with marshalJS alone).
	r := cases["devnet reply"].withDefaults()
	if _, ok := r.appendFast(nil); !ok {
		t.Error("appendFast declined the devnet's reply")
	}
}

func FuzzExecuteResponseMarshal(f *testing.F) {
	f.Add(true, "sig1", `{"EcdsaSignedMessageShare":{}}`, "resp", "logs\n", "baseAmount", uint64(1), int64(7), "{}")
	f.Add(false, "a\"b", "\u2028", "\xff", "\x00", "", uint64(0), int64(-1), `{"x": 1}`)
	f.Fuzz(func(t *testing.T, success bool, sigName, share, response, logs, component string, qty uint64, price int64, raw string) {
		r := ExecuteResponse{
			Success: success, Response: response, Logs: logs,
			SignedData:    map[string]SignedShare{sigName: {SigType: component, SignatureShare: share, PublicKey: logs, SigName: sigName}, "k" + sigName: testShare(response)},
			PaymentDetail: []PaymentDetail{{Component: component, Quantity: qty, Price: big.NewInt(price)}},
		}
		if json.Valid([]byte(raw)) {
			r.DecryptedData = json.RawMessage(raw)
		}
		got, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if want := marshalResponseSlow(t, r); !bytes.Equal(got, want) {
			t.Fatalf("Marshal:\n got  %s\n want %s", got, want)
		}
	})
}

// encodeShareSlow is EncodeEcdsaShare as it was written with encoding/json
// alone: the reference for the fast writer.
func encodeShareSlow(t testing.TB, s EcdsaShare) string {
	t.Helper()
	pub, err := crypto.UnmarshalPubkey(s.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	quoted := func(b []byte) string { return `"` + strings.ToUpper(hex.EncodeToString(b)) + `"` }
	w := wireEcdsaShare{
		Digest: hex.EncodeToString(s.Digest[:]), Result: s.Result, ShareID: s.ShareID, PeerID: s.PeerID,
		SignatureShare: quoted(s.S.FillBytes(make([]byte, 32))), BigR: quoted(s.BigR),
		CompressedPublicKey: quoted(crypto.CompressPubkey(pub)), PublicKey: quoted(s.PublicKey), SigType: s.SigType,
	}
	b, err := marshalJS(wireShareEnvelope{EcdsaSignedMessageShare: &w})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// shareForEncoding is a valid share with the given text fields.
func shareForEncoding(t testing.TB, seed byte, result, shareID, peerID, sigType string) EcdsaShare {
	t.Helper()
	key, err := crypto.ToECDSA(crypto.Keccak256([]byte{seed, 1}))
	if err != nil {
		t.Fatal(err)
	}
	r, err := crypto.ToECDSA(crypto.Keccak256([]byte{seed, 2}))
	if err != nil {
		t.Fatal(err)
	}
	var digest [32]byte
	digest[0], digest[31] = seed, 0xfe
	return EcdsaShare{Digest: digest, Result: result, ShareID: shareID, PeerID: peerID,
		S: new(big.Int).SetBytes(bytes.Repeat([]byte{seed}, 20)), BigR: crypto.CompressPubkey(&r.PublicKey),
		PublicKey: crypto.FromECDSAPub(&key.PublicKey), SigType: sigType}
}

func TestEncodeEcdsaShareFast(t *testing.T) {
	for i, c := range []struct{ result, shareID, peerID, sigType string }{
		{"success", `"0000000000000000000000000000000000000000000000000000000000000001"`, "14791697260e4c9a71f18484c9f997b308e59325", SigTypeEcdsaK256Sha256},
		{"", "", "", ""},
		{"fail\nure", `a\b`, "naïve \u2028", "<&>"},
		{"bell\a", "x", "y", "z"}, // left to marshalJS
		{"ok", "\xfe", "y", "z"},  // left to marshalJS
		{"ok", "1", "2", "\x00z"}, // left to marshalJS
	} {
		for _, seed := range []byte{0, 7, 0x80, 0xfe} {
			s := shareForEncoding(t, seed, c.result, c.shareID, c.peerID, c.sigType)
			got, err := EncodeEcdsaShare(s)
			if err != nil {
				t.Fatalf("case %d seed %d: %v", i, seed, err)
			}
			if want := encodeShareSlow(t, s); got != want {
				t.Errorf("case %d seed %d:\n got  %s\n want %s", i, seed, got, want)
			}
			back, err := ParseEcdsaShare(got)
			if err != nil || back.S.Cmp(s.S) != 0 || !bytes.Equal(back.BigR, s.BigR) || !bytes.Equal(back.PublicKey, s.PublicKey) || back.Digest != s.Digest {
				t.Errorf("case %d seed %d: does not parse back: %v", i, seed, err)
			}
		}
	}
}

func FuzzEncodeEcdsaShare(f *testing.F) {
	f.Add(byte(1), "success", `"01"`, "abcd", SigTypeEcdsaK256Sha256)
	f.Add(byte(0x80), "\u2029", "\\", "\x7f", "\xff")
	f.Fuzz(func(t *testing.T, seed byte, result, shareID, peerID, sigType string) {
		s := shareForEncoding(t, seed, result, shareID, peerID, sigType)
		got, err := EncodeEcdsaShare(s)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodeShareSlow(t, s); got != want {
			t.Fatalf("\n got  %s\n want %s", got, want)
		}
	})
}

// BenchmarkNodeReplyEncode is a node's reply documents for the seed
// action: its ECDSA share and the ExecuteResponse holding it, each written
// by the fast writer and by encoding/json alone (the reference above, what
// EncodeEcdsaShare and Marshal did before).
func BenchmarkNodeReplyEncode(b *testing.B) {
	s := shareForEncoding(b, 7, "success", `"0000000000000000000000000000000000000000000000000000000000000001"`, "14791697260e4c9a71f18484c9f997b308e59325", SigTypeEcdsaK256Sha256)
	text, err := EncodeEcdsaShare(s)
	if err != nil {
		b.Fatal(err)
	}
	r := ExecuteResponse{Success: true, Logs: "",
		SignedData:    map[string]SignedShare{"sig1": {SigType: SigTypeEcdsaK256Sha256, SignatureShare: text, PublicKey: hex.EncodeToString(s.PublicKey), SigName: "sig1"}},
		PaymentDetail: []PaymentDetail{{Component: "baseAmount", Quantity: 1, Price: big.NewInt(1000000000000000)}}}
	b.Run("share", func(b *testing.B) {
		for b.Loop() {
			if _, err := EncodeEcdsaShare(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("share-encoding-json", func(b *testing.B) {
		for b.Loop() {
			_ = encodeShareSlow(b, s)
		}
	})
	b.Run("response", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.Marshal(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("response-encoding-json", func(b *testing.B) {
		for b.Loop() {
			_ = marshalResponseSlow(b, r)
		}
	})
}

// TestEncodeEcdsaShareRefuses: a share EncodeEcdsaShare cannot write as
// a node does (a scalar out of range, a public key that is not an
// uncompressed point on the curve, an R that is not compressed) is
// refused with ErrShare.
func TestEncodeEcdsaShareRefuses(t *testing.T) {
	good := shareForEncoding(t, 7, "success", "1", "p", SigTypeEcdsaK256Sha256)
	offCurve := bytes.Clone(good.PublicKey)
	offCurve[64] ^= 1
	tests := []struct {
		name string
		mod  func(s *EcdsaShare)
	}{
		{"no scalar", func(s *EcdsaShare) { s.S = nil }},
		{"negative scalar", func(s *EcdsaShare) { s.S = big.NewInt(-1) }},
		{"scalar n", func(s *EcdsaShare) { s.S = new(big.Int).Set(crypto.S256().Params().N) }},
		{"public key off the curve", func(s *EcdsaShare) { s.PublicKey = offCurve }},
		{"public key compressed", func(s *EcdsaShare) { s.PublicKey = good.BigR }},
		{"public key without 04", func(s *EcdsaShare) { s.PublicKey = append([]byte{6}, good.PublicKey[1:]...) }},
		{"public key empty", func(s *EcdsaShare) { s.PublicKey = nil }},
		{"big_r uncompressed", func(s *EcdsaShare) { s.BigR = good.PublicKey }},
	}
	if _, err := EncodeEcdsaShare(good); err != nil {
		t.Fatalf("good share: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.mod(&s)
			if text, err := EncodeEcdsaShare(s); !errors.Is(err, ErrShare) {
				t.Fatalf("EncodeEcdsaShare = %q, %v; want ErrShare", text, err)
			}
		})
	}
}

// FuzzEncodeEcdsaShareKey: EncodeEcdsaShare takes exactly the public keys
// go-ethereum's UnmarshalPubkey takes (an uncompressed point on the curve,
// coordinates below p), which it used to call.
func FuzzEncodeEcdsaShareKey(f *testing.F) {
	good := shareForEncoding(f, 7, "success", "1", "p", SigTypeEcdsaK256Sha256)
	f.Add(good.PublicKey)
	f.Add(append([]byte{4}, bytes.Repeat([]byte{0xff}, 64)...))
	f.Add(good.BigR)
	p := crypto.S256().Params().P
	f.Add(append(append([]byte{4}, p.FillBytes(make([]byte, 32))...), good.PublicKey[33:]...))
	f.Fuzz(func(t *testing.T, key []byte) {
		s := good
		s.PublicKey = key
		_, err := EncodeEcdsaShare(s)
		_, gethErr := crypto.UnmarshalPubkey(key)
		if (err == nil) != (gethErr == nil) {
			t.Fatalf("key %x: EncodeEcdsaShare %v, UnmarshalPubkey %v", key, err, gethErr)
		}
	})
}
