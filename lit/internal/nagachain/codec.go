package nagachain

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"reflect"

	"github.com/ethereum/go-ethereum/common"
)

// ErrUnknownSelector is returned by DecodeCall for calldata whose selector is none of this
// package's methods.
var ErrUnknownSelector = errors.New("unknown function selector")

// ErrMalformed wraps every ABI decoding failure (short data, bad offsets, wrong types).
var ErrMalformed = errors.New("malformed ABI data")

// PackGetValidators returns the calldata of Staking.getActiveUnkickedValidatorStructsAndCounts(realm).
func PackGetValidators(realm int64) []byte {
	data, err := ABI.Pack(MethodGetValidators, big.NewInt(realm))
	if err != nil { // cannot happen: the argument matches the embedded ABI
		panic(fmt.Sprintf("nagachain: pack %s: %v", MethodGetValidators, err))
	}
	return data
}

// PackGetNodesForRequest returns the calldata of PriceFeed.getNodesForRequest(realm, products).
func PackGetNodesForRequest(realm int64, products []int64) []byte {
	ids := make([]*big.Int, len(products))
	for i, p := range products {
		ids[i] = big.NewInt(p)
	}
	data, err := ABI.Pack(MethodGetNodesForRequest, big.NewInt(realm), ids)
	if err != nil { // cannot happen: the arguments match the embedded ABI
		panic(fmt.Sprintf("nagachain: pack %s: %v", MethodGetNodesForRequest, err))
	}
	return data
}

// UnpackValidators decodes the return data of getActiveUnkickedValidatorStructsAndCounts.
func UnpackValidators(out []byte) (ValidatorSet, error) {
	vals, err := ABI.Methods[MethodGetValidators].Outputs.Unpack(out)
	if err != nil {
		return ValidatorSet{}, fmt.Errorf("nagachain: decode %s: %w: %v", MethodGetValidators, ErrMalformed, err)
	}
	var set ValidatorSet
	if err := copyValue(reflect.ValueOf(&set.Epoch).Elem(), reflect.ValueOf(vals[0])); err != nil {
		return ValidatorSet{}, fmt.Errorf("nagachain: decode %s: epoch: %w", MethodGetValidators, err)
	}
	set.MinNodeCount = vals[1].(*big.Int)
	if err := copyValue(reflect.ValueOf(&set.Validators).Elem(), reflect.ValueOf(vals[2])); err != nil {
		return ValidatorSet{}, fmt.Errorf("nagachain: decode %s: validators: %w", MethodGetValidators, err)
	}
	return set, nil
}

// UnpackNodesForRequest decodes the return data of getNodesForRequest.
func UnpackNodesForRequest(out []byte) (PriceSet, error) {
	vals, err := ABI.Methods[MethodGetNodesForRequest].Outputs.Unpack(out)
	if err != nil {
		return PriceSet{}, fmt.Errorf("nagachain: decode %s: %w: %v", MethodGetNodesForRequest, ErrMalformed, err)
	}
	set := PriceSet{EpochID: vals[0].(*big.Int), MinNodeCount: vals[1].(*big.Int)}
	if err := copyValue(reflect.ValueOf(&set.Nodes).Elem(), reflect.ValueOf(vals[2])); err != nil {
		return PriceSet{}, fmt.Errorf("nagachain: decode %s: nodes: %w", MethodGetNodesForRequest, err)
	}
	return set, nil
}

// Call is a decoded call to one of this package's methods (the fake chain's view of eth_call data).
type Call struct {
	// Method is MethodGetValidators, MethodGetNodesForRequest, MethodBalance or
	// MethodStableBalance.
	Method string
	// Realm is the realmId argument (Staking and PriceFeed methods only).
	Realm *big.Int
	// Products is the productIds argument (getNodesForRequest only).
	Products []*big.Int
	// User is the user argument (the Ledger balance methods only).
	User common.Address
}

// DecodeCall decodes calldata sent to Staking, PriceFeed or Ledger. It returns ErrUnknownSelector for a
// selector it does not know and an ErrMalformed error for arguments that do not decode, or that
// have trailing bytes a strict ABI decoder would not have produced.
func DecodeCall(data []byte) (Call, error) {
	if len(data) < 4 {
		return Call{}, fmt.Errorf("nagachain: calldata of %d bytes: %w: shorter than a selector", len(data), ErrMalformed)
	}
	m, err := ABI.MethodById(data[:4])
	if err != nil {
		return Call{}, fmt.Errorf("nagachain: selector 0x%x: %w", data[:4], ErrUnknownSelector)
	}
	args, err := m.Inputs.Unpack(data[4:])
	if err != nil {
		return Call{}, fmt.Errorf("nagachain: decode %s arguments: %w: %v", m.Name, ErrMalformed, err)
	}
	// Reject non-canonical encodings (extra bytes, odd offsets): re-encoding must give the input.
	again, err := m.Inputs.Pack(args...)
	if err != nil || !bytes.Equal(again, data[4:]) {
		return Call{}, fmt.Errorf("nagachain: decode %s arguments: %w: not canonically encoded", m.Name, ErrMalformed)
	}
	c := Call{Method: m.Name}
	switch m.Name {
	case MethodBalance, MethodStableBalance:
		c.User = args[0].(common.Address)
	case MethodGetNodesForRequest:
		c.Realm, c.Products = args[0].(*big.Int), args[1].([]*big.Int)
	default:
		c.Realm = args[0].(*big.Int)
	}
	return c, nil
}

// PackValidators encodes a ValidatorSet as the return data of getActiveUnkickedValidatorStructsAndCounts
// (what the fake chain answers). Nil integers are encoded as zero.
func PackValidators(set ValidatorSet) ([]byte, error) {
	epoch := set.Epoch
	zeroNilInts(reflect.ValueOf(&epoch).Elem())
	vs := make([]Validator, len(set.Validators))
	for i, v := range set.Validators {
		zeroNilInts(reflect.ValueOf(&v).Elem())
		vs[i] = v
	}
	out, err := ABI.Methods[MethodGetValidators].Outputs.Pack(epoch, orZero(set.MinNodeCount), vs)
	if err != nil {
		return nil, fmt.Errorf("nagachain: encode %s result: %w", MethodGetValidators, err)
	}
	return out, nil
}

// PackNodesForRequest encodes a PriceSet as the return data of getNodesForRequest. Nil integers
// are encoded as zero.
func PackNodesForRequest(set PriceSet) ([]byte, error) {
	nodes := make([]NodePrices, len(set.Nodes))
	for i, n := range set.Nodes {
		v := n.Validator
		zeroNilInts(reflect.ValueOf(&v).Elem())
		prices := make([]*big.Int, len(n.Prices))
		for j, p := range n.Prices {
			prices[j] = orZero(p)
		}
		nodes[i] = NodePrices{Validator: v, Prices: prices}
	}
	out, err := ABI.Methods[MethodGetNodesForRequest].Outputs.Pack(orZero(set.EpochID), orZero(set.MinNodeCount), nodes)
	if err != nil {
		return nil, fmt.Errorf("nagachain: encode %s result: %w", MethodGetNodesForRequest, err)
	}
	return out, nil
}

func orZero(x *big.Int) *big.Int {
	if x == nil {
		return new(big.Int)
	}
	return x
}

var bigIntPtr = reflect.TypeFor[*big.Int]()

// zeroNilInts sets every nil *big.Int field of the struct v to zero.
func zeroNilInts(v reflect.Value) {
	for i := range v.NumField() {
		if f := v.Field(i); f.Type() == bigIntPtr && f.IsNil() {
			f.Set(reflect.ValueOf(new(big.Int)))
		}
	}
}

// copyValue copies a value produced by accounts/abi (anonymous structs, slices of them) into
// this package's named types, field by field in ABI order. Both sides come from the same
// embedded ABI, so a mismatch is a programming error reported as ErrMalformed, never a panic.
func copyValue(dst, src reflect.Value) error {
	if src.Type().AssignableTo(dst.Type()) {
		dst.Set(src)
		return nil
	}
	switch dst.Kind() {
	case reflect.Struct:
		if src.Kind() != reflect.Struct || src.NumField() != dst.NumField() {
			return fmt.Errorf("%w: %s does not fit %s", ErrMalformed, src.Type(), dst.Type())
		}
		for i := range dst.NumField() {
			if err := copyValue(dst.Field(i), src.Field(i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if src.Kind() != reflect.Slice {
			return fmt.Errorf("%w: %s does not fit %s", ErrMalformed, src.Type(), dst.Type())
		}
		out := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			if err := copyValue(out.Index(i), src.Index(i)); err != nil {
				return err
			}
		}
		dst.Set(out)
		return nil
	}
	return fmt.Errorf("%w: %s does not fit %s", ErrMalformed, src.Type(), dst.Type())
}

// UnpackStateChanged decodes the data of a Staking.StateChanged log (newState is not indexed).
// A newState of StateActive means the validator set may have changed.
func UnpackStateChanged(data []byte) (uint8, error) {
	vals, err := ABI.Events[EventStateChanged].Inputs.Unpack(data)
	if err != nil {
		return 0, fmt.Errorf("nagachain: decode %s: %w: %v", EventStateChanged, ErrMalformed, err)
	}
	return vals[0].(uint8), nil
}
