package thp

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"math/big"

	fe "filippo.io/edwards25519/field"
)

// CodeEntry pairing (specification.md "CodeEntry"; draft-irtf-cfrg-cpace
// with the X25519 group, symmetric mode, empty sid and AD).

// codeDigits is the length of the code the device shows.
const codeDigits = 6

// pairingCode is int_be(SHA-256(0x02 ‖ handshake_hash ‖ secret ‖ challenge)) mod 10^6,
// written with six digits.
func pairingCode(handshakeHash, secret, challenge []byte) string {
	h := sha256.New()
	h.Write([]byte{0x02})
	h.Write(handshakeHash)
	h.Write(secret)
	h.Write(challenge)
	n := new(big.Int).SetBytes(h.Sum(nil))
	n.Mod(n, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n.Int64())
}

// validCode reports whether s is six ASCII digits.
func validCode(s string) bool {
	if len(s) != codeDigits {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// cpaceGenerator maps the code and handshake hash to a Curve25519 point:
// Elligator2 of the first 32 bytes of
// SHA-512(lv("CPace255") ‖ lv(code) ‖ lv(zero padding) ‖ lv(handshake_hash) ‖ lv(""))
// with one-byte length prefixes; the padding fills the hash block
// (draft-irtf-cfrg-cpace "calculate_generator", s_in_bytes = 128).
func cpaceGenerator(code string, handshakeHash []byte) []byte {
	const dsi = "CPace255"
	const blockSize = 128
	prefixLen := 1 + len(dsi) + 1 + len(code) + 1
	pad := blockSize - prefixLen
	h := sha512.New()
	h.Write([]byte{byte(len(dsi))})
	h.Write([]byte(dsi))
	h.Write([]byte{byte(len(code))})
	h.Write([]byte(code))
	h.Write([]byte{byte(pad)})
	h.Write(make([]byte, pad))
	h.Write([]byte{byte(len(handshakeHash))})
	h.Write(handshakeHash)
	h.Write([]byte{0})
	return elligator2(h.Sum(nil)[:32])
}

// curve25519J is the Montgomery coefficient A = 486662.
var curve25519J = func() *fe.Element {
	var b [32]byte
	binary.LittleEndian.PutUint32(b[:], 486662)
	e, err := new(fe.Element).SetBytes(b[:])
	if err != nil {
		panic(err) // a constant
	}
	return e
}()

// sqrtMinusOne is a square root of -1 mod 2^255-19 (RFC 9380 c3 of the
// curve25519 Elligator 2 map), little-endian.
var sqrtMinusOne = func() *fe.Element {
	b := []byte{
		0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
		0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b,
	}
	e, err := new(fe.Element).SetBytes(b)
	if err != nil {
		panic(err) // a constant
	}
	return e
}()

// elligator2 is map_to_curve_elligator2_curve25519 (RFC 9380 appendix
// G.2.1), constant time, returning only the u-coordinate (little-endian)
// as X25519 needs. The input is a little-endian field element; its top bit
// is ignored.
func elligator2(r []byte) []byte {
	var in [32]byte
	copy(in[:], r)
	in[31] &= 0x7f
	var u fe.Element
	if _, err := u.SetBytes(in[:]); err != nil {
		panic(err) // SetBytes fails only on a wrong length, fixed above
	}
	var one, tv1, tv2, tv3, xd, x1n, gxd, gx1, y11, y12, y1, x2n, xn, x fe.Element
	one.One()
	tv1.Square(&u)
	tv1.Add(&tv1, &tv1)     // 2u²
	xd.Add(&tv1, &one)      // 1 + 2u², never zero
	x1n.Negate(curve25519J) // x1 = -J / (1 + 2u²)
	tv2.Square(&xd)         //
	gxd.Multiply(&tv2, &xd) // xd³
	gx1.Multiply(curve25519J, &tv1)
	gx1.Multiply(&gx1, &x1n)
	gx1.Add(&gx1, &tv2)
	gx1.Multiply(&gx1, &x1n) // x1n³ + J x1n² xd + x1n xd²
	tv3.Square(&gxd)
	tv2.Square(&tv3)         // gxd⁴
	tv3.Multiply(&tv3, &gxd) // gxd³
	tv3.Multiply(&tv3, &gx1) // gx1 gxd³
	tv2.Multiply(&tv2, &tv3) // gx1 gxd⁷
	y11.Pow22523(&tv2)       // (gx1 gxd⁷)^((p-5)/8)
	y11.Multiply(&y11, &tv3)
	y12.Multiply(&y11, sqrtMinusOne)
	tv2.Square(&y11)
	tv2.Multiply(&tv2, &gxd)
	y1.Select(&y11, &y12, tv2.Equal(&gx1)) // the square root of g(x1), if it is a square
	x2n.Multiply(&x1n, &tv1)               // x2 = 2u² x1
	tv2.Square(&y1)
	tv2.Multiply(&tv2, &gxd)
	xn.Select(&x1n, &x2n, tv2.Equal(&gx1)) // x1 if g(x1) is square, else x2
	x.Invert(&xd)
	x.Multiply(&x, &xn)
	return x.Bytes()
}

// cpaceTag is the host's proof of the shared CPace secret: SHA-256(shared).
func cpaceTag(shared []byte) []byte {
	t := sha256.Sum256(shared)
	return t[:]
}
