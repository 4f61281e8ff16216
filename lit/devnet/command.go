package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Announcement is the one JSON line RunCommand prints on stdout once every
// node listens. Protocol and Chain are set on Naga only (the v2 line is
// unchanged).
type Announcement struct {
	Protocol  string     `json:"protocol,omitempty"`
	Nodes     []string   `json:"nodes"`
	Threshold int        `json:"threshold"`
	PKPs      []PKP      `json:"pkps"`
	Chain     *ChainInfo `json:"chain,omitempty"`
	// AttestationRoots is the PEM file of the test chain that signs the
	// nodes' attestations (Naga with --attestation only).
	AttestationRoots string `json:"attestationRoots,omitempty"`
	// Actions are the files of --actions-dir, by the ipfsId that runs them.
	Actions []ServedAction `json:"actions,omitempty"`
}

// ServedAction is one action of --actions-dir.
type ServedAction struct {
	File   string `json:"file"`   // file name, e.g. "sign-hello.js"
	IPFSID string `json:"ipfsId"` // its CIDv0, for exec --ipfs
}

// ChainInfo is how to reach a Naga devnet's fake chain.
type ChainInfo struct {
	RPCURL    string         `json:"rpcUrl"`
	ChainID   uint64         `json:"chainId"`
	Contracts ChainContracts `json:"contracts"`
}

// ChainContracts are the contract addresses the fake chain serves.
type ChainContracts struct {
	Staking   string `json:"Staking"`
	PriceFeed string `json:"PriceFeed"`
	// Ledger holds the accounts' payment deposits (Ledger.balance).
	Ledger string `json:"Ledger,omitempty"`
}

// Announcement describes the running network as RunCommand prints it.
func (n *Network) Announcement() Announcement {
	a := Announcement{Nodes: n.NodeURLs(), Threshold: n.Threshold(), PKPs: n.PKPs()}
	for _, e := range n.actions.Entries() {
		a.Actions = append(a.Actions, ServedAction{File: e.Name, IPFSID: e.CID})
	}
	if n.cfg.Protocol == ProtocolNaga {
		a.Protocol = ProtocolNaga
		a.Chain = n.Chain()
		a.AttestationRoots = n.AttestationRoots()
	}
	return a
}

// RunCommand is `litsigner devnet`: it parses args, starts the network,
// prints the Announcement as one JSON line on stdout, and serves until ctx
// is done (the caller cancels it on SIGINT/SIGTERM), then shuts down
// gracefully. Usage errors wrap ErrBadConfig; -h returns flag.ErrHelp.
func RunCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := ParseFlags(args, stderr)
	if err != nil {
		return err
	}
	n, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	return announceAndServe(ctx, n, stdout, stderr)
}

// RunProcessCommand is RunCommand with the network in a supervised child
// process under a memory cap (StartProcess), so that Lit Actions cannot
// swell or crash the command itself; child is the argv that makes this
// program call RunChild. The child is restarted on the same ports if it
// dies.
func RunProcessCommand(ctx context.Context, args, child []string, stdout, stderr io.Writer) error {
	cfg, err := ParseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	p, err := StartProcess(ctx, ProcessOptions{Command: child, Config: cfg, Log: log})
	if err != nil {
		return err
	}
	defer p.Close()
	return announceAndServe(ctx, p, stdout, stderr)
}

// running is a started devnet, in this process or a child.
type running interface {
	Announcement() Announcement
	Close() error
}

// announceAndServe prints the announcement and serves until ctx is done.
func announceAndServe(ctx context.Context, n running, stdout, stderr io.Writer) error {
	a := n.Announcement()
	line, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("devnet: announce: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return fmt.Errorf("devnet: announce: %w", err)
	}
	protocol, chain := ProtocolV2, ""
	if a.Protocol != "" {
		protocol = a.Protocol
	}
	if a.Chain != nil {
		chain = ", Naga chain " + a.Chain.RPCURL
	}
	if a.AttestationRoots != "" {
		chain += ", attestation roots " + a.AttestationRoots
	}
	fmt.Fprintf(stderr, "devnet: %s, %d nodes, threshold %d%s, serving until interrupted (simulation with a trusted dealer: never use its keys for value)\n",
		protocol, len(a.Nodes), a.Threshold, chain)
	for _, act := range a.Actions {
		fmt.Fprintf(stderr, "devnet: serving %s as ipfsId %s (litsigner exec --ipfs %s)\n", act.File, act.IPFSID, act.IPFSID)
	}
	<-ctx.Done()
	if err := n.Close(); err != nil {
		return fmt.Errorf("devnet: shut down: %w", err)
	}
	return nil
}

// ParseFlags turns the devnet command line into a Config. Flags:
// --protocol (v2 or naga), --nodes, --threshold, --host, --port (0: random
// ports), --seed, --pkps, --actions-dir, --action-timeout, --action-memory
// (e.g. 256MiB), the fault knobs
// --slow 2=2s,3=500ms, --down 4, --wrong-share 5, --malformed 6, --http500 7
// (node indexes, comma-separated), and for Naga --chain-port (default 8545,
// 0: a random port), --prices 1000,1200,… (one per node),
// --refuse-payment 8, --balance WEI (every account's Ledger deposit),
// --attestation and --attestation-bad 2,3.
func ParseFlags(args []string, stderr io.Writer) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("litsigner devnet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: litsigner devnet [flags]\n\nRuns a local Lit-compatible network in the foreground; prints one JSON line\n(nodes, threshold, PKPs, served actions) on stdout, then serves until interrupted.\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Protocol, "protocol", ProtocolV2, "node API: v2 (JS SDK 2.2.x) or naga (JS SDK 8.x, with a fake chain)")
	fs.IntVar(&cfg.Nodes, "nodes", DefaultNodes, "number of nodes")
	fs.IntVar(&cfg.Threshold, "threshold", 0, "signature shares needed (default 2/3 of the nodes: 6 of 10)")
	fs.StringVar(&cfg.Host, "host", DefaultHost, "IPv4 loopback address to listen on ([::1] is added when available)")
	fs.IntVar(&cfg.BasePort, "port", DefaultBasePort, "port of node 0; node i listens on port+i (0: random free ports)")
	fs.StringVar(&cfg.Seed, "seed", "", "make PKP keys and nonces deterministic (empty: random)")
	fs.IntVar(&cfg.PKPs, "pkps", DefaultPKPs, "number of PKP keys")
	fs.StringVar(&cfg.ActionsDir, "actions-dir", "", "directory of *.js actions served by their CIDv0 (ipfsId)")
	fs.DurationVar(&cfg.ActionTimeout, "action-timeout", 0, "wall-clock limit of one action (0: runtime default)")
	fs.Func("action-memory", "memory limit of one action run, e.g. 256MiB or 64MB (default 256MiB)", func(v string) error {
		n, err := parseSize(v)
		if err != nil {
			return err
		}
		cfg.ActionMemory = n
		return nil
	})
	fs.IntVar(&cfg.ChainPort, "chain-port", DefaultChainPort, "naga: port of the fake chain's JSON-RPC (0: a random free port)")
	fs.Func("prices", "naga: per-node prices in wei, comma-separated, one per node (default: distinct prices from 1000)", func(v string) error {
		cfg.Prices = nil
		for _, item := range strings.Split(v, ",") {
			p, err := strconv.ParseUint(strings.TrimSpace(item), 10, 64)
			if err != nil {
				return fmt.Errorf("bad price %q", item)
			}
			cfg.Prices = append(cfg.Prices, p)
		}
		return nil
	})
	fs.Func("balance", "naga: every account's Ledger deposit in wei, decimal (default 10^24)", func(v string) error {
		b, ok := new(big.Int).SetString(strings.TrimSpace(v), 10)
		if !ok || !fitsInt256(b) {
			return fmt.Errorf("bad balance %q: want a decimal number of wei within int256", v)
		}
		cfg.Balance = b
		return nil
	})
	fs.BoolVar(&cfg.Attestation, "attestation", false, "naga: nodes attach SEV-SNP attestations from a test authority (its roots file is the JSON line's attestationRoots)")
	fs.Func("attestation-bad", "naga: nodes whose attestations fail, e.g. 2,3 (wrong challenge, wrong address, broken signature, in turn)", func(v string) error {
		idx, err := parseIndexes(v)
		cfg.AttestationBad, cfg.Attestation = idx, true
		return err
	})
	faults := map[int]Fault{}
	set := func(name, usage string, apply func(*Fault)) {
		fs.Func(name, usage, func(v string) error {
			idx, err := parseIndexes(v)
			if err != nil {
				return err
			}
			for _, i := range idx {
				f := faults[i]
				apply(&f)
				faults[i] = f
			}
			return nil
		})
	}
	fs.Func("slow", "per-node added latency, e.g. 2=2s,3=500ms", func(v string) error {
		for _, item := range strings.Split(v, ",") {
			k, d, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok {
				return fmt.Errorf("want node=duration, got %q", item)
			}
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 {
				return fmt.Errorf("bad node index %q", k)
			}
			lat, err := time.ParseDuration(d)
			if err != nil || lat < 0 {
				return fmt.Errorf("bad duration %q", d)
			}
			f := faults[i]
			f.Latency = lat
			faults[i] = f
		}
		return nil
	})
	set("down", "nodes that refuse connections, e.g. 4 or 4,5", func(f *Fault) { f.Down = true })
	set("wrong-share", "nodes that return a garbage signature share", func(f *Fault) { f.WrongShare = true })
	set("malformed", "nodes that answer with invalid JSON", func(f *Fault) { f.Malformed = true })
	set("http500", "nodes that answer HTTP 500", func(f *Fault) { f.HTTP500 = true })
	set("refuse-payment", "naga: nodes that refuse every request for payment", func(f *Fault) { f.RefusePayment = true })
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	// The protocol first: the other checks depend on it.
	if cfg.Protocol != ProtocolV2 && cfg.Protocol != ProtocolNaga {
		return cfg, fmt.Errorf("%w: --protocol %q: want %s or %s", ErrBadConfig, cfg.Protocol, ProtocolV2, ProtocolNaga)
	}
	// The nodes sign with test keys for anyone who reaches them.
	if addr, err := netip.ParseAddr(cfg.Host); err != nil || !addr.Is4() || !addr.IsLoopback() {
		return cfg, fmt.Errorf("%w: --host %q: want an IPv4 loopback address such as 127.0.0.1 (the devnet's keys sign for anyone who reaches it)", ErrBadConfig, cfg.Host)
	}
	if cfg.ActionsDir != "" {
		if fi, err := os.Stat(cfg.ActionsDir); err != nil {
			return cfg, fmt.Errorf("%w: --actions-dir: %v", ErrBadConfig, err)
		} else if !fi.IsDir() {
			return cfg, fmt.Errorf("%w: --actions-dir: %s is not a directory", ErrBadConfig, cfg.ActionsDir)
		}
	}
	if cfg.Protocol != ProtocolNaga {
		chainSet := false
		fs.Visit(func(f *flag.Flag) { chainSet = chainSet || f.Name == "chain-port" })
		if chainSet {
			return cfg, fmt.Errorf("%w: --chain-port needs --protocol naga", ErrBadConfig)
		}
		if cfg.Balance != nil {
			return cfg, fmt.Errorf("%w: --balance needs --protocol naga", ErrBadConfig)
		}
		cfg.ChainPort = 0
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: unexpected argument %q", ErrBadConfig, fs.Arg(0))
	}
	if cfg.Nodes < 1 || cfg.PKPs < 1 || cfg.Threshold < 0 {
		return cfg, fmt.Errorf("%w: --nodes and --pkps must be positive, --threshold non-negative", ErrBadConfig)
	}
	if len(faults) > 0 {
		cfg.Faults = faults
	}
	return cfg, nil
}

func parseIndexes(v string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(v, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || i < 0 {
			return nil, fmt.Errorf("bad node index %q", s)
		}
		out = append(out, i)
	}
	return out, nil
}

// parseSize reads a byte count: a number with an optional unit B, KB, MB,
// GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
func parseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q: want a positive number of bytes, e.g. 256MiB", v)
	}
	return n * mult, nil
}
