package serve

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/litsigner/litsigner/hwwallet"
)

// The emulator's liveness check (trezorlib transport/udp.py).
var (
	udpPing = []byte("PINGPING")
	udpPong = []byte("PONGPONG")
)

// ServeUDP puts a device on pc the way trezor-firmware's emulator listens
// on UDP: every 64-byte datagram is one packet for the device, the
// device's packets go to the address that sent the last packet (they are
// dropped while nobody has written yet), and "PINGPING" is answered
// "PONGPONG" at once. Datagrams of other sizes are dropped and reported to
// logf (which may be nil).
//
// dev is the host end of the device's cable, e.g. emulator.Trezor's
// Transport(). ServeUDP only moves packets, so any framing the device
// speaks inside them (codec v1 today, THP tomorrow) is served the same way.
//
// It runs until ctx ends (then it closes pc and returns nil) or the device
// stops answering on dev (then it returns that error).
func ServeUDP(ctx context.Context, pc net.PacketConn, dev hwwallet.Transport, logf func(format string, args ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()

	var (
		mu     sync.Mutex
		peer   net.Addr // where the device's packets go
		devErr error    // why the device stopped, set before cancel
		wg     sync.WaitGroup
	)
	wg.Add(1)
	go func() { // device -> host
		defer wg.Done()
		for {
			r, err := dev.ReadReport(ctx)
			if err != nil {
				if ctx.Err() == nil {
					mu.Lock()
					devErr = err
					mu.Unlock()
					cancel()
				}
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
	stopped := func(err error) error {
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case parent.Err() != nil:
			return nil
		case devErr != nil:
			return fmt.Errorf("serve: udp: the device stopped: %w", devErr)
		default:
			return fmt.Errorf("serve: udp: %w", err)
		}
	}

	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return stopped(err)
		}
		switch {
		case bytes.Equal(buf[:n], udpPing):
			pc.WriteTo(udpPong, from)
		case n == hwwallet.ReportSize:
			mu.Lock()
			peer = from
			mu.Unlock()
			if err := dev.WriteReport(ctx, bytes.Clone(buf[:n])); err != nil {
				return stopped(err)
			}
		default:
			logf("udp: %s: dropped a datagram of %d bytes (packets are %d bytes)", from, n, hwwallet.ReportSize)
		}
	}
}
