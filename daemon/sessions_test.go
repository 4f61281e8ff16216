package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet/emulator"
)

// fakeClock is a settable clock for renewal tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// wipeLog records what the key memory held just before it was released.
type wipeLog struct {
	mu    sync.Mutex
	mems  [][]byte
	freed chan struct{}
}

func (w *wipeLog) hook(mem []byte) {
	w.mu.Lock()
	w.mems = append(w.mems, bytes.Clone(mem))
	w.mu.Unlock()
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// waitFreed waits for one release and checks the key bytes were zero.
func (w *wipeLog) waitFreed(t *testing.T) {
	t.Helper()
	select {
	case <-w.freed:
	case <-time.After(10 * time.Second):
		t.Fatal("key memory was not released")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.mems[len(w.mems)-1]
	if len(m) != 64 || !bytes.Equal(m, make([]byte, 64)) {
		t.Fatalf("key memory not zeroed before release: %x", m)
	}
}

func newTestSessions(t *testing.T, mutate func(*sessionConfig)) (*sessionManager, *emulator.Ledger, *wipeLog) {
	t.Helper()
	emu, err := emulator.NewLedger(emulator.SpeculosMnemonic, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	scfg := sessionConfig{
		Path:            cfg.Path(),
		TTL:             time.Hour,
		RenewMargin:     5 * time.Minute,
		ApprovalTimeout: 10 * time.Second,
	}
	if mutate != nil {
		mutate(&scfg)
	}
	s := newSessionManager(scfg, devWallets{emu: emu}, &pinBroker{}, sessionHooks{}, testLogger(t))
	wl := &wipeLog{freed: make(chan struct{}, 8)}
	s.beforeRelease = wl.hook
	t.Cleanup(func() {
		s.Close()
		_ = emu.Close()
	})
	return s, emu, wl
}

func acquireCtx(t *testing.T, s *sessionManager, d time.Duration) (*sessionLease, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.Acquire(ctx)
}

func TestSessionsFailuresMapToCodes(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*emulator.Behaviour)
		timeout time.Duration
		want    int
	}{
		{"rejected", func(b *emulator.Behaviour) { b.SetAction(emulator.Reject) }, 0, rpcapi.CodeUserRejected},
		{"locked", func(b *emulator.Behaviour) { b.SetLocked(true) }, 0, rpcapi.CodeDeviceLocked},
		{"app closed", func(b *emulator.Behaviour) { b.SetAppClosed(true) }, 0, rpcapi.CodeAppNotOpen},
		{"approval timeout", func(b *emulator.Behaviour) { b.SetAction(emulator.NeverAnswer) }, 300 * time.Millisecond, rpcapi.CodeApprovalTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, emu, _ := newTestSessions(t, func(c *sessionConfig) {
				if tt.timeout > 0 {
					c.ApprovalTimeout = tt.timeout
				}
			})
			tt.setup(emu.Behaviour())
			_, err := acquireCtx(t, s, 10*time.Second)
			if got := errorCode(err); got != tt.want {
				t.Fatalf("code %d (%v), want %d", got, err, tt.want)
			}
			if st := s.Status(); st.State != "none" || st.Approvals != 0 || st.ApprovalAttempts != 1 {
				t.Fatalf("status after failure: %+v", st)
			}
		})
	}
}

func TestSessionsRejectThenPromptAgain(t *testing.T) {
	s, emu, _ := newTestSessions(t, nil)
	b := emu.Behaviour()
	b.SetAction(emulator.Reject)
	if _, err := acquireCtx(t, s, 10*time.Second); errorCode(err) != rpcapi.CodeUserRejected {
		t.Fatalf("first: %v", err)
	}
	b.SetAction(emulator.Approve)
	le, err := acquireCtx(t, s, 10*time.Second)
	if err != nil {
		t.Fatalf("second: %v", err)
	}
	le.Release(nil)
	if n := b.PromptsOf(emulator.PromptSignMessage); n != 2 {
		t.Fatalf("prompts = %d, want 2", n)
	}
}

func TestSessionsUnplugDuringApproval(t *testing.T) {
	s, emu, _ := newTestSessions(t, nil)
	b := emu.Behaviour()
	b.SetAction(emulator.NeverAnswer)
	shown := make(chan struct{}, 1)
	b.OnPrompt(func(p emulator.Prompt) {
		if p.Kind == emulator.PromptSignMessage {
			shown <- struct{}{}
		}
	})
	errc := make(chan error, 1)
	go func() {
		_, err := acquireCtx(t, s, 10*time.Second)
		errc <- err
	}()
	<-shown
	emu.Unplug()
	if err := <-errc; errorCode(err) != rpcapi.CodeDeviceGone {
		t.Fatalf("code %d: %v", errorCode(err), err)
	}
	b.SetAction(emulator.Approve)
	le, err := acquireCtx(t, s, 10*time.Second)
	if err != nil {
		t.Fatalf("after replug: %v", err)
	}
	le.Release(nil)
}

// TestSessionsWaitersShareApproval: a waiter that gives up does not cancel
// the approval others wait for; the last one leaving cancels it.
func TestSessionsWaitersShareApproval(t *testing.T) {
	s, emu, _ := newTestSessions(t, nil)
	b := emu.Behaviour()
	b.SetAction(emulator.NeverAnswer)
	shown := make(chan struct{}, 4)
	b.OnPrompt(func(p emulator.Prompt) {
		if p.Kind == emulator.PromptSignMessage {
			shown <- struct{}{}
		}
	})
	impatient, cancelImpatient := context.WithCancel(context.Background())
	patient := make(chan error, 1)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := s.Acquire(impatient)
		gaveUp <- err
	}()
	<-shown
	go func() {
		le, err := acquireCtx(t, s, 10*time.Second)
		if err == nil {
			le.Release(nil)
		}
		patient <- err
	}()
	waitWaiters(t, s, 2)
	cancelImpatient()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("impatient waiter: %v", err)
	}
	b.SetAction(emulator.Approve)
	if err := <-patient; err != nil {
		t.Fatalf("patient waiter: %v", err)
	}
	if n := b.PromptsOf(emulator.PromptSignMessage); n != 1 {
		t.Fatalf("prompts = %d, want 1", n)
	}

	// A lone waiter leaving cancels the approval; the next call prompts anew.
	s.Revoke()
	b.SetAction(emulator.NeverAnswer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s.Acquire(ctx); done <- err }()
	<-shown
	cancel()
	<-done
	waitFor(t, "the abandoned approval to end", func() bool { return s.Status().State != "approving" })
	if st := s.Status(); st.State != "none" || st.ApprovalAttempts != 2 {
		t.Fatalf("status %+v", st)
	}
}

// TestSessionsExpiryWipesKey runs on synctest's clock: the session lives
// exactly its TTL, then its key is wiped and its leases' contexts end.
func TestSessionsExpiryWipesKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ttl = time.Hour
		s, _, wl := newTestSessions(t, func(c *sessionConfig) {
			c.TTL = ttl
			c.RenewMargin = 0
		})
		le, err := acquireCtx(t, s, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		st := s.Status()
		if st.ExpiresAt == nil || time.Until(*st.ExpiresAt) > ttl || time.Until(*st.ExpiresAt) < ttl-time.Second {
			t.Fatalf("status after approval: %+v, want expiry in about %v", st, ttl)
		}
		expires := *st.ExpiresAt
		ctx, cancel := le.Context(context.Background())
		defer cancel()
		le.Release(nil)

		time.Sleep(time.Until(expires) - time.Nanosecond)
		synctest.Wait()
		if st := s.Status(); st.State != "active" || ctx.Err() != nil {
			t.Fatalf("a nanosecond before expiry: %+v, lease context %v", st, ctx.Err())
		}
		wl.waitFreed(t)
		if now := time.Now(); !now.Equal(expires) {
			t.Fatalf("key released at %v, want the session's expiry %v", now, expires)
		}
		if st := s.Status(); st.State != "none" {
			t.Fatalf("status after expiry: %+v", st)
		}
		synctest.Wait()
		if ctx.Err() == nil {
			t.Fatal("lease context not cancelled at expiry")
		}
		if !errors.Is(context.Cause(ctx), errSessionEnded) {
			t.Fatalf("lease context cause = %v", context.Cause(ctx))
		}
	})
}

// TestSessionsRevokeWaitsForLeases: revoke wipes the key at once and
// cancels the calls using it; the memory is released with the last lease.
func TestSessionsRevokeWaitsForLeases(t *testing.T) {
	s, _, wl := newTestSessions(t, nil)
	le, err := acquireCtx(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := le.Context(context.Background())
	defer cancel()
	if !s.Revoke() {
		t.Fatal("Revoke reported nothing to revoke")
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("call context not cancelled by Revoke")
	}
	if errorCode(context.Cause(ctx)) != rpcapi.CodeSessionEnded {
		t.Fatalf("call context not cancelled as session ended: %v", context.Cause(ctx))
	}
	if !le.Session().Wiped() {
		t.Fatal("session not wiped by Revoke")
	}
	select {
	case <-wl.freed:
		t.Fatal("memory released while a lease holds it")
	default:
	}
	le.Release(errors.New("cancelled"))
	wl.waitFreed(t)
	if st := s.Status(); st.State != "none" || st.Calls != 1 || st.CallErrors != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestSessionsRenewWithinMargin(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s, emu, wl := newTestSessions(t, func(c *sessionConfig) { c.Now = clock.Now })
	le, err := acquireCtx(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	first := le.Session()
	le.Release(nil)
	clock.Add(30 * time.Minute) // outside the margin: same session
	le, err = acquireCtx(t, s, 10*time.Second)
	if err != nil || le.Session() != first {
		t.Fatalf("reuse: %v", err)
	}
	clock.Add(26 * time.Minute) // 4 min left, margin 5: renew
	le2, err := acquireCtx(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if le2.Session() == first || first.Wiped() {
		t.Fatal("renewal did not make a new session, or wiped the old one while leased")
	}
	le.Release(nil) // the last lease on the old session: now it is wiped
	wl.waitFreed(t)
	if !first.Wiped() {
		t.Fatal("old session not wiped after renewal")
	}
	le2.Release(nil)
	if n := emu.Behaviour().PromptsOf(emulator.PromptSignMessage); n != 2 {
		t.Fatalf("prompts = %d, want 2", n)
	}
}

// A session started with a short ttl is renewed with that ttl, never with
// the configured (longer) one.
func TestSessionsRenewKeepsRequestedTTL(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s, emu, _ := newTestSessions(t, func(c *sessionConfig) { c.Now = clock.Now }) // TTL 1h, margin 5m
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, bad := range []time.Duration{time.Minute, 5 * time.Minute, 2 * time.Hour} {
		if _, err := s.Start(ctx, bad); errorCode(err) != rpcapi.CodeInvalidParams {
			t.Fatalf("Start(%s): %v, want invalid params", bad, err)
		}
	}
	st, err := s.Start(ctx, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The SIWE expiry is whole seconds.
	lasts := func(st rpcapi.SessionStatus) time.Duration { return st.ExpiresAt.Sub(clock.Now()).Round(time.Second) }
	if got := lasts(st); got != 10*time.Minute {
		t.Fatalf("started session lasts %s, want 10m", got)
	}
	// Not within the margin yet: the same session, no prompt.
	le, err := acquireCtx(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	le.Release(nil)
	if n := emu.Behaviour().PromptsOf(emulator.PromptSignMessage); n != 1 {
		t.Fatalf("prompts = %d right after start, want 1", n)
	}
	clock.Add(6 * time.Minute) // 4m left: renew, again for 10m
	le, err = acquireCtx(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	le.Release(nil)
	if got := lasts(s.Status()); got != 10*time.Minute {
		t.Fatalf("renewed session lasts %s, want the requested 10m", got)
	}
	// Start without a ttl keeps it; with the configured one it changes back.
	if st, err = s.Start(ctx, 0); err != nil || st.Approvals != 2 {
		t.Fatalf("Start(0): %v, %d approvals", err, st.Approvals)
	}
	if st, err = s.Start(ctx, time.Hour); err != nil || lasts(st) != time.Hour {
		t.Fatalf("Start(1h): %v, %+v", err, st)
	}
}

func TestSessionsCloseWipes(t *testing.T) {
	s, _, wl := newTestSessions(t, nil)
	le, err := acquireCtx(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	le.Release(nil)
	s.Close()
	wl.waitFreed(t)
	if _, err := acquireCtx(t, s, time.Second); errorCode(err) != rpcapi.CodeShuttingDown {
		t.Fatalf("after Close: %v", err)
	}
}

// waitWaiters waits until n callers wait for the pending approval.
func waitWaiters(t *testing.T, s *sessionManager, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d callers waiting for the approval", n), func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.pending != nil && s.pending.waiters == n
	})
}
