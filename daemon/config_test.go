package daemon

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseArgsErrorsNameTheKey(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	tests := []struct {
		file string
		args []string
		key  string
	}{
		{`{"sessionTtl": 5}`, nil, "sessionTtl"},
		{`{"sessionTtl": "soon"}`, nil, "sessionTtl"},
		{`{"bogus": 1}`, nil, "bogus"},
		{`{"threshold": "six"}`, nil, "threshold"},
		{`{"nodeUrls": "http://x"}`, nil, "nodeUrls"},
		{`{"network": "mainnet"}`, nil, "network"},
		{`{"network": "custom"}`, nil, "nodeUrls"},
		{`{"derivationPath": "m/x"}`, nil, "derivationPath"},
		{`{"siweStatement": "two\nlines"}`, nil, "siweStatement"},
		{`{"chainId": 0}`, nil, "chainId"},
		// What the SIWE builder refuses at the first approval is refused
		// at start.
		{`{"siweDomain": "héllo"}`, nil, "siweDomain"},
		{`{"siweDomain": "a.example?x"}`, nil, "siweDomain"},
		{`{"siweStatement": "Sign — please"}`, nil, "siweStatement"},
		{`{"renewMargin": "48h"}`, nil, "renewMargin"},
		{`{"capabilityIpfsIds": ["bafy"]}`, nil, "capabilityIpfsIds"},
		// Qm + 44 characters, but 0, O, I and l are not base58: lit would
		// refuse it at the first approval, so the daemon refuses it at start.
		{`{"capabilityIpfsIds": ["Qm0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl"]}`, nil, "capabilityIpfsIds"},
		{`{"logLevel": "loud"}`, nil, "logLevel"},
		{`{"trezorSafetyChecks": "off"}`, nil, "trezorSafetyChecks"},
		{`{}`, []string{"--ttl", "10s"}, "sessionTtl"},
		{`{}`, []string{"--allowed-uids", "1000,me"}, "allowedUids"},
	}
	for _, tt := range tests {
		args := append([]string{"--config", writeConfig(t, tt.file)}, tt.args...)
		_, _, err := ParseArgs(args, io.Discard)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != tt.key || !strings.Contains(err.Error(), `"`+tt.key+`"`) {
			t.Errorf("%s %v: got %v, want an error naming %q", tt.file, tt.args, err, tt.key)
		}
	}
}

// Every value error names where the value came from (the file, or the
// flag as given), the key, and the range it must be in.
func TestParseArgsErrorsNameTheSource(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	file := writeConfig(t, `{"sessionTtl": "30s", "devPort": 70000}`)
	tests := []struct {
		file string // "" = no config file
		args []string
		want string
	}{
		{file, nil, `config ` + file + `: "sessionTtl": must be at least 1m (got 30s)`},
		{"", []string{"--ttl", "30s"}, `flag --ttl: "sessionTtl": must be at least 1m (got 30s)`},
		{"", []string{"--ttl", "3m"}, `flag --ttl: "sessionTtl": must be longer than renewMargin (5m0s), got 3m0s`},
		{"", []string{"--renew-margin", "2h", "--ttl", "1h"}, `flag --renew-margin: "renewMargin": must be shorter than sessionTtl (1h0m0s), got 2h0m0s`},
		{"", []string{"--allowed-uids", "abc"}, `flag --allowed-uids: "allowedUids": "abc" is not a uid`},
		{"", []string{"--dev-port", "70000"}, `flag --dev-port: "devPort": must be 0 (random ports) or a port from 1 to 65525`},
		{"", []string{"--network", "custom", "--node-urls", "http://127.0.0.1:1", "--threshold", "11"}, `flag --threshold: "threshold": must be at most the number of nodes (1), got 11`},
		{"", []string{"--chain-id", "-1"}, `flag --chain-id: "chainId": must be positive (got -1)`},
	}
	for _, tt := range tests {
		args := tt.args
		if tt.file != "" {
			args = append([]string{"--config", tt.file}, args...)
		}
		_, _, err := ParseArgs(args, io.Discard)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want %s", args, err, tt.want)
		}
	}
}

// Keys are exact and given once; encoding/json alone matches any case and
// keeps the last duplicate.
func TestConfigKeysExactAndOnce(t *testing.T) {
	tests := []struct{ file, want string }{
		{`{"NETWORK": "naga-local"}`, `"NETWORK": unknown key (keys are case-sensitive: did you mean "network"?)`},
		{`{"sessionTTL": "1h"}`, `"sessionTTL": unknown key (keys are case-sensitive: did you mean "sessionTtl"?)`},
		{`{"network": "localhost", "network": "naga-local"}`, `"network": given twice`},
		{`{"origin": {}}`, `"origin": unknown key`},
		{`{} {}`, `trailing data`},
		{`[1]`, `not a JSON object`},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		err := decodeConfig(&cfg, "f.json", []byte(tt.file))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %s", tt.file, err, tt.want)
		}
	}
}

// A config file others could have written is refused, as ssh refuses one.
func TestConfigFilePermissions(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	p := writeConfig(t, `{}`)
	if _, _, err := ParseArgs([]string{"--config", p}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o620); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ParseArgs([]string{"--config", p}, io.Discard); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Fatalf("group-writable file: %v", err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(p)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if _, _, err := ParseArgs([]string{"--config", p}, io.Discard); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Fatalf("file in a world-writable directory: %v", err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ParseArgs([]string{"--config", p}, io.Discard); err != nil {
		t.Fatalf("sticky directory: %v", err)
	}
}

func TestParseArgsLayers(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if err := os.MkdirAll(filepath.Join(dir, "litsigner"), 0o700); err != nil {
		t.Fatal(err)
	}
	// The default file is read when present; flags override it.
	err := os.WriteFile(filepath.Join(dir, "litsigner", "config.json"), []byte(`{
		"network": "custom", "nodeUrls": ["http://127.0.0.1:1", "http://127.0.0.1:2"], "threshold": 2,
		"sessionTtl": "2h", "approvalTimeout": "30s", "allowedUids": [1001], "device": "ledger:x"}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cfg, fl, err := ParseArgs([]string{"--ttl", "3h", "--socket", "/run/x.sock", "--capability-ipfs-ids", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if fl.Version || cfg.Network != "custom" || len(cfg.NodeURLs) != 2 || cfg.Threshold != 2 ||
		time.Duration(cfg.SessionTTL) != 3*time.Hour || time.Duration(cfg.ApprovalTimeout) != 30*time.Second ||
		cfg.Socket != "/run/x.sock" || len(cfg.AllowedUIDs) != 1 || cfg.Device != "ledger:x" || len(cfg.CapabilityIPFSIDs) != 1 ||
		time.Duration(cfg.RenewMargin) != 5*time.Minute {
		t.Fatalf("config %+v", cfg)
	}
	n, err := cfg.LitNetwork(nil)
	if err != nil || n.Threshold != 2 || len(n.NodeURLs) != 2 {
		t.Fatalf("network %+v, %v", n, err)
	}
}

func TestParseArgsMissingExplicitFile(t *testing.T) {
	_, _, err := ParseArgs([]string{"--config", filepath.Join(t.TempDir(), "nope.json")}, io.Discard)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v", err)
	}
}

// FuzzDecodeConfig: any file content yields a config or a *ConfigError,
// never a panic.
func FuzzDecodeConfig(f *testing.F) {
	for _, s := range []string{`{}`, `{"sessionTtl":"1h","nodeUrls":["http://a:1"]}`, `{"threshold":"x"}`, `[`, `{"a":1}{}`, `{"notifications":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultConfig()
		err := decodeConfig(&cfg, "fuzz", data)
		var ce *ConfigError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error %T: %v", err, err)
		}
		if err == nil {
			if verr := cfg.Validate(); verr != nil && !errors.As(verr, &ce) {
				t.Fatalf("validate error %T: %v", verr, verr)
			}
		}
	})
}
