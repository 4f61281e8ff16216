package ipc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests in this file run a copy of the test binary as a child process
// (another uid, or socket activation). The child runs TestHelperProcess with
// IPC_HELPER set to its mode.

const helperEnv = "IPC_HELPER"

// helperResult is what the child prints as one JSON line on stdout.
type helperResult struct {
	Line        string `json:"line,omitempty"`
	Err         string `json:"err,omitempty"`
	Unreachable bool   `json:"unreachable,omitempty"`
	Peer        *Peer  `json:"peer,omitempty"`
	Activated   bool   `json:"activated,omitempty"`
	SocketKept  bool   `json:"socketKept,omitempty"`
	Foreign     bool   `json:"foreign,omitempty"`
}

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper for child processes only")
	}
	var res helperResult
	switch mode {
	case "raw":
		res = helperRaw(os.Getenv("IPC_HELPER_SOCKET"))
	case "client":
		res = helperClient(os.Getenv("IPC_HELPER_SOCKET"))
	case "default-client":
		res = helperClient("")
	case "activated":
		res = helperActivated()
	default:
		res.Err = "unknown mode " + mode
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

func helperRaw(path string) helperResult {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return helperResult{Err: err.Error()}
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return helperResult{Err: err.Error(), Line: line}
	}
	return helperResult{Line: strings.TrimSuffix(line, "\n")}
}

func helperClient(path string) helperResult {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, path)
	if err != nil {
		return helperResult{Err: err.Error(), Unreachable: errors.Is(err, ErrDaemonUnreachable), Foreign: errors.Is(err, ErrForeignDaemon)}
	}
	defer c.Close()
	var p Peer
	if err := c.Call(ctx, &p, "test_peer"); err != nil {
		return helperResult{Err: err.Error(), Unreachable: errors.Is(err, ErrDaemonUnreachable)}
	}
	return helperResult{Peer: &p}
}

// helperActivated serves the activated socket until stdin closes.
func helperActivated() helperResult {
	l, ok, err := ActivationListener()
	if err != nil || !ok {
		return helperResult{Err: fmt.Sprintf("ActivationListener: ok=%v err=%v", ok, err)}
	}
	path := l.Addr().String()
	srv := NewServer(ServerOptions{})
	if err := srv.RegisterName("test", newTestService()); err != nil {
		return helperResult{Err: err.Error()}
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return helperResult{Err: err.Error()}
	}
	<-served
	_, statErr := os.Lstat(path)
	return helperResult{Activated: true, SocketKept: statErr == nil}
}

// helperBinary copies the test binary where any uid can run it.
func helperBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := shortDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "ipc.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// runHelper runs cmd (a helper) with a 20 s bound and decodes its result.
func runHelper(t *testing.T, cmd *exec.Cmd) helperResult {
	t.Helper()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	for line := range strings.Lines(string(out)) {
		var res helperResult
		if json.Unmarshal([]byte(line), &res) == nil && strings.HasPrefix(line, "{") {
			return res
		}
	}
	t.Fatalf("helper printed no result: %s", out)
	return helperResult{}
}
