package speculos

import (
	"context"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
)

// rawDevice accepts one connection on loopback, reads one command and
// answers with the raw bytes reply (nil: never answer, until the test
// ends), then closes when close is set.
func rawDevice(t *testing.T, reply []byte, closeAfter bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := ReadCommand(c); err != nil {
			return
		}
		if reply != nil {
			c.Write(reply)
		}
		if !closeAfter {
			<-stop
		}
	}()
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var getConfig, _ = hex.DecodeString("e006000000")

func TestExchange(t *testing.T) {
	addr := rawDevice(t, []byte{0, 0, 0, 4, 0, 1, 19, 1, 0x90, 0x00}, false)
	c, err := Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reply, err := c.Exchange(ctxFor(t, 5*time.Second), getConfig)
	if err != nil || hex.EncodeToString(reply) != "000113019000" {
		t.Fatalf("Exchange = %x, %v", reply, err)
	}
}

func TestDialNothingListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(ctxFor(t, 5*time.Second), addr)
	if !errors.Is(err, hwwallet.ErrNoDevice) || !strings.Contains(err.Error(), "nothing listens on "+addr) {
		t.Fatalf("Dial = %v, want ErrNoDevice naming %s", err, addr)
	}
}

func TestExchangeFailures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		reply      []byte
		closeAfter bool
		timeout    time.Duration
		want       error
	}{
		{"length beyond MaxAPDU", []byte{0x01, 0, 0, 0, 0x90, 0}, false, 5 * time.Second, hwwallet.ErrBadReply},
		{"closed mid-reply", []byte{0, 0, 0, 4, 0, 1}, true, 5 * time.Second, hwwallet.ErrDisconnected},
		{"closed before replying", []byte{}, true, 5 * time.Second, hwwallet.ErrDisconnected},
		{"never answers", nil, false, 50 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := rawDevice(t, tc.reply, tc.closeAfter)
			c, err := Dial(ctxFor(t, 5*time.Second), addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.Exchange(ctxFor(t, tc.timeout), getConfig)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Exchange = %v, want %v", err, tc.want)
			}
			// The stream is out of step now: later exchanges refuse.
			if _, err := c.Exchange(ctxFor(t, 5*time.Second), getConfig); !errors.Is(err, hwwallet.ErrDisconnected) {
				t.Fatalf("Exchange after a failure = %v, want ErrDisconnected", err)
			}
		})
	}
}

func TestCloseDuringExchange(t *testing.T) {
	addr := rawDevice(t, nil, false)
	c, err := Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Exchange(context.Background(), getConfig)
		errc <- err
	}()
	// Close races with the write: either way the exchange ends.
	c.Close()
	if err := <-errc; !errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("Exchange after Close = %v, want ErrDisconnected", err)
	}
}
