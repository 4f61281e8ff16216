package emulator

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Capabilities (messages-management.proto Features.Capability).
const (
	trezorCapBitcoin         = 1
	trezorCapEthereum        = 7
	trezorCapPassphraseEntry = 17
)

// trezorMaxMessageT1 is the Trezor One's EthereumSignMessage.message
// buffer (legacy/firmware/protob/messages-ethereum.options max_size:1024).
const trezorMaxMessageT1 = 1024

// isOne reports whether the emulated model runs the legacy firmware.
func (e *Trezor) isOne() bool { return e.model == TrezorOne }

// locked reports whether the PIN must be entered before using keys. The
// Trezor One can only lock with a PIN set; core models ask for it on
// their own screen, so only the locked state matters there.
func (e *Trezor) locked() bool {
	if e.isOne() {
		return e.b.Locked() && e.b.PIN() != ""
	}
	return e.b.Locked()
}

// initialize answers Initialize (messages-management.proto): a session_id
// (field 1, go-ethereum's State) equal to the current one resumes it,
// anything else starts a new session.
func (e *Trezor) initialize(data []byte) error {
	var req trezor.Initialize
	if err := proto.Unmarshal(data, &req); err != nil {
		return fail(trezor.Failure_Failure_DataError, "Failed to decode message")
	}
	if e.sessionID == nil || !bytes.Equal(req.GetState(), e.sessionID) {
		e.newSession()
	}
	return e.send(e.features())
}

// features builds Features (messages-management.proto). go-ethereum's
// struct stops at field 28; capabilities (30, repeated enum, unpacked as in
// proto2), session_id (35) and internal_model (44) go in as unknown fields.
func (e *Trezor) features() *trezor.Features {
	major, minor, patch := uint32(2), uint32(8), uint32(9)
	internal := map[string]string{TrezorT: "T2T1", TrezorSafe3: "T2B1", TrezorSafe5: "T3T1", TrezorSafe7: thpInternalModel}[e.model]
	caps := []uint64{trezorCapBitcoin, trezorCapEthereum, trezorCapPassphraseEntry}
	if e.model == TrezorSafe7 {
		// The T3W1 release @trezor/connect 9.7.3 bundles: its firmware
		// revision check then needs no network.
		major, minor, patch = 2, 9, 3
	}
	if e.isOne() {
		major, minor, patch = 1, 12, 1
		internal = "T1B1"
		caps = []uint64{trezorCapBitcoin, trezorCapEthereum}
	}
	f := &trezor.Features{
		Vendor:               proto.String("trezor.io"),
		MajorVersion:         proto.Uint32(major),
		MinorVersion:         proto.Uint32(minor),
		PatchVersion:         proto.Uint32(patch),
		DeviceId:             proto.String("EMULATED0000000000000000"),
		PinProtection:        proto.Bool(e.b.PIN() != "" || (!e.isOne() && e.b.Locked())),
		PassphraseProtection: proto.Bool(e.b.PassphraseProtection()),
		Label:                proto.String("litsigner emulator"),
		Initialized:          proto.Bool(true),
		PinCached:            proto.Bool(!e.locked()), // modern "unlocked"
		Model:                proto.String(e.model),
	}
	var unknown []byte
	for _, c := range caps {
		unknown = protowire.AppendTag(unknown, 30, protowire.VarintType)
		unknown = protowire.AppendVarint(unknown, c)
	}
	unknown = protowire.AppendTag(unknown, 35, protowire.BytesType)
	unknown = protowire.AppendBytes(unknown, e.sessionID)
	unknown = e.appendSafetyFeature(unknown)
	unknown = protowire.AppendTag(unknown, 44, protowire.BytesType)
	unknown = protowire.AppendString(unknown, internal)
	f.ProtoReflect().SetUnknown(unknown)
	return f
}

// getAddress answers EthereumGetAddress (messages-ethereum.proto) with
// EthereumAddress: field 2, the checksummed hex string.
func (e *Trezor) getAddress(data []byte) error {
	var req trezor.EthereumGetAddress
	if err := proto.Unmarshal(data, &req); err != nil {
		return fail(trezor.Failure_Failure_DataError, "Failed to decode message")
	}
	path := accounts.DerivationPath(req.GetAddressN())
	key, err := e.unlockedKey(path)
	if err != nil {
		return err
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	if req.GetShowDisplay() {
		if err := e.confirm(Prompt{Kind: PromptAddress, Title: "Receive address", Text: addr.Hex(), Path: path}); err != nil {
			return err
		}
	}
	return e.send(&trezor.EthereumAddress{AddressHex: proto.String(addr.Hex())})
}

// signMessage answers EthereumSignMessage (messages-ethereum.proto;
// core/src/apps/ethereum/sign_message.py, legacy/firmware/ethereum.c):
// confirm, then EthereumMessageSignature{signature = 2: r||s||v with
// v = 27/28, address = 3}.
func (e *Trezor) signMessage(data []byte) error {
	var req trezor.EthereumSignMessage
	if err := proto.Unmarshal(data, &req); err != nil {
		return fail(trezor.Failure_Failure_DataError, "Failed to decode message")
	}
	if e.isOne() && len(req.GetMessage()) > trezorMaxMessageT1 {
		// nanopb cannot decode it into the 1024-byte buffer.
		return fail(trezor.Failure_Failure_DataError, "Failed to decode message")
	}
	path := accounts.DerivationPath(req.GetAddressN())
	key, err := e.unlockedKey(path)
	if err != nil {
		return err
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	if err := e.confirm(Prompt{Kind: PromptSignMessage, Title: "Sign message", Text: displayMessage(req.GetMessage()), Path: path}); err != nil {
		return err
	}
	sig, err := crypto.Sign(accounts.TextHash(req.GetMessage()), key)
	if err != nil {
		return fail(trezor.Failure_Failure_ProcessError, "Signing failed")
	}
	sig[64] += 27
	return e.send(&trezor.EthereumMessageSignature{Signature: sig, AddressHex: proto.String(addr.Hex())})
}

// displayMessage renders a message as core's decode_message does: UTF-8
// text, or hex when it is not valid UTF-8.
func displayMessage(m []byte) string {
	if utf8.Valid(m) {
		return string(m)
	}
	return fmt.Sprintf("hex(%x)", m)
}

// unlockedKey runs the checks every key operation does first: path
// policy, PIN, passphrase; then derives the key.
func (e *Trezor) unlockedKey(path accounts.DerivationPath) (*ecdsa.PrivateKey, error) {
	if len(path) == 0 || len(path) > 8 {
		return nil, fail(trezor.Failure_Failure_DataError, "Invalid path")
	}
	// Ethereum paths only (m/44'/60'/..., m/44'/1'/... for testnets): with
	// strict safety checks other paths are refused here.
	if !standardPath(path) && e.safetyLevel() == safetyStrict {
		return nil, fail(trezor.Failure_Failure_DataError, "Forbidden key path")
	}
	if e.locked() {
		if err := e.enterPIN(); err != nil {
			return nil, err
		}
	}
	if e.b.PassphraseProtection() && !e.hasPassphrase {
		if err := e.askPassphrase(); err != nil {
			return nil, err
		}
	}
	// Relaxed safety checks: the keychain is unlocked, then a non-standard
	// path gets its warning screen (core validate_path).
	if err := e.checkPath(path); err != nil {
		return nil, err
	}
	k, err := e.keyring(e.passphrase)
	if err != nil {
		return nil, fail(trezor.Failure_Failure_ProcessError, "Failed to derive seed")
	}
	key, err := k.Key(path)
	if err != nil {
		return nil, fail(trezor.Failure_Failure_ProcessError, "Failed to derive private key")
	}
	return key, nil
}

// buttonRequest sends ButtonRequest (messages-common.proto) and waits for
// the host's ButtonAck.
func (e *Trezor) buttonRequest(code trezor.ButtonRequest_ButtonRequestType) error {
	if err := e.send(&trezor.ButtonRequest{Code: code.Enum()}); err != nil {
		return err
	}
	m, err := e.next()
	if err != nil {
		return err
	}
	switch m.kind {
	case trezor.Type(&trezor.ButtonAck{}):
		return nil
	case trezor.Type(&trezor.Cancel{}):
		return fail(trezor.Failure_Failure_ActionCancelled, "Cancelled")
	default:
		return fail(trezor.Failure_Failure_UnexpectedMessage, "ButtonAck expected")
	}
}

// confirm asks for a button press and plays the scripted user. A Cancel
// from the host interrupts the screen (answered with ActionCancelled when
// the device loop reads it); a cut cable stops the device.
func (e *Trezor) confirm(p Prompt) error {
	return e.confirmCode(trezor.ButtonRequest_ButtonRequest_Other, p)
}

// confirmCode is confirm with the ButtonRequest code the screen sends.
func (e *Trezor) confirmCode(code trezor.ButtonRequest_ButtonRequestType, p Prompt) error {
	p.Vendor = hwwallet.VendorTrezor
	if err := e.buttonRequest(code); err != nil {
		return err
	}
	switch e.waitUser(p) {
	case Approved:
		return nil
	case Rejected:
		return fail(trezor.Failure_Failure_ActionCancelled, "Cancelled")
	default:
		return e.abandoned()
	}
}

// waitUser shows p through the Behaviour until the user decides, the host
// sends Cancel or the cable is cut.
func (e *Trezor) waitUser(p Prompt) Decision {
	abort := make(chan struct{})
	e.mu.Lock()
	if e.pendingCancels > 0 || e.readerGone {
		close(abort) // the host cancelled (or left) before the screen came up
	} else {
		e.abort = abort
	}
	e.mu.Unlock()
	d := e.b.Confirm(abort, p)
	e.mu.Lock()
	if e.abort == abort {
		e.abort = nil
	}
	e.mu.Unlock()
	return d
}

// abandoned ends a workflow interrupted by Cancel: the Cancel still queued
// is consumed and answered, as core does (ActionCancelled).
func (e *Trezor) abandoned() error {
	m, err := e.next()
	if err != nil {
		return err
	}
	if m.kind != trezor.Type(&trezor.Cancel{}) {
		return fail(trezor.Failure_Failure_UnexpectedMessage, "Unexpected message")
	}
	return fail(trezor.Failure_Failure_ActionCancelled, "Cancelled")
}
