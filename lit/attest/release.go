package attest

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// ReleaseChecker decides whether an attested RELEASE_ID is acceptable.
type ReleaseChecker interface {
	CheckRelease(ctx context.Context, releaseID string) error
}

// ReleaseEnv is the ReleaseRegister contract's Env enum.
type ReleaseEnv uint8

// The ReleaseRegister environments.
const (
	ReleaseEnvDev ReleaseEnv = iota
	ReleaseEnvStaging
	ReleaseEnvProd
)

// ReleaseStatus is the ReleaseRegister contract's Status enum.
type ReleaseStatus uint8

// The ReleaseRegister release states (Active is 2 in the published contract;
// the SDK's own enum says 1, see the package doc).
const (
	ReleaseStatusNull ReleaseStatus = iota
	ReleaseStatusPending
	ReleaseStatusActive
	ReleaseStatusDisabled
)

// releaseRegisterABI is getRelease from the published ReleaseRegister
// contract: getRelease(bytes32 releaseId) returns (Release), Release being
// (Status status, Env env, Type typ, bytes kind, uint date, Platform
// platform, uint options, bytes id_key_digest, bytes public_key, bytes cid).
const releaseRegisterABI = `[{"type":"function","name":"getRelease","stateMutability":"view",
 "inputs":[{"name":"releaseId","type":"bytes32"}],
 "outputs":[{"name":"","type":"tuple","components":[
  {"name":"status","type":"uint8"},{"name":"env","type":"uint8"},{"name":"typ","type":"uint8"},
  {"name":"kind","type":"bytes"},{"name":"date","type":"uint256"},{"name":"platform","type":"uint8"},
  {"name":"options","type":"uint256"},{"name":"id_key_digest","type":"bytes"},
  {"name":"public_key","type":"bytes"},{"name":"cid","type":"bytes"}]}]}]`

var releaseABI = mustABI(releaseRegisterABI)

func mustABI(s string) abi.ABI {
	a, err := abi.JSON(strings.NewReader(s))
	if err != nil {
		panic(err) // a constant; covered by the tests
	}
	return a
}

// Release is one entry of the ReleaseRegister contract.
type Release struct {
	Status      uint8
	Env         uint8
	Typ         uint8
	Kind        []byte
	Date        *big.Int
	Platform    uint8
	Options     *big.Int
	IdKeyDigest []byte //nolint:revive // field name fixed by the ABI tuple
	PublicKey   []byte
	Cid         []byte
}

// ReleaseID is a node release id: 48 hex characters, a 4-byte build id then
// the 20-byte subnet address; on chain it is those 24 bytes zero-padded to
// a bytes32.
type ReleaseID struct {
	Build  [4]byte
	Subnet common.Address
}

// ParseReleaseID reads the RELEASE_ID text a Lit node attests.
func ParseReleaseID(s string) (ReleaseID, error) {
	var id ReleaseID
	if len(s) != 48 {
		return id, fmt.Errorf("release id %q is %d characters, want 48", s, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return id, fmt.Errorf("release id %q is not hex", s)
	}
	copy(id.Build[:], b[:4])
	copy(id.Subnet[:], b[4:])
	return id, nil
}

// Bytes32 is the id as the contract keys it.
func (id ReleaseID) Bytes32() [32]byte {
	var out [32]byte
	copy(out[:4], id.Build[:])
	copy(out[4:24], id.Subnet[:])
	return out
}

// ReleaseRegister checks release ids against a ReleaseRegister contract
// through eth_call (Caller may be an ethclient.Client).
type ReleaseRegister struct {
	Caller   ethereum.ContractCaller
	Contract common.Address
	// Subnet is the subnet address the release id must carry.
	Subnet common.Address
	// Env is the environment the release must be registered for.
	Env ReleaseEnv
}

// CheckRelease implements ReleaseChecker: the id names our subnet, and the
// contract lists it as Active for our environment.
func (r *ReleaseRegister) CheckRelease(ctx context.Context, releaseID string) error {
	if releaseID == "" {
		return fmt.Errorf("no %s in the attestation data", DataReleaseID)
	}
	id, err := ParseReleaseID(releaseID)
	if err != nil {
		return err
	}
	if id.Subnet != r.Subnet {
		return fmt.Errorf("release %s is for subnet %s, want %s", releaseID, id.Subnet, r.Subnet)
	}
	rel, err := r.Get(ctx, id)
	if err != nil {
		return err
	}
	if ReleaseStatus(rel.Status) != ReleaseStatusActive {
		return fmt.Errorf("release %s has status %d, want Active (%d)", releaseID, rel.Status, ReleaseStatusActive)
	}
	if ReleaseEnv(rel.Env) != r.Env {
		return fmt.Errorf("release %s is for environment %d, want %d", releaseID, rel.Env, r.Env)
	}
	return nil
}

// Get reads one release with getRelease(bytes32).
func (r *ReleaseRegister) Get(ctx context.Context, id ReleaseID) (*Release, error) {
	input, err := releaseABI.Pack("getRelease", id.Bytes32())
	if err != nil {
		return nil, fmt.Errorf("getRelease: %w", err)
	}
	contract := r.Contract
	out, err := r.Caller.CallContract(ctx, ethereum.CallMsg{To: &contract, Data: input}, nil)
	if err != nil {
		return nil, fmt.Errorf("getRelease on %s: %w", r.Contract, err)
	}
	vals, err := releaseABI.Unpack("getRelease", out)
	if err != nil {
		return nil, fmt.Errorf("getRelease on %s: decode: %w", r.Contract, err)
	}
	rel := abi.ConvertType(vals[0], new(Release)).(*Release)
	return rel, nil
}
