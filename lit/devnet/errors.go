package devnet

import (
	"encoding/json"
	"net/http"
)

// Error kinds of NodeError.ErrorKind, as Lit nodes name them.
const (
	KindValidation   = "Validation"   // the request is malformed or refused as invalid
	KindUnauthorized = "Unauthorized" // the session signature does not authorize the request
	KindExecution    = "Execution"    // the Lit Action threw
	KindTimeout      = "Timeout"      // the Lit Action ran out of time
	KindMemoryLimit  = "MemoryLimit"  // the Lit Action used more memory than allowed
	KindUnexpected   = "Unexpected"   // the node failed (or simulates failing)
	KindPayment      = "Payment"      // Naga: the request is not paid for
)

// Error codes of NodeError.ErrorCode. Clients branch on these.
const (
	CodeMethodNotAllowed   = "NodeMethodNotAllowed"
	CodeNotFound           = "NodeEndpointNotFound"
	CodeInvalidRequest     = "NodeInvalidRequest"
	CodeRequestTooLarge    = "NodeRequestTooLarge"
	CodeInvalidAuthSig     = "NodeInvalidAuthSig"
	CodeActionNotFound     = "NodeActionNotFound"
	CodeJSExecutionError   = "NodeJsExecutionError"
	CodeJSTimeout          = "NodeJsTimeoutError"
	CodeJSMemoryLimit      = "NodeJsMemoryLimitError"
	CodeUnknownPKP         = "NodeUnknownPKP"
	CodeInternalError      = "NodeInternalError"
	CodeSimulatedHTTP500   = "NodeSimulatedFailure"
	CodeSigningUnavailable = "NodeSigningUnavailable"
	// Naga only.
	CodeE2EE           = "NodeE2EEError"      // the envelope is malformed or does not decrypt
	CodeInvalidEpoch   = "NodeInvalidEpoch"   // the request names another epoch
	CodeNotInNodeSet   = "NodeNotInNodeSet"   // the request's nodeSet does not name this node
	CodeMaxPriceTooLow = "NodeMaxPriceTooLow" // maxPrice is below the node's price
	CodePaymentRefused = "NodePaymentRefused" // no payer covers the request
)

// NodeError is the JSON body of every non-2xx reply. The JS SDK rejects the
// node's promise with this object and, when too few nodes succeed, throws
// the most common one with its errorCode and message.
type NodeError struct {
	ErrorKind     string   `json:"errorKind"`
	ErrorCode     string   `json:"errorCode"`
	Status        int      `json:"status"`
	Message       string   `json:"message"`
	CorrelationID string   `json:"correlationId,omitempty"`
	Details       []string `json:"details"`
}

// Error returns the human sentence.
func (e *NodeError) Error() string { return "lit node: " + e.ErrorCode + ": " + e.Message }

func nodeError(status int, kind, code, message string, details ...string) *NodeError {
	if details == nil {
		details = []string{}
	}
	return &NodeError{ErrorKind: kind, ErrorCode: code, Status: status, Message: message, Details: details}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"errorKind":"Unexpected","errorCode":"NodeInternalError","status":500,"message":"cannot encode reply","details":[]}`)
	}
	writeBody(w, status, body)
}

// writeBody writes body, JSON, as the reply with status.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, requestID string, e *NodeError) {
	out := *e
	out.CorrelationID = requestID
	writeJSON(w, e.Status, &out)
}
