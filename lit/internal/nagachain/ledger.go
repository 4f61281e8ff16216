package nagachain

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// Ledger contract reads: the payer's deposit, as the SDK's payment manager reads it
// (Ledger.balance and Ledger.stableBalance of @lit-protocol/contracts 0.9.1).
const (
	// MethodBalance is Ledger.balance(address user) view returns (int256): the user's whole
	// deposit in wei, including what is still locked by pending withdrawals.
	MethodBalance = "balance"
	// MethodStableBalance is Ledger.stableBalance(address user) view returns (int256): the
	// part not being withdrawn, which a node requires to cover price + (threshold-1)·minPrice.
	MethodStableBalance = "stableBalance"
)

// Selectors of the Ledger reads (a test pins them to Keccak-256 of the signatures).
var (
	SelectorBalance       = [4]byte(ABI.Methods[MethodBalance].ID)
	SelectorStableBalance = [4]byte(ABI.Methods[MethodStableBalance].ID)
)

// PackBalance returns the calldata of Ledger.balance(user).
func PackBalance(user common.Address) []byte { return packUser(MethodBalance, user) }

// PackStableBalance returns the calldata of Ledger.stableBalance(user).
func PackStableBalance(user common.Address) []byte { return packUser(MethodStableBalance, user) }

// The int256 range, which accounts/abi does not check when packing.
var (
	maxInt256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))
	minInt256 = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 255))
)

func packUser(method string, user common.Address) []byte {
	data, err := ABI.Pack(method, user)
	if err != nil { // cannot happen: the argument matches the embedded ABI
		panic(fmt.Sprintf("nagachain: pack %s: %v", method, err))
	}
	return data
}

// UnpackBalance decodes the return data of Ledger.balance or Ledger.stableBalance (method is
// MethodBalance or MethodStableBalance): a signed wei amount, which may be negative.
func UnpackBalance(method string, out []byte) (*big.Int, error) {
	m, ok := ABI.Methods[method]
	if !ok || (method != MethodBalance && method != MethodStableBalance) {
		return nil, fmt.Errorf("nagachain: decode %q: not a Ledger balance method", method)
	}
	vals, err := m.Outputs.Unpack(out)
	if err != nil {
		return nil, fmt.Errorf("nagachain: decode %s: %w: %v", method, ErrMalformed, err)
	}
	if len(out) != 32 {
		return nil, fmt.Errorf("nagachain: decode %s: %w: %d bytes, want 32", method, ErrMalformed, len(out))
	}
	return vals[0].(*big.Int), nil
}

// PackBalanceResult encodes a wei amount as the return data of Ledger.balance or
// Ledger.stableBalance (what the fake chain answers). Nil is zero; an amount outside int256
// is an error.
func PackBalanceResult(method string, wei *big.Int) ([]byte, error) {
	m, ok := ABI.Methods[method]
	if !ok || (method != MethodBalance && method != MethodStableBalance) {
		return nil, fmt.Errorf("nagachain: encode %q result: not a Ledger balance method", method)
	}
	wei = orZero(wei)
	if wei.Cmp(maxInt256) > 0 || wei.Cmp(minInt256) < 0 {
		return nil, fmt.Errorf("nagachain: encode %s result: %s wei is outside int256", method, wei)
	}
	out, err := m.Outputs.Pack(wei)
	if err != nil {
		return nil, fmt.Errorf("nagachain: encode %s result: %w", method, err)
	}
	return out, nil
}
