package daemon

import (
	"syscall"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/lit/devnet"
)

// TestDevnetRestartHoldsCalls kills the --dev devnet's child process, as a
// Lit Action that exhausts its memory does, and makes a call while the
// parent starts the next one: the call waits for it and succeeds. Before,
// it failed at once with "connection refused" from every node.
func TestDevnetRestartHoldsCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the devnet in a child process")
	}
	td := startDaemon(t, devConfig(t), Options{DevnetProcess: true})
	p, ok := td.devnet.(*devnet.Process)
	if !ok {
		t.Fatalf("the devnet is a %T, not a child process", td.devnet)
	}
	c := dial(t, td.sock)
	params := rpcapi.ExecuteJsParams{Code: `LitActions.setResponse({response: "alive"})`}
	var res rpcapi.ExecuteResult
	if err := call(t, c, &res, "lit_executeJs", params); err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for p.PID() == pid { // the parent has seen the death
		time.Sleep(time.Millisecond)
	}
	if err := call(t, c, &res, "lit_executeJs", params); err != nil {
		t.Fatalf("a call during the restart: %v", err)
	}
	if res.Response != "alive" || p.Restarts() != 1 {
		t.Errorf("response %v, restarts %d", res.Response, p.Restarts())
	}
}
