package nagawire

import (
	"strconv"

	"github.com/litsigner/litsigner/lit/internal/jsonfast"
)

// Field names of an executeJs request and of its parts, as encoding/json
// matches them (wireExecuteRequest, wrappedParams, AuthSig, NodeSetEntry).
var (
	executeKeys      = []string{"code", "ipfsId", "jsParams", "authSig", "nodeSet", "keySetId"}
	wrappedKeys      = []string{"jsParams"}
	authSigKeys      = []string{"sig", "derivedVia", "signedMessage", "address", "algo"}
	nodeSetEntryKeys = []string{"socketAddress", "value"}
)

// fastExecuteRequest decodes a request as decodeStrict does, or returns ok
// false, in one pass without encoding/json (which scanned the request, most
// of it the action's code and the session signature, twice: a tenth of a
// Naga devnet node's CPU). It takes the shape clients send: one object with
// only the known fields, spelled exactly and once, at every level; strings
// as jsonfast reads them (or null, which leaves a string empty); jsParams
// an object holding at most the user's parameters, themselves an object;
// authSig an object; nodeSet an array of objects with an integer value;
// keySetId a string. Anything else is left to decodeStrict, whose outcome
// (an error included) is then ParseExecuteRequest's.
func fastExecuteRequest(data []byte) (w wireExecuteRequest, ok bool) {
	d := jsonfast.NewReader(data)
	ok = d.Fields(executeKeys, false, func(idx int) bool {
		switch idx {
		case 0:
			return d.StrField(&w.Code)
		case 1:
			return d.StrField(&w.IPFSID)
		case 2:
			w.JSParams = &wrappedParams{}
			return d.Peek() == '{' && d.Fields(wrappedKeys, false, func(int) bool {
				if d.Peek() != '{' {
					return false
				}
				raw, valid := d.ValidComposite()
				w.JSParams.JSParams = raw
				return valid
			})
		case 3:
			w.AuthSig = &AuthSig{}
			fields := [...]*string{&w.AuthSig.Sig, &w.AuthSig.DerivedVia, &w.AuthSig.SignedMessage, &w.AuthSig.Address, &w.AuthSig.Algo}
			return d.Peek() == '{' && d.Fields(authSigKeys, false, func(i int) bool { return d.StrField(fields[i]) })
		case 4:
			nodes, ok := readNodeSet(d)
			w.NodeSet = &nodes
			return ok
		default:
			s, ok := d.Str()
			w.KeySetID = &s
			return ok
		}
	})
	return w, ok && d.Done()
}

// readNodeSet reads an array of NodeSetEntry objects.
func readNodeSet(d *jsonfast.Reader) ([]NodeSetEntry, bool) {
	nodes := []NodeSetEntry{}
	ok := d.Array(func() bool {
		var e NodeSetEntry
		ok := d.Peek() == '{' && d.Fields(nodeSetEntryKeys, false, func(i int) bool {
			if i == 0 {
				return d.StrField(&e.SocketAddress)
			}
			num, ok := d.Number()
			if !ok {
				return false
			}
			// What encoding/json does for an int field (64 bits here).
			n, err := strconv.ParseInt(string(num), 10, strconv.IntSize)
			e.Value = int(n)
			return err == nil
		})
		nodes = append(nodes, e)
		return ok
	})
	return nodes, ok
}
