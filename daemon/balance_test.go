package daemon

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/lit/devnet"
)

// fakeChain is a balanceReader with a manual clock: it counts reads and
// answers what the test sets.
type fakeChain struct {
	mu              sync.Mutex
	reads           int
	balance, stable *big.Int
	err             error
	now             time.Time
}

func (f *fakeChain) read(ctx context.Context, _ common.Address) (*big.Int, *big.Int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return f.balance, f.stable, f.err
}

func (f *fakeChain) clock() time.Time { return f.now }

func TestBalanceCache(t *testing.T) {
	a, b := common.HexToAddress("0xaa"), common.HexToAddress("0xbb")
	chainDown := errors.New("chain down")
	f := &fakeChain{balance: big.NewInt(10), stable: big.NewInt(9), now: time.Unix(1000, 0)}
	c := newBalanceCache(f.read)
	c.now = f.clock
	steps := []struct {
		name      string
		advance   time.Duration
		account   common.Address
		set       func()
		wantReads int
		want      string // balance, or the error
	}{
		{"first read", 0, a, nil, 1, "10"},
		{"cached", balanceTTL - time.Second, a, func() { f.balance = big.NewInt(11) }, 1, "10"},
		{"expired", time.Second, a, nil, 2, "11"},
		{"another account", 0, b, nil, 3, "11"},
		{"error after expiry", balanceTTL, b, func() { f.err = chainDown }, 4, "chain down"},
		{"error is cached too", time.Second, b, func() { f.err = nil }, 4, "chain down"},
		{"recovers", balanceTTL, b, nil, 5, "11"},
	}
	for _, s := range steps {
		f.mu.Lock()
		f.now = f.now.Add(s.advance)
		if s.set != nil {
			s.set()
		}
		f.mu.Unlock()
		r := c.get(context.Background(), s.account)
		got := ""
		if r.err != nil {
			got = r.err.Error()
		} else {
			got = r.balance.String()
		}
		if got != s.want || f.reads != s.wantReads || r.account != s.account {
			t.Fatalf("%s: got %q after %d reads, want %q after %d", s.name, got, f.reads, s.want, s.wantReads)
		}
	}
	// A read the caller cancelled is not cached.
	f.now = f.now.Add(balanceTTL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := c.get(ctx, a); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled read: %v", r.err)
	}
	if r := c.get(context.Background(), a); r.err != nil || f.reads != 7 {
		t.Fatalf("after a cancelled read: %v, %d reads", r.err, f.reads)
	}
}

func TestFillPayment(t *testing.T) {
	f := &fakeChain{balance: big.NewInt(-1), stable: big.NewInt(0), now: time.Unix(1000, 0)}
	c := newBalanceCache(f.read)
	c.now = f.clock
	for _, tc := range []struct {
		name      string
		account   string
		hasLedger bool
		err       error
		check     func(p rpcapi.PaymentInfo) bool
	}{
		{"no session", "", true, nil, func(p rpcapi.PaymentInfo) bool {
			return p.Balance == nil && p.StableBalance == nil && p.Note == noteNoSession && p.CheckedAt == nil
		}},
		{"no Ledger", "0x00000000000000000000000000000000000000aa", false, nil, func(p rpcapi.PaymentInfo) bool {
			return p.Balance == nil && p.Note == noteNoLedger
		}},
		{"no funds", "0x00000000000000000000000000000000000000aa", true, nil, func(p rpcapi.PaymentInfo) bool {
			return *p.Balance == "-1" && *p.StableBalance == "0" && p.Note == noteNoFunds && p.Error == "" && p.CheckedAt.Equal(f.now)
		}},
		{"chain error", "0x00000000000000000000000000000000000000bb", true, errors.New("boom"), func(p rpcapi.PaymentInfo) bool {
			return p.Balance == nil && p.StableBalance == nil && p.Error == "boom" && p.Note == "" && p.CheckedAt != nil
		}},
	} {
		f.err = tc.err
		p := rpcapi.PaymentInfo{Account: tc.account, MaxPrice: "1"}
		fillPayment(context.Background(), &p, c, tc.hasLedger)
		if !tc.check(p) {
			t.Errorf("%s: %+v", tc.name, p)
		}
	}
}

// nagaPayer is a Naga devnet started by the test and a daemon (not --dev)
// on it whose wallet is an emulated Ledger: the status's payment block
// against a chain the test controls.
type nagaPayer struct {
	net     *devnet.Network
	td      *testDaemon
	account common.Address
}

func startNagaPayer(t *testing.T, balance *big.Int) *nagaPayer {
	t.Helper()
	cfg := nagaDevConfig(t)
	keys, err := emulator.NewKeyringFromMnemonic(emulator.SpeculosMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	account, err := keys.Address(cfg.Path())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	n, err := devnet.Start(ctx, devnet.Config{Protocol: devnet.ProtocolNaga, Nodes: 3,
		Balances: map[common.Address]*big.Int{account: balance}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	emu, err := emulator.NewLedger(emulator.SpeculosMnemonic, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	cfg.Dev = false
	cfg.Device = "emulator:ledger"
	cfg.RPCURL = n.ChainURL()
	cfg.StakingAddress, cfg.PriceFeedAddress = n.Contracts().Staking.Hex(), n.Contracts().PriceFeed.Hex()
	cfg.LedgerAddress = n.Contracts().Ledger.Hex()
	td := startDaemon(t, cfg, Options{Wallets: devWallets{emu: emu}})
	return &nagaPayer{net: n, td: td, account: account}
}

// TestNagaPaymentStatus: lit_networkStatus shows the session account's
// Ledger balance, read from the chain, once a session is approved.
func TestNagaPaymentStatus(t *testing.T) {
	p := startNagaPayer(t, big.NewInt(0))
	c := dial(t, p.td.sock)
	ns, raw := rawStatus(t, c)
	if ns.Payment == nil || ns.Payment.Account != "" || ns.Payment.Balance != nil || ns.Payment.Note != noteNoSession {
		t.Fatalf("before a session: %s", raw)
	}
	var sst rpcapi.SessionStatus
	if err := call(t, c, &sst, "lit_startSession"); err != nil || sst.Address != p.account.Hex() {
		t.Fatalf("session %+v, %v; want %s", sst, err, p.account.Hex())
	}
	ns, raw = rawStatus(t, c)
	pay := ns.Payment
	if pay.Account != p.account.Hex() || pay.Balance == nil || *pay.Balance != "0" || pay.StableBalance == nil ||
		*pay.StableBalance != "0" || pay.Note != noteNoFunds || pay.Error != "" || pay.CheckedAt == nil {
		t.Fatalf("after the session: %s", raw)
	}
	if !strings.Contains(raw, `"balance":"0","stableBalance":"0"`) {
		t.Fatalf("balances are not decimal strings: %s", raw)
	}
}

// TestNagaPaymentStatusChainError: a chain that stops answering shows as
// an error in the payment block; the status call itself succeeds.
func TestNagaPaymentStatusChainError(t *testing.T) {
	p := startNagaPayer(t, devnet.DefaultBalance)
	c := dial(t, p.td.sock)
	var sst rpcapi.SessionStatus
	if err := call(t, c, &sst, "lit_startSession"); err != nil || sst.State != "active" {
		t.Fatalf("session %+v, %v", sst, err)
	}
	if err := p.net.Close(); err != nil {
		t.Fatal(err)
	}
	ns, raw := rawStatus(t, c)
	pay := ns.Payment
	if pay == nil || pay.Account != p.account.Hex() || pay.Balance != nil || pay.StableBalance != nil ||
		!strings.Contains(pay.Error, "chain unreadable") || !strings.Contains(pay.Error, "Ledger.balance") {
		t.Fatalf("status with the chain down: %s", raw)
	}
	if ns.Protocol != "naga" || ns.Chain == nil {
		t.Fatalf("status with the chain down lost its other fields: %s", raw)
	}
}
