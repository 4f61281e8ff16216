package lit

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// Per-node session signatures are valid for SessionSigTTL (5 min), and the
// SDK signs them once per session and reuses them; signing ten per call
// (one per node) was the largest client cost per executeJs. A Session
// therefore keeps the signatures it made for the network state they were
// made for, and reuses one while it is young.
//
// The cached signatures are bearer tokens (with the session key they
// stand for, anyone holding one may run actions at that node until it
// expires): they live only in this in-memory map, are never logged nor
// returned by any accessor, and are dropped on Wipe.

// sigReuseFor is how long after its issuedAt a cached signature is still
// handed out: half its lifetime, so a node always receives one with at
// least SessionSigTTL/2 left (or the session's own end, when nearer).
const sigReuseFor = SessionSigTTL / 2

// maxCachedSigs bounds one session's cache (a node set changing under a
// long session adds keys; past the bound the cache starts afresh).
const maxCachedSigs = 1024

// sigCache is a session's per-node signatures for one network state.
type sigCache struct {
	mu sync.Mutex
	// owner is the *netState the entries were signed for; another state
	// (a new epoch, a new node set, another client) empties the cache.
	owner *netState
	m     map[string]cachedSig
}

// cachedSig is one signature and its reuse window. The signature is kept
// as execute requests carry it (its protocol's JSON), so a reused one is
// not encoded again per call.
type cachedSig struct {
	json   []byte
	issued time.Time // reuse from here...
	until  time.Time // ...to here (exclusive)
}

// sigKeys is the cache key of each of urls' signatures: everything the
// signed message depends on besides the time, as
// proto NUL url (NUL resource NUL prefix NUL ability)* NUL maxPrice, with
// maxPrices[i] for urls[i] (none: ""). The requests' part is built once
// and each key in one allocation: a builder per key was 1.5 % of a v2
// call.
func sigKeys(proto string, urls []string, reqs []ResourceAbilityRequest, maxPrices []string) []string {
	var b strings.Builder
	for _, r := range reqs {
		b.WriteByte(0)
		b.WriteString(r.Resource.Resource)
		b.WriteByte(0)
		b.WriteString(r.Resource.ResourcePrefix)
		b.WriteByte(0)
		b.WriteString(r.Ability)
	}
	b.WriteByte(0)
	tail := b.String()
	keys := make([]string, len(urls))
	for i, u := range urls {
		price := ""
		if maxPrices != nil {
			price = maxPrices[i]
		}
		keys[i] = proto + "\x00" + u + tail + price
	}
	return keys
}

// lookup returns the entries for st at now (ok false for a key that is
// missing or too old), switching the cache to st first.
func (c *sigCache) lookup(st *netState, keys []string, now time.Time) ([]cachedSig, []bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.owner != st {
		c.owner, c.m = st, nil
	}
	out := make([]cachedSig, len(keys))
	ok := make([]bool, len(keys))
	for i, k := range keys {
		e, found := c.m[k]
		if found && !now.Before(e.issued) && now.Before(e.until) {
			out[i], ok[i] = e, true
		}
	}
	return out, ok
}

// store remembers entries signed for st (unless the cache moved on to
// another state meanwhile).
func (c *sigCache) store(st *netState, keys []string, entries []cachedSig, fresh []bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.owner != st {
		return
	}
	if c.m == nil || len(c.m)+len(keys) > maxCachedSigs {
		c.m = make(map[string]cachedSig, len(keys))
	}
	for i, k := range keys {
		if fresh[i] {
			c.m[k] = entries[i]
		}
	}
}

// clear drops every cached signature.
func (c *sigCache) clear() {
	c.mu.Lock()
	c.owner, c.m = nil, nil
	c.mu.Unlock()
}

// reuseWindow is the window in which a signature issued at issued and
// expiring at exp may be reused.
func reuseWindow(issued, exp time.Time) time.Time {
	until := issued.Add(sigReuseFor)
	if exp.Before(until) {
		until = exp
	}
	return until
}

// cachedSigsV2JSON returns the v2 session signatures for urls at now for
// network state st, reusing the cached ones that are young enough and
// signing the rest, each JSON-encoded as an execute body carries it. The
// slices are shared: read only.
func (s *Session) cachedSigsV2JSON(st *netState, urls []string, reqs []ResourceAbilityRequest, now time.Time) ([][]byte, error) {
	if err := s.canSignV2(now); err != nil {
		return nil, err
	}
	keys := sigKeys(ProtocolV2, urls, reqs, nil)
	return s.cachedSigsJSON(st, keys, now, func(idx []int) ([][]byte, error) {
		signed, err := s.signForNodes(pick(urls, idx), reqs, now)
		if err != nil {
			return nil, err
		}
		return encodeAll(signed, encodeAuthSig)
	})
}

// encodeAuthSig is sig's JSON in an execute body.
func encodeAuthSig(sig AuthSig) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeJSON(&buf, sig); err != nil {
		return nil, fmt.Errorf("encode session signature: %v: %w", err, ErrInvalidParams)
	}
	return buf.Bytes(), nil
}

// cachedSigsNagaJSON is cachedSigsV2JSON for Naga's signatures, which also
// sign each node's maxPrice; sign signs for the urls at idx, and the
// signatures are encoded by nagawire.EncodeAuthSig.
func (s *Session) cachedSigsNagaJSON(st *netState, urls []string, maxPrices []string, reqs []ResourceAbilityRequest, sign func(urls []string, idx []int) ([]nagawire.AuthSig, error), now time.Time) ([][]byte, error) {
	if err := s.canSign(now); err != nil {
		return nil, err
	}
	keys := sigKeys(ProtocolNaga, urls, reqs, maxPrices)
	return s.cachedSigsJSON(st, keys, now, func(idx []int) ([][]byte, error) {
		signed, err := sign(pick(urls, idx), idx)
		if err != nil {
			return nil, err
		}
		return encodeAll(signed, func(sig nagawire.AuthSig) ([]byte, error) {
			enc, err := nagawire.EncodeAuthSig(sig)
			if err != nil {
				return nil, fmt.Errorf("encode session signature: %v: %w", err, ErrInvalidParams)
			}
			return enc, nil
		})
	})
}

// cachedSigsJSON returns the signature JSON cached for each of keys (one
// per node) while young enough at now; sign makes the JSON for the keys
// at idx that have none, which is stored.
func (s *Session) cachedSigsJSON(st *netState, keys []string, now time.Time, sign func(idx []int) ([][]byte, error)) ([][]byte, error) {
	entries, ok := s.sigs.lookup(st, keys, now)
	var idx []int
	for i := range keys {
		if !ok[i] {
			idx = append(idx, i)
		}
	}
	if len(idx) > 0 {
		signed, err := sign(idx)
		if err != nil {
			return nil, err
		}
		until := reuseWindow(now, s.sigExpiration(now))
		fresh := make([]bool, len(keys))
		for j, i := range idx {
			entries[i] = cachedSig{json: signed[j], issued: now, until: until}
			fresh[i] = true
		}
		s.sigs.store(st, keys, entries, fresh)
	}
	out := make([][]byte, len(keys))
	for i := range entries {
		out[i] = entries[i].json
	}
	return out, nil
}

// pick is the elements of all at idx.
func pick[T any](all []T, idx []int) []T {
	out := make([]T, len(idx))
	for j, i := range idx {
		out[j] = all[i]
	}
	return out
}

// encodeAll is each of sigs encoded.
func encodeAll[T any](sigs []T, encode func(T) ([]byte, error)) ([][]byte, error) {
	out := make([][]byte, len(sigs))
	for i, sig := range sigs {
		var err error
		if out[i], err = encode(sig); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// canSign reports why s cannot sign at now (wiped, expired), or nil.
func (s *Session) canSign(now time.Time) error {
	_, _, err := s.sigWindow(now)
	return err
}

// sigExpiration is the expiration of a signature issued at now.
func (s *Session) sigExpiration(now time.Time) time.Time {
	exp := now.Add(SessionSigTTL)
	if exp.After(s.expiration) {
		exp = s.expiration
	}
	return exp
}
