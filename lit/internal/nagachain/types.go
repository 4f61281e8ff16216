package nagachain

import (
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// Epoch is the Staking contract's LibStakingStorage.Epoch (9 fields, all uint256), in ABI order.
type Epoch struct {
	EpochLength           *big.Int `abi:"epochLength"`
	Number                *big.Int `abi:"number"`
	RewardEpochNumber     *big.Int `abi:"rewardEpochNumber"`
	NextRewardEpochNumber *big.Int `abi:"nextRewardEpochNumber"`
	EndTime               *big.Int `abi:"endTime"`
	Retries               *big.Int `abi:"retries"`
	Timeout               *big.Int `abi:"timeout"`
	StartTime             *big.Int `abi:"startTime"`
	LastAdvanceVoteTime   *big.Int `abi:"lastAdvanceVoteTime"`
}

// Validator is the Staking contract's LibStakingStorage.Validator (18 fields), in ABI order.
// IP is an IPv4 address as a big-endian uint32 (0x7f000001 = 127.0.0.1).
type Validator struct {
	IP                                     uint32         `abi:"ip"`
	IPv6                                   *big.Int       `abi:"ipv6"`
	Port                                   uint32         `abi:"port"`
	NodeAddress                            common.Address `abi:"nodeAddress"`
	Reward                                 *big.Int       `abi:"reward"`
	SenderPubKey                           *big.Int       `abi:"senderPubKey"`
	ReceiverPubKey                         *big.Int       `abi:"receiverPubKey"`
	LastActiveEpoch                        *big.Int       `abi:"lastActiveEpoch"`
	CommissionRate                         *big.Int       `abi:"commissionRate"`
	LastRewardEpoch                        *big.Int       `abi:"lastRewardEpoch"`
	LastRealmID                            *big.Int       `abi:"lastRealmId"`
	DelegatedStakeAmount                   *big.Int       `abi:"delegatedStakeAmount"`
	DelegatedStakeWeight                   *big.Int       `abi:"delegatedStakeWeight"`
	LastRewardEpochClaimedFixedCostRewards *big.Int       `abi:"lastRewardEpochClaimedFixedCostRewards"`
	LastRewardEpochClaimedCommission       *big.Int       `abi:"lastRewardEpochClaimedCommission"`
	OperatorAddress                        common.Address `abi:"operatorAddress"`
	UniqueDelegatingStakerCount            *big.Int       `abi:"uniqueDelegatingStakerCount"`
	RegisterAttestedWalletDisabled         bool           `abi:"registerAttestedWalletDisabled"`
}

// NodePrices is one entry of PriceFeed.getNodesForRequest (LibPriceFeedStorage.NodeInfoAndPrices):
// a validator and its prices (wei), one per requested product id, in request order.
type NodePrices struct {
	Validator Validator  `abi:"validator"`
	Prices    []*big.Int `abi:"prices"`
}

// ValidatorSet is the result of Staking.getActiveUnkickedValidatorStructsAndCounts.
type ValidatorSet struct {
	Epoch        Epoch
	MinNodeCount *big.Int
	Validators   []Validator
}

// PriceSet is the result of PriceFeed.getNodesForRequest.
type PriceSet struct {
	EpochID      *big.Int
	MinNodeCount *big.Int
	Nodes        []NodePrices
}

// Addr returns the validator's IPv4 address and port.
func (v Validator) Addr() netip.AddrPort {
	ip := netip.AddrFrom4([4]byte{byte(v.IP >> 24), byte(v.IP >> 16), byte(v.IP >> 8), byte(v.IP)})
	return netip.AddrPortFrom(ip, uint16(v.Port))
}

// SocketAddress is "ip:port", the form the SDK puts into an execute request's nodeSet.
func (v Validator) SocketAddress() string {
	ip := v.Addr().Addr().String()
	return ip + ":" + strconv.FormatUint(uint64(v.Port), 10)
}

// NodeURL builds a node's base URL the way the SDK does (generateValidatorURLs):
// scheme + "://" + intToIP(ip) + ":" + port. scheme is "http" or "https"; a trailing "://" is
// accepted too ("http://"), as the SDK's httpProtocol spells it.
func NodeURL(scheme string, v Validator) string {
	scheme = strings.TrimSuffix(scheme, "://")
	return scheme + "://" + v.SocketAddress()
}

// IPv4 converts a dotted IPv4 address to the contract's uint32 form. It reports false for
// anything that is not an IPv4 address.
func IPv4(addr netip.Addr) (uint32, bool) {
	if !addr.Is4() {
		return 0, false
	}
	b := addr.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}
