package emulator

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/text/unicode/norm"
)

// SpeculosMnemonic is the default seed of LedgerHQ's Speculos emulator; the
// published app-ethereum vectors (and ours in testdata/) are made with it.
const SpeculosMnemonic = "glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin"

// TrezorTestMnemonic is the "all all ... all" seed of trezor-firmware's
// device tests; the published Trezor vectors are made with it.
const TrezorTestMnemonic = "all all all all all all all all all all all all"

// ErrBadMnemonic is returned for a mnemonic that is not 12 to 24 words.
var ErrBadMnemonic = errors.New("emulator: the mnemonic must have 12, 15, 18, 21 or 24 words")

// Seed turns a BIP-39 mnemonic and passphrase into the 64-byte seed:
// PBKDF2-HMAC-SHA512 over the NFKD-normalized mnemonic, salt "mnemonic" +
// passphrase, 2048 iterations (BIP-39, "From mnemonic to seed"). The word
// checksum is not verified: the emulator accepts any word list of a valid
// length, which is what a device does with an imported seed in tests.
func Seed(mnemonic, passphrase string) ([]byte, error) {
	words := strings.Fields(mnemonic)
	switch len(words) {
	case 12, 15, 18, 21, 24:
	default:
		return nil, fmt.Errorf("%w (got %d)", ErrBadMnemonic, len(words))
	}
	m := norm.NFKD.String(strings.Join(words, " "))
	salt := norm.NFKD.String("mnemonic" + passphrase)
	seed, err := pbkdf2.Key(sha512.New, m, []byte(salt), 2048, 64)
	if err != nil {
		return nil, fmt.Errorf("emulator: seed: %w", err)
	}
	return seed, nil
}

// Keyring derives secp256k1 keys from a BIP-32 master seed. It is
// immutable and safe for concurrent use.
type Keyring struct {
	masterKey   []byte // 32 bytes
	masterChain []byte // 32 bytes
}

// NewKeyring derives the BIP-32 master key from a seed (HMAC-SHA512 keyed
// with "Bitcoin seed").
func NewKeyring(seed []byte) (*Keyring, error) {
	if len(seed) < 16 || len(seed) > 64 {
		return nil, fmt.Errorf("emulator: seed of %d bytes, want 16..64", len(seed))
	}
	mac := hmac.New(sha512.New, []byte("Bitcoin seed"))
	mac.Write(seed)
	i := mac.Sum(nil)
	if !validScalar(i[:32]) {
		return nil, errors.New("emulator: seed gives an invalid master key")
	}
	return &Keyring{masterKey: i[:32], masterChain: i[32:]}, nil
}

// NewKeyringFromMnemonic is Seed followed by NewKeyring.
func NewKeyringFromMnemonic(mnemonic, passphrase string) (*Keyring, error) {
	seed, err := Seed(mnemonic, passphrase)
	if err != nil {
		return nil, err
	}
	return NewKeyring(seed)
}

// Key derives the private key at path (BIP-32 CKDpriv, hardened elements
// have bit 31 set as in accounts.DerivationPath).
func (k *Keyring) Key(path accounts.DerivationPath) (*ecdsa.PrivateKey, error) {
	priv, _, err := k.derive(path)
	return priv, err
}

// derive returns the private key and chain code at path.
func (k *Keyring) derive(path accounts.DerivationPath) (*ecdsa.PrivateKey, []byte, error) {
	key := append([]byte(nil), k.masterKey...)
	chain := append([]byte(nil), k.masterChain...)
	n := crypto.S256().Params().N
	for depth, index := range path {
		mac := hmac.New(sha512.New, chain)
		if index >= 0x80000000 {
			mac.Write([]byte{0})
			mac.Write(key)
		} else {
			priv, err := crypto.ToECDSA(key)
			if err != nil {
				return nil, nil, fmt.Errorf("emulator: derive %v: %w", path, err)
			}
			mac.Write(crypto.CompressPubkey(&priv.PublicKey))
		}
		var ser [4]byte
		binary.BigEndian.PutUint32(ser[:], index)
		mac.Write(ser[:])
		i := mac.Sum(nil)
		il := new(big.Int).SetBytes(i[:32])
		if il.Cmp(n) >= 0 {
			return nil, nil, fmt.Errorf("emulator: derive %v: invalid child at depth %d", path, depth+1)
		}
		child := il.Add(il, new(big.Int).SetBytes(key))
		child.Mod(child, n)
		if child.Sign() == 0 {
			return nil, nil, fmt.Errorf("emulator: derive %v: invalid child at depth %d", path, depth+1)
		}
		key = child.FillBytes(make([]byte, 32))
		chain = i[32:]
	}
	priv, err := crypto.ToECDSA(key)
	if err != nil {
		return nil, nil, fmt.Errorf("emulator: derive %v: %w", path, err)
	}
	return priv, chain, nil
}

// Address derives the Ethereum address at path.
func (k *Keyring) Address(path accounts.DerivationPath) (common.Address, error) {
	priv, err := k.Key(path)
	if err != nil {
		return common.Address{}, err
	}
	return crypto.PubkeyToAddress(priv.PublicKey), nil
}

func validScalar(b []byte) bool {
	v := new(big.Int).SetBytes(b)
	return v.Sign() > 0 && v.Cmp(crypto.S256().Params().N) < 0
}
