package hwwallet_test

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/hwwallet"
)

func TestCheckPersonalSignature(t *testing.T) {
	key, _ := crypto.HexToECDSA("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
	addr := crypto.PubkeyToAddress(key.PublicKey)
	msg := []byte("hello")
	good, _ := crypto.Sign(accounts.TextHash(msg), key)
	good[64] += 27
	tests := []struct {
		name   string
		msg    []byte
		mutate func([]byte) []byte
		addr   common.Address
		ok     bool
	}{
		{"good", msg, func(b []byte) []byte { return b }, addr, true},
		{"other signer", msg, func(b []byte) []byte { return b }, common.Address{1}, false},
		{"other message", []byte("hellO"), func(b []byte) []byte { return b }, addr, false},
		{"flipped r", msg, func(b []byte) []byte { b[3] ^= 1; return b }, addr, false},
		{"r zero", msg, func(b []byte) []byte { clear(b[:32]); return b }, addr, false},
		{"v 0", msg, func(b []byte) []byte { b[64] -= 27; return b }, addr, false},
		{"v 29", msg, func(b []byte) []byte { b[64] = 29; return b }, addr, false},
		{"short", msg, func(b []byte) []byte { return b[:64] }, addr, false},
		{"long", msg, func(b []byte) []byte { return append(b, 0) }, addr, false},
		{"high s", msg, HighS, addr, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := hwwallet.CheckPersonalSignature(tc.msg, tc.mutate(append([]byte(nil), good...)), tc.addr)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, hwwallet.ErrBadReply)) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	// The high-s twin is a valid ECDSA signature by the same key: only the
	// low-s rule refuses it.
	twin := HighS(append([]byte(nil), good...))
	rsv := append([]byte(nil), twin...)
	rsv[64] -= 27
	if pub, err := crypto.SigToPub(accounts.TextHash(msg), rsv); err != nil || crypto.PubkeyToAddress(*pub) != addr {
		t.Fatalf("the high-s twin does not recover to the signer (%v): the case above tests nothing", err)
	}
}

// HighS replaces s by n-s and flips v (27 <-> 28): the same signature in
// its malleable high-s form, which no device produces.
func HighS(sig []byte) []byte {
	n := crypto.S256().Params().N
	s := new(big.Int).SetBytes(sig[32:64])
	s.Sub(n, s)
	s.FillBytes(sig[32:64])
	sig[64] = 55 - sig[64]
	return sig
}
