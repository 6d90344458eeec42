package provider

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

var (
	addr4 = netip.MustParseAddr("203.0.113.7")
	addr6 = netip.MustParseAddr("2001:db8::7")
)

// failingRow is a failing row of one port as the engine reports it; callers
// turn it into a range row by setting Ports, FailingPorts and Groups.
func failingRow(index int, proto, transport, label string, a netip.Addr, st probe.Status, cause string) verify.CheckResult {
	port, _ := strconv.Atoi(strings.Split(label, "-")[0])
	return verify.CheckResult{
		Check: index, Name: check.DefaultName(proto, transport, label), Protocol: proto, Transport: transport,
		Label: label, Ports: 1, Address: a, Status: st, Attempts: 12, FailingPorts: []uint16{uint16(port)},
		Failing: []probe.Result{{
			Protocol: proto, Transport: transport, Address: netip.AddrPortFrom(a, uint16(port)).String(),
			Status: st, Code: probe.CodeRefused, Cause: cause, Error: "dial: connection refused",
		}},
	}
}

func TestFailureMessageSinglePorts(t *testing.T) {
	t.Parallel()
	plan := vantage.Request{Host: "turn.example.com"}
	stun := failingRow(0, "stun", "udp", "3478", addr4, probe.StatusFiltered, "no STUN response")
	tls6 := failingRow(1, "tls", "tcp", "443", addr6, probe.StatusClosed, "connection refused")
	rep := verify.Report{
		Host: plan.Host, Addresses: []netip.Addr{addr4, addr6}, Elapsed: 2 * time.Minute,
		Results: []verify.CheckResult{
			stun,
			{Check: 0, Protocol: "stun", Transport: "udp", Label: "3478", Address: addr6, Status: probe.StatusOpen, Passed: true},
			{Check: 1, Protocol: "tls", Transport: "tcp", Label: "443", Address: addr4, Status: probe.StatusOpen, Passed: true},
			tls6,
		},
	}
	summary, detail := failureMessage(rep, plan, operation{name: "create", timeout: 5 * time.Minute},
		fmt.Errorf("verify: %w", context.DeadlineExceeded))
	if summary != summaryNotReachable {
		t.Errorf("summary %q", summary)
	}
	for _, want := range []string{
		`"turn.example.com" did not pass every check within the create timeout of 5m0s (from the machine running Terraform).`,
		"stun/udp turn.example.com (203.0.113.7:3478) from the machine running Terraform: filtered after 12 attempts " +
			"in 2m0s (create timeout 5m0s); no STUN response; likely a firewall or security group is dropping inbound UDP 3478",
		"tls turn.example.com ([2001:db8::7]:443) from the machine running Terraform: closed after 12 attempts in " +
			"2m0s (create timeout 5m0s); connection refused; likely nothing is listening on TCP 443 at 2001:db8::7",
		"2 of 4 results passed.",
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, detail)
		}
	}
	if strings.Contains(detail, "203.0.113.7:443") {
		t.Errorf("passing rows must be summarised, not listed:\n%s", detail)
	}
}

func TestFailureMessageRange(t *testing.T) {
	t.Parallel()
	plan := vantage.Request{Host: "media.example.com"}
	row := failingRow(0, "stun", "udp", "10000-10199", addr4, probe.StatusClosed, "connection refused")
	row.Failing[0].Address = "203.0.113.7:10003" // the first failing port
	row.Ports = 200
	row.FailingPorts = []uint16{10003, 10180, 10181, 10182}
	row.Groups = []verify.PortGroup{{Status: probe.StatusClosed, Ports: row.FailingPorts}}
	row.Name = "media"
	rep := verify.Report{Host: plan.Host, Addresses: []netip.Addr{addr4}, Elapsed: 3 * time.Second,
		Results: []verify.CheckResult{row}}
	_, detail := failureMessage(rep, plan, operation{name: "create", timeout: 3 * time.Second}, context.DeadlineExceeded)
	want := `stun/udp "media" media.example.com (203.0.113.7 ports 10000-10199) from the machine running Terraform: ` +
		`closed on 4 of 200 ports (closed: 10003, 10180-10182) after 12 attempts in 3s (create timeout 3s); ` +
		`last error on 203.0.113.7:10003: connection refused; likely nothing is listening on UDP 10003,10180-10182 at 203.0.113.7`
	if !strings.Contains(detail, want) {
		t.Errorf("detail lacks\n%s\ngot\n%s", want, detail)
	}
}

// A row whose port answered, but not consecutive_successes times in a row
// by the deadline, is open and not passed: its line must not claim that no
// attempt finished.
func TestFailureMessageOpenNotYetPassed(t *testing.T) {
	t.Parallel()
	plan := vantage.Request{Host: "h.example"}
	row := failingRow(0, "tcp", "tcp", "443", addr4, probe.StatusOpen, "")
	row.Failing[0].Error = ""
	rep := verify.Report{Host: plan.Host, Addresses: []netip.Addr{addr4}, Elapsed: time.Minute,
		Results: []verify.CheckResult{row}}
	_, detail := failureMessage(rep, plan, operation{name: "create", timeout: time.Minute}, context.DeadlineExceeded)
	want := "tcp h.example (203.0.113.7:443) from the machine running Terraform: open after 12 attempts in 1m0s " +
		"(create timeout 1m0s); it answered, but not consecutive_successes times in a row before the verification ended"
	if !strings.Contains(detail, want) {
		t.Errorf("detail lacks\n%s\ngot\n%s", want, detail)
	}
	if strings.Contains(detail, "no attempt finished") {
		t.Errorf("an open row claims that no attempt finished:\n%s", detail)
	}
}

func TestFailureMessageCapsRows(t *testing.T) {
	t.Parallel()
	plan := vantage.Request{Host: "h.example"}
	rep := verify.Report{Host: plan.Host, Addresses: []netip.Addr{addr4}}
	for i := range 13 {
		rep.Results = append(rep.Results, failingRow(i, "tcp", "tcp", fmt.Sprint(1000+i), addr4, probe.StatusClosed, "connection refused"))
	}
	rep.Results = append(rep.Results, verify.CheckResult{Passed: true, Status: probe.StatusOpen})
	_, detail := failureMessage(rep, plan, operation{name: "update", timeout: time.Minute}, context.DeadlineExceeded)
	if n := strings.Count(detail, "from the machine running Terraform:"); n != maxRowsInMessage {
		t.Errorf("listed %d rows, want %d:\n%s", n, maxRowsInMessage, detail)
	}
	for _, want := range []string{"and 3 more failing results", "1 of 14 results passed."} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, detail)
		}
	}
}

func TestFailureMessageCancelled(t *testing.T) {
	t.Parallel()
	plan := vantage.Request{Host: "h.example"}
	// The cancel came before any attempt on port 1 finished.
	rep := verify.Report{Host: plan.Host, Addresses: []netip.Addr{addr4}, Elapsed: 1500 * time.Millisecond,
		Results: []verify.CheckResult{{Name: "tcp/1", Protocol: "tcp", Transport: "tcp", Label: "1", Ports: 1,
			Address: addr4, FailingPorts: []uint16{1}}}}
	summary, detail := failureMessage(rep, plan, operation{name: "create", timeout: time.Minute},
		fmt.Errorf("verify: %w", context.Canceled))
	if summary != summaryCancelled {
		t.Errorf("summary %q", summary)
	}
	for _, want := range []string{"Terraform was interrupted 1.5s into",
		"tcp h.example (203.0.113.7:1) from the machine running Terraform: no verdict after 0 attempts in 1.5s",
		"no attempt finished before the verification ended", "0 of 1 results passed."} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, detail)
		}
	}
}

func TestFailureMessageResolution(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rep  verify.Report
		ipv  verify.IPVersion
		want string
	}{
		{"lookup failed", verify.Report{ResolveError: "lookup h.example: no such host", ResolveCode: probe.CodeLookupFailed}, verify.IPAny,
			"h.example did not resolve from the machine running Terraform: lookup h.example: no such host; likely the DNS record does not exist yet"},
		{"no address of that version", verify.Report{}, verify.IPv6,
			`h.example has no ipv6 address from the machine running Terraform; likely ip_version = "ipv6" does not match`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := vantage.Request{Host: "h.example", IPVersion: tc.ipv}
			_, detail := failureMessage(tc.rep, plan, operation{name: "create", timeout: time.Minute}, context.DeadlineExceeded)
			if !strings.Contains(detail, tc.want) {
				t.Errorf("detail lacks %q:\n%s", tc.want, detail)
			}
		})
	}
}

// Ctrl-C in the middle of a range: the message counts the ports that had a
// verdict and says how many were never probed, rather than "closed on 4000
// of 4000 ports".
func TestFailureMessageCountsUnprobedPorts(t *testing.T) {
	t.Parallel()
	plan := vantage.Request{Host: "media.example.com"}
	row := failingRow(0, "tcp", "tcp", "20000-23999", addr4, probe.StatusClosed, "connection refused")
	row.Ports = 4000
	row.FailingPorts = portRange(20000, 4000)
	row.Unprobed = 1501
	row.Groups = []verify.PortGroup{{Status: probe.StatusClosed, Ports: portRange(20000, 2499)},
		{Status: probe.StatusNone, Ports: portRange(22499, 1501)}}
	rep := verify.Report{Host: plan.Host, Addresses: []netip.Addr{addr4}, Elapsed: 2 * time.Second,
		Results: []verify.CheckResult{row}}
	_, detail := failureMessage(rep, plan, operation{name: "create", timeout: time.Minute}, context.Canceled)
	want := "closed on 2499 of 4000 ports, 1501 not probed (closed: 20000-22498; not probed: 22499-23999)"
	if !strings.Contains(detail, want) {
		t.Errorf("detail lacks\n%s\ngot\n%s", want, detail)
	}
	row.Status, row.Unprobed = probe.StatusNone, 4000
	rep.Results = []verify.CheckResult{row}
	_, detail = failureMessage(rep, plan, operation{name: "create", timeout: time.Minute}, context.Canceled)
	if want := "no verdict, 4000 of 4000 ports not probed"; !strings.Contains(detail, want) {
		t.Errorf("detail lacks\n%s\ngot\n%s", want, detail)
	}
}

func portRange(first uint16, n int) []uint16 {
	ports := make([]uint16, n)
	for i := range ports {
		ports[i] = first + uint16(i)
	}
	return ports
}

// A name that resolves to the unspecified address names it and is never
// blamed on a DNS record that does not exist yet.
func TestResolutionProblemUnspecifiedAddress(t *testing.T) {
	t.Parallel()
	plan := vantage.Request{Host: "sinkhole.example"}
	rep := verify.Report{ResolveCode: verify.CodeUnusableAddress,
		ResolveError: (&probe.AddressError{Host: "sinkhole.example", Addr: netip.IPv4Unspecified()}).Error()}
	got := resolutionProblem(rep, plan)
	for _, want := range []string{"sinkhole.example resolved to 0.0.0.0", "nothing was probed", "sinkhole"} {
		if !strings.Contains(got, want) {
			t.Errorf("problem %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "does not exist yet") {
		t.Errorf("problem %q blames a missing record", got)
	}
}

// A service that accepted the TCP connection and then stayed silent is not
// blamed on a firewall, and a required client certificate is named.
func TestLikelyFixForAnsweredErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code          probe.Code
		want, notWant string
	}{
		{probe.CodeMute, "network path is open", "firewall"},
		{probe.CodeClientCert, "client certificate", "certificate problem"},
	}
	for _, tc := range tests {
		row := failingRow(0, "tls", "tcp", "443", addr4, probe.StatusError, "cause")
		row.Failing[0].Code = tc.code
		got := likelyFix(row)
		if !strings.Contains(got, tc.want) || strings.Contains(got, tc.notWant) {
			t.Errorf("likelyFix(%q) = %q, want %q and not %q", tc.code, got, tc.want, tc.notWant)
		}
	}
}

// A range's likely cause names the failing ports, not the whole range.
func TestLikelyFixNamesFailingPortsOfRange(t *testing.T) {
	t.Parallel()
	row := failingRow(0, "stun", "udp", "10000-10999", addr4, probe.StatusFiltered, "no STUN response")
	row.Ports = 1000
	row.FailingPorts = portRange(10500, 500)
	row.Groups = []verify.PortGroup{{Status: probe.StatusFiltered, Ports: row.FailingPorts}}
	if got, want := likelyFix(row), "dropping inbound UDP 10500-10999"; !strings.Contains(got, want) {
		t.Errorf("likelyFix = %q, want it to name %q", got, want)
	}
	row.Groups = []verify.PortGroup{{Status: probe.StatusFiltered, Ports: portRange(10000, 1000)}}
	if got, want := likelyFix(row), "dropping inbound UDP 10000-10999"; !strings.Contains(got, want) {
		t.Errorf("likelyFix = %q, want %q", got, want)
	}
}

// Messages say where each row was probed from: the row's vantage point.
func TestFailureLineNamesVantage(t *testing.T) {
	t.Parallel()
	row := failingRow(0, "tcp", "tcp", "443", addr4, probe.StatusFiltered, "no answer before the deadline")
	for vantageName, want := range map[string]string{
		"":                "from the machine running Terraform",
		vantage.LocalName: "from the machine running Terraform",
		"eu-west":         `from vantage point "eu-west"`,
	} {
		row.Vantage = vantageName
		rep := verify.Report{Vantage: vantageName, Host: "h.example", Results: []verify.CheckResult{row}}
		if got := failureLine(row, rep, "h.example", operation{name: "create", timeout: time.Minute}); !strings.Contains(got, want) {
			t.Errorf("vantage %q: %s", vantageName, got)
		}
	}
}

// An open relay and refused credentials each get their own likely cause,
// not the protocol's generic one.
func TestLikelyFixForTURN(t *testing.T) {
	t.Parallel()
	for code, want := range map[probe.Code]string{
		probe.CodeOpenRelay:    "denied-peer-ip",
		probe.CodeUnauthorized: "credentials",
	} {
		row := failingRow(0, "turn", "udp", "3478", addr4, probe.StatusError, "cause")
		row.Failing[0].Code = code
		if got := likelyFix(row); !strings.Contains(got, want) {
			t.Errorf("likelyFix(%s) = %q, want %q", code, got, want)
		}
	}
}
