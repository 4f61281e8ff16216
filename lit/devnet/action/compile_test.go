package action

import (
	"context"
	"errors"
	"strconv"
	"testing"
)

// TestCompiledProgramIsolation runs the same source (compiled once, then
// taken from the cache) several times: every run starts from a fresh
// runtime, so nothing one run changes (globals, built-in prototypes,
// Lit.Actions overrides, pending timers) is visible to the next.
func TestCompiledProgramIsolation(t *testing.T) {
	src := `
const seen = [];
if (typeof leaked !== "undefined") seen.push("global");
if (Array.prototype.leaked) seen.push("prototype");
if (Object.prototype.leaked) seen.push("object prototype");
if (LitActions.signEcdsa.leaked || Lit.Actions.overridden) seen.push("Lit.Actions");
if (JSON.stringify.leaked) seen.push("builtin");
globalThis.leaked = 1;
Array.prototype.leaked = 1;
Object.prototype.leaked = 1;
LitActions.signEcdsa = Object.assign(() => {}, {leaked: 1});
Lit.Actions.overridden = true;
JSON.stringify.leaked = 1;
setTimeout(() => { globalThis.fromTimer = 1; }, 0);
if (typeof fromTimer !== "undefined") seen.push("timer");
LitActions.setResponse({response: seen.join(",") || "clean"});`
	for i := 0; i < 3; i++ {
		res, err := Run(context.Background(), src, nil, nil, Limits{})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if res.Response != "clean" {
			t.Fatalf("run %d saw state of an earlier run: %s", i, res.Response)
		}
	}
}

func TestCompileCache(t *testing.T) {
	src := `LitActions.setResponse({response: "cached " + n});`
	for _, n := range []int{1, 2} {
		res, err := Run(context.Background(), src, map[string]any{"n": n}, nil, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if want := "cached " + strconv.Itoa(n); res.Response != want {
			t.Fatalf("response %q, want %q", res.Response, want)
		}
	}
	// A syntax error is cached too, and each caller gets its own copy.
	for i := 0; i < 2; i++ {
		_, err := Run(context.Background(), `let x = ;`, nil, nil, Limits{})
		var te *ThrowError
		if !errors.As(err, &te) || te.Message == "" || te.Message[:11] != "SyntaxError" {
			t.Fatalf("run %d: %v, want a SyntaxError", i, err)
		}
		te.Message = "changed"
	}
	programs.Lock()
	n := len(programs.m)
	programs.Unlock()
	if n > maxCachedPrograms {
		t.Fatalf("%d cached programs, bound %d", n, maxCachedPrograms)
	}
}

func TestCompileCacheBounded(t *testing.T) {
	for i := 0; i < maxCachedPrograms+10; i++ {
		if _, err := compile("var x" + strconv.Itoa(i) + " = 1;"); err != nil {
			t.Fatal(err)
		}
	}
	programs.Lock()
	n := len(programs.m)
	programs.Unlock()
	if n > maxCachedPrograms {
		t.Fatalf("%d cached programs, bound %d", n, maxCachedPrograms)
	}
}
