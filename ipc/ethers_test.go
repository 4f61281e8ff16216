package ipc

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEthersIpcSocketProvider drives ethers v6's IpcSocketProvider
// (ethers-check/check.mjs) against a server. It needs node and
// `npm ci` in ipc/ethers-check; CI sets LITSIGNER_ETHERS_CHECK=1.
func TestEthersIpcSocketProvider(t *testing.T) {
	if os.Getenv("LITSIGNER_ETHERS_CHECK") != "1" {
		t.Skip("set LITSIGNER_ETHERS_CHECK=1 (after `npm ci` in ipc/ethers-check) to run the ethers check")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found in PATH")
	}
	script, err := filepath.Abs(filepath.Join("ethers-check", "check.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("ethers-check", "node_modules", "ethers", "package.json")); err != nil {
		t.Skip("ethers not installed: run `npm ci` in ipc/ethers-check")
	}
	ts := startServer(t, ServerOptions{Version: "e2e"})

	tests := []struct {
		name     string
		args     []string
		wantCode int
		check    func(t *testing.T, stdout, stderr string)
	}{
		{"network and session status", []string{ts.path}, 0, func(t *testing.T, stdout, _ string) {
			var out struct {
				ChainID       string         `json:"chainId"`
				ClientVersion string         `json:"clientVersion"`
				SessionStatus map[string]any `json:"sessionStatus"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("stdout %q: %v", stdout, err)
			}
			if out.ChainID != "175177" || out.ClientVersion != "litsigner/e2e" || out.SessionStatus["state"] != "none" {
				t.Fatalf("output = %+v", out)
			}
		}},
		{"executeJs", []string{ts.path, "--execute-js", `{"code":"x","jsParams":{"a":1}}`}, 0, func(t *testing.T, stdout, _ string) {
			var out struct {
				ExecuteJs struct {
					Response map[string]any `json:"response"`
				} `json:"executeJs"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("stdout %q: %v", stdout, err)
			}
			if out.ExecuteJs.Response["a"] != float64(1) {
				t.Fatalf("executeJs = %+v", out.ExecuteJs)
			}
		}},
		{"server error reaches ethers", []string{ts.path, "--execute-js", `{"fail":true}`}, 1, func(t *testing.T, _, stderr string) {
			if !strings.Contains(stderr, `"rpcCode":4000`) || !strings.Contains(stderr, "action failed") {
				t.Fatalf("stderr = %s", stderr)
			}
		}},
		{"no socket", []string{filepath.Join(filepath.Dir(ts.path), "missing.sock"), "--timeout", "10000"}, 1, func(t *testing.T, _, stderr string) {
			if !strings.Contains(stderr, "ENOENT") {
				t.Fatalf("stderr = %s", stderr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, append([]string{script}, tt.args...)...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			tt.check(t, stdout.String(), stderr.String())
		})
	}
}

// TestEthersV5IpcProvider drives ethers v5's IpcProvider
// (ethers-check/check-v5.mjs, ethers 5.8.0 installed as "ethers5"), which
// half-closes each connection after its request: network detection through
// eth_chainId, lit_sessionStatus and lit_executeJs all get their replies.
func TestEthersV5IpcProvider(t *testing.T) {
	if os.Getenv("LITSIGNER_ETHERS_CHECK") != "1" {
		t.Skip("set LITSIGNER_ETHERS_CHECK=1 (after `npm ci` in ipc/ethers-check) to run the ethers check")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found in PATH")
	}
	script, err := filepath.Abs(filepath.Join("ethers-check", "check-v5.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("ethers-check", "node_modules", "ethers5", "package.json")); err != nil {
		t.Skip("ethers v5 not installed: run `npm ci` in ipc/ethers-check")
	}
	ts := startServer(t, ServerOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, ts.path, "--execute-js", `{"code":"x","jsParams":{"a":1}}`)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check-v5.mjs: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	var got struct {
		EthersVersion string         `json:"ethersVersion"`
		ChainID       string         `json:"chainId"`
		SessionStatus map[string]any `json:"sessionStatus"`
		ExecuteJs     struct {
			Response map[string]any `json:"response"`
		} `json:"executeJs"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if !strings.HasPrefix(got.EthersVersion, "ethers/5.") || got.ChainID != "175177" || got.SessionStatus["state"] != "none" || got.ExecuteJs.Response["a"] != float64(1) {
		t.Fatalf("ethers v5 saw %s", out)
	}
}
