package devnet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit"
)

// TestThroughClient drives the devnet with the project's own Lit client.
func TestThroughClient(t *testing.T) {
	n := startNet(t, Config{Seed: "client"})
	c, err := lit.NewClient(lit.Network{Name: "devnet", NodeURLs: n.NodeURLs(), Threshold: n.Threshold(),
		NodeTimeout: 20 * time.Second, CallTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	info, err := c.Connect(ctx)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if len(info.ConnectedNodes) < n.Threshold() || info.NetworkPublicKeySet == "" {
		t.Fatalf("info %+v", info)
	}
	s := newSession(t, lit.Capability{})
	req := lit.ExecuteJSRequest{Code: signHello, JSParams: helloParams(n)}

	tests := []struct {
		name   string
		faults map[int]Fault
	}{
		{"healthy", nil},
		{"one of each fault", map[int]Fault{0: {Down: true}, 3: {HTTP500: true}, 5: {Malformed: true}, 7: {Latency: 300 * time.Millisecond}}},
		{"four nodes dead", map[int]Fault{1: {Down: true}, 2: {HTTP500: true}, 4: {Malformed: true}, 9: {Down: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i, f := range tc.faults {
				if err := n.SetFault(i, f); err != nil {
					t.Fatal(err)
				}
			}
			defer func() {
				if err := n.ClearFaults(); err != nil {
					t.Fatal(err)
				}
			}()
			res, err := c.ExecuteJS(ctx, s, req)
			if err != nil {
				t.Fatalf("ExecuteJS: %v", err)
			}
			sig, ok := res.Signatures["sig1"]
			if !ok || sig.PublicKey != n.PKPs()[0].PublicKey || sig.DataSigned != "48656c6c6f20576f726c64" {
				t.Fatalf("result %+v", res)
			}
			if m, ok := res.Response.(map[string]any); !ok || m["ok"] != true {
				t.Fatalf("response %#v", res.Response)
			}
		})
	}

	t.Run("below threshold", func(t *testing.T) {
		for i := range 5 {
			if err := n.SetFault(i, Fault{Down: true}); err != nil {
				t.Fatal(err)
			}
		}
		defer n.ClearFaults()
		if _, err := c.ExecuteJS(ctx, s, req); !errors.Is(err, lit.ErrBelowThreshold) {
			t.Fatalf("5 of 10 nodes down: %v", err)
		}
	})
	t.Run("action throws", func(t *testing.T) {
		_, err := c.ExecuteJS(ctx, s, lit.ExecuteJSRequest{Code: `throw new Error("boom")`})
		var ae *lit.ActionError
		if !errors.As(err, &ae) || ae.Message != "Error: boom" {
			t.Fatalf("ExecuteJS: %v", err)
		}
	})
}
