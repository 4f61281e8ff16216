package attest

import (
	"fmt"
	"sync"
	"testing"
)

// TestAuthorityConcurrent: a devnet's nodes attest at once, clients verify
// at once (run with -race).
func TestAuthorityConcurrent(t *testing.T) {
	a, _ := authorities(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		ch := newChallenge(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := fmt.Sprintf("127.0.0.1:%d", 7470+i)
			att, err := a.AttestSpoiled(Spoils[i%len(Spoils)], ch, addr, nil)
			if err != nil {
				errs <- err
				return
			}
			_, err = Verify(ctx, att, ch, "http://"+addr, &Options{Roots: a.Roots()})
			if err == nil {
				errs <- fmt.Errorf("spoiled (%v) attestation accepted", Spoils[i%len(Spoils)])
			}
			good, err := a.Attest(ch, addr, nil)
			if err == nil {
				_, err = Verify(ctx, good, ch, "http://"+addr, &Options{Roots: a.Roots()})
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
