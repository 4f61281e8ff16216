package thp

import (
	"context"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
)

// The phases of a device channel after the handshake.
type phase int

const (
	phasePairing     phase = iota // unpaired host: ThpPairingRequest …
	phaseCredential               // paired: credential requests until ThpEndRequest
	phaseEstablished              // application messages
	phaseFailed                   // a wrong pairing code: nothing more on this channel
)

// errChannelDone ends a channel's goroutine after it reported why.
var errChannelDone = errors.New("channel done")

// deviceChannel is one channel on the device, served by its own goroutine.
type deviceChannel struct {
	d      *Device
	id     uint16
	inbox  chan *frame
	cancel context.CancelFunc
	used   uint64 // guarded by d.mu
	link   *link
	w      *deviceWriter

	// Only the channel's goroutine touches the rest.
	c          *transportCipher
	hh         []byte
	hostStatic []byte
	phase      phase
	approved   bool   // the user approved the pairing request
	confirm    bool   // a credential reconnect still needs the connection dialog
	hostName   string // from ThpPairingRequest or the credential
	appName    string
	secret     []byte // CodeEntry
	cpacePriv  []byte
	sessions   map[byte]string // created sessions and their passphrases
}

func (ch *deviceChannel) nextFrame(ctx context.Context) (*frame, error) {
	select {
	case f := <-ch.inbox:
		return f, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run serves the channel until it fails or is dropped.
func (ch *deviceChannel) run(ctx context.Context) {
	defer ch.d.remove(ch)
	if err := ch.handshake(ctx); err != nil {
		return
	}
	for {
		m, err := ch.receive(ctx)
		if err != nil {
			return
		}
		if err := ch.handle(ctx, m); err != nil {
			return
		}
	}
}

// fatal sends a transport error; the channel then ends.
func (ch *deviceChannel) fatal(ctx context.Context, code ErrorCode) error {
	_ = ch.w.frame(ctx, frame{ctl: ctlError, channel: ch.id, payload: []byte{byte(code)}})
	return errChannelDone
}

// handshake answers the Noise XX handshake with the masked static key.
func (ch *deviceChannel) handshake(ctx context.Context) error {
	d := ch.d
	req, err := ch.recvKind(ctx, ctlHandshakeInitReq)
	if err != nil {
		return err
	}
	hs, err := readInitRequest(d.props, req)
	if err != nil {
		return err
	}
	if d.cfg.UI.Locked() {
		if !hs.tryToUnlock {
			return ch.fatal(ctx, ErrDeviceLocked)
		}
		if err := d.cfg.UI.Unlock(ctx); err != nil {
			return ch.fatal(ctx, ErrDeviceLocked)
		}
	}
	eb, err := d.random(keySize)
	if err != nil {
		return err
	}
	e, err := ecdh.X25519().NewPrivateKey(eb)
	if err != nil {
		return err
	}
	resp, err := hs.initResponse(d.cfg.StaticKey, e)
	if err != nil {
		return err
	}
	if err := ch.link.send(ctx, ctlHandshakeInitResp, resp); err != nil {
		return err
	}
	comp, err := ch.recvKind(ctx, ctlHandshakeCompReq)
	if err != nil {
		return err
	}
	hostStatic, payload, c, hh, err := hs.readCompletion(comp)
	if err != nil {
		return ch.fatal(ctx, ErrDecryptionFailed)
	}
	ch.c, ch.hh, ch.hostStatic = c, hh, hostStatic
	state := stateUnpaired
	ch.phase = phasePairing
	if f, err := bytesFields(payload, 1); err == nil && f[0] != nil {
		if meta, err := checkCredential(d.cfg.CredentialKey, hostStatic, f[0]); err == nil {
			state = statePaired
			ch.phase = phaseCredential
			ch.hostName, ch.appName = meta.HostName, meta.AppName
			if meta.Autoconnect != nil && *meta.Autoconnect {
				state = statePairedAutoconnect // no connection dialog
			} else {
				ch.confirm = true
			}
		}
	}
	return ch.link.send(ctx, ctlHandshakeCompResp, completionResponse(c, state))
}

// recvKind waits for the next message of the given kind, skipping others
// (a host restarting its handshake is served by a new channel).
func (ch *deviceChannel) recvKind(ctx context.Context, kind byte) ([]byte, error) {
	for {
		f, err := ch.link.recv(ctx)
		if err != nil {
			return nil, err
		}
		if k, _, _ := f.isData(); k == kind {
			return f.payload, nil
		}
	}
}

// receive returns the next application message; one that does not
// decrypt kills the channel with DECRYPTION_FAILED.
func (ch *deviceChannel) receive(ctx context.Context) (Message, error) {
	p, err := ch.recvKind(ctx, ctlEncrypted)
	if err != nil {
		return Message{}, err
	}
	m, err := ch.c.open(p)
	if err != nil {
		return Message{}, ch.fatal(ctx, ErrDecryptionFailed)
	}
	return m, nil
}

// send encrypts and sends one message.
func (ch *deviceChannel) send(ctx context.Context, m Message) error {
	return ch.link.send(ctx, ctlEncrypted, ch.c.seal(m))
}

func (ch *deviceChannel) failure(ctx context.Context, session byte, code uint64, text string) error {
	return ch.send(ctx, Message{Session: session, Type: TypeFailure, Data: (&Failure{Code: code, Message: text}).marshal()})
}

func (ch *deviceChannel) unexpected(ctx context.Context, session byte) error {
	return ch.failure(ctx, session, failureUnexpectedMessage, "Unexpected message")
}

// buttonRequest sends ButtonRequest and waits for ButtonAck. On Cancel it
// answers Failure(ActionCancelled) and reports false; on anything else,
// Failure(UnexpectedMessage).
func (ch *deviceChannel) buttonRequest(ctx context.Context, session byte, code uint64, name string) (bool, error) {
	if err := ch.send(ctx, Message{Session: session, Type: TypeButtonRequest, Data: ButtonRequest{Code: code, Name: name}.marshal()}); err != nil {
		return false, err
	}
	m, err := ch.receive(ctx)
	if err != nil {
		return false, err
	}
	switch m.Type {
	case TypeButtonAck:
		return true, nil
	case TypeCancel:
		return false, ch.failure(ctx, session, failureActionCancelled, "Cancelled")
	}
	return false, ch.unexpected(ctx, session)
}

// confirmScreen asks the user through a ButtonRequest; on a refusal the
// host has already been answered with a Failure.
func (ch *deviceChannel) confirmScreen(ctx context.Context, session byte, name string) (bool, error) {
	ok, err := ch.buttonRequest(ctx, session, buttonRequestOther, name)
	if !ok || err != nil {
		return false, err
	}
	screen := Screen{Name: name, HostName: ch.hostName, AppName: ch.appName}
	return ch.awaitUser(ctx, session, func(ctx context.Context) (bool, error) {
		return ch.d.cfg.UI.Confirm(ctx, screen)
	})
}

// awaitUser runs decide (the user looking at a screen) while it watches
// the channel: a Cancel from the host ends decide's context and is
// answered Failure(ActionCancelled), as is a refusal; other messages that
// arrive meanwhile are dropped, as the firmware does during a dialog. It
// reports true only when the user approved.
func (ch *deviceChannel) awaitUser(ctx context.Context, session byte, decide func(context.Context) (bool, error)) (bool, error) {
	type result struct {
		ok  bool
		err error
	}
	dctx, cancelDecide := context.WithCancel(ctx)
	defer cancelDecide()
	done := make(chan result, 1)
	go func() {
		ok, err := decide(dctx)
		done <- result{ok, err}
	}()
	wctx, stopWatching := context.WithCancel(ctx)
	cancelled := make(chan error, 1)
	go func() {
		for {
			m, err := ch.receive(wctx)
			if err != nil || m.Type == TypeCancel {
				cancelled <- err
				return
			}
		}
	}()
	var r result
	select {
	case r = <-done:
		stopWatching()
		switch err := <-cancelled; {
		case err == nil:
			// A Cancel came in just as the user answered: it wins.
			r = result{false, nil}
		case !errors.Is(err, context.Canceled) || ctx.Err() != nil:
			return false, err // the channel failed while the user decided
		}
	case err := <-cancelled:
		stopWatching()
		cancelDecide()
		<-done
		if err != nil {
			return false, err
		}
		r = result{false, nil}
	}
	if r.err != nil {
		return false, r.err
	}
	if !r.ok {
		return false, ch.failure(ctx, session, failureActionCancelled, "Cancelled")
	}
	return true, nil
}

// handle serves one message according to the channel's phase.
func (ch *deviceChannel) handle(ctx context.Context, m Message) error {
	switch ch.phase {
	case phasePairing:
		return ch.pairing(ctx, m)
	case phaseCredential:
		if ch.confirm {
			ok, err := ch.confirmScreen(ctx, m.Session, ScreenConnectionRequest)
			if !ok || err != nil {
				return err
			}
			ch.confirm = false
		}
		return ch.credential(ctx, m)
	case phaseEstablished:
		return ch.established(ctx, m)
	}
	return ch.unexpected(ctx, m.Session)
}

// pairing serves the pairing phase (apps/thp/pairing.py): request and
// approval, method selection, CodeEntry.
func (ch *deviceChannel) pairing(ctx context.Context, m Message) error {
	s := m.Session
	switch m.Type {
	case TypeThpPairingRequest:
		f, err := bytesFields(m.Data, 1, 2)
		if err != nil || len(f[0]) == 0 || len(f[1]) == 0 {
			return ch.failure(ctx, s, failureDataError, "Host and app names are required")
		}
		ch.hostName, ch.appName = string(f[0]), string(f[1])
		ok, err := ch.confirmScreen(ctx, s, ScreenPairingRequest)
		if !ok || err != nil {
			return err
		}
		ch.approved = true
		return ch.send(ctx, Message{Session: s, Type: TypeThpPairingRequestApproved})
	case TypeThpSelectMethod:
		v, _, err := varintField(m.Data, 1)
		if !ch.approved || err != nil {
			return ch.unexpected(ctx, s)
		}
		method := PairingMethod(v)
		if !ch.offers(method) {
			return ch.failure(ctx, s, failureDataError, "Selected pairing method is not supported")
		}
		switch method {
		case SkipPairing:
			ch.phase = phaseEstablished
			return ch.send(ctx, Message{Session: s, Type: TypeThpEndResponse})
		case CodeEntry:
			if ch.secret != nil {
				return ch.send(ctx, Message{Session: s, Type: TypeThpPairingPreparationsFinished})
			}
			if ch.secret, err = ch.d.random(16); err != nil {
				return err
			}
			commitment := sha256.Sum256(ch.secret)
			return ch.send(ctx, Message{Session: s, Type: TypeThpCodeEntryCommitment, Data: appendBytes(nil, 1, commitment[:])})
		}
		return ch.failure(ctx, s, failureDataError, "Selected pairing method is not supported")
	case TypeThpCodeEntryChallenge:
		f, err := bytesFields(m.Data, 1)
		if ch.secret == nil || err != nil || len(f[0]) == 0 {
			return ch.unexpected(ctx, s)
		}
		code := pairingCode(ch.hh, ch.secret, f[0])
		if ch.cpacePriv, err = ch.d.random(keySize); err != nil {
			return err
		}
		pub, err := x25519(ch.cpacePriv, cpaceGenerator(code, ch.hh))
		if err != nil {
			return err
		}
		ch.d.cfg.UI.ShowPairingCode(code)
		return ch.send(ctx, Message{Session: s, Type: TypeThpCodeEntryCpaceTrezor, Data: appendBytes(nil, 1, pub)})
	case TypeThpCodeEntryCpaceHostTag:
		f, err := bytesFields(m.Data, 1, 2)
		if ch.cpacePriv == nil || err != nil {
			return ch.unexpected(ctx, s)
		}
		if len(f[0]) != keySize {
			return ch.failure(ctx, s, failureDataError, "CPACE host public key must be 32 bytes long")
		}
		shared, err := x25519(ch.cpacePriv, f[0])
		if err != nil || !hmac.Equal(cpaceTag(shared), f[1]) {
			// One guess per code shown: the channel is done pairing.
			ch.phase = phaseFailed
			return ch.failure(ctx, s, failureDataError, "Unexpected Code Entry Tag")
		}
		ch.phase = phaseCredential
		return ch.send(ctx, Message{Session: s, Type: TypeThpCodeEntrySecret, Data: appendBytes(nil, 1, ch.secret)})
	case TypeCancel:
		return ch.failure(ctx, s, failureActionCancelled, "Cancelled")
	}
	return ch.unexpected(ctx, s)
}

func (ch *deviceChannel) offers(m PairingMethod) bool {
	for _, o := range ch.d.cfg.Properties.PairingMethods {
		if o == m {
			return true
		}
	}
	return false
}

// credential serves the credential phase: credentials for the host's
// static key of this handshake, then ThpEndRequest.
func (ch *deviceChannel) credential(ctx context.Context, m Message) error {
	s := m.Session
	switch m.Type {
	case TypeThpCredentialRequest:
		f, err := bytesFields(m.Data, 1)
		if err != nil || !hmac.Equal(f[0], ch.hostStatic) {
			return ch.failure(ctx, s, failureDataError, "Mismatching host static key")
		}
		meta := credentialMetadata{HostName: ch.hostName, AppName: ch.appName}
		if v, present, _ := varintField(m.Data, 2); present {
			auto := v != 0
			meta.Autoconnect = &auto
			if auto {
				ok, err := ch.confirmScreen(ctx, s, ScreenAutoconnectRequest)
				if !ok || err != nil {
					return err
				}
			}
		}
		cred := issueCredential(ch.d.cfg.CredentialKey, ch.hostStatic, meta)
		resp := appendBytes(appendBytes(nil, 1, ch.d.StaticPublicKey()), 2, cred)
		return ch.send(ctx, Message{Session: s, Type: TypeThpCredentialResponse, Data: resp})
	case TypeThpEndRequest:
		ch.phase = phaseEstablished
		return ch.send(ctx, Message{Session: s, Type: TypeThpEndResponse})
	case TypeCancel:
		return ch.failure(ctx, s, failureActionCancelled, "Cancelled")
	}
	return ch.unexpected(ctx, s)
}

// established serves sessions and hands everything else to the App.
func (ch *deviceChannel) established(ctx context.Context, m Message) error {
	s := m.Session
	switch {
	case m.Type == TypeThpCreateNewSession:
		if s == 0 {
			return ch.failure(ctx, s, failureInvalidSession, "Invalid session")
		}
		if ch.d.cfg.UI.Locked() {
			if err := ch.d.cfg.UI.Unlock(ctx); err != nil {
				return ch.failure(ctx, s, failureActionCancelled, "PIN entry cancelled")
			}
		}
		pass, _ := bytesFields(m.Data, 1)
		ch.sessions[s] = string(pass[0])
		return ch.send(ctx, Message{Session: s, Type: TypeSuccess, Data: successMessage("New session created.")})
	case m.Type == TypeCancel:
		// Nothing is in progress between requests; the answer lets a host
		// that gave up on a request find the end of the stream.
		return ch.failure(ctx, s, failureActionCancelled, "Cancelled")
	case m.Type >= TypeThpPairingRequest && m.Type <= TypeThpCodeEntrySecret:
		return ch.unexpected(ctx, s)
	case ch.d.cfg.App == nil:
		return ch.unexpected(ctx, s)
	}
	ex := &Exchange{ch: ch, session: s}
	if err := ch.d.cfg.App.Handle(ctx, ex, m); err != nil {
		return fmt.Errorf("app: %w", err)
	}
	return nil
}

// Exchange is an App's view of one request: its session, the reply path
// and the follow-up messages (ButtonAck) of the same channel.
type Exchange struct {
	ch      *deviceChannel
	session byte
}

// Session is the session id of the request.
func (ex *Exchange) Session() byte { return ex.session }

// SessionCreated reports whether the request's session was created with
// ThpCreateNewSession; messages that need the seed answer
// Failure(InvalidSession) otherwise.
func (ex *Exchange) SessionCreated() bool {
	_, ok := ex.ch.sessions[ex.session]
	return ok
}

// Passphrase is the passphrase the session was created with.
func (ex *Exchange) Passphrase() string { return ex.ch.sessions[ex.session] }

// Reply sends a message on the request's session.
func (ex *Exchange) Reply(ctx context.Context, msgType uint16, data []byte) error {
	return ex.ch.send(ctx, Message{Session: ex.session, Type: msgType, Data: data})
}

// Fail replies Failure{code, text}.
func (ex *Exchange) Fail(ctx context.Context, code uint64, text string) error {
	return ex.ch.failure(ctx, ex.session, code, text)
}

// ButtonRequest sends ButtonRequest{code, name} and waits for the host's
// ButtonAck; it reports false when the host cancelled or sent something
// else, in which case the host has been answered with a Failure already.
func (ex *Exchange) ButtonRequest(ctx context.Context, code uint64, name string) (bool, error) {
	return ex.ch.buttonRequest(ctx, ex.session, code, name)
}

// AwaitUser runs decide (the user reading the screen, after ButtonRequest)
// and reports whether the user approved. Meanwhile a Cancel from the host
// ends decide's context; a refusal or a Cancel is answered
// Failure(ActionCancelled) here, so on false the App has nothing left to
// send.
func (ex *Exchange) AwaitUser(ctx context.Context, decide func(context.Context) (bool, error)) (bool, error) {
	return ex.ch.awaitUser(ctx, ex.session, decide)
}
