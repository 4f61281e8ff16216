package action

import (
	"context"
	"testing"
)

// TestLazyAPIObjects checks that LitActions and console, whose functions are
// made on first read, behave like plain objects.
func TestLazyAPIObjects(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"identity", `String(LitActions.signEcdsa === Lit.Actions.signEcdsa && console.log === console.log && console.log !== console.info)`, "true"},
		{"keys", `Object.keys(LitActions).slice(0, 7).join() + "|" + Object.keys(console).join()`,
			"signEcdsa,ethPersonalSignMessageEcdsa,setResponse,pubkeyToTokenId,uint8arrayToString,uint8arrayFromString,aesDecrypt|log,info,warn,error,debug,trace"},
		{"count", `String(Object.keys(LitActions).length)`, "26"},
		{"in and hasOwnProperty", `["signEcdsa" in LitActions, LitActions.hasOwnProperty("call"), "nope" in LitActions, "toString" in LitActions].join()`, "true,true,false,true"},
		{"replace, add, delete", `(() => { LitActions.call = 1; LitActions.extra = 2; delete LitActions.aesDecrypt; delete console.log; return [LitActions.call, LitActions.extra, "aesDecrypt" in LitActions, Object.keys(LitActions).length, Object.keys(LitActions).pop(), typeof console.log].join(); })()`, "1,2,false,26,extra,undefined"},
		{"descriptor", `JSON.stringify(Object.getOwnPropertyDescriptor(LitActions, "setResponse"), (k, v) => typeof v === "function" ? "fn" : v)`, `{"value":"fn","writable":true,"enumerable":true,"configurable":true}`},
		{"stringify", `JSON.stringify(LitActions) + JSON.stringify(Lit)`, `{}{"Actions":{}}`},
		{"typeof", `typeof LitActions + typeof LitActions.runOnce`, "objectfunction"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), `LitActions.setResponse({response: `+tc.src+`});`, nil, nil, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Response != tc.want {
				t.Errorf("got %q, want %q", res.Response, tc.want)
			}
		})
	}
}
