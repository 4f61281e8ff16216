package devnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit"
)

func handshake(ctx context.Context, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/web/handshake", strings.NewReader(`{"clientPublicKey":"test"}`))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes(), err
}

func TestFaultDownAndBack(t *testing.T) {
	n := startNet(t, Config{Nodes: 2, Threshold: 1, Faults: map[int]Fault{1: {Down: true}}})
	ctx := context.Background()
	if _, _, err := handshake(ctx, n.NodeURLs()[1]); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("node down at start: %v", err)
	}
	if err := n.SetFault(1, Fault{}); err != nil {
		t.Fatal(err)
	}
	if status, body, err := handshake(ctx, n.NodeURLs()[1]); err != nil || status != 200 {
		t.Fatalf("node back up: %d %s %v", status, body, err)
	}
	if err := n.SetFault(0, Fault{Down: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := handshake(ctx, n.NodeURLs()[0]); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("node set down: %v", err)
	}
	if err := n.ClearFaults(); err != nil {
		t.Fatal(err)
	}
	if status, _, err := handshake(ctx, n.NodeURLs()[0]); err != nil || status != 200 {
		t.Fatalf("after ClearFaults: %d %v", status, err)
	}
	if err := n.SetFault(2, Fault{}); err == nil {
		t.Fatal("SetFault accepted node 2 of 2")
	}
}

func TestFaultReplies(t *testing.T) {
	n := startNet(t, Config{Nodes: 3, Threshold: 1})
	if err := n.SetFault(0, Fault{HTTP500: true}); err != nil {
		t.Fatal(err)
	}
	if err := n.SetFault(1, Fault{Malformed: true}); err != nil {
		t.Fatal(err)
	}
	if err := n.SetFault(2, Fault{Latency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	status, body, err := handshake(ctx, n.NodeURLs()[0])
	if err != nil || status != 500 {
		t.Fatalf("http500: %d %v", status, err)
	}
	if e := decodeError(t, body); e.ErrorCode != CodeSimulatedHTTP500 || e.ErrorKind != KindUnexpected {
		t.Fatalf("http500 body %s", body)
	}
	status, body, err = handshake(ctx, n.NodeURLs()[1])
	if err != nil || status != 200 || json.Valid(body) {
		t.Fatalf("malformed: %d %q %v", status, body, err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, _, err := handshake(short, n.NodeURLs()[2]); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow node answered: %v", err)
	}
	if err := n.SetFault(2, Fault{Latency: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if status, _, err := handshake(ctx, n.NodeURLs()[2]); err != nil || status != 200 {
		t.Fatalf("slightly slow node: %d %v", status, err)
	}
}

func TestFaultWrongShare(t *testing.T) {
	n := startNet(t, Config{Nodes: 3, Threshold: 3, Faults: map[int]Fault{2: {WrongShare: true}}})
	s := newSession(t, lit.Capability{})
	shares := toShares(executeAll(t, n, s, signHello, helloParams(n), "lit_wrong"), "sig1")
	if len(nonEmpty(shares)) != 3 {
		t.Fatalf("shares %+v", shares)
	}
	if _, err := lit.CombineECDSAShares(shares); !errors.Is(err, lit.ErrBadShares) {
		t.Fatalf("a wrong share combined: %v", err)
	}
	if err := n.ClearFaults(); err != nil {
		t.Fatal(err)
	}
	shares = toShares(executeAll(t, n, s, signHello, helloParams(n), "lit_right"), "sig1")
	if _, err := lit.CombineECDSAShares(shares); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
}
