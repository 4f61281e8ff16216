package daemon

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

// checkHello verifies that the seed action's signature recovers to the PKP.
func checkHello(t testing.TB, res *lit.ExecuteJSResult, pkp rpcapi.PKPInfo) {
	t.Helper()
	sig, ok := res.Signatures["sig1"]
	if !ok {
		t.Fatalf("no sig1 in %+v", res)
	}
	hash := make([]byte, 32)
	msg := []byte("Hello World")
	copy(hash[32-len(msg):], msg)
	if !strings.EqualFold(sig.DataSigned, hex.EncodeToString(msg)) {
		t.Fatalf("dataSigned = %s", sig.DataSigned)
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(sig.Signature, "0x"))
	if err != nil || len(raw) != 65 {
		t.Fatalf("signature %q: %v", sig.Signature, err)
	}
	raw[64] -= 27
	pub, err := crypto.Ecrecover(hash, raw)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString(pkp.PublicKey)
	if !bytes.Equal(pub, want) {
		t.Fatalf("recovered %x, want %s", pub, pkp.PublicKey)
	}
	k, err := crypto.UnmarshalPubkey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if got := crypto.PubkeyToAddress(*k); got != common.HexToAddress(pkp.EthAddress) {
		t.Fatalf("address %s, want %s", got, pkp.EthAddress)
	}
}

func networkPKP(t testing.TB, td *testDaemon) rpcapi.PKPInfo {
	t.Helper()
	var ns rpcapi.NetworkStatus
	if err := call(t, dial(t, td.sock), &ns, "lit_networkStatus"); err != nil {
		t.Fatal(err)
	}
	if !ns.Dev || len(ns.PKPs) == 0 {
		t.Fatalf("network status has no PKP: %+v", ns)
	}
	return ns.PKPs[0]
}

func TestExecuteSeedActionEndToEnd(t *testing.T) {
	td := startDaemon(t, devConfig(t), Options{})
	pkp := networkPKP(t, td)
	c := dial(t, td.sock)

	var st rpcapi.SessionStatus
	if err := call(t, c, &st, "lit_sessionStatus"); err != nil || st.State != "none" {
		t.Fatalf("status before: %+v, %v", st, err)
	}
	var res lit.ExecuteJSResult
	var err error
	err = call(t, c, &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	checkHello(t, &res, pkp)

	if err := call(t, c, &st, "lit_sessionStatus"); err != nil {
		t.Fatal(err)
	}
	keys, err := emulator.NewKeyringFromMnemonic(emulator.SpeculosMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	wantAddr, _ := keys.Address(td.cfg.Path())
	if st.State != "active" || st.Address != wantAddr.Hex() || st.Approvals != 1 || st.Calls != 1 || st.ExpiresAt == nil ||
		len(st.SessionPublicKey) != 64 {
		t.Fatalf("status after: %+v", st)
	}
	if n := td.devBehaviour().PromptsOf(emulator.PromptSignMessage); n != 1 {
		t.Fatalf("device prompts = %d, want 1", n)
	}
}

// TestConcurrentCallersShareOneApproval: 8 clients x 50 calls, one prompt.
func TestConcurrentCallersShareOneApproval(t *testing.T) {
	// Three nodes (threshold 2) keep 400 calls fast under -race.
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	pkp := networkPKP(t, td)
	code := readSeed(t)
	const clients, calls = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, clients*calls)
	for i := 0; i < clients; i++ {
		c := dial(t, td.sock)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < calls; j++ {
				var res lit.ExecuteJSResult
				ctx, cancel := context.WithTimeout(context.Background(), 60e9)
				err := c.Call(ctx, &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: code, JSParams: helloParams(pkp.PublicKey)})
				cancel()
				if err == nil && res.Signatures["sig1"].Signature == "" {
					err = errMissingSig
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := td.devBehaviour().PromptsOf(emulator.PromptSignMessage); n != 1 {
		t.Fatalf("device prompts = %d, want exactly 1", n)
	}
	st := td.sessions.Status()
	if st.Approvals != 1 || st.ApprovalAttempts != 1 || st.Calls != clients*calls || st.CallErrors != 0 {
		t.Fatalf("status %+v", st)
	}
}

var errMissingSig = errorString("result has no sig1 signature")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestRejectThroughSocket: a rejection on the device reaches the client as
// code 4001 with data.kind, and the next call prompts again.
func TestRejectThroughSocket(t *testing.T) {
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	pkp := networkPKP(t, td)
	c := dial(t, td.sock)
	params := rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}
	td.devBehaviour().SetAction(emulator.Reject)
	var res lit.ExecuteJSResult
	err := call(t, c, &res, "lit_executeJs", params)
	var ie *ipc.Error
	if !errors.As(err, &ie) || ie.Code != rpcapi.CodeUserRejected || ie.Data.(map[string]any)["kind"] != "user_rejected" {
		t.Fatalf("got %#v", err)
	}
	td.devBehaviour().SetAction(emulator.Approve)
	if err := call(t, c, &res, "lit_executeJs", params); err != nil {
		t.Fatal(err)
	}
	checkHello(t, &res, pkp)
	if n := td.devBehaviour().PromptsOf(emulator.PromptSignMessage); n != 2 {
		t.Fatalf("prompts = %d, want 2", n)
	}
}

func TestWalletMethodsThroughSocket(t *testing.T) {
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	c := dial(t, td.sock)
	var devs []map[string]any
	if err := call(t, c, &devs, "wallet_devices"); err != nil || len(devs) == 0 || devs[0]["id"] != "emulator:ledger" {
		t.Fatalf("devices %v, %v", devs, err)
	}
	var accts []rpcapi.Account
	if err := call(t, c, &accts, "wallet_accounts"); err != nil || len(accts) != 1 {
		t.Fatalf("accounts %v, %v", accts, err)
	}
	keys, err := emulator.NewKeyringFromMnemonic(emulator.SpeculosMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := keys.Address(td.cfg.Path())
	if accts[0].Address != want.Hex() || accts[0].Path != "m/44'/60'/0'/0/0" {
		t.Fatalf("account %+v, want %s", accts[0], want.Hex())
	}
}

// TestUnplugThroughSocket: the device going away mid-approval is code 4007
// for the caller; the daemon carries on and the next call succeeds.
func TestUnplugThroughSocket(t *testing.T) {
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	pkp := networkPKP(t, td)
	c := dial(t, td.sock)
	params := rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}
	td.devBehaviour().UnplugAfterReports(6) // inside the SIGN_PERSONAL_MESSAGE exchange
	var res lit.ExecuteJSResult
	if err := call(t, c, &res, "lit_executeJs", params); codeOf(err) != rpcapi.CodeDeviceGone {
		t.Fatalf("got %v, want code %d", err, rpcapi.CodeDeviceGone)
	}
	if err := call(t, c, &res, "lit_executeJs", params); err != nil {
		t.Fatalf("after replug: %v", err)
	}
	checkHello(t, &res, pkp)
}
