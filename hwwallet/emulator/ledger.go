package emulator

import (
	"context"
	"encoding/binary"
	"sync"

	"github.com/litsigner/litsigner/hwwallet"
)

// Ledger is an emulated Ledger running the Ethereum app. Each Transport
// call plugs in a new cable with its own device loop (the app state starts
// idle, as after a replug); Unplug cuts every cable. It is safe for
// concurrent use.
type Ledger struct {
	keys *Keyring
	b    *Behaviour

	mu     sync.Mutex
	pipes  map[*Pipe]struct{}
	closed bool
	wg     sync.WaitGroup
}

// LedgerDeviceID is the hwwallet.DeviceInfo.ID of the emulated Ledger.
const LedgerDeviceID = "emulator:ledger"

// LedgerAppVersion is the Ethereum app version the emulator reports.
var LedgerAppVersion = [3]byte{1, 19, 1}

// NewLedger returns an emulated Ledger holding the seed of mnemonic (no
// BIP-39 passphrase). b scripts the user and device state; nil means
// NewBehaviour() (approve everything).
func NewLedger(mnemonic string, b *Behaviour) (*Ledger, error) {
	keys, err := NewKeyringFromMnemonic(mnemonic, "")
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = NewBehaviour()
	}
	return &Ledger{keys: keys, b: b, pipes: make(map[*Pipe]struct{})}, nil
}

// Behaviour returns the device's script (change it at any time).
func (l *Ledger) Behaviour() *Behaviour { return l.b }

// Keyring returns the device's keys (tests use it to compute expectations).
func (l *Ledger) Keyring() *Keyring { return l.keys }

// Info describes the emulated device as the hub lists it.
func (l *Ledger) Info() hwwallet.DeviceInfo {
	return hwwallet.DeviceInfo{ID: LedgerDeviceID, Vendor: hwwallet.VendorLedger, Model: "Nano S Plus (emulated)", Product: "Nano S Plus", Emulated: true}
}

// Transport plugs in a new cable and returns its host end. After Close it
// returns a transport whose calls fail with ErrDisconnected.
func (l *Ledger) Transport() hwwallet.Transport {
	p := NewPipe(l.b)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		p.Unplug()
		return p.Host()
	}
	l.pipes[p] = struct{}{}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.serve(p)
		l.mu.Lock()
		delete(l.pipes, p)
		l.mu.Unlock()
	}()
	return p.Host()
}

// Unplug cuts every cable: pending and later calls on their transports fail
// with ErrDisconnected. A later Transport call plugs the device in again.
func (l *Ledger) Unplug() {
	l.mu.Lock()
	for p := range l.pipes {
		p.Unplug()
	}
	l.mu.Unlock()
}

// Close unplugs the device for good and waits for its device loops to end.
func (l *Ledger) Close() error {
	l.mu.Lock()
	l.closed = true
	for p := range l.pipes {
		p.Unplug()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return nil
}

// serve is the device loop of one cable: read an APDU, answer it.
func (l *Ledger) serve(p *Pipe) {
	dev := p.Device()
	app := &ledgerApp{keys: l.keys, b: l.b, done: p.Done()}
	for {
		cmd, err := readLedgerAPDU(dev)
		if err != nil {
			return
		}
		reply, ok := app.handle(cmd)
		if !ok {
			return // abandoned: the cable is gone
		}
		if err := writeLedgerReply(dev, reply); err != nil {
			return
		}
	}
}

// Device side of the HID framing, written independently of the driver's
// (ledger/frame.go) so that the two check each other: channel 0x0101, tag
// 0x05, sequence from 0, 2-byte length in the first report.
func readLedgerAPDU(dev hwwallet.Transport) ([]byte, error) {
	var (
		buf  []byte
		want = -1
		seq  uint16
	)
	for {
		r, err := dev.ReadReport(context.Background())
		if err != nil {
			return nil, err
		}
		if r[0] != 0x01 || r[1] != 0x01 || r[2] != 0x05 {
			// A real device ignores reports on other channels/tags.
			continue
		}
		if s := binary.BigEndian.Uint16(r[3:5]); s != seq {
			if s != 0 {
				// Out-of-order report: start over, as the firmware does.
				buf, want, seq = nil, -1, 0
				continue
			}
			buf, want, seq = nil, -1, 0
		}
		payload := r[5:]
		if seq == 0 {
			want = int(binary.BigEndian.Uint16(payload[:2]))
			payload = payload[2:]
			buf = make([]byte, 0, want)
		}
		seq++
		n := min(want-len(buf), len(payload))
		buf = append(buf, payload[:n]...)
		if len(buf) == want {
			return buf, nil
		}
	}
}

func writeLedgerReply(dev hwwallet.Transport, reply []byte) error {
	stream := binary.BigEndian.AppendUint16(nil, uint16(len(reply)))
	stream = append(stream, reply...)
	for seq := uint16(0); len(stream) > 0; seq++ {
		r := make([]byte, hwwallet.ReportSize)
		r[0], r[1], r[2] = 0x01, 0x01, 0x05
		binary.BigEndian.PutUint16(r[3:5], seq)
		n := copy(r[5:], stream)
		stream = stream[n:]
		if err := dev.WriteReport(context.Background(), r); err != nil {
			return err
		}
	}
	return nil
}
