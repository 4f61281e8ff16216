package lit

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

// randScalar is a uniform scalar in [1, n).
func randScalar(t testing.TB) *big.Int {
	t.Helper()
	for {
		k, err := rand.Int(rand.Reader, secpN)
		if err != nil {
			t.Fatal(err)
		}
		if k.Sign() != 0 {
			return k
		}
	}
}

// dealtSignature is a real ECDSA signature over toSign (as a 32-byte
// left-padded integer, the v2 convention) split into additive shares, the
// way a threshold network's signing set produces them.
type dealtSignature struct {
	rx, ry *big.Int
	shares []*big.Int // one per signer
}

func dealSignature(t testing.TB, key *ecdsa.PrivateKey, toSign []byte, signers int) dealtSignature {
	t.Helper()
	k := randScalar(t)
	rx, ry := crypto.S256().ScalarBaseMult(k.FillBytes(make([]byte, 32)))
	r := new(big.Int).Mod(rx, secpN)
	z := new(big.Int).SetBytes(toSign)
	//lint:ignore SA1019 the test does the signer's arithmetic on the raw scalar on purpose
	s := new(big.Int).Mul(r, key.D)
	s.Add(s, z)
	s.Mul(s, new(big.Int).ModInverse(k, secpN))
	s.Mod(s, secpN)
	d := dealtSignature{rx: rx, ry: ry}
	sum := new(big.Int)
	for i := 0; i < signers-1; i++ {
		v := randScalar(t)
		d.shares = append(d.shares, v)
		sum.Add(sum, v)
	}
	last := new(big.Int).Sub(s, sum)
	d.shares = append(d.shares, last.Mod(last, secpN))
	return d
}

// shareFor is node i's Share: non-empty when i < len(d.shares).
func (d dealtSignature) shareFor(key *ecdsa.PrivateKey, toSign []byte, sigName string, i int) Share {
	sh := Share{
		SigType:    "ECDSA",
		ShareIndex: i + 1,
		LocalX:     hex.EncodeToString(d.rx.FillBytes(make([]byte, 32))),
		LocalY:     hex.EncodeToString(d.ry.FillBytes(make([]byte, 32))),
		PublicKey:  hex.EncodeToString(crypto.FromECDSAPub(&key.PublicKey)),
		DataSigned: hex.EncodeToString(toSign),
		SigName:    sigName,
	}
	if i < len(d.shares) {
		sh.SignatureShare = hex.EncodeToString(d.shares[i].FillBytes(make([]byte, 32)))
	}
	return sh
}

func testPKP(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.HexToECDSA("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
	if err != nil {
		t.Fatal(err)
	}
	return k
}
