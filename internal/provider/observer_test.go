package provider

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// The INFO line every 10s names what still fails: check, address, status
// and attempts.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	stun := failingRow(0, "stun", "udp", "3478", addr4, probe.StatusFiltered, "no STUN response")
	stun.Attempts = 390
	rng := failingRow(1, "tcp", "tcp", "10000-10099", addr4, probe.StatusClosed, "connection refused")
	rng.Ports, rng.FailingPorts, rng.Unprobed = 100, portRange(10050, 50), 10
	ok := verify.CheckResult{Passed: true, Status: probe.StatusOpen, Address: netip.MustParseAddr("2001:db8::7")}
	rep := verify.Report{Host: "sfu-1.example.net", Elapsed: 20 * time.Second, Results: []verify.CheckResult{stun, rng, ok}}
	want := "still verifying sfu-1.example.net after 20s: stun/udp 203.0.113.7:3478 filtered after 390 attempts; " +
		"tcp 203.0.113.7 ports 10000-10099 closed on 40 of 100 ports after 12 attempts; 1 of 3 results passed"
	if got := progressLine(rep); got != want {
		t.Errorf("progressLine =\n%s\nwant\n%s", got, want)
	}
}
