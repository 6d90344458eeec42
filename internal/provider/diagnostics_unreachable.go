package provider

import (
	"fmt"
	"strings"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// unreachableLine ends the failure line of an expect = "unreachable" row,
// after its label, host and address: ` answered open from vantage point
// "eu-west", but expect = unreachable ...`.
func unreachableLine(r verify.CheckResult, rep verify.Report, op operation) string {
	var b strings.Builder
	transport := strings.ToUpper(r.Transport)
	if transport == "TLS" {
		transport = "TCP" // the firewall sees TCP
	}
	switch r.Status {
	case probe.StatusOpen, probe.StatusError:
		fmt.Fprintf(&b, " answered %s %s, but expect = unreachable", statusWord(r.Status), fromVantage(r.Vantage))
		if ports := r.PortsWith(r.Status); r.Ports > 1 && len(ports) > 0 {
			fmt.Fprintf(&b, " (%s: %s)", r.Status, strings.ReplaceAll(check.CompactPorts(ports), " ", ""))
		}
		fmt.Fprintf(&b, "; after %s in %s", plural(r.Attempts, "attempt"), fmtDuration(rep.Elapsed))
		if c := lastCause(r, r.Ports == 1); c != "" && r.Status == probe.StatusError {
			b.WriteString("; " + c)
		}
		fmt.Fprintf(&b, "; something listens there and a firewall or security group lets inbound %s %s in "+
			"from there: restrict it to trusted sources, or stop the service", transport, r.Label)
	default:
		fmt.Fprintf(&b, " %s: %s, but not yet enough answers for expect = unreachable after %s in %s",
			fromVantage(r.Vantage), statusWord(r.Status), plural(r.Attempts, "attempt"), fmtDuration(rep.Elapsed))
		if !op.snapshot && op.timeout > 0 {
			fmt.Fprintf(&b, " (%s timeout %s)", op.name, fmtDuration(op.timeout))
		}
		fmt.Fprintf(&b, "; the verification ended before every port had answered at least %d times in a row; "+
			"raise the timeout", verify.MinUnreachableAttempts)
	}
	return b.String()
}
