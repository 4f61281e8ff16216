package thp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// PacketSize is the size of one THP packet on USB and on the emulator's
// UDP transport.
const PacketSize = 64

// Channel ids (specification.md "Channel identifier").
const (
	// BroadcastChannel carries channel allocation and ping/pong.
	BroadcastChannel uint16 = 0xFFFF
	minChannel       uint16 = 0x0001
	maxChannel       uint16 = 0xFFEF
)

// Control bytes (specification.md, rust/trezor-thp/src/control_byte.rs).
// The five data kinds match with mask 0xE7: bit 0x10 is the sequence bit,
// bit 0x08 the piggybacked ACK (never used here).
const (
	ctlHandshakeInitReq  byte = 0x00
	ctlHandshakeInitResp byte = 0x01
	ctlHandshakeCompReq  byte = 0x02
	ctlHandshakeCompResp byte = 0x03
	ctlEncrypted         byte = 0x04
	ctlAck               byte = 0x20
	ctlAllocReq          byte = 0x40
	ctlAllocResp         byte = 0x41
	ctlError             byte = 0x42
	ctlPing              byte = 0x43
	ctlPong              byte = 0x44
	ctlCodecV1           byte = 0x3F
	ctlContinuation      byte = 0x80

	dataMask  byte = 0xE7
	seqBit    byte = 0x10
	ackSeqBit byte = 0x08
)

// maxLength is the largest length field: payload plus CRC
// (rust/trezor-thp/src/header.rs MAX_PAYLOAD_LEN).
const maxLength = 60000

const (
	initHeaderLen = 5 // control byte, channel id, length
	contHeaderLen = 3 // 0x80, channel id
	crcLen        = 4
)

// Errors of the packet layer; a receiver drops such input.
var (
	// errBadPacket: a packet that does not parse (size, control byte, length).
	errBadPacket = errors.New("malformed THP packet")
	// errBadChecksum: a reassembled payload whose CRC-32 does not match.
	errBadChecksum = errors.New("THP checksum mismatch")
)

// frame is one transport payload: its control byte, channel and payload
// (without the CRC).
type frame struct {
	ctl     byte
	channel uint16
	payload []byte
}

// isData reports whether the frame is a sequenced message (handshake or
// encrypted transport), with its kind and sequence bit.
func (f frame) isData() (kind byte, seq byte, ok bool) {
	k := f.ctl & dataMask
	if k > ctlEncrypted {
		return 0, 0, false
	}
	return k, (f.ctl & seqBit) >> 4, true
}

// isAck reports whether the frame is an ACK, with the acknowledged bit.
func (f frame) isAck() (seq byte, ok bool) {
	if f.ctl&0xF7 != ctlAck {
		return 0, false
	}
	return (f.ctl & ackSeqBit) >> 3, true
}

// validControl reports whether an initiation packet's control byte is one
// THP defines (codec v1 is handled before framing).
func validControl(ctl byte) bool {
	if ctl&dataMask <= ctlEncrypted {
		return true
	}
	if ctl&0xF7 == ctlAck {
		return true
	}
	switch ctl {
	case ctlAllocReq, ctlAllocResp, ctlError, ctlPing, ctlPong:
		return true
	}
	return false
}

// checksum is CRC-32/IEEE over the header and payload, big-endian
// (specification.md "Error detection layer").
func checksum(header, payload []byte) []byte {
	c := crc32.NewIEEE()
	c.Write(header)
	c.Write(payload)
	return binary.BigEndian.AppendUint32(nil, c.Sum32())
}

// packets cuts the frame into zero-padded 64-byte packets: an initiation
// packet with the 5-byte header, then continuation packets (0x80, channel
// id, 61 bytes each).
func (f frame) packets() ([][]byte, error) {
	length := len(f.payload) + crcLen
	if length > maxLength {
		return nil, fmt.Errorf("message of %d bytes exceeds %d", len(f.payload), maxLength-crcLen)
	}
	header := make([]byte, initHeaderLen)
	header[0] = f.ctl
	binary.BigEndian.PutUint16(header[1:3], f.channel)
	binary.BigEndian.PutUint16(header[3:5], uint16(length))
	stream := append(append(header[:initHeaderLen:initHeaderLen], f.payload...), checksum(header, f.payload)...)

	first := make([]byte, PacketSize)
	n := copy(first, stream)
	out := [][]byte{first}
	for rest := stream[n:]; len(rest) > 0; {
		p := make([]byte, PacketSize)
		p[0] = ctlContinuation
		binary.BigEndian.PutUint16(p[1:3], f.channel)
		m := copy(p[contHeaderLen:], rest)
		rest = rest[m:]
		out = append(out, p)
	}
	return out, nil
}

// packetChannel returns the channel id of a THP packet.
func packetChannel(p []byte) uint16 { return binary.BigEndian.Uint16(p[1:3]) }

// isContinuation reports whether p continues a payload.
func isContinuation(p []byte) bool { return p[0]&ctlContinuation != 0 }

// reassembler collects the packets of one payload at a time, like the
// firmware's single receive buffer: a new initiation packet replaces a
// half-received payload, and a continuation that belongs to none is
// dropped.
type reassembler struct {
	active  bool
	header  [initHeaderLen]byte
	want    int // payload + CRC bytes still expected in total
	buf     []byte
	channel uint16
}

// push adds one packet. It returns a frame when a payload is complete,
// (nil, nil) when more packets are needed or the packet was ignored, and
// an error for a malformed packet or a checksum mismatch (the caller
// drops the payload).
func (r *reassembler) push(p []byte) (*frame, error) {
	if len(p) != PacketSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", errBadPacket, len(p), PacketSize)
	}
	if isContinuation(p) {
		if !r.active || packetChannel(p) != r.channel {
			return nil, nil
		}
		return r.add(p[contHeaderLen:])
	}
	r.active = false
	if !validControl(p[0]) {
		return nil, fmt.Errorf("%w: control byte %#02x", errBadPacket, p[0])
	}
	length := int(binary.BigEndian.Uint16(p[3:5]))
	if length < crcLen || length > maxLength {
		return nil, fmt.Errorf("%w: length %d", errBadPacket, length)
	}
	copy(r.header[:], p[:initHeaderLen])
	r.channel = packetChannel(p)
	r.want = length
	r.buf = make([]byte, 0, length)
	r.active = true
	return r.add(p[initHeaderLen:])
}

func (r *reassembler) add(chunk []byte) (*frame, error) {
	need := r.want - len(r.buf)
	if len(chunk) > need {
		chunk = chunk[:need]
	}
	r.buf = append(r.buf, chunk...)
	if len(r.buf) < r.want {
		return nil, nil
	}
	r.active = false
	payload, crc := r.buf[:r.want-crcLen], r.buf[r.want-crcLen:]
	if string(checksum(r.header[:], payload)) != string(crc) {
		return nil, errBadChecksum
	}
	return &frame{ctl: r.header[0], channel: r.channel, payload: payload}, nil
}

// inProgress reports whether a payload is half received, and on which
// channel.
func (r *reassembler) inProgress() (uint16, bool) { return r.channel, r.active }

// codecV1Probe reports whether p is a codec v1 initiation packet ("?##"),
// which a THP device answers with Failure(InvalidProtocol).
func codecV1Probe(p []byte) bool {
	return len(p) >= 3 && p[0] == ctlCodecV1 && p[1] == '#' && p[2] == '#'
}

// codecV1Failure is the device's fixed answer to a codec v1 message:
// Failure{code = 17 InvalidProtocol} in codec v1 framing.
var codecV1Failure = func() []byte {
	p := make([]byte, PacketSize)
	copy(p, []byte{0x3f, 0x23, 0x23, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x11})
	return p
}()
