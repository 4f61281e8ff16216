package emulator

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// ButtonRequest codes newer than go-ethereum's enum (messages-common.proto).
const (
	buttonPassphraseEntry trezor.ButtonRequest_ButtonRequestType = 19
	buttonPinEntry        trezor.ButtonRequest_ButtonRequestType = 20
)

// maxPassphraseBytes is PassphraseAck.passphrase's limit (max_size:51
// with the C string's NUL).
const maxPassphraseBytes = 50

// ErrBadPINMatrix is returned by TrezorPINPositions for a matrix or PIN it
// cannot map.
var ErrBadPINMatrix = errors.New("emulator: cannot map the PIN through the matrix")

// trezorMatrix is a scrambled PIN matrix as legacy/firmware/pinmatrix.c
// draws it: perm[i] is the digit shown at keypad position i+1, where the
// keypad reads 7 8 9 / 4 5 6 / 1 2 3 from the top.
type trezorMatrix [9]byte

// newTrezorMatrix shuffles the digits 1-9 (Fisher-Yates over crypto/rand,
// like pinmatrix_start's random_permute).
func newTrezorMatrix() trezorMatrix {
	var m trezorMatrix
	for i := range m {
		m[i] = byte('1' + i)
	}
	for i := len(m) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			continue // crypto/rand does not fail on supported platforms
		}
		k := j.Int64()
		m[i], m[k] = m[k], m[i]
	}
	return m
}

// String is the screen: three rows, top row first, digits separated by
// spaces ("3 9 1\n7 2 8\n5 4 6").
func (m trezorMatrix) String() string {
	rows := [3][3]int{{6, 7, 8}, {3, 4, 5}, {0, 1, 2}}
	var b strings.Builder
	for r, row := range rows {
		if r > 0 {
			b.WriteByte('\n')
		}
		for c, i := range row {
			if c > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte(m[i])
		}
	}
	return b.String()
}

// decode maps typed positions to digits as pinmatrix_done does; anything
// that is not a position 1-9 becomes 'X', which matches no PIN.
func (m trezorMatrix) decode(positions string) string {
	out := []byte(positions)
	for i, c := range out {
		if c >= '1' && c <= '9' {
			out[i] = m[c-'1']
		} else {
			out[i] = 'X'
		}
	}
	return string(out)
}

// TrezorPINPositions answers a Trezor One PIN matrix the way a user does:
// given the matrix text of a PromptPIN prompt (three rows of three digits,
// top row first) and the PIN, it returns the keypad positions to send
// ("7 8 9 / 4 5 6 / 1 2 3" layout). Tests and the daemon's dev mode use it
// to play the user.
func TrezorPINPositions(matrix, pin string) (string, error) {
	digits := strings.Fields(matrix)
	if len(digits) != 9 {
		return "", fmt.Errorf("%w: matrix has %d cells", ErrBadPINMatrix, len(digits))
	}
	keypad := "789456123" // position shown in each cell, read row by row
	where := make(map[byte]byte, 9)
	for i, d := range digits {
		if len(d) != 1 || d[0] < '1' || d[0] > '9' {
			return "", fmt.Errorf("%w: cell %q", ErrBadPINMatrix, d)
		}
		where[d[0]] = keypad[i]
	}
	if len(where) != 9 {
		return "", fmt.Errorf("%w: repeated digits", ErrBadPINMatrix)
	}
	out := make([]byte, len(pin))
	for i := range len(pin) {
		p, ok := where[pin[i]]
		if !ok {
			return "", fmt.Errorf("%w: PIN digit %q", ErrBadPINMatrix, pin[i])
		}
		out[i] = p
	}
	return string(out), nil
}

// enterPIN unlocks the device. The Trezor One shows a scrambled matrix and
// sends PinMatrixRequest (messages-common.proto, type Current); the host
// answers PinMatrixAck with positions (legacy/firmware/protect.c
// protectPin). Core models take the PIN on their own screen behind a
// ButtonRequest (code PinEntry). Success unlocks the Behaviour.
func (e *Trezor) enterPIN() error {
	if !e.isOne() {
		if err := e.buttonRequest(buttonPinEntry); err != nil {
			return err
		}
		switch e.waitUser(Prompt{Vendor: hwwallet.VendorTrezor, Kind: PromptPIN, Title: "Enter PIN"}) {
		case Approved:
			e.b.SetLocked(false)
			return nil
		case Rejected:
			return fail(trezor.Failure_Failure_PinCancelled, "PIN entry cancelled")
		default:
			return e.abandoned()
		}
	}
	matrix := newTrezorMatrix()
	e.b.Show(Prompt{Vendor: hwwallet.VendorTrezor, Kind: PromptPIN, Title: "Please enter current PIN:", Text: matrix.String()})
	req := &trezor.PinMatrixRequest{Type: trezor.PinMatrixRequest_PinMatrixRequestType_Current.Enum()}
	if err := e.send(req); err != nil {
		return err
	}
	m, err := e.next()
	if err != nil {
		return err
	}
	switch m.kind {
	case trezor.Type(&trezor.PinMatrixAck{}):
	case trezor.Type(&trezor.Cancel{}):
		return fail(trezor.Failure_Failure_PinCancelled, "PIN Cancelled")
	default:
		return fail(trezor.Failure_Failure_UnexpectedMessage, "PinMatrixAck expected")
	}
	var ack trezor.PinMatrixAck
	if err := proto.Unmarshal(m.data, &ack); err != nil {
		return fail(trezor.Failure_Failure_DataError, "Failed to decode message")
	}
	if ack.GetPin() == "" || matrix.decode(ack.GetPin()) != e.b.PIN() {
		return fail(trezor.Failure_Failure_PinInvalid, "Invalid PIN")
	}
	e.b.SetLocked(false)
	return nil
}

// askPassphrase sends PassphraseRequest (no fields since core 2.3.0 / T1
// 1.9.0) and takes the PassphraseAck: passphrase = 1, or on_device = 3 on
// models with Capability_PassphraseEntry (core/src/apps/common/passphrase.py).
// The passphrase is cached for the session.
func (e *Trezor) askPassphrase() error {
	if err := e.send(&trezor.PassphraseRequest{}); err != nil {
		return err
	}
	m, err := e.next()
	if err != nil {
		return err
	}
	switch m.kind {
	case trezor.Type(&trezor.PassphraseAck{}):
	case trezor.Type(&trezor.Cancel{}):
		return fail(trezor.Failure_Failure_ActionCancelled, "Cancelled")
	default:
		return fail(trezor.Failure_Failure_UnexpectedMessage, "PassphraseAck expected")
	}
	var ack trezor.PassphraseAck
	if err := proto.Unmarshal(m.data, &ack); err != nil {
		return fail(trezor.Failure_Failure_DataError, "Failed to decode message")
	}
	onDevice, ok := ackOnDevice(ack.ProtoReflect().GetUnknown())
	if !ok {
		return fail(trezor.Failure_Failure_DataError, "Failed to decode message")
	}
	switch {
	case onDevice && ack.Passphrase != nil:
		return fail(trezor.Failure_Failure_DataError, "Passphrase provided when it should not be")
	case onDevice && e.isOne():
		return fail(trezor.Failure_Failure_DataError, "Passphrase entry on device is not supported")
	case onDevice:
		if err := e.buttonRequest(buttonPassphraseEntry); err != nil {
			return err
		}
		switch e.waitUser(Prompt{Vendor: hwwallet.VendorTrezor, Kind: PromptPassphrase, Title: "Enter passphrase"}) {
		case Approved:
			e.mu.Lock()
			typed := e.devicePass
			e.mu.Unlock()
			e.passphrase = typed
		case Rejected:
			return fail(trezor.Failure_Failure_ActionCancelled, "Cancelled")
		default:
			return e.abandoned()
		}
	case ack.Passphrase == nil:
		return fail(trezor.Failure_Failure_DataError, "Use empty string to set an empty passphrase.")
	case len(ack.GetPassphrase()) > maxPassphraseBytes:
		return fail(trezor.Failure_Failure_DataError, "Too long passphrase")
	default:
		e.passphrase = ack.GetPassphrase()
	}
	e.hasPassphrase = true
	return nil
}

// ackOnDevice reads PassphraseAck.on_device (field 3), which go-ethereum's
// struct lacks, out of the unknown fields.
func ackOnDevice(b []byte) (onDevice, ok bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false, false
		}
		b = b[n:]
		if num == 3 && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return false, false
			}
			onDevice = v != 0
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return false, false
		}
		b = b[n:]
	}
	return onDevice, true
}
