package daemon

import (
	"context"
	"errors"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/litsigner/litsigner/daemon/rpcapi"
)

const (
	// balanceTTL is how long lit_networkStatus reuses a read of the payer's
	// Ledger balance (or its failure), so that status calls do not hammer
	// the chain.
	balanceTTL = 10 * time.Second
	// balanceTimeout bounds one read: a slow chain delays a status call by
	// at most this.
	balanceTimeout = 5 * time.Second
)

// balanceReader reads an account's Naga Ledger deposit
// (lit.Client.PaymentBalance).
type balanceReader func(ctx context.Context, account common.Address) (balance, stable *big.Int, err error)

// balanceRead is one read of the Ledger balance, or its failure.
type balanceRead struct {
	account         common.Address
	at              time.Time
	balance, stable *big.Int
	err             error
}

// balanceCache keeps the last balance read for balanceTTL. One read runs at
// a time: concurrent status calls wait for it rather than read again.
type balanceCache struct {
	read balanceReader
	now  func() time.Time

	mu   sync.Mutex
	last *balanceRead
}

func newBalanceCache(read balanceReader) *balanceCache {
	return &balanceCache{read: read, now: time.Now}
}

// get returns account's balance, read again when the cached read is for
// another account or older than balanceTTL. A read the caller cancelled
// is not cached.
func (c *balanceCache) get(ctx context.Context, account common.Address) balanceRead {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.last; l != nil && l.account == account && c.now().Sub(l.at) < balanceTTL {
		return *l
	}
	rctx, cancel := context.WithTimeout(ctx, balanceTimeout)
	defer cancel()
	bal, stable, err := c.read(rctx, account)
	r := balanceRead{account: account, at: c.now(), balance: bal, stable: stable, err: err}
	if err != nil && errors.Is(err, ctx.Err()) {
		return r
	}
	c.last = &r
	return r
}

// Notes of lit_networkStatus's payment block.
const (
	noteNoSession = "no session yet: the balance of the session's account is shown once a session is approved (lit_startSession or a first call)"
	noteNoFunds   = "the stable balance does not cover a call: deposit into the network's Ledger contract (or get a payment delegation), else the nodes refuse calls with code 4103"
	noteNoLedger  = "the network has no Ledger contract address (set ledgerAddress) to read the balance from"
)

// fillPayment completes p with the balance of its account from cache.
func fillPayment(ctx context.Context, p *rpcapi.PaymentInfo, cache *balanceCache, hasLedger bool) {
	switch {
	case p.Account == "":
		p.Note = noteNoSession
		return
	case !hasLedger:
		p.Note = noteNoLedger
		return
	}
	r := cache.get(ctx, common.HexToAddress(p.Account))
	at := r.at.UTC()
	p.CheckedAt = &at
	if r.err != nil {
		p.Error = r.err.Error()
		return
	}
	bal, stable := r.balance.String(), r.stable.String()
	p.Balance, p.StableBalance = &bal, &stable
	if r.stable.Sign() <= 0 {
		p.Note = noteNoFunds
	}
}
