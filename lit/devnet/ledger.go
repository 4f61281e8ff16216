package devnet

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// balance is account's Ledger deposit in wei (a copy).
func (c *chain) balance(account common.Address) *big.Int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.balances[account]; ok {
		return new(big.Int).Set(b)
	}
	return new(big.Int).Set(c.deflt)
}

// Balance is account's deposit in the Naga devnet's Ledger contract, in wei,
// as Ledger.balance and Ledger.stableBalance report it: Config.Balances'
// entry, else Config.Balance. It is nil on v2.
func (n *Network) Balance(account common.Address) *big.Int {
	if n.chain == nil {
		return nil
	}
	return n.chain.balance(account)
}

// SetBalance sets account's Ledger deposit in wei from now on (Naga only).
// It changes what the chain reports, not whether the nodes accept a
// request: that stays the RefusePayment fault's.
func (n *Network) SetBalance(account common.Address, wei *big.Int) error {
	if n.chain == nil {
		return fmt.Errorf("%w: balances exist on a Naga devnet only", ErrBadConfig)
	}
	if wei == nil || !fitsInt256(wei) {
		return fmt.Errorf("%w: balance %v wei does not fit the Ledger's int256", ErrBadConfig, wei)
	}
	n.chain.mu.Lock()
	defer n.chain.mu.Unlock()
	n.chain.balances[account] = new(big.Int).Set(wei)
	return nil
}
