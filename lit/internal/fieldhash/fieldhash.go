// Package fieldhash names a list of strings by one SHA-256 digest, each
// string prefixed by its length so that no other list has the same bytes
// ("a","bc" and "ab","c" differ). The caches that remember verified
// signatures and decoded requests by their exact fields (lit's VerifyCache
// and the devnet's) key their entries with it.
package fieldhash

import (
	"crypto/sha256"
	"encoding/binary"
)

// Sum is SHA-256 over each field's length (8 bytes, big-endian) and bytes,
// in order. The fields are copied into one buffer: through hash.Hash each
// string would first be copied to the heap on its own.
func Sum(fields ...string) [sha256.Size]byte {
	n := 0
	for _, f := range fields {
		n += 8 + len(f)
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = append(binary.BigEndian.AppendUint64(b, uint64(len(f))), f...)
	}
	return sha256.Sum256(b)
}
