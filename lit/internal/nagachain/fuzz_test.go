package nagachain

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func FuzzDecodeCall(f *testing.F) {
	f.Add(PackGetValidators(1))
	f.Add(PackGetNodesForRequest(1, AllProducts))
	f.Add([]byte{0x22, 0x4d, 0x94, 0x49, 0xff})
	f.Add(PackBalance(common.HexToAddress("0x1234")))
	f.Add(PackStableBalance(common.Address{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCall(data)
		if err != nil {
			return
		}
		// A decoded call is canonical: packing its arguments again gives the same bytes.
		args := []any{c.Realm}
		switch c.Method {
		case MethodGetNodesForRequest:
			args = append(args, c.Products)
		case MethodBalance, MethodStableBalance:
			args = []any{c.User}
		}
		again, err := ABI.Pack(c.Method, args...)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decoded %+v does not re-encode to the input (%v)", c, err)
		}
	})
}

func FuzzUnpack(f *testing.F) {
	vs, _ := PackValidators(ValidatorSet{Validators: []Validator{{IP: 1, Port: 2}}})
	ps, _ := PackNodesForRequest(PriceSet{Nodes: []NodePrices{{Validator: Validator{IP: 1}}}})
	f.Add(vs)
	f.Add(ps)
	bal, _ := PackBalanceResult(MethodBalance, big.NewInt(-5))
	f.Add(bal)
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := UnpackValidators(data); err == nil {
			if _, err := PackValidators(s); err != nil {
				t.Fatalf("decoded validator set does not re-encode: %v", err)
			}
		}
		if b, err := UnpackBalance(MethodStableBalance, data); err == nil {
			if again, err := PackBalanceResult(MethodStableBalance, b); err != nil || !bytes.Equal(again, data) {
				t.Fatalf("decoded balance %v does not re-encode to the input (%v)", b, err)
			}
		}
		if s, err := UnpackNodesForRequest(data); err == nil {
			if _, err := PackNodesForRequest(s); err != nil {
				t.Fatalf("decoded price set does not re-encode: %v", err)
			}
		}
	})
}
