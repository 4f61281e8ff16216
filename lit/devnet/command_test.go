package devnet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit"
)

func TestDeterministicWithSeed(t *testing.T) {
	a := startNet(t, Config{Nodes: 3, Threshold: 2, PKPs: 2, Seed: "same"})
	b := startNet(t, Config{Nodes: 3, Threshold: 2, PKPs: 2, Seed: "same"})
	c := startNet(t, Config{Nodes: 3, Threshold: 2, PKPs: 2, Seed: "other"})
	r := startNet(t, Config{Nodes: 3, Threshold: 2, PKPs: 2})
	if !reflect.DeepEqual(a.PKPs(), b.PKPs()) {
		t.Fatalf("same seed, different PKPs:\n%v\n%v", a.PKPs(), b.PKPs())
	}
	if a.PKPs()[0] == a.PKPs()[1] || reflect.DeepEqual(a.PKPs(), c.PKPs()) || reflect.DeepEqual(a.PKPs(), r.PKPs()) {
		t.Fatal("PKPs repeat across keys or seeds")
	}
	if a.nodes[1].handshake != b.nodes[1].handshake || a.nodes[1].handshake == c.nodes[1].handshake {
		t.Fatal("handshake keys do not follow the seed")
	}
	s := newSession(t, lit.Capability{})
	sa := toShares(executeAll(t, a, s, signHello, helloParams(a), "lit_det"), "sig1")
	sb := toShares(executeAll(t, b, s, signHello, helloParams(b), "lit_det"), "sig1")
	if !reflect.DeepEqual(sa, sb) {
		t.Fatal("same seed and request id gave different shares")
	}
	p := a.PKPs()[0]
	if !strings.HasPrefix(p.PublicKey, "04") || len(p.PublicKey) != 130 || len(p.TokenID) != 66 || len(p.EthAddress) != 42 {
		t.Fatalf("PKP %+v", p)
	}
}

func mustBig(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad test number " + s)
	}
	return b
}

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.js")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want Config
		err  error
	}{
		{"defaults", nil, Config{Protocol: "v2", Nodes: 10, Host: "127.0.0.1", BasePort: 7470, PKPs: 1}, nil},
		{"naga defaults", []string{"--protocol", "naga"},
			Config{Protocol: "naga", Nodes: 10, Host: "127.0.0.1", BasePort: 7470, ChainPort: 8545, PKPs: 1}, nil},
		{"naga", []string{"--protocol", "naga", "--nodes", "4", "--chain-port", "0", "--prices", "5,6,7,8", "--refuse-payment", "2"},
			Config{Protocol: "naga", Nodes: 4, Host: "127.0.0.1", BasePort: 7470, PKPs: 1, Prices: []uint64{5, 6, 7, 8},
				Faults: map[int]Fault{2: {RefusePayment: true}}}, nil},
		{"naga balance", []string{"--protocol", "naga", "--balance", "123456789012345678901234567890"},
			Config{Protocol: "naga", Nodes: 10, Host: "127.0.0.1", BasePort: 7470, ChainPort: 8545, PKPs: 1, Balance: mustBig("123456789012345678901234567890")}, nil},
		{"negative balance", []string{"--protocol", "naga", "--balance", "-5"},
			Config{Protocol: "naga", Nodes: 10, Host: "127.0.0.1", BasePort: 7470, ChainPort: 8545, PKPs: 1, Balance: big.NewInt(-5)}, nil},
		{"bad balance", []string{"--protocol", "naga", "--balance", "1e18"}, Config{}, ErrBadConfig},
		{"balance over int256", []string{"--protocol", "naga", "--balance", new(big.Int).Lsh(big.NewInt(1), 255).String()}, Config{}, ErrBadConfig},
		{"balance on v2", []string{"--balance", "1"}, Config{}, ErrBadConfig},
		{"chain port on v2", []string{"--chain-port", "9000"}, Config{}, ErrBadConfig},
		{"bad price", []string{"--protocol", "naga", "--prices", "1,x"}, Config{}, ErrBadConfig},
		{"all", []string{"--nodes", "5", "--threshold", "3", "--port", "0", "--seed", "s", "--pkps", "2",
			"--actions-dir", dir, "--action-timeout", "2s", "--action-memory", "64MiB",
			"--slow", "2=2s,3=500ms", "--down", "4", "--wrong-share", "1,2", "--malformed", "0", "--http500", "3"},
			Config{Protocol: "v2", Nodes: 5, Threshold: 3, Host: "127.0.0.1", Seed: "s", PKPs: 2, ActionsDir: dir, ActionTimeout: 2 * time.Second, ActionMemory: 64 << 20,
				Faults: map[int]Fault{
					0: {Malformed: true}, 1: {WrongShare: true}, 2: {Latency: 2 * time.Second, WrongShare: true},
					3: {Latency: 500 * time.Millisecond, HTTP500: true}, 4: {Down: true},
				}}, nil},
		{"bad slow", []string{"--slow", "2:2s"}, Config{}, ErrBadConfig},
		{"action memory in MB", []string{"--action-memory", "100MB"}, Config{Protocol: "v2", Nodes: 10, Host: "127.0.0.1", BasePort: 7470, PKPs: 1, ActionMemory: 100e6}, nil},
		{"action memory in bytes", []string{"--action-memory", "1048576"}, Config{Protocol: "v2", Nodes: 10, Host: "127.0.0.1", BasePort: 7470, PKPs: 1, ActionMemory: 1 << 20}, nil},
		{"bad action memory", []string{"--action-memory", "lots"}, Config{}, ErrBadConfig},
		{"zero action memory", []string{"--action-memory", "0"}, Config{}, ErrBadConfig},
		{"bad index", []string{"--down", "x"}, Config{}, ErrBadConfig},
		{"negative index", []string{"--down", "-1"}, Config{}, ErrBadConfig},
		{"unknown flag", []string{"--nope"}, Config{}, ErrBadConfig},
		{"argument", []string{"extra"}, Config{}, ErrBadConfig},
		{"help", []string{"-h"}, Config{}, flag.ErrHelp},
		{"other loopback", []string{"--host", "127.0.0.2"}, Config{Protocol: "v2", Nodes: 10, Host: "127.0.0.2", BasePort: 7470, PKPs: 1}, nil},
		{"every interface", []string{"--host", "0.0.0.0", "--port", "0"}, Config{}, ErrBadConfig},
		{"not loopback", []string{"--host", "192.0.2.1"}, Config{}, ErrBadConfig},
		{"IPv6 loopback", []string{"--host", "::1"}, Config{}, ErrBadConfig},
		{"host name", []string{"--host", "localhost"}, Config{}, ErrBadConfig},
		{"unknown protocol", []string{"--protocol", "NAGA", "--chain-port", "0"}, Config{}, ErrBadConfig},
		{"no actions dir", []string{"--actions-dir", filepath.Join(dir, "none")}, Config{}, ErrBadConfig},
		{"actions dir is a file", []string{"--actions-dir", file}, Config{}, ErrBadConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFlags(tc.args, io.Discard)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}

			if tc.err == nil && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestParseFlagsSaysWhy: the first problem named is the one to fix.
func TestParseFlagsSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--protocol", "NAGA", "--chain-port", "0"}, `--protocol "NAGA": want v2 or naga`},
		{[]string{"--host", "0.0.0.0"}, `--host "0.0.0.0": want an IPv4 loopback address`},
		{[]string{"--actions-dir", "/nonexistent"}, "--actions-dir: stat /nonexistent: no such file or directory"},
	} {
		if _, err := ParseFlags(tc.args, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestRunCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- RunCommand(ctx, []string{"--port", "0", "--nodes", "4", "--threshold", "3", "--seed", "cmd", "--down", "3"}, outW, io.Discard)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		t.Fatalf("no announcement: %v", <-done)
	}
	var a Announcement
	dec := json.NewDecoder(strings.NewReader(lines.Text()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("announcement %q: %v", lines.Text(), err)
	}
	if len(a.Nodes) != 4 || a.Threshold != 3 || len(a.PKPs) != 1 || !strings.HasPrefix(a.PKPs[0].PublicKey, "04") {
		t.Fatalf("announcement %+v", a)
	}
	status, _, err := handshake(ctx, a.Nodes[0])
	if err != nil || status != 200 {
		t.Fatalf("node 0: %d %v", status, err)
	}
	if _, _, err := handshake(ctx, a.Nodes[3]); err == nil {
		t.Fatal("node 3 (--down 3) answered")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunCommand: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RunCommand did not return after cancel")
	}
	if lines.Scan() {
		t.Fatalf("more than one line on stdout: %q", lines.Text())
	}
	if _, _, err := handshake(context.Background(), a.Nodes[0]); err == nil {
		t.Fatal("node still answering after shutdown")
	}
}

func TestRunCommandBadConfig(t *testing.T) {
	err := RunCommand(context.Background(), []string{"--port", "0", "--nodes", "3", "--threshold", "4"}, io.Discard, io.Discard)
	if !errors.Is(err, ErrBadConfig) {
		t.Fatalf("threshold above nodes: %v", err)
	}
}

func TestRunCommandNaga(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- RunCommand(ctx, []string{"--protocol", "naga", "--port", "0", "--chain-port", "0", "--nodes", "4", "--seed", "cmd"}, outW, io.Discard)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		t.Fatalf("no announcement: %v", <-done)
	}
	line := lines.Text()
	if !strings.HasPrefix(line, `{"protocol":"naga","nodes":["http://127.0.0.1:`) {
		t.Fatalf("announcement %s", line)
	}
	var a Announcement
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("announcement %q: %v", line, err)
	}
	if len(a.Nodes) != 4 || a.Threshold != 3 || len(a.PKPs) != 1 || a.Chain == nil || a.Chain.ChainID != 31337 ||
		a.Chain.Contracts.Staking != "0xa82fF9aFd8f496c3d6ac40E2a0F282E47488CFc9" || !strings.HasPrefix(a.Chain.RPCURL, "http://127.0.0.1:") {
		t.Fatalf("announcement %+v", a)
	}
	res, rerr := rpcCall(t, a.Chain.RPCURL, "eth_chainId")
	if rerr != nil || string(res) != `"0x7a69"` {
		t.Fatalf("chain: %s %v", res, rerr)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunCommand: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RunCommand did not return after cancel")
	}
}
