package devnet

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/litsigner/litsigner/lit/internal/fieldhash"
)

// Signing-set cache bounds: a request id names its signing set for this
// long, and at most this many request ids are remembered.
const (
	signingSetTTL    = 10 * time.Minute
	maxSigningSets   = 4096
	maxPresigs       = 4096
	maxMessageLength = 32
)

// errMessageTooLong is returned for a toSign longer than a secp256k1 scalar.
var errMessageTooLong = errors.New("toSign must be 1 to 32 bytes (it is signed as given, not hashed)")

// dealer is the trusted dealer's run-time half: it derives each signature's
// nonce and picks the signing set of each request. Key shares live in the
// nodes; the dealer never sees them after dealing.
type dealer struct {
	nodes, threshold int
	nonceKey         []byte
	now              func() time.Time

	// presigs holds the presignatures of recent signatures, so that the
	// nodes answering one request derive R = k·G once between them (each
	// would compute the same point).
	presigs *boundedCache[[sha256.Size]byte, *presignEntry]

	mu    sync.Mutex
	sets  map[string]signingSet
	order []string // request keys, oldest first, for eviction
}

// presignEntry is one cached presignature, derived by the first node that
// asks for it.
type presignEntry struct {
	once sync.Once
	p    presignature
	err  error
}

type signingSet struct {
	members []int
	created time.Time
}

func newDealer(r io.Reader, nodes, threshold int, now func() time.Time) (*dealer, error) {
	key := make([]byte, 32)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, fmt.Errorf("devnet: nonce key: %w", err)
	}
	return &dealer{nodes: nodes, threshold: threshold, nonceKey: key, now: now, sets: map[string]signingSet{},
		presigs: newBoundedCache[[sha256.Size]byte, *presignEntry](maxPresigs)}, nil
}

// signingSet returns the node indexes that sign for this request: the first
// threshold live nodes in index order starting at an offset derived from the
// request key, taking prompt nodes before slow ones (as on a real network,
// where the shares that arrive first are the ones combined). The first node
// to ask fixes the set for the request, so every node answering the same
// logical request agrees even if faults change meanwhile.
func (d *dealer) signingSet(reqKey string, live, slow func(int) bool) []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for len(d.order) > 0 {
		oldest := d.order[0]
		if len(d.order) < maxSigningSets && now.Sub(d.sets[oldest].created) < signingSetTTL {
			break
		}
		delete(d.sets, oldest)
		d.order = d.order[1:]
	}
	if s, ok := d.sets[reqKey]; ok {
		return s.members
	}
	sum := sha256.Sum256([]byte(reqKey))
	offset := int(binary.BigEndian.Uint64(sum[:8]) % uint64(d.nodes))
	members := make([]int, 0, d.threshold)
	for _, wantSlow := range []bool{false, true} {
		for k := 0; k < d.nodes && len(members) < d.threshold; k++ {
			i := (offset + k) % d.nodes
			if live(i) && slow(i) == wantSlow {
				members = append(members, i)
			}
		}
	}
	slices.Sort(members)
	d.sets[reqKey] = signingSet{members: members, created: now}
	d.order = append(d.order, reqKey)
	return members
}

// presignature is the per-signature material the dealer hands a signer:
// the nonce point R and r = R.x mod n, plus the signer's weighted k⁻¹.
type presignature struct {
	rx, ry [32]byte
	r      secp256k1.ModNScalar
	kinv   secp256k1.ModNScalar
}

// presign returns the presignature of one signature (see derivePresign),
// computed once for all the nodes that ask for it. The caller gets its own
// copy, which it may zero.
func (d *dealer) presign(pkp int, reqKey, sigName string, msg []byte) (presignature, error) {
	key := fieldhash.Sum(strconv.Itoa(pkp), reqKey, sigName, string(msg))
	e, ok := d.presigs.get(key)
	if !ok {
		e = d.presigs.put(key, &presignEntry{})
	}
	e.once.Do(func() { e.p, e.err = d.derivePresign(pkp, reqKey, sigName, msg) })
	return e.p, e.err
}

// derivePresign derives the nonce of one signature: k = HMAC(nonceKey,
// pkp, request, sigName, message, counter) reduced mod n. The same logical
// signature gets the same k on every node; a different message never
// reuses a k.
func (d *dealer) derivePresign(pkp int, reqKey, sigName string, msg []byte) (presignature, error) {
	for counter := uint32(0); counter < 16; counter++ {
		mac := hmac.New(sha256.New, d.nonceKey)
		var b [8]byte
		binary.BigEndian.PutUint32(b[:4], uint32(pkp))
		binary.BigEndian.PutUint32(b[4:], counter)
		mac.Write(b[:])
		for _, part := range [][]byte{[]byte(reqKey), []byte(sigName), msg} {
			var l [4]byte
			binary.BigEndian.PutUint32(l[:], uint32(len(part)))
			mac.Write(l[:])
			mac.Write(part)
		}
		var k secp256k1.ModNScalar
		if overflow := k.SetByteSlice(mac.Sum(nil)); overflow || k.IsZero() {
			continue
		}
		var rj secp256k1.JacobianPoint
		secp256k1.ScalarBaseMultNonConst(&k, &rj)
		rj.ToAffine()
		var p presignature
		rj.X.PutBytes(&p.rx)
		rj.Y.PutBytes(&p.ry)
		p.r.SetByteSlice(p.rx[:]) // reduces R.x mod n
		if p.r.IsZero() {
			continue
		}
		p.kinv.InverseValNonConst(&k)
		k.Zero()
		return p, nil
	}
	return presignature{}, errors.New("devnet: presign: no valid nonce")
}

// messageScalar reads toSign as a big-endian integer mod n, as the Lit node
// does (no hashing).
func messageScalar(toSign []byte) (secp256k1.ModNScalar, error) {
	var m secp256k1.ModNScalar
	if len(toSign) == 0 || len(toSign) > maxMessageLength {
		return m, errMessageTooLong
	}
	m.SetByteSlice(toSign)
	return m, nil
}

// signatureShare computes a node's share s_i = λ_i·k⁻¹·(m + r·x_i), with
// lambda its Lagrange weight in the signing set; the shares of the whole
// set sum to k⁻¹·(m + r·x).
func signatureShare(lambda, keyShare *secp256k1.ModNScalar, p *presignature, m *secp256k1.ModNScalar) [32]byte {
	var s secp256k1.ModNScalar
	s.Mul2(&p.r, keyShare).Add(m).Mul(&p.kinv).Mul(lambda)
	return s.Bytes()
}

// maxLagrangeSets bounds the signing sets a node keeps its weight for
// (C(10,6) = 210 on the default network).
const maxLagrangeSets = 1024

// setMask is a signing set as a bit set of node indexes (< MaxNodes).
type setMask [(MaxNodes + 63) / 64]uint64

// lagrangeOf is the node's Lagrange weight in the signing set (which
// holds it): a constant of the set, so it is computed once per set
// rather than with a modular inversion per request.
func (nd *node) lagrangeOf(set []int) secp256k1.ModNScalar {
	var key setMask
	for _, j := range set {
		key[j/64] |= 1 << (j % 64)
	}
	if l, ok := nd.lagrange.get(key); ok {
		return l
	}
	return nd.lagrange.put(key, lagrangeAtZero(nd.index, set))
}
