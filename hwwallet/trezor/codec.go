package trezor

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"
)

// Codec v1 framing, as spoken by every Trezor before THP over HID (Trezor
// One) and WebUSB (the rest). Source: trezor-firmware
// python/src/trezorlib/transport/protocol.py (ProtocolV1) and
// legacy/firmware/usb.c / core/src/trezor/wire/codec/codec_v1.py.
//
// A message is "##", a 2-byte big-endian message type, a 4-byte big-endian
// protobuf length and the protobuf bytes. It is cut into 63-byte slices;
// each report is '?' followed by one slice, zero-padded to 64 bytes. The
// first report therefore reads 3f 23 23 TT TT LL LL LL LL + 55 bytes, and
// every continuation report 3f + 63 bytes.
const (
	reportMagic   = '?'
	headerMagic   = '#'
	headerSize    = 8                                    // "##" + type + length
	firstPayload  = hwwallet.ReportSize - 1 - headerSize // 55
	contPayload   = hwwallet.ReportSize - 1              // 63
	maxReplyBytes = 64 << 10                             // larger than any reply we ask for
)

// encodeMessage frames one message into 64-byte reports.
func encodeMessage(kind uint16, data []byte) [][]byte {
	stream := make([]byte, headerSize, headerSize+len(data))
	stream[0], stream[1] = headerMagic, headerMagic
	binary.BigEndian.PutUint16(stream[2:4], kind)
	binary.BigEndian.PutUint32(stream[4:8], uint32(len(data)))
	stream = append(stream, data...)

	reports := make([][]byte, 0, (len(stream)+contPayload-1)/contPayload)
	for len(stream) > 0 {
		n := min(len(stream), contPayload)
		r := make([]byte, hwwallet.ReportSize)
		r[0] = reportMagic
		copy(r[1:], stream[:n])
		reports = append(reports, r)
		stream = stream[n:]
	}
	return reports
}

// assembler reassembles one message from reports. The zero value waits for
// a first report.
type assembler struct {
	// resync restarts the message at any report that looks like a first
	// report, to get past the tail of an abandoned reply. Off in normal
	// reading, where a continuation may legitimately start with "##".
	resync  bool
	started bool
	kind    uint16
	want    int
	data    []byte
}

// add consumes one report. It reports done once the whole message has
// arrived; errors wrap hwwallet.ErrBadReply and never panic on any input.
func (a *assembler) add(report []byte) (done bool, err error) {
	if len(report) != hwwallet.ReportSize {
		return false, fmt.Errorf("report of %d bytes, want %d: %w", len(report), hwwallet.ReportSize, hwwallet.ErrBadReply)
	}
	if report[0] != reportMagic {
		return false, fmt.Errorf("report does not start with '?' (0x%02x): %w", report[0], hwwallet.ErrBadReply)
	}
	if a.resync && a.started && report[1] == headerMagic && report[2] == headerMagic {
		a.started = false
	}
	if !a.started {
		if report[1] != headerMagic || report[2] != headerMagic {
			return false, fmt.Errorf("first report lacks the ?## header: %w", hwwallet.ErrBadReply)
		}
		a.kind = binary.BigEndian.Uint16(report[3:5])
		size := binary.BigEndian.Uint32(report[5:9])
		if size > maxReplyBytes {
			return false, fmt.Errorf("reply of %d bytes exceeds %d: %w", size, maxReplyBytes, hwwallet.ErrBadReply)
		}
		a.want = int(size)
		a.started = true
		a.data = make([]byte, 0, a.want)
		a.take(report[1+headerSize:])
		return len(a.data) == a.want, nil
	}
	a.take(report[1:])
	return len(a.data) == a.want, nil
}

func (a *assembler) take(chunk []byte) {
	n := min(len(chunk), a.want-len(a.data))
	a.data = append(a.data, chunk[:n]...)
}

// writeMessage frames and sends one message.
func writeMessage(ctx context.Context, t hwwallet.Transport, kind uint16, data []byte) error {
	for _, r := range encodeMessage(kind, data) {
		if err := t.WriteReport(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// readMessage reads reports until one whole message has arrived.
func readMessage(ctx context.Context, t hwwallet.Transport) (kind uint16, data []byte, err error) {
	return readWith(ctx, t, &assembler{})
}

// readMessageResync is readMessage for draining after an abandoned
// exchange: a new header restarts the message.
func readMessageResync(ctx context.Context, t hwwallet.Transport) (kind uint16, data []byte, err error) {
	return readWith(ctx, t, &assembler{resync: true})
}

func readWith(ctx context.Context, t hwwallet.Transport, a *assembler) (uint16, []byte, error) {
	for {
		r, err := t.ReadReport(ctx)
		if err != nil {
			return 0, nil, err
		}
		done, err := a.add(r)
		if err != nil {
			return 0, nil, err
		}
		if done {
			return a.kind, a.data, nil
		}
	}
}
