package thp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// PacketTransport moves single 64-byte THP packets. The USB transport and
// the emulator's UDP socket implement it (hwwallet.Transport fits through
// Reports). ReadPacket must not lose a packet when ctx ends: the protocol
// reads with short deadlines while it waits for ACKs.
type PacketTransport interface {
	// ReadPacket waits for the next packet or for ctx to end.
	ReadPacket(ctx context.Context) ([]byte, error)
	// WritePacket sends one packet of PacketSize bytes.
	WritePacket(ctx context.Context, p []byte) error
}

// Retransmission and back-off parameters.
const (
	// hostMaxAttempts bounds the host's sends of one message (trezorlib: 20).
	hostMaxAttempts = 20
	// deviceMaxAttempts is the firmware's MAX_RETRANSMISSION_COUNT.
	deviceMaxAttempts = 50
	// maxBusyBackoff is MAX_BUSY_BACKOFF_MS: a host answered
	// TRANSPORT_BUSY waits a random time up to this, then resends.
	maxBusyBackoff = 500 * time.Millisecond
	// maxBusyRetries bounds the resends after TRANSPORT_BUSY.
	maxBusyRetries = 50
)

// retransmitAfter is the firmware's retransmission timeout for the given
// retry (rust/trezor-thp channel/mod.rs retransmit_after_ms):
// 10300 − 1010000/(retry+100) ms, 200 ms at first, growing towards 10 s.
func retransmitAfter(retry int) time.Duration {
	return time.Duration(10300-1010000/(retry+100)) * time.Millisecond
}

// link is the alternating-bit protocol of one channel: one sequenced
// message in flight per direction, explicit ACKs, retransmission on
// timeout, duplicates re-ACKed and dropped. The same code serves the host
// and the device; they differ in where frames come from (next) and how
// often they retry.
type link struct {
	channel     uint16
	write       func(ctx context.Context, f frame) error
	next        func(ctx context.Context) (*frame, error) // frames of this channel only
	maxAttempts int
	rand        io.Reader // busy back-off; nil on the device

	sendSeq, recvSeq byte
	inflight         *frame // sent, not yet acknowledged
	attempt          int    // retransmissions of inflight so far
	stash            *frame // a message that arrived while an ACK was awaited
}

// send delivers one sequenced message (kind is a data control byte
// without the sequence bit) and waits for its ACK. A message whose
// delivery an ended context interrupted is still in flight: it is
// delivered first, so that the sequence bits stay in step.
func (l *link) send(ctx context.Context, kind byte, payload []byte) error {
	if l.inflight != nil {
		if err := l.deliver(ctx); err != nil {
			return err
		}
	}
	l.inflight = &frame{ctl: kind | l.sendSeq<<4, channel: l.channel, payload: payload}
	l.attempt = 0
	return l.deliver(ctx)
}

// deliver (re)sends the message in flight until it is acknowledged.
func (l *link) deliver(ctx context.Context) error {
	busy := 0
	for {
		if err := l.write(ctx, *l.inflight); err != nil {
			return err
		}
		acked, err := l.awaitAck(ctx, retransmitAfter(l.attempt))
		switch {
		case errors.Is(err, ErrTransportBusy) && l.rand != nil && busy < maxBusyRetries:
			busy++
			if err := sleep(ctx, l.backoff()); err != nil {
				return err
			}
		case err != nil:
			return err
		case acked:
			l.inflight = nil
			l.sendSeq ^= 1
			return nil
		default:
			l.attempt++
			if l.attempt >= l.maxAttempts {
				return fmt.Errorf("%w after %d attempts", ErrNoAck, l.attempt)
			}
		}
	}
}

// awaitAck waits up to d for the ACK of the message in flight. A new
// message from the peer also acknowledges it (the peer only answers what
// it received): it is ACKed and kept for recv.
func (l *link) awaitAck(ctx context.Context, d time.Duration) (bool, error) {
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		f, err := l.next(tctx)
		if err != nil {
			if ctx.Err() == nil && tctx.Err() != nil {
				return false, nil
			}
			return false, err
		}
		if seq, ok := f.isAck(); ok {
			if seq == l.sendSeq {
				return true, nil
			}
			continue
		}
		if f.ctl == ctlError {
			return false, transportError(f.payload)
		}
		if _, seq, ok := f.isData(); ok {
			if seq == l.recvSeq && l.stash != nil {
				continue // no room: left unacknowledged, the peer resends it
			}
			if err := l.ack(ctx, seq); err != nil {
				return false, err
			}
			if seq == l.recvSeq {
				l.recvSeq ^= 1
				l.stash = f
				return true, nil
			}
		}
	}
}

// recv returns the next new sequenced message, ACKing every copy.
func (l *link) recv(ctx context.Context) (*frame, error) {
	if f := l.stash; f != nil {
		l.stash = nil
		return f, nil
	}
	for {
		f, err := l.next(ctx)
		if err != nil {
			return nil, err
		}
		if f.ctl == ctlError {
			return nil, transportError(f.payload)
		}
		_, seq, ok := f.isData()
		if !ok {
			continue // a late ACK, or a frame that has no place here
		}
		if err := l.ack(ctx, seq); err != nil {
			return nil, err
		}
		if seq != l.recvSeq {
			continue // a retransmission of a message already delivered
		}
		l.recvSeq ^= 1
		return f, nil
	}
}

func (l *link) ack(ctx context.Context, seq byte) error {
	return l.write(ctx, frame{ctl: ctlAck | seq<<3, channel: l.channel})
}

// backoff is a random wait in [0, maxBusyBackoff).
func (l *link) backoff() time.Duration {
	var b [8]byte
	if _, err := io.ReadFull(l.rand, b[:]); err != nil {
		return maxBusyBackoff / 2
	}
	return time.Duration(binary.BigEndian.Uint64(b[:]) % uint64(maxBusyBackoff))
}

// transportError decodes a transport error payload (one code byte).
func transportError(payload []byte) error {
	if len(payload) != 1 {
		return fmt.Errorf("%w: transport error of %d bytes", ErrUnexpected, len(payload))
	}
	return ErrorCode(payload[0])
}

// sleep waits for d or for ctx to end.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
