package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/daemon/securemem"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/lit"
)

// WalletOpener finds and opens hardware wallets; *hub.Hub satisfies it.
type WalletOpener interface {
	Devices(ctx context.Context) ([]hwwallet.DeviceInfo, error)
	Open(ctx context.Context, id string, p hwwallet.Prompter) (hwwallet.Wallet, error)
}

// pickDevice is the one device-selection rule: the configured device, or
// the first one found when none is configured.
func pickDevice(ctx context.Context, w WalletOpener, configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	devs, err := w.Devices(ctx)
	if err != nil {
		return "", fmt.Errorf("list devices: %w", err)
	}
	if len(devs) == 0 {
		return "", hwwallet.ErrNoDevice
	}
	return devs[0].ID, nil
}

// sessionConfig configures the session manager.
type sessionConfig struct {
	// Device is the wallet id to open ("" = the first device found).
	Device string
	// Path is the account's derivation path.
	Path accounts.DerivationPath
	// TrezorSafetyChecks, when it prompts, makes a Trezor warn about a
	// non-standard Path instead of refusing it (asked before the approval).
	TrezorSafetyChecks trezor.SafetyCheckLevel
	// TTL is a new session's lifetime; RenewMargin how long before expiry a
	// call triggers a new approval; ApprovalTimeout bounds one approval.
	TTL, RenewMargin, ApprovalTimeout time.Duration
	// SIWE carries Domain, Statement, ChainID and Capability (Expiration and
	// Now are set per session).
	SIWE lit.SessionOptions
	// AllowUnlockedMemory accepts a session key in memory that could not
	// be mlocked.
	AllowUnlockedMemory bool
	// Nonce, when set, gives each approval's SIWE nonce (Naga:
	// lit.Client.SessionNonce, the nodes' latest blockhash); nil leaves
	// SIWE.Nonce (random when empty).
	Nonce func(context.Context) (string, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// sessionHooks observe the manager (each may be nil). They run without the
// manager's lock held and must not block.
type sessionHooks struct {
	// ApprovalStarted: the device was asked to approve a session.
	ApprovalStarted func(device string)
	// ApprovalEnded: the approval finished (err nil = approved).
	ApprovalEnded func(err error)
	// SessionChanged: a session began or ended.
	SessionChanged func(st rpcapi.SessionStatus)
}

// sessionManager owns the (single) session for the configured account and
// network: the daemon serves one account on one network, so "one session per
// (account, network)" is one slot. Approvals are single-flight: every caller
// that needs a session while an approval runs waits for that same approval;
// each waiter may give up on its own context without cancelling it for the
// others, and an approval whose last waiter left is cancelled.
type sessionManager struct {
	cfg      sessionConfig
	wallets  WalletOpener
	prompter hwwallet.Prompter
	hooks    sessionHooks
	log      *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // approval goroutines

	mu      sync.Mutex
	ttl     time.Duration // lifetime of the next approval, renewals included
	live    *liveSession
	pending *approval
	closed  bool
	stats   rpcapi.SessionStatus // counters only

	// beforeRelease, for tests, sees the key's locked memory after the key
	// was wiped and before the locked pages are released.
	beforeRelease func(mem []byte)
}

// approval is one device prompt shared by its waiters.
type approval struct {
	done    chan struct{}
	cancel  context.CancelCauseFunc
	device  string
	waiters int
	live    *liveSession
	err     error
}

// liveSession is an authorized session and the locked memory of its key.
type liveSession struct {
	sess    *lit.Session
	mem     *securemem.Region
	device  string
	ttl     time.Duration   // the lifetime it was approved with
	ctx     context.Context // cancelled when the session ends
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	refs    int  // leases in use
	retired bool // replaced by a renewal: end when the last lease goes
	ended   bool // key wiped
	freed   bool // locked pages released
}

// newSessionManager returns a manager that opens wallets with wallets and answers
// device questions (Trezor PIN) with prompter.
func newSessionManager(cfg sessionConfig, wallets WalletOpener, prompter hwwallet.Prompter, hooks sessionHooks, log *slog.Logger) *sessionManager {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &sessionManager{cfg: cfg, wallets: wallets, prompter: prompter, hooks: hooks, log: log, ctx: ctx, cancel: cancel, ttl: cfg.TTL}
}

// CheckTTL refuses a requested session lifetime that would renew at once
// (not longer than the renewal margin) or outlive the configured TTL, the
// longest session the daemon's owner allows.
func (s *sessionManager) CheckTTL(ttl time.Duration) error {
	if ttl <= s.cfg.RenewMargin {
		return fmt.Errorf("%w: ttl %s: must be longer than renewMargin (%s), or every call would ask the device again", errInvalidParams, ttl, s.cfg.RenewMargin)
	}
	if ttl > s.cfg.TTL {
		return fmt.Errorf("%w: ttl %s: must be at most sessionTtl (%s)", errInvalidParams, ttl, s.cfg.TTL)
	}
	return nil
}

// Acquire returns a lease on a live session, waiting for a device approval
// when there is none or it expires within the renewal margin. A renewal
// keeps the lifetime the user last asked for with Start.
func (s *sessionManager) Acquire(ctx context.Context) (*sessionLease, error) {
	return s.acquire(ctx, 0)
}

// Start makes sure a session is live (prompting when needed) and returns
// its status. A positive ttl (checked with CheckTTL) becomes the lifetime
// of this and later sessions, renewals included; it forces a new approval
// when the live session has another lifetime. Zero keeps the current one.
func (s *sessionManager) Start(ctx context.Context, ttl time.Duration) (rpcapi.SessionStatus, error) {
	if ttl > 0 {
		if err := s.CheckTTL(ttl); err != nil {
			return s.Status(), err
		}
	}
	le, err := s.acquire(ctx, ttl)
	if err != nil {
		return s.Status(), err
	}
	le.release(false, nil) // not a call: not counted
	return s.Status(), nil
}

// acquire leases the live session; a positive ttl is Start's request.
func (s *sessionManager) acquire(ctx context.Context, ttl time.Duration) (*sessionLease, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errShuttingDown
	}
	force := false
	if ttl > 0 {
		// The user's latest choice holds from now on, even if this
		// approval is refused: a renewal never lengthens it unasked.
		s.ttl = ttl
		force = s.live != nil && s.live.ttl != ttl
	}
	ttl = s.ttl
	if l := s.live; l != nil && !force && s.cfg.Now().Before(l.sess.Expiration().Add(-s.cfg.RenewMargin)) {
		l.refs++
		s.mu.Unlock()
		return &sessionLease{s: s, l: l}, nil
	}
	a := s.pending
	if a == nil {
		a = s.startApprovalLocked(ttl)
	}
	a.waiters++
	s.mu.Unlock()

	select {
	case <-a.done:
	case <-ctx.Done():
		s.mu.Lock()
		a.waiters--
		if a.waiters == 0 {
			select {
			case <-a.done:
			default:
				// Nobody wants this approval any more: cancel it and let
				// the next caller start a fresh one.
				a.cancel(context.Canceled)
				if s.pending == a {
					s.pending = nil
				}
			}
		}
		s.mu.Unlock()
		return nil, fmt.Errorf("session: waiting for approval: %w", context.Cause(ctx))
	}
	if a.err != nil {
		return nil, a.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.live.ended {
		return nil, fmt.Errorf("session: %w before the call could use it", errSessionEnded)
	}
	a.live.refs++
	return &sessionLease{s: s, l: a.live}, nil
}

func (s *sessionManager) startApprovalLocked(ttl time.Duration) *approval {
	ctx, cancel := context.WithCancelCause(s.ctx)
	ctx, cancelTimeout := context.WithTimeoutCause(ctx, s.cfg.ApprovalTimeout, errApprovalTimeout)
	a := &approval{done: make(chan struct{}), cancel: cancel, device: s.cfg.Device}
	s.pending = a
	s.stats.ApprovalAttempts++
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancelTimeout()
		defer cancel(nil)
		l, err := s.authorize(ctx, a, ttl)
		if err != nil {
			switch cause := context.Cause(ctx); {
			case s.ctx.Err() != nil:
				err = fmt.Errorf("session: %w", errShuttingDown)
			case errors.Is(cause, errApprovalTimeout):
				err = fmt.Errorf("session: %w (%s)", errApprovalTimeout, s.cfg.ApprovalTimeout)
			case cause != nil && !errors.Is(err, cause):
				err = fmt.Errorf("session: %w: %w", cause, err)
			}
		}
		s.finishApproval(a, l, err)
	}()
	return a
}

// finishApproval installs the new session (or records the failure) and
// wakes the waiters.
func (s *sessionManager) finishApproval(a *approval, l *liveSession, err error) {
	s.mu.Lock()
	if s.pending == a {
		s.pending = nil
	}
	if err == nil && s.closed {
		l.refs = 0
		s.endLocked(l, errShuttingDown)
		s.freeLocked(l)
		err = fmt.Errorf("session: %w", errShuttingDown)
	}
	if err == nil {
		s.stats.Approvals++
		if old := s.live; old != nil {
			old.retired = true
			if old.refs == 0 {
				s.endLocked(old, errSessionEnded)
				s.freeLocked(old)
			}
		}
		s.live = l
		d := l.sess.Expiration().Sub(s.cfg.Now())
		l.timer = time.AfterFunc(d, func() { s.expire(l) })
	}
	a.live, a.err = l, err
	close(a.done)
	st := s.statusLocked()
	s.mu.Unlock()
	if err != nil {
		s.log.Warn("session approval failed", "device", a.device, "err", err)
	} else {
		s.log.Info("session approved", "device", l.device, "address", l.sess.Address().Hex(),
			"sessionPublicKey", l.sess.PublicKeyHex(), "expiresAt", l.sess.Expiration())
	}
	if s.hooks.ApprovalEnded != nil {
		s.hooks.ApprovalEnded(err)
	}
	if err == nil && s.hooks.SessionChanged != nil {
		s.hooks.SessionChanged(st)
	}
}

// authorize opens the wallet, makes a session key in locked memory and has
// the device sign the SIWE message.
func (s *sessionManager) authorize(ctx context.Context, a *approval, ttl time.Duration) (*liveSession, error) {
	id, err := pickDevice(ctx, s.wallets, s.cfg.Device)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	s.mu.Lock()
	a.device = id
	s.mu.Unlock()
	if s.hooks.ApprovalStarted != nil {
		s.hooks.ApprovalStarted(id)
	}
	w, err := s.wallets.Open(ctx, id, s.prompter)
	if err != nil {
		return nil, fmt.Errorf("session: open %s: %w", id, err)
	}
	defer w.Close()
	if p, ok := w.(trezor.PathPrompter); ok && s.cfg.TrezorSafetyChecks.Prompts() && w.Info().Vendor == hwwallet.VendorTrezor {
		if err := p.AllowNonStandardPaths(ctx); err != nil {
			return nil, fmt.Errorf("session: safety checks on %s: %w", id, err)
		}
	}
	addr, err := w.Address(ctx, s.cfg.Path)
	if errors.Is(err, trezor.ErrForbiddenPath) {
		return nil, fmt.Errorf("session: account %s on %s: %w (litsignerd config: \"trezorSafetyChecks\": \"prompt\")", s.cfg.Path, id, err)
	}
	if err != nil {
		return nil, fmt.Errorf("session: account %s on %s: %w", s.cfg.Path, id, err)
	}
	mem, err := securemem.Alloc(lit.SessionKeyMemSize, s.cfg.AllowUnlockedMemory)
	if err != nil {
		return nil, fmt.Errorf("session: key memory: %w", err)
	}
	key, err := lit.NewSessionKeyIn(mem.Bytes())
	if err != nil {
		_ = mem.Wipe()
		return nil, fmt.Errorf("session: %w", err)
	}
	opts := s.cfg.SIWE
	if s.cfg.Nonce != nil {
		if opts.Nonce, err = s.cfg.Nonce(ctx); err != nil {
			key.Wipe()
			_ = mem.Wipe()
			return nil, fmt.Errorf("session: %w", err)
		}
	}
	opts.Now = s.cfg.Now
	opts.Expiration = s.cfg.Now().Add(ttl)
	sess, err := lit.NewSession(ctx, key, walletSigner{w: w, path: s.cfg.Path, addr: addr}, opts)
	if err != nil {
		key.Wipe()
		_ = mem.Wipe()
		return nil, fmt.Errorf("session: approval on %s: %w", id, err)
	}
	lctx, cancel := context.WithCancelCause(context.Background())
	return &liveSession{sess: sess, mem: mem, device: id, ttl: ttl, ctx: lctx, cancel: cancel}, nil
}

// expire ends l when its timer fires.
func (s *sessionManager) expire(l *liveSession) {
	s.mu.Lock()
	if l.ended {
		s.mu.Unlock()
		return
	}
	if s.live == l {
		s.live = nil
	}
	s.endLocked(l, fmt.Errorf("%w: expired", errSessionEnded))
	if l.refs == 0 {
		s.freeLocked(l)
	}
	st := s.statusLocked()
	s.mu.Unlock()
	s.log.Info("session expired; key wiped")
	if s.hooks.SessionChanged != nil {
		s.hooks.SessionChanged(st)
	}
}

// endLocked wipes l's key and cancels calls using it. The memory stays
// locked (zeroed) until the last lease is released.
func (s *sessionManager) endLocked(l *liveSession, cause error) {
	if l.ended {
		return
	}
	l.ended = true
	if l.timer != nil {
		l.timer.Stop()
	}
	l.cancel(cause)
	l.sess.Wipe()
}

// freeLocked unlocks and releases the zeroed key memory.
func (s *sessionManager) freeLocked(l *liveSession) {
	if l.freed || !l.ended {
		return
	}
	l.freed = true
	if s.beforeRelease != nil {
		s.beforeRelease(l.mem.Bytes())
	}
	if err := l.mem.Wipe(); err != nil {
		s.log.Error("session key memory", "err", err)
	}
}

// Revoke ends the session (wiping its key) and cancels a pending approval.
// It reports whether anything was revoked.
func (s *sessionManager) Revoke() bool {
	s.mu.Lock()
	did := false
	if a := s.pending; a != nil {
		a.cancel(fmt.Errorf("%w: revoked", errSessionEnded))
		did = true
	}
	if l := s.live; l != nil {
		s.live = nil
		s.endLocked(l, fmt.Errorf("%w: revoked", errSessionEnded))
		if l.refs == 0 {
			s.freeLocked(l)
		}
		did = true
	}
	st := s.statusLocked()
	s.mu.Unlock()
	if did {
		s.log.Info("session revoked; key wiped")
		if s.hooks.SessionChanged != nil {
			s.hooks.SessionChanged(st)
		}
	}
	return did
}

// Status returns the current state and counters.
func (s *sessionManager) Status() rpcapi.SessionStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

func (s *sessionManager) statusLocked() rpcapi.SessionStatus {
	st := s.stats
	st.State = "none"
	if l := s.live; l != nil && !l.ended {
		st.State = "active"
		st.Address = l.sess.Address().Hex()
		st.SessionPublicKey = l.sess.PublicKeyHex()
		exp := l.sess.Expiration().UTC()
		st.ExpiresAt = &exp
		st.Resources = l.sess.Resources()
		st.Device = l.device
	}
	if a := s.pending; a != nil {
		st.State = "approving"
		st.Device = a.device
	}
	return st
}

// Close cancels a pending approval, wipes the session and waits for the
// approval goroutine. Leased key memory is released with the last lease.
func (s *sessionManager) Close() {
	s.mu.Lock()
	s.closed = true
	s.cancel()
	if l := s.live; l != nil {
		s.live = nil
		s.endLocked(l, errShuttingDown)
		if l.refs == 0 {
			s.freeLocked(l)
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}
