package lit

import (
	"context"
	"errors"
	"fmt"

	"github.com/litsigner/litsigner/lit/attest"
)

// setupAttestation prepares the verification of the nodes' SEV-SNP
// attestations: AMD's roots (or the network's AttestationRoots file), VCEKs
// fetched with the client's HTTP client and kept in the disk cache.
func (p *protoNaga) setupAttestation(c *Client) error {
	opts := &attest.Options{Getter: attest.HTTPGetter{Client: c.http}}
	if c.net.AttestationRoots != "" {
		roots, err := attest.LoadRoots(c.net.AttestationRoots)
		if err != nil {
			return fmt.Errorf("lit: network %q: %v: %w", c.net.Name, err, ErrInvalidParams)
		}
		opts.Roots = roots
	}
	dir := ""
	if c.attestCacheDir != nil {
		dir = *c.attestCacheDir
	} else if d, err := attest.DefaultCacheDir(); err == nil {
		dir = d
	} else {
		c.log.Warn("lit: no VCEK cache: attestation certificates are fetched on every handshake", "err", err)
	}
	if dir != "" {
		opts.Cache = &attest.Cache{Dir: dir}
	}
	p.attest = opts
	return nil
}

// checkHello decodes one node's handshake reply and, when the network
// requires it, verifies its attestation against our challenge and the
// host:port we talked to. It runs in the node's own request goroutine.
func (p *protoNaga) checkHello(ctx context.Context, c *Client, r nodeResult, challenge [32]byte) (any, error) {
	hello, err := decodeHandshake(r.call.url, r.status, r.body)
	if err != nil || p.attest == nil {
		return hello, err
	}
	// A VCEK fetch is one more request on the node's behalf: the same
	// per-node bound applies.
	ctx, cancel := context.WithTimeout(ctx, c.net.NodeTimeout)
	defer cancel()
	v, err := attest.VerifyJSON(ctx, hello.data.Attestation, challenge, r.call.url, p.attest)
	if err != nil {
		var refused *attest.Error
		if errors.As(err, &refused) {
			return nil, nodeAttestationError{refused}
		}
		return nil, err
	}
	if v.CacheErr != nil {
		c.log.Warn("lit: VCEK cache", "node", r.call.url, "err", v.CacheErr)
	}
	c.noteAttestation(r.call.url, nil)
	return hello, nil
}

// nodeAttestationError is a node's refused attestation as a handshake
// reason: the *attest.Error's text without its node, which the reason
// list already names.
type nodeAttestationError struct{ e *attest.Error }

// Error reads "attestation: <reason>: <detail>".
func (e nodeAttestationError) Error() string {
	if e.e.Err == nil {
		return "attestation: " + e.e.Reason.Error()
	}
	return "attestation: " + e.e.Reason.Error() + ": " + e.e.Err.Error()
}

// Unwrap returns the *attest.Error (and through it the reason sentinel).
func (e nodeAttestationError) Unwrap() error { return e.e }

// refusedAny reports whether some node's reason is a refused attestation.
func refusedAny(reasons []NodeReason) bool {
	for _, r := range reasons {
		var refused *attest.Error
		if errors.As(r.Err, &refused) {
			return true
		}
	}
	return false
}
