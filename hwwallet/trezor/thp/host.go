package thp

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// HostConfig configures the host side of a THP connection.
type HostConfig struct {
	// StaticKey is the host's long-term X25519 key: one per installation,
	// stored next to the credentials the device issues for it. Required.
	StaticKey *ecdh.PrivateKey
	// Credentials are the credentials of earlier pairings; the one whose
	// device static key matches the handshake is presented, so that the
	// device only asks to confirm the connection.
	Credentials []Credential
	// HostName and AppName are shown on the device when pairing
	// (ThpPairingRequest; both must be non-empty).
	HostName, AppName string
	// PairingMethods are the methods the host accepts, in order of
	// preference; nil means CodeEntry only.
	PairingMethods []PairingMethod
	// PairingCode asks the user for the 6-digit code the device shows
	// (CodeEntry). Required to pair.
	PairingCode func(ctx context.Context) (string, error)
	// OnButtonRequest, if set, is told about each confirmation the device
	// asks for (pairing, connection, signing), before the host acknowledges it.
	OnButtonRequest func(ButtonRequest)
	// TryToUnlock makes the first handshake ask a locked device to show
	// its PIN entry instead of answering DEVICE_LOCKED.
	TryToUnlock bool
	// UnlockOnDevice retries a handshake refused with DEVICE_LOCKED once,
	// on a new channel, with try_to_unlock set (as @trezor/connect does).
	UnlockOnDevice bool
	// OnUnlock, if set, is called before that retry (to tell the user to
	// enter the PIN on the device).
	OnUnlock func()
	// Rand is the source of keys, nonces and challenges; nil means
	// crypto/rand. Tests inject fixed bytes to replay transcripts.
	Rand io.Reader
}

// Host is an established THP channel seen from the host: encrypted
// messages on sessions, after pairing or a credential. A Host is not safe
// for concurrent use; the driver holds it under its device lock.
type Host struct {
	t     PacketTransport
	cfg   HostConfig
	rd    reassembler
	props DeviceProperties
	link  *link
	c     *transportCipher
	hs    *hostHandshake
	hh    []byte

	credential  *Credential // issued during this connection's pairing
	nextSession byte
	err         error // set once the channel is unusable
}

// Connect allocates a channel on the device behind t, runs the handshake,
// then pairs (CodeEntry, asking cfg.PairingCode) or presents a matching
// credential (the device asks the user to confirm the connection), and
// returns the established channel. On ErrDeviceLocked with
// cfg.UnlockOnDevice it retries once with try_to_unlock.
func Connect(ctx context.Context, t PacketTransport, cfg HostConfig) (*Host, error) {
	if cfg.StaticKey == nil || cfg.StaticKey.Curve() != ecdh.X25519() {
		return nil, errors.New("thp: connect: an X25519 host static key is required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.PairingMethods == nil {
		cfg.PairingMethods = []PairingMethod{CodeEntry}
	}
	h := &Host{t: t, cfg: cfg, nextSession: 1}
	err := h.open(ctx, cfg.TryToUnlock)
	if errors.Is(err, ErrDeviceLocked) && !cfg.TryToUnlock && cfg.UnlockOnDevice {
		if cfg.OnUnlock != nil {
			cfg.OnUnlock()
		}
		err = h.open(ctx, true)
	}
	if err != nil {
		return nil, fmt.Errorf("thp: connect: %w", err)
	}
	return h, nil
}

// Channel is the channel id the device allocated.
func (h *Host) Channel() uint16 { return h.link.channel }

// NewCredential returns the credential the device issued while pairing on
// this connection, to be stored with the host static key; false when the
// connection used a stored credential (or SkipPairing).
func (h *Host) NewCredential() (Credential, bool) {
	if h.credential == nil {
		return Credential{}, false
	}
	return *h.credential, true
}

// open runs allocation, handshake and pairing or the credential phase.
func (h *Host) open(ctx context.Context, tryToUnlock bool) error {
	cid, propsRaw, err := h.allocate(ctx)
	if err != nil {
		return fmt.Errorf("allocate channel: %w", err)
	}
	if h.props, err = parseDeviceProperties(propsRaw); err != nil {
		return err
	}
	if h.props.ProtocolMajor != 2 {
		return fmt.Errorf("%w: device speaks THP %d.%d, want 2.x", ErrUnexpected, h.props.ProtocolMajor, h.props.ProtocolMinor)
	}
	h.link = &link{channel: cid, write: h.writeFrame, next: h.nextFor(cid), maxAttempts: hostMaxAttempts, rand: h.cfg.Rand}
	paired, err := h.handshake(ctx, propsRaw, tryToUnlock)
	if err != nil {
		return err
	}
	if !paired {
		return h.pair(ctx)
	}
	// A credential was accepted: end pairing; the device asks its user to
	// confirm the connection first (ButtonRequest thp_connection_request).
	return h.expect(ctx, Message{Type: TypeThpEndRequest}, TypeThpEndResponse, nil)
}

// allocate sends ChannelAllocationRequest on the broadcast channel and
// waits for the response with the same nonce; neither is ACKed, so the
// request is repeated on timeout.
func (h *Host) allocate(ctx context.Context) (uint16, []byte, error) {
	nonce := make([]byte, 8)
	if _, err := io.ReadFull(h.cfg.Rand, nonce); err != nil {
		return 0, nil, fmt.Errorf("nonce: %w", err)
	}
	next := h.nextFor(BroadcastChannel)
	for attempt := 0; attempt < hostMaxAttempts; attempt++ {
		if err := h.writeFrame(ctx, frame{ctl: ctlAllocReq, channel: BroadcastChannel, payload: nonce}); err != nil {
			return 0, nil, err
		}
		cid, props, err := h.awaitAllocation(ctx, next, nonce, retransmitAfter(attempt))
		if err != nil || cid != 0 {
			return cid, props, err
		}
	}
	return 0, nil, fmt.Errorf("%w to channel allocation", ErrNoAck)
}

func (h *Host) awaitAllocation(ctx context.Context, next func(context.Context) (*frame, error), nonce []byte, d time.Duration) (uint16, []byte, error) {
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		f, err := next(tctx)
		if err != nil {
			if ctx.Err() == nil && tctx.Err() != nil {
				return 0, nil, nil
			}
			return 0, nil, err
		}
		if f.ctl != ctlAllocResp || len(f.payload) < 10 || !bytes.Equal(f.payload[:8], nonce) {
			continue // another host's allocation, or a pong
		}
		cid := binary.BigEndian.Uint16(f.payload[8:10])
		if cid < minChannel || cid > maxChannel {
			return 0, nil, fmt.Errorf("%w: allocated channel %#04x", ErrUnexpected, cid)
		}
		return cid, bytes.Clone(f.payload[10:]), nil
	}
}

// handshake runs Noise XX and reports whether the device accepted a
// credential (trezor_state PAIRED or PAIRED_AUTOCONNECT).
func (h *Host) handshake(ctx context.Context, props []byte, tryToUnlock bool) (bool, error) {
	e, err := h.newKey()
	if err != nil {
		return false, err
	}
	hs, req := newHostHandshake(props, e, tryToUnlock)
	if err := h.link.send(ctx, ctlHandshakeInitReq, req); err != nil {
		return false, fmt.Errorf("handshake: %w", err)
	}
	resp, err := h.recvKind(ctx, ctlHandshakeInitResp)
	if err != nil {
		return false, fmt.Errorf("handshake: %w", err)
	}
	if err := hs.readInitResponse(resp); err != nil {
		return false, err
	}
	var payload []byte // ThpHandshakeCompletionReqNoisePayload
	if cred, ok := findCredential(hs, h.cfg.Credentials); ok {
		payload = appendBytes(nil, 1, cred.Credential)
	}
	comp, c, hh, err := hs.completion(h.cfg.StaticKey, payload)
	if err != nil {
		return false, err
	}
	if err := h.link.send(ctx, ctlHandshakeCompReq, comp); err != nil {
		return false, fmt.Errorf("handshake: %w", err)
	}
	if resp, err = h.recvKind(ctx, ctlHandshakeCompResp); err != nil {
		return false, fmt.Errorf("handshake: %w", err)
	}
	state, err := readCompletionResponse(c, resp)
	if err != nil {
		return false, err
	}
	h.c, h.hs, h.hh = c, hs, hh
	switch state {
	case stateUnpaired:
		return false, nil
	case statePaired, statePairedAutoconnect:
		return true, nil
	}
	return false, fmt.Errorf("%w: trezor_state %d", ErrHandshake, state)
}

// newKey draws an X25519 private key from cfg.Rand.
func (h *Host) newKey() (*ecdh.PrivateKey, error) {
	b := make([]byte, keySize)
	if _, err := io.ReadFull(h.cfg.Rand, b); err != nil {
		return nil, fmt.Errorf("random key: %w", err)
	}
	return ecdh.X25519().NewPrivateKey(b)
}

// recvKind receives the next handshake message, which must be of kind.
func (h *Host) recvKind(ctx context.Context, kind byte) ([]byte, error) {
	f, err := h.link.recv(ctx)
	if err != nil {
		return nil, err
	}
	if k, _, _ := f.isData(); k != kind {
		return nil, fmt.Errorf("%w: control byte %#02x, want kind %#02x", ErrUnexpected, f.ctl, kind)
	}
	return f.payload, nil
}

// expect calls msg on session 0 and requires a reply of type want, whose
// body goes to *body; a Failure becomes a *Failure error.
func (h *Host) expect(ctx context.Context, msg Message, want uint16, body *[]byte) error {
	reply, err := h.call(ctx, msg)
	if err != nil {
		return err
	}
	switch reply.Type {
	case want:
		if body != nil {
			*body = reply.Data
		}
		return nil
	case TypeFailure:
		f, err := ParseFailure(reply.Data)
		if err != nil {
			return err
		}
		return f
	}
	return fmt.Errorf("%w: message type %d, want %d", ErrUnexpected, reply.Type, want)
}

// Call sends msg and returns the device's answer on the same session. A
// ButtonRequest on the way is reported to cfg.OnButtonRequest and
// acknowledged (the device then waits for its user); any other message,
// Failure included, is returned for the caller to decode. After Call
// fails with a context error, call Cancel before the next Call.
func (h *Host) Call(ctx context.Context, msg Message) (Message, error) {
	reply, err := h.call(ctx, msg)
	if err != nil {
		return Message{}, fmt.Errorf("thp: call (message type %d): %w", msg.Type, err)
	}
	return reply, nil
}

func (h *Host) call(ctx context.Context, msg Message) (Message, error) {
	if err := h.send(ctx, msg); err != nil {
		return Message{}, err
	}
	for {
		reply, err := h.receive(ctx)
		if err != nil {
			return Message{}, err
		}
		if reply.Session != msg.Session {
			return Message{}, h.fail(fmt.Errorf("%w: reply on session %d to a request on session %d", ErrUnexpected, reply.Session, msg.Session))
		}
		if reply.Type != TypeButtonRequest {
			return reply, nil
		}
		br, err := ParseButtonRequest(reply.Data)
		if err != nil {
			return Message{}, err
		}
		if h.cfg.OnButtonRequest != nil {
			h.cfg.OnButtonRequest(br)
		}
		if err := h.send(ctx, Message{Session: msg.Session, Type: TypeButtonAck}); err != nil {
			return Message{}, err
		}
	}
}

// Cancel resynchronises after a call that was abandoned (its context
// ended): it sends Cancel on session and discards everything up to the
// device's Failure, then sends GetFeatures on session 0 and discards
// everything up to Features. The abandoned call's late answer comes before
// either, so the next Call starts in step, whether the device had already
// answered, was waiting for its user, or never got the request. Give it a
// fresh, bounded context.
func (h *Host) Cancel(ctx context.Context, session byte) error {
	for _, step := range []struct {
		req  Message
		want uint16
	}{
		{Message{Session: session, Type: TypeCancel}, TypeFailure},
		{Message{Type: TypeGetFeatures}, TypeFeatures},
	} {
		if err := h.send(ctx, step.req); err != nil {
			return fmt.Errorf("thp: cancel: %w", err)
		}
		for {
			m, err := h.receive(ctx)
			if err != nil {
				return fmt.Errorf("thp: cancel: %w", err)
			}
			if m.Type == step.want && m.Session == step.req.Session {
				break
			}
		}
	}
	return nil
}

func (h *Host) send(ctx context.Context, msg Message) error {
	if h.err != nil {
		return h.err
	}
	if err := h.link.send(ctx, ctlEncrypted, h.c.seal(msg)); err != nil {
		return h.fail(err)
	}
	return nil
}

func (h *Host) receive(ctx context.Context) (Message, error) {
	if h.err != nil {
		return Message{}, h.err
	}
	p, err := h.recvKind(ctx, ctlEncrypted)
	if err != nil {
		return Message{}, h.fail(err)
	}
	m, err := h.c.open(p)
	if err != nil {
		return Message{}, h.fail(err)
	}
	return m, nil
}

// fail records an error that leaves the channel unusable: a transport
// error, a lost sync or an undecryptable message. A cancelled context
// leaves the channel as it was.
func (h *Host) fail(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if !errors.Is(err, ErrTransportBusy) {
		h.err = fmt.Errorf("%w after: %w", ErrClosed, err)
	}
	return err
}

// CreateSession creates the next session (1, 2, …) with ThpCreateNewSession
// (passphrase as given, "" for none) and returns its id. Messages that
// need the seed go on a created session; session 0 serves seedless calls.
func (h *Host) CreateSession(ctx context.Context, passphrase string) (byte, error) {
	if h.nextSession == 0 {
		return 0, errors.New("thp: create session: all 255 session ids are used")
	}
	id := h.nextSession
	reply, err := h.call(ctx, Message{Session: id, Type: TypeThpCreateNewSession, Data: appendString(nil, 1, passphrase)})
	if err != nil {
		return 0, fmt.Errorf("thp: create session: %w", err)
	}
	switch reply.Type {
	case TypeSuccess:
		h.nextSession++
		return id, nil
	case TypeFailure:
		f, err := ParseFailure(reply.Data)
		if err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("thp: create session: %w", f)
	}
	return 0, fmt.Errorf("thp: create session: %w: message type %d", ErrUnexpected, reply.Type)
}

// writeFrame sends a frame packet by packet.
func (h *Host) writeFrame(ctx context.Context, f frame) error {
	pkts, err := f.packets()
	if err != nil {
		return err
	}
	for _, p := range pkts {
		if err := h.t.WritePacket(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// nextFor returns a reader of the frames addressed to channel; packets of
// other channels, codec v1 and damaged payloads are dropped.
func (h *Host) nextFor(channel uint16) func(context.Context) (*frame, error) {
	return func(ctx context.Context) (*frame, error) {
		for {
			p, err := h.t.ReadPacket(ctx)
			if err != nil {
				return nil, err
			}
			if len(p) != PacketSize || p[0] == ctlCodecV1 {
				continue
			}
			f, err := h.rd.push(p)
			if err != nil || f == nil || f.channel != channel {
				continue
			}
			return f, nil
		}
	}
}
