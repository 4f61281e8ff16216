package daemon

import (
	"errors"
	"io"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/attest"
)

func TestNagaConfigErrorsNameTheKey(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	tests := []struct {
		file string
		args []string
		key  string
		want string // in the message
	}{
		{`{"network": "naga-mainnet"}`, nil, "network", "naga-dev"},
		{`{"network": "naga-dev", "rpcUrl": "yellowstone"}`, nil, "rpcUrl", "not a URL"},
		{`{"network": "naga-dev", "rpcUrl": "ftp://host"}`, nil, "rpcUrl", "not a URL"},
		{`{"network": "naga-dev", "rpcUrl": 8545}`, nil, "rpcUrl", "string"},
		{`{"network": "naga-dev", "stakingAddress": "0x1234"}`, nil, "stakingAddress", "hex address"},
		{`{"network": "naga-dev", "stakingAddress": "de1bB5B6b36A4AE6A8b8C3cA4B3F3C3d7C5D5d3ee"}`, nil, "stakingAddress", "hex address"},
		{`{"network": "naga-dev", "priceFeedAddress": "0xZZ1bB5B6b36A4AE6A8b8C3cA4B3F3C3d7C5D5d3e"}`, nil, "priceFeedAddress", "hex address"},
		{`{"network": "naga-dev", "ledgerAddress": "0x12"}`, nil, "ledgerAddress", "hex address"},
		{`{"network": "localhost", "ledgerAddress": "0x3333333333333333333333333333333333333333"}`, nil, "ledgerAddress", "Naga networks only"},
		{`{"network": "naga-dev", "maxPrice": "lots"}`, nil, "maxPrice", "not a wei amount"},
		{`{"network": "naga-dev", "maxPrice": "0"}`, nil, "maxPrice", "positive"},
		{`{"network": "naga-dev", "maxPrice": "-5"}`, nil, "maxPrice", "not a wei amount"},
		{`{"network": "naga-dev", "maxPrice": "0x"}`, nil, "maxPrice", "not a wei amount"},
		{`{"network": "naga-dev", "maxPrice": "0x1` + strings.Repeat("0", 64) + `"}`, nil, "maxPrice", "2^256-1"},
		{`{"network": "naga-dev", "maxPrice": 1000}`, nil, "maxPrice", "string"},
		{`{"network": "naga-dev", "nodeUrls": ["http://127.0.0.1:7470"]}`, nil, "nodeUrls", "from the chain"},
		{`{"network": "naga-dev", "threshold": 3}`, nil, "threshold", "from the chain"},
		{`{"network": "localhost", "rpcUrl": "http://127.0.0.1:8545"}`, nil, "rpcUrl", "Naga networks only"},
		{`{}`, []string{"--max-price", "1000"}, "maxPrice", "Naga networks only"},
		{`{}`, []string{"--network", "naga-dev", "--max-price", "1e9"}, "maxPrice", "not a wei amount"},
		{`{}`, []string{"--network", "naga-dev", "--rpc-url", "http://"}, "rpcUrl", "not a URL"},
		{`{}`, []string{"--network", "naga-dev", "--staking-address", "0xabc"}, "stakingAddress", "hex address"},
		{`{}`, []string{"--network", "naga-dev", "--price-feed-address", "nope"}, "priceFeedAddress", "hex address"},
		{`{}`, []string{"--dev", "--network", "naga-dev"}, "network", "--dev runs a local devnet"},
		{`{}`, []string{"--dev", "--network", "naga-local", "--rpc-url", "http://127.0.0.1:1"}, "rpcUrl", "own chain"},
		{`{}`, []string{"--network", "naga-dev", "--ledger-address", "nope"}, "ledgerAddress", "hex address"},
		{`{}`, []string{"--dev", "--network", "naga-local", "--ledger-address", "0x3333333333333333333333333333333333333333"}, "ledgerAddress", "own chain"},
		{`{"network": "custom", "nodeUrls": ["127.0.0.1:7470"]}`, nil, "nodeUrls", "not a URL"},
	}
	for _, tt := range tests {
		args := append([]string{"--config", writeConfig(t, tt.file)}, tt.args...)
		_, _, err := ParseArgs(args, io.Discard)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != tt.key || !strings.Contains(err.Error(), `"`+tt.key+`"`) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: got %v, want an error naming %q and saying %q", tt.file, tt.args, err, tt.key, tt.want)
		}
	}
}

func TestAttestationConfig(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	auth, err := attest.NewTestAuthority()
	if err != nil {
		t.Fatal(err)
	}
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := auth.WriteRoots(roots); err != nil {
		t.Fatal(err)
	}
	// The attested networks start, with attestation on and AMD's roots.
	for _, name := range []string{"naga-test", "naga-staging", "naga"} {
		cfg, _, err := ParseArgs([]string{"--network", name}, io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n, err := cfg.LitNetwork(nil)
		if err != nil || !n.RequiresAttestation || n.AttestationRoots != "" {
			t.Fatalf("%s: %+v %v", name, n, err)
		}
	}
	cfg, _, err := ParseArgs([]string{"--network", "naga-local", "--require-attestation", "--attestation-roots", roots}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := cfg.LitNetwork(nil); err != nil || !n.RequiresAttestation || n.AttestationRoots != roots {
		t.Fatalf("naga-local: %+v %v", n, err)
	}
	if n, _ := (&Config{Network: "naga-local"}).LitNetwork(nil); n.RequiresAttestation {
		t.Fatal("naga-local requires attestation by default")
	}
	tests := []struct {
		args     []string
		key, why string
	}{
		{[]string{"--network", "naga", "--attestation-roots", roots}, "attestationRoots", "accepted with network naga-local only"},
		{[]string{"--network", "naga-dev", "--require-attestation", "--attestation-roots", roots}, "attestationRoots", "naga-local only"},
		{[]string{"--network", "localhost", "--attestation-roots", roots}, "attestationRoots", "naga-local only"},
		{[]string{"--network", "naga-local", "--attestation-roots", roots}, "attestationRoots", "only with requireAttestation"},
		{[]string{"--network", "naga-local", "--require-attestation", "--attestation-roots", roots + ".missing"}, "attestationRoots", "no such file"},
		{[]string{"--network", "custom", "--node-urls", "http://127.0.0.1:1", "--require-attestation"}, "requireAttestation", "Naga networks only"},
	}
	for _, tt := range tests {
		_, _, err := ParseArgs(tt.args, io.Discard)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != tt.key || !strings.Contains(err.Error(), `"`+tt.key+`"`) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("%v: got %v, want an error naming %q and saying %q", tt.args, err, tt.key, tt.why)
		}
	}
}

func TestNagaNetworkFromConfig(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	staking := "0x1111111111111111111111111111111111111111"
	feed := "0x2222222222222222222222222222222222222222"
	ledger := "0x3333333333333333333333333333333333333333"
	tests := []struct {
		args     []string
		rpc      string
		staking  string
		maxPrice *big.Int // nil: lit's default
		sockID   uint64
	}{
		{[]string{"--network", "naga-local"}, "http://127.0.0.1:8545", "", nil, 31337},
		{[]string{"--network", "naga-dev"}, "", "", nil, 175188},
		{[]string{"--network", "naga-dev", "--rpc-url", "https://rpc.example:443", "--staking-address", staking,
			"--price-feed-address", feed, "--ledger-address", ledger, "--max-price", "0x3b9aca00"}, "https://rpc.example:443", staking, big.NewInt(1_000_000_000), 175188},
		{[]string{"--network", "naga-local", "--max-price", "12345678901234567890123"}, "http://127.0.0.1:8545", "", mustWei(t, "12345678901234567890123"), 31337},
	}
	for _, tt := range tests {
		cfg, _, err := ParseArgs(tt.args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		n, err := cfg.LitNetwork(nil)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		builtin, _ := lit.NagaNetwork(cfg.Network)
		if n.Protocol != lit.ProtocolNaga || (tt.rpc != "" && n.ChainRPCURL != tt.rpc) || (tt.rpc == "" && n.ChainRPCURL != builtin.ChainRPCURL) {
			t.Errorf("%v: network %+v", tt.args, n)
		}
		if tt.staking != "" && (n.Staking != common.HexToAddress(tt.staking) || n.PriceFeed != common.HexToAddress(feed) || n.Ledger != common.HexToAddress(ledger)) {
			t.Errorf("%v: contracts %s %s %s", tt.args, n.Staking, n.PriceFeed, n.Ledger)
		}
		if tt.staking == "" && (n.Staking != builtin.Staking || n.PriceFeed != builtin.PriceFeed || n.Ledger != builtin.Ledger || n.Ledger == (common.Address{})) {
			t.Errorf("%v: contracts %s %s %s, want the built-in ones", tt.args, n.Staking, n.PriceFeed, n.Ledger)
		}
		if (tt.maxPrice == nil) != (n.MaxPrice == nil) || (tt.maxPrice != nil && tt.maxPrice.Cmp(n.MaxPrice) != 0) {
			t.Errorf("%v: maxPrice %v, want %v", tt.args, n.MaxPrice, tt.maxPrice)
		}
		if got := cfg.SocketChainID(); got != tt.sockID {
			t.Errorf("%v: socket chain id %d, want %d", tt.args, got, tt.sockID)
		}
		if cfg.ChainID != 1 {
			t.Errorf("%v: SIWE chain id %d, want 1", tt.args, cfg.ChainID)
		}
		if _, err := lit.NewClient(n); err != nil {
			t.Errorf("%v: lit refuses the network: %v", tt.args, err)
		}
	}
	// v2 keeps reporting the configured chain id on the socket.
	cfg, _, err := ParseArgs([]string{"--chain-id", "5"}, io.Discard)
	if err != nil || cfg.SocketChainID() != 5 {
		t.Errorf("v2 socket chain id %d (%v), want the chainId key", cfg.SocketChainID(), err)
	}
}

func TestParseWei(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = error
	}{
		{"1", "1"}, {"1000000000", "1000000000"}, {"0x3e8", "1000"}, {"0X3E8", "1000"},
		{"0", ""}, {"", ""}, {"0x", ""}, {"-1", ""}, {"+1", ""}, {"0x-1", ""}, {"1.5", ""}, {"1e9", ""}, {" 1", ""},
		{"0x" + strings.Repeat("f", 64), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)).String()},
		{"0x1" + strings.Repeat("0", 64), ""},
	}
	for _, tt := range tests {
		v, err := parseWei(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseWei(%q) = %v, want an error", tt.in, v)
			}
			continue
		}
		if err != nil || v.String() != tt.want {
			t.Errorf("parseWei(%q) = %v, %v, want %s", tt.in, v, err, tt.want)
		}
	}
}

func mustWei(t *testing.T, s string) *big.Int {
	v, err := parseWei(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMaxCodeSize(t *testing.T) {
	tests := []struct {
		network string
		dev     bool
		want    int
	}{
		{NetworkLocalhost, false, 256 << 10},
		{NetworkNagaLocal, false, 256 << 10},
		{NetworkCustom, true, 256 << 10},
		{NetworkCustom, false, 1 << 20},
		{"naga-test", false, 1 << 20},
		{"naga", false, 1 << 20},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		cfg.Network, cfg.Dev = tt.network, tt.dev
		if got := maxCodeSize(&cfg); got != tt.want {
			t.Errorf("%s, dev %v: %d, want %d", tt.network, tt.dev, got, tt.want)
		}
	}
}
