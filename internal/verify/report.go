package verify

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
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
	// ErrorTimedOut is set when the run ended before its deadline because a
	// port answered only wrongly for Policy.ErrorTimeout.
	ErrorTimedOut bool
}

// CheckResult is one row: one check on one address, over all its ports.
type CheckResult struct {
	Check     int // index into Plan.Checks
	Name      string
	Protocol  string
	Transport string
	Label     string // port or range label
	Ports     int    // how many ports the row probed
	Address   netip.Addr
	// Status is open when the row passed, else the worst status among the
	// ports that did not pass (see probe.Status.Severity): StatusNone only
	// when none of them had a verdict before the run ended.
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
	// FailingPorts lists every port that had not passed; StatusPorts those
	// of them whose status is the row's Status.
	FailingPorts []uint16
	StatusPorts  []uint16
	// Unprobed counts the failing ports that had no verdict at all: the run
	// ended before any attempt on them finished.
	Unprobed int
	// PassedAfter is the time from start until the row passed.
	PassedAfter time.Duration
}

// maxFailingResults bounds CheckResult.Failing, which feeds messages.
const maxFailingResults = 5

// report folds the units into one row per check and address.
func (r *run) report(addrs []netip.Addr) Report {
	rep := Report{Host: r.plan.Host, Addresses: addrs, Reachable: true}
	byRow := make(map[rowKey][]*unit)
	for _, u := range r.units {
		k := rowKey{u.check, u.target.IP}
		byRow[k] = append(byRow[k], u)
	}
	for ci, c := range r.plan.Checks {
		for _, a := range addrs {
			row := buildRow(ci, c, a, byRow[rowKey{ci, a}])
			rep.Reachable = rep.Reachable && row.Passed
			rep.Results = append(rep.Results, row)
		}
	}
	if len(rep.Results) == 0 {
		rep.Reachable = false
	}
	rep.Elapsed = r.deps.Clock.Now().Sub(r.start)
	rep.ErrorTimedOut = r.erred
	return rep
}

type rowKey struct {
	check int
	ip    netip.Addr
}

func buildRow(ci int, c check.Check, a netip.Addr, units []*unit) CheckResult {
	row := CheckResult{
		Check: ci, Name: c.Name, Protocol: c.Protocol, Transport: c.Transport,
		Label: c.Label, Ports: len(units), Address: a, Passed: true,
	}
	worst := probe.StatusNone // among ports that have not passed
	byStatus := make(map[probe.Status][]uint16)
	for _, u := range units {
		row.Attempts = max(row.Attempts, u.done)
		if u.lastOK.Status == probe.StatusOpen && row.RTT == 0 {
			row.RTT = u.lastOK.RTT
			row.MappedAddress = u.lastOK.MappedAddress
		}
		if u.passed {
			row.PassedAfter = max(row.PassedAfter, u.passAt)
			continue
		}
		row.Passed = false
		st := u.last.Status
		if st.Severity() > worst.Severity() {
			worst = st
		}
		byStatus[st] = append(byStatus[st], u.target.Port)
		if st == probe.StatusNone {
			row.Unprobed++
		}
		row.FailingPorts = append(row.FailingPorts, u.target.Port)
		if len(row.Failing) < maxFailingResults {
			row.Failing = append(row.Failing, u.last)
		}
	}
	row.Status = probe.StatusOpen
	if !row.Passed {
		row.Status, row.PassedAfter = worst, 0
		row.StatusPorts = byStatus[worst]
	}
	row.Detail = rowDetail(row, units, byStatus)
	return row
}

// rowDetail names what failed ("filtered: 10500-10999; closed: 10001") for
// a range, the cause for a single port, or the open result's detail.
func rowDetail(row CheckResult, units []*unit, byStatus map[probe.Status][]uint16) string {
	if len(units) == 1 {
		u := units[0]
		if row.Passed {
			return u.lastOK.Detail
		}
		if u.last.Status == probe.StatusNone {
			return "no attempt finished"
		}
		return joinNonEmpty(u.last.Cause, u.last.Detail)
	}
	if row.Passed {
		return fmt.Sprintf("all %d ports open", len(units))
	}
	var parts []string
	for _, st := range []probe.Status{probe.StatusFiltered, probe.StatusClosed, probe.StatusError, probe.StatusOpen, probe.StatusNone} {
		if ports := byStatus[st]; len(ports) > 0 {
			name := st.String()
			switch st {
			case probe.StatusOpen:
				name = "not yet passed"
			case probe.StatusNone:
				name = "not probed"
			}
			parts = append(parts, name+": "+check.CompactPorts(ports))
		}
	}
	return strings.Join(parts, "; ")
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a == b:
		return a
	default:
		return a + " (" + b + ")"
	}
}
