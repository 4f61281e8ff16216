package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/ipc"
)

func TestPrintNetwork(t *testing.T) {
	yes, no := true, false
	balance, stable, broke := "5000", "4000", "0"
	tests := []struct {
		name string
		ns   rpcapi.NetworkStatus
		want []string
		not  []string
	}{
		{"v2 before any call", rpcapi.NetworkStatus{Name: "localhost", Protocol: "v2", Threshold: 2,
			Nodes: []rpcapi.NodeInfo{{URL: "http://127.0.0.1:7470", State: "unknown"}, {URL: "http://127.0.0.1:7471", State: "unknown"}}},
			[]string{"network:  localhost, protocol v2, threshold 2 of 2 nodes\n", "http://127.0.0.1:7470        unknown (not contacted yet)\n"},
			[]string{"down", "epoch", "payment"}},
		{"v2 up and down", rpcapi.NetworkStatus{Name: "custom", Protocol: "v2", Threshold: 1, Nodes: []rpcapi.NodeInfo{
			{URL: "http://a:1", State: "up", Up: &yes, LastLatencyMs: 12.34},
			{URL: "http://b:1", State: "down", Up: &no, LastError: "connection refused"}}},
			[]string{"http://a:1                   up, 12.3 ms\n", "http://b:1                   down: connection refused\n"}, nil},
		{"naga before the handshake", rpcapi.NetworkStatus{Name: "naga-dev", Protocol: "naga",
			Chain:   &rpcapi.ChainStatus{RPCURL: "https://yellowstone-rpc.litprotocol.com", ChainID: 175188},
			Payment: &rpcapi.PaymentInfo{MaxPrice: "1000", Note: "not read"}, Nodes: []rpcapi.NodeInfo{}},
			[]string{"protocol naga, nodes and threshold not read from the chain yet (the first call reads them)\n", "epoch not read yet; chain 175188 at https://yellowstone-rpc.litprotocol.com\n",
				"payment:  the session's account (no session yet) pays, balance unknown, maxPrice 1000 wei per call\n", "(not read)"}, []string{"0 of 0"}},
		{"naga chain error", rpcapi.NetworkStatus{Name: "naga-dev", Protocol: "naga", Chain: &rpcapi.ChainStatus{ChainID: 175188},
			Payment: &rpcapi.PaymentInfo{Account: "0xabc", MaxPrice: "1000", Error: "lit: payment balance: chain unreadable: connection refused"}},
			[]string{"payment:  0xabc pays, balance unknown, maxPrice 1000 wei per call\n",
				"          (balance not read: lit: payment balance: chain unreadable: connection refused)\n"}, nil},
		{"naga no funds", rpcapi.NetworkStatus{Name: "naga-dev", Protocol: "naga", Chain: &rpcapi.ChainStatus{ChainID: 175188},
			Payment: &rpcapi.PaymentInfo{Account: "0xabc", Balance: &broke, StableBalance: &broke, MaxPrice: "1000", Note: "deposit"}},
			[]string{"payment:  0xabc pays, balance 0 wei (stable 0 wei), maxPrice 1000 wei per call\n", "          (deposit)\n"}, []string{"balance not read"}},
		{"naga connected", rpcapi.NetworkStatus{Name: "naga-local", Protocol: "naga", Epoch: 7, Threshold: 3, Connected: true,
			Reissues: 2, LastReissue: "attempt 1 failed on http://n1: HTTP 500", Dev: true,
			Chain:   &rpcapi.ChainStatus{RPCURL: "http://127.0.0.1:8545", ChainID: 31337},
			Payment: &rpcapi.PaymentInfo{Account: "0xabc", Balance: &balance, StableBalance: &stable, MaxPrice: "2000"},
			Nodes: []rpcapi.NodeInfo{
				{URL: "http://n1", State: "up", Up: &yes, LastLatencyMs: 3, ExecLatencyMs: 20.5, Price: "1000", Slow: true, BadShares: 1, LastError: "bad share"},
				{URL: "http://n2", State: "down", Up: &no, LastError: "HTTP 500", Price: "1100"}}},
			[]string{"naga-local (devnet of --dev), protocol naga, threshold 3 of 2 nodes", "epoch 7; chain 31337 at http://127.0.0.1:8545\n",
				"2 call(s) re-issued to other nodes; last: attempt 1 failed on http://n1: HTTP 500\n",
				"payment:  0xabc pays, balance 5000 wei (stable 4000 wei), maxPrice 2000 wei per call\n",
				"http://n1                    up, 3.0 ms, price 1000 wei, exec 20.5 ms, slow, 1 bad share set(s); last error: bad share\n",
				"http://n2                    down: HTTP 500, price 1100 wei\n"}, nil},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		printNetwork(&b, tt.ns)
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.name, w, b.String())
			}
		}
		for _, w := range tt.not {
			if strings.Contains(b.String(), w) {
				t.Errorf("%s: output has %q:\n%s", tt.name, w, b.String())
			}
		}
	}
}

func TestPrintError(t *testing.T) {
	// Data as the socket delivers it: decoded from JSON.
	data := func(v any) any {
		b, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(b, &out)
		return out
	}
	tests := []struct {
		err  error
		want string
		code int
	}{
		{fmt.Errorf("exec: %w", &ipc.Error{Code: rpcapi.CodeActionError, Message: "Lit Action failed: Error: boom", Data: data(map[string]any{
			"kind": "action_error", "message": "Error: boom", "nodes": []string{"http://n1", "http://n2"},
			"reasons": []map[string]string{{"node": "http://n3", "error": "no reply before the call ended"}}})}),
			"litsigner: Lit Action failed: Error: boom (code 4200)\n  reported by 2 node(s): http://n1, http://n2\n  http://n3: no reply before the call ended\n", rpcapi.ExitAction},
		{fmt.Errorf("exec: %w", &ipc.Error{Code: rpcapi.CodePaymentRefused, Message: "lit: executeJs: node price above maxPrice: 3300 wei (raise maxPrice)",
			Data: data(map[string]any{"kind": "payment_refused", "reason": "node price above maxPrice", "hint": "raise maxPrice"})}),
			"litsigner: lit: executeJs: node price above maxPrice: 3300 wei (raise maxPrice) (code 4103)\n", rpcapi.ExitNetwork},
		{fmt.Errorf("exec: %w", &ipc.Error{Code: rpcapi.CodeChainError, Message: "chain unreadable: dial refused", Data: data(map[string]any{"kind": "chain_error"})}),
			"litsigner: chain unreadable: dial refused (code 4104)\n", rpcapi.ExitNetwork},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		printError(&b, tt.err)
		if b.String() != tt.want {
			t.Errorf("printError:\n%q\nwant\n%q", b.String(), tt.want)
		}
		if got := ExitCode(tt.err); got != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.err, got, tt.code)
		}
	}
}
