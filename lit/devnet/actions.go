package devnet

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/litsigner/litsigner/lit/devnet/action"
	"github.com/litsigner/litsigner/lit/internal/fieldhash"
)

// actionCID is the CIDv0 of the requested action: the ipfsId as sent, or
// the CID of the inline code (what a specific ReCap grant must name).
func actionCID(req *actionCall) (string, *NodeError) {
	return req.cid, req.cidErr
}

// Bounds of the action calls a network keeps decoded (see actionCall).
const (
	maxCachedCalls    = 256
	maxCachedCallSize = 64 << 10 // code and jsParams together, as sent
)

// actionCall is newActionCall, remembered by the exact fields sent. A
// client sends one call to every node (and often the same call again), and
// the devnet runs all of them in one process: the code's base64 and CID
// and the parameters' JSON are decoded once, not once per node. Calls over
// maxCachedCallSize are decoded every time.
func (n *Network) actionCall(code, ipfsID string, jsParams json.RawMessage) (*actionCall, *NodeError) {
	if len(code)+len(ipfsID)+len(jsParams) > maxCachedCallSize {
		return newActionCall(code, ipfsID, jsParams)
	}
	key := fieldhash.Sum(code, ipfsID, string(jsParams))
	if call, ok := n.calls.get(key); ok {
		return call, nil
	}
	call, nerr := newActionCall(code, ipfsID, jsParams)
	if nerr != nil {
		return nil, nerr
	}
	return n.calls.put(key, call), nil
}

// actionCode returns the source to run: the inline code, or the file of the
// actions directory whose CIDv0 is the ipfsId.
func (n *Network) actionCode(req *actionCall) (string, *NodeError) {
	if req.IPFSID == "" {
		return req.Code, nil
	}
	code, err := n.actions.Code(req.IPFSID)
	if err != nil {
		if errors.Is(err, action.ErrUnknownAction) {
			return "", nodeError(http.StatusNotFound, KindValidation, CodeActionNotFound,
				"no action with this ipfsId on this devnet (it serves the files of its actions directory)", "ipfsId "+req.IPFSID)
		}
		return "", nodeError(http.StatusInternalServerError, KindUnexpected, CodeInternalError, "cannot load the action", err.Error())
	}
	return code, nil
}
