package trezorudp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
)

// peer is a raw UDP socket on loopback playing the emulator's side with
// the datagrams a test scripts: answer(request) returns the datagrams to
// send back (nil: stay silent).
func peer(t *testing.T, answer func(req []byte) [][]byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			for _, d := range answer(bytes.Clone(buf[:n])) {
				pc.WriteTo(d, from)
			}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	return pc.LocalAddr().String()
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// pinging answers PINGPING and passes everything else to f.
func pinging(f func(req []byte) [][]byte) func([]byte) [][]byte {
	return func(req []byte) [][]byte {
		if string(req) == "PINGPING" {
			return [][]byte{[]byte("PONGPONG")}
		}
		return f(req)
	}
}

func packet(b byte) []byte { return bytes.Repeat([]byte{b}, hwwallet.ReportSize) }

func TestPacketsAndPing(t *testing.T) {
	addr := peer(t, pinging(func(req []byte) [][]byte {
		// A late PONGPONG before the answer is skipped by ReadReport.
		return [][]byte{[]byte("PONGPONG"), append([]byte{'!'}, req[1:]...)}
	}))
	c, err := Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteReport(ctxFor(t, 5*time.Second), packet('?')); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadReport(ctxFor(t, 5*time.Second))
	if err != nil || !bytes.Equal(got, append([]byte{'!'}, packet('?')[1:]...)) {
		t.Fatalf("ReadReport = %q, %v", got, err)
	}
	if err := c.Ping(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := c.WriteReport(ctxFor(t, 5*time.Second), []byte("short")); !errors.Is(err, hwwallet.ErrBadRequest) {
		t.Fatalf("WriteReport(short) = %v, want ErrBadRequest", err)
	}
}

func TestDialNothingListens(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	_, err = Dial(ctxFor(t, 5*time.Second), addr)
	if !errors.Is(err, hwwallet.ErrNoDevice) || !strings.Contains(err.Error(), "nothing listens on udp "+addr) {
		t.Fatalf("Dial = %v, want ErrNoDevice naming %s", err, addr)
	}
}

func TestDialSilentPeer(t *testing.T) {
	addr := peer(t, func([]byte) [][]byte { return nil })
	_, err := Dial(ctxFor(t, 100*time.Millisecond), addr)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial = %v, want the context's deadline", err)
	}
}

func TestMalformedDatagram(t *testing.T) {
	addr := peer(t, pinging(func([]byte) [][]byte { return [][]byte{[]byte("not a packet")} }))
	c, err := Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteReport(ctxFor(t, 5*time.Second), packet('?')); err != nil {
		t.Fatal(err)
	}
	_, err = c.ReadReport(ctxFor(t, 5*time.Second))
	if !errors.Is(err, hwwallet.ErrBadReply) || !strings.Contains(err.Error(), "datagram of 12 bytes") {
		t.Fatalf("ReadReport = %v, want ErrBadReply", err)
	}
}

func TestReadHonoursContextAndClose(t *testing.T) {
	addr := peer(t, pinging(func([]byte) [][]byte { return nil }))
	c, err := Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadReport(ctxFor(t, 50*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadReport = %v, want DeadlineExceeded", err)
	}
	// The deadline is undone: the connection still works.
	if err := c.Ping(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatalf("Ping after a timed-out read: %v", err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.ReadReport(context.Background())
		errc <- err
	}()
	c.Close()
	if err := <-errc; !errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("ReadReport after Close = %v, want ErrDisconnected", err)
	}
}

func TestPeerGoesAway(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		buf := make([]byte, 64)
		n, from, err := pc.ReadFrom(buf)
		if err == nil && string(buf[:n]) == "PINGPING" {
			pc.WriteTo([]byte("PONGPONG"), from)
		}
		pc.Close()
	}()
	c, err := Dial(ctxFor(t, 5*time.Second), pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-gone
	// The emulator is gone: the kernel answers with ICMP port unreachable,
	// which the next read (or write) reports.
	var werr, rerr error
	werr = c.WriteReport(ctxFor(t, 5*time.Second), packet('?'))
	if werr == nil {
		_, rerr = c.ReadReport(ctxFor(t, 5*time.Second))
	}
	if !errors.Is(werr, hwwallet.ErrDisconnected) && !errors.Is(rerr, hwwallet.ErrDisconnected) {
		t.Fatalf("after the emulator left: write %v, read %v; want ErrDisconnected", werr, rerr)
	}
}

// TestTimedOutReadLosesNothing: a packet that arrives after a read gave up
// on its context is there for the next read.
func TestTimedOutReadLosesNothing(t *testing.T) {
	send := make(chan struct{})
	addr := peer(t, pinging(func(req []byte) [][]byte {
		<-send
		return [][]byte{req}
	}))
	c, err := Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteReport(ctxFor(t, 5*time.Second), packet('?')); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.ReadReport(ctxFor(t, 10*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadReport = %v, want DeadlineExceeded", err)
		}
	}
	close(send)
	got, err := c.ReadReport(ctxFor(t, 5*time.Second))
	if err != nil || !bytes.Equal(got, packet('?')) {
		t.Fatalf("ReadReport = %q, %v", got, err)
	}
}
