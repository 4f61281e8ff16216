package emulator

import (
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/litsigner/litsigner/hwwallet"
)

// Action is what the emulated user does when the device asks for approval.
type Action int

// The scripted user actions.
const (
	// Approve confirms on the device (after Delay).
	Approve Action = iota
	// Reject declines on the device (after Delay).
	Reject
	// NeverAnswer leaves the prompt on screen until the cable is cut or the
	// action is changed at runtime.
	NeverAnswer
)

// String names the action.
func (a Action) String() string {
	switch a {
	case Approve:
		return "approve"
	case Reject:
		return "reject"
	case NeverAnswer:
		return "never answer"
	}
	return "unknown action"
}

// Decision is the outcome of one Confirm.
type Decision int

// The outcomes of a prompt.
const (
	// Approved: the user confirmed.
	Approved Decision = iota
	// Rejected: the user declined.
	Rejected
	// Abandoned: the device went away (or the host left) before an answer.
	Abandoned
)

// PromptKind says what a device screen asks.
type PromptKind string

// The screens the emulators show.
const (
	PromptAddress     PromptKind = "address"      // confirm an address on screen
	PromptSignMessage PromptKind = "sign-message" // review and sign a personal message
	PromptPIN         PromptKind = "pin"          // PIN entry (matrix shown on a Trezor One)
	PromptPassphrase  PromptKind = "passphrase"   // passphrase entry on the device
)

// Prompt is what the device would display.
type Prompt struct {
	// Vendor is the emulated device's maker.
	Vendor hwwallet.Vendor
	// Kind classifies the screen.
	Kind PromptKind
	// Title is the screen title ("Review message", "Sign message", ...).
	Title string
	// Text is the content shown: the message as the device renders it (text,
	// or 0x-hex when not printable), an address, or a PIN matrix.
	Text string
	// Path is the derivation path involved, if any.
	Path accounts.DerivationPath
}

// Behaviour scripts the emulated user and device state. It is safe for
// concurrent use and may be changed while an emulator runs; a prompt that
// waits under NeverAnswer re-reads the action when it changes. The zero
// value is not usable: call NewBehaviour.
type Behaviour struct {
	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every change
	action      Action
	delay       time.Duration
	locked      bool
	appClosed   bool
	pin         string
	passphrase  bool
	thp         bool
	unplugAfter int
	onPrompt    func(Prompt)
	prompts     map[PromptKind]int
	total       int
}

// NewBehaviour returns a behaviour that approves at once, unlocked, with
// the Ethereum app open and no PIN or passphrase.
func NewBehaviour() *Behaviour {
	return &Behaviour{changed: make(chan struct{}), prompts: make(map[PromptKind]int)}
}

// set runs f under the lock and wakes waiting prompts.
func (b *Behaviour) set(f func()) {
	b.mu.Lock()
	f()
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// SetAction sets what the user does at the next (or a waiting) prompt.
func (b *Behaviour) SetAction(a Action) { b.set(func() { b.action = a }) }

// Action returns the scripted action.
func (b *Behaviour) Action() Action { b.mu.Lock(); defer b.mu.Unlock(); return b.action }

// SetDelay sets how long the user looks at a prompt before acting.
func (b *Behaviour) SetDelay(d time.Duration) { b.set(func() { b.delay = d }) }

// Delay returns the scripted reaction time.
func (b *Behaviour) Delay() time.Duration { b.mu.Lock(); defer b.mu.Unlock(); return b.delay }

// SetLocked locks or unlocks the device (Ledger answers 0x5515 while locked).
func (b *Behaviour) SetLocked(v bool) { b.set(func() { b.locked = v }) }

// Locked reports whether the device is locked.
func (b *Behaviour) Locked() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.locked }

// SetAppClosed puts a Ledger on its dashboard (true) or in the Ethereum app.
func (b *Behaviour) SetAppClosed(v bool) { b.set(func() { b.appClosed = v }) }

// AppClosed reports whether the Ledger's Ethereum app is closed.
func (b *Behaviour) AppClosed() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.appClosed }

// SetPIN makes a Trezor One ask for this PIN through the matrix ("" = no PIN).
func (b *Behaviour) SetPIN(pin string) { b.set(func() { b.pin = pin }) }

// PIN returns the PIN a Trezor One asks for, "" when none.
func (b *Behaviour) PIN() string { b.mu.Lock(); defer b.mu.Unlock(); return b.pin }

// SetPassphraseProtection turns the Trezor passphrase request on or off.
func (b *Behaviour) SetPassphraseProtection(v bool) { b.set(func() { b.passphrase = v }) }

// PassphraseProtection reports whether the Trezor asks for a passphrase.
func (b *Behaviour) PassphraseProtection() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.passphrase
}

// SetTHP makes the Trezor emulator behave as a THP-only model (Safe 7):
// every codec-v1 message gets Failure(17).
func (b *Behaviour) SetTHP(v bool) { b.set(func() { b.thp = v }) }

// THP reports whether the Trezor emulator is a THP-only model.
func (b *Behaviour) THP() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.thp }

// UnplugAfterReports makes the next pipe cut itself once n more reports
// (counted from the pipe's creation, both directions) have been written:
// the write after the n-th fails. It fires once; n <= 0 disarms it.
func (b *Behaviour) UnplugAfterReports(n int) { b.set(func() { b.unplugAfter = n }) }

// unplugDue reports whether a pipe that has seen count writes must be cut,
// disarming the trigger when it fires.
func (b *Behaviour) unplugDue(count int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.unplugAfter > 0 && count > b.unplugAfter {
		b.unplugAfter = 0
		return true
	}
	return false
}

// OnPrompt registers f to receive every prompt the device displays (nil
// removes it). f runs on the device goroutine; it must not block for long.
func (b *Behaviour) OnPrompt(f func(Prompt)) { b.set(func() { b.onPrompt = f }) }

// Prompts returns how many prompts the device has displayed.
func (b *Behaviour) Prompts() int { b.mu.Lock(); defer b.mu.Unlock(); return b.total }

// PromptsOf returns how many prompts of one kind were displayed.
func (b *Behaviour) PromptsOf(k PromptKind) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.prompts[k]
}

// Show records a prompt that needs no decision (a PIN matrix, an address
// shown for information) and passes it to the OnPrompt callback.
func (b *Behaviour) Show(p Prompt) {
	b.mu.Lock()
	b.total++
	b.prompts[p.Kind]++
	f := b.onPrompt
	b.mu.Unlock()
	if f != nil {
		f(p)
	}
}

// Confirm displays p and plays the scripted user: it waits Delay, then
// approves or rejects; under NeverAnswer it waits until the action changes
// or done is closed. It returns Abandoned if done closes first. Emulated
// devices call it from their device loop with their pipe's Done channel.
func (b *Behaviour) Confirm(done <-chan struct{}, p Prompt) Decision {
	b.Show(p)
	b.mu.Lock()
	delay := b.delay
	b.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-done:
			t.Stop()
			return Abandoned
		}
	}
	for {
		b.mu.Lock()
		a, changed := b.action, b.changed
		b.mu.Unlock()
		switch a {
		case Approve:
			return Approved
		case Reject:
			return Rejected
		}
		select {
		case <-changed:
		case <-done:
			return Abandoned
		}
	}
}
