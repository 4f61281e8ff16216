// Package nagachain is the chain grammar of the Lit Naga networks: the ABI of the two contract
// reads the SDK makes to discover nodes and prices (Staking.getActiveUnkickedValidatorStructsAndCounts
// and PriceFeed.getNodesForRequest), the two it makes to read a payer's deposit (Ledger.balance and
// Ledger.stableBalance), the Staking.StateChanged event it listens for, their Go types,
// encoders for both sides (the client packs calls and unpacks results; the devnet's fake chain
// unpacks calls and packs results), and the table of built-in Naga networks.
//
// The ABI is embedded as JSON written from the SDK's published signatures
// (@lit-protocol/contracts 0.9.1, naga-dev; see lit/PROTOCOL-naga.md): a 9-field
// Epoch and an 18-field Validator. It is parsed with go-ethereum's accounts/abi.
package nagachain

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

//go:embed abi.json
var abiJSON []byte

// Names of the ABI entries, as in the SDK's signatures.
const (
	// MethodGetValidators is Staking.getActiveUnkickedValidatorStructsAndCounts(uint256 realmId).
	MethodGetValidators = "getActiveUnkickedValidatorStructsAndCounts"
	// MethodGetNodesForRequest is PriceFeed.getNodesForRequest(uint256 realmId, uint256[] productIds).
	MethodGetNodesForRequest = "getNodesForRequest"
	// EventStateChanged is Staking.StateChanged(uint8 newState).
	EventStateChanged = "StateChanged"
)

// DefaultRealmID is the realm every Naga SDK environment queries (DEFAULT_REALM_ID).
const DefaultRealmID = 1

// Product ids of PriceFeed.getNodesForRequest: one price column per product.
const (
	ProductDecryption     = 0 // DECRYPTION
	ProductSign           = 1 // SIGN
	ProductLitAction      = 2 // LIT_ACTION: the column the SDK uses to choose executeJs nodes
	ProductSignSessionKey = 3 // SIGN_SESSION_KEY
)

// AllProducts is the product list the SDK asks prices for, in its order.
var AllProducts = []int64{ProductDecryption, ProductSign, ProductLitAction, ProductSignSessionKey}

// StateActive is the Staking state (StateChanged newState) on which the SDK refreshes its
// connection info.
const StateActive = 0

// ABI is the parsed contract interface of the entries above and in ledger.go. It is never modified.
var ABI = mustParseABI()

// Selector bytes, derived from ABI (a test pins them to the notes).
var (
	SelectorGetValidators      = [4]byte(ABI.Methods[MethodGetValidators].ID)
	SelectorGetNodesForRequest = [4]byte(ABI.Methods[MethodGetNodesForRequest].ID)
)

// StateChangedTopic is topic 0 of the Staking.StateChanged event.
var StateChangedTopic common.Hash = ABI.Events[EventStateChanged].ID

func mustParseABI() abi.ABI {
	a, err := abi.JSON(bytes.NewReader(abiJSON))
	if err != nil {
		panic(fmt.Sprintf("nagachain: embedded abi.json: %v", err))
	}
	for _, m := range []string{MethodGetValidators, MethodGetNodesForRequest, MethodBalance, MethodStableBalance} {
		if _, ok := a.Methods[m]; !ok {
			panic("nagachain: embedded abi.json lacks " + m)
		}
	}
	if _, ok := a.Events[EventStateChanged]; !ok {
		panic("nagachain: embedded abi.json lacks " + EventStateChanged)
	}
	return a
}
