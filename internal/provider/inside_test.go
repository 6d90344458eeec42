package provider

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// A pass from inside the network is flagged: a private address probed, or a
// STUN server that saw the probe come from a private address. A public
// address seen from a public one is not.
func TestInsideOnly(t *testing.T) {
	t.Parallel()
	row := func(addr, mapped string) verify.CheckResult {
		return verify.CheckResult{Vantage: vantage.LocalName, Protocol: "stun", Transport: "udp", Label: "3478",
			Ports: 1, Address: netip.MustParseAddr(addr), Status: probe.StatusOpen, Passed: true, MappedAddress: mapped}
	}
	for _, tc := range []struct {
		name string
		r    verify.CheckResult
		want string // "" = no warning
	}{
		{"public seen from public", row("198.51.100.13", "203.0.113.5:40000"), ""},
		{"private address", row("10.0.0.7", ""), "stun/udp 3478: 10.0.0.7 is not a public address"},
		{"CGNAT address", row("100.64.1.2", ""), "100.64.1.2 is not a public address"},
		{"loopback", row("127.0.0.1", ""), "127.0.0.1 is not a public address"},
		{"mapped private", row("198.51.100.13", "10.0.0.5:51000"), "the runner reached 198.51.100.13 from 10.0.0.5"},
		{"mapped ULA", row("2001:db8::13", "[fd00::5]:51000"), "the runner reached 2001:db8::13 from fd00::5"},
	} {
		got := insideOnly(verify.Report{Results: []verify.CheckResult{tc.r}})
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: insideOnly = %q, want %q", tc.name, got, tc.want)
		}
	}
	failed := row("10.0.0.7", "")
	failed.Passed = false
	if got := insideOnly(verify.Report{Results: []verify.CheckResult{failed}}); got != "" {
		t.Errorf("a failed row warned: %q", got)
	}
}
