package packaging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// notifyListener is a fake NOTIFY_SOCKET: it records every datagram the
// daemon sends.
type notifyListener struct {
	conn *net.UnixConn
	mu   sync.Mutex
	msgs []string
	done chan struct{}
}

func listenNotify(t *testing.T, path string) *notifyListener {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("notify socket: %v", err)
	}
	n := &notifyListener{conn: c, done: make(chan struct{})}
	go func() {
		defer close(n.done)
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return // closed by the test
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, strings.Split(strings.TrimSpace(string(buf[:k])), "\n")...)
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-n.done })
	return n
}

// waitFor waits until the daemon has sent a line with the given prefix.
func (n *notifyListener) waitFor(prefix string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		n.mu.Lock()
		for _, m := range n.msgs {
			if strings.HasPrefix(m, prefix) {
				n.mu.Unlock()
				return true
			}
		}
		n.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func (n *notifyListener) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// lockedBuffer collects the daemon's stderr for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPackagedDaemonSocketActivation starts the litsignerd of the .deb the
// way litsignerd.socket does (listening socket passed as fd 3 named "rpc",
// NOTIFY_SOCKET, WATCHDOG_USEC), in --dev mode so that no hardware or
// network beyond loopback is involved, and checks that it answers
// lit_sessionStatus on that socket, reports READY=1 and watchdog pings, and
// stops cleanly on SIGTERM (what systemctl stop sends) within the unit's
// TimeoutStopSec.
func TestPackagedDaemonSocketActivation(t *testing.T) {
	activate := requireTool(t, "systemd-socket-activate", "systemd")
	d := builtDeb(t)

	dir := t.TempDir()
	runtimeDir := filepath.Join(dir, "run")
	home := filepath.Join(dir, "home")
	for _, p := range []string{runtimeDir, home} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// Not the daemon's default path: an answer on it proves the daemon
	// served the passed fd instead of creating its own socket.
	sock := filepath.Join(dir, "activated.sock")
	notify := listenNotify(t, filepath.Join(dir, "notify.sock"))

	args := []string{"-l", sock, "--fdname=rpc"}
	for _, kv := range []string{
		"NOTIFY_SOCKET=" + filepath.Join(dir, "notify.sock"),
		"WATCHDOG_USEC=2000000",
		"XDG_RUNTIME_DIR=" + runtimeDir,
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local/state"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
	} {
		args = append(args, "-E", kv)
	}
	args = append(args, filepath.Join(d.root, "usr/bin/litsignerd"),
		"--dev", "--dev-port=0", "--notifications=false", "--log-level=debug")
	cmd := exec.Command(activate, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("systemd-socket-activate: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
	})
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nnotifications: %q\ndaemon output:\n%s", append(args, notify.all(), stderr.String())...)
	}

	// systemd-socket-activate binds first and starts the daemon on the
	// first connection, like the socket unit.
	var conn net.Conn
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		conn, err = net.DialTimeout("unix", sock, time.Second)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			fail("connecting to the activated socket: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := conn.Write([]byte(`{"jsonrpc":"2.0","id":7,"method":"lit_sessionStatus","params":[]}` + "\n")); err != nil {
		fail("sending lit_sessionStatus: %v", err)
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		fail("reading the lit_sessionStatus reply: %v (got %q)", err, line)
	}
	var reply struct {
		ID     int             `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(line, &reply); err != nil {
		fail("lit_sessionStatus reply %q: %v", line, err)
	}
	var status map[string]any
	if reply.ID != 7 || reply.Error != nil || json.Unmarshal(reply.Result, &status) != nil {
		fail("lit_sessionStatus reply %s, want a result object for id 7", line)
	}
	if s, ok := status["state"].(string); !ok || s == "" {
		fail("lit_sessionStatus result %s has no state", reply.Result)
	}
	t.Logf("lit_sessionStatus: %s", reply.Result)

	if !notify.waitFor("READY=1", 10*time.Second) {
		fail("no READY=1 on NOTIFY_SOCKET")
	}
	// WatchdogSec= is only safe if the daemon pings: at WATCHDOG_USEC/2.
	if !notify.waitFor("WATCHDOG=1", 5*time.Second) {
		fail("no WATCHDOG=1 within 5 s with WATCHDOG_USEC=2s")
	}
	if _, err := os.Stat(filepath.Join(runtimeDir, "litsigner")); !os.IsNotExist(err) {
		fail("the daemon created its own socket directory under XDG_RUNTIME_DIR instead of using the passed fd (stat: %v)", err)
	}

	// systemctl stop: SIGTERM, then SIGKILL after TimeoutStopSec=10s.
	conn.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		fail("SIGTERM: %v", err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			fail("litsignerd exited with %v after SIGTERM, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		fail("litsignerd still running 10 s after SIGTERM (TimeoutStopSec=10s)")
	}
	if !notify.waitFor("STOPPING=1", time.Second) {
		fail("no STOPPING=1 on NOTIFY_SOCKET before exit")
	}
}
