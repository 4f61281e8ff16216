package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet"
)

// pinBroker is the daemon's hwwallet.Prompter. A Trezor One asks for its
// PIN as positions on a scrambled matrix shown on the device; the broker
// holds that question until a client answers with wallet_unlock (litsigner
// wallet unlock) or the approval ends. A Trezor Safe 7 met for the first
// time shows a pairing code; the broker (a hwwallet.PairingPrompter) holds
// that question the same way until wallet_pair (litsigner wallet pair
// CODE).
type pinBroker struct {
	// OnRequest, if set, is called (without blocking) when a device asks.
	OnRequest func(dev hwwallet.DeviceInfo)
	// OnPairingRequest, if set, is called (without blocking) when a
	// device shows a pairing code.
	OnPairingRequest func(dev hwwallet.DeviceInfo)

	mu       sync.Mutex
	waiting  chan string // non-nil while a PIN request is pending
	pairing  chan string // non-nil while a pairing code is awaited
	checking chan error  // non-nil while the device checks the code Pair gave
}

var _ hwwallet.PairingReporter = (*pinBroker)(nil)

// PIN waits for Unlock or ctx.
func (b *pinBroker) PIN(ctx context.Context, dev hwwallet.DeviceInfo) (string, error) {
	ch := make(chan string, 1)
	b.mu.Lock()
	if b.waiting != nil {
		b.mu.Unlock()
		return "", fmt.Errorf("pin: another PIN request is pending: %w", hwwallet.ErrBusy)
	}
	b.waiting = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		if b.waiting == ch {
			b.waiting = nil
		}
		b.mu.Unlock()
	}()
	if b.OnRequest != nil {
		b.OnRequest(dev)
	}
	select {
	case p := <-ch:
		return p, nil
	case <-ctx.Done():
		return "", fmt.Errorf("pin: no PIN entered (litsigner wallet unlock): %w: %w", hwwallet.ErrPINNeeded, context.Cause(ctx))
	}
}

// Passphrase lets the device collect the passphrase when it can; the daemon
// has no way to ask the user for one on the host.
func (b *pinBroker) Passphrase(_ context.Context, _ hwwallet.DeviceInfo, canEnterOnDevice bool) (string, bool, error) {
	if canEnterOnDevice {
		return "", true, nil
	}
	return "", false, errors.New("pin: passphrase entry on the host is not supported; enable passphrase entry on the device")
}

// Pending reports whether a device waits for a PIN.
func (b *pinBroker) Pending() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting != nil
}

// Unlock answers the pending PIN request with matrix positions (digits 1-9,
// as laid out 7 8 9 / 4 5 6 / 1 2 3).
func (b *pinBroker) Unlock(positions string) error {
	if err := validPositions(positions); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiting == nil {
		return errNoPINRequest
	}
	b.waiting <- positions
	b.waiting = nil
	return nil
}

func validPositions(p string) error {
	if err := hwwallet.CheckPINPositions(p, hwwallet.MaxPINPositions); err != nil {
		return fmt.Errorf("%w: %v", errInvalidParams, err)
	}
	return nil
}

// PairingCode waits for Pair or ctx.
func (b *pinBroker) PairingCode(ctx context.Context, dev hwwallet.DeviceInfo) (string, error) {
	ch := make(chan string, 1)
	b.mu.Lock()
	if b.pairing != nil {
		b.mu.Unlock()
		return "", fmt.Errorf("pair: another pairing is pending: %w", hwwallet.ErrBusy)
	}
	b.pairing = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		if b.pairing == ch {
			b.pairing = nil
		}
		b.mu.Unlock()
	}()
	if b.OnPairingRequest != nil {
		b.OnPairingRequest(dev)
	}
	select {
	case c := <-ch:
		return c, nil
	case <-ctx.Done():
		err := fmt.Errorf("pair: no pairing code entered (litsigner wallet pair CODE): %w: %w", hwwallet.ErrPairingNeeded, context.Cause(ctx))
		b.mu.Lock()
		if b.pairing != ch && b.checking != nil {
			// Pair gave a code as the approval ended: no device checks it.
			b.checking <- err
			b.checking = nil
		}
		b.mu.Unlock()
		return "", err
	}
}

// PairingPending reports whether a device waits for its pairing code.
func (b *pinBroker) PairingPending() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pairing != nil
}

// Pair answers the pending pairing request with the 6-digit code the
// device shows, and waits until the device accepted or refused it (or ctx
// ends), so that a wrong code fails the wallet_pair that sent it; the
// approval waits on for the next code.
func (b *pinBroker) Pair(ctx context.Context, code string) error {
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return fmt.Errorf("%w: the pairing code is the 6 digits the Trezor shows", errInvalidParams)
	}
	result := make(chan error, 1)
	b.mu.Lock()
	if b.pairing == nil {
		b.mu.Unlock()
		return errNoPairingRequest
	}
	b.pairing <- code
	b.pairing = nil
	b.checking = result
	b.mu.Unlock()
	select {
	case err := <-result:
		if err != nil {
			return fmt.Errorf("pair: %w", err)
		}
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		if b.checking == result {
			b.checking = nil
		}
		b.mu.Unlock()
		return fmt.Errorf("pair: waiting for the device to check the code: %w", context.Cause(ctx))
	}
}

// PairingResult implements hwwallet.PairingReporter: it answers the Pair
// that gave the code.
func (b *pinBroker) PairingResult(_ hwwallet.DeviceInfo, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.checking != nil {
		b.checking <- err
		b.checking = nil
	}
}

// pairingHint is lit_sessionStatus's hint while a pairing code is awaited:
// with notifications off, status is where the user learns of it.
const pairingHint = "enter the code shown on the device with: litsigner wallet pair CODE"

// withPairing marks a status whose approval waits for a pairing code:
// state "pairing", with pairingHint.
func (b *pinBroker) withPairing(st rpcapi.SessionStatus) rpcapi.SessionStatus {
	if !b.PairingPending() {
		return st
	}
	if st.State == "approving" {
		st.State = "pairing"
	}
	st.Hint = pairingHint
	return st
}
