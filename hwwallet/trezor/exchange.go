package trezor

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/proto"
)

// call sends req (of type kind) and runs the exchange until the device
// answers with a message of type want, whose payload it returns. In
// between it answers the device's questions (message-workflows.md in
// trezor-firmware docs/common): ButtonRequest with ButtonAck,
// PinMatrixRequest with the Prompter's positions, PassphraseRequest with a
// passphrase or on-device entry. A Failure ends the exchange as a
// *FailureError. If ctx ends or the host gives up (no PIN, bad reply), the
// device is sent Cancel so that it leaves its prompt. The caller holds the
// device.
func (d *Device) call(ctx context.Context, kind uint16, req proto.Message, want uint16) ([]byte, error) {
	if d.thp != nil {
		return d.thpCall(ctx, kind, req, want)
	}
	if d.resync {
		if err := d.resynchronize(); err != nil {
			return nil, err
		}
	}
	if err := d.send(ctx, kind, req); err != nil {
		return nil, d.abort(ctx, err)
	}
	pinSent := false
	for {
		got, data, err := readMessage(ctx, d.t)
		if err != nil {
			return nil, d.abort(ctx, err)
		}
		switch got {
		case want:
			if pinSent {
				// The matrix PIN was accepted: the device is unlocked now.
				d.mu.Lock()
				d.features.Unlocked = true
				d.mu.Unlock()
			}
			return data, nil
		case msgFailure:
			f, err := decodeFailure(data)
			if err != nil {
				return nil, err
			}
			return nil, f
		case msgButtonRequest:
			// ButtonRequest (messages-common.proto): the device shows a
			// screen (confirm, or on-device PIN entry) and waits for the
			// user; ButtonAck lets it proceed.
			err = d.send(ctx, msgButtonAck, &trezor.ButtonAck{})
		case msgPinMatrixRequest:
			var ack *trezor.PinMatrixAck
			if ack, err = d.pinAck(ctx); err != nil {
				return nil, d.giveUp(ctx, err)
			}
			err = d.send(ctx, msgPinMatrixAck, ack)
			pinSent = true
		case msgPassphraseRequest:
			var ack *trezor.PassphraseAck
			if legacyOnDevice(data) {
				// Core before 2.3.0 sets on_device (field 1) when its own
				// setting says the passphrase is typed there; the ack is
				// then empty.
				ack = &trezor.PassphraseAck{}
			} else if ack, err = d.passphrase(ctx); err != nil {
				return nil, d.giveUp(ctx, err)
			}
			err = d.send(ctx, msgPassphraseAck, ack)
		case msgPassphraseStateRequest:
			// Core before 2.3.0 confirms the passphrase state; the ack is
			// empty (messages-common.proto of that era).
			err = d.send(ctx, msgPassphraseStateAck, &trezor.PassphraseStateAck{})
		default:
			return nil, d.giveUp(ctx, fmt.Errorf("unexpected %s (type %d) while waiting for %s: %w",
				trezor.Name(got), got, trezor.Name(want), hwwallet.ErrBadReply))
		}
		if err != nil {
			return nil, d.abort(ctx, err)
		}
	}
}

// send marshals and writes one message.
func (d *Device) send(ctx context.Context, kind uint16, m proto.Message) error {
	data, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s: %v: %w", trezor.Name(kind), err, hwwallet.ErrBadRequest)
	}
	return writeMessage(ctx, d.t, kind, data)
}

// pinAck asks the Prompter for the PIN-matrix positions (Trezor One). The
// device shows the scrambled digits; the host only ever sees positions.
func (d *Device) pinAck(ctx context.Context) (*trezor.PinMatrixAck, error) {
	if d.prompter == nil {
		return nil, fmt.Errorf("the Trezor asks for its PIN and there is no way to ask the user: %w", hwwallet.ErrPINNeeded)
	}
	pos, err := d.prompter.PIN(ctx, d.Info())
	if err != nil {
		return nil, fmt.Errorf("PIN prompt: %w", err)
	}
	if err := validPINPositions(pos, d.Features()); err != nil {
		return nil, err
	}
	// PinMatrixAck (messages-common.proto): pin = 1, the positions.
	return &trezor.PinMatrixAck{Pin: proto.String(pos)}, nil
}

// passphrase answers PassphraseRequest (messages-common.proto; since core
// 2.3.0 / T1 1.9.0 it has no fields): the Prompter's passphrase, or
// on-device entry when the device can (Capability_PassphraseEntry) and the
// user (or the absence of a Prompter) chooses it; without a Prompter a
// device that cannot take it gets the empty passphrase.
func (d *Device) passphrase(ctx context.Context) (*trezor.PassphraseAck, error) {
	canOnDevice := d.Features().Has(CapabilityPassphraseEntry)
	if d.prompter == nil {
		return passphraseAck("", canOnDevice), nil
	}
	pass, onDevice, err := d.prompter.Passphrase(ctx, d.Info(), canOnDevice)
	if err != nil {
		return nil, fmt.Errorf("passphrase prompt: %w", err)
	}
	if onDevice {
		if !canOnDevice {
			return nil, fmt.Errorf("this Trezor cannot take the passphrase on the device: %w", hwwallet.ErrBadRequest)
		}
		return passphraseAck("", true), nil
	}
	if len(pass) > maxPassphrase {
		return nil, fmt.Errorf("passphrase of %d bytes exceeds %d: %w", len(pass), maxPassphrase, hwwallet.ErrBadRequest)
	}
	return passphraseAck(pass, false), nil
}

// legacyOnDevice reads the deprecated PassphraseRequest.on_device; a
// request that does not parse counts as a modern, empty one.
func legacyOnDevice(data []byte) bool {
	var req trezor.PassphraseRequest
	return proto.Unmarshal(data, &req) == nil && req.GetOnDevice()
}

// giveUp cancels the exchange on the device because the host cannot go on,
// and returns why (or the context's error if that ended meanwhile).
func (d *Device) giveUp(ctx context.Context, err error) error {
	d.cancelOnDevice()
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// abort handles a transfer error: a closed or unplugged device is reported
// as such, an ended context becomes the context's error after a best-effort
// Cancel, anything else (garbled reply) cancels too.
func (d *Device) abort(ctx context.Context, err error) error {
	if d.isClosed() {
		return fmt.Errorf("%w (%v)", ErrClosed, err)
	}
	if errors.Is(err, hwwallet.ErrDisconnected) {
		return err
	}
	d.cancelOnDevice()
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(err, ctxErr) {
			return err
		}
		return fmt.Errorf("%w (%v)", ctxErr, err)
	}
	return err
}

// cancelOnDevice sends Cancel (messages-management.proto, type 20) and
// reads until the device's Failure answer, so that the next exchange
// starts clean. Both steps are bounded by cancelTimeout; if the answer
// does not come, the next exchange resynchronizes first.
func (d *Device) cancelOnDevice() {
	if d.isClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cancelTimeout)
	defer cancel()
	if err := d.send(ctx, msgCancel, &trezor.Cancel{}); err != nil {
		d.resync = true
		return
	}
	for {
		kind, _, err := readMessageResync(ctx, d.t)
		if err != nil {
			if errors.Is(err, hwwallet.ErrBadReply) {
				continue // a stale half-message; keep reading until the deadline
			}
			d.resync = true
			return
		}
		if kind == msgFailure {
			d.resync = false
			return
		}
	}
}

// resynchronize is run before an exchange when a previous one left the
// reply stream in an unknown state: GetFeatures (type 55, which unlike
// Initialize keeps the session) is sent and everything up to its Features
// is discarded.
func (d *Device) resynchronize() error {
	ctx, cancel := context.WithTimeout(context.Background(), cancelTimeout)
	defer cancel()
	if err := d.send(ctx, msgGetFeatures, &trezor.GetFeatures{}); err != nil {
		return fmt.Errorf("resynchronize: %w", err)
	}
	for {
		kind, data, err := readMessageResync(ctx, d.t)
		switch {
		case errors.Is(err, hwwallet.ErrBadReply):
			continue
		case err != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("resynchronize: the Trezor does not answer: %w", hwwallet.ErrBusy)
			}
			return fmt.Errorf("resynchronize: %w", err)
		case kind != msgFeatures:
			continue
		}
		f, err := decodeFeatures(data)
		if err != nil {
			return fmt.Errorf("resynchronize: %w", err)
		}
		d.setFeatures(f)
		d.resync = false
		return nil
	}
}
