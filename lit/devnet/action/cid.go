package action

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
)

// MaxCIDv0FileSize is the largest file CIDv0 handles: `ipfs add` splits
// bigger files into 256 KiB chunks under a tree of links, which the devnet
// does not build.
const MaxCIDv0FileSize = 256 << 10

// ErrFileTooLarge is returned by CIDv0 for files over MaxCIDv0FileSize.
var ErrFileTooLarge = errors.New("action: file too large for a single-chunk CIDv0")

// CIDv0 returns the CID that `ipfs add` (default settings: CIDv0, UnixFS,
// 256 KiB chunks) gives a file of at most MaxCIDv0FileSize bytes: the
// base58btc sha2-256 multihash of the dag-pb node whose Data is the UnixFS
// message {Type: File, Data: data, filesize: len(data)} and which has no
// links.
func CIDv0(data []byte) (string, error) {
	if len(data) > MaxCIDv0FileSize {
		return "", fmt.Errorf("%w: %d bytes, limit %d", ErrFileTooLarge, len(data), MaxCIDv0FileSize)
	}
	// UnixFS Data: field 1 Type (varint, File = 2); field 2 Data (bytes,
	// omitted when empty, as go-unixfs does); field 3 filesize (varint).
	var unixfs []byte
	unixfs = append(unixfs, 0x08, 0x02)
	if len(data) > 0 {
		unixfs = append(unixfs, 0x12)
		unixfs = appendUvarint(unixfs, uint64(len(data)))
		unixfs = append(unixfs, data...)
	}
	unixfs = append(unixfs, 0x18)
	unixfs = appendUvarint(unixfs, uint64(len(data)))
	// PBNode: field 1 Data (bytes); no field 2 Links.
	node := []byte{0x0a}
	node = appendUvarint(node, uint64(len(unixfs)))
	node = append(node, unixfs...)

	sum := sha256.Sum256(node)
	// Multihash: code sha2-256 (0x12), length 32, digest.
	mh := append([]byte{0x12, 0x20}, sum[:]...)
	return base58Encode(mh), nil
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Encode is base58btc (the Bitcoin alphabet): each leading zero byte
// becomes '1', the rest is the big-endian number in base 58.
func base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b[zeros:])
	var out []byte
	base, mod := big.NewInt(58), new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	for range zeros {
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// base58Decode reverses base58Encode.
func base58Decode(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	n := new(big.Int)
	base := big.NewInt(58)
	for i := zeros; i < len(s); i++ {
		d := indexByte(base58Alphabet, s[i])
		if d < 0 {
			return nil, fmt.Errorf("Non-base58btc character %q", s[i])
		}
		n.Mul(n, base)
		n.Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
