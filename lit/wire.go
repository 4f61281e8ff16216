package lit

// wireProtocol is one version of the nodes' HTTP API. The session and
// fan-out code only talk to this interface, so a later wire version (e.g.
// v7 "datil": different handshake fields, cait-sith shares) can sit beside
// v2 without touching them.
type wireProtocol interface {
	// handshakePath and handshakeBody form the handshake request.
	handshakePath() string
	handshakeBody() []byte
	// parseHandshake parses a 2xx handshake reply.
	parseHandshake(body []byte) (handshakeReply, error)
	// executePath and executeBody form one node's executeJs request.
	executePath() string
	executeBody(sessionSig AuthSig, req ExecuteJSRequest) ([]byte, error)
	// parseExecute parses a 2xx execute reply. A reply the node marks as
	// failed returns a *NodeError.
	parseExecute(body []byte) (executeReply, error)
	// parseError turns a non-2xx reply into an error (*NodeError when the
	// body is structured).
	parseError(status int, body []byte) error
	// combine turns one sigName's shares into a verified signature.
	combine(shares []Share) (Signature, error)
}

// handshakeReply is what a node announces.
type handshakeReply struct {
	ServerPublicKey     string
	SubnetPublicKey     string
	NetworkPublicKey    string
	NetworkPublicKeySet string
}

// executeReply is one node's parsed executeJs answer.
type executeReply struct {
	Shares   map[string]Share
	Response string
	Logs     string
}
