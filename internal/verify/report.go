package verify

import (
	"net/netip"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
)

// Report is the outcome of one Run.
type Report struct {
	Host string
	// Addresses are the resolved addresses that were verified.
	Addresses []netip.Addr
	// ResolveErr is the last resolution failure when no address was found.
	ResolveErr error
	// Results has one row per check and address, in check order and then
	// address order.
	Results []CheckResult
	// Reachable is true when every row passed.
	Reachable bool
	// Elapsed is the time from start until the report was made.
	Elapsed time.Duration
}

// CheckResult is one row: one check on one address, over all its ports.
type CheckResult struct {
	Check     int // index into Plan.Checks
	Name      string
	Protocol  string
	Transport string
	Label     string // port or range label
	Address   netip.Addr
	// Status is the worst status of the row's ports (see probe.Status.Severity).
	Status probe.Status
	Passed bool
	// Attempts is the largest number of finished attempts on any one port.
	Attempts int
	// RTT is the most recent open attempt's round trip (first port that has one).
	RTT time.Duration
	// MappedAddress is the last STUN mapped address seen.
	MappedAddress string
	// Detail says which ports failed and why, e.g. "filtered: 10500-10999",
	// or carries the open result's detail (certificate expiry).
	Detail string
	// Failing holds the last result of each failing port (at most a few, for
	// messages); empty when Passed.
	Failing []probe.Result
	// FailingPorts lists every port that had not passed.
	FailingPorts []uint16
	// PassedAfter is the time from start until the row passed.
	PassedAfter time.Duration
}
