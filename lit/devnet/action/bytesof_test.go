package action

import (
	"context"
	"testing"

	"github.com/dop251/goja"
)

// newTestRun is a run with a fresh VM and the memory guards installed, as
// execSafely prepares it, for calling the run's Go side directly.
func newTestRun(tb testing.TB) *run {
	tb.Helper()
	r := &run{ctx: context.Background(), limits: Limits{}.withDefaults(), res: &Result{}, goErrs: map[*goja.Object]error{}}
	r.meter = watchdog.register(r.limits.MaxMemory, func(*MemoryLimitError) {})
	tb.Cleanup(func() { watchdog.unregister(r.meter) })
	r.vm = goja.New()
	if err := r.installMemoryGuards(); err != nil {
		tb.Fatal(err)
	}
	return r
}

// BenchmarkBytesOf converts a plain array of 32 numbers, as the seed
// action's signEcdsa({toSign}) does.
func BenchmarkBytesOf(b *testing.B) {
	r := newTestRun(b)
	v, err := r.vm.RunString(`Array.from({length: 32}, (_, i) => (i * 37) & 255)`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(r.bytesOf(v)) != 32 {
			b.Fatal("wrong length")
		}
	}
}
