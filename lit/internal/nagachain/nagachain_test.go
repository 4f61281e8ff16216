package nagachain

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func readHex(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(raw)), "0x"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// The notes (lit/PROTOCOL-naga.md) give these, computed with viem from the SDK's ABI.
func TestSelectorsAndTopic(t *testing.T) {
	if got := hex.EncodeToString(SelectorGetValidators[:]); got != "d09cd5a8" {
		t.Errorf("getActiveUnkickedValidatorStructsAndCounts selector = %s, want d09cd5a8", got)
	}
	if got := hex.EncodeToString(SelectorGetNodesForRequest[:]); got != "224d9449" {
		t.Errorf("getNodesForRequest selector = %s, want 224d9449", got)
	}
	if got := StateChangedTopic.Hex(); got != "0x551dc40198cc79684bb69e4931dba4ac16e4598792ee1c0a5000aeea366d7bb6" {
		t.Errorf("StateChanged topic = %s", got)
	}
	ep := ABI.Methods[MethodGetValidators].Outputs[0].Type.TupleElems
	if len(ep) != 9 {
		t.Errorf("Epoch has %d fields, want 9", len(ep))
	}
	val := ABI.Methods[MethodGetValidators].Outputs[2].Type.Elem.TupleElems
	if len(val) != 18 {
		t.Errorf("Validator has %d fields, want 18", len(val))
	}
}

// The calldata the real SDK sent equals what we pack.
func TestPackCallsMatchCaptures(t *testing.T) {
	for _, prefix := range []string{"happy3", "four"} {
		if got, want := PackGetValidators(DefaultRealmID), readHex(t, prefix+"-validators.call.hex"); !bytes.Equal(got, want) {
			t.Errorf("%s: PackGetValidators = %x, SDK sent %x", prefix, got, want)
		}
		if got, want := PackGetNodesForRequest(DefaultRealmID, AllProducts), readHex(t, prefix+"-nodes-for-request.call.hex"); !bytes.Equal(got, want) {
			t.Errorf("%s: PackGetNodesForRequest = %x, SDK sent %x", prefix, got, want)
		}
	}
}

func TestUnpackCapturedReplies(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		nodes  int
	}{{"happy3", 3}, {"four", 4}} {
		t.Run(tc.prefix, func(t *testing.T) {
			vs, err := UnpackValidators(readHex(t, tc.prefix+"-validators.reply.hex"))
			if err != nil {
				t.Fatal(err)
			}
			if vs.Epoch.Number.Int64() != 5 || vs.Epoch.EpochLength.Int64() != 300 || vs.Epoch.Timeout.Int64() != 60 {
				t.Errorf("epoch = %+v", vs.Epoch)
			}
			if d := new(big.Int).Sub(vs.Epoch.EndTime, vs.Epoch.StartTime); d.Int64() != 300 {
				t.Errorf("endTime-startTime = %v, want 300", d)
			}
			if vs.MinNodeCount.Int64() != 3 || len(vs.Validators) != tc.nodes {
				t.Fatalf("minNodeCount %v, %d validators", vs.MinNodeCount, len(vs.Validators))
			}
			for i, v := range vs.Validators {
				wantURL := "http://127.0.0.1:" + itoa(7470+i)
				if got := NodeURL("http", v); got != wantURL {
					t.Errorf("validator %d URL %s, want %s", i, got, wantURL)
				}
				if want := common.BigToAddress(big.NewInt(int64(i + 1))); v.NodeAddress != want {
					t.Errorf("validator %d nodeAddress %s", i, v.NodeAddress)
				}
			}
			ps, err := UnpackNodesForRequest(readHex(t, tc.prefix+"-nodes-for-request.reply.hex"))
			if err != nil {
				t.Fatal(err)
			}
			if ps.EpochID.Int64() != 5 || ps.MinNodeCount.Int64() != 3 || len(ps.Nodes) != tc.nodes {
				t.Fatalf("price set %v %v %d", ps.EpochID, ps.MinNodeCount, len(ps.Nodes))
			}
			for i, n := range ps.Nodes {
				if n.Validator.SocketAddress() != "127.0.0.1:"+itoa(7470+i) {
					t.Errorf("node %d at %s", i, n.Validator.SocketAddress())
				}
				if len(n.Prices) != 4 {
					t.Fatalf("node %d: %d prices", i, len(n.Prices))
				}
				for _, p := range n.Prices {
					if p.Int64() != int64(1000*(i+1)) {
						t.Errorf("node %d price %v, want %d", i, p, 1000*(i+1))
					}
				}
			}
		})
	}
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// Re-encoding a decoded captured reply gives the SDK stub's (viem's) bytes back.
func TestPackReproducesCapturedReplies(t *testing.T) {
	for _, prefix := range []string{"happy3", "four"} {
		raw := readHex(t, prefix+"-validators.reply.hex")
		vs, err := UnpackValidators(raw)
		if err != nil {
			t.Fatal(err)
		}
		out, err := PackValidators(vs)
		if err != nil || !bytes.Equal(out, raw) {
			t.Errorf("%s: PackValidators differs from capture (err %v)", prefix, err)
		}
		raw = readHex(t, prefix+"-nodes-for-request.reply.hex")
		ps, err := UnpackNodesForRequest(raw)
		if err != nil {
			t.Fatal(err)
		}
		out, err = PackNodesForRequest(ps)
		if err != nil || !bytes.Equal(out, raw) {
			t.Errorf("%s: PackNodesForRequest differs from capture (err %v)", prefix, err)
		}
	}
}

func TestPackNilIntsAreZero(t *testing.T) {
	out, err := PackValidators(ValidatorSet{Validators: []Validator{{IP: 0x7f000001, Port: 7470}}})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := UnpackValidators(out)
	if err != nil {
		t.Fatal(err)
	}
	if vs.Epoch.Number.Sign() != 0 || vs.MinNodeCount.Sign() != 0 || vs.Validators[0].Reward.Sign() != 0 || vs.Validators[0].Port != 7470 {
		t.Errorf("round trip: %+v", vs)
	}
	out, err = PackNodesForRequest(PriceSet{Nodes: []NodePrices{{Validator: Validator{IP: 1}, Prices: []*big.Int{nil, big.NewInt(7)}}}})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := UnpackNodesForRequest(out)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Nodes[0].Prices[0].Sign() != 0 || ps.Nodes[0].Prices[1].Int64() != 7 {
		t.Errorf("prices %v", ps.Nodes[0].Prices)
	}
}

func TestDecodeCall(t *testing.T) {
	c, err := DecodeCall(readHex(t, "happy3-nodes-for-request.call.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Method != MethodGetNodesForRequest || c.Realm.Int64() != 1 || len(c.Products) != 4 || c.Products[3].Int64() != 3 {
		t.Errorf("decoded %+v", c)
	}
	c, err = DecodeCall(readHex(t, "happy3-validators.call.hex"))
	if err != nil || c.Method != MethodGetValidators || c.Realm.Int64() != 1 || c.Products != nil {
		t.Errorf("decoded %+v, %v", c, err)
	}
	good := PackGetValidators(1)
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"short selector", []byte{0xd0, 0x9c}, ErrMalformed},
		{"unknown selector", []byte{1, 2, 3, 4, 0}, ErrUnknownSelector},
		{"truncated argument", good[:20], ErrMalformed},
		{"trailing bytes", append(append([]byte{}, good...), 0), ErrMalformed},
	} {
		if _, err := DecodeCall(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestUnpackMalformed(t *testing.T) {
	raw := readHex(t, "happy3-validators.reply.hex")
	for _, data := range [][]byte{nil, raw[:64], raw[:len(raw)-32]} {
		if _, err := UnpackValidators(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("UnpackValidators(%d bytes) err %v", len(data), err)
		}
		if _, err := UnpackNodesForRequest(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("UnpackNodesForRequest(%d bytes) err %v", len(data), err)
		}
	}
}

func TestThreshold(t *testing.T) {
	for n, want := range map[int]int{1: 3, 3: 3, 4: 3, 5: 3, 6: 4, 9: 6, 10: 6, 12: 8} {
		if got := Threshold(n); got != want {
			t.Errorf("Threshold(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestNodeURLAndIPv4(t *testing.T) {
	v := Validator{IP: 0xc0a80a02, Port: 443}
	for _, scheme := range []string{"https", "https://"} {
		if got := NodeURL(scheme, v); got != "https://192.168.10.2:443" {
			t.Errorf("NodeURL(%q) = %s", scheme, got)
		}
	}
	ip, ok := IPv4(netip.MustParseAddr("127.0.0.1"))
	if !ok || ip != 0x7f000001 {
		t.Errorf("IPv4 = %x %v", ip, ok)
	}
	if _, ok := IPv4(netip.MustParseAddr("::1")); ok {
		t.Error("IPv4(::1) ok")
	}
}

func TestNetworks(t *testing.T) {
	want := map[string]struct {
		chain  uint64
		scheme string
		att    bool
		stake  string
	}{
		"naga-dev":     {175188, "https", false, "0x544ac098670a266d3598B543aefBEbAb0A2C86C6"},
		"naga-test":    {175188, "https", true, "0x149a054CE79A379Ae5E97f5B984B993233b28061"},
		"naga-staging": {175188, "https", true, "0x9b8Ed3FD964Bc38dDc32CF637439e230CD50e3Dd"},
		"naga":         {175200, "https", true, "0x8a861B3640c1ff058CCB109ba11CA3224d228159"},
		"naga-local":   {31337, "http", false, "0xa82fF9aFd8f496c3d6ac40E2a0F282E47488CFc9"},
	}
	if len(Networks) != len(want) {
		t.Errorf("%d networks, want %d", len(Networks), len(want))
	}
	for name, w := range want {
		n, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if n.Name != name || n.ChainID != w.chain || n.Scheme != w.scheme || n.RequiresAttestation != w.att || n.Contracts.Staking.Hex() != w.stake || n.RealmID != 1 {
			t.Errorf("%s: %+v", name, n)
		}
		var zero common.Address
		if n.Contracts.PriceFeed == zero || n.Contracts.Ledger == zero || n.Contracts.PaymentDelegation == zero {
			t.Errorf("%s: missing contract address: %+v", name, n.Contracts)
		}
	}
	if n := Networks["naga-local"]; n.RPCURL != "http://127.0.0.1:8545" || n.Contracts.PriceFeed.Hex() != "0xAA292E8611aDF267e563f334Ee42320aC96D0463" {
		t.Errorf("naga-local: %+v", n)
	}
	if _, err := Lookup("datil"); err == nil || !strings.Contains(err.Error(), "naga-dev") {
		t.Errorf("Lookup(datil) err %v", err)
	}
}

func TestUnpackStateChanged(t *testing.T) {
	data := make([]byte, 32)
	data[31] = 3
	if s, err := UnpackStateChanged(data); err != nil || s != 3 {
		t.Errorf("got %d, %v", s, err)
	}
	data[0] = 1 // a uint8 with high bits set is not a valid encoding
	if _, err := UnpackStateChanged(data); !errors.Is(err, ErrMalformed) {
		t.Errorf("overflowing uint8: err %v", err)
	}
	if _, err := UnpackStateChanged(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty: err %v", err)
	}
}
