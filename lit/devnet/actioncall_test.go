package devnet

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet/action"
)

// TestActionCallCache checks that a call is decoded once for all the
// requests that send it, and that nothing else is shared.
func TestActionCallCache(t *testing.T) {
	n := &Network{calls: newBoundedCache[[sha256.Size]byte, *actionCall](maxCachedCalls)}
	code := base64.StdEncoding.EncodeToString([]byte("1"))
	params := json.RawMessage(`{"b":1,"a":[2]}`)
	first, nerr := n.actionCall(code, "", params)
	if nerr != nil {
		t.Fatal(nerr)
	}
	wantCID, err := action.CIDv0([]byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	if cid, nerr := actionCID(first); cid != wantCID || nerr != nil {
		t.Fatalf("cid %q, %v; want %q", cid, nerr, wantCID)
	}
	if string(first.paramsJSON) != `{"a":[2],"b":1}` {
		t.Fatalf("paramsJSON %s", first.paramsJSON)
	}
	if again, _ := n.actionCall(code, "", params); again != first {
		t.Error("the same call decoded twice")
	}
	// Any other field value is another call.
	for _, other := range []struct{ code, ipfsID, params string }{
		{code, "", `{"b":1,"a":[3]}`},
		{code, "", `{"b":1, "a":[2]}`},
		{base64.StdEncoding.EncodeToString([]byte("2")), "", `{"b":1,"a":[2]}`},
		{"", wantCID, `{"b":1,"a":[2]}`},
	} {
		call, nerr := n.actionCall(other.code, other.ipfsID, json.RawMessage(other.params))
		if nerr != nil || call == first {
			t.Errorf("%+v: %v, same as the first: %v", other, nerr, call == first)
		}
	}
	// Failures are not remembered; oversized calls are decoded each time.
	if _, nerr := n.actionCall("!!", "", nil); nerr == nil {
		t.Error("bad base64 accepted")
	}
	big := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("1;", maxCachedCallSize)))
	a, _ := n.actionCall(big, "", nil)
	b, _ := n.actionCall(big, "", nil)
	if a == nil || a == b {
		t.Error("an oversized call was remembered")
	}
	if got := n.calls.len(); got != 5 {
		t.Errorf("%d calls remembered, want 5", got)
	}
}

// TestSharedCallIsolation runs one call, whose action changes its
// parameters and globals, on every node, twice: every run starts from the
// parameters as sent.
func TestSharedCallIsolation(t *testing.T) {
	n := startNet(t, Config{Seed: "isolation"})
	s := newSession(t, lit.Capability{})
	code := `
		const before = JSON.stringify(jsParams);
		jsParams.list.push(4); jsParams.obj.k = "changed"; list.pop(); obj.extra = 1;
		globalThis.leak = (globalThis.leak || 0) + 1;
		LitActions.setResponse({response: before + "|" + globalThis.leak});`
	params := map[string]any{"list": []int{1, 2, 3}, "obj": map[string]any{"k": "v"}}
	for round := range 2 {
		for i, r := range executeAll(t, n, s, code, params, "") {
			if want := `{"list":[1,2,3],"obj":{"k":"v"}}|1`; r.Response != want {
				t.Fatalf("round %d, node %d: response %q, want %q", round, i, r.Response, want)
			}
		}
	}
}
