package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/daemon/cli"
	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/lit"
)

// binDir holds litsignerd and litsigner built once for this package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lsbin")
	if err != nil {
		panic(err)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir,
		"github.com/litsigner/litsigner/cmd/litsignerd", "github.com/litsigner/litsigner/cmd/litsigner")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		panic("build binaries: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func shortDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "lsd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// notifyListener is a fake NOTIFY_SOCKET collecting sd_notify messages.
type notifyListener struct {
	path string
	msgs chan string
}

func newNotifyListener(t *testing.T, dir string) *notifyListener {
	path := filepath.Join(dir, "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n := &notifyListener{path: path, msgs: make(chan string, 64)}
	go func() {
		buf := make([]byte, 4096)
		for {
			k, _, err := c.ReadFromUnix(buf)
			if err != nil {
				close(n.msgs)
				return
			}
			n.msgs <- string(buf[:k])
		}
	}()
	t.Cleanup(func() { c.Close() })
	return n
}

// waitMsg waits for a message equal to want (other messages are skipped).
func (n *notifyListener) waitMsg(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m, ok := <-n.msgs:
			if !ok {
				t.Fatalf("notify socket closed before %q", want)
			}
			if m == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %q from the daemon", want)
		}
	}
}

func cliRun(t *testing.T, sock string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "litsigner"), args...)
	cmd.Env = append(os.Environ(), cli.SocketEnv+"="+sock)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("litsigner %v: %v", args, err)
	}
	if code != 0 {
		t.Logf("litsigner %v: exit %d, stderr: %s", args, code, errb.String())
	}
	return out.String(), code
}

// startDevDaemon starts the built litsignerd --dev (random devnet ports) on
// a socket in a fresh directory and waits for READY=1.
func startDevDaemon(t *testing.T) (dir, sock string, notify *notifyListener, d *proc) {
	t.Helper()
	dir = shortDir(t)
	sock = filepath.Join(dir, "rpc.sock")
	notify = newNotifyListener(t, dir)
	cmd := exec.Command(filepath.Join(binDir, "litsignerd"), "--dev", "--dev-port", "0", "--socket", sock, "--notifications=false")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+notify.path, "XDG_CONFIG_HOME="+dir)
	d = startProc(t, cmd)
	notify.waitMsg(t, "READY=1")
	return dir, sock, notify, d
}

// TestDaemonProcessEndToEnd runs the built binaries: litsignerd --dev, then
// litsigner status/exec; the signature recovers to the PKP; SIGTERM makes
// the daemon send STOPPING=1 and exit 0.
func TestDaemonProcessEndToEnd(t *testing.T) {
	_, sock, notify, d := startDevDaemon(t)

	limits, err := os.ReadFile(filepath.Join("/proc", itoa(d.cmd.Process.Pid), "limits"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexpCoreZero(string(limits)) {
		t.Fatalf("RLIMIT_CORE not 0:\n%s", limits)
	}

	out, code := cliRun(t, sock, "status", "--json")
	if code != 0 {
		t.Fatalf("status exit %d", code)
	}
	var st cli.StatusResult
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Network.PKPs) == 0 {
		t.Fatalf("status %q: %v", out, err)
	}
	pkp := st.Network.PKPs[0]

	seed, err := filepath.Abs("../../daemon/testdata/sign-hello.js")
	if err != nil {
		t.Fatal(err)
	}
	out, code = cliRun(t, sock, "exec", seed, "--param", "toSign=0x48656c6c6f20576f726c64", "--param", "sigName=sig1",
		"--param", "publicKey="+pkp.PublicKey, "--json")
	if code != 0 {
		t.Fatalf("exec exit %d", code)
	}
	var res lit.ExecuteJSResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("exec output %q: %v", out, err)
	}
	sig, _ := hex.DecodeString(strings.TrimPrefix(res.Signatures["sig1"].Signature, "0x"))
	if len(sig) != 65 {
		t.Fatalf("signature %q", res.Signatures["sig1"].Signature)
	}
	sig[64] -= 27
	hash := common.LeftPadBytes([]byte("Hello World"), 32)
	pub, err := crypto.SigToPub(hash, sig)
	if err != nil || crypto.PubkeyToAddress(*pub) != common.HexToAddress(pkp.EthAddress) {
		t.Fatalf("signature does not recover to %s: %v", pkp.EthAddress, err)
	}
	if !strings.Contains(d.logs.String(), "wants you to sign in with your Ethereum account") {
		t.Fatal("the daemon did not log the SIWE text the emulated Ledger showed")
	}

	// An action error maps to exit code 6.
	if _, code := cliRun(t, sock, "exec", seed, "--param", "toSign=0x01", "--param", "sigName=s", "--param", "publicKey=04ab"); code != rpcapi.ExitAction {
		t.Fatalf("bad publicKey: exit %d, want %d", code, rpcapi.ExitAction)
	}

	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	notify.waitMsg(t, "STOPPING=1")
	d.waitExit(t)
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
	// Without a daemon the CLI says so with exit code 5.
	if _, code := cliRun(t, sock, "status"); code != rpcapi.ExitDaemon {
		t.Fatalf("status without daemon: exit %d, want %d", code, rpcapi.ExitDaemon)
	}
}

// TestDaemonProcessSIGTERMDuringCall stops the daemon while a call is
// running at the nodes (an action that never ends): the caller gets
// "shutting down" (exit code 5), the daemon sends STOPPING=1, wipes the key
// and exits 0 well before the action's own time limit.
func TestDaemonProcessSIGTERMDuringCall(t *testing.T) {
	dir, sock, notify, d := startDevDaemon(t)

	forever := filepath.Join(dir, "forever.js")
	if err := os.WriteFile(forever, []byte("while (true) {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	call := exec.Command(filepath.Join(binDir, "litsigner"), "exec", forever, "--timeout", "60s")
	call.Env = append(os.Environ(), cli.SocketEnv+"="+sock)
	var callErr bytes.Buffer
	call.Stderr = &callErr
	if err := call.Start(); err != nil {
		t.Fatal(err)
	}
	callDone := make(chan error, 1)
	go func() { callDone <- call.Wait() }()
	t.Cleanup(func() {
		_ = call.Process.Kill()
		select {
		case <-callDone:
		case <-time.After(5 * time.Second):
		}
	})

	// The session is approved inside the exec call, which then goes on to
	// the nodes: from here on the call is in flight.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(d.logs.String(), "session approved") {
		if time.Now().After(deadline) {
			t.Fatal("the exec call never got its session approved")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	notify.waitMsg(t, "STOPPING=1")
	d.waitExit(t)
	if !strings.Contains(d.logs.String(), "session key wiped") {
		t.Fatalf("the daemon did not report the key wiped:\n%s", d.logs.String())
	}
	select {
	case err := <-callDone:
		callDone <- err
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != rpcapi.ExitDaemon {
			t.Fatalf("exec during stop: %v (stderr %q), want exit code %d", err, callErr.String(), rpcapi.ExitDaemon)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the exec call did not end when the daemon stopped")
	}
	// The devnet's action limit is 10 s: the stop cancelled the call, it did
	// not wait for the action to time out.
	if waited := time.Since(stopped); waited >= 10*time.Second {
		t.Fatalf("stop took %v: the running call was not cancelled", waited)
	}
}

func regexpCoreZero(limits string) bool {
	for _, l := range strings.Split(limits, "\n") {
		if strings.HasPrefix(l, "Max core file size") {
			f := strings.Fields(strings.TrimPrefix(l, "Max core file size"))
			return len(f) >= 2 && f[0] == "0" && f[1] == "0"
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDaemonFlags(t *testing.T) {
	dir := shortDir(t)
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"sesionTtl": "1h"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--version"}, 0, "litsignerd "},
		{[]string{"--help"}, 0, "usage: litsignerd"},
		{[]string{"--config", bad}, 2, `"sesionTtl": unknown key`},
		{[]string{"--ttl", "5s"}, 2, `"sessionTtl"`},
		{[]string{"--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"--network", "naga", "--attestation-roots", "/nonexistent/roots.pem"}, 2, `"attestationRoots": test roots replace AMD's and are accepted with network naga-local only`},
		{[]string{"--network", "naga-local", "--require-attestation", "--attestation-roots", "/nonexistent/roots.pem"}, 2, `"attestationRoots"`},
		{[]string{"--network", "localhost", "--require-attestation"}, 2, `"requireAttestation"`},
		{[]string{"--network", "naga-dev", "--max-price", "much"}, 2, `"maxPrice"`},
		{[]string{"--network", "naga-dev", "--rpc-url", "nowhere"}, 2, `"rpcUrl"`},
		{[]string{"--network", "v3"}, 2, "naga-local"},
	}
	for _, tt := range tests {
		cmd := exec.Command(filepath.Join(binDir, "litsignerd"), tt.args...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != tt.code || !strings.Contains(string(out), tt.want) {
			t.Errorf("litsignerd %v: exit %d, output %q; want %d and %q", tt.args, code, out, tt.code, tt.want)
		}
	}
}

// proc is a started process whose stderr is captured.
type proc struct {
	cmd    *exec.Cmd
	logs   syncBuffer
	exited chan error // receives cmd.Wait's result once; put back after reading
}

// startProc starts cmd with its stderr captured. Cleanup kills it, waits for
// it and, if the test failed, logs its stderr.
func startProc(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, exited: make(chan error, 1)}
	cmd.Stderr = &p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("daemon log:\n%s", p.logs.String())
		}
	})
	return p
}

// waitExit fails t unless the process exits with status 0 within 15 s.
func (p *proc) waitExit(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.exited:
		p.exited <- err
		if err != nil {
			t.Fatalf("daemon exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("daemon did not exit after SIGTERM")
	}
}

// syncBuffer is a bytes.Buffer safe for the exec copier and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSocketActivation runs litsignerd under Debian's systemd-socket-activate,
// which binds the socket and execs the daemon on the first connection with
// the socket as fd 3 (LISTEN_FDS, LISTEN_FDNAMES=rpc).
func TestSocketActivation(t *testing.T) {
	sa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-socket-activate not installed (apt-get install systemd)")
		}
		t.Skip("systemd-socket-activate not installed (apt-get install systemd)")
	}
	dir := shortDir(t)
	sock := filepath.Join(dir, "rpc.sock")
	notify := newNotifyListener(t, dir)
	d := startProc(t, exec.Command(sa, "-l", sock, "--fdname=rpc", "-E", "NOTIFY_SOCKET="+notify.path, "-E", "XDG_CONFIG_HOME="+dir,
		filepath.Join(binDir, "litsignerd"), "--dev", "--dev-port", "0", "--notifications=false"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("systemd-socket-activate did not create the socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The first connection starts the daemon; the CLI waits in the backlog.
	out, code := cliRun(t, sock, "status", "--json")
	if code != 0 {
		t.Fatalf("status exit %d", code)
	}
	var st cli.StatusResult
	if err := json.Unmarshal([]byte(out), &st); err != nil || !st.Network.Dev {
		t.Fatalf("status %q: %v", out, err)
	}
	notify.waitMsg(t, "READY=1")
	if !strings.Contains(d.logs.String(), "using the socket passed by systemd") {
		t.Fatal("the daemon did not use the activated socket")
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	d.waitExit(t)
}
