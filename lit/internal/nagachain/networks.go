package nagachain

import (
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// MinimumThreshold is the SDK's hard-coded minimum threshold (MINIMUM_THRESHOLD in every Naga env):
// a Naga network needs at least this many nodes.
const MinimumThreshold = 3

// Threshold is the number of nodes the SDK contacts (and needs) on a network of n connected
// nodes: max(3, floor(2n/3)).
func Threshold(n int) int {
	return max(MinimumThreshold, 2*n/3)
}

// Contracts holds the addresses of the Naga contracts litsigner uses.
type Contracts struct {
	Staking           common.Address
	PriceFeed         common.Address
	Ledger            common.Address
	PaymentDelegation common.Address
}

// NetworkInfo describes one built-in Naga network, as published in @lit-protocol/networks 8.4.1
// and @lit-protocol/contracts 0.9.1 (lit/PROTOCOL-naga.md).
type NetworkInfo struct {
	// Name is the network's name ("naga-dev", …).
	Name string
	// RPCURL is the chain's JSON-RPC endpoint.
	RPCURL string
	// ChainID is the chain's id (eth_chainId).
	ChainID uint64
	// Scheme is the node URL scheme, "http" or "https".
	Scheme string
	// Contracts are the contract addresses.
	Contracts Contracts
	// RequiresAttestation tells whether the SDK checks SEV-SNP node attestation on this network.
	RequiresAttestation bool
	// RealmID is the staking realm queried (DefaultRealmID on every network).
	RealmID int64
}

// Network names.
const (
	NagaDev     = "naga-dev"
	NagaTest    = "naga-test"
	NagaStaging = "naga-staging"
	NagaMainnet = "naga"
	NagaLocal   = "naga-local"
)

const (
	yellowstoneRPC = "https://yellowstone-rpc.litprotocol.com/"
	yellowstoneID  = 175188
	litChainRPC    = "https://lit-chain-rpc.litprotocol.com/"
	litChainID     = 175200
)

// Networks is the built-in network table. Treat it as read-only; Lookup returns a copy.
var Networks = map[string]NetworkInfo{
	NagaDev: {
		Name: NagaDev, RPCURL: yellowstoneRPC, ChainID: yellowstoneID, Scheme: "https",
		Contracts: Contracts{
			Staking:           common.HexToAddress("0x544ac098670a266d3598B543aefBEbAb0A2C86C6"),
			PriceFeed:         common.HexToAddress("0xa997f8DE767d59ecb47A76B421E0C5a1764dD945"),
			Ledger:            common.HexToAddress("0x81061b50a66EBB3E7F9CEbeF2b1C1A961aE858F4"),
			PaymentDelegation: common.HexToAddress("0x2F202f846CBB27Aa5EbE6b9cfad50D65c49c01FF"),
		},
		RequiresAttestation: false, RealmID: DefaultRealmID,
	},
	NagaTest: {
		Name: NagaTest, RPCURL: yellowstoneRPC, ChainID: yellowstoneID, Scheme: "https",
		Contracts: Contracts{
			Staking:           common.HexToAddress("0x149a054CE79A379Ae5E97f5B984B993233b28061"),
			PriceFeed:         common.HexToAddress("0x3C18D220947e38EE2BD702ddf353Ab8940a7c72A"),
			Ledger:            common.HexToAddress("0xBFcA364C37d82bF8D05F931084448798e2b6638b"),
			PaymentDelegation: common.HexToAddress("0xeb5C9B118E118C034Ff59ac8B1F0c3c36f22906b"),
		},
		RequiresAttestation: true, RealmID: DefaultRealmID,
	},
	NagaStaging: {
		Name: NagaStaging, RPCURL: yellowstoneRPC, ChainID: yellowstoneID, Scheme: "https",
		Contracts: Contracts{
			Staking:           common.HexToAddress("0x9b8Ed3FD964Bc38dDc32CF637439e230CD50e3Dd"),
			PriceFeed:         common.HexToAddress("0x651d3282E1F083036Bb136dBbe7df17aCC39A330"),
			Ledger:            common.HexToAddress("0x23Be686cAFCe69C5Fb075E2be7a4505598E338E8"),
			PaymentDelegation: common.HexToAddress("0x13fC0864A37B38D3C2A7d5E9C08D5124B9Cec4bF"),
		},
		RequiresAttestation: true, RealmID: DefaultRealmID,
	},
	NagaMainnet: {
		Name: NagaMainnet, RPCURL: litChainRPC, ChainID: litChainID, Scheme: "https",
		Contracts: Contracts{
			Staking:           common.HexToAddress("0x8a861B3640c1ff058CCB109ba11CA3224d228159"),
			PriceFeed:         common.HexToAddress("0x88F5535Fa6dA5C225a3C06489fE4e3405b87608C"),
			Ledger:            common.HexToAddress("0x9BD023448d2D3b2D73fe61E4d7859007F6dA372c"),
			PaymentDelegation: common.HexToAddress("0x5EF658cB6ab3C3BfB75C8293B9a6C8ccb0b96C3c"),
		},
		RequiresAttestation: true, RealmID: DefaultRealmID,
	},
	NagaLocal: {
		Name: NagaLocal, RPCURL: "http://127.0.0.1:8545", ChainID: 31337, Scheme: "http",
		Contracts: Contracts{
			Staking:           common.HexToAddress("0xa82fF9aFd8f496c3d6ac40E2a0F282E47488CFc9"),
			PriceFeed:         common.HexToAddress("0xAA292E8611aDF267e563f334Ee42320aC96D0463"),
			Ledger:            common.HexToAddress("0x7A9Ec1d04904907De0ED7b6839CcdD59c3716AC9"),
			PaymentDelegation: common.HexToAddress("0xfbC22278A96299D91d41C453234d97b4F5Eb9B2d"),
		},
		RequiresAttestation: false, RealmID: DefaultRealmID,
	},
}

// Lookup returns the built-in network called name.
func Lookup(name string) (NetworkInfo, error) {
	n, ok := Networks[name]
	if !ok {
		return NetworkInfo{}, fmt.Errorf("nagachain: unknown Naga network %q (known: %v)", name, NetworkNames())
	}
	return n, nil
}

// NetworkNames lists the built-in network names, sorted.
func NetworkNames() []string {
	names := make([]string, 0, len(Networks))
	for n := range Networks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
