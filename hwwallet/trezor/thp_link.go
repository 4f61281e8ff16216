package trezor

import (
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/trezor/thp"
	"google.golang.org/protobuf/proto"
)

// PairingStore keeps the host's THP identity between runs: its static key
// and the credentials devices issued for it (thpstore.Store on disk).
type PairingStore interface {
	// HostKey returns the host's static X25519 key, creating and saving
	// it on first use.
	HostKey() (*ecdh.PrivateKey, error)
	// Credentials returns the stored credentials.
	Credentials() ([]thp.Credential, error)
	// SaveCredential stores a new credential, replacing the one of the
	// same device.
	SaveCredential(thp.Credential) error
}

// Options configures OpenWith.
type Options struct {
	// Prompter answers PIN and passphrase prompts, and the pairing code
	// when it is a hwwallet.PairingPrompter; it may be nil.
	Prompter hwwallet.Prompter
	// Pairing, when set, lets the driver speak THP to a device that
	// answers codec v1 with Failure(InvalidProtocol) (Trezor Safe 7). Nil
	// keeps such a device unsupported.
	Pairing PairingStore
	// HostName and AppName are shown on the device when pairing; empty
	// means the machine's host name and "litsigner".
	HostName, AppName string
	// ForcePairing ignores the stored credentials, so the device shows a
	// new code ('litsigner wallet pair'); the new credential replaces the
	// old one.
	ForcePairing bool
	// OnConfirm, if set, is told when the device waits for its user (a
	// connection or pairing request, a signature, PIN entry to unlock).
	OnConfirm func(what string)
}

// thpLink is the THP state of a Device; the fields are guarded by the
// device lock.
type thpLink struct {
	opts    Options
	h       *thp.Host // nil: connect before the next call
	session byte      // the created session, 0 for none yet
	cancel  byte      // the session of the call in progress, to Cancel if it is abandoned
}

// OpenWith is OpenContext with Options: with Options.Pairing, a Trezor
// that only speaks THP (Safe 7) is connected over THP on the same
// transport, pairing with the code the device shows the first time.
func OpenWith(ctx context.Context, t hwwallet.Transport, info hwwallet.DeviceInfo, opts Options) (*Device, error) {
	d, err := OpenContext(ctx, t, info, opts.Prompter)
	var fe *FailureError
	if err == nil || opts.Pairing == nil || !errors.As(err, &fe) || fe.Code != FailureInvalidProtocol {
		return d, err
	}
	d = newDevice(t, info, opts.Prompter)
	d.thp = &thpLink{opts: opts}
	if d.thp.opts.AppName == "" {
		d.thp.opts.AppName = "litsigner"
	}
	if d.thp.opts.HostName == "" {
		d.thp.opts.HostName, _ = os.Hostname()
		if d.thp.opts.HostName == "" {
			d.thp.opts.HostName = "this computer"
		}
	}
	data, err := d.call(ctx, msgGetFeatures, &trezor.GetFeatures{}, msgFeatures)
	if err != nil {
		return nil, fmt.Errorf("trezor: open: %w", err)
	}
	f, err := decodeFeatures(data)
	if err != nil {
		return nil, fmt.Errorf("trezor: open: %w", err)
	}
	d.features = f
	if d.info.Model == "" {
		d.info.Model = f.ModelName()
	}
	return d, nil
}

// IsTHP reports whether the device is driven over THP.
func (d *Device) IsTHP() bool { return d.thp != nil }

// maxPairingAttempts bounds the codes one connect asks for. The device
// takes one guess per code it shows and ends that pairing on a wrong one
// (apps/thp/pairing.py: DataError "Unexpected Code Entry Tag"); a new
// pairing (confirmed on the device again) shows a new code, without a
// limit of the device's own. The bound only stops a host whose user keeps
// typing wrong codes (or a device that refuses them all) from looping
// until the approval times out.
const maxPairingAttempts = 3

// connect opens a THP channel: handshake, then pairing (asking the
// Prompter for the code) or the stored credential; a new credential is
// saved before anything else is sent. After a wrong code it pairs again
// on a new channel (a new code on the screen), up to maxPairingAttempts
// codes; a hwwallet.PairingReporter hears the fate of each code.
func (d *Device) connect(ctx context.Context) error {
	l := d.thp
	key, err := l.opts.Pairing.HostKey()
	if err != nil {
		return err
	}
	var creds []thp.Credential
	if !l.opts.ForcePairing {
		if creds, err = l.opts.Pairing.Credentials(); err != nil {
			return err
		}
	}
	confirm := func(what string) {
		if l.opts.OnConfirm != nil {
			l.opts.OnConfirm(what)
		}
	}
	for attempt := 1; ; attempt++ {
		asked := false // a code was typed on this attempt
		h, err := thp.Connect(ctx, thp.Reports(d.t), thp.HostConfig{
			StaticKey:   key,
			Credentials: creds,
			HostName:    l.opts.HostName,
			AppName:     l.opts.AppName,
			PairingCode: func(ctx context.Context) (string, error) {
				pp, ok := d.prompter.(hwwallet.PairingPrompter)
				if !ok {
					return "", fmt.Errorf("the Trezor shows a pairing code and there is no way to ask for it here (pair with 'litsigner wallet pair'): %w", hwwallet.ErrPairingNeeded)
				}
				code, err := pp.PairingCode(ctx, d.Info())
				asked = err == nil
				return code, err
			},
			OnButtonRequest: func(b thp.ButtonRequest) { confirm(b.Name) },
			UnlockOnDevice:  true,
			OnUnlock:        func() { confirm("unlock") },
		})
		if err == nil {
			if cred, ok := h.NewCredential(); ok {
				if err = l.opts.Pairing.SaveCredential(cred); err != nil {
					err = fmt.Errorf("paired, but the credential was not saved: %w", err)
				}
			}
		}
		again := errors.Is(err, thp.ErrWrongCode) && asked && attempt < maxPairingAttempts && ctx.Err() == nil
		if errors.Is(err, thp.ErrPairing) || errors.Is(err, thp.ErrWrongCode) {
			if again {
				err = fmt.Errorf("%w; the Trezor pairs again: confirm on it, then enter the new code it shows", err)
			} else if errors.Is(err, thp.ErrWrongCode) && asked {
				err = fmt.Errorf("%w; %d wrong codes, pairing given up", err, attempt)
			}
			err = &pairingError{err}
		}
		if pr, ok := d.prompter.(hwwallet.PairingReporter); ok && asked {
			pr.PairingResult(d.Info(), err)
		}
		if again {
			continue
		}
		if err != nil {
			return err
		}
		l.h, l.session, l.cancel = h, 0, 0
		return nil
	}
}

// pairingError marks a failed pairing as hwwallet.ErrPairing, keeping the
// THP error (thp.ErrWrongCode, thp.ErrPairing) for errors.Is.
type pairingError struct{ err error }

func (e *pairingError) Error() string        { return e.err.Error() }
func (e *pairingError) Unwrap() error        { return e.err }
func (e *pairingError) Is(target error) bool { return target == hwwallet.ErrPairing }

// needsSeed reports whether a message type must go on a created session.
func needsSeed(kind uint16) bool { return kind != msgGetFeatures }

// thpCall is call over THP: the request goes on the created session (or
// session 0 for GetFeatures), the host answers ButtonRequests, and a
// channel the device no longer knows (restart, eviction) is connected
// again once, with the credential.
func (d *Device) thpCall(ctx context.Context, kind uint16, req proto.Message, want uint16) ([]byte, error) {
	data, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %v: %w", trezor.Name(kind), err, hwwallet.ErrBadRequest)
	}
	l := d.thp
	for attempt := 0; ; attempt++ {
		reply, err := d.thpTry(ctx, kind, data)
		if err == nil {
			switch reply.Type {
			case want:
				return reply.Data, nil
			case msgFailure:
				f, err := decodeFailure(reply.Data)
				if err != nil {
					return nil, err
				}
				return nil, f
			}
			return nil, fmt.Errorf("unexpected %s (type %d) while waiting for %s: %w", trezor.Name(reply.Type), reply.Type, trezor.Name(want), hwwallet.ErrBadReply)
		}
		switch {
		case d.isClosed():
			return nil, fmt.Errorf("%w (%v)", ErrClosed, err)
		case ctx.Err() != nil:
			d.thpAbandon()
			if errors.Is(err, ctx.Err()) {
				return nil, err
			}
			return nil, fmt.Errorf("%w (%v)", ctx.Err(), err)
		case attempt == 0 && channelLost(err):
			l.h = nil // connect again (with the credential) and retry once
			continue
		case errors.Is(err, thp.ErrNoAck) && !errors.Is(err, hwwallet.ErrDisconnected):
			// THP acknowledges every message at once, even while the
			// device waits for its user: silence means it is gone (over
			// UDP nothing else tells).
			return nil, fmt.Errorf("%w: %w", hwwallet.ErrDisconnected, err)
		}
		return nil, err
	}
}

// thpTry connects if needed, creates the session if kind needs one, and
// sends the request on it.
func (d *Device) thpTry(ctx context.Context, kind uint16, data []byte) (thp.Message, error) {
	l := d.thp
	if l.h == nil {
		if err := d.connect(ctx); err != nil {
			return thp.Message{}, err
		}
	}
	var session byte
	if needsSeed(kind) {
		if l.session == 0 {
			pass, err := d.thpPassphrase(ctx)
			if err != nil {
				return thp.Message{}, err
			}
			if l.session, err = l.h.CreateSession(ctx, pass); err != nil {
				return thp.Message{}, err
			}
		}
		session = l.session
	}
	l.cancel = session
	reply, err := l.h.Call(ctx, thp.Message{Session: session, Type: kind, Data: data})
	if err == nil {
		l.cancel = 0
	}
	return reply, err
}

// thpAbandon resynchronises after a call whose context ended: Cancel on
// its session, within cancelTimeout of a fresh context. If that fails the
// channel is dropped and the next call connects again.
func (d *Device) thpAbandon() {
	l := d.thp
	if l.h == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cancelTimeout)
	defer cancel()
	if err := l.h.Cancel(ctx, l.cancel); err != nil {
		l.h = nil
	}
	l.cancel = 0
}

// thpPassphrase is the passphrase of the session to create: none when the
// device has passphrases off, else the Prompter's (THP sessions take it
// from the host; "" without a Prompter).
func (d *Device) thpPassphrase(ctx context.Context) (string, error) {
	if !d.Features().PassphraseProtection || d.prompter == nil {
		return "", nil
	}
	pass, _, err := d.prompter.Passphrase(ctx, d.Info(), false)
	if err != nil {
		return "", fmt.Errorf("passphrase prompt: %w", err)
	}
	if len(pass) > maxPassphrase {
		return "", fmt.Errorf("passphrase of %d bytes exceeds %d: %w", len(pass), maxPassphrase, hwwallet.ErrBadRequest)
	}
	return pass, nil
}

// channelLost reports whether err means the channel is gone but the
// device is there: it restarted or evicted the channel, or the channel
// failed; a new connection (with the stored credential) recovers.
func channelLost(err error) bool {
	return !errors.Is(err, hwwallet.ErrDisconnected) &&
		(errors.Is(err, thp.ErrUnallocatedChannel) || errors.Is(err, thp.ErrDecryptionFailed) || errors.Is(err, thp.ErrClosed))
}
