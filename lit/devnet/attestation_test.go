package devnet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit/attest"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// attestationOf handshakes node i with challenge and returns the reply's
// attestation.
func attestationOf(t *testing.T, n *Network, i int, challenge string) (int, json.RawMessage) {
	t.Helper()
	status, raw := post(t, n.NodeURLs()[i]+nagawire.HandshakePath,
		nagawire.HandshakeRequest{ClientPublicKey: "test", Challenge: challenge, Epoch: 1}, "")
	var res nagawire.Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("handshake reply %q: %v", raw, err)
	}
	if !res.OK {
		return status, nil
	}
	var d nagawire.HandshakeData
	if err := json.Unmarshal(res.Data, &d); err != nil {
		t.Fatal(err)
	}
	return status, d.Attestation
}

func TestNagaAttestation(t *testing.T) {
	n := startNaga(t, Config{Nodes: 5, Attestation: true, AttestationBad: []int{1, 3, 4}})
	roots, err := attest.LoadRoots(n.AttestationRoots())
	if err != nil {
		t.Fatal(err)
	}
	challenge := strings.Repeat("5a", 32)
	ch, _ := attest.ParseChallenge(challenge)
	opts := &attest.Options{Roots: roots}
	// Node 1, 3 and 4 spoil their reports, one kind each in turn.
	want := map[int]error{1: attest.ErrAttestationChallenge, 3: attest.ErrAttestationAddress, 4: attest.ErrAttestationSignature}
	for i, u := range n.NodeURLs() {
		status, raw := attestationOf(t, n, i, challenge)
		if status != 200 {
			t.Fatalf("node %d: HTTP %d", i, status)
		}
		_, err := attest.VerifyJSON(context.Background(), raw, ch, u, opts)
		if !errors.Is(err, want[i]) || (want[i] == nil) != (err == nil) {
			t.Errorf("node %d: %v, want %v", i, err, want[i])
		}
		if s, bad := n.AttestationSpoil(i); bad != (want[i] != nil) || (bad && s != attest.Spoils[map[int]int{1: 0, 3: 1, 4: 2}[i]]) {
			t.Errorf("node %d: spoil %v %v", i, s, bad)
		}
	}
	// A good node's report is bound to its own address: asking about another
	// node's URL fails.
	_, raw := attestationOf(t, n, 0, challenge)
	if _, err := attest.VerifyJSON(context.Background(), raw, ch, n.NodeURLs()[2], opts); !errors.Is(err, attest.ErrAttestationAddress) {
		t.Errorf("node 0 as node 2: %v", err)
	}
	// The challenge must be the 32 bytes a report binds.
	if status, _ := attestationOf(t, n, 0, "abcd"); status != 400 {
		t.Errorf("short challenge: HTTP %d", status)
	}
	file := n.AttestationRoots()
	_ = n.Close()
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("roots file after Close: %v", err)
	}
}

func TestNagaAttestationConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Protocol: ProtocolV2, Attestation: true},
		{Protocol: ProtocolNaga, AttestationBad: []int{1}},
		{Protocol: ProtocolNaga, Nodes: 4, Attestation: true, AttestationBad: []int{4}},
		{Protocol: ProtocolNaga, Nodes: 4, Attestation: true, AttestationBad: []int{1, 1}},
	} {
		if _, err := cfg.withDefaults(); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	n := startNaga(t, Config{Nodes: 3})
	if n.AttestationRoots() != "" {
		t.Fatal("roots without attestation")
	}
	if _, raw := attestationOf(t, n, 0, "abcd"); string(raw) != "null" {
		t.Fatalf("attestation %s", raw)
	}
}

func TestRunCommandNagaAttestation(t *testing.T) {
	cfg, err := ParseFlags([]string{"--protocol", "naga", "--attestation-bad", "2,3"}, io.Discard)
	if err != nil || !cfg.Attestation || len(cfg.AttestationBad) != 2 || cfg.AttestationBad[1] != 3 {
		t.Fatalf("flags: %+v %v", cfg, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- RunCommand(ctx, []string{"--protocol", "naga", "--port", "0", "--chain-port", "0", "--nodes", "3", "--attestation"}, outW, io.Discard)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		t.Fatalf("no announcement: %v", <-done)
	}
	var a Announcement
	if err := json.Unmarshal(lines.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lines.Text(), `"attestationRoots":"`) {
		t.Fatalf("announcement %s", lines.Text())
	}
	if _, err := attest.LoadRoots(a.AttestationRoots); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunCommand: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RunCommand did not return after cancel")
	}
	if _, err := os.Stat(a.AttestationRoots); !os.IsNotExist(err) {
		t.Errorf("roots file after shutdown: %v", err)
	}
}

// A devnet process's roots file is the parent's: the same path across a
// restart (rewritten with the new child's chain), removed at Close.
func TestProcessAttestationRoots(t *testing.T) {
	p := startProcess(t, Config{Protocol: ProtocolNaga, Nodes: 3, Attestation: true, Seed: "attest-process"}, 0)
	file := p.Announcement().AttestationRoots
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("roots file %q: %v", file, err)
	}
	if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		after, _ := os.ReadFile(file)
		if p.Restarts() == 1 && p.PID() != 0 && len(after) > 0 && !bytes.Equal(after, before) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no restart with new roots: restarts %d", p.Restarts())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := p.Announcement().AttestationRoots; got != file {
		t.Fatalf("roots file %q after the restart, was %q", got, file)
	}
	if _, err := attest.LoadRoots(file); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(file)); !os.IsNotExist(err) {
		t.Fatalf("roots directory after Close: %v", err)
	}
}
