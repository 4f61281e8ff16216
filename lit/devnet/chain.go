package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/litsigner/litsigner/lit/internal/nagachain"
)

// Chain facts of the Naga devnet: those of the SDK's naga-local network
// (Anvil, chain id 31337, the bundled naga-develop contract addresses).
const (
	// ChainID is the fake chain's eth_chainId.
	ChainID = 31337
	// DefaultChainPort is the port of the SDK's naga-local RPC URL.
	DefaultChainPort = 8545
	// epochLength is the Epoch.epochLength the chain reports, in seconds.
	epochLength = 300
	// maxLogRange bounds the block range of one eth_getLogs query.
	maxLogRange = 10000
)

// chain is the Naga devnet's fake Ethereum JSON-RPC endpoint: just enough of
// a chain for the SDK's discovery (eth_call to Staking and PriceFeed), a
// payer's deposit (eth_call to Ledger) and its event polling (eth_chainId, net_version, eth_blockNumber, eth_getLogs).
type chain struct {
	net *Network
	rpc *rpc.Server
	srv *http.Server
	url string

	mu     sync.Mutex
	block  uint64      // current block number
	logs   []types.Log // emitted logs, in block order
	epoch  uint64      // current epoch number
	epochT time.Time   // start of the current epoch
	// balances are the Ledger deposits by account; others have deflt.
	balances map[common.Address]*big.Int
	deflt    *big.Int
}

// newChain creates the chain (not yet listening).
func newChain(n *Network) (*chain, error) {
	c := &chain{net: n, block: 1, epoch: n.cfg.Epoch, epochT: n.cfg.Now(),
		balances: n.cfg.Balances, deflt: n.cfg.Balance}
	c.rpc = rpc.NewServer()
	if err := c.rpc.RegisterName("eth", &ethAPI{c: c}); err != nil {
		return nil, fmt.Errorf("devnet: chain: %w", err)
	}
	if err := c.rpc.RegisterName("net", &netAPI{}); err != nil {
		return nil, fmt.Errorf("devnet: chain: %w", err)
	}
	return c, nil
}

// listen starts serving on host:port (port 0: a free port).
func (c *chain) listen(host string, port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("devnet: chain: listen: %w", err)
	}
	c.url = "http://" + ln.Addr().String()
	c.srv = &http.Server{
		Handler:           c.rpc,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	c.net.wg.Go(func() { _ = c.srv.Serve(ln) })
	return nil
}

// shutdown stops the chain: in-flight calls get until ctx is done.
func (c *chain) shutdown(ctx context.Context) {
	if c.srv == nil {
		return
	}
	_ = c.srv.Shutdown(ctx)
	_ = c.srv.Close()
	c.rpc.Stop()
}

// current returns the epoch number and its start.
func (c *chain) current() (uint64, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch, c.epochT
}

// advanceEpoch starts the next epoch: it mines a block holding the Staking
// StateChanged(Active) log the SDK listens for, and returns the new epoch.
func (c *chain) advanceEpoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.epochT = c.net.cfg.Now()
	c.block++
	data := make([]byte, 32) // newState = 0 (Active)
	c.logs = append(c.logs, types.Log{
		Address:     c.net.contracts().Staking,
		Topics:      []common.Hash{nagachain.StateChangedTopic},
		Data:        data,
		BlockNumber: c.block,
		BlockHash:   blockHash(c.block),
		TxHash:      crypto.Keccak256Hash([]byte("litsigner devnet epoch"), big.NewInt(int64(c.epoch)).Bytes()),
		Index:       0,
	})
	return c.epoch
}

func blockHash(n uint64) common.Hash {
	return crypto.Keccak256Hash([]byte("litsigner devnet block"), new(big.Int).SetUint64(n).Bytes())
}

// validators is the Staking view of the nodes: every node, in index order.
func (c *chain) validators() []nagachain.Validator {
	out := make([]nagachain.Validator, len(c.net.nodes))
	for i, s := range c.net.servers {
		ip, _ := nagachain.IPv4(c.net.hostAddr)
		out[i] = nagachain.Validator{
			IP:              ip,
			Port:            uint32(s.portNow()),
			NodeAddress:     c.net.nodes[i].naga.stakerAddress,
			OperatorAddress: c.net.nodes[i].naga.stakerAddress,
			LastRealmID:     big.NewInt(nagachain.DefaultRealmID),
		}
	}
	return out
}

// call answers eth_call data sent to one of the contracts.
func (c *chain) call(to common.Address, data []byte) ([]byte, error) {
	contracts := c.net.contracts()
	if to != contracts.Staking && to != contracts.PriceFeed && to != contracts.Ledger {
		// No code at this address: a real node returns empty data.
		return []byte{}, nil
	}
	call, err := nagachain.DecodeCall(data)
	if err != nil {
		return nil, revert(err.Error())
	}
	if call.Method == nagachain.MethodBalance || call.Method == nagachain.MethodStableBalance {
		if to != contracts.Ledger {
			return nil, revert(fmt.Sprintf("function %s is not on the contract at %s", call.Method, to.Hex()))
		}
		return nagachain.PackBalanceResult(call.Method, c.balance(call.User))
	}
	if to == contracts.Ledger {
		return nil, revert(fmt.Sprintf("function %s is not on the contract at %s", call.Method, to.Hex()))
	}
	if call.Realm.Cmp(big.NewInt(nagachain.DefaultRealmID)) != 0 {
		return nil, revert(fmt.Sprintf("realm %s does not exist (this chain has realm %d)", call.Realm, nagachain.DefaultRealmID))
	}
	epoch, start := c.current()
	switch {
	case call.Method == nagachain.MethodGetValidators && to == contracts.Staking:
		return nagachain.PackValidators(nagachain.ValidatorSet{
			Epoch: nagachain.Epoch{
				EpochLength: big.NewInt(epochLength),
				Number:      new(big.Int).SetUint64(epoch),
				EndTime:     big.NewInt(start.Unix() + epochLength),
				StartTime:   big.NewInt(start.Unix()),
				Timeout:     big.NewInt(60),
			},
			MinNodeCount: big.NewInt(int64(c.net.cfg.Threshold)),
			Validators:   c.validators(),
		})
	case call.Method == nagachain.MethodGetNodesForRequest && to == contracts.PriceFeed:
		vals := c.validators()
		nodes := make([]nagachain.NodePrices, len(vals))
		for i, v := range vals {
			price := new(big.Int).SetUint64(c.net.Price(i))
			prices := make([]*big.Int, len(call.Products))
			for j, p := range call.Products {
				if !p.IsInt64() || p.Int64() < nagachain.ProductDecryption || p.Int64() > nagachain.ProductSignSessionKey {
					return nil, revert(fmt.Sprintf("unknown product id %s", p))
				}
				prices[j] = price
			}
			nodes[i] = nagachain.NodePrices{Validator: v, Prices: prices}
		}
		return nagachain.PackNodesForRequest(nagachain.PriceSet{
			EpochID:      new(big.Int).SetUint64(epoch),
			MinNodeCount: big.NewInt(int64(c.net.cfg.Threshold)),
			Nodes:        nodes,
		})
	}
	return nil, revert(fmt.Sprintf("function %s is not on the contract at %s", call.Method, to.Hex()))
}

// revertError is a JSON-RPC error shaped like a node's reply to a reverted
// eth_call: code 3, "execution reverted: <reason>", and the ABI-encoded
// Error(string) as data.
type revertError struct {
	reason string
	data   string
}

func revert(reason string) error {
	errType, _ := abi.NewType("string", "", nil)
	packed, _ := abi.Arguments{{Type: errType}}.Pack(reason)
	return &revertError{reason: reason, data: hexutil.Encode(append([]byte{0x08, 0xc3, 0x79, 0xa0}, packed...))}
}

func (e *revertError) Error() string          { return "execution reverted: " + e.reason }
func (e *revertError) ErrorCode() int         { return 3 }
func (e *revertError) ErrorData() interface{} { return e.data }

// invalidParams is a JSON-RPC -32602 error.
type invalidParams struct{ msg string }

func (e *invalidParams) Error() string  { return e.msg }
func (e *invalidParams) ErrorCode() int { return -32602 }

// ethAPI is the eth_ namespace of the fake chain.
type ethAPI struct{ c *chain }

// ChainId is eth_chainId.
func (a *ethAPI) ChainId() hexutil.Uint64 { return ChainID } //nolint:revive // JSON-RPC name

// BlockNumber is eth_blockNumber.
func (a *ethAPI) BlockNumber() hexutil.Uint64 {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	return hexutil.Uint64(a.c.block)
}

// callArgs are the fields of eth_call's transaction object the chain reads;
// the others (from, gas, value, …) are accepted and ignored.
type callArgs struct {
	To    *common.Address `json:"to"`
	Data  *hexutil.Bytes  `json:"data"`
	Input *hexutil.Bytes  `json:"input"`
}

// Call is eth_call. The block argument ("latest", a number or a hash) is
// accepted and ignored: the chain has one state.
func (a *ethAPI) Call(args callArgs, _ *json.RawMessage, _ *json.RawMessage) (hexutil.Bytes, error) {
	if args.To == nil {
		return nil, &invalidParams{"eth_call: missing \"to\" (this chain has no contract creation)"}
	}
	data := args.Input
	if data == nil {
		data = args.Data
	}
	if args.Input != nil && args.Data != nil && string(*args.Input) != string(*args.Data) {
		return nil, &invalidParams{"eth_call: both \"data\" and \"input\" given, and they differ"}
	}
	var in []byte
	if data != nil {
		in = *data
	}
	out, err := a.c.call(*args.To, in)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// logFilter is eth_getLogs' filter object.
type logFilter struct {
	FromBlock *string         `json:"fromBlock"`
	ToBlock   *string         `json:"toBlock"`
	BlockHash *common.Hash    `json:"blockHash"`
	Address   json.RawMessage `json:"address"`
	Topics    []any           `json:"topics"`
}

// GetLogs is eth_getLogs over the chain's logs (Staking StateChanged on
// every AdvanceEpoch).
func (a *ethAPI) GetLogs(f logFilter) ([]types.Log, error) {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	head := a.c.block
	from, err := blockArg(f.FromBlock, head)
	if err != nil {
		return nil, err
	}
	to, err := blockArg(f.ToBlock, head)
	if err != nil {
		return nil, err
	}
	if from > to {
		return nil, &invalidParams{fmt.Sprintf("eth_getLogs: fromBlock %d is after toBlock %d", from, to)}
	}
	if to-from > maxLogRange {
		return nil, &invalidParams{fmt.Sprintf("eth_getLogs: block range over %d blocks", maxLogRange)}
	}
	addrs, err := addressArg(f.Address)
	if err != nil {
		return nil, err
	}
	topics, err := topicsArg(f.Topics)
	if err != nil {
		return nil, err
	}
	out := []types.Log{}
	for _, l := range a.c.logs {
		if f.BlockHash != nil {
			if l.BlockHash != *f.BlockHash {
				continue
			}
		} else if l.BlockNumber < from || l.BlockNumber > to {
			continue
		}
		if len(addrs) > 0 && !containsAddr(addrs, l.Address) {
			continue
		}
		if !topicsMatch(topics, l.Topics) {
			continue
		}
		out = append(out, l)
	}
	return out, nil
}

func blockArg(s *string, head uint64) (uint64, error) {
	if s == nil {
		return head, nil
	}
	switch *s {
	case "latest", "pending", "safe", "finalized":
		return head, nil
	case "earliest":
		return 0, nil
	}
	n, err := hexutil.DecodeUint64(*s)
	if err != nil {
		return 0, &invalidParams{fmt.Sprintf("eth_getLogs: bad block %q: %v", *s, err)}
	}
	return n, nil
}

func addressArg(raw json.RawMessage) ([]common.Address, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one common.Address
	if err := json.Unmarshal(raw, &one); err == nil {
		return []common.Address{one}, nil
	}
	var many []common.Address
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, &invalidParams{"eth_getLogs: address must be an address or a list of addresses"}
	}
	return many, nil
}

// topicsArg reads a topics filter: per position null (any), a hash, or a
// list of hashes (any of them).
func topicsArg(raw []any) ([][]common.Hash, error) {
	out := make([][]common.Hash, len(raw))
	parse := func(v any) (common.Hash, error) {
		s, ok := v.(string)
		if !ok {
			return common.Hash{}, errors.New("not a string")
		}
		b, err := hexutil.Decode(s)
		if err != nil || len(b) != common.HashLength {
			return common.Hash{}, errors.New("not a 32-byte hex hash")
		}
		return common.BytesToHash(b), nil
	}
	for i, t := range raw {
		switch v := t.(type) {
		case nil:
		case []any:
			for _, e := range v {
				h, err := parse(e)
				if err != nil {
					return nil, &invalidParams{fmt.Sprintf("eth_getLogs: topic %d: %v", i, err)}
				}
				out[i] = append(out[i], h)
			}
		default:
			h, err := parse(v)
			if err != nil {
				return nil, &invalidParams{fmt.Sprintf("eth_getLogs: topic %d: %v", i, err)}
			}
			out[i] = []common.Hash{h}
		}
	}
	return out, nil
}

func containsAddr(list []common.Address, a common.Address) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func topicsMatch(filter [][]common.Hash, topics []common.Hash) bool {
	if len(filter) > len(topics) {
		return false
	}
	for i, alts := range filter {
		if len(alts) == 0 {
			continue
		}
		ok := false
		for _, h := range alts {
			if h == topics[i] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// netAPI is the net_ namespace of the fake chain.
type netAPI struct{}

// Version is net_version: the chain id in decimal.
func (netAPI) Version() string { return strconv.Itoa(ChainID) }
