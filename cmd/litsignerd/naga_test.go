package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/daemon"
	"github.com/litsigner/litsigner/daemon/cli"
	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/lit/devnet"
)

// cliRunAll is cliRun that also returns stderr.
func cliRunAll(t *testing.T, sock string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "litsigner"), args...)
	cmd.Env = append(os.Environ(), cli.SocketEnv+"="+sock)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("litsigner %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// startDaemonArgs starts the built litsignerd with args on a fresh socket
// and waits for READY=1.
func startDaemonArgs(t *testing.T, args ...string) (sock string, notify *notifyListener, d *proc) {
	t.Helper()
	dir := shortDir(t)
	sock = filepath.Join(dir, "rpc.sock")
	notify = newNotifyListener(t, dir)
	cmd := exec.Command(filepath.Join(binDir, "litsignerd"), append(args, "--socket", sock, "--notifications=false")...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+notify.path, "XDG_CONFIG_HOME="+dir)
	d = startProc(t, cmd)
	notify.waitMsg(t, "READY=1")
	return sock, notify, d
}

// execNagaSeed runs the seed action through the CLI and checks that the
// signature recovers to the PKP.
func execNagaSeed(t *testing.T, sock string, pkp rpcapi.PKPInfo) {
	t.Helper()
	seed, err := filepath.Abs("../../daemon/testdata/sign-hello.js")
	if err != nil {
		t.Fatal(err)
	}
	out, code := cliRun(t, sock, "exec", seed, "--param", "toSign=0x48656c6c6f20576f726c64", "--param", "sigName=sig1",
		"--param", "publicKey="+pkp.PublicKey, "--json")
	if code != 0 {
		t.Fatalf("exec exit %d", code)
	}
	var res rpcapi.ExecuteResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("exec output %q: %v", out, err)
	}
	sig, _ := hex.DecodeString(strings.TrimPrefix(res.Signatures["sig1"].Signature, "0x"))
	if len(sig) != 65 {
		t.Fatalf("signature %q", res.Signatures["sig1"].Signature)
	}
	sig[64] -= 27
	pub, err := crypto.SigToPub(common.LeftPadBytes([]byte("Hello World"), 32), sig)
	if err != nil || crypto.PubkeyToAddress(*pub) != common.HexToAddress(pkp.EthAddress) {
		t.Fatalf("signature does not recover to %s: %v", pkp.EthAddress, err)
	}
}

// TestDaemonProcessNagaDev runs litsignerd --dev --network naga-local (the
// Naga devnet and its chain in the daemon's supervised child process, on
// free ports) and the CLI: status
// in both forms, the seed action, an action error's message and exit code.
func TestDaemonProcessNagaDev(t *testing.T) {
	sock, notify, d := startDaemonArgs(t, "--dev", "--dev-port", "0", "--network", "naga-local")

	out, code := cliRun(t, sock, "status", "--json")
	if code != 0 {
		t.Fatalf("status exit %d", code)
	}
	var st cli.StatusResult
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Network.PKPs) == 0 || st.Network.Protocol != "naga" || st.Network.Chain == nil {
		t.Fatalf("status %q: %v", out, err)
	}
	execNagaSeed(t, sock, st.Network.PKPs[0])
	if logs := d.logs.String(); !strings.Contains(logs, "devnetProcess=true protocol=naga") {
		t.Fatalf("the Naga devnet did not run as the daemon's child process:\n%s", logs)
	}

	out, code = cliRun(t, sock, "status")
	// The session account's Ledger deposit, as the devnet's chain reports it.
	balance := fmt.Sprintf("balance %s wei (stable %s wei)", devnet.DefaultBalance, devnet.DefaultBalance)
	for _, want := range []string{"protocol naga", "threshold 6 of 10 nodes", "epoch 1; chain 31337", balance, "price 1", "up, "} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("status (exit %d) lacks %q:\n%s", code, want, out)
		}
	}

	dir := shortDir(t)
	boom := filepath.Join(dir, "boom.js")
	if err := os.WriteFile(boom, []byte(`throw new Error("boom")`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := cliRunAll(t, sock, "exec", boom, "--param", "publicKey="+st.Network.PKPs[0].PublicKey)
	if code != rpcapi.ExitAction || !strings.HasPrefix(stderr, "litsigner: Lit Action failed: Error: boom (code 4200)\n") ||
		!strings.Contains(stderr, "reported by ") {
		t.Fatalf("action error: exit %d, stderr %q", code, stderr)
	}

	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	notify.waitMsg(t, "STOPPING=1")
	d.waitExit(t)
}

// TestDaemonProcessNagaLocalDevnetCommand runs `litsigner devnet --protocol
// naga` and litsignerd --network naga-local --device emulator:ledger
// against it. The devnet listens on free ports here, so the daemon gets
// --rpc-url; TestNagaLocalMatchesDevnetDefaults checks that without it the
// daemon's defaults are the devnet command's.
func TestDaemonProcessNagaLocalDevnetCommand(t *testing.T) {
	ann := startDevnetCommand(t, "--protocol", "naga", "--port", "0", "--chain-port", "0", "--nodes", "4", "--seed", "naga-local-test")
	sock, _, _ := startDaemonArgs(t, "--network", "naga-local", "--device", "emulator:ledger", "--rpc-url", ann.Chain.RPCURL)
	execNagaSeed(t, sock, rpcapi.PKPInfo{PublicKey: ann.PKPs[0].PublicKey, EthAddress: ann.PKPs[0].EthAddress})
	out, code := cliRun(t, sock, "status", "--json")
	var st cli.StatusResult
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || st.Network.Dev || st.Network.Threshold != ann.Threshold ||
		len(st.Network.Nodes) != len(ann.Nodes) || st.Session.State != "active" {
		t.Fatalf("status (exit %d) %s: %v", code, out, err)
	}
}

// TestNagaLocalMatchesDevnetDefaults: litsignerd --network naga-local
// with no other flag reads the chain where `litsigner devnet --protocol
// naga` serves it by default, at the contract addresses it serves.
func TestNagaLocalMatchesDevnetDefaults(t *testing.T) {
	cfg, _, err := daemon.ParseArgs([]string{"--network", "naga-local", "--device", "emulator:ledger"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := cfg.LitNetwork(nil)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := devnet.ParseFlags([]string{"--protocol", "naga"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://" + devnet.DefaultHost + ":" + itoa(dc.ChainPort); n.ChainRPCURL != want {
		t.Errorf("naga-local reads %s, the devnet serves %s", n.ChainRPCURL, want)
	}
	ann := startDevnetCommand(t, "--protocol", "naga", "--port", "0", "--chain-port", "0", "--nodes", "3")
	if n.Staking != common.HexToAddress(ann.Chain.Contracts.Staking) || n.PriceFeed != common.HexToAddress(ann.Chain.Contracts.PriceFeed) {
		t.Errorf("naga-local contracts %s %s, the devnet serves %+v", n.Staking, n.PriceFeed, ann.Chain.Contracts)
	}
	if ann.Chain.ChainID != cfg.SocketChainID() {
		t.Errorf("devnet chain %d, litsignerd eth_chainId %d", ann.Chain.ChainID, cfg.SocketChainID())
	}
}

// startDevnetCommand runs the built `litsigner devnet` with args and
// returns its announcement; cleanup stops it.
func startDevnetCommand(t *testing.T, args ...string) devnet.Announcement {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "litsigner"), append([]string{"devnet"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := startProc(t, cmd)
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("devnet announced nothing; stderr: %s", p.logs.String())
	}
	var ann devnet.Announcement
	if err := json.Unmarshal([]byte(line), &ann); err != nil || ann.Chain == nil || len(ann.PKPs) == 0 {
		t.Fatalf("devnet announcement %q: %v", line, err)
	}
	return ann
}
