package devnet

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/lit/devnet/action"
)

// PKP is the public description of one programmable key pair held by the
// devnet, shaped like the SDK's and the Lit contracts' PKP objects.
type PKP struct {
	// PublicKey is the uncompressed public key, "04" + X + Y in hex.
	PublicKey string `json:"publicKey"`
	// EthAddress is the checksummed Ethereum address of the key.
	EthAddress string `json:"ethAddress"`
	// TokenID is the PKP NFT id: 0x + keccak256 of the 65-byte
	// uncompressed public key, as the Lit node's pubkeyToTokenId computes it
	// (action.PubkeyToTokenID).
	TokenID string `json:"tokenId"`
}

// pkpKey is what the network keeps about a PKP after dealing: its public key
// only.
type pkpKey struct {
	info PKP
	pub  *secp256k1.PublicKey
}

func newPKPKey(pub *secp256k1.PublicKey) (pkpKey, error) {
	raw := pub.SerializeUncompressed()
	tokenID, err := action.PubkeyToTokenID(hex.EncodeToString(raw))
	if err != nil {
		return pkpKey{}, err
	}
	addr := common.BytesToAddress(crypto.Keccak256(raw[1:])[12:])
	return pkpKey{
		info: PKP{PublicKey: hex.EncodeToString(raw), EthAddress: addr.Hex(), TokenID: tokenID},
		pub:  pub,
	}, nil
}

// entropy is the dealer's randomness: a deterministic stream when the
// network has a seed, crypto/rand otherwise.
type entropy struct {
	key     [32]byte
	label   string
	counter uint64
	seeded  bool
}

func newEntropy(seed, label string) *entropy {
	e := &entropy{label: label, seeded: seed != ""}
	if e.seeded {
		e.key = sha256.Sum256([]byte("litsigner devnet seed\x00" + seed))
	}
	return e
}

// Read fills p from SHA-256(key, label, counter) blocks or from crypto/rand.
func (e *entropy) Read(p []byte) (int, error) {
	if !e.seeded {
		return rand.Read(p)
	}
	n := 0
	for n < len(p) {
		h := sha256.New()
		h.Write(e.key[:])
		h.Write([]byte(e.label))
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], e.counter)
		e.counter++
		h.Write(c[:])
		n += copy(p[n:], h.Sum(nil))
	}
	return n, nil
}

// randomScalar reads a uniformly distributed non-zero scalar mod n.
func randomScalar(r io.Reader) (secp256k1.ModNScalar, error) {
	var buf [32]byte
	for {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return secp256k1.ModNScalar{}, fmt.Errorf("devnet: read randomness: %w", err)
		}
		var s secp256k1.ModNScalar
		if overflow := s.SetByteSlice(buf[:]); !overflow && !s.IsZero() {
			clear(buf[:])
			return s, nil
		}
	}
}

// dealPKP plays the trusted dealer for one key: it draws the secret x and a
// random polynomial f of degree threshold-1 with f(0) = x, gives node i the
// share f(i+1), keeps only x·G and forgets x and the coefficients.
func dealPKP(r io.Reader, nodes, threshold int) (pkpKey, []secp256k1.ModNScalar, error) {
	coeffs := make([]secp256k1.ModNScalar, threshold)
	defer func() {
		for i := range coeffs {
			coeffs[i].Zero()
		}
	}()
	for i := range coeffs {
		c, err := randomScalar(r)
		if err != nil {
			return pkpKey{}, nil, fmt.Errorf("devnet: deal pkp: %w", err)
		}
		coeffs[i] = c
	}
	var pubJ secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&coeffs[0], &pubJ)
	pubJ.ToAffine()
	key, err := newPKPKey(secp256k1.NewPublicKey(&pubJ.X, &pubJ.Y))
	if err != nil {
		return pkpKey{}, nil, fmt.Errorf("devnet: deal pkp: %w", err)
	}
	shares := make([]secp256k1.ModNScalar, nodes)
	for i := range shares {
		shares[i] = evalPoly(coeffs, shareX(i))
	}
	return key, shares, nil
}

// shareX is the Shamir x-coordinate of node i (never zero).
func shareX(i int) secp256k1.ModNScalar {
	var x secp256k1.ModNScalar
	x.SetInt(uint32(i + 1))
	return x
}

// evalPoly evaluates the polynomial with the given coefficients (constant
// term first) at x by Horner's rule.
func evalPoly(coeffs []secp256k1.ModNScalar, x secp256k1.ModNScalar) secp256k1.ModNScalar {
	var acc secp256k1.ModNScalar
	for i := len(coeffs) - 1; i >= 0; i-- {
		acc.Mul(&x).Add(&coeffs[i])
	}
	return acc
}

// lagrangeAtZero returns λ_i for node index i in the signing set (node
// indexes): the weight of f(x_i) in f(0) = Σ λ_j·f(x_j).
func lagrangeAtZero(i int, set []int) secp256k1.ModNScalar {
	var num, den secp256k1.ModNScalar
	num.SetInt(1)
	den.SetInt(1)
	xi := shareX(i)
	for _, j := range set {
		if j == i {
			continue
		}
		xj := shareX(j)
		num.Mul(&xj)
		var diff secp256k1.ModNScalar
		diff.NegateVal(&xi).Add(&xj) // x_j - x_i
		den.Mul(&diff)
	}
	den.InverseNonConst()
	return *num.Mul(&den)
}
