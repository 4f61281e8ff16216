// Package daemon is litsignerd: it serves the JSON-RPC API (lit_*,
// wallet_*) on a Unix socket, keeps one hardware-wallet-approved Lit session
// whose key lives in locked memory, and handles the systemd side (socket
// activation, sd_notify, watchdog, journald), the audit log and desktop
// notifications. Main is the whole program; New and Run let tests drive an
// in-process daemon.
package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/daemon/securemem"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/hub"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet"
)

// DefaultStopTimeout bounds a graceful stop: in-flight calls are cancelled
// and have this long to return before the key is wiped anyway.
const DefaultStopTimeout = 5 * time.Second

// Options are the daemon's inputs besides Config.
type Options struct {
	// Version is reported by --version and web3_clientVersion.
	Version string
	// Log is the logger (default: newLogger on stderr at cfg.LogLevel).
	Log *slog.Logger
	// Listener, when set, is served instead of the activation socket or
	// cfg.Socket (tests).
	Listener net.Listener
	// Wallets overrides the hardware wallets (tests; --dev uses an
	// emulated Ledger).
	Wallets WalletOpener
	// StopTimeout bounds graceful stop (default DefaultStopTimeout).
	StopTimeout time.Duration
	// DevNodes overrides the --dev devnet's node count (default 10; tests
	// use fewer to stay fast).
	DevNodes int
	// DevnetProcess runs the --dev devnet as a child process of this
	// binary, whose main must be Main (litsignerd does this; tests run it
	// in-process).
	DevnetProcess bool
	// SkipHardening leaves the process dumpable (tests that run many
	// daemons in one process harden it once themselves).
	SkipHardening bool
}

// Daemon is a configured litsignerd, ready to Run.
type Daemon struct {
	cfg      Config
	opts     Options
	log      *slog.Logger
	notifier *sdNotifier
	desktop  *desktopNotifier
	gate     *callGate // every API call passes it
	pin      *pinBroker
	sessions *sessionManager
	client   *lit.Client
	balances *balanceCache // the payer's Ledger balance for lit_networkStatus
	idle     *idleMemory   // gives a burst's garbage back to the kernel afterwards
	wallets  WalletOpener
	server   *ipc.Server
	listener net.Listener
	socket   string

	hub    *hub.Hub            // nil when Options.Wallets is set
	devnet devNetwork          // --dev only
	devB   *emulator.Behaviour // --dev only: the emulated Ledger's user
}

// New hardens the process, starts the devnet in --dev mode, builds the
// session manager and the API and opens the socket. Run serves it.
func New(ctx context.Context, cfg Config, opts Options) (d *Daemon, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	d = &Daemon{cfg: cfg, opts: opts, log: opts.Log}
	if d.log == nil {
		level, _ := parseLevel(cfg.LogLevel)
		d.log = newLogger(io.Discard, level)
	}
	// The error returns below reset the named result d to nil: release what
	// was made through a copy of the pointer.
	made := d
	defer func() {
		if err != nil {
			made.closeResources()
		}
	}()
	if !opts.SkipHardening {
		if err := securemem.HardenProcess(); err != nil {
			return nil, fmt.Errorf("daemon: %w", err)
		}
	}
	// Fail at start, not at the first approval, when keys cannot be locked.
	probe, err := securemem.Alloc(64, cfg.AllowUnlockedMemory)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	if !probe.Locked() {
		d.log.Warn("session keys will NOT be locked in memory (--allow-unlocked-memory): they may be swapped to disk")
	}
	_ = probe.Wipe()
	d.notifier = newSDNotifier(d.log)
	d.desktop = newDesktopNotifier(d.log)
	if cfg.Notifications != nil && !*cfg.Notifications {
		d.desktop.Close() // closed: every Show is a no-op
	}
	d.gate = newCallGate(newAuditor(d.log))
	d.idle = newIdleMemory()

	// The socket (its directory's mode, another daemon on it) and the
	// devnet's size are checked before a --dev devnet starts, which takes
	// a while and logs as it goes. Nothing is served before Run.
	if err := d.listen(); err != nil {
		return nil, err
	}
	var dev *devnetEndpoints
	d.wallets = opts.Wallets
	if cfg.Dev {
		dc := devnetConfig(cfg, opts.DevNodes)
		if nodes := cmp.Or(dc.Nodes, devnet.DefaultNodes); dc.Protocol != devnet.ProtocolNaga && cfg.Threshold > nodes {
			return nil, cfg.errorf("threshold", "must be at most the --dev devnet's %d nodes, got %d", nodes, cfg.Threshold)
		}
		// The devnet lives until Run's graceful stop closes it, not until
		// the signal context ends.
		if d.devnet, err = startDevnet(context.WithoutCancel(ctx), dc, !opts.DevnetProcess, d.log); err != nil {
			return nil, err
		}
		dev = endpoints(d.devnet)
		if d.wallets == nil {
			if d.hub, d.devB, err = newDevHub(d.log); err != nil {
				return nil, err
			}
			d.wallets = d.hub
		}
		ann := d.devnet.Announcement()
		if ann.Protocol == "" {
			ann.Protocol = devnet.ProtocolV2
		}
		chain := ""
		if dev.Chain != nil {
			chain = dev.Chain.RPCURL
		}
		d.log.Info("dev mode: devnet and emulated Ledger", "devnetProcess", opts.DevnetProcess, "protocol", ann.Protocol, "nodes", dev.NodeURLs,
			"chain", chain, "pkpPublicKey", ann.PKPs[0].PublicKey, "pkpAddress", ann.PKPs[0].EthAddress)
	}
	if d.wallets == nil {
		if d.hub, err = newWalletHub(cfg, d.log); err != nil {
			return nil, err
		}
		d.wallets = d.hub
	}
	network, err := cfg.LitNetwork(dev)
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, cfg.errorf(networkKey(cfg), "%v", err)
	}
	if d.client, err = lit.NewClient(network, lit.WithLogger(d.log), lit.WithMaxCodeSize(maxCodeSize(&cfg))); err != nil {
		return nil, cfg.errorf(networkKey(cfg), "%v", err)
	}
	d.balances = newBalanceCache(d.client.PaymentBalance)

	d.pin = &pinBroker{OnRequest: d.pinRequested, OnPairingRequest: d.pairingRequested}
	scfg := sessionConfig{
		Device:          cfg.Device,
		Path:            cfg.Path(),
		TTL:             time.Duration(cfg.SessionTTL),
		RenewMargin:     time.Duration(cfg.RenewMargin),
		ApprovalTimeout: time.Duration(cfg.ApprovalTimeout),
		SIWE: lit.SessionOptions{Domain: cfg.SIWEDomain, Statement: cfg.SIWEStatement, ChainID: cfg.ChainID,
			Capability: lit.Capability{IPFSIDs: cfg.CapabilityIPFSIDs}},
		AllowUnlockedMemory: cfg.AllowUnlockedMemory,
		// Naga nodes accept only the latest blockhash they announced as
		// the SIWE nonce; v2's is random.
		Nonce: d.client.SessionNonce,
	}
	scfg.TrezorSafetyChecks, _ = trezor.ParseSafetyChecks(cfg.TrezorSafetyChecks) // Validate checked it
	if cfg.Dev && scfg.Device == "" {
		scfg.Device = hub.EmulatorLedgerID
	}
	d.sessions = newSessionManager(scfg, d.wallets, d.pin, sessionHooks{
		ApprovalStarted: d.approvalStarted,
		ApprovalEnded:   d.approvalEnded,
		SessionChanged:  d.sessionChanged,
	}, d.log)

	d.server = ipc.NewServer(ipc.ServerOptions{
		AllowedUIDs:     cfg.AllowedUIDs,
		MaxRequestBytes: int64(cfg.MaxRequestBytes),
		ChainID:         cfg.SocketChainID(),
		Version:         opts.Version,
		Logger:          d.log,
		// A burst that was not Lit calls (many connections, a flood of
		// cheap requests) leaves garbage too.
		ConnClosed: d.idle.touch,
	})
	if err := d.server.RegisterName("lit", &litAPI{sessions: d.sessions, exec: d.callExecutor(), capability: scfg.SIWE.Capability, gate: d.gate, network: d.networkStatus, idle: d.idle, pin: d.pin}); err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	if err := d.server.RegisterName("wallet", &walletAPI{wallets: d.wallets, pin: d.pin, cfg: scfg, gate: d.gate}); err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return d, nil
}

// listen picks the socket: the test's, systemd's, or our own.
func (d *Daemon) listen() error {
	if d.opts.Listener != nil {
		d.listener = d.opts.Listener
		d.socket = d.listener.Addr().String()
		return nil
	}
	l, ok, err := ipc.ActivationListener()
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	if ok {
		d.listener, d.socket = l, l.Addr().String()
		d.log.Info("using the socket passed by systemd", "socket", d.socket)
		return nil
	}
	path := d.cfg.Socket
	if path == "" {
		if path, err = ipc.DefaultSocketPath(); err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
	}
	if d.listener, err = ipc.Listen(path); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	d.socket = path
	return nil
}

// Run serves until ctx is done or the listener fails, then stops
// gracefully: STOPPING=1, stop accepting, cancel in-flight calls (bounded by
// StopTimeout), wipe the session key, release everything.
func (d *Daemon) Run(ctx context.Context) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.server.Serve(d.listener) }()
	d.notifier.Ready()
	d.notifier.Status("ready on %s; no session", d.socket)
	d.log.Info("litsignerd ready", "socket", d.socket, "version", d.opts.Version)

	var tick <-chan time.Time
	if iv := d.notifier.WatchdogInterval(); iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		tick = t.C
	}
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			d.log.Info("stopping", "reason", context.Cause(ctx))
			break loop
		case err := <-serveErr:
			if !errors.Is(err, ipc.ErrServerClosed) {
				runErr = fmt.Errorf("daemon: serve: %w", err)
			}
			break loop
		case <-tick:
			// Ping only when the session manager answers: a deadlock
			// there should get us restarted.
			_ = d.sessions.Status()
			d.notifier.Watchdog()
		}
	}
	d.notifier.Stopping()
	d.notifier.Status("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), d.opts.StopTimeout)
	defer cancel()
	// Calls that arrive from now on get 4301 (shutting_down); Shutdown
	// cancels those in flight and lets their 4301 answers out before it
	// closes the connections.
	d.gate.stop()
	if err := d.server.Shutdown(sctx); err != nil {
		d.log.Warn("stop: calls still running after the stop timeout; wiping anyway", "err", err)
	}
	d.closeResources()
	d.log.Info("stopped; session key wiped")
	return runErr
}

// closeResources wipes the session and releases what New made.
func (d *Daemon) closeResources() {
	if d.idle != nil {
		d.idle.close()
	}
	if d.sessions != nil {
		d.sessions.Close()
	}
	if d.desktop != nil {
		d.desktop.Close()
	}
	if d.client != nil {
		d.client.Close()
	}
	if d.devnet != nil {
		_ = d.devnet.Close()
	}
	if d.hub != nil {
		_ = d.hub.Close()
	}
	// Shutdown already closed a served listener; this covers a New that
	// failed or a daemon that never ran (a second Close is harmless).
	if d.listener != nil && d.opts.Listener == nil {
		_ = d.listener.Close()
	}
}

func (d *Daemon) networkStatus(ctx context.Context) rpcapi.NetworkStatus {
	n := d.client.Network()
	st := networkStatus(n, d.client.Status(), d.sessions.Status().Address)
	if st.Payment != nil {
		fillPayment(ctx, st.Payment, d.balances, n.Ledger != (common.Address{}))
	}
	if d.devnet != nil {
		st.Dev = true
		for _, p := range d.devnet.PKPs() {
			st.PKPs = append(st.PKPs, rpcapi.PKPInfo{PublicKey: p.PublicKey, EthAddress: p.EthAddress, TokenID: p.TokenID})
		}
	}
	return st
}

func (d *Daemon) approvalStarted(device string) {
	d.notifier.Status("waiting for approval on %s", device)
	d.desktop.Show("Approve the Lit session on your hardware wallet",
		fmt.Sprintf("litsignerd asks %s to sign a Lit session (SIWE). Check the domain and expiry on the device.", device))
}

func (d *Daemon) approvalEnded(err error) {
	d.desktop.Dismiss()
	if err != nil {
		d.notifier.Status("session approval failed: %v", err)
	}
}

func (d *Daemon) sessionChanged(st rpcapi.SessionStatus) {
	if st.State == "active" && st.ExpiresAt != nil {
		d.notifier.Status("session active until %s (%s)", st.ExpiresAt.Format(time.RFC3339), st.Address)
		return
	}
	d.notifier.Status("ready on %s; no session", d.socket)
}

func (d *Daemon) pairingRequested(dev hwwallet.DeviceInfo) {
	d.notifier.Status("waiting for the pairing code of %s: run `litsigner wallet pair CODE`", dev.ID)
	d.desktop.Show("Pair your Trezor with litsigner",
		"The Trezor shows a 6-digit code: run `litsigner wallet pair CODE` with it. This is needed once per computer.")
}

func (d *Daemon) pinRequested(dev hwwallet.DeviceInfo) {
	d.notifier.Status("waiting for the PIN of %s: run `litsigner wallet unlock`", dev.ID)
	d.desktop.Show("Enter your Trezor PIN",
		"Look at the device's scrambled keypad and run `litsigner wallet unlock` with the positions (7 8 9 / 4 5 6 / 1 2 3).")
}
