package lit

import (
	"context"
	"crypto/ecdsa"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// fixtureWalletKey is the wallet key of the SDK fixture (see testdata).
const fixtureWalletKey = "0123456789012345678901234567890123456789012345678901234567890123"

// keySigner is a software PersonalSigner: a real EIP-191 signer.
type keySigner struct {
	key     *ecdsa.PrivateKey
	lastMsg []byte
	// corrupt, when set, changes the signature before returning it.
	corrupt func([]byte) []byte
}

func newKeySigner(t testing.TB) *keySigner {
	t.Helper()
	k, err := crypto.HexToECDSA(fixtureWalletKey)
	if err != nil {
		t.Fatal(err)
	}
	return &keySigner{key: k}
}

func (s *keySigner) Address() common.Address { return crypto.PubkeyToAddress(s.key.PublicKey) }

func (s *keySigner) SignPersonalMessage(ctx context.Context, msg []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.lastMsg = append([]byte(nil), msg...)
	sig, err := crypto.Sign(accounts.TextHash(msg), s.key)
	if err != nil {
		return nil, err
	}
	sig[64] += 27
	if s.corrupt != nil {
		sig = s.corrupt(sig)
	}
	return sig, nil
}

func newTestSession(t testing.TB, opts SessionOptions) *Session {
	t.Helper()
	key, err := NewSessionKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(context.Background(), key, newKeySigner(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
