package devnet

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/litsigner/litsigner/lit/attest"
)

// nodeAttestation is a Naga devnet's attestation authority: a test
// ARK → ASK → VCEK chain made at Start, and which nodes spoil their
// reports, and how.
type nodeAttestation struct {
	auth  *attest.TestAuthority
	spoil map[int]attest.Spoil // node index -> kind of bad report
}

// startAttestation makes the test authority and writes its roots (ARK,
// ASK and VCEK, PEM) to Config.AttestationRootsFile, or to a fresh
// temporary directory that Close removes.
func (n *Network) startAttestation() error {
	auth, err := attest.NewTestAuthority()
	if err != nil {
		return fmt.Errorf("devnet: attestation authority: %w", err)
	}
	a := &nodeAttestation{auth: auth, spoil: map[int]attest.Spoil{}}
	for k, i := range n.cfg.AttestationBad {
		a.spoil[i] = attest.Spoils[k%len(attest.Spoils)]
	}
	file, dir := n.cfg.AttestationRootsFile, ""
	if file == "" {
		if dir, err = newRootsDir(); err != nil {
			return err
		}
		file = filepath.Join(dir, "roots.pem")
	}
	if err := auth.WriteRoots(file); err != nil {
		if dir != "" {
			_ = os.RemoveAll(dir)
		}
		return fmt.Errorf("devnet: attestation roots: %w", err)
	}
	n.attest, n.rootsDir, n.rootsFile = a, dir, file
	return nil
}

// newRootsDir is a fresh private directory for a roots file.
func newRootsDir() (string, error) {
	dir, err := os.MkdirTemp("", "litsigner-devnet-attestation-")
	if err != nil {
		return "", fmt.Errorf("devnet: attestation roots: %w", err)
	}
	return dir, nil
}

// removeRoots deletes the roots file's directory (Close, or a failed
// Start).
func (n *Network) removeRoots() {
	if n.rootsDir != "" {
		_ = os.RemoveAll(n.rootsDir)
	}
}

// AttestationRoots is the PEM file of the test chain that signs the nodes'
// attestations (a client's AttestationRoots), or "" when the devnet does
// not attest. The file exists until Close.
func (n *Network) AttestationRoots() string { return n.rootsFile }

// AttestationSpoil reports the kind of bad attestation node i sends, and
// whether it sends one.
func (n *Network) AttestationSpoil(i int) (attest.Spoil, bool) {
	if n.attest == nil {
		return 0, false
	}
	s, ok := n.attest.spoil[i]
	return s, ok
}

// attestation is node nd's handshake attestation for the hex challenge:
// JSON null when the devnet does not attest; an error when the challenge
// is not the 32 bytes a report binds.
func (nd *node) attestation(challenge string) (json.RawMessage, error) {
	a := nd.net.attest
	if a == nil {
		return json.RawMessage("null"), nil
	}
	ch, err := attest.ParseChallenge(challenge)
	if err != nil {
		return nil, err
	}
	// What a real node attests: the host:port clients reach it at, as the
	// chain lists it.
	addr := net.JoinHostPort(nd.net.cfg.Host, strconv.Itoa(nd.net.servers[nd.index].portNow()))
	var att *attest.Attestation
	if s, bad := a.spoil[nd.index]; bad {
		att, err = a.auth.AttestSpoiled(s, ch, addr, nil)
	} else {
		att, err = a.auth.Attest(ch, addr, nil)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(att)
}
