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

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/lit"
)

// TestEthersProviders drives the daemon with the two ethers IPC clients
// people use (ipc/ethers-check): v6's IpcSocketProvider (check.mjs) and v5's
// IpcProvider (check-v5.mjs, ethers 5.8.0), which half-closes every
// connection after its request. Each calls eth_chainId, lit_sessionStatus
// and lit_executeJs of the seed action. CI sets LITSIGNER_ETHERS_CHECK=1
// after `npm ci` in ipc/ethers-check.
func TestEthersProviders(t *testing.T) {
	if os.Getenv("LITSIGNER_ETHERS_CHECK") != "1" {
		t.Skip("set LITSIGNER_ETHERS_CHECK=1 after `npm ci` in ipc/ethers-check to run ethers against the daemon")
	}
	for _, tc := range []struct{ name, script, version string }{
		{"v6 IpcSocketProvider", "check.mjs", ""},
		{"v5 IpcProvider", "check-v5.mjs", "ethers/5."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script, err := filepath.Abs(filepath.Join("..", "ipc", "ethers-check", tc.script))
			if err != nil {
				t.Fatal(err)
			}
			td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
			pkp := networkPKP(t, td)
			params, err := json.Marshal(rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)})
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
				t.Fatalf("%s: %v", tc.script, err)
			}
			var got struct {
				EthersVersion string               `json:"ethersVersion"`
				ChainID       string               `json:"chainId"`
				SessionStatus rpcapi.SessionStatus `json:"sessionStatus"`
				ExecuteJs     lit.ExecuteJSResult  `json:"executeJs"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
			if !strings.HasPrefix(got.EthersVersion, tc.version) || got.SessionStatus.State != "none" || got.ChainID != "1" {
				t.Fatalf("ethers saw %s", out)
			}
			checkHello(t, &got.ExecuteJs, pkp)
		})
	}
}
