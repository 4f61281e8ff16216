package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"
)

// HID framing of APDUs, as in LedgerHQ ledgerjs hw-transport/src/hid-framing.ts
// and go-ethereum accounts/usbwallet/ledger.go (see hwwallet/PROTOCOL.md
// §2): every 64-byte report starts with the channel (0x0101), the tag
// TAG_APDU (0x05) and a big-endian sequence number from 0; the first report
// then carries the big-endian length of the whole APDU (or reply). Reports
// are zero-padded to 64 bytes, as ledgerjs does.
const (
	channel    = 0x0101
	tagAPDU    = 0x05
	headerSize = 5 // channel(2) tag(1) seq(2)
	maxAPDU    = 0xffff
)

// frameAPDU cuts one APDU (or, on the device side, one reply) into reports.
func frameAPDU(apdu []byte) ([][]byte, error) {
	if len(apdu) > maxAPDU {
		return nil, fmt.Errorf("ledger: APDU of %d bytes: %w", len(apdu), hwwallet.ErrBadRequest)
	}
	stream := make([]byte, 2, 2+len(apdu))
	binary.BigEndian.PutUint16(stream, uint16(len(apdu)))
	stream = append(stream, apdu...)
	var reports [][]byte
	for seq := 0; len(stream) > 0; seq++ {
		r := make([]byte, hwwallet.ReportSize)
		binary.BigEndian.PutUint16(r[0:], channel)
		r[2] = tagAPDU
		binary.BigEndian.PutUint16(r[3:], uint16(seq))
		n := copy(r[headerSize:], stream)
		stream = stream[n:]
		reports = append(reports, r)
	}
	return reports, nil
}

// assembler rebuilds one reply from its reports.
type assembler struct {
	seq  uint16
	want int // total length, -1 until the first report
	buf  []byte
}

func newAssembler() *assembler { return &assembler{want: -1} }

// add consumes one report; done is true once the reply is complete.
func (a *assembler) add(report []byte) (done bool, err error) {
	if len(report) < headerSize+1 {
		return false, fmt.Errorf("ledger: short report of %d bytes: %w", len(report), hwwallet.ErrBadReply)
	}
	if binary.BigEndian.Uint16(report[0:]) != channel || report[2] != tagAPDU {
		return false, fmt.Errorf("ledger: report header % x: %w", report[:3], hwwallet.ErrBadReply)
	}
	if seq := binary.BigEndian.Uint16(report[3:]); seq != a.seq {
		return false, fmt.Errorf("ledger: report sequence %d, want %d: %w", seq, a.seq, hwwallet.ErrBadReply)
	}
	a.seq++
	payload := report[headerSize:]
	if a.want < 0 {
		if len(payload) < 2 {
			return false, fmt.Errorf("ledger: first report without length: %w", hwwallet.ErrBadReply)
		}
		a.want = int(binary.BigEndian.Uint16(payload))
		payload = payload[2:]
		a.buf = make([]byte, 0, a.want)
	}
	n := min(a.want-len(a.buf), len(payload))
	a.buf = append(a.buf, payload[:n]...)
	return len(a.buf) == a.want, nil
}

// reply returns the reassembled bytes.
func (a *assembler) reply() []byte { return a.buf }

// unframe reassembles a complete reply from reports (used by tests and the
// fuzz target; the driver feeds an assembler report by report).
func unframe(reports [][]byte) ([]byte, error) {
	a := newAssembler()
	for i, r := range reports {
		done, err := a.add(r)
		if err != nil {
			return nil, err
		}
		if done {
			if i != len(reports)-1 {
				return nil, fmt.Errorf("ledger: %d reports after the reply: %w", len(reports)-1-i, hwwallet.ErrBadReply)
			}
			return a.reply(), nil
		}
	}
	return nil, fmt.Errorf("ledger: reply truncated: %w", hwwallet.ErrBadReply)
}
