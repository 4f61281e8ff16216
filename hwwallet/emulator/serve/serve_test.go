package serve

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
	"github.com/litsigner/litsigner/hwwallet/leaktest"
	"github.com/litsigner/litsigner/hwwallet/ledger"
	"github.com/litsigner/litsigner/hwwallet/speculos"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet/trezorudp"
)

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// tracer records the APDU exchanges of a Speculos server.
type tracer struct {
	mu   sync.Mutex
	cmds [][]byte
	nil_ chan struct{} // gets a value for every abandoned exchange
}

func newTracer() *tracer { return &tracer{nil_: make(chan struct{}, 16)} }

func (tr *tracer) trace(cmd, reply []byte) {
	tr.mu.Lock()
	tr.cmds = append(tr.cmds, append([]byte(nil), cmd...))
	tr.mu.Unlock()
	if reply == nil {
		tr.nil_ <- struct{}{}
	}
}

func (tr *tracer) commands() [][]byte {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([][]byte(nil), tr.cmds...)
}

// speculosLedger serves an emulated Ledger on a loopback port until the
// test ends.
func speculosLedger(t *testing.T, mnemonic string, b *emulator.Behaviour) (string, *tracer) {
	t.Helper()
	l, err := emulator.NewLedger(mnemonic, b)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := newTracer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeSpeculos(ctx, ln, l, tr.trace, t.Logf) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeSpeculos: %v", err)
		}
		l.Close()
	})
	return ln.Addr().String(), tr
}

// udpTrezor serves an emulated Trezor on a loopback UDP port.
func udpTrezor(t *testing.T, mnemonic string, b *emulator.Behaviour) string {
	t.Helper()
	tz, err := emulator.NewTrezor(mnemonic, b, "")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeUDP(ctx, pc, tz.Transport(), t.Logf) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeUDP: %v", err)
		}
		tz.Close()
	})
	return pc.LocalAddr().String()
}

func openLedger(t *testing.T, addr string) *ledger.Device {
	t.Helper()
	c, err := speculos.Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ledger.OpenAPDU(c, hwwallet.DeviceInfo{ID: "speculos:" + addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func openTrezor(t *testing.T, addr string) *trezor.Device {
	t.Helper()
	c, err := trezorudp.Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	d, err := trezor.OpenContext(ctxFor(t, 5*time.Second), c, hwwallet.DeviceInfo{ID: "trezor-udp:" + addr}, nil)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// signCase is one published personal-message signature.
type signCase struct {
	mnemonic, path, message, sig string // sig: r||s||v hex
}

func signCases(v vectors.Vectors) []signCase {
	var out []signCase
	for _, s := range v.LedgerPersonalSign {
		out = append(out, signCase{s.Mnemonic, s.Path, s.Message, s.R + s.S + fmt.Sprintf("%02x", s.V)})
	}
	for _, s := range v.TrezorSignMessage {
		out = append(out, signCase{s.Mnemonic, s.Path, s.Message, s.Signature})
	}
	return out
}

// TestDriversReproduceVectors runs litsigner's own drivers over the
// vendors' emulator transports: every published address and signature,
// on both devices (RFC 6979 signatures do not depend on the vendor).
func TestDriversReproduceVectors(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, mnemonic := range v.Mnemonics {
		for _, device := range []string{"speculos", "trezor-udp"} {
			t.Run(device+"/"+name, func(t *testing.T) {
				var w hwwallet.Wallet
				if device == "speculos" {
					addr, _ := speculosLedger(t, mnemonic, nil)
					w = openLedger(t, addr)
				} else {
					w = openTrezor(t, udpTrezor(t, mnemonic, nil))
				}
				ctx := ctxFor(t, 20*time.Second)
				for _, a := range v.Addresses {
					if a.Mnemonic != name {
						continue
					}
					path, _ := accounts.ParseDerivationPath(a.Path)
					got, err := w.Address(ctx, path)
					if err != nil || got != common.HexToAddress(a.Address) {
						t.Errorf("address at %s = %s, %v; want %s", a.Path, got.Hex(), err, a.Address)
					}
				}
				for _, c := range signCases(v) {
					if c.mnemonic != name {
						continue
					}
					path, _ := accounts.ParseDerivationPath(c.path)
					sig, _, err := w.SignPersonalMessage(ctx, path, []byte(c.message))
					if err != nil || hex.EncodeToString(sig) != c.sig {
						t.Errorf("sign %q = %x, %v; want %s", c.message, sig, err, c.sig)
					}
				}
			})
		}
	}
}

// TestLedgerAPDUVectors checks the APDUs our driver sends over Speculos'
// protocol against the recorded ones.
func TestLedgerAPDUVectors(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	addr, tr := speculosLedger(t, emulator.SpeculosMnemonic, nil)
	d := openLedger(t, addr)
	for _, a := range v.LedgerAPDUs {
		path, _ := accounts.ParseDerivationPath(a.Path)
		if _, _, err := d.SignPersonalMessage(ctxFor(t, 10*time.Second), path, []byte(a.Message)); err != nil {
			t.Fatal(err)
		}
		cmds := tr.commands()
		if got := hex.EncodeToString(cmds[len(cmds)-1]); got != a.APDU {
			t.Errorf("%q at %s: sent %s, want %s", a.Message, a.Path, got, a.APDU)
		}
	}
}

func TestUserRejects(t *testing.T) {
	b := emulator.NewBehaviour()
	b.SetAction(emulator.Reject)
	addr, _ := speculosLedger(t, emulator.SpeculosMnemonic, b)
	wallets := map[string]hwwallet.Wallet{
		"speculos":   openLedger(t, addr),
		"trezor-udp": openTrezor(t, udpTrezor(t, emulator.TrezorTestMnemonic, b)),
	}
	for name, w := range wallets {
		_, _, err := w.SignPersonalMessage(ctxFor(t, 10*time.Second), hwwallet.DefaultPath, []byte("no"))
		if !errors.Is(err, hwwallet.ErrUserRejected) {
			t.Errorf("%s: %v, want ErrUserRejected", name, err)
		}
	}
}

// TestHostLeavesDuringPrompt: a host that gives up on a prompt and closes
// its connection leaves no prompt behind on the device.
func TestHostLeavesDuringPrompt(t *testing.T) {
	t.Cleanup(leaktest.Check(t)) // first registered, so it runs after the servers stopped
	b := emulator.NewBehaviour()
	b.SetAction(emulator.NeverAnswer)
	addr, tr := speculosLedger(t, emulator.SpeculosMnemonic, b)
	c, err := speculos.Dial(ctxFor(t, 5*time.Second), addr)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ledger.OpenAPDU(c, hwwallet.DeviceInfo{})
	if err != nil {
		t.Fatal(err)
	}
	// The host gives up once the prompt is on screen.
	ctx, cancel := context.WithCancel(ctxFor(t, 10*time.Second))
	b.OnPrompt(func(emulator.Prompt) { cancel() })
	_, _, err = d.SignPersonalMessage(ctx, hwwallet.DefaultPath, []byte("wait"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("sign = %v, want Canceled", err)
	}
	b.OnPrompt(nil)
	d.Close()
	select {
	case <-tr.nil_:
	case <-ctxFor(t, 10*time.Second).Done():
		t.Fatal("the prompt was not abandoned after the host left")
	}
	// The device serves the next host.
	b.SetAction(emulator.Approve)
	if _, err := openLedger(t, addr).Address(ctxFor(t, 5*time.Second), hwwallet.DefaultPath); err != nil {
		t.Fatal(err)
	}
}

func TestSpeculosMalformedFrame(t *testing.T) {
	addr, _ := speculosLedger(t, emulator.SpeculosMnemonic, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte{0xff, 0xff, 0xff, 0xff})
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after a malformed frame: read %d, %v; want the server to close", n, err)
	}
}

func TestUDPPingAndStrayDatagrams(t *testing.T) {
	addr := udpTrezor(t, emulator.TrezorTestMnemonic, nil)
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("garbage of no size")) // dropped
	c.Write([]byte("PINGPING"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "PONGPONG" {
		t.Fatalf("ping answered %q, %v", buf[:n], err)
	}
	// The device still works after the stray datagram.
	if _, err := openTrezor(t, addr).Address(ctxFor(t, 5*time.Second), hwwallet.DefaultPath); err != nil {
		t.Fatal(err)
	}
}

// runCommand runs Run in the background and returns the announcement.
func runCommand(t *testing.T, args ...string) Announcement {
	t.Helper()
	a, _ := runCommandStderr(t, args...)
	return a
}

// runCommandStderr is runCommand that also returns Run's stderr.
func runCommandStderr(t *testing.T, args ...string) (Announcement, *lockedBuilder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &lockedBuilder{}
	done := make(chan error, 1)
	go func() {
		err := Run(ctx, args, Env{Stdout: pw, Stderr: stderr})
		pw.CloseWithError(fmt.Errorf("Run returned %v", err))
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no JSON line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	var a Announcement
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		t.Fatalf("JSON line %q: %v", line, err)
	}
	return a, stderr
}

type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func TestRunCommand(t *testing.T) {
	t.Cleanup(leaktest.Check(t)) // first registered, so it runs after the servers stopped
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := runCommand(t, "ledger", "--port", "0")
	if a.Device != "ledger" || a.Transport != "speculos-apdu" || !strings.HasPrefix(a.Address, "127.0.0.1:") {
		t.Fatalf("announcement %+v", a)
	}
	if got, err := openLedger(t, a.Address).Address(ctxFor(t, 5*time.Second), hwwallet.DefaultPath); err != nil || got.Hex() != v.Addresses[0].Address {
		t.Errorf("ledger address %s, %v", got.Hex(), err)
	}
	a = runCommand(t, "trezor", "--port", "0", "--reject")
	if a.Device != "trezor" || a.Transport != "udp" || !strings.HasPrefix(a.Address, "127.0.0.1:") {
		t.Fatalf("announcement %+v", a)
	}
	tz := openTrezor(t, a.Address)
	// The trezor default seed is the "all all ... all" of the Trezor vectors.
	if got, err := tz.Address(ctxFor(t, 5*time.Second), hwwallet.DefaultPath); err != nil || got.Hex() != v.Addresses[2].Address {
		t.Errorf("trezor address %s, %v", got.Hex(), err)
	}
	if _, _, err := tz.SignPersonalMessage(ctxFor(t, 5*time.Second), hwwallet.DefaultPath, []byte("x")); !errors.Is(err, hwwallet.ErrUserRejected) {
		t.Errorf("--reject: %v", err)
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"nano"},
		{"ledger", "--host", "0.0.0.0"},
		{"trezor", "--host", "192.0.2.1", "--port", "0"},
		{"ledger", "--port", "70000"},
		{"ledger", "--mnemonic", "too few words"},
		{"trezor", "--delay", "-1s"},
		{"trezor", "--model", "Nano"},
		{"ledger", "--model", "safe7"},
		{"ledger", "--model", "T"},
		{"ledger", "extra"},
		{"ledger", "--bogus"},
	} {
		err := Run(context.Background(), args, Env{Stdout: io.Discard, Stderr: io.Discard})
		if !errors.Is(err, ErrUsage) {
			t.Errorf("Run(%q) = %v, want ErrUsage", args, err)
		}
	}
	// 'emulator -h' lists the flags after its "flags:" line.
	var help strings.Builder
	if err := Run(context.Background(), []string{"--help"}, Env{Stdout: &help}); !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "flags:\n  -allow-remote") {
		t.Errorf("--help: %v\n%s", err, help.String())
	}
}

// TestUDPDeviceStops: when the device behind the UDP port stops (here:
// the emulated Trezor is closed), ServeUDP returns why.
func TestUDPDeviceStops(t *testing.T) {
	tz, err := emulator.NewTrezor(emulator.TrezorTestMnemonic, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ServeUDP(context.Background(), pc, tz.Transport(), t.Logf) }()
	tz.Close()
	select {
	case err := <-done:
		if !errors.Is(err, hwwallet.ErrDisconnected) {
			t.Fatalf("ServeUDP = %v, want the device's disconnection", err)
		}
	case <-ctxFor(t, 10*time.Second).Done():
		t.Fatal("ServeUDP kept running after the device stopped")
	}
}
