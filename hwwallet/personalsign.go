package hwwallet

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// CheckPersonalSignature is the one check every driver applies to a
// device's personal_sign reply before handing it on: sig must be 65 bytes
// r||s||v with v 27 or 28, s in the lower half of the curve order (as
// Ethereum requires since Homestead; a device never has reason to send the
// high-s twin), and it must recover, over the EIP-191 hash of message, to
// want. Failures wrap ErrBadReply.
func CheckPersonalSignature(message, sig []byte, want common.Address) error {
	if len(sig) != crypto.SignatureLength {
		return fmt.Errorf("signature of %d bytes, want %d: %w", len(sig), crypto.SignatureLength, ErrBadReply)
	}
	v := sig[64]
	if v != 27 && v != 28 {
		return fmt.Errorf("signature v = %d, want 27 or 28: %w", v, ErrBadReply)
	}
	rsv := append([]byte(nil), sig...)
	rsv[64] = v - 27
	r, s := new(big.Int).SetBytes(rsv[:32]), new(big.Int).SetBytes(rsv[32:64])
	if !crypto.ValidateSignatureValues(rsv[64], r, s, true) {
		return fmt.Errorf("signature values out of range (r, s must be in [1, n), s at most n/2): %w", ErrBadReply)
	}
	pub, err := crypto.SigToPub(accounts.TextHash(message), rsv)
	if err != nil {
		return fmt.Errorf("signature does not recover: %v: %w", err, ErrBadReply)
	}
	if got := crypto.PubkeyToAddress(*pub); got != want {
		return fmt.Errorf("signature recovers to %s, not %s: %w", got.Hex(), want.Hex(), ErrBadReply)
	}
	return nil
}
