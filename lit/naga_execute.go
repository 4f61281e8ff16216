package lit

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// PaymentError is a call the nodes refused, or the client would not send,
// for payment: a node price above the call's maxPrice (ErrPriceTooHigh),
// or no balance or delegation for the account (ErrNoPaymentBalance). Hint
// says what the user can do.
type PaymentError struct {
	// Reason is ErrPriceTooHigh or ErrNoPaymentBalance.
	Reason error
	// Detail is what the node or the client found.
	Detail string
	// Hint tells the user what to do.
	Hint string
}

// Error states the reason, the detail and the hint.
func (e *PaymentError) Error() string {
	s := e.Reason.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns the reason sentinel.
func (e *PaymentError) Unwrap() error { return e.Reason }

// Hints of payment errors.
const (
	hintPrice   = "raise the network's maxPrice, or wait for lower node prices"
	hintBalance = "deposit funds for this account in the network's Ledger contract, or have a payer delegate payment to it"
)

// plan chooses the threshold best nodes not in avoid (healthy first,
// least suspect of bad shares, then by price, then by measured latency), signs a Naga session signature for
// each with its share of the budget as maxPrice, and seals the execute
// request to each node's identity key.
func (p *protoNaga) plan(c *Client, st *netState, s *Session, ra ResourceAbilityRequest, req ExecuteJSRequest, avoid map[string]bool, budget *big.Int, now time.Time) (*callPlan, error) {
	type cand struct {
		n         nodeState
		latency   time.Duration
		bad       bool
		badShares int
	}
	var cands []cand
	for _, n := range st.nodes {
		if avoid[n.url] {
			continue
		}
		lat, bad, badShares := c.nodeHealth(n.url)
		cands = append(cands, cand{n: n, latency: lat, bad: bad, badShares: badShares})
	}
	t := st.threshold
	if len(cands) < t {
		return nil, fmt.Errorf("%w: %d usable nodes, %d needed", errNoAlternative, len(cands), t)
	}
	price := func(n nodeState) *big.Int {
		if n.price == nil {
			return new(big.Int)
		}
		return n.price
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.bad != b.bad {
			return !a.bad
		}
		if a.badShares != b.badShares {
			return a.badShares < b.badShares
		}
		if c := price(a.n).Cmp(price(b.n)); c != 0 {
			return c < 0
		}
		if a.latency != b.latency {
			return a.latency < b.latency
		}
		return a.n.url < b.n.url
	})
	chosen := cands[:t]
	sum := new(big.Int)
	for _, ch := range chosen {
		sum.Add(sum, price(ch.n))
	}
	if budget == nil {
		budget = c.net.MaxPrice
	}
	if sum.Cmp(budget) > 0 {
		return nil, &PaymentError{Reason: ErrPriceTooHigh,
			Detail: fmt.Sprintf("the %d cheapest usable nodes cost %s wei, the budget left is %s wei", t, sum, budget), Hint: hintPrice}
	}
	// The SDK's getMaxPricesForNodeProduct: each node gets its price plus
	// an equal part of what the budget leaves.
	extra := new(big.Int).Div(new(big.Int).Sub(budget, sum), big.NewInt(int64(t)))
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].n.url < chosen[j].n.url })
	nodeSet := make([]nagawire.NodeSetEntry, t)
	urls := make([]string, t)
	maxPrices := make([]*big.Int, t)
	for i, ch := range chosen {
		nodeSet[i] = nagawire.NodeSetEntry{SocketAddress: ch.n.ext.(nagaNode).socket, Value: 1}
		urls[i] = ch.n.url
		maxPrices[i] = new(big.Int).Add(price(ch.n), extra)
	}
	reqs := []ResourceAbilityRequest{ra}
	priceKeys := make([]string, len(maxPrices))
	for i, p := range maxPrices {
		priceKeys[i] = p.Text(16)
	}
	sigs, err := s.cachedSigsNagaJSON(st, urls, priceKeys, reqs, func(missing []string, idx []int) ([]nagawire.AuthSig, error) {
		prices := make([]*big.Int, len(idx))
		for j, i := range idx {
			prices[j] = maxPrices[i]
		}
		return s.signNaga(missing, prices, reqs, now)
	}, now)
	if err != nil {
		return nil, err
	}
	params, err := req.paramsJSON()
	if err != nil {
		return nil, err
	}
	inner := nagawire.ExecuteRequest{IPFSID: req.IPFSID, JSParams: params, NodeSet: nodeSet, KeySetID: nagawire.KeySetID}
	if req.Code != "" {
		inner.Code = base64.StdEncoding.EncodeToString([]byte(req.Code))
	}
	hdr := p.header(c.net.Name)
	plan := &callPlan{need: t, price: sum, reissuable: true, reissueAfter: p.reissueAfter(c, urls)}
	epoch := st.epoch
	// One fresh x25519 key for the attempt, not one per node: each node
	// still gets its own box key (the client key with that node's
	// identity key), and the node set's requests already share their
	// request id. The key costs one x25519 product, and each node's box
	// key one more.
	self, err := nagawire.GenerateIdentity(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("request key: %w", err)
	}
	// The code and parameters are encoded once; each node's request
	// differs only in its session signature.
	prepared, err := inner.Prepare()
	if err != nil {
		return nil, fmt.Errorf("execute request: %v: %w", err, ErrInvalidParams)
	}
	for i, ch := range chosen {
		plain := prepared.WithJSON(sigs[i])
		var random [16]byte
		if _, err := rand.Read(random[:]); err != nil {
			return nil, fmt.Errorf("request nonce: %w", err)
		}
		identity := ch.n.ext.(nagaNode).identity
		shared := self.SharedKey(identity)
		body := shared.SealEnvelope(plain, random, now, &epoch)
		plan.calls = append(plan.calls, &nodeCall{url: ch.n.url, path: nagawire.ExecutePath, header: hdr, body: [][]byte{body},
			ext: nagaCall{identity: identity, shared: shared}})
	}
	c.log.Debug("lit: node set chosen", "network", c.net.Name, "nodes", strings.Join(urls, ","), "price", sum.String())
	return plan, nil
}

// reissueAfter is the deadline after which a call on urls is re-issued:
// Network.ReissueAfter when set, else four times the slowest node's
// smoothed execute latency within [MinReissueAfter, DefaultReissueAfter]
// (DefaultReissueAfter while a node's execute latency is unknown).
func (*protoNaga) reissueAfter(c *Client, urls []string) time.Duration {
	if c.net.ReissueAfter > 0 {
		return c.net.ReissueAfter
	}
	var slowest time.Duration
	for _, u := range urls {
		lat := c.execLatencyOf(u)
		if lat == 0 {
			return DefaultReissueAfter
		}
		slowest = max(slowest, lat)
	}
	return min(max(4*slowest, MinReissueAfter), DefaultReissueAfter)
}

// decode opens a node's reply (checking it comes from the node's identity
// key), and parses the result and its shares.
func (*protoNaga) decode(_ *netState, call *nodeCall, status int, body []byte) (executeReply, error) {
	nc := call.ext.(nagaCall)
	env, err := nagawire.UnmarshalEnvelope(body)
	if err != nil || env.Payload.CiphertextAndTag == "" {
		if status < 200 || status > 299 {
			return executeReply{}, &NodeError{Status: status, Message: clip(strings.TrimSpace(string(body)))}
		}
		return executeReply{}, fmt.Errorf("execute reply: not an encrypted envelope: %w", ErrBadReply)
	}
	if env.Version != nagawire.EnvelopeVersion {
		return executeReply{}, fmt.Errorf("execute reply: envelope version %q: %w", clip(env.Version), ErrBadReply)
	}
	if !strings.EqualFold(strings.TrimPrefix(env.Payload.VerificationKey, "0x"), hex.EncodeToString(nc.identity[:])) {
		return executeReply{}, fmt.Errorf("execute reply: sealed by %q, not the node's identity key: %w", clip(env.Payload.VerificationKey), ErrBadReply)
	}
	// The box key is the node's: Open refuses an envelope whose sender
	// key is another.
	plain, err := nc.shared.Open(env.Payload)
	if err != nil {
		return executeReply{}, fmt.Errorf("execute reply: %v: %w", err, ErrBadReply)
	}
	return decodeNagaResult(status, plain)
}

// decodeNagaResult parses an opened execute reply.
func decodeNagaResult(status int, plain []byte) (executeReply, error) {
	var data nagawire.ExecuteResponse
	fast := false
	if status >= 200 && status <= 299 {
		data, fast = fastNagaData(plain)
	}
	if !fast {
		var res nagawire.Result
		if err := json.Unmarshal(plain, &res); err != nil {
			return executeReply{}, fmt.Errorf("execute reply: %v: %w", err, ErrBadReply)
		}
		if !res.OK || status < 200 || status > 299 {
			return executeReply{}, nagaResultError(status, res)
		}
		if err := json.Unmarshal(res.Data, &data); err != nil {
			return executeReply{}, fmt.Errorf("execute reply: data: %v: %w", err, ErrBadReply)
		}
	}
	if !data.Success {
		return executeReply{}, &NodeError{Status: status, Message: "the node reports success: false"}
	}
	out := executeReply{Shares: make(map[string]ecdsaShare, len(data.SignedData)), Response: data.Response, Logs: data.Logs}
	for name, ss := range data.SignedData {
		sh, err := nagaShare(name, ss)
		if err != nil {
			return executeReply{}, fmt.Errorf("execute reply: share %q: %v: %w", clip(name), err, ErrBadReply)
		}
		out.Shares[name] = sh
	}
	return out, nil
}

// nagaShare normalises one Naga share.
func nagaShare(name string, ss nagawire.SignedShare) (ecdsaShare, error) {
	if ss.SigName != "" && ss.SigName != name {
		return ecdsaShare{}, fmt.Errorf("names %q", clip(ss.SigName))
	}
	if ss.SigType != nagawire.SigTypeEcdsaK256Sha256 {
		return ecdsaShare{}, fmt.Errorf("unsupported sigType %q", clip(ss.SigType))
	}
	es, err := nagawire.ParseEcdsaShareWith(ss.SignatureShare, checkedOnCurve)
	if err != nil {
		return ecdsaShare{}, err
	}
	if es.Result != "success" {
		return ecdsaShare{}, fmt.Errorf("share result %q", clip(es.Result))
	}
	if es.SigType != "" && es.SigType != nagawire.SigTypeEcdsaK256Sha256 {
		return ecdsaShare{}, fmt.Errorf("unsupported share sig_type %q", clip(es.SigType))
	}
	// The shares of one signature share R: its check is cached.
	r, err := uncompressedKey(es.BigR)
	if err != nil {
		return ecdsaShare{}, fmt.Errorf("big_r: %v", err)
	}
	pub := es.PublicKey
	if outer, err := parsePublicKey(ss.PublicKey); err != nil || string(outer) != string(pub) {
		return ecdsaShare{}, fmt.Errorf("publicKey %q is not the share's key", clip(ss.PublicKey))
	}
	rx, ry := new(big.Int).SetBytes(r[1:33]), new(big.Int).SetBytes(r[33:])
	return ecdsaShare{SigName: name, Rx: rx, Ry: ry, S: es.S, PublicKey: pub, Digest: es.Digest,
		PublicKeyHex: hex.EncodeToString(pub), DataSignedHex: hex.EncodeToString(es.Digest[:])}, nil
}

// checkedOnCurve is nagawire.OnCurve through the client's point cache.
func checkedOnCurve(enc []byte) bool {
	_, err := uncompressedKey(enc)
	return err == nil
}

// nagaErrorObject is the errorObject of a failed Naga result.
type nagaErrorObject struct {
	v2ErrorBody
}

// nagaResultError classifies a failed Naga result: an action error, a
// payment refusal, an epoch the node no longer serves (errStaleState), or
// a *NodeError.
func nagaResultError(status int, res nagawire.Result) error {
	msg := clip(res.ErrorText())
	ne := &NodeError{Status: status, Message: msg}
	if res.ErrorObject != nil {
		var eo nagaErrorObject
		if json.Unmarshal([]byte(*res.ErrorObject), &eo) == nil {
			if err := (wireV2{}).errorFrom(eo.v2ErrorBody, nil, status); err != nil {
				var ae *ActionError
				if errors.As(err, &ae) {
					if ae.Message == "" {
						ae.Message = msg
					}
					return ae
				}
				if e, ok := err.(*NodeError); ok {
					ne = e
					if ne.Message == "" {
						ne.Message = msg
					}
				}
			}
		}
	}
	if ne.Status == 0 {
		ne.Status = status
	}
	text := strings.ToLower(ne.Kind + " " + ne.Code + " " + ne.Message + " " + strings.Join(ne.Details, " "))
	payment := strings.EqualFold(ne.Kind, "Payment") || status == http.StatusPaymentRequired ||
		strings.Contains(text, "balance") || strings.Contains(text, "delegation") || strings.Contains(text, "payment")
	switch {
	case strings.Contains(text, "maxprice") || strings.Contains(text, "max price") || (payment && strings.Contains(text, "price")):
		return &PaymentError{Reason: ErrPriceTooHigh, Detail: ne.Error(), Hint: hintPrice}
	case payment:
		return &PaymentError{Reason: ErrNoPaymentBalance, Detail: ne.Error(), Hint: hintBalance}
	case strings.Contains(text, "epoch"):
		return fmt.Errorf("%w: %w", errStaleState, ne)
	}
	return ne
}
