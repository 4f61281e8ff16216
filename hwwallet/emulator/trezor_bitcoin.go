package emulator

import (
	"crypto/sha256"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/ethereum/go-ethereum/crypto"
	//lint:ignore SA1019 Bitcoin's HASH160 is RIPEMD-160 of SHA-256; the emulated Trezor must compute it
	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // Bitcoin's HASH160 needs RIPEMD-160
	"google.golang.org/protobuf/encoding/protowire"
)

// Bitcoin GetAddress (messages-bitcoin.proto, types 29/30), the one
// non-Ethereum message the emulator answers: Trezor Connect derives its
// session fingerprint ("static session id") from the Testnet address at
// m/44'/1'/0'/0/0 before every call, so no @trezor/connect method works
// without it. Only what that needs is served: legacy P2PKH addresses
// (script type SPENDADDRESS) for coin "Testnet" or "Bitcoin", without
// display or multisig; anything else gets Failure(DataError).
const (
	msgGetAddress = 29
	msgAddress    = 30
)

// Address version bytes (Bitcoin Core chainparams PUBKEY_ADDRESS).
var p2pkhVersion = map[string]byte{"Bitcoin": 0x00, "Testnet": 0x6f}

// bitcoinGetAddress answers GetAddress with Address{address = 1}.
func (e *Trezor) bitcoinGetAddress(data []byte) error {
	req, ok := parseGetAddress(data)
	if !ok {
		return fail(trezor.Failure_Failure_DataError, "Failed to decode message")
	}
	version, known := p2pkhVersion[req.coin]
	if !known || req.scriptType != 0 || req.multisig || req.show {
		return fail(trezor.Failure_Failure_DataError, "Unsupported request (emulator: P2PKH Testnet/Bitcoin addresses only)")
	}
	key, err := e.unlockedKey(req.path)
	if err != nil {
		return err
	}
	addr := p2pkhAddress(version, crypto.CompressPubkey(&key.PublicKey))
	out := protowire.AppendTag(nil, 1, protowire.BytesType)
	out = protowire.AppendString(out, addr)
	return e.sendRaw(msgAddress, out)
}

// getAddressReq is the part of GetAddress the emulator looks at.
type getAddressReq struct {
	path       accounts.DerivationPath
	coin       string
	show       bool
	multisig   bool
	scriptType uint64
}

// parseGetAddress decodes GetAddress: address_n = 1 (repeated uint32,
// packed or not), coin_name = 2 (default "Bitcoin"), show_display = 3,
// multisig = 4, script_type = 5 (SPENDADDRESS = 0 by default).
func parseGetAddress(b []byte) (getAddressReq, bool) {
	req := getAddressReq{coin: "Bitcoin"}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return req, false
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 || v > 0xffffffff {
				return req, false
			}
			req.path = append(req.path, uint32(v))
			b = b[n:]
			continue
		case num == 1 && typ == protowire.BytesType:
			packed, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return req, false
			}
			for len(packed) > 0 {
				v, m := protowire.ConsumeVarint(packed)
				if m < 0 || v > 0xffffffff {
					return req, false
				}
				req.path = append(req.path, uint32(v))
				packed = packed[m:]
			}
			b = b[n:]
			continue
		case num == 2 && typ == protowire.BytesType:
			s, n := protowire.ConsumeString(b)
			if n < 0 {
				return req, false
			}
			req.coin = s
			b = b[n:]
			continue
		case num == 3 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return req, false
			}
			req.show = v != 0
			b = b[n:]
			continue
		case num == 4:
			req.multisig = true
		case num == 5 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return req, false
			}
			req.scriptType = v
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return req, false
		}
		b = b[n:]
	}
	return req, true
}

// p2pkhAddress is Base58Check(version || RIPEMD160(SHA256(pubkey))).
func p2pkhAddress(version byte, compressedPub []byte) string {
	sha := sha256.Sum256(compressedPub)
	h := ripemd160.New()
	h.Write(sha[:])
	payload := append([]byte{version}, h.Sum(nil)...)
	check := sha256.Sum256(payload)
	check = sha256.Sum256(check[:])
	return base58(append(payload, check[:4]...))
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58 encodes b with Bitcoin's alphabet; leading zero bytes become '1'.
func base58(b []byte) string {
	x := new(big.Int).SetBytes(b)
	radix, mod := big.NewInt(58), new(big.Int)
	var out []byte
	for x.Sign() > 0 {
		x.DivMod(x, radix, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}
