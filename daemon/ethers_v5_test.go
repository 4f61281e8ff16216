package daemon

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit"
)

// TestEthersV5IpcProvider drives the daemon with ethers v5's IpcProvider
// (ipc/ethers-check/check-v5.mjs, ethers 5.8.0), which half-closes every
// connection after its request: eth_chainId (network detection),
// lit_sessionStatus and lit_executeJs of the seed action. CI sets
// LITSIGNER_ETHERS_CHECK=1 after `npm ci` in ipc/ethers-check.
func TestEthersV5IpcProvider(t *testing.T) {
	if os.Getenv("LITSIGNER_ETHERS_CHECK") != "1" {
		t.Skip("set LITSIGNER_ETHERS_CHECK=1 after `npm ci` in ipc/ethers-check to run ethers v5 against the daemon")
	}
	script, err := filepath.Abs("../ipc/ethers-check/check-v5.mjs")
	if err != nil {
		t.Fatal(err)
	}
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	pkp := networkPKP(t, td)
	params, err := json.Marshal(ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, td.sock, "--execute-js", string(params))
	cmd.Dir = filepath.Dir(script)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check-v5.mjs: %v", err)
	}
	var got struct {
		EthersVersion string              `json:"ethersVersion"`
		ChainID       string              `json:"chainId"`
		SessionStatus SessionStatus       `json:"sessionStatus"`
		ExecuteJs     lit.ExecuteJSResult `json:"executeJs"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if !strings.HasPrefix(got.EthersVersion, "ethers/5.") || got.SessionStatus.State != "none" || got.ChainID != "1" {
		t.Fatalf("ethers v5 saw %s", out)
	}
	checkHello(t, &got.ExecuteJs, pkp)
}
