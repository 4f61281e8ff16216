package ipc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// DefaultChainID is Lit Chronicle's chain id, answered by eth_chainId.
const DefaultChainID uint64 = 175177

// unsupportedEthMethod is where redirectEth sends unsupported eth_ calls.
const unsupportedEthMethod = "eth_litsignerUnsupported"

// ethService answers the few eth_ methods wallets and consoles need to
// connect, and refuses the rest with a clear message.
type ethService struct{ chainID uint64 }

// ChainId answers eth_chainId.
func (s *ethService) ChainId() hexutil.Uint64 { return hexutil.Uint64(s.chainID) }

// LitsignerUnsupported answers every redirected eth_ call.
func (s *ethService) LitsignerUnsupported(method string) error {
	if !strings.HasPrefix(method, "eth_") || len(method) > 64 {
		method = unsupportedEthMethod
	}
	return &Error{Code: CodeMethodNotFound,
		Message: fmt.Sprintf("litsignerd is not an Ethereum node: %s is not supported", method)}
}

// web3Service answers web3_clientVersion.
type web3Service struct{ version string }

// ClientVersion answers web3_clientVersion.
func (s *web3Service) ClientVersion() string { return "litsigner/" + s.version }

// ethSupported lists the eth_ methods go-ethereum may see unchanged.
var ethSupported = map[string]bool{"eth_chainId": true, unsupportedEthMethod: true}

// redirectEth rewrites calls of unsupported eth_ methods (in a single request
// or a batch) into calls of eth_litsignerUnsupported with the original name as
// the only parameter. Anything else, including invalid JSON-RPC, is returned
// unchanged for go-ethereum to judge.
func redirectEth(msg []byte) []byte {
	if !bytes.Contains(msg, []byte("eth_")) {
		return msg
	}
	trimmed := bytes.TrimLeft(msg, " \t\r\n")
	if len(trimmed) == 0 {
		return msg
	}
	switch trimmed[0] {
	case '{':
		if out, ok := redirectCall(trimmed); ok {
			return out
		}
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return msg
		}
		changed := false
		for i, item := range items {
			if out, ok := redirectCall(item); ok {
				items[i] = out
				changed = true
			}
		}
		if changed {
			if out, err := json.Marshal(items); err == nil {
				return out
			}
		}
	}
	return msg
}

// redirectCall rewrites one request object if it calls an unsupported eth_
// method. Field names match case-insensitively, as go-ethereum decodes them.
func redirectCall(obj []byte) ([]byte, bool) {
	var probe struct {
		Method string `json:"method"`
	}
	if err := json.Unmarshal(obj, &probe); err != nil {
		return nil, false
	}
	if !strings.HasPrefix(probe.Method, "eth_") || ethSupported[probe.Method] {
		return nil, false
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(obj, &fields); err != nil {
		return nil, false
	}
	for k := range fields {
		if strings.EqualFold(k, "method") || strings.EqualFold(k, "params") {
			delete(fields, k)
		}
	}
	name, err := json.Marshal(unsupportedEthMethod)
	if err != nil {
		return nil, false
	}
	params, err := json.Marshal([]string{probe.Method})
	if err != nil {
		return nil, false
	}
	fields["method"] = name
	fields["params"] = params
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, false
	}
	return out, true
}
