package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/hub"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet"
)

// devSeed makes the --dev devnet's PKP the same on every run, so a README
// can show its public key.
const devSeed = "litsignerd --dev"

// newWalletHub returns the hardware-wallet hub: USB devices, plus the
// emulators when the configured device is one (e.g. "emulator:ledger"),
// or only the network emulator the configured device names.
func newWalletHub(cfg Config, log *slog.Logger) (*hub.Hub, error) {
	// An emulator on the network (speculos:, trezor-udp:) needs no USB bus,
	// which CI machines often lack.
	h, err := hub.New(hub.Options{Emulators: strings.HasPrefix(cfg.Device, "emulator:"), NoUSB: hub.IsNetworkID(cfg.Device), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("daemon: wallets: %w", err)
	}
	return h, nil
}

// newDevHub is the --dev "hardware": the emulated Ledger (Speculos seed)
// driven through the real Ledger driver, no USB. Its behaviour approves
// everything and logs the text the device displays, standing in for the
// user reading the screen.
func newDevHub(log *slog.Logger) (*hub.Hub, *emulator.Behaviour, error) {
	b := emulator.NewBehaviour()
	b.OnPrompt(func(p emulator.Prompt) {
		log.Info("emulated device shows a prompt and approves it", "title", p.Title, "kind", string(p.Kind), "text", p.Text)
	})
	h, err := hub.New(hub.Options{Emulators: true, NoUSB: true, EmulatorBehaviour: b, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("dev: emulated ledger: %w", err)
	}
	return h, b, nil
}

// devnetChildCommand is the hidden first argument that makes litsignerd the
// --dev devnet's child process (see devnet.StartProcess).
const devnetChildCommand = "__dev-devnet"

// devNetwork is the --dev devnet, in this process or in a child.
type devNetwork interface {
	Announcement() devnet.Announcement
	PKPs() []devnet.PKP
	Close() error
}

// devnetConfig is the --dev devnet for cfg: a Naga devnet (nodes from
// DevPort, its chain on DefaultChainPort, or both on free ports when
// DevPort is 0) for network naga-local, a v2 devnet otherwise.
func devnetConfig(cfg Config, nodes int) devnet.Config {
	dc := devnet.Config{BasePort: cfg.DevPort, Seed: devSeed, Nodes: nodes}
	if cfg.Network == NetworkNagaLocal {
		dc.Protocol = devnet.ProtocolNaga
		// --require-attestation: the nodes attest, and the client trusts
		// the devnet's test roots.
		dc.Attestation = cfg.RequireAttestation
		if cfg.DevPort != 0 {
			dc.ChainPort = devnet.DefaultChainPort
		}
	}
	return dc
}

// startDevnet starts the devnet of --dev (v2 or Naga, as dc says): in a
// child process of this binary when inProcess is false, so that a hostile
// Lit Action can neither crash nor swell the process that holds the
// session key; in this process for tests.
func startDevnet(ctx context.Context, dc devnet.Config, inProcess bool, log *slog.Logger) (devNetwork, error) {
	var n devNetwork
	var err error
	if inProcess {
		n, err = devnet.Start(ctx, dc)
	} else {
		var exe string
		if exe, err = os.Executable(); err == nil {
			n, err = devnet.StartProcess(ctx, devnet.ProcessOptions{Command: []string{exe, devnetChildCommand}, Config: dc, Log: log})
		}
	}
	if err != nil {
		if dc.BasePort != 0 && (errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use")) {
			// The child process reports its error as text.
			err = fmt.Errorf("%w (--dev-port 0 picks free ports)", err)
		}
		if dc.Protocol == devnet.ProtocolNaga {
			return nil, fmt.Errorf("dev: Naga devnet on port %d, chain on port %d: %w", dc.BasePort, dc.ChainPort, err)
		}
		return nil, fmt.Errorf("dev: devnet on port %d: %w", dc.BasePort, err)
	}
	return n, nil
}

// endpoints is where n listens.
func endpoints(n devNetwork) *devnetEndpoints {
	a := n.Announcement()
	return &devnetEndpoints{NodeURLs: a.Nodes, Threshold: a.Threshold, Chain: a.Chain, AttestationRoots: a.AttestationRoots}
}

// runDevnetChild is litsignerd as the --dev devnet's child process.
func runDevnetChild(stderr io.Writer) int {
	if err := devnet.RunChild(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(stderr, "litsignerd: %v\n", err) // err says "devnet child: ..."
		return ExitFailed
	}
	return ExitOK
}

// devnetRestartWait bounds how long a call waits for the --dev devnet's
// child process to come back after it died.
const devnetRestartWait = 10 * time.Second

// restartingDevnet is a --dev devnet that can be between two child
// processes (*devnet.Process).
type restartingDevnet interface {
	WaitUp(ctx context.Context) error
}

// devnetExecutor holds each call while the --dev devnet's child process is
// restarting (an action killed it: see devnet.StartProcess), for at most
// devnetRestartWait, so that calls made then wait ~100 ms for it instead of
// failing at once with "connection refused" from every node.
type devnetExecutor struct {
	executor
	net restartingDevnet
}

// ExecuteJS waits for the devnet, then runs the call.
func (e devnetExecutor) ExecuteJS(ctx context.Context, s *lit.Session, req lit.ExecuteJSRequest) (*lit.ExecuteJSResult, error) {
	wait, cancel := context.WithTimeout(ctx, devnetRestartWait)
	// A devnet still down after the wait (or closed) fails the call
	// below, with the nodes' errors.
	_ = e.net.WaitUp(wait)
	cancel()
	return e.executor.ExecuteJS(ctx, s, req)
}

// callExecutor is what runs lit_executeJs: the client, held while a --dev
// devnet process restarts.
func (d *Daemon) callExecutor() executor {
	if n, ok := d.devnet.(restartingDevnet); ok {
		return devnetExecutor{executor: d.client, net: n}
	}
	return d.client
}
