package lit

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Default values used when a Network leaves a field zero.
const (
	// DefaultThreshold is the JS SDK's default minNodeCount.
	DefaultThreshold = 6
	// DefaultNodeTimeout bounds one HTTP request to one node.
	DefaultNodeTimeout = 30 * time.Second
	// DefaultCallTimeout bounds one logical call (all nodes).
	DefaultCallTimeout = 60 * time.Second
)

// Network is a set of Lit nodes and how many must agree.
type Network struct {
	// Name is informational ("localhost", "custom", ...).
	Name string
	// NodeURLs are the nodes' base URLs, e.g. "http://localhost:7470".
	// They are used verbatim as the session signature's nodeAddress.
	NodeURLs []string
	// Threshold is how many good replies a call needs (0 = DefaultThreshold,
	// capped at len(NodeURLs)).
	Threshold int
	// NodeTimeout bounds each HTTP request (0 = DefaultNodeTimeout).
	NodeTimeout time.Duration
	// CallTimeout bounds each call across nodes (0 = DefaultCallTimeout).
	CallTimeout time.Duration
}

// LocalhostNetwork is the SDK's "localhost" network: ten nodes on
// http://localhost:7470 ... http://localhost:7479, threshold 6.
func LocalhostNetwork() Network {
	urls := make([]string, 10)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://localhost:%d", 7470+i)
	}
	return Network{Name: "localhost", NodeURLs: urls, Threshold: DefaultThreshold}
}

// withDefaults validates n and fills zero fields.
func (n Network) withDefaults() (Network, error) {
	if len(n.NodeURLs) == 0 {
		return n, fmt.Errorf("lit: network: no node URLs: %w", ErrInvalidParams)
	}
	seen := map[string]bool{}
	urls := make([]string, len(n.NodeURLs))
	for i, raw := range n.NodeURLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return n, fmt.Errorf("lit: network: node URL %q must be http(s)://host[:port]: %w", raw, ErrInvalidParams)
		}
		s := strings.TrimSuffix(raw, "/")
		if seen[s] {
			return n, fmt.Errorf("lit: network: duplicate node URL %q: %w", raw, ErrInvalidParams)
		}
		seen[s] = true
		urls[i] = s
	}
	n.NodeURLs = urls
	if n.Threshold < 0 {
		return n, fmt.Errorf("lit: network: negative threshold: %w", ErrInvalidParams)
	}
	if n.Threshold == 0 {
		n.Threshold = DefaultThreshold
		if n.Threshold > len(urls) {
			n.Threshold = len(urls)
		}
	}
	if n.Threshold > len(urls) {
		return n, fmt.Errorf("lit: network: threshold %d exceeds %d nodes: %w", n.Threshold, len(urls), ErrInvalidParams)
	}
	if n.NodeTimeout < 0 || n.CallTimeout < 0 {
		return n, fmt.Errorf("lit: network: negative timeout: %w", ErrInvalidParams)
	}
	if n.NodeTimeout == 0 {
		n.NodeTimeout = DefaultNodeTimeout
	}
	if n.CallTimeout == 0 {
		n.CallTimeout = DefaultCallTimeout
	}
	if n.Name == "" {
		n.Name = "custom"
	}
	return n, nil
}
