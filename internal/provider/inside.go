package provider

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// summaryInsideOnly is the warning on a pass that proves nothing about the
// internet: the probes ran from inside the server's network.
const summaryInsideOnly = "Passed from inside the network only"

// cgnat is RFC 6598 shared address space, private in all but name.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// insideAddress reports whether a is an address the internet cannot reach
// directly: RFC 1918, ULA, CGNAT, loopback or link-local.
func insideAddress(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a)
}

// insideOnly explains why passing rows of a local verification prove nothing
// about customers on the internet: the address probed is not public, or a
// STUN server saw the probe come from a private address (the runner and the
// server share a network). "" when no passing row shows either.
func insideOnly(rep verify.Report) string {
	var lines []string
	for _, r := range rep.Results {
		if !r.Passed || (r.Vantage != vantage.LocalName && r.Vantage != "") {
			continue
		}
		from, err := netip.ParseAddrPort(r.MappedAddress)
		switch {
		case insideAddress(r.Address):
			lines = append(lines, fmt.Sprintf("%s %s: %s is not a public address", protocolLabel(r), r.Label, r.Address))
		case err == nil && insideAddress(from.Addr()):
			lines = append(lines, fmt.Sprintf("%s %s: the runner reached %s from %s", protocolLabel(r), r.Label,
				r.Address, from.Addr()))
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "These checks passed from the machine running Terraform, which probed from inside the server's " +
		"network; reachability from the internet is unproven:\n\n" + strings.Join(lines, "\n") +
		"\n\nProbe the public address from a machine outside that network to prove what customers see."
}
