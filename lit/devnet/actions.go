package devnet

import (
	"errors"
	"net/http"

	"github.com/litsigner/litsigner/lit/devnet/action"
)

// actionCID is the CIDv0 of the requested action: the ipfsId as sent, or
// the CID of the inline code (what a specific ReCap grant must name).
func actionCID(req *actionCall) (string, *NodeError) {
	if req.IPFSID != "" {
		return req.IPFSID, nil
	}
	cid, err := action.CIDv0([]byte(req.Code))
	if err != nil {
		return "", nodeError(http.StatusBadRequest, KindValidation, CodeInvalidRequest, "the action code is too large", err.Error())
	}
	return cid, nil
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
