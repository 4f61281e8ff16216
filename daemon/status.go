package daemon

import (
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/lit"
)

// networkStatus maps lit's view of the network to lit_networkStatus's
// result; account is the session's wallet address ("" without one). The
// payment block's balance is left to fillPayment.
func networkStatus(n lit.Network, ls lit.NetworkStatus, account string) rpcapi.NetworkStatus {
	st := rpcapi.NetworkStatus{Name: ls.Name, Protocol: ls.Protocol, Epoch: ls.Epoch, Threshold: ls.Threshold,
		Connected: ls.Connected, Reissues: ls.Reissues, LastReissue: ls.LastReissue, Nodes: []rpcapi.NodeInfo{}}
	if ls.Protocol == lit.ProtocolNaga {
		st.Chain = &rpcapi.ChainStatus{RPCURL: n.ChainRPCURL, ChainID: n.ChainID, Staking: n.Staking.Hex(), PriceFeed: n.PriceFeed.Hex()}
		st.Payment = &rpcapi.PaymentInfo{Account: account}
		if n.MaxPrice != nil {
			st.Payment.MaxPrice = n.MaxPrice.String()
		}
	}
	for _, ns := range ls.Nodes {
		info := rpcapi.NodeInfo{URL: ns.URL, State: ns.State, LastLatencyMs: ms(ns.LastLatency), ExecLatencyMs: ms(ns.ExecLatency),
			LastError: ns.LastError, Slow: ns.Slow, BadShares: ns.BadShares, Attestation: ns.Attestation}
		if info.State == "" {
			info.State = lit.NodeUnknown
		}
		if info.State != lit.NodeUnknown {
			up := ns.Up
			info.Up = &up
		}
		if !ns.LastSeen.IsZero() {
			seen := ns.LastSeen.UTC()
			info.LastSeen = &seen
		}
		if ns.Price != nil {
			info.Price = ns.Price.String()
		}
		st.Nodes = append(st.Nodes, info)
	}
	return st
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
