package lit_test

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet"
)

func TestPaymentBalance(t *testing.T) {
	payer := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	stranger := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	e := startNagaDevnet(t, devnet.Config{Nodes: 3, Balances: map[common.Address]*big.Int{payer: big.NewInt(-3)}}, nil)
	if got, want := e.client.Network().Ledger, e.net.Contracts().Ledger; got != want {
		t.Fatalf("client's Ledger %s, devnet's %s", got.Hex(), want.Hex())
	}
	ctx := context.Background()
	check := func(name string, who common.Address, want *big.Int) {
		t.Helper()
		bal, stable, err := e.client.PaymentBalance(ctx, who)
		if err != nil || bal.Cmp(want) != 0 || stable.Cmp(want) != 0 {
			t.Errorf("%s: balance %v, stable %v, %v; want %v", name, bal, stable, err, want)
		}
	}
	check("configured", payer, big.NewInt(-3))
	check("default", stranger, devnet.DefaultBalance)
	if err := e.net.SetBalance(stranger, big.NewInt(77)); err != nil {
		t.Fatal(err)
	}
	check("changed", stranger, big.NewInt(77))

	// The chain stops answering: ErrChain, not a hang.
	if err := e.net.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.client.PaymentBalance(ctx, payer); !errors.Is(err, lit.ErrChain) {
		t.Errorf("chain down: %v, want ErrChain", err)
	}
}

func TestPaymentBalanceErrors(t *testing.T) {
	e := startNagaDevnet(t, devnet.Config{Nodes: 3}, func(n *lit.Network) {
		n.Ledger = common.HexToAddress("0x000000000000000000000000000000000000dead") // no code there
	})
	_, _, err := e.client.PaymentBalance(context.Background(), common.Address{})
	if !errors.Is(err, lit.ErrChain) {
		t.Errorf("Ledger without code: %v, want ErrChain", err)
	}

	noLedger, err := lit.NagaNetwork("naga-local")
	if err != nil {
		t.Fatal(err)
	}
	noLedger.Ledger = common.Address{}
	v2 := lit.Network{Name: "localhost", NodeURLs: []string{"http://127.0.0.1:1"}}
	for name, n := range map[string]lit.Network{"v2": v2, "no Ledger": noLedger} {
		c, err := lit.NewClient(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.PaymentBalance(context.Background(), common.Address{}); !errors.Is(err, lit.ErrInvalidParams) {
			t.Errorf("%s: %v, want ErrInvalidParams", name, err)
		}
		c.Close()
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := e.client.PaymentBalance(ctx, common.Address{}); err == nil {
		t.Error("a cancelled context read the balance")
	}
}
