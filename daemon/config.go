package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/lit"
)

// Duration is a time.Duration written as a Go duration string ("24h", "90s")
// in the config file.
type Duration time.Duration

// UnmarshalJSON parses "24h"-style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`want a duration string such as "24h" or "90s"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// Config is the daemon's configuration: defaults, then the JSON config file,
// then command-line flags. JSON keys are the `json` tags.
type Config struct {
	// Network is "localhost" (the Lit v2 localhost network, the default),
	// "custom" (v2, NodeURLs required) or a Naga network: "naga-dev",
	// "naga-local", and "naga-test", "naga-staging", "naga", whose nodes'
	// SEV-SNP attestations are verified. With --dev, "naga-local" runs a
	// Naga devnet, "localhost" or "custom" a v2 one.
	Network string `json:"network"`
	// NodeURLs overrides a v2 network's node list (Naga reads its nodes
	// from the chain).
	NodeURLs []string `json:"nodeUrls"`
	// Threshold is how many nodes must answer (0 = the network's default;
	// v2 only, Naga's comes from the chain).
	Threshold int `json:"threshold"`
	// RPCURL, StakingAddress, PriceFeedAddress and LedgerAddress override
	// a Naga network's chain JSON-RPC URL and contract addresses (the
	// Ledger holds the account's payment deposit that lit_networkStatus
	// shows).
	RPCURL           string `json:"rpcUrl"`
	StakingAddress   string `json:"stakingAddress"`
	PriceFeedAddress string `json:"priceFeedAddress"`
	LedgerAddress    string `json:"ledgerAddress"`
	// MaxPrice is the most one Naga call may cost, in wei, as a decimal or
	// 0x hex string ("" = the SDK's default, 2^128-1).
	MaxPrice string `json:"maxPrice"`
	// RequireAttestation verifies the nodes' SEV-SNP attestations on a
	// Naga network that does not require it (naga-local, naga-dev);
	// naga-test, naga-staging and naga always do.
	RequireAttestation bool `json:"requireAttestation"`
	// AttestationRoots is a PEM file (ARK, ASK, VCEK) that replaces AMD's
	// roots, as `litsigner devnet --protocol naga --attestation` writes it:
	// tests only, naga-local only, with requireAttestation.
	AttestationRoots string `json:"attestationRoots"`
	// NodeTimeout bounds one node request; CallTimeout one whole call.
	NodeTimeout Duration `json:"nodeTimeout"`
	CallTimeout Duration `json:"callTimeout"`
	// Device selects the hardware wallet by hwwallet id ("" = the first one
	// found, e.g. "ledger:<usb path>", "emulator:ledger", or an emulator on
	// the network, "speculos:HOST:PORT" / "trezor-udp:HOST:PORT").
	Device string `json:"device"`
	// DerivationPath is the account's BIP-32 path.
	DerivationPath string `json:"derivationPath"`
	// TrezorSafetyChecks is "strict" (the device's default: it refuses a
	// non-standard derivationPath) or "prompt": before each approval a
	// Trezor is asked, once per power-up and confirmed on the device, to
	// warn about such paths instead (ApplySettings PromptTemporarily).
	TrezorSafetyChecks string `json:"trezorSafetyChecks"`
	// SIWEDomain and SIWEStatement go into the SIWE message shown on the device.
	SIWEDomain    string `json:"siweDomain"`
	SIWEStatement string `json:"siweStatement"`
	// ChainID is the SIWE chain id (default 1). The socket's eth_chainId
	// reports the Lit network's chain instead (see SocketChainID).
	ChainID int `json:"chainId"`
	// SessionTTL is the session lifetime; RenewMargin how long before expiry a
	// call triggers a new approval; ApprovalTimeout how long to wait for the
	// user on the device.
	SessionTTL      Duration `json:"sessionTtl"`
	RenewMargin     Duration `json:"renewMargin"`
	ApprovalTimeout Duration `json:"approvalTimeout"`
	// AllowedUIDs are uids besides the daemon's own that may connect.
	AllowedUIDs []int `json:"allowedUids"`
	// CapabilityIPFSIDs narrows the session to these actions (empty = all).
	CapabilityIPFSIDs []string `json:"capabilityIpfsIds"`
	// Socket is the socket path ("" = ipc.DefaultSocketPath:
	// $XDG_RUNTIME_DIR/litsigner/litsigner.sock; ignored under socket activation).
	Socket string `json:"socket"`
	// MaxRequestBytes caps one JSON-RPC request.
	MaxRequestBytes int `json:"maxRequestBytes"`
	// AllowUnlockedMemory runs even when mlock fails (the key may be swapped).
	AllowUnlockedMemory bool `json:"allowUnlockedMemory"`
	// Notifications turns desktop notifications on or off.
	Notifications *bool `json:"notifications"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"logLevel"`
	// Dev runs a devnet (a child process) and an emulated Ledger: a Naga
	// devnet and its chain for network naga-local, a v2 devnet otherwise.
	// DevPort is the devnet's first port (0 = random ports, the Naga chain's
	// too; otherwise the chain listens on 8545).
	Dev     bool `json:"dev"`
	DevPort int  `json:"devPort"`

	// origin maps a key to where its value came from: the config file's
	// path or the flag ("--ttl"); a key not in it has its default.
	origin map[string]string
}

// setOrigin records that key's value came from source.
func (c *Config) setOrigin(key, source string) {
	if c.origin == nil {
		c.origin = make(map[string]string)
	}
	c.origin[key] = source
}

// errorf is a *ConfigError for key, naming where its value came from.
func (c *Config) errorf(key, format string, args ...any) error {
	return &ConfigError{Source: c.origin[key], Key: key, Err: fmt.Errorf(format, args...)}
}

// DefaultConfig returns the built-in defaults.
func DefaultConfig() Config {
	on := true
	return Config{
		Network:         "localhost",
		DerivationPath:  "m/44'/60'/0'/0/0",
		SIWEDomain:      "localhost",
		SIWEStatement:   "Authorize litsignerd to run Lit Actions with this session key.",
		ChainID:         1,
		SessionTTL:      Duration(24 * time.Hour),
		RenewMargin:     Duration(5 * time.Minute),
		ApprovalTimeout: Duration(2 * time.Minute),
		MaxRequestBytes: 4 << 20,
		Notifications:   &on,
		LogLevel:        "info",
		DevPort:         7470,

		TrezorSafetyChecks: "strict",
	}
}

// ConfigError names the offending key and where its value came from.
type ConfigError struct {
	// Source is the config file's path, the flag ("--ttl"), or "" for a
	// default value.
	Source string
	Key    string // the config file key
	Err    error
}

// Error names the source, the key and the reason: `config FILE: "key":
// reason`, `flag --ttl: "sessionTtl": reason`, or `config: "key": reason`
// for a default value.
func (e *ConfigError) Error() string {
	switch {
	case strings.HasPrefix(e.Source, "--"):
		return fmt.Sprintf("flag %s: %q: %v", e.Source, e.Key, e.Err)
	case e.Source == "":
		return fmt.Sprintf("config: %q: %v", e.Key, e.Err)
	case e.Key == "":
		return fmt.Sprintf("config %s: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("config %s: %q: %v", e.Source, e.Key, e.Err)
}

// Unwrap returns the reason.
func (e *ConfigError) Unwrap() error { return e.Err }

// defaultConfigPath is $XDG_CONFIG_HOME/litsigner/config.json (or
// ~/.config/litsigner/config.json).
func defaultConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "litsigner", "config.json")
}

// loadConfigFile overlays the JSON file at path onto c. A missing file is
// not an error when optional is set.
func loadConfigFile(c *Config, path string, optional bool) error {
	f, err := os.Open(path)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return &ConfigError{Source: path, Err: err}
	}
	defer f.Close()
	if err := checkConfigPerms(f, path); err != nil {
		return &ConfigError{Source: path, Err: err}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return &ConfigError{Source: path, Err: err}
	}
	return decodeConfig(c, path, data)
}

// checkConfigPerms refuses a config file that someone else could have
// written, as ssh does: the file names the device, the socket and the uids
// allowed to connect. The file must be the user's (or root's) and not
// writable by group or others, in a directory others cannot write (unless
// sticky, like /tmp, where they cannot replace it).
func checkConfigPerms(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("owned by uid %d, not by you (uid %d) or root", st.Uid, os.Getuid())
	}
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return fmt.Errorf("mode %04o: writable by group or others (chmod go-w %s)", m, path)
	}
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if m := di.Mode(); m.Perm()&0o002 != 0 && m&os.ModeSticky == 0 {
		return fmt.Errorf("its directory %s (mode %04o) is writable by others (chmod o-w %s)", dir, m.Perm(), dir)
	}
	return nil
}

// decodeConfig overlays the JSON object data onto c; errors name source.
func decodeConfig(c *Config, path string, data []byte) error {
	// Decode key by key so that every error, including one from a
	// Duration's own parser, names its key.
	raw, err := configObject(path, data)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, err := json.Marshal(map[string]json.RawMessage{k: raw[k]})
		if err != nil {
			return &ConfigError{Source: path, Key: k, Err: err}
		}
		dec := json.NewDecoder(bytes.NewReader(one))
		dec.DisallowUnknownFields()
		if err := dec.Decode(c); err != nil {
			return &ConfigError{Source: path, Key: k, Err: jsonErrorReason(err)}
		}
		c.setOrigin(k, path)
	}
	return nil
}

// configObject reads the top-level JSON object of data, refusing a key
// that is not exactly a Config key (encoding/json would match "NETWORK" to
// "network") and a key given twice (encoding/json keeps the last).
func configObject(path string, data []byte) (map[string]json.RawMessage, error) {
	notObject := func(err error) error {
		return &ConfigError{Source: path, Err: fmt.Errorf("not a JSON object: %w", err)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil {
		return nil, notObject(err)
	} else if tok != json.Delim('{') {
		return nil, notObject(fmt.Errorf("starts with %v", tok))
	}
	raw := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, notObject(err)
		}
		k := tok.(string) // inside an object, Token returns keys as strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, notObject(err)
		}
		if !configKeys[k] {
			if want := configKeyFold(k); want != "" {
				return nil, &ConfigError{Source: path, Key: k, Err: fmt.Errorf("unknown key (keys are case-sensitive: did you mean %q?)", want)}
			}
			return nil, &ConfigError{Source: path, Key: k, Err: errors.New("unknown key")}
		}
		if _, dup := raw[k]; dup {
			return nil, &ConfigError{Source: path, Key: k, Err: errors.New("given twice")}
		}
		raw[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, notObject(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ConfigError{Source: path, Err: errors.New("trailing data after the JSON object")}
	}
	return raw, nil
}

// configKeys are Config's JSON keys.
var configKeys = func() map[string]bool {
	keys := make(map[string]bool)
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}()

// configKeyFold is the Config key k matches but for case, or "".
func configKeyFold(k string) string {
	for key := range configKeys {
		if strings.EqualFold(key, k) {
			return key
		}
	}
	return ""
}

func jsonErrorReason(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("want a JSON %s, got %s", jsonTypeName(te.Type.Kind().String()), te.Value)
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return errors.New("unknown key")
	}
	return err
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int64", "float64":
		return "number"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	case "ptr":
		return "value"
	}
	return kind
}

// Validate checks values and returns a *ConfigError naming the first bad key.
func (c *Config) Validate() error {
	bad := c.errorf
	if err := c.validateNetwork(); err != nil {
		return err
	}
	if !c.Dev && !isNaga(c.Network) {
		if _, err := c.LitNetwork(nil); err != nil {
			return err
		}
	}
	if c.Threshold < 0 {
		return bad("threshold", "must not be negative (got %d)", c.Threshold)
	}
	if _, err := accounts.ParseDerivationPath(c.DerivationPath); err != nil {
		return bad("derivationPath", "%v", err)
	}
	if _, err := trezor.ParseSafetyChecks(c.TrezorSafetyChecks); err != nil {
		return bad("trezorSafetyChecks", "%v", err)
	}
	if c.SIWEDomain == "" || strings.ContainsAny(c.SIWEDomain, " /\n") {
		return bad("siweDomain", "must be a bare host[:port]")
	}
	if strings.ContainsAny(c.SIWEStatement, "\n\r") {
		return bad("siweStatement", "must be one line")
	}
	if c.ChainID <= 0 {
		return bad("chainId", "must be positive (got %d)", c.ChainID)
	}
	// What the SIWE builder would refuse at the first approval is refused
	// now, by the same code, naming the key.
	for _, k := range []struct {
		key string
		o   lit.SessionOptions
	}{{"siweDomain", lit.SessionOptions{Domain: c.SIWEDomain}}, {"siweStatement", lit.SessionOptions{Statement: c.SIWEStatement}}, {"chainId", lit.SessionOptions{ChainID: c.ChainID}}} {
		if err := lit.CheckSessionOptions(k.o); err != nil {
			return bad(k.key, "%s", siweReason(err))
		}
	}
	if c.SessionTTL < Duration(time.Minute) {
		return bad("sessionTtl", "must be at least 1m (got %s)", time.Duration(c.SessionTTL))
	}
	if c.RenewMargin < 0 {
		return bad("renewMargin", "must not be negative (got %s)", time.Duration(c.RenewMargin))
	}
	if c.RenewMargin >= c.SessionTTL {
		// Blame the key that was set: a short --ttl against the default
		// margin is the ttl's problem.
		if _, set := c.origin["renewMargin"]; !set {
			return bad("sessionTtl", "must be longer than renewMargin (%s), got %s", time.Duration(c.RenewMargin), time.Duration(c.SessionTTL))
		}
		return bad("renewMargin", "must be shorter than sessionTtl (%s), got %s", time.Duration(c.SessionTTL), time.Duration(c.RenewMargin))
	}
	if c.ApprovalTimeout <= 0 {
		return bad("approvalTimeout", "must be positive (got %s)", time.Duration(c.ApprovalTimeout))
	}
	if c.NodeTimeout < 0 {
		return bad("nodeTimeout", "must not be negative (got %s)", time.Duration(c.NodeTimeout))
	}
	if c.CallTimeout < 0 {
		return bad("callTimeout", "must not be negative (got %s)", time.Duration(c.CallTimeout))
	}
	for _, u := range c.AllowedUIDs {
		if u < 0 {
			return bad("allowedUids", "uid %d is negative", u)
		}
	}
	for _, id := range c.CapabilityIPFSIDs {
		if !lit.IsCIDv0(id) {
			return bad("capabilityIpfsIds", "%q is not a CIDv0 (Qm + 44 base58 characters)", id)
		}
	}
	if c.MaxRequestBytes < 1024 {
		return bad("maxRequestBytes", "must be at least 1024 (got %d)", c.MaxRequestBytes)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return bad("logLevel", "%v", err)
	}
	if c.DevPort < 0 || c.DevPort > maxDevPort {
		return bad("devPort", "must be 0 (random ports) or a port from 1 to %d (the devnet uses the ports after it), got %d", maxDevPort, c.DevPort)
	}
	return nil
}

// siweReason is lit's SIWE error without its package prefix and sentinel,
// which mean nothing in a config error.
func siweReason(err error) string {
	s := strings.TrimSuffix(err.Error(), ": "+lit.ErrInvalidParams.Error())
	return strings.TrimPrefix(s, "lit: siwe: ")
}

// maxDevPort leaves room for the devnet's nodes after the first port.
const maxDevPort = 65535 - 10

// Path returns the parsed derivation path (valid after Validate).
func (c *Config) Path() accounts.DerivationPath {
	p, _ := accounts.ParseDerivationPath(c.DerivationPath)
	return p
}

// Flags are the command-line options of litsignerd beyond Config.
type Flags struct {
	ConfigPath string
	Version    bool
}

// ParseArgs builds the configuration from defaults, the config file (the
// --config path, or defaultConfigPath when present) and args. It returns
// flag.ErrHelp after printing usage for -h/--help. Errors are usage or
// *ConfigError; callers exit 2 on both.
func ParseArgs(args []string, stderr io.Writer) (Config, Flags, error) {
	cfg := DefaultConfig()
	var fl Flags
	fs := flag.NewFlagSet("litsignerd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: litsignerd [flags]\n\nRuns the Lit signing daemon on a Unix socket (see litsigner --help).\nFlags override keys of the config file ("+defaultConfigPath()+").\n\nflags:")
		fs.PrintDefaults()
	}
	// Flags write into a scratch Config; only flags actually given are
	// applied on top of the file, so the file can set what flags do not.
	var f Config
	var nodeURLs, ipfsIDs, uids string
	var ttl, margin, approval time.Duration
	var notifications bool
	fs.StringVar(&fl.ConfigPath, "config", "", "config file (default "+defaultConfigPath()+" when it exists)")
	fs.BoolVar(&fl.Version, "version", false, "print the version and exit")
	fs.StringVar(&f.Socket, "socket", "", "socket path (default $XDG_RUNTIME_DIR/litsigner/litsigner.sock, or $TMPDIR/litsigner-UID/litsigner.sock)")
	fs.BoolVar(&f.Dev, "dev", false, "run a local devnet (a child process) and an emulated Ledger (no hardware needed)")
	fs.IntVar(&f.DevPort, "dev-port", cfg.DevPort, "first devnet port with --dev (0 = random ports)")
	fs.StringVar(&f.Network, "network", cfg.Network, "Lit network: "+strings.Join(networkNames(), ", "))
	fs.StringVar(&f.RPCURL, "rpc-url", "", "Naga: the chain's JSON-RPC URL (overrides the network's)")
	fs.StringVar(&f.StakingAddress, "staking-address", "", "Naga: the Staking contract address (overrides the network's)")
	fs.StringVar(&f.PriceFeedAddress, "price-feed-address", "", "Naga: the PriceFeed contract address (overrides the network's)")
	fs.StringVar(&f.LedgerAddress, "ledger-address", "", "Naga: the Ledger (payment deposits) contract address (overrides the network's)")
	fs.StringVar(&f.MaxPrice, "max-price", "", "Naga: the most one call may cost, in wei (decimal or 0x hex; default 2^128-1)")
	fs.BoolVar(&f.RequireAttestation, "require-attestation", false, "Naga: verify the nodes' SEV-SNP attestations (always on for naga-test, naga-staging, naga)")
	fs.StringVar(&f.AttestationRoots, "attestation-roots", "", "naga-local with --require-attestation: PEM file of test roots replacing AMD's (a devnet's attestationRoots)")
	fs.StringVar(&nodeURLs, "node-urls", "", "comma-separated node URLs (overrides the network's)")
	fs.IntVar(&f.Threshold, "threshold", 0, "nodes that must answer (0 = network default)")
	fs.StringVar(&f.Device, "device", "", "hardware wallet id (default: the first found)")
	fs.StringVar(&f.DerivationPath, "path", cfg.DerivationPath, "account derivation path")
	fs.StringVar(&f.SIWEDomain, "siwe-domain", cfg.SIWEDomain, "SIWE domain shown on the device")
	fs.StringVar(&f.SIWEStatement, "siwe-statement", cfg.SIWEStatement, "SIWE statement shown on the device")
	fs.IntVar(&f.ChainID, "chain-id", cfg.ChainID, "SIWE chain id (eth_chainId reports the Lit network's chain)")
	fs.DurationVar(&ttl, "ttl", time.Duration(cfg.SessionTTL), "session lifetime")
	fs.DurationVar(&margin, "renew-margin", time.Duration(cfg.RenewMargin), "renew the session this long before it expires")
	fs.DurationVar(&approval, "approval-timeout", time.Duration(cfg.ApprovalTimeout), "how long to wait for approval on the device")
	fs.StringVar(&uids, "allowed-uids", "", "comma-separated extra uids allowed to connect")
	fs.StringVar(&ipfsIDs, "capability-ipfs-ids", "", "comma-separated IPFS CIDs the session may run (default: all actions)")
	fs.BoolVar(&f.AllowUnlockedMemory, "allow-unlocked-memory", false, "run even if the session key cannot be mlocked")
	fs.BoolVar(&notifications, "notifications", true, "desktop notifications when the device needs you")
	fs.StringVar(&f.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return cfg, fl, err
	}
	if fs.NArg() > 0 {
		return cfg, fl, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if fl.Version {
		return cfg, fl, nil
	}
	if fl.ConfigPath != "" {
		if err := loadConfigFile(&cfg, fl.ConfigPath, false); err != nil {
			return cfg, fl, err
		}
	} else if p := defaultConfigPath(); p != "" {
		if err := loadConfigFile(&cfg, p, true); err != nil {
			return cfg, fl, err
		}
	}
	var flagErr error
	fs.Visit(func(fg *flag.Flag) {
		if key, ok := flagKeys[fg.Name]; ok {
			cfg.setOrigin(key, "--"+fg.Name)
		}
		switch fg.Name {
		case "socket":
			cfg.Socket = f.Socket
		case "dev":
			cfg.Dev = f.Dev
		case "dev-port":
			cfg.DevPort = f.DevPort
		case "network":
			cfg.Network = f.Network
		case "require-attestation":
			cfg.RequireAttestation = f.RequireAttestation
		case "attestation-roots":
			cfg.AttestationRoots = f.AttestationRoots
		case "rpc-url":
			cfg.RPCURL = f.RPCURL
		case "staking-address":
			cfg.StakingAddress = f.StakingAddress
		case "price-feed-address":
			cfg.PriceFeedAddress = f.PriceFeedAddress
		case "ledger-address":
			cfg.LedgerAddress = f.LedgerAddress
		case "max-price":
			cfg.MaxPrice = f.MaxPrice
		case "node-urls":
			cfg.NodeURLs = splitList(nodeURLs)
		case "threshold":
			cfg.Threshold = f.Threshold
		case "device":
			cfg.Device = f.Device
		case "path":
			cfg.DerivationPath = f.DerivationPath
		case "siwe-domain":
			cfg.SIWEDomain = f.SIWEDomain
		case "siwe-statement":
			cfg.SIWEStatement = f.SIWEStatement
		case "chain-id":
			cfg.ChainID = f.ChainID
		case "ttl":
			cfg.SessionTTL = Duration(ttl)
		case "renew-margin":
			cfg.RenewMargin = Duration(margin)
		case "approval-timeout":
			cfg.ApprovalTimeout = Duration(approval)
		case "allowed-uids":
			cfg.AllowedUIDs = nil
			for _, s := range splitList(uids) {
				u, err := strconv.Atoi(s)
				if err != nil {
					flagErr = &ConfigError{Source: "--allowed-uids", Key: "allowedUids", Err: fmt.Errorf("%q is not a uid (want comma-separated numbers)", s)}
				}
				cfg.AllowedUIDs = append(cfg.AllowedUIDs, u)
			}
		case "capability-ipfs-ids":
			cfg.CapabilityIPFSIDs = splitList(ipfsIDs)
		case "allow-unlocked-memory":
			cfg.AllowUnlockedMemory = f.AllowUnlockedMemory
		case "notifications":
			cfg.Notifications = &notifications
		case "log-level":
			cfg.LogLevel = f.LogLevel
		}
	})
	if flagErr != nil {
		return cfg, fl, flagErr
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fl, err
	}
	return cfg, fl, nil
}

// flagKeys maps a flag to the config key it sets.
var flagKeys = map[string]string{
	"socket": "socket", "dev": "dev", "dev-port": "devPort", "network": "network",
	"require-attestation": "requireAttestation", "attestation-roots": "attestationRoots",
	"rpc-url": "rpcUrl", "staking-address": "stakingAddress", "price-feed-address": "priceFeedAddress",
	"ledger-address": "ledgerAddress", "max-price": "maxPrice", "node-urls": "nodeUrls",
	"threshold": "threshold", "device": "device", "path": "derivationPath",
	"siwe-domain": "siweDomain", "siwe-statement": "siweStatement", "chain-id": "chainId",
	"ttl": "sessionTtl", "renew-margin": "renewMargin", "approval-timeout": "approvalTimeout",
	"allowed-uids": "allowedUids", "capability-ipfs-ids": "capabilityIpfsIds",
	"allow-unlocked-memory": "allowUnlockedMemory", "notifications": "notifications", "log-level": "logLevel",
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
