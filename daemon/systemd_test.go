package daemon

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/lit"
)

// notifySocket is a fake NOTIFY_SOCKET: a unixgram listener in a temp dir.
type notifySocket struct {
	conn *net.UnixConn
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return &notifySocket{conn: c}
}

// next returns the next datagram or "" after timeout.
func (s *notifySocket) next(timeout time.Duration) string {
	buf := make([]byte, 4096)
	_ = s.conn.SetReadDeadline(time.Now().Add(timeout))
	n, _, err := s.conn.ReadFromUnix(buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

func TestNotifier(t *testing.T) {
	ns := newNotifySocket(t)
	n := newSDNotifier(slog.New(slog.NewTextHandler(io.Discard, nil)))
	n.Ready()
	n.Status("session active until %s", "noon")
	n.Watchdog()
	n.Stopping()
	for _, want := range []string{"READY=1", "STATUS=session active until noon", "WATCHDOG=1", "STOPPING=1"} {
		if got := ns.next(time.Second); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestWatchdogInterval(t *testing.T) {
	n := newSDNotifier(slog.New(slog.NewTextHandler(io.Discard, nil)))
	tests := []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"30000000", strconv.Itoa(os.Getpid()), 15 * time.Second},
		{"30000000", "1", 0},
	}
	for _, tt := range tests {
		t.Setenv("WATCHDOG_USEC", tt.usec)
		t.Setenv("WATCHDOG_PID", tt.pid)
		if got := n.WatchdogInterval(); got != tt.want {
			t.Errorf("WATCHDOG_USEC=%q PID=%q: got %v, want %v", tt.usec, tt.pid, got, tt.want)
		}
	}
}

// TestDaemonNotifiesSystemd: READY=1 once listening, STATUS lines for the
// approval and the session, watchdog pings at half WATCHDOG_USEC, and
// STOPPING=1 on stop.
func TestDaemonNotifiesSystemd(t *testing.T) {
	ns := newNotifySocket(t)
	t.Setenv("WATCHDOG_USEC", "200000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	var got []string
	expect := func(prefix string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			m := ns.next(time.Second)
			if m != "" {
				got = append(got, m)
			}
			if strings.HasPrefix(m, prefix) {
				return
			}
		}
		t.Fatalf("no %q; got %q", prefix, got)
	}
	expect("READY=1")
	expect("WATCHDOG=1")
	pkp := networkPKP(t, td)
	var res lit.ExecuteJSResult
	if err := call(t, dial(t, td.sock), &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}); err != nil {
		t.Fatal(err)
	}
	expect("STATUS=waiting for approval on emulator:ledger")
	expect("STATUS=session active until ")
	if err := td.stop(); err != nil {
		t.Fatal(err)
	}
	expect("STOPPING=1")
}
