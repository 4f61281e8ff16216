package emulator

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/trezor/thp"
	"google.golang.org/protobuf/proto"
)

// TrezorDeviceID is the hwwallet.DeviceInfo.ID of the emulated Trezor.
const TrezorDeviceID = "emulator:trezor"

// The models NewTrezor accepts (Features.model as the firmware reports it).
const (
	TrezorOne   = "1"      // legacy firmware: host PIN matrix, 1024-byte messages
	TrezorT     = "T"      // core firmware, on-device PIN and passphrase entry
	TrezorSafe3 = "Safe 3" // core firmware (T2B1)
	TrezorSafe5 = "Safe 5" // core firmware (T3T1)
	TrezorSafe7 = "Safe 7" // THP only: every codec v1 message gets Failure(17)
)

// ErrUnknownTrezorModel is returned by NewTrezor for a model it cannot emulate.
var ErrUnknownTrezorModel = errors.New("emulator: unknown Trezor model")

// Trezor is an emulated Trezor speaking codec v1 over a Pipe: the device
// side of Initialize/GetFeatures, EthereumGetAddress and
// EthereumSignMessage with ButtonRequest, PinMatrixRequest (Trezor One,
// with a real scrambled matrix), on-device PIN entry (other models),
// PassphraseRequest, Cancel and Failure codes. The scripted user is the
// Behaviour: its action and delay answer every confirmation; SetPIN plus
// SetLocked(true) make the device ask for the PIN (entering it unlocks the
// Behaviour); SetPassphraseProtection turns passphrases on; SetTHP makes
// a codec v1 model answer Failure(InvalidProtocol) to anything (a THP
// device the host cannot reach). Model TrezorSafe7 is a real THP device
// instead (trezor_thp.go): pairing, credentials, sessions, and the same
// messages inside the encrypted channel.
//
// The device loop runs until the pipe is cut (the host closes its
// transport, Unplug, or Close); Done is closed once it has stopped.
type Trezor struct {
	mnemonic string
	model    string
	b        *Behaviour
	pipe     *Pipe
	in       chan trezorMsg
	done     chan struct{}

	mu             sync.Mutex
	abort          chan struct{} // closed by the reader when Cancel arrives during a prompt
	pendingCancels int           // Cancel messages queued in `in`
	readerGone     bool          // the cable is cut and readLoop has returned
	devicePass     string
	keys           map[string]*Keyring
	thp            *thp.Device // the Safe 7's THP device; nil on codec v1 models
	// Safety checks (trezor_safety.go): PromptTemporarily (RAM) and
	// PromptAlways (flash); neither set means Strict.
	safetyTemporary bool
	safetyAlways    bool

	// Device-loop state (only the device goroutine touches these).
	sessionID     []byte
	passphrase    string
	hasPassphrase bool
}

// NewTrezor starts an emulated Trezor of the given model (TrezorOne,
// TrezorT, TrezorSafe3, TrezorSafe5, TrezorSafe7; "" means TrezorT) holding
// mnemonic. b scripts the user; nil means NewBehaviour(). The host side is
// Transport(); hand it to trezor.Open with Info().
func NewTrezor(mnemonic string, b *Behaviour, model string) (*Trezor, error) {
	if model == "" {
		model = TrezorT
	}
	switch model {
	case TrezorOne, TrezorT, TrezorSafe3, TrezorSafe5, TrezorSafe7:
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownTrezorModel, model)
	}
	if b == nil {
		b = NewBehaviour()
	}
	e := &Trezor{
		mnemonic: mnemonic,
		model:    model,
		b:        b,
		pipe:     NewPipe(b),
		in:       make(chan trezorMsg, 16),
		done:     make(chan struct{}),
		keys:     make(map[string]*Keyring),
	}
	// Derive the default wallet now so a bad mnemonic fails here.
	if _, err := e.keyring(""); err != nil {
		return nil, err
	}
	if model == TrezorSafe7 {
		if err := e.startTHP(); err != nil {
			return nil, err
		}
		return e, nil
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); e.readLoop() }()
	go func() { defer wg.Done(); e.deviceLoop() }()
	go func() { wg.Wait(); close(e.done) }()
	return e, nil
}

// Transport is the host end of the emulator's cable, for trezor.Open.
func (e *Trezor) Transport() hwwallet.Transport { return e.pipe.Host() }

// Pipe is the emulator's cable (Unplug, Reports).
func (e *Trezor) Pipe() *Pipe { return e.pipe }

// Behaviour is the script the emulator plays.
func (e *Trezor) Behaviour() *Behaviour { return e.b }

// Model is the model the emulator reports (Features.model).
func (e *Trezor) Model() string { return e.model }

// Info describes the emulated device for hub.Hub and trezor.Open.
func (e *Trezor) Info() hwwallet.DeviceInfo {
	name := map[string]string{TrezorOne: "Trezor One", TrezorT: "Model T"}[e.model]
	if name == "" {
		name = e.model
	}
	return hwwallet.DeviceInfo{
		ID:       TrezorDeviceID,
		Vendor:   hwwallet.VendorTrezor,
		Model:    name,
		Product:  "TREZOR (emulated)",
		Emulated: true,
	}
}

// SetDevicePassphrase sets what the emulated user types when the host asks
// for passphrase entry on the device.
func (e *Trezor) SetDevicePassphrase(p string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.devicePass = p
}

// Close unplugs the emulator and waits for its goroutines to stop.
func (e *Trezor) Close() error {
	e.pipe.Unplug()
	<-e.done
	return nil
}

// Done is closed once the device goroutines have stopped.
func (e *Trezor) Done() <-chan struct{} { return e.done }

// keyring returns the wallet for a passphrase (BIP-39 salt), cached.
func (e *Trezor) keyring(passphrase string) (*Keyring, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if k, ok := e.keys[passphrase]; ok {
		return k, nil
	}
	k, err := NewKeyringFromMnemonic(e.mnemonic, passphrase)
	if err != nil {
		return nil, fmt.Errorf("emulator: trezor: %w", err)
	}
	e.keys[passphrase] = k
	return k, nil
}

// readLoop reassembles requests and queues them for the device loop. A
// Cancel also interrupts the prompt on screen, as on the real device where
// the USB stack is polled while the user looks at a screen.
func (e *Trezor) readLoop() {
	defer func() {
		e.mu.Lock()
		e.readerGone = true
		if e.abort != nil {
			close(e.abort)
			e.abort = nil
		}
		e.mu.Unlock()
		close(e.in)
	}()
	dev := e.pipe.Device()
	var d trezorDeframer
	for {
		r, err := dev.ReadReport(context.Background())
		if err != nil {
			return // the cable is cut
		}
		m, ok := d.push(r)
		if !ok {
			continue
		}
		if m.kind == trezor.Type(&trezor.Cancel{}) {
			e.mu.Lock()
			e.pendingCancels++
			if e.abort != nil {
				close(e.abort)
				e.abort = nil
			}
			e.mu.Unlock()
		}
		select {
		case e.in <- m:
		case <-e.pipe.Done():
			return
		}
	}
}

// errGone stops the device loop: the cable is cut.
var errGone = errors.New("emulator: trezor: cable cut")

// failure is a Failure reply (messages-common.proto).
type failure struct {
	code trezor.Failure_FailureType
	msg  string
}

func (f *failure) Error() string { return fmt.Sprintf("Failure %d: %s", f.code, f.msg) }

func fail(code trezor.Failure_FailureType, msg string) error { return &failure{code: code, msg: msg} }

// Failure codes newer than go-ethereum's enum.
const failureInvalidProtocol trezor.Failure_FailureType = 17

// next waits for the host's next message.
func (e *Trezor) next() (trezorMsg, error) {
	m, ok := <-e.in
	if !ok {
		return trezorMsg{}, errGone
	}
	if m.kind == trezor.Type(&trezor.Cancel{}) {
		e.mu.Lock()
		e.pendingCancels--
		e.mu.Unlock()
	}
	return m, nil
}

// send writes one reply.
func (e *Trezor) send(m proto.Message) error {
	data, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("emulator: trezor: encode: %w", err)
	}
	return e.sendRaw(trezor.Type(m), data)
}

func (e *Trezor) sendRaw(kind uint16, data []byte) error {
	dev := e.pipe.Device()
	for _, r := range trezorReports(kind, data) {
		if err := dev.WriteReport(context.Background(), r); err != nil {
			return errGone
		}
	}
	return nil
}

// deviceLoop answers requests one at a time until the cable is cut.
func (e *Trezor) deviceLoop() {
	for {
		m, err := e.next()
		if err != nil {
			return
		}
		err = e.handle(m)
		var f *failure
		if errors.As(err, &f) {
			err = e.send(&trezor.Failure{Code: f.code.Enum(), Message: proto.String(f.msg)})
		}
		if err != nil {
			return
		}
	}
}

// handle dispatches one request (messages.proto MessageType).
func (e *Trezor) handle(m trezorMsg) error {
	if e.model == TrezorSafe7 || e.b.THP() {
		// A THP-only device answers codec v1 with a fixed Failure
		// (docs/common/thp/specification.md, "unallocated channel").
		return fail(failureInvalidProtocol, "Invalid protocol")
	}
	switch m.kind {
	case trezor.Type(&trezor.Initialize{}):
		return e.initialize(m.data)
	case trezor.Type(&trezor.GetFeatures{}):
		return e.send(e.features())
	case trezor.Type(&trezor.Cancel{}):
		// legacy fsm_msgCancel: nothing to cancel, but it still answers.
		return fail(trezor.Failure_Failure_ActionCancelled, "Cancelled")
	case trezor.Type(&trezor.EthereumGetAddress{}):
		return e.getAddress(m.data)
	case trezor.Type(&trezor.EthereumSignMessage{}):
		return e.signMessage(m.data)
	case trezor.Type(&trezor.ApplySettings{}):
		return e.applySettings(m.data)
	case msgGetAddress:
		return e.bitcoinGetAddress(m.data)
	default:
		return fail(trezor.Failure_Failure_UnexpectedMessage, "Unexpected message")
	}
}

// newSessionID starts a new session: the cached passphrase is forgotten.
func (e *Trezor) newSession() {
	e.sessionID = make([]byte, 32)
	rand.Read(e.sessionID)
	e.passphrase, e.hasPassphrase = "", false
}
