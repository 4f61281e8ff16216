package devnet

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/litsigner/litsigner/lit/internal/nagachain"
)

// The fake chain answers Ledger.balance and Ledger.stableBalance at the
// Ledger address: per-account balances, the default for everyone else, and
// run-time changes.
func TestNagaChainLedger(t *testing.T) {
	rich := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	broke := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	stranger := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	n := startNaga(t, Config{Nodes: 3, Balance: big.NewInt(5000),
		Balances: map[common.Address]*big.Int{rich: mustBig("1000000000000000000000"), broke: big.NewInt(-7)}})
	c := n.Contracts()
	if ch := n.Chain(); ch.Contracts.Ledger != c.Ledger.Hex() || c.Ledger != nagachain.Networks[nagachain.NagaLocal].Contracts.Ledger {
		t.Fatalf("Ledger address: announced %s, contracts %s", ch.Contracts.Ledger, c.Ledger.Hex())
	}
	read := func(method string, to, user common.Address) (*big.Int, *rpcErr) {
		t.Helper()
		data := nagachain.PackBalance(user)
		if method == nagachain.MethodStableBalance {
			data = nagachain.PackStableBalance(user)
		}
		res, rerr := rpcCall(t, n.ChainURL(), "eth_call", map[string]any{"to": to.Hex(), "data": hexutil.Encode(data)}, "latest")
		if rerr != nil {
			return nil, rerr
		}
		var s string
		if err := json.Unmarshal(res, &s); err != nil {
			t.Fatal(err)
		}
		b, err := nagachain.UnpackBalance(method, hexutil.MustDecode(s))
		if err != nil {
			t.Fatal(err)
		}
		return b, nil
	}
	for _, tc := range []struct {
		name string
		user common.Address
		want string
	}{
		{"configured", rich, "1000000000000000000000"},
		{"negative", broke, "-7"},
		{"unknown account gets the default", stranger, "5000"},
	} {
		for _, m := range []string{nagachain.MethodBalance, nagachain.MethodStableBalance} {
			got, rerr := read(m, c.Ledger, tc.user)
			if rerr != nil || got.String() != tc.want {
				t.Errorf("%s %s: %v %v, want %s", tc.name, m, got, rerr, tc.want)
			}
		}
		if got := n.Balance(tc.user); got.String() != tc.want {
			t.Errorf("%s: Network.Balance %v, want %s", tc.name, got, tc.want)
		}
	}
	if err := n.SetBalance(stranger, big.NewInt(42)); err != nil {
		t.Fatal(err)
	}
	if got, rerr := read(nagachain.MethodStableBalance, c.Ledger, stranger); rerr != nil || got.Int64() != 42 {
		t.Errorf("after SetBalance: %v %v", got, rerr)
	}
	if err := n.SetBalance(stranger, new(big.Int).Lsh(big.NewInt(1), 256)); !errors.Is(err, ErrBadConfig) {
		t.Errorf("SetBalance(2^256): %v", err)
	}
	// The balance functions live on the Ledger only, and the Ledger has no others.
	for name, tc := range map[string]struct {
		to   common.Address
		data []byte
	}{
		"balance on Staking":         {c.Staking, nagachain.PackBalance(rich)},
		"stableBalance on PriceFeed": {c.PriceFeed, nagachain.PackStableBalance(rich)},
		"validators on Ledger":       {c.Ledger, nagachain.PackGetValidators(1)},
		"truncated":                  {c.Ledger, nagachain.PackBalance(rich)[:20]},
	} {
		res, rerr := rpcCall(t, n.ChainURL(), "eth_call", map[string]any{"to": tc.to.Hex(), "data": hexutil.Encode(tc.data)}, "latest")
		if rerr == nil || rerr.Code != 3 || !strings.HasPrefix(rerr.Message, "execution reverted") {
			t.Errorf("%s: %s %+v", name, res, rerr)
		}
	}
}

func TestDefaultBalance(t *testing.T) {
	cfg, err := Config{Protocol: ProtocolNaga, Nodes: 3}.withDefaults()
	if err != nil || cfg.Balance.Cmp(DefaultBalance) != 0 || cfg.Balance == DefaultBalance {
		t.Fatalf("default balance %v (shared %v), %v", cfg.Balance, cfg.Balance == DefaultBalance, err)
	}
	v2 := &Network{}
	if v2.Balance(common.Address{}) != nil || v2.SetBalance(common.Address{}, big.NewInt(1)) == nil {
		t.Error("a v2 network has balances")
	}
}
