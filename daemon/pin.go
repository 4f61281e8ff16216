package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/litsigner/litsigner/hwwallet"
)

// PINBroker is the daemon's hwwallet.Prompter. A Trezor One asks for its
// PIN as positions on a scrambled matrix shown on the device; the broker
// holds that question until a client answers with wallet_unlock (litsigner
// wallet unlock) or the approval ends.
type PINBroker struct {
	// OnRequest, if set, is called (without blocking) when a device asks.
	OnRequest func(dev hwwallet.DeviceInfo)

	mu      sync.Mutex
	waiting chan string // non-nil while a PIN request is pending
}

// PIN waits for Unlock or ctx.
func (b *PINBroker) PIN(ctx context.Context, dev hwwallet.DeviceInfo) (string, error) {
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
func (b *PINBroker) Passphrase(_ context.Context, _ hwwallet.DeviceInfo, canEnterOnDevice bool) (string, bool, error) {
	if canEnterOnDevice {
		return "", true, nil
	}
	return "", false, errors.New("pin: passphrase entry on the host is not supported; enable passphrase entry on the device")
}

// Pending reports whether a device waits for a PIN.
func (b *PINBroker) Pending() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting != nil
}

// Unlock answers the pending PIN request with matrix positions (digits 1-9,
// as laid out 7 8 9 / 4 5 6 / 1 2 3).
func (b *PINBroker) Unlock(positions string) error {
	if err := validPositions(positions); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiting == nil {
		return ErrNoPINRequest
	}
	b.waiting <- positions
	b.waiting = nil
	return nil
}

func validPositions(p string) error {
	if err := hwwallet.CheckPINPositions(p, hwwallet.MaxPINPositions); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	return nil
}
