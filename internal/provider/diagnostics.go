package provider

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// Stable diagnostic summaries.
const (
	summaryNotReachable = "Media server not reachable"
	summaryCancelled    = "Verification cancelled"
)

// maxRowsInMessage bounds the failing rows a message lists; the rest are
// counted ("and N more").
const maxRowsInMessage = 10

// fromVantage says where probes ran from, in messages.
func fromVantage(name string) string {
	if name == vantage.LocalName || name == "" {
		return "from the machine running Terraform"
	}
	return fmt.Sprintf("from vantage point %q", name)
}

// operation describes the Terraform operation a verification ran under, for
// messages.
type operation struct {
	name     string        // "create", "update", "read"
	timeout  time.Duration // that operation's timeout
	snapshot bool          // each port until its first answer (refresh, data source)
}

// failureMessage describes a failed verification from one vantage point: a
// short stable summary and a detail with one line per failing row (at most
// maxRowsInMessage). runErr is the vantage point's error.
func failureMessage(rep verify.Report, req vantage.Request, op operation, runErr error) (summary, detail string) {
	return runsFailureMessage([]vantageRun{{name: rep.Vantage, report: rep, err: runErr}}, req, op, runErr)
}

// message describes the outcome's failure, naming the vantage points that
// failed.
func (o outcome) message(op operation) (summary, detail string) {
	if len(o.runs) == 0 {
		return failureMessage(o.report, o.req, op, o.err)
	}
	return runsFailureMessage(o.runs, o.req, op, o.err)
}

// runsFailureMessage describes a failed verification from one or more
// vantage points; err is their joined error.
func runsFailureMessage(runs []vantageRun, req vantage.Request, op operation, err error) (summary, detail string) {
	summary = summaryNotReachable
	var b strings.Builder
	rep, _ := mergeRuns(runs)
	single := len(runs) == 1 && !runs[0].failed()
	switch {
	case errors.Is(err, context.Canceled):
		summary = summaryCancelled
		fmt.Fprintf(&b, "Terraform was interrupted %s into the verification of %q, before every check passed. "+
			"What was learned so far:\n", fmtDuration(rep.Elapsed), req.Host)
	case !single:
		fmt.Fprintf(&b, "%q did not pass every check %s", req.Host, fromVantages(failingRuns(runs)))
		switch {
		case op.snapshot:
			fmt.Fprintf(&b, " (each port probed until its first answer, a silent one until the read timeout of %s).\n",
				fmtDuration(op.timeout))
		default:
			fmt.Fprintf(&b, " within the %s timeout of %s.\n", op.name, fmtDuration(op.timeout))
		}
	case rep.ErrorTimedOut:
		fmt.Fprintf(&b, "%q did not pass every check %s: a check answered only wrongly for error_timeout (%s), "+
			"so the verification stopped %s into the %s timeout of %s.\n",
			req.Host, fromVantage(rep.Vantage), fmtDuration(req.Policy.ErrorTimeout), fmtDuration(rep.Elapsed),
			op.name, fmtDuration(op.timeout))
	case op.snapshot:
		fmt.Fprintf(&b, "%q did not pass every check %s (each port probed until its first answer, a silent one "+
			"until the read timeout of %s).\n", req.Host, fromVantage(rep.Vantage), fmtDuration(op.timeout))
	default:
		fmt.Fprintf(&b, "%q did not pass every check within the %s timeout of %s (%s).\n",
			req.Host, op.name, fmtDuration(op.timeout), fromVantage(rep.Vantage))
	}
	for _, line := range runProblems(runs, req) {
		b.WriteString("\n" + line + "\n")
	}
	var failing, passed int
	for _, run := range runs {
		for _, r := range run.report.Results {
			if r.Passed {
				passed++
				continue
			}
			failing++
			if failing <= maxRowsInMessage {
				b.WriteString("\n" + failureLine(r, run.report, req.Host, op))
			}
		}
	}
	if failing > maxRowsInMessage {
		fmt.Fprintf(&b, "\nand %d more failing results (set on_failure = \"warn\", or use the "+
			"media_server_reachability data source, to keep every result in state).", failing-maxRowsInMessage)
	}
	if len(rep.Results) > 0 {
		fmt.Fprintf(&b, "\n\n%d of %d results passed.", passed, len(rep.Results))
	}
	return summary, b.String()
}

// noVerdictProblem explains why a failed verification cannot be stored
// after all: some rows have no status, because the operation's timeout
// ended before any attempt on their ports finished (an attempt the timeout
// cut short counts as filtered; one the timeout kept from starting, behind
// max_probe_rate or max_concurrency, counts as nothing). "" when every row
// has a status. State only ever holds open, closed, filtered or error.
func noVerdictProblem(rep verify.Report, op operation) string {
	n := 0
	for _, r := range rep.Results {
		if r.Status == probe.StatusNone {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%s got no verdict: the %s timeout of %s ended before any attempt on their ports finished, "+
		"so there is no status to store. Raise the %s timeout, or max_probe_rate (or the provider's "+
		"max_concurrency) so that every port is probed in time.",
		plural(n, "result"), op.name, fmtDuration(op.timeout), op.name)
}

// resolutionProblem explains a host that gave no address to verify.
func resolutionProblem(rep verify.Report, req vantage.Request) string {
	if len(rep.Addresses) > 0 {
		return ""
	}
	if rep.ResolveCode == verify.CodeUnusableAddress {
		return fmt.Sprintf("%s; nothing was probed. Likely a DNS sinkhole or a placeholder record: point the name "+
			"at the server's public address.", rep.ResolveError)
	}
	if rep.ResolveError != "" {
		return fmt.Sprintf("%s did not resolve %s: %s; likely the DNS record does not exist yet, or that machine "+
			"uses a resolver that does not see it.", req.Host, fromVantage(rep.Vantage), rep.ResolveError)
	}
	if req.IPVersion == verify.IPv4 || req.IPVersion == verify.IPv6 {
		return fmt.Sprintf("%s has no %s address %s; likely ip_version = %q does not match its DNS records.",
			req.Host, req.IPVersion, fromVantage(rep.Vantage), req.IPVersion)
	}
	return fmt.Sprintf("%s gave no address to verify %s.", req.Host, fromVantage(rep.Vantage))
}

// failureLine is one failing row, e.g.
// `stun/udp turn.example.com (203.0.113.7:3478) from the machine running
// Terraform: filtered after 12 attempts in 2m0s (create timeout 5m0s); no
// reply; likely a firewall or security group is dropping inbound UDP 3478`.
func failureLine(r verify.CheckResult, rep verify.Report, host string, op operation) string {
	var b strings.Builder
	b.WriteString(protocolLabel(r))
	if r.Name != check.DefaultName(r.Protocol, r.Transport, r.Label) {
		fmt.Fprintf(&b, " %q", r.Name)
	}
	single := r.Ports == 1 && len(r.FailingPorts) == 1
	if single {
		// A failing row of one port lists that port.
		fmt.Fprintf(&b, " %s (%s)", host, netip.AddrPortFrom(r.Address, r.FailingPorts[0]))
	} else {
		fmt.Fprintf(&b, " %s (%s ports %s)", host, r.Address, r.Label)
	}
	if r.Unreachable {
		return b.String() + unreachableLine(r, rep, op)
	}
	fmt.Fprintf(&b, " %s: %s", fromVantage(r.Vantage), statusWord(r.Status))
	if !single {
		// Count the ports that had a verdict; the rest were never probed.
		if probed := len(r.FailingPorts) - r.Unprobed; probed > 0 {
			fmt.Fprintf(&b, " on %d of %d ports", probed, r.Ports)
			if r.Unprobed > 0 {
				fmt.Fprintf(&b, ", %d not probed", r.Unprobed)
			}
		} else {
			fmt.Fprintf(&b, ", %d of %d ports not probed", r.Unprobed, r.Ports)
		}
		if d := rowDetail(r); d != "" {
			fmt.Fprintf(&b, " (%s)", d)
		}
	}
	fmt.Fprintf(&b, " after %s in %s", plural(r.Attempts, "attempt"), fmtDuration(rep.Elapsed))
	if !op.snapshot && op.timeout > 0 {
		fmt.Fprintf(&b, " (%s timeout %s)", op.name, fmtDuration(op.timeout))
	}
	if c := lastCause(r, single); c != "" {
		b.WriteString("; " + c)
	}
	b.WriteString("; " + likelyFix(r))
	return b.String()
}

func protocolLabel(r verify.CheckResult) string {
	return check.RowLabel(r.Protocol, r.Transport)
}

// statusWord is how messages name a status. A row without a verdict is
// never stored (see noVerdictProblem), so "none" is not a word users see.
func statusWord(s probe.Status) string {
	if s == probe.StatusNone {
		return "no verdict"
	}
	return s.String()
}

// lastCause is the underlying error of the row's (first) failing port.
func lastCause(r verify.CheckResult, single bool) string {
	if len(r.Failing) == 0 {
		if single {
			return rowDetail(r)
		}
		return ""
	}
	f := r.Failing[0]
	cause := f.Cause
	if cause == "" {
		cause = f.Error
	}
	cause = joinDistinct(cause, f.Detail)
	if cause == "" {
		return ""
	}
	if single {
		return cause
	}
	return "last error on " + f.Address + ": " + cause
}

// likelyFix names the likely cause of the row's status.
func likelyFix(r verify.CheckResult) string {
	transport := r.Transport
	if transport == "tls" {
		transport = "tcp" // the firewall sees TCP
	}
	where := strings.ToUpper(transport) + " " + statusPortsLabel(r)
	switch r.Status {
	case probe.StatusOpen:
		// The row's ports answered, but not consecutive_successes times in a row.
		return "it answered, but not consecutive_successes times in a row before the verification ended; likely " +
			"the service only just started or keeps restarting"
	case probe.StatusClosed:
		return fmt.Sprintf("likely nothing is listening on %s at %s, or a firewall rule rejects it", where, r.Address)
	case probe.StatusFiltered:
		return fmt.Sprintf("likely a firewall or security group is dropping inbound %s", where)
	case probe.StatusError:
		if len(r.Failing) > 0 {
			switch r.Failing[0].Code {
			case probe.CodeMute:
				return "the TCP connection completed, so the network path is open, but the service never answered; " +
					"likely it is still starting, hung, or another service that waits for the client to speak " +
					"listens on that port"
			case probe.CodeOpenRelay:
				return "the TURN server relays to private or metadata peers, an open relay into its network; refuse " +
					"them with denied-peer-ip lines and no-multicast-peers in turnserver.conf (see the guide " +
					"\"Hardening a TURN server\")"
			case probe.CodeUnauthorized:
				return "likely the credentials (turn.username and turn.password, or turn.shared_secret and the " +
					"server's static-auth-secret) or turn.realm do not match the server's"
			case probe.CodeClientCert:
				return "likely the server requires mutual TLS (a client certificate), which the probe and most " +
					"clients do not have; check that the server's client-certificate setting is meant for this port"
			}
		}
		if p, ok := check.Lookup(r.Protocol); ok {
			return p.ErrorHint
		}
		return "likely a different service answered on that port"
	default:
		return "no attempt finished before the verification ended"
	}
}

// maxPortsLabel bounds the list of ports that a likely cause names; a
// longer one names the row's label instead.
const maxPortsLabel = 60

// statusPortsLabel names the ports of a range that have the row's status,
// "10500-10999" rather than the whole range "10000-10999".
func statusPortsLabel(r verify.CheckResult) string {
	ports := r.PortsWith(r.Status)
	if r.Ports <= 1 || len(ports) == 0 || len(ports) == r.Ports {
		return r.Label
	}
	if s := check.CompactPorts(ports); len(s) <= maxPortsLabel {
		return strings.ReplaceAll(s, " ", "")
	}
	return r.Label
}

// rowDetail is a row's detail as results and messages show it: what failed
// ("filtered: 10500-10999; closed: 10001") for several ports, the cause for
// one, or the open answer's detail (TLS version, certificate expiry).
func rowDetail(r verify.CheckResult) string {
	if r.Ports == 1 {
		switch {
		case r.Passed:
			return r.OpenDetail
		case len(r.Failing) == 0 || r.Failing[0].Status == probe.StatusNone:
			return "no attempt finished"
		default:
			return joinDistinct(r.Failing[0].Cause, r.Failing[0].Detail)
		}
	}
	if r.Passed {
		return fmt.Sprintf("all %d ports open", r.Ports)
	}
	parts := make([]string, 0, len(r.Groups))
	for _, g := range r.Groups {
		name := g.Status.String()
		switch g.Status {
		case probe.StatusOpen:
			name = "not yet passed"
		case probe.StatusNone:
			name = "not probed"
		}
		parts = append(parts, name+": "+check.CompactPorts(g.Ports))
	}
	return strings.Join(parts, "; ")
}

// joinDistinct is "a (b)", or whichever is set when the other is empty or
// the same.
func joinDistinct(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a == b:
		return a
	default:
		return a + " (" + b + ")"
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// fmtDuration rounds for reading: milliseconds under a second, tenths of a
// second above.
func fmtDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}
