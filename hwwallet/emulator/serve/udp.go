package serve

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
)

// The emulator's liveness check (trezorlib transport/udp.py).
var (
	udpPing = []byte("PINGPING")
	udpPong = []byte("PONGPONG")
)

// ServeUDP puts the emulated Trezor on pc the way trezor-firmware's
// emulator listens on UDP: every 64-byte datagram is one packet for the
// device, the device's packets go to the address that sent the last
// packet (others are dropped while nobody has written yet), and
// "PINGPING" is answered "PONGPONG" at once. Datagrams of other sizes are
// dropped (and reported to logf, which may be nil). It runs until ctx ends
// (then it closes pc and returns nil) or the device stops.
func ServeUDP(ctx context.Context, pc net.PacketConn, t *emulator.Trezor, logf func(format string, args ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()

	host := t.Transport()
	var (
		mu   sync.Mutex
		peer net.Addr // where the device's packets go
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() { // device -> host
		defer wg.Done()
		defer cancel() // the device stopped: stop reading too
		for {
			r, err := host.ReadReport(ctx)
			if err != nil {
				return
			}
			mu.Lock()
			to := peer
			mu.Unlock()
			if to != nil {
				pc.WriteTo(r, to) // UDP: a packet nobody receives is lost, as on the emulator
			}
		}
	}()
	defer wg.Wait()

	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if parent.Err() != nil {
				return nil
			}
			if isCut(t) {
				return fmt.Errorf("serve: udp: the emulated Trezor stopped: %w", t.Pipe().Err())
			}
			return fmt.Errorf("serve: udp: read: %w", err)
		}
		switch {
		case bytes.Equal(buf[:n], udpPing):
			pc.WriteTo(udpPong, from)
		case n == hwwallet.ReportSize:
			mu.Lock()
			peer = from
			mu.Unlock()
			if err := host.WriteReport(ctx, bytes.Clone(buf[:n])); err != nil {
				if parent.Err() != nil {
					return nil
				}
				return fmt.Errorf("serve: udp: the emulated Trezor stopped: %w", err)
			}
		default:
			logf("udp: %s: dropped a datagram of %d bytes (packets are %d bytes)", from, n, hwwallet.ReportSize)
		}
	}
}

// isCut reports whether the emulated Trezor's cable is gone.
func isCut(t *emulator.Trezor) bool { return t.Pipe().Err() != nil }
