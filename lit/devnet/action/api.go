package action

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dop251/goja"
	"github.com/ethereum/go-ethereum/crypto"
)

// maxToSign is the longest toSign accepted: the node signs toSign read as a
// big-endian integer below the curve order, so it must fit in 32 bytes.
const maxToSign = 32

// unsupportedFunctions are LitActions functions of real nodes that need a
// chain, access control or other nodes; on the devnet they throw.
var unsupportedFunctions = []string{
	"aesDecrypt", "broadcastAndCollect", "call", "callContract", "checkConditions",
	"claimKey", "decryptAndCombine", "decryptToSingleNode", "encrypt",
	"getLatestNonce", "getPermittedActions", "getPermittedAddresses",
	"getPermittedAuthMethodScopes", "getPermittedAuthMethods", "getRpcUrl",
	"isPermittedAction", "isPermittedAddress", "isPermittedAuthMethod",
	"runOnce", "signAndCombineEcdsa",
}

// apiFunctions are LitActions' keys in order: the implemented functions,
// then unsupportedFunctions.
var apiFunctions = append([]string{
	"signEcdsa", "ethPersonalSignMessageEcdsa", "setResponse", "pubkeyToTokenId",
	"uint8arrayToString", "uint8arrayFromString",
}, unsupportedFunctions...)

// installAPI defines LitActions, Lit.Actions (the same object) and console.
func (r *run) installAPI() error {
	la := newLazyObject(r.vm, apiFunctions, r.apiFunction)
	lit := r.vm.NewObject()
	if err := lit.Set("Actions", la); err != nil {
		return err
	}
	if err := r.vm.Set("LitActions", la); err != nil {
		return err
	}
	if err := r.vm.Set("Lit", lit); err != nil {
		return err
	}
	if err := r.installTimers(); err != nil {
		return err
	}
	return r.installConsole()
}

// apiFunction makes the LitActions function called name.
func (r *run) apiFunction(name string) goja.Value {
	switch name {
	case "signEcdsa":
		return r.vm.ToValue(r.signEcdsa)
	case "ethPersonalSignMessageEcdsa":
		return r.vm.ToValue(r.ethPersonalSignMessageEcdsa)
	case "setResponse":
		return r.vm.ToValue(r.setResponse)
	case "pubkeyToTokenId":
		return r.vm.ToValue(r.pubkeyToTokenID)
	case "uint8arrayToString":
		return r.vm.ToValue(r.uint8arrayToString)
	case "uint8arrayFromString":
		return r.vm.ToValue(r.uint8arrayFromString)
	}
	return r.vm.ToValue(func(goja.FunctionCall) goja.Value { panic(r.jsError(notSupported(name))) })
}

// jsError makes a JavaScript Error carrying err's text and remembers err,
// so that Run can return it wrapped if the action does not catch it.
func (r *run) jsError(err error) *goja.Object {
	obj, e := r.vm.New(r.vm.Get("Error"), r.vm.ToValue(err.Error()))
	if e != nil {
		return r.vm.NewGoError(err)
	}
	r.goErrs[obj] = err
	return obj
}

// field reads params[name] from the single object argument, throwing a
// TypeError (like destructuring) when the argument is not an object.
func (r *run) field(call goja.FunctionCall, name string) goja.Value {
	arg := call.Argument(0)
	if goja.IsUndefined(arg) || goja.IsNull(arg) {
		panic(r.vm.NewTypeError("cannot read property %q of %s", name, arg.String()))
	}
	v := arg.ToObject(r.vm).Get(name)
	if v == nil {
		return goja.Undefined()
	}
	return v
}

// bytesOf converts v as `new Uint8Array(v)` does (arrays of numbers, typed
// arrays, ArrayBuffers, array-likes), throwing what that constructor throws.
func (r *run) bytesOf(v goja.Value) []byte {
	b, ok := r.buffers.newUint8Array(v).Export().([]byte)
	if !ok {
		panic(r.vm.NewTypeError("cannot convert to Uint8Array"))
	}
	return bytes.Clone(b)
}

// jsValueOf turns an error from a VM call back into the thrown value.
func (r *run) jsValueOf(err error) goja.Value {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return ex.Value()
	}
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		panic(intr) // propagate the interrupt, never turn it into a catchable value
	}
	return r.vm.NewGoError(err)
}

// newUint8Array returns a fresh JavaScript Uint8Array holding b.
func (r *run) newUint8Array(b []byte) goja.Value {
	return r.buffers.newUint8Array(r.vm.ToValue(r.vm.NewArrayBuffer(b)))
}

// stringArg returns v as a string, or "" if it is undefined or null (the
// node's "not blank" checks then reject it). A Symbol throws the TypeError
// String conversion throws (goja's String of a Symbol is its description:
// Symbol("x") signed under "x").
func (r *run) stringArg(v goja.Value) string {
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return ""
	}
	if _, sym := v.(*goja.Symbol); sym {
		panic(r.vm.NewTypeError("Cannot convert a Symbol value to a string"))
	}
	return v.String()
}

// symbolString is a Symbol as JavaScript's String(symbol) and Node's
// console show it: Symbol(description).
func symbolString(s *goja.Symbol) string {
	return "Symbol(" + s.String() + ")"
}

// signEcdsa implements LitActions.signEcdsa({toSign, publicKey, sigName}).
func (r *run) signEcdsa(call goja.FunctionCall) goja.Value {
	toSign := r.bytesOf(r.field(call, "toSign"))
	req := SignRequest{
		Kind:      KindSignEcdsa,
		ToSign:    toSign,
		PublicKey: r.stringArg(r.field(call, "publicKey")),
		SigName:   r.stringArg(r.field(call, "sigName")),
	}
	return r.requestSignature(req)
}

// ethPersonalSignMessageEcdsa implements
// LitActions.ethPersonalSignMessageEcdsa({message, publicKey, sigName}).
// Like the node, it converts message with uint8arrayFromString(message):
// a string is UTF-8 encoded; anything else is first converted to a string
// (so a Uint8Array signs its comma-separated digits, as on real nodes).
func (r *run) ethPersonalSignMessageEcdsa(call goja.FunctionCall) goja.Value {
	msgVal := r.field(call, "message")
	msg := []byte(msgVal.String())
	prefix := "\x19Ethereum Signed Message:\n" + strconv.Itoa(len(msg))
	hash := crypto.Keccak256([]byte(prefix), msg)
	req := SignRequest{
		Kind:      KindEthPersonalSign,
		ToSign:    hash,
		PublicKey: r.stringArg(r.field(call, "publicKey")),
		SigName:   r.stringArg(r.field(call, "sigName")),
		Message:   msg,
	}
	return r.requestSignature(req)
}

// requestSignature validates req, asks the Env and records it; it returns a
// promise that resolves to "success" or rejects with the reason.
func (r *run) requestSignature(req SignRequest) goja.Value {
	promise, resolve, reject := r.vm.NewPromise()
	if r.abandoned.Load() || r.ctx.Err() != nil {
		_ = reject(r.jsError(fmt.Errorf("%s: %w", req.Kind, ErrTimeout)))
		return r.vm.ToValue(promise)
	}
	if err := r.checkSignRequest(req); err != nil {
		_ = reject(r.jsError(err))
		return r.vm.ToValue(promise)
	}
	if r.env != nil {
		if err := r.env.SignEcdsa(r.ctx, req); err != nil {
			_ = reject(r.jsError(fmt.Errorf("%s: %w", req.Kind, err)))
			return r.vm.ToValue(promise)
		}
	}
	r.res.SignRequests = append(r.res.SignRequests, req)
	_ = resolve("success")
	return r.vm.ToValue(promise)
}

func (r *run) checkSignRequest(req SignRequest) error {
	r.signCalls++
	if r.signCalls > r.limits.MaxSignatures {
		//lint:ignore ST1005 a real node's wording, which actions may match on
		return fmt.Errorf("You may not sign more than %d times per session and you have attempted to exceed that limit.", r.limits.MaxSignatures)
	}
	switch {
	case len(req.ToSign) == 0:
		return fmt.Errorf("%s: toSign is empty", req.Kind)
	case len(req.ToSign) > maxToSign:
		return fmt.Errorf("%s: toSign is %d bytes; the devnet signs at most %d (sign a hash)", req.Kind, len(req.ToSign), maxToSign)
	case strings.TrimSpace(req.PublicKey) == "":
		return fmt.Errorf("%s: publicKey is blank", req.Kind)
	case strings.TrimSpace(req.SigName) == "":
		return fmt.Errorf("%s: sigName is blank", req.Kind)
	case len(req.SigName) > MaxSigNameSize:
		return fmt.Errorf("%s: sigName is %d bytes; the limit is %d", req.Kind, len(req.SigName), MaxSigNameSize)
	}
	for _, prev := range r.res.SignRequests {
		if prev.SigName == req.SigName {
			return fmt.Errorf("%s: sigName %q already used in this action", req.Kind, req.SigName)
		}
	}
	return nil
}

// setResponse implements LitActions.setResponse({response}).
func (r *run) setResponse(call goja.FunctionCall) goja.Value {
	v := r.field(call, "response")
	s, ok := v.Export().(string)
	if !ok {
		panic(r.vm.NewTypeError("setResponse: response must be a string (use JSON.stringify), got %s", typeOf(v)))
	}
	if len(s) > r.limits.MaxResponseSize {
		//lint:ignore ST1005 the Lit node's own wording, which actions may match on
		panic(r.jsError(fmt.Errorf("Response is too long. Max length is %d bytes", r.limits.MaxResponseSize)))
	}
	r.res.Response = s
	return goja.Undefined()
}

// pubkeyToTokenID implements LitActions.pubkeyToTokenId({publicKey}).
func (r *run) pubkeyToTokenID(call goja.FunctionCall) goja.Value {
	id, err := PubkeyToTokenID(r.stringArg(r.field(call, "publicKey")))
	if err != nil {
		panic(r.jsError(err))
	}
	return r.vm.ToValue(id)
}

// PubkeyToTokenID returns a PKP's token id as the node's pubkeyToTokenId
// computes it: "0x" + hex(keccak256(public key bytes)), hashing every byte
// given: for a PKP, the full 65-byte uncompressed key including the 0x04
// prefix (as the PKP contracts do). publicKey is hex, with or without 0x.
func PubkeyToTokenID(publicKey string) (string, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(publicKey, "0x"), "0X"))
	if err != nil {
		return "", fmt.Errorf("pubkeyToTokenId: publicKey is not hex: %w", err)
	}
	if len(b) == 0 {
		return "", errors.New("pubkeyToTokenId: publicKey is empty")
	}
	return "0x" + hex.EncodeToString(crypto.Keccak256(b)), nil
}

// typeOf is JavaScript's typeof, for messages.
func typeOf(v goja.Value) string {
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	}
	if _, ok := goja.AssertFunction(v); ok {
		return "function"
	}
	if _, ok := v.(*goja.Object); ok {
		return "object"
	}
	return v.ExportType().Kind().String()
}
