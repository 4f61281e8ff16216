package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/ipc"
)

// TestPeerOfAnotherUID checks the daemon's allowedUids wiring: a client
// running as another user is refused unless its uid is allowed. It needs
// root to run the client as nobody (65534).
func TestPeerOfAnotherUID(t *testing.T) {
	if sock := os.Getenv("LITSIGNERD_PEER_CHILD"); sock != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := ipc.Dial(ctx, sock)
		if err != nil {
			fmt.Println("dial:", err)
			return
		}
		defer c.Close()
		var st rpcapi.SessionStatus
		err = c.Call(ctx, &st, "lit_sessionStatus")
		fmt.Printf("uid=%d err=%v state=%s\n", os.Getuid(), err, st.State)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another uid")
	}
	// A world-readable copy of the test binary, and a socket others may
	// reach, so that only the daemon's peer check stands in the way.
	dir := shortTempDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "client")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(dst, src)
	src.Close()
	if cerr := dst.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	for _, tt := range []struct {
		allowed []int
		want    string
	}{
		{nil, "not allowed"},
		{[]int{65534}, "err=<nil> state=none"},
	} {
		sock := filepath.Join(dir, fmt.Sprintf("rpc%d.sock", len(tt.allowed)))
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(sock, 0o666); err != nil {
			t.Fatal(err)
		}
		cfg := devConfig(t)
		cfg.AllowedUIDs = tt.allowed
		startDaemon(t, cfg, Options{Listener: l, DevNodes: 1})
		cmd := exec.Command(bin, "-test.run=^TestPeerOfAnotherUID$")
		cmd.Env = append(os.Environ(), "LITSIGNERD_PEER_CHILD="+sock)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		t.Logf("allowed %v: %s", tt.allowed, strings.TrimSpace(string(out)))
		if !strings.Contains(string(out), tt.want) {
			t.Errorf("allowed %v: child said %q, want %q", tt.allowed, out, tt.want)
		}
	}
}
