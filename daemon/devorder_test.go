package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/ipc"
)

// TestDevChecksBeforeDevnet: with --dev, the socket and the threshold are
// checked before the devnet starts. Each case also takes the devnet's
// first port, so a devnet started first would fail on that instead; and a
// devnet port in use suggests --dev-port 0.
func TestDevChecksBeforeDevnet(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name   string
		mutate func(t *testing.T, cfg *Config)
		want   string
	}{
		{"socket directory 0755", func(t *testing.T, cfg *Config) {
			dir := filepath.Join(shortTempDir(t), "open")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			cfg.Socket = filepath.Join(dir, "rpc.sock")
		}, "chmod 700"},
		{"socket in use", func(t *testing.T, cfg *Config) {
			l, err := net.Listen("unix", cfg.Socket)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, ipc.ErrAlreadyRunning.Error()},
		{"threshold above the devnet's nodes", func(t *testing.T, cfg *Config) { cfg.Threshold = 11 }, `"threshold": must be at most the --dev devnet's 3 nodes, got 11`},
		{"devnet port in use", func(t *testing.T, cfg *Config) {}, "--dev-port 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := devConfig(t)
			cfg.DevPort = busyPort
			tt.mutate(t, &cfg)
			d, err := New(context.Background(), cfg, Options{DevNodes: 3, SkipHardening: true, Log: testLogger(t)})
			if err == nil {
				d.closeResources()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want %q", err, tt.want)
			}
		})
	}
}
