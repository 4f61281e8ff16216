package nagachain

import (
	"bytes"
	"testing"
)

func FuzzDecodeCall(f *testing.F) {
	f.Add(PackGetValidators(1))
	f.Add(PackGetNodesForRequest(1, AllProducts))
	f.Add([]byte{0x22, 0x4d, 0x94, 0x49, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCall(data)
		if err != nil {
			return
		}
		// A decoded call is canonical: packing its arguments again gives the same bytes.
		args := []any{c.Realm}
		if c.Method == MethodGetNodesForRequest {
			args = append(args, c.Products)
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
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := UnpackValidators(data); err == nil {
			if _, err := PackValidators(s); err != nil {
				t.Fatalf("decoded validator set does not re-encode: %v", err)
			}
		}
		if s, err := UnpackNodesForRequest(data); err == nil {
			if _, err := PackNodesForRequest(s); err != nil {
				t.Fatalf("decoded price set does not re-encode: %v", err)
			}
		}
	})
}
