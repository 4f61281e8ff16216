package lit

import (
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

var helloWorld = []byte("Hello World")

func TestCombineECDSAShares(t *testing.T) {
	key := testPKP(t)
	flips := map[bool]int{}
	for iter := 0; iter < 16; iter++ {
		d := dealSignature(t, key, helloWorld, 6)
		var shares []Share
		for i := 0; i < 10; i++ { // 6 signers, 4 empty shares
			shares = append(shares, d.shareFor(key, helloWorld, "sig1", i))
		}
		sig, err := CombineECDSAShares(shares)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := hex.DecodeString(strings.TrimPrefix(sig.Signature, "0x"))
		if err != nil || len(raw) != 65 || int(raw[64]) != 27+sig.RecID {
			t.Fatalf("signature %s", sig.Signature)
		}
		s := new(big.Int).SetBytes(raw[32:64])
		if s.Cmp(secpHalfN) > 0 {
			t.Fatal("high s")
		}
		total := new(big.Int)
		for _, v := range d.shares {
			total.Add(total, v)
		}
		flips[total.Mod(total, secpN).Cmp(secpHalfN) > 0]++
		raw[64] -= 27
		hash := make([]byte, 32)
		copy(hash[32-len(helloWorld):], helloWorld)
		pub, err := crypto.SigToPub(hash, raw)
		if err != nil || crypto.PubkeyToAddress(*pub) != crypto.PubkeyToAddress(key.PublicKey) {
			t.Fatal("does not recover to the PKP")
		}
		if sig.DataSigned != hex.EncodeToString(helloWorld) || sig.R != hex.EncodeToString(raw[:32]) {
			t.Fatalf("fields %+v", sig)
		}
	}
	if flips[true] == 0 || flips[false] == 0 {
		t.Logf("low-s flip coverage incomplete: %v", flips)
	}
}

func TestCombineECDSASharesRejects(t *testing.T) {
	key := testPKP(t)
	d := dealSignature(t, key, helloWorld, 6)
	base := func() []Share {
		var out []Share
		for i := 0; i < 8; i++ {
			out = append(out, d.shareFor(key, helloWorld, "sig1", i))
		}
		return out
	}
	other := dealSignature(t, key, helloWorld, 6)
	tests := []struct {
		name   string
		mutate func([]Share) []Share
	}{
		{"missing share", func(s []Share) []Share { s[2].SignatureShare = ""; return s }},
		{"wrong share", func(s []Share) []Share { s[0].SignatureShare = "01"; return s }},
		{"extra share", func(s []Share) []Share { s[7].SignatureShare = "05"; return s }},
		{"R disagrees", func(s []Share) []Share { s[1].LocalX = other.shareFor(key, helloWorld, "sig1", 0).LocalX; return s }},
		{"R off curve", func(s []Share) []Share {
			for i := range s {
				s[i].LocalY = "01"
			}
			return s
		}},
		{"wrong public key", func(s []Share) []Share {
			k2, _ := crypto.GenerateKey()
			for i := range s {
				s[i].PublicKey = hex.EncodeToString(crypto.FromECDSAPub(&k2.PublicKey))
			}
			return s
		}},
		{"other data", func(s []Share) []Share {
			for i := range s {
				s[i].DataSigned = hex.EncodeToString([]byte("Hello world"))
			}
			return s
		}},
		{"data over 32 bytes", func(s []Share) []Share {
			for i := range s {
				s[i].DataSigned = strings.Repeat("ab", 33)
			}
			return s
		}},
		{"BLS", func(s []Share) []Share {
			for i := range s {
				s[i].SigType = "BLS"
			}
			return s
		}},
		{"not hex", func(s []Share) []Share { s[0].SignatureShare = "zz"; return s }},
		{"share too long", func(s []Share) []Share { s[0].SignatureShare = strings.Repeat("11", 33); return s }},
		{"no shares", func(s []Share) []Share {
			for i := range s {
				s[i].SignatureShare = ""
			}
			return s
		}},
		{"empty", func([]Share) []Share { return nil }},
	}
	if _, err := CombineECDSAShares(base()); err != nil {
		t.Fatalf("base: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CombineECDSAShares(tt.mutate(base()))
			var se *ShareError
			if !errors.Is(err, ErrBadShares) || !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
