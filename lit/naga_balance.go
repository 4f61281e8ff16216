package lit

import (
	"context"
	"fmt"
	"math/big"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"

	"github.com/litsigner/litsigner/lit/internal/nagachain"
)

// PaymentBalance reads account's deposit in the Naga network's Ledger
// contract, in wei, as the SDK's payment manager reads it:
// Ledger.balance (the whole deposit) and Ledger.stableBalance (the part
// not being withdrawn). A node serves a call only when the payer's stable
// balance covers the call's price plus (threshold-1)·minPrice, or a
// payment delegation pays (lit/PROTOCOL-naga.md, "Payment"). Either value
// may be negative: the contract's type is int256.
//
// It uses the client's chain connection and the network's Ledger address,
// and is bounded by the network's NodeTimeout. A v2 network, which has no
// payment, or a Naga network without a Ledger address is ErrInvalidParams;
// a chain that cannot be read or gives malformed data is ErrChain.
func (c *Client) PaymentBalance(ctx context.Context, account common.Address) (balance, stable *big.Int, err error) {
	p, ok := c.proto.(*protoNaga)
	if !ok {
		return nil, nil, fmt.Errorf("lit: payment balance: network %q speaks %s, which has no payment balance (Naga networks only): %w",
			c.net.Name, c.proto.name(), ErrInvalidParams)
	}
	if c.net.Ledger == (common.Address{}) {
		return nil, nil, fmt.Errorf("lit: payment balance: network %q has no Ledger contract address: %w", c.net.Name, ErrInvalidParams)
	}
	if err := c.life.Err(); err != nil {
		return nil, nil, fmt.Errorf("lit: payment balance: client closed: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.net.NodeTimeout)
	defer cancel()
	eth, err := p.ethClient(ctx, c)
	if err != nil {
		return nil, nil, fmt.Errorf("lit: payment balance: %w: %w", ErrChain, err)
	}
	read := func(method string, data []byte) (*big.Int, error) {
		ledger := c.net.Ledger
		out, err := eth.CallContract(ctx, ethereum.CallMsg{To: &ledger, Data: data}, nil)
		if err != nil {
			return nil, fmt.Errorf("lit: payment balance: %w: Ledger.%s: %w", ErrChain, method, err)
		}
		if len(out) == 0 {
			// What a chain answers for an address without code.
			return nil, fmt.Errorf("lit: payment balance: %w: Ledger.%s: no contract at %s", ErrChain, method, ledger.Hex())
		}
		v, err := nagachain.UnpackBalance(method, out)
		if err != nil {
			return nil, fmt.Errorf("lit: payment balance: %w: %w", ErrChain, err)
		}
		return v, nil
	}
	if balance, err = read(nagachain.MethodBalance, nagachain.PackBalance(account)); err != nil {
		return nil, nil, err
	}
	if stable, err = read(nagachain.MethodStableBalance, nagachain.PackStableBalance(account)); err != nil {
		return nil, nil, err
	}
	return balance, stable, nil
}
