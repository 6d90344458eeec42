package verify

import (
	"net/netip"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
)

// Report is the outcome of one Run. It is plain data with a JSON encoding,
// so a report made elsewhere (a remote vantage point) reads as one made
// here; it holds numbers, codes and the probes' own words, never prose of
// the engine's.
type Report struct {
	// Vantage names where the probes ran from, as on every row.
	Vantage string `json:"vantage"`
	Host    string `json:"host"`
	// Addresses are the resolved addresses that were verified.
	Addresses []netip.Addr `json:"addresses"`
	// ResolveError is the last resolution failure when no address was
	// found, and ResolveCode its code: probe.CodeLookupFailed, or
	// CodeUnusableAddress for an address that must never be probed.
	ResolveError string     `json:"resolve_error,omitempty"`
	ResolveCode  probe.Code `json:"resolve_code,omitempty"`
	// Results has one row per check and address, in check order and then
	// address order.
	Results []CheckResult `json:"results"`
	// Reachable is true when every row passed.
	Reachable bool `json:"reachable"`
	// Elapsed is the time from start until the report was made.
	Elapsed time.Duration `json:"elapsed_ns"`
	// ErrorTimedOut is set when the run ended before its deadline because a
	// port answered only wrongly for Policy.ErrorTimeout.
	ErrorTimedOut bool `json:"error_timed_out,omitempty"`
}

// CodeUnusableAddress is the ResolveCode of a host that is, or resolves
// to, an address that must never be probed (see probe.AddressError).
const CodeUnusableAddress probe.Code = "unusable_address"

// CheckResult is one row: one check on one address, over all its ports, as
// seen from one vantage point.
type CheckResult struct {
	// Vantage names where the probes ran from; the engine leaves it empty
	// and the vantage point that ran it fills it in.
	Vantage   string     `json:"vantage"`
	Check     int        `json:"check"` // index into Plan.Checks
	Name      string     `json:"name"`
	Protocol  string     `json:"protocol"`
	Transport string     `json:"transport"`
	Label     string     `json:"label"` // port or range label
	Ports     int        `json:"ports"` // how many ports the row probed
	Address   netip.Addr `json:"address"`
	// Unreachable is the check's expect = "unreachable": the row passes when
	// no port answered, and then its Status is the worst of their closed or
	// filtered answers; a failing row is open or error when some port
	// answered.
	Unreachable bool `json:"unreachable,omitempty"`
	// Status is open when the row passed, else the worst status among the
	// ports that did not pass (see probe.Status.Severity): StatusNone only
	// when none of them had a verdict before the run ended.
	Status probe.Status `json:"status"`
	Passed bool         `json:"passed"`
	// Attempts is the largest number of finished attempts on any one port.
	Attempts int `json:"attempts"`
	// RTT, MappedAddress and OpenDetail come from the most recent open
	// answer of the first port that has one.
	RTT           time.Duration `json:"rtt_ns,omitempty"`
	MappedAddress string        `json:"mapped_address,omitempty"`
	OpenDetail    string        `json:"open_detail,omitempty"`
	// Failing holds the last result of each failing port (at most a few, for
	// messages); empty when Passed.
	Failing []probe.Result `json:"failing,omitempty"`
	// FailingPorts lists every port that had not passed, and Groups the
	// same ports by their last status, worst first.
	FailingPorts []uint16    `json:"failing_ports,omitempty"`
	Groups       []PortGroup `json:"groups,omitempty"`
	// Unprobed counts the failing ports that had no verdict at all: the run
	// ended before any attempt on them finished.
	Unprobed int `json:"unprobed,omitempty"`
	// PassedAfter is the time from start until the row passed.
	PassedAfter time.Duration `json:"passed_after_ns,omitempty"`
}

// PortGroup is the failing ports of a row that share a last status.
type PortGroup struct {
	Status probe.Status `json:"status"`
	Ports  []uint16     `json:"ports"`
}

// PortsWith returns the failing ports whose last status is st.
func (r CheckResult) PortsWith(st probe.Status) []uint16 {
	for _, g := range r.Groups {
		if g.Status == st {
			return g.Ports
		}
	}
	return nil
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
		Label: c.Label, Ports: len(units), Address: a, Passed: true, Unreachable: c.Unreachable,
	}
	if c.Unreachable {
		return buildUnreachableRow(row, units)
	}
	worst := probe.StatusNone // among ports that have not passed
	byStatus := make(map[probe.Status][]uint16)
	for _, u := range units {
		row.Attempts = max(row.Attempts, u.done)
		if u.lastOK.Status == probe.StatusOpen && row.RTT == 0 {
			row.RTT = u.lastOK.RTT
			row.MappedAddress = u.lastOK.MappedAddress
			row.OpenDetail = u.lastOK.Detail
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
	}
	for _, st := range groupOrder {
		if ports := byStatus[st]; len(ports) > 0 {
			row.Groups = append(row.Groups, PortGroup{Status: st, Ports: ports})
		}
	}
	return row
}

// groupOrder is the order of a row's Groups: what most likely needs a fix
// first, then the ports that answered but have not passed yet, then those
// never probed.
var groupOrder = []probe.Status{probe.StatusFiltered, probe.StatusClosed, probe.StatusError, probe.StatusOpen, probe.StatusNone}

// buildUnreachableRow completes row for an expect = "unreachable" check.
func buildUnreachableRow(row CheckResult, units []*unit) CheckResult {
	passedStatus := probe.StatusNone // worst answer among passed ports
	worst := probe.StatusNone        // among ports that have not passed
	byStatus := make(map[probe.Status][]uint16)
	for _, u := range units {
		row.Attempts = max(row.Attempts, u.done)
		st := u.last.Status
		if u.lastOK.Status == probe.StatusOpen && row.RTT == 0 {
			row.RTT, row.MappedAddress, row.OpenDetail = u.lastOK.RTT, u.lastOK.MappedAddress, u.lastOK.Detail
		}
		if u.passed {
			row.PassedAfter = max(row.PassedAfter, u.passAt)
			if st.Severity() > passedStatus.Severity() {
				passedStatus = st
			}
			continue
		}
		row.Passed = false
		if unreachableRank(st) > unreachableRank(worst) {
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
	row.Status = passedStatus
	if !row.Passed {
		row.Status, row.PassedAfter = worst, 0
	}
	for _, st := range unreachableGroupOrder {
		if ports := byStatus[st]; len(ports) > 0 {
			row.Groups = append(row.Groups, PortGroup{Status: st, Ports: ports})
		}
	}
	return row
}

// unreachableRank orders the statuses of an unreachable check's failing
// ports: what answered is the news, open before error; then as Severity.
func unreachableRank(st probe.Status) int {
	switch st {
	case probe.StatusOpen:
		return 6
	case probe.StatusError:
		return 5
	default:
		return st.Severity()
	}
}

// unreachableGroupOrder is groupOrder for an unreachable check: the ports
// that answered first.
var unreachableGroupOrder = []probe.Status{probe.StatusOpen, probe.StatusError, probe.StatusFiltered, probe.StatusClosed, probe.StatusNone}
