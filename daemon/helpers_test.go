package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit/devnet"
)

// testDaemon is an in-process litsignerd --dev on random ports and a
// temporary socket.
type testDaemon struct {
	*Daemon
	sock   string
	cancel context.CancelFunc
	done   chan error
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// shortTempDir is a temp dir whose socket paths fit in sun_path.
func shortTempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "lsd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func devConfig(t testing.TB) Config {
	cfg := DefaultConfig()
	cfg.Dev = true
	cfg.DevPort = 0
	off := false
	cfg.Notifications = &off
	cfg.Socket = filepath.Join(shortTempDir(t), "rpc.sock")
	return cfg
}

// startDaemon starts a daemon with cfg (after mutate) and stops it at
// cleanup, failing the test if Run returned an error.
func startDaemon(t testing.TB, cfg Config, opts Options) *testDaemon {
	t.Helper()
	if opts.Log == nil {
		opts.Log = testLogger(t)
	}
	opts.SkipHardening = true
	if opts.Version == "" {
		opts.Version = "test"
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := New(ctx, cfg, opts)
	if err != nil {
		cancel()
		t.Fatalf("New: %v", err)
	}
	td := &testDaemon{Daemon: d, sock: d.socketPath(), cancel: cancel, done: make(chan error, 1)}
	go func() { td.done <- d.Run(ctx) }()
	t.Cleanup(func() {
		if err := td.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return td
}

// stop cancels Run and waits for it (bounded).
func (td *testDaemon) stop() error {
	td.cancel()
	select {
	case err := <-td.done:
		td.done <- err // later stops see the same result
		return err
	case <-time.After(15 * time.Second):
		return errors.New("daemon did not stop within 15s")
	}
}

func dial(t testing.TB, sock string) *ipc.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := ipc.Dial(ctx, sock)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// call does one JSON-RPC call with a 30 s bound.
func call(t testing.TB, c *ipc.Client, result any, method string, args ...any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Call(ctx, result, method, args...)
}

func codeOf(err error) int {
	var ie *ipc.Error
	if errors.As(err, &ie) {
		return ie.Code
	}
	return 0
}

func readSeed(t testing.TB) string {
	b, err := os.ReadFile("testdata/sign-hello.js")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// helloParams are the seed's jsParams for the devnet's first PKP.
func helloParams(pub string) map[string]any {
	return map[string]any{
		"toSign":    byteArray([]byte("Hello World")),
		"publicKey": pub,
		"sigName":   "sig1",
	}
}

// byteArray is b as a JSON array of numbers (the SDK's Uint8Array form);
// a []byte would be encoded as base64.
func byteArray(b []byte) []int {
	out := make([]int, len(b))
	for i, v := range b {
		out[i] = int(v)
	}
	return out
}

// socketPath is the socket the daemon serves.
func (d *Daemon) socketPath() string { return d.socket }

// inProcessDevnet is the in-process devnet (nil without --dev, or when it
// runs in a child process).
func (d *Daemon) inProcessDevnet() *devnet.Network {
	n, _ := d.devnet.(*devnet.Network)
	return n
}

// devBehaviour scripts the emulated Ledger of --dev and counts its prompts
// (nil otherwise).
func (d *Daemon) devBehaviour() *emulator.Behaviour { return d.devB }
