package daemon

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

// BenchmarkExecuteJs measures lit_executeJs of the seed action through the
// socket against the in-process 10-node devnet, with 1, 8 and 64 concurrent
// clients (one connection each): calls/s and p50/p99 latency. The session is
// approved before the timer starts.
func BenchmarkExecuteJs(b *testing.B) {
	for _, clients := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			td := startDaemon(b, devConfig(b), Options{})
			pkp := networkPKP(b, td)
			params := rpcapi.ExecuteJsParams{Code: readSeed(b), JSParams: helloParams(pkp.PublicKey)}
			conns := make([]*ipc.Client, clients)
			for i := range conns {
				conns[i] = dial(b, td.sock)
			}
			var res lit.ExecuteJSResult
			if err := call(b, conns[0], &res, "lit_executeJs", params); err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			lat := make([][]time.Duration, clients)
			var wg sync.WaitGroup
			errs := make(chan error, clients)
			b.ResetTimer()
			start := time.Now()
			for i, c := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						t0 := time.Now()
						var r lit.ExecuteJSResult
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						err := c.Call(ctx, &r, "lit_executeJs", params)
						cancel()
						if err != nil {
							errs <- err
							return
						}
						lat[i] = append(lat[i], time.Since(t0))
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			all := slices.Concat(lat...)
			slices.Sort(all)
			if len(all) == 0 {
				return
			}
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "calls/s")
			b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(all[(len(all)*99)/100].Microseconds())/1000, "p99-ms")
		})
	}
}
