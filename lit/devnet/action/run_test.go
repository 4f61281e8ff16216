package action

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
)

const testPub = "0x04aabbcc"

// recordingEnv is a node-like Env: it accepts requests for known keys only.
type recordingEnv struct {
	keys  map[string]bool
	calls int
}

func (e *recordingEnv) SignEcdsa(_ context.Context, req SignRequest) error {
	e.calls++
	if !e.keys[req.PublicKey] {
		return errors.New("unknown PKP public key " + req.PublicKey)
	}
	return nil
}

func TestRun(t *testing.T) {
	seedParams := map[string]any{
		"toSign":    []any{72, 101, 108, 108, 111, 32, 87, 111, 114, 108, 100},
		"publicKey": testPub,
		"sigName":   "sig1",
	}
	tests := []struct {
		name     string
		src      string
		params   map[string]any
		limits   Limits
		wantErr  error  // errors.Is target
		wantThr  string // substring of ThrowError.Message, "" = no ThrowError expected
		inPromis bool
		response string
		logs     string
		sigs     []SignRequest
	}{
		{
			name: "seed action",
			src: `const go = async () => {
  const sigShare = await LitActions.signEcdsa({ toSign, publicKey, sigName });
  LitActions.setResponse({response: sigShare});
};
go();`,
			params:   seedParams,
			response: "success",
			sigs:     []SignRequest{{Kind: KindSignEcdsa, SigName: "sig1", ToSign: []byte("Hello World"), PublicKey: testPub}},
		},
		{
			name:   "Lit.Actions is LitActions, Uint8Array toSign",
			src:    `if (Lit.Actions !== LitActions) throw new Error("different"); Lit.Actions.signEcdsa({toSign: new Uint8Array([1,2,3]), publicKey, sigName: "a"});`,
			params: seedParams,
			sigs:   []SignRequest{{Kind: KindSignEcdsa, SigName: "a", ToSign: []byte{1, 2, 3}, PublicKey: testPub}},
		},
		{
			name: "personal sign of a string",
			src:  `(async () => { await LitActions.ethPersonalSignMessageEcdsa({message: "hello ☃", publicKey: "` + testPub + `", sigName: "p"}); })();`,
			sigs: []SignRequest{{Kind: KindEthPersonalSign, SigName: "p", ToSign: accounts.TextHash([]byte("hello ☃")), PublicKey: testPub, Message: []byte("hello ☃")}},
		},
		{
			name: "personal sign converts non-strings with String() like the node",
			src:  `LitActions.ethPersonalSignMessageEcdsa({message: new Uint8Array([7,8]), publicKey: "` + testPub + `", sigName: "p"});`,
			sigs: []SignRequest{{Kind: KindEthPersonalSign, SigName: "p", ToSign: accounts.TextHash([]byte("7,8")), PublicKey: testPub, Message: []byte("7,8")}},
		},
		{
			name:     "jsParams are JSON values",
			src:      `LitActions.setResponse({response: JSON.stringify({isArr: Array.isArray(list), n: obj.a.b + 1, s: str, nul: nothing})});`,
			params:   map[string]any{"list": []int{1}, "obj": map[string]any{"a": map[string]any{"b": 41}}, "str": "x", "nothing": nil},
			response: `{"isArr":true,"n":42,"s":"x","nul":null}`,
		},
		{
			name:     "params cannot shadow the API",
			src:      `LitActions.setResponse({response: typeof LitActions.signEcdsa});`,
			params:   map[string]any{"LitActions": 1},
			response: "function",
		},
		{
			name: "console formatting",
			src:  `console.log("a", 1, 1.5, {b: "c"}, [1, "x"], null, undefined, true, new Uint8Array([1, 2]), function f() {}); console.error("second"); console.info(); console.warn(10n)`,
			logs: "a 1 1.5 {\"b\":\"c\"} [1,\"x\"] null undefined true Uint8Array(2) [ 1, 2 ] [Function: f]\nsecond\n\n10n\n",
		},
		{
			name: "console with a cycle does not fail",
			src:  `const o = {}; o.o = o; console.log(o);`,
			logs: "[object Object]\n",
		},
		{
			name:     "pubkeyToTokenId",
			src:      `LitActions.setResponse({response: LitActions.pubkeyToTokenId({publicKey: "0x0400"})});`,
			response: "0x2b7db1ae7819b329bc6a476594cb78f3643d84ebc0e3cb28528d2c091a497150", // ethers keccak256("0x0400")
		},
		{
			name:    "pubkeyToTokenId rejects non-hex",
			src:     `LitActions.pubkeyToTokenId({publicKey: "zz"});`,
			wantThr: "pubkeyToTokenId: publicKey is not hex",
		},
		{
			name:     "uint8array helpers",
			src:      `const L = LitActions; const b = L.uint8arrayFromString("hello", "utf8"); L.setResponse({response: [L.uint8arrayToString(b, "base16"), L.uint8arrayToString(b, "base64"), L.uint8arrayToString(L.uint8arrayFromString("68656c6c6f", "base16")), L.uint8arrayToString(L.uint8arrayFromString("aGVsbG8=", "base64")), L.uint8arrayToString(b), b instanceof Uint8Array].join(",")});`,
			response: "68656c6c6f,aGVsbG8,hello,hello,hello,true",
		},
		{
			// A node converts the API's arguments natively: an action's
			// own Uint8Array changes nothing.
			name:     "uint8array helpers ignore a replaced global Uint8Array",
			src:      `const L = LitActions; globalThis.Uint8Array = function () { throw new Error("replaced"); }; const b = L.uint8arrayFromString("hi"); L.setResponse({response: [L.uint8arrayToString([104, 105]), L.uint8arrayToString(b, "base16"), Object.getPrototypeOf(b).constructor === Uint8Array].join(",")});`,
			response: "hi,6869,false",
		},
		{
			name:    "uint8array unknown encoding",
			src:     `LitActions.uint8arrayToString(new Uint8Array([1]), "rot13");`,
			wantThr: `Unsupported encoding "rot13"`,
		},
		{
			name:    "unsupported function",
			src:     `(async () => { await LitActions.checkConditions({conditions: []}); })();`,
			wantThr: "LitActions.checkConditions is not supported on devnet",
			wantErr: ErrNotSupported, inPromis: true,
		},
		{
			name: "caught unsupported function",
			src:  `try { Lit.Actions.call({ipfsId: "Qm"}); } catch (e) { console.log(e.message); }`,
			logs: "LitActions.call is not supported on devnet\n",
		},
		{
			name:    "top-level throw keeps logs",
			src:     `console.log("before"); throw new Error("boom");`,
			wantThr: "Error: boom",
			logs:    "before\n",
		},
		{
			name:    "async throw is an unhandled rejection",
			src:     `const go = async () => { throw new TypeError("bad"); }; go();`,
			wantThr: "TypeError: bad", inPromis: true,
		},
		{
			name:     "handled rejection is fine",
			src:      `Promise.reject(new Error("x")).catch(e => LitActions.setResponse({response: e.message}));`,
			response: "x",
		},
		{
			name:     "setTimeout and clearTimeout",
			src:      `const sleep = (ms) => new Promise(r => setTimeout(r, ms)); const go = async () => { const t = setTimeout(() => console.log("cleared"), 1); clearTimeout(t); setTimeout((a, b) => console.log("args", a, b), 2, "x", 1); await sleep(5); console.log("after"); LitActions.setResponse({response: "slept"}); }; go();`,
			response: "slept",
			logs:     "args x 1\nafter\n",
		},
		{
			name: "setInterval until cleared",
			src:  `let n = 0; const id = setInterval(() => { n++; console.log("tick", n); if (n === 3) clearInterval(id); }, 1);`,
			logs: "tick 1\ntick 2\ntick 3\n",
		},
		{
			name:    "throw in a timer callback",
			src:     `setTimeout(() => { throw new RangeError("late"); }, 1);`,
			wantThr: "RangeError: late",
		},
		{
			name:    "endless setInterval times out",
			src:     `setInterval(() => {}, 1);`,
			limits:  Limits{Timeout: 50 * time.Millisecond},
			wantErr: ErrTimeout,
		},
		{
			name:    "fetch is not supported",
			src:     `const go = async () => { await fetch("https://example.com"); }; go();`,
			wantThr: "fetch is not supported on devnet", inPromis: true,
			wantErr: ErrNotSupported,
		},
		{
			name: "never-resolving promise ends the run",
			src:  `const go = async () => { console.log("start"); await new Promise(() => {}); console.log("never"); }; go();`,
			logs: "start\n",
		},
		{
			name:    "syntax error",
			src:     `const go = async () => {`,
			wantThr: "SyntaxError: <action>: Line 1:",
		},
		{
			name:     "jsParams object",
			src:      `LitActions.setResponse({response: String(jsParams.a + a)});`,
			params:   map[string]any{"a": 2},
			response: "4",
		},
		{
			name:    "deep recursion",
			src:     `function f(n) { return f(n + 1) + 1; } f(0);`,
			wantThr: "RangeError",
		},
		{
			name:    "infinite loop times out",
			src:     `while (true) {}`,
			limits:  Limits{Timeout: 100 * time.Millisecond},
			wantErr: ErrTimeout,
		},
		{
			name:    "infinite microtask loop times out",
			src:     `const go = async () => { for (;;) { await null; } }; go();`,
			limits:  Limits{Timeout: 100 * time.Millisecond},
			wantErr: ErrTimeout,
		},
		{
			name:    "code too large",
			src:     strings.Repeat(" ", 101),
			limits:  Limits{MaxCodeSize: 100},
			wantErr: ErrCodeTooLarge,
		},
		{
			name:    "setResponse needs a string",
			src:     `LitActions.setResponse({response: {a: 1}});`,
			wantThr: "TypeError: setResponse: response must be a string",
		},
		{
			name:    "setResponse size limit",
			src:     `LitActions.setResponse({response: "x".repeat(11)});`,
			limits:  Limits{MaxResponseSize: 10},
			wantThr: "Response is too long",
		},
		{
			name:    "missing argument object",
			src:     `LitActions.signEcdsa();`,
			wantThr: "TypeError",
		},
		{
			name:    "empty toSign",
			src:     `(async () => { await LitActions.signEcdsa({toSign: [], publicKey: "` + testPub + `", sigName: "s"}); })();`,
			wantThr: "toSign is empty", inPromis: true,
		},
		{
			name:    "toSign over 32 bytes",
			src:     `(async () => { await LitActions.signEcdsa({toSign: new Uint8Array(33), publicKey: "` + testPub + `", sigName: "s"}); })();`,
			wantThr: "at most 32", inPromis: true,
		},
		{
			name:    "blank sigName",
			src:     `(async () => { await LitActions.signEcdsa({toSign: [1], publicKey: "` + testPub + `"}); })();`,
			wantThr: "sigName is blank", inPromis: true,
		},
		{
			name:    "sigName too long",
			src:     `(async () => { await LitActions.signEcdsa({toSign: [1], publicKey: "` + testPub + `", sigName: "n".repeat(257)}); })();`,
			wantThr: "sigName is 257 bytes; the limit is 256", inPromis: true,
		},
		{
			name: "sigName at the limit",
			src:  `LitActions.signEcdsa({toSign: [1], publicKey: "` + testPub + `", sigName: "n".repeat(256)});`,
			sigs: []SignRequest{{Kind: KindSignEcdsa, SigName: strings.Repeat("n", 256), ToSign: []byte{1}, PublicKey: testPub}},
		},
		{
			name:    "Symbol sigName",
			src:     `LitActions.signEcdsa({toSign: [1], publicKey: "` + testPub + `", sigName: Symbol("x")});`,
			wantThr: "TypeError: Cannot convert a Symbol value to a string",
		},
		{
			name:    "thrown Symbol",
			src:     `throw Symbol("s")`,
			wantThr: "Symbol(s)",
		},
		{
			name:    "rejected with a Symbol",
			src:     `Promise.reject(Symbol())`,
			wantThr: "Symbol()", inPromis: true,
		},
		{
			name: "console shows Symbols as Node does",
			src:  `console.log(Symbol("q"), Symbol())`,
			logs: "Symbol(q) Symbol()\n",
		},
		{
			name:    "duplicate sigName",
			src:     `(async () => { const p = {toSign: [1], publicKey: "` + testPub + `", sigName: "s"}; await LitActions.signEcdsa(p); await LitActions.signEcdsa(p); })();`,
			wantThr: `sigName "s" already used`, inPromis: true,
			sigs: []SignRequest{{Kind: KindSignEcdsa, SigName: "s", ToSign: []byte{1}, PublicKey: testPub}},
		},
		{
			name:    "env refuses an unknown key",
			src:     `(async () => { await LitActions.signEcdsa({toSign: [1], publicKey: "0x04dead", sigName: "s"}); })();`,
			wantThr: "unknown PKP public key 0x04dead", inPromis: true,
		},
		{
			name:    "logs are capped like on a node",
			src:     `for (let i = 0; i < 100; i++) console.log("0123456789");`,
			limits:  Limits{MaxLogSize: 30},
			wantThr: "Error: Console.log is printing something that is too long. Max length for all logs in a single request is 30 bytes",
			logs:    "0123456789\n0123456789\n",
		},
		{
			name:     "the log limit can be caught",
			src:      `try { console.log("x".repeat(40)); } catch (e) { LitActions.setResponse({response: "caught"}); } console.log("ok");`,
			limits:   Limits{MaxLogSize: 30},
			response: "caught",
			logs:     "ok\n",
		},
		{
			name:    "signature count limit",
			src:     `(async () => { for (let i = 0; i < 3; i++) await LitActions.signEcdsa({toSign: [i + 1], publicKey: "` + testPub + `", sigName: "s" + i}); })();`,
			limits:  Limits{MaxSignatures: 2},
			wantThr: "You may not sign more than 2 times per session", inPromis: true,
			sigs: []SignRequest{{Kind: KindSignEcdsa, SigName: "s0", ToSign: []byte{1}, PublicKey: testPub}, {Kind: KindSignEcdsa, SigName: "s1", ToSign: []byte{2}, PublicKey: testPub}},
		},
		{
			name:     "typed arrays still behave after the memory guard",
			src:      `class U extends Uint8Array {}; const u = new U(4); const b = new ArrayBuffer(8); const v = new Float64Array(b); LitActions.setResponse({response: [u instanceof Uint8Array, u instanceof U, u.length, v.length, new Uint8Array([1,2]).slice(1)[0], Object.getPrototypeOf(new Uint8Array(1)) === Uint8Array.prototype, "ab".repeat(2), "7".padStart(3, "0"), Uint8Array.from([3])[0]].join(",")});`,
			response: "true,true,4,1,2,true,abab,007,3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := &recordingEnv{keys: map[string]bool{testPub: true}}
			res, err := Run(context.Background(), tc.src, tc.params, env, tc.limits)
			if res == nil {
				t.Fatal("nil Result")
			}
			var te *ThrowError
			switch {
			case tc.wantThr != "":
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want a ThrowError with %q", err, tc.wantThr)
				}
				if !strings.Contains(te.Message, tc.wantThr) {
					t.Errorf("message = %q, want it to contain %q", te.Message, tc.wantThr)
				}
				if te.InPromise != tc.inPromis {
					t.Errorf("InPromise = %v, want %v", te.InPromise, tc.inPromis)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Errorf("err = %v, want errors.Is %v", err, tc.wantErr)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			}
			if res.Response != tc.response {
				t.Errorf("response = %q, want %q", res.Response, tc.response)
			}
			if tc.logs != "" && res.Logs != tc.logs {
				t.Errorf("logs = %q, want %q", res.Logs, tc.logs)
			}
			if len(res.SignRequests) != len(tc.sigs) {
				t.Fatalf("sign requests = %+v, want %+v", res.SignRequests, tc.sigs)
			}
			for i, want := range tc.sigs {
				got := res.SignRequests[i]
				if got.Kind != want.Kind || got.SigName != want.SigName || got.PublicKey != want.PublicKey ||
					string(got.ToSign) != string(want.ToSign) || string(got.Message) != string(want.Message) {
					t.Errorf("sign request %d = %+v, want %+v", i, got, want)
				}
			}
		})
	}
}

func TestRunJSONParams(t *testing.T) {
	tests := []struct {
		params string
		want   string // response, or "" for ErrInvalidParams
	}{
		{`{"a":1,"b":"x"}`, `1 x 1`},
		{` {"a":2} `, `2 undefined 2`},
		{`null`, `no params`},
		{`[1,2]`, ``},
		{`1`, ``},
		{`"a"`, ``},
		{``, ``},
		{`{"a":1`, ``},
		{`{"a":1}x`, ``},
	}
	src := `LitActions.setResponse({response: typeof jsParams === "undefined" ? "no params" : a + " " + (typeof b === "undefined" ? "undefined" : b) + " " + jsParams.a});`
	for _, tt := range tests {
		res, err := RunJSON(context.Background(), src, []byte(tt.params), nil, Limits{})
		if tt.want == "" {
			if !errors.Is(err, ErrInvalidParams) {
				t.Errorf("params %q: err %v, want ErrInvalidParams", tt.params, err)
			}
			continue
		}
		if err != nil || res.Response != tt.want {
			t.Errorf("params %q: response %q, %v; want %q", tt.params, res.Response, err, tt.want)
		}
	}
}
