// Package speculos speaks the APDU protocol of LedgerHQ's Speculos emulator
// over TCP (its --apdu-port, 9999 by default), both directions: Dial is
// the host side the Ledger driver runs on (ledger.OpenAPDU), and
// ReadCommand/WriteReply are the device side litsigner's own emulator
// serves (hwwallet/emulator/serve).
//
// The framing (speculos/mcu/apdu.py; ledgerjs hw-transport-node-speculos):
//
//	command: 4-byte big-endian length of the APDU, then the APDU
//	reply:   4-byte big-endian length of the data (without the status
//	         word), then the data, then the 2-byte status word
package speculos

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/litsigner/litsigner/hwwallet"
)

// DefaultPort is Speculos' default APDU port.
const DefaultPort = 9999

// MaxAPDU bounds a command or a reply's data. Short APDUs are at most 260
// bytes and replies 258; extended ones 65544. Anything larger is not an
// APDU, and a length prefix announcing it is refused before allocating.
const MaxAPDU = 1 << 16

// ErrFrame marks bytes that are not a valid frame of this protocol. Errors
// from the host side also wrap hwwallet.ErrBadReply.
var ErrFrame = errors.New("speculos: malformed frame")

// ReadCommand reads one command frame and returns the APDU. A clean end
// of stream before the frame is io.EOF.
func ReadCommand(r io.Reader) ([]byte, error) {
	n, err := readLength(r)
	if err != nil {
		return nil, err
	}
	if n < 4 {
		return nil, fmt.Errorf("%w: APDU of %d bytes (want at least CLA INS P1 P2)", ErrFrame, n)
	}
	apdu := make([]byte, n)
	if _, err := io.ReadFull(r, apdu); err != nil {
		return nil, cutShort("APDU", n, err)
	}
	return apdu, nil
}

// AppendCommand appends the frame of one command APDU to b.
func AppendCommand(b, apdu []byte) ([]byte, error) {
	if len(apdu) > MaxAPDU {
		return nil, fmt.Errorf("speculos: APDU of %d bytes: %w", len(apdu), hwwallet.ErrBadRequest)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(apdu)))
	return append(b, apdu...), nil
}

// AppendReply appends the frame of one reply (data followed by its status
// word) to b. Write it with a single Write: ledgerjs' transport expects a
// reply to arrive in one piece.
func AppendReply(b, reply []byte) ([]byte, error) {
	if len(reply) < 2 || len(reply)-2 > MaxAPDU {
		return nil, fmt.Errorf("speculos: reply of %d bytes: %w", len(reply), hwwallet.ErrBadRequest)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(reply)-2))
	return append(b, reply...), nil
}

// ReadReply reads one reply frame and returns its data followed by the
// status word.
func ReadReply(r io.Reader) ([]byte, error) {
	n, err := readLength(r)
	if err != nil {
		return nil, err
	}
	reply := make([]byte, n+2)
	if _, err := io.ReadFull(r, reply); err != nil {
		return nil, cutShort("reply", n+2, err)
	}
	return reply, nil
}

// readLength reads a 4-byte big-endian length and checks it against MaxAPDU.
func readLength(r io.Reader) (int, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, cutShort("length prefix", 4, err)
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > MaxAPDU {
		return 0, fmt.Errorf("%w: length prefix %d exceeds %d (not a Speculos APDU stream?)", ErrFrame, n, MaxAPDU)
	}
	return int(n), nil
}

// cutShort describes a frame the stream ended inside of (a malformed
// frame, wrapping ErrFrame and io.ErrUnexpectedEOF) or a read that failed
// (the error as is, e.g. a deadline or a reset connection).
func cutShort(what string, n int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s of %d bytes cut short: %w", ErrFrame, what, n, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("speculos: reading %s: %w", what, err)
}
