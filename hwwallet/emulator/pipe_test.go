package emulator

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/leaktest"
)

func report(b byte) []byte {
	r := make([]byte, hwwallet.ReportSize)
	r[0] = b
	return r
}

func TestPipeCarriesReportsBothWays(t *testing.T) {
	p := NewPipe(nil)
	ctx := context.Background()
	if err := p.Host().WriteReport(ctx, report(1)); err != nil {
		t.Fatal(err)
	}
	if r, err := p.Device().ReadReport(ctx); err != nil || r[0] != 1 {
		t.Fatalf("device read %v %v", r, err)
	}
	if err := p.Device().WriteReport(ctx, report(2)); err != nil {
		t.Fatal(err)
	}
	if r, err := p.Host().ReadReport(ctx); err != nil || r[0] != 2 {
		t.Fatalf("host read %v %v", r, err)
	}
	if err := p.Host().WriteReport(ctx, make([]byte, 10)); !errors.Is(err, hwwallet.ErrBadRequest) {
		t.Fatalf("short report: %v", err)
	}
	if p.Reports() != 2 {
		t.Fatalf("Reports() = %d", p.Reports())
	}
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if _, err := p.Host().ReadReport(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("empty read: %v", err)
	}
}

func TestPipeUnplugFailsPendingAndFutureCalls(t *testing.T) {
	defer leaktest.Check(t)()
	p := NewPipe(nil)
	done := make(chan error)
	go func() { _, err := p.Host().ReadReport(context.Background()); done <- err }()
	time.Sleep(5 * time.Millisecond)
	p.Unplug()
	p.Unplug()
	if err := <-done; !errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("pending read: %v", err)
	}
	for _, end := range []hwwallet.Transport{p.Host(), p.Device()} {
		if err := end.WriteReport(context.Background(), report(0)); !errors.Is(err, hwwallet.ErrDisconnected) {
			t.Errorf("write after unplug: %v", err)
		}
		if _, err := end.ReadReport(context.Background()); !errors.Is(err, hwwallet.ErrDisconnected) {
			t.Errorf("read after unplug: %v", err)
		}
	}
}

func TestPipeHostCloseIsDisconnectForDevice(t *testing.T) {
	p := NewPipe(nil)
	p.Host().Close()
	if _, err := p.Device().ReadReport(context.Background()); !errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("device read after host close: %v", err)
	}
	if _, err := p.Host().ReadReport(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("host read after close: %v", err)
	}
}

func TestPipeUnplugAfterReports(t *testing.T) {
	b := NewBehaviour()
	b.UnplugAfterReports(2)
	p := NewPipe(b)
	ctx := context.Background()
	for i := range 2 {
		if err := p.Host().WriteReport(ctx, report(byte(i))); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	if err := p.Host().WriteReport(ctx, report(3)); !errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("third report: %v", err)
	}
	// The trigger fires once: a new cable works.
	p2 := NewPipe(b)
	for i := range 5 {
		if err := p2.Host().WriteReport(ctx, report(byte(i))); err != nil {
			t.Fatalf("new cable, report %d: %v", i, err)
		}
	}
}

func TestBehaviourConfirm(t *testing.T) {
	defer leaktest.Check(t)()
	b := NewBehaviour()
	var seen []Prompt
	b.OnPrompt(func(p Prompt) { seen = append(seen, p) })
	never := make(chan struct{})
	if d := b.Confirm(never, Prompt{Kind: PromptSignMessage, Text: "a"}); d != Approved {
		t.Fatalf("default: %v", d)
	}
	b.SetAction(Reject)
	if d := b.Confirm(never, Prompt{Kind: PromptAddress}); d != Rejected {
		t.Fatalf("reject: %v", d)
	}
	// NeverAnswer waits until the script changes...
	b.SetAction(NeverAnswer)
	res := make(chan Decision)
	go func() { res <- b.Confirm(never, Prompt{Kind: PromptSignMessage}) }()
	select {
	case d := <-res:
		t.Fatalf("NeverAnswer answered %v", d)
	case <-time.After(20 * time.Millisecond):
	}
	b.SetAction(Approve)
	if d := <-res; d != Approved {
		t.Fatalf("after change: %v", d)
	}
	// ...or the cable goes away.
	b.SetAction(NeverAnswer)
	gone := make(chan struct{})
	go func() { res <- b.Confirm(gone, Prompt{Kind: PromptSignMessage}) }()
	close(gone)
	if d := <-res; d != Abandoned {
		t.Fatalf("unplugged: %v", d)
	}
	// A delay is abandoned too when the cable goes.
	b.SetAction(Approve)
	b.SetDelay(time.Hour)
	if d := b.Confirm(gone, Prompt{}); d != Abandoned {
		t.Fatalf("delay then unplug: %v", d)
	}
	if b.Prompts() != 5 || b.PromptsOf(PromptSignMessage) != 3 || b.PromptsOf(PromptAddress) != 1 || len(seen) != 5 || seen[0].Text != "a" {
		t.Fatalf("counters %d %d %d, seen %d", b.Prompts(), b.PromptsOf(PromptSignMessage), b.PromptsOf(PromptAddress), len(seen))
	}
	b.SetLocked(true)
	b.SetAppClosed(true)
	b.SetPIN("1234")
	b.SetPassphraseProtection(true)
	b.SetTHP(true)
	if !b.Locked() || !b.AppClosed() || b.PIN() != "1234" || !b.PassphraseProtection() || !b.THP() || b.Delay() != time.Hour || b.Action() != Approve {
		t.Fatal("setters and getters disagree")
	}
}

// TestSeedBIP39Vector is the first "TREZOR" vector of the BIP-39 spec.
func TestSeedBIP39Vector(t *testing.T) {
	seed, err := Seed("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "TREZOR")
	if err != nil {
		t.Fatal(err)
	}
	want := "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
	if got := hex.EncodeToString(seed); got != want {
		t.Fatalf("seed %s", got)
	}
}
