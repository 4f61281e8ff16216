package nagachain

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// The selectors are the first four bytes of Keccak-256 of the SDK's signatures.
func TestLedgerSelectors(t *testing.T) {
	for _, tc := range []struct {
		sig  string
		got  [4]byte
		pack []byte
	}{
		{"balance(address)", SelectorBalance, PackBalance(common.Address{})},
		{"stableBalance(address)", SelectorStableBalance, PackStableBalance(common.Address{})},
	} {
		want := crypto.Keccak256([]byte(tc.sig))[:4]
		if !bytes.Equal(tc.got[:], want) || !bytes.Equal(tc.pack[:4], want) {
			t.Errorf("%s: selector %x, packed %x, want %x", tc.sig, tc.got, tc.pack[:4], want)
		}
	}
}

func TestLedgerCallRoundTrip(t *testing.T) {
	user := common.HexToAddress("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
	for _, m := range []string{MethodBalance, MethodStableBalance} {
		data := map[string][]byte{MethodBalance: PackBalance(user), MethodStableBalance: PackStableBalance(user)}[m]
		// selector + one address word, left-padded with zeros.
		if len(data) != 36 || !bytes.Equal(data[4:16], make([]byte, 12)) || !bytes.Equal(data[16:], user.Bytes()) {
			t.Fatalf("%s: calldata %x", m, data)
		}
		c, err := DecodeCall(data)
		if err != nil || c.Method != m || c.User != user || c.Realm != nil || c.Products != nil {
			t.Errorf("%s: decoded %+v, %v", m, c, err)
		}
		// An address word with high bits set is not canonical.
		bad := append([]byte{}, data...)
		bad[4] = 1
		if _, err := DecodeCall(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: dirty address word: err %v, want ErrMalformed", m, err)
		}
		if _, err := DecodeCall(data[:20]); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: truncated: err %v, want ErrMalformed", m, err)
		}
	}
}

func TestLedgerBalanceResult(t *testing.T) {
	huge, _ := new(big.Int).SetString("57896044618658097711785492504343953926634992332820282019728792003956564819967", 10) // 2^255-1
	for _, tc := range []struct {
		name string
		wei  *big.Int
		want string // the 32-byte word, hex
	}{
		{"nil is zero", nil, "0000000000000000000000000000000000000000000000000000000000000000"},
		{"one ether", big.NewInt(1e18), "0000000000000000000000000000000000000000000000000de0b6b3a7640000"},
		{"negative", big.NewInt(-1), "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
		{"int256 max", huge, "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
	} {
		for _, m := range []string{MethodBalance, MethodStableBalance} {
			out, err := PackBalanceResult(m, tc.wei)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.name, m, err)
			}
			if got := common.Bytes2Hex(out); got != tc.want {
				t.Errorf("%s %s: packed %s, want %s", tc.name, m, got, tc.want)
			}
			back, err := UnpackBalance(m, out)
			want := tc.wei
			if want == nil {
				want = new(big.Int)
			}
			if err != nil || back.Cmp(want) != 0 {
				t.Errorf("%s %s: unpacked %v, %v", tc.name, m, back, err)
			}
		}
	}
	tooBig := new(big.Int).Add(huge, big.NewInt(1))
	if _, err := PackBalanceResult(MethodBalance, tooBig); err == nil {
		t.Error("2^255 packed as an int256")
	}
	if _, err := PackBalanceResult(MethodGetValidators, big.NewInt(1)); err == nil {
		t.Error("PackBalanceResult accepted a non-Ledger method")
	}
	for _, data := range [][]byte{nil, make([]byte, 31), make([]byte, 33), make([]byte, 64)} {
		if _, err := UnpackBalance(MethodBalance, data); !errors.Is(err, ErrMalformed) {
			t.Errorf("UnpackBalance(%d bytes): err %v, want ErrMalformed", len(data), err)
		}
	}
	if _, err := UnpackBalance("nope", make([]byte, 32)); err == nil {
		t.Error("UnpackBalance accepted an unknown method")
	}
}
