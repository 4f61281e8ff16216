package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
	"github.com/litsigner/litsigner/hwwallet/leaktest"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet/trezor/thpstore"
	"github.com/litsigner/litsigner/hwwallet/trezorudp"
)

// safe7Command runs 'emulator trezor --model safe7 ARGS' and returns its
// address and the pairing codes it prints, one JSON line each.
func safe7Command(t *testing.T, args ...string) (string, <-chan string, *lockedBuilder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &lockedBuilder{}
	done := make(chan error, 1)
	go func() {
		err := Run(ctx, append([]string{"trezor", "--model", "safe7", "--port", "0"}, args...), Env{Stdout: pw, Stderr: stderr})
		pw.CloseWithError(fmt.Errorf("Run returned %v", err))
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	rd := bufio.NewReader(pr)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("no JSON line: %v", err)
	}
	var a Announcement
	if err := json.Unmarshal([]byte(line), &a); err != nil || a.Transport != "udp" {
		t.Fatalf("announcement %q: %v", line, err)
	}
	codes := make(chan string, 4)
	go func() {
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			var pc PairingCode
			if json.Unmarshal([]byte(line), &pc) == nil && pc.Code != "" {
				codes <- pc.Code
			}
		}
	}()
	return a.Address, codes, stderr
}

// stdoutCodes types the codes the emulator prints.
type stdoutCodes struct{ codes <-chan string }

func (s stdoutCodes) PairingCode(ctx context.Context, _ hwwallet.DeviceInfo) (string, error) {
	select {
	case c := <-s.codes:
		return c, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (stdoutCodes) PIN(context.Context, hwwallet.DeviceInfo) (string, error) {
	return "", hwwallet.ErrPINNeeded
}

func (stdoutCodes) Passphrase(context.Context, hwwallet.DeviceInfo, bool) (string, bool, error) {
	return "", false, nil
}

func openSafe7(t *testing.T, addr string, store trezor.PairingStore, p hwwallet.Prompter) (*trezor.Device, error) {
	t.Helper()
	c, err := trezorudp.Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	d, err := trezor.OpenWith(ctxFor(t, 10*time.Second), c, hwwallet.DeviceInfo{ID: "trezor-udp:" + addr}, trezor.Options{Prompter: p, Pairing: store, HostName: "test"})
	if err != nil {
		c.Close()
		return nil, err
	}
	t.Cleanup(func() { d.Close() })
	return d, nil
}

func TestRunSafe7(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	addr, codes, stderr := safe7Command(t)
	store := thpstore.New(t.TempDir())
	d, err := openSafe7(t, addr, store, stdoutCodes{codes})
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	for _, s := range v.TrezorSignMessage {
		path, err := accounts.ParseDerivationPath(s.Path)
		if err != nil {
			t.Fatal(err)
		}
		sig, _, err := d.SignPersonalMessage(ctxFor(t, 5*time.Second), path, []byte(s.Message))
		if err != nil || fmt.Sprintf("%x", sig) != s.Signature {
			t.Fatalf("sign %q: %x, %v", s.Message, sig, err)
		}
	}
	// A second host connection uses the credential: no code is printed.
	d2, err := openSafe7(t, addr, store, nil)
	if err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	if _, err := d2.Address(ctxFor(t, 5*time.Second), hwwallet.DefaultPath); err != nil {
		t.Fatal(err)
	}
	screen := stderr.String()
	for _, want := range []string{"Pairing code", "Pair with this host?", "Connect to this host?", "Sign message"} {
		if !strings.Contains(screen, want) {
			t.Errorf("stderr lacks %q:\n%s", want, screen)
		}
	}
}

func TestRunSafe7Behaviours(t *testing.T) {
	t.Cleanup(leaktest.Check(t))
	addr, codes, _ := safe7Command(t, "--locked", "--delay", "10ms")
	d, err := openSafe7(t, addr, thpstore.New(t.TempDir()), stdoutCodes{codes})
	if err != nil {
		t.Fatalf("pair with a locked device: %v", err)
	}
	if _, _, err := d.SignPersonalMessage(ctxFor(t, 5*time.Second), hwwallet.DefaultPath, []byte("x")); err != nil {
		t.Fatal(err)
	}
	addr, codes, _ = safe7Command(t, "--reject")
	if _, err := openSafe7(t, addr, thpstore.New(t.TempDir()), stdoutCodes{codes}); !errors.Is(err, hwwallet.ErrUserRejected) {
		t.Fatalf("--reject refuses the pairing: %v", err)
	}
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
