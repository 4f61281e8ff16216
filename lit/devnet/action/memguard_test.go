package action

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dop251/goja"
)

// TestBufferGuardPaths checks that every way to a buffer constructor is
// guarded, not only the global names.
func TestBufferGuardPaths(t *testing.T) {
	tests := []struct{ name, src string }{
		{"global", `new Uint8Array(2 ** 40)`},
		{"dynamic global name", `new globalThis["Float" + "64Array"](2 ** 40)`},
		{"instance constructor", `new (new Uint8Array(1).constructor)(2 ** 40)`},
		{"API result constructor", `new (LitActions.uint8arrayFromString("a").constructor)(2 ** 40)`},
		{"buffer constructor", `new (new Uint8Array(1).buffer.constructor)(2 ** 40)`},
		{"prototype constructor", `new (Object.getPrototypeOf(new Int32Array(1)).constructor)({length: 2 ** 40})`},
		{"Reflect.construct", `Reflect.construct(Uint16Array, [2 ** 40])`},
		{"from", `Uint8Array.from({length: 2 ** 40})`},
		{"from on an instance's constructor", `new BigInt64Array(1).constructor.from({length: 2 ** 40})`},
		{"API conversion", `LitActions.uint8arrayToString({length: 2 ** 40})`},
		{"API conversion, global replaced", `globalThis.Uint8Array = function () {}; LitActions.uint8arrayToString({length: 2 ** 40})`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.src, nil, nil, Limits{MaxMemory: 64 << 20, Timeout: time.Minute})
			if !errors.Is(err, ErrMemoryLimit) {
				t.Fatalf("err = %v, want a MemoryLimitError", err)
			}
		})
	}
}

// TestBufferGuardTransparent checks that the guarded constructors behave as
// the originals.
func TestBufferGuardTransparent(t *testing.T) {
	src := `class U extends Uint8Array {}
const u = new U([1, 2, 3]);
const checks = [
	new Uint8Array(1).constructor === Uint8Array,
	new ArrayBuffer(1).constructor === ArrayBuffer,
	u.constructor === U,
	u.slice(1) instanceof U,
	u.map(x => x * 2)[2] === 6,
	new Uint8Array([1, 2, 3]).subarray(1).length === 2,
	new Float32Array(new ArrayBuffer(8)).length === 2,
	new ArrayBuffer(4).slice(2).byteLength === 2,
	Uint8Array[Symbol.species] === Uint8Array,
	u instanceof Uint8Array && !([] instanceof Uint8Array),
	LitActions.uint8arrayFromString("a") instanceof Uint8Array,
	Uint8Array.BYTES_PER_ELEMENT === 1 && Float64Array.BYTES_PER_ELEMENT === 8,
	Uint8Array.name === "Uint8Array",
];
LitActions.setResponse({response: checks.join()});`
	res, err := Run(context.Background(), src, nil, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "true,true,true,true,true,true,true,true,true,true,true,true,true"; res.Response != want {
		t.Errorf("got  %s\nwant %s", res.Response, want)
	}
}

// TestBufferConstructorSizes checks the guard's element sizes against goja's.
func TestBufferConstructorSizes(t *testing.T) {
	vm := goja.New()
	for _, bc := range bufferConstructors {
		c, ok := vm.Get(bc.name).(*goja.Object)
		if !ok {
			continue
		}
		want := 1.0
		if bpe := c.Get("BYTES_PER_ELEMENT"); bpe != nil {
			want = bpe.ToFloat()
		}
		if bc.size != want {
			t.Errorf("%s: size %v, goja's BYTES_PER_ELEMENT %v", bc.name, bc.size, want)
		}
	}
}
