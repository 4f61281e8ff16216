package emulator

import (
	"encoding/binary"

	"github.com/litsigner/litsigner/hwwallet"
)

// Device side of Trezor codec v1 (trezor-firmware legacy/firmware/usb.c,
// core/src/trezor/wire/codec/codec_v1.py). Written separately from the
// driver's framing on purpose, so that each checks the other.
//
// Every report is 64 bytes and starts with '?'. The first report of a
// message continues "##", a big-endian uint16 message type and a
// big-endian uint32 payload length; the payload follows, 55 bytes in the
// first report and 63 in each continuation report, zero-padded at the end.

// trezorMsg is one codec v1 message.
type trezorMsg struct {
	kind uint16
	data []byte
}

// trezorMaxRequest is the largest request payload the emulator accepts;
// the firmware's receive buffers are far smaller, a real device would fail
// to decode anything bigger.
const trezorMaxRequest = 64 << 10

// trezorReports frames a reply.
func trezorReports(kind uint16, data []byte) [][]byte {
	var out [][]byte
	first := make([]byte, hwwallet.ReportSize)
	first[0], first[1], first[2] = '?', '#', '#'
	binary.BigEndian.PutUint16(first[3:5], kind)
	binary.BigEndian.PutUint32(first[5:9], uint32(len(data)))
	n := copy(first[9:], data)
	out = append(out, first)
	for rest := data[n:]; len(rest) > 0; {
		r := make([]byte, hwwallet.ReportSize)
		r[0] = '?'
		m := copy(r[1:], rest)
		out = append(out, r)
		rest = rest[m:]
	}
	return out
}

// trezorDeframer collects request reports into messages. Like the
// firmware, it drops reports that cannot start a message while none is in
// progress, and drops a message whose announced size is too large.
type trezorDeframer struct {
	active bool
	kind   uint16
	size   int
	data   []byte
}

// push adds one report and returns a message when one is complete.
func (d *trezorDeframer) push(r []byte) (trezorMsg, bool) {
	if len(r) != hwwallet.ReportSize || r[0] != '?' {
		d.active = false
		return trezorMsg{}, false
	}
	var chunk []byte
	if !d.active {
		if r[1] != '#' || r[2] != '#' {
			return trezorMsg{}, false
		}
		size := binary.BigEndian.Uint32(r[5:9])
		if size > trezorMaxRequest {
			return trezorMsg{}, false
		}
		d.active = true
		d.kind = binary.BigEndian.Uint16(r[3:5])
		d.size = int(size)
		d.data = make([]byte, 0, d.size)
		chunk = r[9:]
	} else {
		chunk = r[1:]
	}
	need := d.size - len(d.data)
	if len(chunk) > need {
		chunk = chunk[:need]
	}
	d.data = append(d.data, chunk...)
	if len(d.data) < d.size {
		return trezorMsg{}, false
	}
	d.active = false
	return trezorMsg{kind: d.kind, data: d.data}, true
}
