package emulator

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/trezor/thp"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The emulated Trezor Safe 7 speaks THP (hwwallet/trezor/thp) instead of
// codec v1: a thp.Device whose screen and buttons are the Behaviour and
// whose application is the same Ethereum (and Bitcoin GetAddress) logic as
// the codec v1 models, on THP sessions.

// The prompts only a THP device shows.
const (
	// PromptPairingCode shows the 6-digit CodeEntry code (Text) that the
	// host's user types; it needs no decision.
	PromptPairingCode PromptKind = "pairing-code"
	// PromptConnect asks to pair with, or connect to, a host (Text names
	// the host and application).
	PromptConnect PromptKind = "thp-connect"
)

// thpInternalModel is the Safe 7's internal model (ThpDeviceProperties,
// Features.internal_model).
const thpInternalModel = "T3W1"

// thpDeviceSecrets derives the emulated device's THP static key and
// credential key from its seed words, so that the same mnemonic gives the
// same device across restarts and the credentials a host saved stay
// valid, as on a real device whose secrets survive power cycles.
func thpDeviceSecrets(mnemonic string) (*ecdh.PrivateKey, []byte, error) {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, []byte("litsigner emulator THP "+label))
		m.Write([]byte(mnemonic))
		return m.Sum(nil)
	}
	key, err := ecdh.X25519().NewPrivateKey(derive("static key"))
	if err != nil {
		return nil, nil, fmt.Errorf("emulator: trezor: THP static key: %w", err)
	}
	return key, derive("credential key"), nil
}

// startTHP runs the THP device on the pipe until the cable is cut.
func (e *Trezor) startTHP() error {
	static, credKey, err := thpDeviceSecrets(e.mnemonic)
	if err != nil {
		return err
	}
	dev, err := thp.NewDevice(thp.DeviceConfig{
		StaticKey:     static,
		CredentialKey: credKey,
		Properties:    thp.DeviceProperties{InternalModel: thpInternalModel, PairingMethods: []thp.PairingMethod{thp.CodeEntry}},
		UI:            thpUI{e},
		App:           thpApp{e},
	})
	if err != nil {
		return fmt.Errorf("emulator: trezor: %w", err)
	}
	e.thp = dev
	go func() {
		defer close(e.done)
		dev.Serve(context.Background(), thp.Reports(e.pipe.Device())) // returns when the cable is cut
	}()
	return nil
}

// Restart simulates the device restarting with the cable in: a THP device
// forgets its channels (hosts get UNALLOCATED_CHANNEL and connect again,
// with their credential). It does nothing on codec v1 models.
func (e *Trezor) Restart() {
	if e.thp != nil {
		e.thp.DropChannels()
	}
}

// decide plays the scripted user for one screen: true when approved; when
// the host cancelled or left, ctx's error.
func (e *Trezor) decide(ctx context.Context, p Prompt) (bool, error) {
	p.Vendor = hwwallet.VendorTrezor
	switch e.b.Confirm(ctx.Done(), p) {
	case Approved:
		return true, nil
	case Rejected:
		return false, nil
	}
	return false, ctx.Err()
}

// thpUI is the Safe 7's screen for the THP layer.
type thpUI struct{ e *Trezor }

func (u thpUI) Confirm(ctx context.Context, s thp.Screen) (bool, error) {
	title := map[string]string{
		thp.ScreenPairingRequest:     "Pair with this host?",
		thp.ScreenConnectionRequest:  "Connect to this host?",
		thp.ScreenAutoconnectRequest: "Always connect to this host?",
	}[s.Name]
	if title == "" {
		title = s.Name
	}
	return u.e.decide(ctx, Prompt{Kind: PromptConnect, Title: title, Text: s.HostName + " (" + s.AppName + ")"})
}

func (u thpUI) ShowPairingCode(code string) {
	u.e.b.Show(Prompt{Vendor: hwwallet.VendorTrezor, Kind: PromptPairingCode, Title: "Pairing code", Text: code})
}

func (u thpUI) Locked() bool { return u.e.b.Locked() }

func (u thpUI) Unlock(ctx context.Context) error { return u.e.unlockOnDevice(ctx) }

// unlockOnDevice is PIN entry on the device: the scripted user approving
// it enters the right PIN.
func (e *Trezor) unlockOnDevice(ctx context.Context) error {
	ok, err := e.decide(ctx, Prompt{Kind: PromptPIN, Title: "Enter PIN", Text: "PIN entry on the device"})
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("PIN entry cancelled")
	}
	e.b.SetLocked(false)
	return nil
}

// thpApp answers the application messages of an established channel.
type thpApp struct{ e *Trezor }

// Message types served inside the channel (messages.proto).
const (
	thpMsgEthereumGetAddress       = 56
	thpMsgEthereumAddress          = 57
	thpMsgEthereumSignMessage      = 64
	thpMsgEthereumMessageSignature = 66
	thpMsgFeatures                 = 17
	thpMsgGetFeatures              = 55
)

// Failure codes (messages-common.proto).
const (
	thpFailureUnexpected    = 1
	thpFailureDataError     = 3
	thpFailurePinCancelled  = 6
	thpFailureProcessError  = 9
	thpFailureInvalidSess   = 14
	thpButtonRequestOther   = 1
	thpButtonRequestAddress = 21
)

func (a thpApp) Handle(ctx context.Context, ex *thp.Exchange, req thp.Message) error {
	switch req.Type {
	case thpMsgGetFeatures:
		data, err := proto.Marshal(a.e.thpFeatures())
		if err != nil {
			return fmt.Errorf("encode Features: %w", err)
		}
		return ex.Reply(ctx, thpMsgFeatures, data)
	case thpMsgEthereumGetAddress:
		return a.getAddress(ctx, ex, req.Data)
	case thpMsgEthereumSignMessage:
		return a.signMessage(ctx, ex, req.Data)
	case msgGetAddress:
		return a.bitcoinAddress(ctx, ex, req.Data)
	}
	return ex.Fail(ctx, thpFailureUnexpected, "Unexpected message")
}

// thpFeatures is Features as a Safe 7 sends it over THP: no session_id
// (sessions are THP's), internal_model T3W1, and language_version_matches
// (50) set, which @trezor/connect checks before anything else.
func (e *Trezor) thpFeatures() *trezor.Features {
	f := e.features()
	unknown := f.ProtoReflect().GetUnknown()
	unknown = protowire.AppendTag(unknown, 50, protowire.VarintType)
	unknown = protowire.AppendVarint(unknown, 1)
	f.ProtoReflect().SetUnknown(unknown)
	return f
}

// key runs the checks of a key operation on a THP session: a created
// session (the seed with its passphrase), an Ethereum or testnet path,
// an unlocked device (PIN entry on the device if it locked itself).
// ok is false when the host has been answered with a Failure already.
func (a thpApp) key(ctx context.Context, ex *thp.Exchange, path accounts.DerivationPath, anyCoin bool) (*ecdsa.PrivateKey, bool, error) {
	if !ex.SessionCreated() {
		return nil, false, ex.Fail(ctx, thpFailureInvalidSess, "Invalid session")
	}
	if len(path) == 0 || len(path) > 8 {
		return nil, false, ex.Fail(ctx, thpFailureDataError, "Invalid path")
	}
	if !anyCoin && (len(path) < 2 || path[0] != 0x8000002c || (path[1] != 0x8000003c && path[1] != 0x80000001)) {
		return nil, false, ex.Fail(ctx, thpFailureDataError, "Forbidden key path")
	}
	if a.e.b.Locked() {
		if err := a.e.unlockOnDevice(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, false, err
			}
			return nil, false, ex.Fail(ctx, thpFailurePinCancelled, "PIN entry cancelled")
		}
	}
	k, err := a.e.keyring(ex.Passphrase())
	if err != nil {
		return nil, false, ex.Fail(ctx, thpFailureProcessError, "Failed to derive seed")
	}
	key, err := k.Key(path)
	if err != nil {
		return nil, false, ex.Fail(ctx, thpFailureProcessError, "Failed to derive private key")
	}
	return key, true, nil
}

// confirm shows p after a ButtonRequest and plays the user; false means
// the host was answered already (refused, cancelled).
func (a thpApp) confirm(ctx context.Context, ex *thp.Exchange, code uint64, name string, p Prompt) (bool, error) {
	if ok, err := ex.ButtonRequest(ctx, code, name); !ok || err != nil {
		return false, err
	}
	return ex.AwaitUser(ctx, func(ctx context.Context) (bool, error) { return a.e.decide(ctx, p) })
}

func (a thpApp) getAddress(ctx context.Context, ex *thp.Exchange, data []byte) error {
	var req trezor.EthereumGetAddress
	if err := proto.Unmarshal(data, &req); err != nil {
		return ex.Fail(ctx, thpFailureDataError, "Failed to decode message")
	}
	path := accounts.DerivationPath(req.GetAddressN())
	k, ok, err := a.key(ctx, ex, path, false)
	if !ok {
		return err
	}
	addr := crypto.PubkeyToAddress(k.PublicKey)
	if req.GetShowDisplay() {
		p := Prompt{Kind: PromptAddress, Title: "Receive address", Text: addr.Hex(), Path: path}
		if ok, err := a.confirm(ctx, ex, thpButtonRequestAddress, "show_address", p); !ok || err != nil {
			return err
		}
	}
	out, err := proto.Marshal(&trezor.EthereumAddress{AddressHex: proto.String(addr.Hex())})
	if err != nil {
		return err
	}
	return ex.Reply(ctx, thpMsgEthereumAddress, out)
}

func (a thpApp) signMessage(ctx context.Context, ex *thp.Exchange, data []byte) error {
	var req trezor.EthereumSignMessage
	if err := proto.Unmarshal(data, &req); err != nil {
		return ex.Fail(ctx, thpFailureDataError, "Failed to decode message")
	}
	path := accounts.DerivationPath(req.GetAddressN())
	k, ok, err := a.key(ctx, ex, path, false)
	if !ok {
		return err
	}
	p := Prompt{Kind: PromptSignMessage, Title: "Sign message", Text: displayMessage(req.GetMessage()), Path: path}
	if ok, err := a.confirm(ctx, ex, thpButtonRequestOther, "sign_message", p); !ok || err != nil {
		return err
	}
	sig, err := crypto.Sign(accounts.TextHash(req.GetMessage()), k)
	if err != nil {
		return ex.Fail(ctx, thpFailureProcessError, "Signing failed")
	}
	sig[64] += 27
	addr := crypto.PubkeyToAddress(k.PublicKey)
	out, err := proto.Marshal(&trezor.EthereumMessageSignature{Signature: sig, AddressHex: proto.String(addr.Hex())})
	if err != nil {
		return err
	}
	return ex.Reply(ctx, thpMsgEthereumMessageSignature, out)
}

// bitcoinAddress answers GetAddress as the codec v1 models do (see
// trezor_bitcoin.go): @trezor/connect needs it for every call.
func (a thpApp) bitcoinAddress(ctx context.Context, ex *thp.Exchange, data []byte) error {
	req, ok := parseGetAddress(data)
	if !ok {
		return ex.Fail(ctx, thpFailureDataError, "Failed to decode message")
	}
	version, known := p2pkhVersion[req.coin]
	if !known || req.scriptType != 0 || req.multisig || req.show {
		return ex.Fail(ctx, thpFailureDataError, "Unsupported request (emulator: P2PKH Testnet/Bitcoin addresses only)")
	}
	k, ok, err := a.key(ctx, ex, req.path, true)
	if !ok {
		return err
	}
	out := protowire.AppendTag(nil, 1, protowire.BytesType)
	out = protowire.AppendString(out, p2pkhAddress(version, crypto.CompressPubkey(&k.PublicKey)))
	return ex.Reply(ctx, msgAddress, out)
}
