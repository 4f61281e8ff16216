package devnet

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// nodeServer owns one node's listeners: Host:port, plus [::1]:port when
// the IPv6 loopback is available (Node.js may resolve localhost to ::1).
type nodeServer struct {
	node  *node
	host  string
	port  int
	url   string
	want6 bool

	mu  sync.Mutex
	srv *http.Server   // nil while stopped
	lns []net.Listener // srv's listeners
	on6 bool           // srv also listens on [::1]
}

// has6 reports whether the node currently listens on [::1] too.
func (s *nodeServer) has6() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.on6
}

// listenAll starts one server per node and builds each node's URL set.
func (n *Network) listenAll() error {
	n.servers = make([]*nodeServer, len(n.nodes))
	for i, nd := range n.nodes {
		port := 0
		switch {
		case len(n.cfg.Ports) > 0:
			port = n.cfg.Ports[i]
		case n.cfg.BasePort != 0:
			port = n.cfg.BasePort + i
		}
		s := &nodeServer{node: nd, host: n.cfg.Host, port: port, want6: isIPv4Loopback(n.cfg.Host)}
		n.servers[i] = s
		if err := s.start(n); err != nil {
			return fmt.Errorf("devnet: start node %d: %w", i, err)
		}
	}
	for i, f := range n.faults {
		if f.Down {
			n.servers[i].stop()
		}
	}
	return nil
}

// acceptedURLs is the set of nodeAddress values node i accepts.
func (n *Network) acceptedURLs(i int, url string, port int) []string {
	if i < len(n.cfg.AdvertiseURLs) && len(n.cfg.AdvertiseURLs[i]) > 0 {
		return append([]string(nil), n.cfg.AdvertiseURLs[i]...)
	}
	p := strconv.Itoa(port)
	urls := []string{"http://localhost:" + p, "http://127.0.0.1:" + p, "http://[::1]:" + p}
	if url != urls[1] {
		urls = append(urls, url)
	}
	return urls
}

// portNow is the node's port (fixed by its first start).
func (s *nodeServer) portNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

func isIPv4Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.To4() != nil && ip.IsLoopback()
}

// start listens (again) and serves. The first start fixes the port when it
// was 0.
func (s *nodeServer) start(n *Network) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.host, strconv.Itoa(s.port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	lns := []net.Listener{ln}
	s.on6 = false
	if s.want6 {
		// Best effort: the IPv6 loopback may be disabled, or the port taken.
		if ln6, err := net.Listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(s.port))); err == nil {
			lns = append(lns, ln6)
			s.on6 = true
		}
	}
	if s.url == "" {
		// First start: fix the node's URLs before it serves anything.
		s.url = "http://" + net.JoinHostPort(s.host, strconv.Itoa(s.port))
		s.node.urls = n.acceptedURLs(s.node.index, s.url, s.port)
	}
	srv := &http.Server{
		Handler:           s.node,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return n.baseCtx },
	}
	for _, l := range lns {
		n.wg.Go(func() { _ = srv.Serve(l) })
	}
	s.srv, s.lns = srv, lns
	return nil
}

// stop closes the listeners and every connection at once (a dead node).
func (s *nodeServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		_ = s.srv.Close()
		// Close the listeners too: a Serve goroutine that has not started
		// yet would leave its listener accepting (then resetting)
		// connections for a moment.
		for _, l := range s.lns {
			_ = l.Close()
		}
		s.srv, s.lns = nil, nil
	}
}

// shutdown stops accepting and waits for requests in flight until ctx is
// done; stop then closes whatever is left.
func (s *nodeServer) shutdown(ctx context.Context) {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Shutdown(ctx)
	}
}
