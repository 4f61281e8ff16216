package action

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// cancellingEnv cancels the run's parent context on the first request.
type cancellingEnv struct{ cancel context.CancelFunc }

func (e cancellingEnv) SignEcdsa(context.Context, SignRequest) error {
	e.cancel()
	return nil
}

func TestRunContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := `LitActions.signEcdsa({toSign: [1], publicKey: "k", sigName: "s"}); for (;;) {}`
	res, err := Run(ctx, src, nil, cancellingEnv{cancel}, Limits{Timeout: time.Minute})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(res.SignRequests) != 1 {
		t.Errorf("sign requests before the cancel lost: %+v", res.SignRequests)
	}

	if _, err := Run(ctx, `1`, nil, nil, Limits{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: err = %v", err)
	}
}

func TestRunParentDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, `for (;;) {}`, nil, nil, Limits{Timeout: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

// TestRunStuckBuiltin checks that Run returns on time when the action sits
// in a built-in goja cannot interrupt.
func TestRunStuckBuiltin(t *testing.T) {
	old := abandonGrace
	abandonGrace = 10 * time.Millisecond
	defer func() { abandonGrace = old }()
	res, err := Run(context.Background(), `console.log("x"); "ab".repeat(1 << 26).length`, nil, nil, Limits{Timeout: 10 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if res == nil {
		t.Fatal("nil Result")
	}
}

func TestRunInvalidParams(t *testing.T) {
	_, err := Run(context.Background(), `1`, map[string]any{"f": func() {}}, nil, Limits{})
	if !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("err = %v, want ErrInvalidParams", err)
	}
}

// TestRunConcurrent runs independent actions at once (meaningful with -race).
func TestRunConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := fmt.Sprintf(`(async () => { await Lit.Actions.signEcdsa({toSign: [%d], publicKey: "k", sigName: "s"}); LitActions.setResponse({response: "r%d"}); })();`, i, i)
			res, err := Run(context.Background(), src, nil, nil, Limits{})
			switch {
			case err != nil:
				errs <- err
			case res.Response != fmt.Sprintf("r%d", i) || len(res.SignRequests) != 1 || res.SignRequests[0].ToSign[0] != byte(i):
				errs <- fmt.Errorf("run %d: %+v", i, res)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestThrowErrorFormat(t *testing.T) {
	_, err := Run(context.Background(), "function f() {\n  throw new Error('boom');\n}\nf();", nil, nil, Limits{})
	var te *ThrowError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v", err)
	}
	if err.Error() != "action: Uncaught Error: boom" {
		t.Errorf("Error() = %q", err.Error())
	}
	if !strings.Contains(te.Stack, "<action>:2:") {
		t.Errorf("stack %q does not point at line 2", te.Stack)
	}
}

func FuzzRun(f *testing.F) {
	for _, s := range []string{
		`LitActions.signEcdsa({toSign: [1,2], publicKey: "04aa", sigName: "a"})`,
		`const go = async () => { await LitActions.setResponse({response: "x"}) }; go();`,
		`console.log({a: [1, {b: null}]}, new Uint8Array(3))`,
		`LitActions.uint8arrayFromString("aGk", "base64")`,
		`throw {toString() { throw 1 }}`,
		`Promise.reject(Symbol())`,
		`while (1) {}`,
		`(`,
		`[1, 2, 3].fill(0, {valueOf() { throw 1 }})`,
		`Array.prototype.fill.call(new Proxy({length: 3}, {set() { throw 2 }}), 1)`,
		`Array.prototype.fill.call("ab", 1)`,
		`new Array(5e4).fill(Symbol(), -1e4)`,
		`new Uint8ClampedArray([1.5, , "2", {valueOf() { throw 3 }}])`,
		`const a = [1]; Object.defineProperty(a, 0, {get() { a.push(1); return 2 }}); new Float32Array(a)`,
		`Array.prototype.lastIndexOf.call({length: 2 ** 53 - 1, 5: 1}, 1, 9)`,
		`Uint8Array.from([1, , "2", {valueOf() { throw 4 }}], x => x)`,
		`[].concat({length: 3, 1: 2, [Symbol.isConcatSpreadable]: true}, new Array(7e4)).toSorted()`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		res, err := Run(context.Background(), src, map[string]any{"p": []int{1}}, nil, Limits{Timeout: 50 * time.Millisecond, MaxCodeSize: 4096})
		if res == nil {
			t.Fatal("nil Result")
		}
		if errors.Is(err, ErrInternal) {
			t.Fatalf("internal error for %q: %v", src, err)
		}
	})
}
