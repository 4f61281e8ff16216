package ipc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOtherUIDRefused runs a child as uid 65534 against servers with and
// without that uid in AllowedUIDs.
func TestOtherUIDRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a child process as another uid")
	}
	const nobody = 65534
	bin := helperBinary(t)
	refusal := fmt.Sprintf("connection refused: peer uid %d is not allowed (only uid %d and configured allowed-uids)", nobody, os.Geteuid())
	tests := []struct {
		name    string
		allowed []int
		mode    string
		check   func(t *testing.T, r helperResult)
	}{
		{"refusal line", nil, "raw", func(t *testing.T, r helperResult) {
			var resp rpcResponse
			if err := json.Unmarshal([]byte(r.Line), &resp); err != nil {
				t.Fatalf("line %q: %v (child err %s)", r.Line, err, r.Err)
			}
			if string(resp.ID) != "null" || resp.Error == nil || resp.Error.Code != CodeConnectionRefused || resp.Error.Message != refusal {
				t.Fatalf("line = %s", r.Line)
			}
		}},
		{"client sees the reason", nil, "client", func(t *testing.T, r helperResult) {
			if !r.Unreachable || r.Err != refusal {
				t.Fatalf("client result = %+v, want unreachable with %q", r, refusal)
			}
		}},
		{"allowed uid is served", []int{nobody}, "client", func(t *testing.T, r helperResult) {
			if r.Err != "" || r.Peer == nil {
				t.Fatalf("client result = %+v", r)
			}
			if r.Peer.UID != nobody || r.Peer.GID != nobody || r.Peer.PID <= 0 {
				t.Fatalf("peer = %+v, want uid/gid %d", *r.Peer, nobody)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A socket any uid can reach, so that the peer check is what
			// decides (Listen would make it unreachable for other uids).
			dir := shortDir(t)
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "s.sock")
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o666); err != nil {
				t.Fatal(err)
			}
			serveOn(t, l, path, ServerOptions{AllowedUIDs: tt.allowed})

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), helperEnv+"="+tt.mode, "IPC_HELPER_SOCKET="+path)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
			tt.check(t, runHelper(t, cmd))
		})
	}
}

// TestDefaultPathRefusesForeignDaemon: a client using the default socket
// path (here under XDG_RUNTIME_DIR) refuses a daemon of another uid, even one
// that would serve it, so a planted socket cannot collect its actions.
func TestDefaultPathRefusesForeignDaemon(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a child process as another uid")
	}
	const nobody = 65534
	bin := helperBinary(t)
	runtimeDir := shortDir(t)
	sockDir := filepath.Join(runtimeDir, "litsigner")
	if err := os.Mkdir(sockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(runtimeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sockDir, "litsigner.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	serveOn(t, l, path, ServerOptions{AllowedUIDs: []int{nobody}})

	for _, tt := range []struct {
		mode        string
		wantForeign bool
	}{
		{"default-client", true},
		{"client", false}, // the same socket named explicitly: served
	} {
		t.Run(tt.mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), helperEnv+"="+tt.mode, "IPC_HELPER_SOCKET="+path, "XDG_RUNTIME_DIR="+runtimeDir)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
			r := runHelper(t, cmd)
			if r.Foreign != tt.wantForeign {
				t.Fatalf("child result = %+v, want foreign=%v", r, tt.wantForeign)
			}
			if !tt.wantForeign && (r.Err != "" || r.Peer == nil) {
				t.Fatalf("explicit path not served: %+v", r)
			}
		})
	}
}

// TestActivatedListener passes a listening socket to a child the way
// systemd does (fd 3, LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES) and talks to the
// server the child runs on it.
func TestActivatedListener(t *testing.T) {
	bin := helperBinary(t)
	path := filepath.Join(shortDir(t), "rpc.sock")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	// Our copy must not unlink the path when closed: the child serves it.
	ul.SetUnlinkOnClose(false)
	f, err := ul.File()
	ul.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defer os.Remove(path)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// sh's $$ is the pid the helper keeps after exec.
	cmd := exec.CommandContext(ctx, "sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=rpc exec "$0" -test.run='^TestHelperProcess$'`, bin)
	cmd.Env = append(os.Environ(), helperEnv+"=activated")
	cmd.ExtraFiles = []*os.File{f}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	resc := make(chan helperResult, 1)
	go func() { resc <- runHelperNoFatal(cmd) }()

	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	c, err := Dial(cctx, path)
	if err != nil {
		stdin.Close()
		t.Fatalf("dial activated socket: %v", err)
	}
	var v string
	callErr := c.Call(cctx, &v, "test_echo", "activated")
	c.Close()
	stdin.Close()
	res := <-resc
	if callErr != nil || v != "activated" {
		t.Fatalf("test_echo = %q, %v", v, callErr)
	}
	if res.Err != "" || !res.Activated || !res.SocketKept {
		t.Fatalf("child = %+v, want activated and the socket file kept", res)
	}
}

func runHelperNoFatal(cmd *exec.Cmd) helperResult {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return helperResult{Err: fmt.Sprintf("%v: %s %s", err, out, stderr.String())}
	}
	for line := range strings.Lines(string(out)) {
		var res helperResult
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &res) == nil {
			return res
		}
	}
	return helperResult{Err: errors.New("no result").Error() + ": " + string(out)}
}

// TestSystemdSocketActivate runs the helper under systemd's own
// systemd-socket-activate (Debian package systemd), which binds the socket,
// names the fd "rpc" and execs the helper on the first connection.
func TestSystemdSocketActivate(t *testing.T) {
	tool, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate not installed")
	}
	bin := helperBinary(t)
	path := filepath.Join(shortDir(t), "rpc.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, "-l", path, "--fdname=rpc", "-E", helperEnv+"=activated", bin, "-test.run=^TestHelperProcess$")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		stdin.Close()
		cancel()
		<-exited
	}()

	// The tool binds before it is ready for us; retry until it listens.
	var c *Client
	for c == nil {
		dctx, dcancel := context.WithTimeout(ctx, time.Second)
		c, err = Dial(dctx, path)
		dcancel()
		if err != nil {
			select {
			case <-ctx.Done():
				t.Fatalf("dial %s: %v (stderr: %s)", path, err, stderr.String())
			case err := <-exited:
				t.Fatalf("systemd-socket-activate exited: %v (stderr: %s)", err, stderr.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	var v string
	callErr := c.Call(ctx, &v, "test_echo", "via systemd")
	c.Close()
	if callErr != nil || v != "via systemd" {
		t.Fatalf("test_echo = %q, %v (stderr: %s)", v, callErr, stderr.String())
	}
	stdin.Close()
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("helper: %v (stderr: %s)", err, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("helper did not exit after stdin closed")
	}
	var res helperResult
	if err := json.Unmarshal([]byte(strings.TrimSpace(lastLine(stdout.String()))), &res); err != nil || !res.Activated || res.Err != "" {
		t.Fatalf("helper result %q: %v", stdout.String(), err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "{") {
			return lines[i]
		}
	}
	return ""
}
