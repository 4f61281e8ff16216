package devnet

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/litsigner/litsigner/lit/devnet/action"
)

// Running the devnet in a child process.
//
// A Lit Action can allocate faster than the action runtime's watchdog can
// stop it: one VM instruction (s += s) doubles a string, and one built-in
// call (JSON.stringify of a shared object graph) grows without returning to
// the VM; and a Go process that cannot get memory aborts. A program that
// must survive hostile actions (litsignerd --dev holds a session key)
// therefore runs the devnet as a child process of its own binary. The child
// caps its own data segment (RLIMIT_DATA), so it dies rather than swells;
// the parent sees it die and starts another on the same ports. The child is
// a fresh exec: it shares no memory with the parent and gets an empty
// environment; its only input is the devnet configuration.

// DefaultProcessMemory is the child's default address-space cap
// (RLIMIT_DATA): room for the action runtime's shared budget and the GC's
// headroom, and with a parent of some tens of MB still under 1 GiB resident.
const DefaultProcessMemory = 640 << 20

// childStartTimeout bounds a child's start, up to its announcement.
const childStartTimeout = 30 * time.Second

// ProcessOptions describe a devnet child process.
type ProcessOptions struct {
	// Command is the child's argv: a program whose main calls RunChild when
	// given these arguments (usually the running binary with a hidden
	// subcommand).
	Command []string
	// Config is the devnet's configuration. Now cannot cross a process
	// boundary and must be nil.
	Config Config
	// MemoryLimit caps the child's data segment, in bytes (default
	// DefaultProcessMemory, or more when Config.ActionMemory needs it).
	MemoryLimit int64
	// Log receives the child's stderr (at debug level) and its deaths.
	Log *slog.Logger
}

// childConfig is what the parent writes as the first line of the child's
// stdin: the whole Config (every field JSON can carry), and the memory cap.
type childConfig struct {
	Config
	// Now hides Config.Now, a function JSON cannot carry: the child keeps
	// its own clock.
	Now         *struct{} `json:"Now,omitempty"`
	MemoryLimit int64     `json:"memoryLimit"`
}

// Process is a devnet running in a supervised child process. Its methods
// are safe for concurrent use.
type Process struct {
	command []string
	log     *slog.Logger
	ann     Announcement
	cfg     childConfig // Ports fixed after the first start

	mu       sync.Mutex
	child    *child
	up       chan struct{} // closed while a child runs (see WaitUp)
	closing  bool
	restarts int
	deadPeak int64 // largest peak RSS of the children that exited
	// rootsDir holds the attestation roots file every child writes (one
	// path across restarts); Close removes it.
	rootsDir string

	stop chan struct{} // closed by Close
	done chan struct{} // closed when the supervisor returns
}

// StartProcess starts the devnet child and waits for its nodes to listen.
// The child is restarted on the same ports whenever it dies, until Close.
func StartProcess(ctx context.Context, opts ProcessOptions) (*Process, error) {
	cfg := opts.Config
	if cfg.Now != nil {
		return nil, fmt.Errorf("%w: a devnet process keeps its own clock (Now must be nil)", ErrBadConfig)
	}
	if len(opts.Command) == 0 {
		return nil, fmt.Errorf("%w: no command for the devnet process", ErrBadConfig)
	}
	if _, err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	limit := opts.MemoryLimit
	if limit == 0 {
		// Room for one run at its limit beside the shared budget.
		limit = max(DefaultProcessMemory, 2*cfg.ActionMemory+128<<20)
	}
	if limit < 64<<20 {
		return nil, fmt.Errorf("%w: devnet process memory limit %d bytes is below 64 MiB", ErrBadConfig, limit)
	}
	if cfg.Seed == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("devnet process: seed: %w", err)
		}
		cfg.Seed = hex.EncodeToString(b[:])
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var rootsDir string
	if cfg.Attestation && cfg.AttestationRootsFile == "" {
		// A killed child cannot clean up, and its successor must announce
		// the same path: the parent owns the file.
		var err error
		if rootsDir, err = newRootsDir(); err != nil {
			return nil, err
		}
		cfg.AttestationRootsFile = filepath.Join(rootsDir, "roots.pem")
	}
	p := &Process{
		command:  opts.Command,
		log:      log,
		cfg:      childConfig{Config: cfg, MemoryLimit: limit},
		rootsDir: rootsDir,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	c, ann, err := p.spawn(ctx)
	if err != nil {
		p.removeRoots()
		return nil, err
	}
	ports, err := announcedPorts(ann)
	if err != nil {
		c.kill()
		p.removeRoots()
		return nil, err
	}
	p.ann, p.cfg.Ports, p.child = ann, ports, c
	p.up = make(chan struct{})
	close(p.up)
	if ann.Chain != nil {
		// A restarted Naga devnet serves its chain on the same port.
		if p.cfg.ChainPort, err = urlPort(ann.Chain.RPCURL); err != nil {
			c.kill()
			p.removeRoots()
			return nil, err
		}
	}
	go p.supervise(c)
	return p, nil
}

// Announcement describes the network as the child announced it; it stays
// the same across restarts.
func (p *Process) Announcement() Announcement {
	a := p.ann
	a.Nodes = append([]string(nil), a.Nodes...)
	a.PKPs = append([]PKP(nil), a.PKPs...)
	return a
}

// NodeURLs returns each node's base URL, in node order. They stay the same
// across restarts.
func (p *Process) NodeURLs() []string { return append([]string(nil), p.ann.Nodes...) }

// Threshold is the number of signature shares a signature needs.
func (p *Process) Threshold() int { return p.ann.Threshold }

// PKPs returns the public descriptions of the network's PKP keys. They are
// the same after a restart: the keys come from the seed (StartProcess
// draws a random one when the Config has none).
func (p *Process) PKPs() []PKP { return append([]PKP(nil), p.ann.PKPs...) }

// Restarts is how many times the child died and was started again.
func (p *Process) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// ErrProcessClosed is returned by WaitUp once the Process is closed.
var ErrProcessClosed = errors.New("devnet process: closed")

// WaitUp returns when a child is running: at once, unless the last one died
// and the next one is not listening yet (a restart takes 100 ms or more).
// It fails with ErrProcessClosed once p is closed, or with ctx's cause.
func (p *Process) WaitUp(ctx context.Context) error {
	p.mu.Lock()
	up := p.up
	p.mu.Unlock()
	select {
	case <-up:
		return nil
	default:
	}
	select {
	case <-up:
		return nil
	case <-p.done:
		return ErrProcessClosed
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// PID is the current child's process id (0 between a death and a restart).
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.child == nil {
		return 0
	}
	return p.child.cmd.Process.Pid
}

// PeakRSS is the largest peak resident set of any child so far, in bytes:
// the exited ones' from wait4, the running one's VmHWM.
func (p *Process) PeakRSS() int64 {
	p.mu.Lock()
	peak, c := p.deadPeak, p.child
	p.mu.Unlock()
	if c != nil {
		if hwm, err := ProcPeakRSS(c.cmd.Process.Pid); err == nil {
			peak = max(peak, hwm)
		}
	}
	return peak
}

// ProcPeakRSS reads a process's peak resident set (VmHWM in
// /proc/PID/status), in bytes.
func ProcPeakRSS(pid int) (int64, error) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM of %d: %q: %w", pid, rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// Close stops the child: it closes the child's stdin, which makes it shut
// down gracefully, and kills it if it has not exited in time. It is safe to
// call more than once.
func (p *Process) Close() error {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		<-p.done
		return nil
	}
	p.closing = true
	c := p.child
	p.mu.Unlock()
	close(p.stop)
	if c != nil {
		_ = c.stdin.Close()
		select {
		case <-c.exited:
		case <-time.After(shutdownTimeout + 2*time.Second):
			c.kill()
		}
	}
	<-p.done
	p.removeRoots()
	return nil
}

// removeRoots deletes the attestation roots the parent made room for.
func (p *Process) removeRoots() {
	if p.rootsDir != "" {
		_ = os.RemoveAll(p.rootsDir)
	}
}

// supervise restarts the child whenever it dies, until Close.
func (p *Process) supervise(c *child) {
	defer close(p.done)
	backoff := 100 * time.Millisecond
	for {
		<-c.exited
		p.mu.Lock()
		closing := p.closing
		p.child = nil
		p.up = make(chan struct{})
		p.deadPeak = max(p.deadPeak, c.peakRSS)
		if !closing {
			p.restarts++
		}
		p.mu.Unlock()
		if closing {
			return
		}
		p.log.Error("devnet process died; starting another on the same ports",
			"pid", c.cmd.Process.Pid, "err", c.waitErr, "cause", c.stderr.fatal(), "peakRSSMiB", c.peakRSS>>20)
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(backoff):
			}
			next, ann, err := p.spawn(context.Background())
			if err == nil && !sameNodes(ann, p.ann) {
				next.kill()
				err = fmt.Errorf("the new devnet process announced %v, not %v", ann.Nodes, p.ann.Nodes)
			}
			if err != nil {
				p.log.Error("devnet process: restart failed", "err", err)
				backoff = min(2*backoff, 5*time.Second)
				continue
			}
			p.mu.Lock()
			if p.closing {
				p.mu.Unlock()
				_ = next.stdin.Close()
				next.kill()
				<-next.exited
				return
			}
			p.child = next
			close(p.up)
			p.mu.Unlock()
			c, backoff = next, 100*time.Millisecond
			break
		}
	}
}

// child is one incarnation of the devnet process.
type child struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stderr  *stderrLog
	exited  chan struct{} // closed once Wait returned
	waitErr error         // set before exited closes
	peakRSS int64         // set before exited closes: the child's peak resident set, bytes
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// spawn starts one child and waits for its announcement.
func (p *Process) spawn(ctx context.Context) (*child, Announcement, error) {
	var ann Announcement
	conf, err := json.Marshal(p.cfg)
	if err != nil {
		return nil, ann, fmt.Errorf("devnet process: %w", err)
	}
	cmd := exec.Command(p.command[0], p.command[1:]...)
	cmd.Env = []string{} // nothing of the parent's environment
	// Its own process group: a Ctrl-C meant for the parent does not cut the
	// devnet from under a graceful stop. Pdeathsig kills it with the parent
	// even when the parent cannot close its stdin (SIGKILL).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, ann, fmt.Errorf("devnet process: %w", err)
	}
	first := &firstLine{got: make(chan []byte, 1)}
	cmd.Stdout = first
	errLog := &stderrLog{log: p.log}
	cmd.Stderr = errLog
	if err := cmd.Start(); err != nil {
		return nil, ann, fmt.Errorf("devnet process: start %s: %w", p.command[0], err)
	}
	c := &child{cmd: cmd, stdin: stdin, stderr: errLog, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			c.peakRSS = ru.Maxrss << 10 // Linux reports KiB
		}
		close(c.exited)
	}()
	fail := func(err error) (*child, Announcement, error) {
		_ = stdin.Close()
		c.kill()
		if f := errLog.fatal(); f != "" {
			err = fmt.Errorf("%w (%s)", err, f)
		}
		return nil, ann, fmt.Errorf("devnet process: %w", err)
	}
	if _, err := stdin.Write(append(conf, '\n')); err != nil {
		return fail(fmt.Errorf("send configuration: %w", err))
	}
	timer := time.NewTimer(childStartTimeout)
	defer timer.Stop()
	select {
	case line := <-first.got:
		if err := json.Unmarshal(line, &ann); err != nil || len(ann.Nodes) == 0 {
			return fail(fmt.Errorf("bad announcement %q", truncate(string(line), 200)))
		}
		return c, ann, nil
	case <-c.exited:
		return fail(fmt.Errorf("exited before its nodes listened: %v", c.waitErr))
	case <-timer.C:
		return fail(errors.New("no announcement in time"))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

func announcedPorts(a Announcement) ([]int, error) {
	ports := make([]int, len(a.Nodes))
	for i, u := range a.Nodes {
		var err error
		if ports[i], err = urlPort(u); err != nil {
			return nil, err
		}
	}
	return ports, nil
}

// urlPort is the port of an announced URL.
func urlPort(u string) (int, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return 0, fmt.Errorf("devnet process: URL %q: %w", u, err)
	}
	port, err := strconv.Atoi(pu.Port())
	if err != nil {
		return 0, fmt.Errorf("devnet process: URL %q has no port", u)
	}
	return port, nil
}

// sameNodes reports whether a restarted child serves what the first one
// announced.
func sameNodes(a, b Announcement) bool {
	if !slices.Equal(a.Nodes, b.Nodes) || (a.Chain == nil) != (b.Chain == nil) {
		return false
	}
	return a.Chain == nil || a.Chain.RPCURL == b.Chain.RPCURL
}

// firstLine is the child's stdout: it hands over the first line (the
// announcement) and discards the rest.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	done bool
	got  chan []byte
}

func (f *firstLine) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return len(b), nil
	}
	if len(f.buf)+len(b) > 1<<20 {
		f.done = true // no announcement is that long
		f.got <- f.buf
		return len(b), nil
	}
	f.buf = append(f.buf, b...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
		f.done = true
		f.got <- f.buf[:i]
	}
	return len(b), nil
}

// stderrLog passes the child's stderr to the log line by line and keeps
// the Go runtime's "fatal error" line, the cause of a crash.
type stderrLog struct {
	log     *slog.Logger
	mu      sync.Mutex
	partial []byte
	last    string
}

func (s *stderrLog) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = append(s.partial, b...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		line := string(s.partial[:i])
		s.partial = s.partial[i+1:]
		if s.last == "" && (strings.HasPrefix(line, "fatal error") || strings.HasPrefix(line, "runtime: out of memory") ||
			strings.Contains(line, childErrorMark)) {
			s.last = line
		}
		s.log.Debug("devnet process", "stderr", truncate(line, 500))
	}
	if len(s.partial) > 64<<10 {
		s.partial = s.partial[:0]
	}
	return len(b), nil
}

// childErrorMark begins every error RunChild returns, which the child's
// main prints before it exits: the parent reports that line as the cause.
const childErrorMark = "devnet child: "

func (s *stderrLog) fatal() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// RunChild is the devnet child's main: it reads its configuration from the
// first line of stdin, caps its own memory, starts the devnet, prints the
// Announcement on stdout and serves until stdin reaches its end (the
// parent closed it, or died) or ctx is done. Its errors begin with
// childErrorMark ("devnet child: "): printed on stderr, the parent reports
// that line as the reason the child ended.
func RunChild(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	if err := runChild(ctx, stdin, stdout); err != nil {
		return fmt.Errorf("%s%w", childErrorMark, err)
	}
	return nil
}

// runChild is RunChild without the mark on its errors.
func runChild(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	br := bufio.NewReader(stdin)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	var cc childConfig
	if err := json.Unmarshal(line, &cc); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if err := limitMemory(cc.MemoryLimit); err != nil {
		return err
	}
	// A larger per-run limit than the default budget widens the budget, so
	// that one run can reach its own limit.
	action.SetMemoryBudget(max(action.DefaultMemoryBudget, cc.ActionMemory))
	// An action stuck in a built-in call that nothing could stop goes on
	// burning CPU (and memory) for good: this process exits, and the
	// supervisor starts a fresh devnet. The call itself already failed
	// with ErrTimeout; the calls still in flight fail as the connection
	// drops.
	action.SetStuckHandler(func(d time.Duration) {
		// childErrorMark: the supervisor reports this line as the cause.
		fmt.Fprintf(os.Stderr, "%san action abandoned at its deadline is still running %v later (stuck in a built-in call); exiting to be restarted\n", childErrorMark, d)
		os.Exit(3)
	})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, br)
		cancel()
	}()
	n, err := Start(ctx, cc.Config)
	if err != nil {
		return err
	}
	defer n.Close()
	out, err := json.Marshal(n.Announcement())
	if err != nil {
		return fmt.Errorf("announce: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", out); err != nil {
		return fmt.Errorf("announce: %w", err)
	}
	<-ctx.Done()
	if err := n.Close(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	return nil
}

// limitMemory caps the process's data segment at limit bytes, past which
// the Go runtime aborts it, and sets the GC's soft limit below that so that
// garbage is collected before the cap is near. It also paces the GC for
// the devnet's small live heap (see startGCTuner).
func limitMemory(limit int64) error {
	if limit <= 0 {
		return fmt.Errorf("no memory limit given")
	}
	rl := syscall.Rlimit{Cur: uint64(limit), Max: uint64(limit)}
	if err := syscall.Setrlimit(syscall.RLIMIT_DATA, &rl); err != nil {
		return fmt.Errorf("limit memory to %d bytes: %w", limit, err)
	}
	debug.SetMemoryLimit(limit * 3 / 4)
	startGCTuner()
	return nil
}
