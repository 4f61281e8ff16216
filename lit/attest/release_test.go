package attest

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
)

// fakeRegister answers getRelease eth_calls from a table, ABI-encoded with
// the contract's output types.
type fakeRegister struct {
	t        *testing.T
	contract common.Address
	releases map[[32]byte]Release
	err      error
}

func (f *fakeRegister) CallContract(_ context.Context, call ethereum.CallMsg, _ *big.Int) ([]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	if call.To == nil || *call.To != f.contract {
		f.t.Fatalf("call to %v, want %v", call.To, f.contract)
	}
	m := releaseABI.Methods["getRelease"]
	if !bytes.Equal(call.Data[:4], m.ID) {
		f.t.Fatalf("selector %x, want getRelease %x", call.Data[:4], m.ID)
	}
	args, err := m.Inputs.Unpack(call.Data[4:])
	if err != nil {
		f.t.Fatal(err)
	}
	rel, ok := f.releases[args[0].([32]byte)]
	if !ok { // the contract answers an all-zero Release for unknown ids
		rel = Release{Date: new(big.Int), Options: new(big.Int)}
	}
	return m.Outputs.Pack(rel)
}

func TestReleaseRegister(t *testing.T) {
	subnet := common.HexToAddress("0x00112233445566778899aabbccddeeff00112233")
	contract := common.HexToAddress("0x1000000000000000000000000000000000000001")
	id, err := ParseReleaseID(testReleaseID)
	if err != nil {
		t.Fatal(err)
	}
	if id.Subnet != subnet || id.Build != [4]byte{0x0a, 0x1b, 0x2c, 0x3d} {
		t.Fatalf("parsed %+v", id)
	}
	other := "0a1b2c3e" + testReleaseID[8:]
	pending := "0a1b2c3f" + testReleaseID[8:]
	otherID, _ := ParseReleaseID(other)
	pendingID, _ := ParseReleaseID(pending)
	rel := func(status ReleaseStatus, env ReleaseEnv) Release {
		return Release{Status: uint8(status), Env: uint8(env), Kind: []byte("node"), Date: big.NewInt(1), Options: big.NewInt(2),
			IdKeyDigest: []byte{1}, PublicKey: []byte{2}, Cid: []byte{3}}
	}
	f := &fakeRegister{t: t, contract: contract, releases: map[[32]byte]Release{
		id.Bytes32():        rel(ReleaseStatusActive, ReleaseEnvProd),
		otherID.Bytes32():   rel(ReleaseStatusActive, ReleaseEnvStaging),
		pendingID.Bytes32(): rel(ReleaseStatusPending, ReleaseEnvProd),
	}}
	r := &ReleaseRegister{Caller: f, Contract: contract, Subnet: subnet, Env: ReleaseEnvProd}
	if err := r.CheckRelease(ctx, testReleaseID); err != nil {
		t.Fatal(err)
	}
	bad := []struct{ id, want string }{
		{"", "no RELEASE_ID"},
		{"abc", "48"},
		{strings.Repeat("zz", 24), "not hex"},
		{"0a1b2c3d" + "ff112233445566778899aabbccddeeff00112233", "subnet"},
		{other, "environment 1, want 2"},
		{pending, "status 1"},
		{"0a1b2c40" + testReleaseID[8:], "status 0"},
	}
	for _, tc := range bad {
		if err := r.CheckRelease(ctx, tc.id); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckRelease(%q) = %v, want %q", tc.id, err, tc.want)
		}
	}
	f.err = errors.New("connection refused")
	if err := r.CheckRelease(ctx, testReleaseID); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("caller failure: %v", err)
	}
}

func TestVerifyChecksRelease(t *testing.T) {
	a, _ := authorities(t)
	ch := newChallenge(t)
	att, err := a.Attest(ch, testNodeAddr, map[string][]byte{DataReleaseID: []byte(testReleaseID)})
	if err != nil {
		t.Fatal(err)
	}
	contract := common.HexToAddress("0x1000000000000000000000000000000000000001")
	r := &ReleaseRegister{Caller: &fakeRegister{t: t, contract: contract}, Contract: contract,
		Subnet: common.HexToAddress("0x00112233445566778899aabbccddeeff00112233"), Env: ReleaseEnvProd}
	_, err = Verify(ctx, att, ch, testNode, &Options{Roots: a.Roots(), Release: r})
	wantReason(t, err, testNode, ErrAttestationRelease)
}
