package devnet

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/lit/internal/nagachain"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// nagaNode is a node's Naga identity.
type nagaNode struct {
	// identity is the node's x25519 key pair: the E2EE key the handshake
	// announces as nodeIdentityKey.
	identity nagawire.KeyPair
	// box is identity prepared for x25519 (one product per request).
	box *nagawire.Identity
	// stakerAddress is the node's address in the Staking contract.
	stakerAddress common.Address
	// shareID and peerID are the share_id and peer_id of its signature
	// shares: its index from 1 (a quoted 64-digit hex string, as k256
	// serialises it) and its staker address in lower-case hex.
	shareID, peerID string
	// serverPublicKey is the handshake's (unused) serverPublicKey.
	serverPublicKey string
}

// nagaHandshakeKeys are the network-wide handshake fields: placeholders for
// the BLS network keys (executeJs never uses them) and two secp256k1 HD root
// keys.
type nagaHandshakeKeys struct {
	subnet, keySet string
	hdRoots        []string
}

// dealNaga creates each node's identity key and the network's handshake
// keys. Everything derives from the seed when there is one.
func (n *Network) dealNaga() error {
	ent := newEntropy(n.cfg.Seed, "naga")
	if _, err := io.ReadFull(ent, n.netKey[:]); err != nil {
		return fmt.Errorf("devnet: naga keys: %w", err)
	}
	for i, nd := range n.nodes {
		nn := &nagaNode{}
		kp, err := nagawire.GenerateKeyPair(ent)
		if err != nil {
			return fmt.Errorf("devnet: naga identity key %d: %w", i, err)
		}
		nn.identity = kp
		nn.box = nagawire.NewIdentity(kp)
		nn.stakerAddress = common.BytesToAddress(crypto.Keccak256(n.netKey[:], []byte("staker"), binary.BigEndian.AppendUint32(nil, uint32(i)))[12:])
		nn.shareID = strconv.Quote(fmt.Sprintf("%064x", i+1))
		nn.peerID = hex.EncodeToString(nn.stakerAddress[:])
		nn.serverPublicKey = hex.EncodeToString(n.derive("server", uint64(i)))
		nd.naga = nn
	}
	// BLS12-381 G1 keys are 48 bytes; the key set commits to the threshold
	// polynomial. Placeholders, as on v2.
	n.nagaKeys.subnet = hex.EncodeToString(append(n.derive("subnet", 0), n.derive("subnet", 1)[:16]...))
	var set []byte
	for i := range n.cfg.Threshold {
		set = append(set, n.derive("keyset", uint64(2*i))...)
		set = append(set, n.derive("keyset", uint64(2*i+1))[:16]...)
	}
	n.nagaKeys.keySet = hex.EncodeToString(set)
	for i := range 2 {
		k, err := randomScalar(newEntropy(n.cfg.Seed, fmt.Sprintf("hdroot%d", i)))
		if err != nil {
			return err
		}
		b := k.Bytes()
		priv, err := crypto.ToECDSA(b[:])
		if err != nil {
			return fmt.Errorf("devnet: hd root key: %w", err)
		}
		n.nagaKeys.hdRoots = append(n.nagaKeys.hdRoots, hex.EncodeToString(crypto.FromECDSAPub(&priv.PublicKey)))
	}
	return nil
}

// derive returns HMAC-SHA256(netKey, label ‖ i): stable per-network values.
func (n *Network) derive(label string, i uint64) []byte {
	mac := hmac.New(sha256.New, n.netKey[:])
	mac.Write([]byte(label))
	mac.Write(binary.BigEndian.AppendUint64(nil, i))
	return mac.Sum(nil)
}

// startChain indexes the nodes' socket addresses and starts the fake chain.
func (n *Network) startChain() error {
	bySocket := map[string]int{}
	for i, nd := range n.nodes {
		for _, u := range nd.urls {
			if sock, ok := strings.CutPrefix(u, "http://"); ok {
				bySocket[sock] = i
			}
		}
		bySocket[strings.TrimPrefix(n.servers[i].url, "http://")] = i
	}
	n.bySocket.Store(&bySocket)
	return n.chain.listen(n.cfg.Host, n.cfg.ChainPort)
}

// errNotNaga is returned by the Naga-only methods on a v2 network.
var errNotNaga = errors.New("devnet: not a Naga network")

// ChainURL is the Naga fake chain's JSON-RPC URL ("" on v2).
func (n *Network) ChainURL() string {
	if n.chain == nil {
		return ""
	}
	return n.chain.url
}

// contracts are the addresses the Naga fake chain serves: the SDK's
// naga-local Staking, PriceFeed and Ledger (balance reads only; the
// PaymentDelegation address has no code on the fake chain).
func (n *Network) contracts() nagachain.Contracts {
	return nagachain.Networks[nagachain.NagaLocal].Contracts
}

// Contracts are the contract addresses of a Naga devnet: the SDK's
// naga-local addresses. The fake chain serves Staking, PriceFeed and the
// Ledger's balance reads; PaymentDelegation has no code there.
type Contracts struct {
	Staking, PriceFeed, Ledger, PaymentDelegation common.Address
}

// Contracts returns the Naga contract addresses (the zero value on v2).
func (n *Network) Contracts() Contracts {
	if n.cfg.Protocol != ProtocolNaga {
		return Contracts{}
	}
	c := n.contracts()
	return Contracts{Staking: c.Staking, PriceFeed: c.PriceFeed, Ledger: c.Ledger, PaymentDelegation: c.PaymentDelegation}
}

// Chain describes the Naga fake chain (nil on v2): its RPC URL, chain id
// and the Staking, PriceFeed and Ledger addresses, as the announcement prints them.
func (n *Network) Chain() *ChainInfo {
	if n.chain == nil {
		return nil
	}
	c := n.contracts()
	return &ChainInfo{
		RPCURL:    n.chain.url,
		ChainID:   ChainID,
		Contracts: ChainContracts{Staking: c.Staking.Hex(), PriceFeed: c.PriceFeed.Hex(), Ledger: c.Ledger.Hex()},
	}
}

// Epoch is the Naga chain's current epoch number (0 on v2).
func (n *Network) Epoch() uint64 {
	if n.chain == nil {
		return 0
	}
	e, _ := n.chain.current()
	return e
}

// AdvanceEpoch starts the next Naga epoch: nodes answer the handshake with
// the new epoch and block hash, and the chain mines a block with the Staking
// StateChanged(Active) log the SDK listens for. It returns the new epoch.
func (n *Network) AdvanceEpoch() (uint64, error) {
	if n.chain == nil {
		return 0, errNotNaga
	}
	return n.chain.advanceEpoch(), nil
}

// Price is node i's current Naga price in wei (0 on v2 or for a bad index).
func (n *Network) Price(i int) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i < 0 || i >= len(n.prices) {
		return 0
	}
	return n.prices[i]
}

// Prices returns every node's current Naga price, by node index.
func (n *Network) Prices() []uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]uint64(nil), n.prices...)
}

// SetPrice changes node i's Naga price: the chain reports it from now on
// and the node refuses session signatures whose maxPrice is below it.
func (n *Network) SetPrice(i int, price uint64) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.chain == nil {
		return errNotNaga
	}
	if i < 0 || i >= len(n.prices) {
		return fmt.Errorf("devnet: set price: no node %d (%d nodes)", i, len(n.prices))
	}
	n.prices[i] = price
	return nil
}

// NodeIdentityKeys are the Naga nodes' x25519 public keys (hex, as the
// handshake's nodeIdentityKey), by node index; nil on v2.
func (n *Network) NodeIdentityKeys() []string {
	if n.cfg.Protocol != ProtocolNaga {
		return nil
	}
	out := make([]string, len(n.nodes))
	for i, nd := range n.nodes {
		out[i] = hex.EncodeToString(nd.naga.identity.Public[:])
	}
	return out
}

// blockhash is the handshake's latestBlockhash in epoch e: stable within an
// epoch, different across epochs.
func (n *Network) blockhash(e uint64) string {
	return "0x" + hex.EncodeToString(n.derive("blockhash", e))
}
