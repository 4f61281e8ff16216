package ledger

import (
	"context"
	"errors"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
)

// APDUTransport carries one APDU to the device and its reply back. The
// contract every implementation keeps:
//
//   - Exchange sends cmd (CLA INS P1 P2 Lc data) and returns the whole
//     reply, data followed by the 2-byte status word, unchecked: the
//     driver interprets status words.
//   - Exchange waits for the user as long as ctx allows (the reply to the
//     last SIGN_PERSONAL_MESSAGE chunk only comes after the user decides).
//     When ctx ends it returns an error wrapping ctx.Err(), and the
//     transport must not hand the abandoned reply to a later Exchange.
//   - A device that went away yields an error wrapping
//     hwwallet.ErrDisconnected; bytes that do not parse, one wrapping
//     hwwallet.ErrBadReply.
//   - Calls are not concurrent (the Device serializes them); Close may be
//     called at any time and makes a pending Exchange return.
type APDUTransport interface {
	Exchange(ctx context.Context, cmd []byte) (reply []byte, err error)
	Close() error
}

const (
	// drainWait bounds each read of the stale-report drain; the transport
	// has already queued anything the device sent after an abandoned
	// exchange, so a few milliseconds suffice.
	drainWait = 3 * time.Millisecond
	// maxDrain bounds the drain loop (a reply is at most ~1000 reports).
	maxDrain = 1024
)

// hidTransport is the Ledger HID framing (frame.go) over 64-byte reports.
type hidTransport struct {
	t hwwallet.Transport
}

// NewHIDTransport speaks the Ledger HID framing over a report transport
// (USB HID, or the emulator's pipe).
func NewHIDTransport(t hwwallet.Transport) APDUTransport { return hidTransport{t: t} }

// Exchange implements APDUTransport. Reports left over from an abandoned
// exchange are drained first.
func (h hidTransport) Exchange(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := h.drain(ctx); err != nil {
		return nil, err
	}
	reports, err := frameAPDU(cmd)
	if err != nil {
		return nil, err
	}
	for _, r := range reports {
		if err := h.t.WriteReport(ctx, r); err != nil {
			return nil, err
		}
	}
	a := newAssembler()
	for {
		r, err := h.t.ReadReport(ctx)
		if err != nil {
			return nil, err
		}
		done, err := a.add(r)
		if err != nil {
			return nil, err
		}
		if done {
			return a.reply(), nil
		}
	}
}

// Close implements APDUTransport.
func (h hidTransport) Close() error { return h.t.Close() }

// drain discards reports left over from an abandoned exchange (a reply that
// arrived after its caller gave up), so they are not taken for the answer
// to the next request.
func (h hidTransport) drain(ctx context.Context) error {
	for range maxDrain {
		dctx, cancel := context.WithTimeout(ctx, drainWait)
		_, err := h.t.ReadReport(dctx)
		cancel()
		switch {
		case err == nil:
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			return nil
		default:
			return err
		}
	}
	return nil
}
