//go:build linux

package scenario

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// labDualStack is the lab cases' server, beside the incident's three: it
// has an IPv6 address whose security group lacks udp/3478 from the
// internet, ports that the group rejects or drops from the internet, and a
// management port (tcp/22) that answers everyone.
var labDualStack = labServer{
	Name: "media-4", Addr: "198.51.100.21", Addr6: "2001:db8:100::21", Host: "media-4.lab.test",
	TCP: "22,443,3478,8443,8444", UDP: labUDP,
	Rules: []string{
		"ip6 saddr 2001:db8:113::/64 udp dport 3478 drop",
		"ip saddr 203.0.113.0/24 tcp dport 8443 reject with tcp reset",
		"ip saddr 203.0.113.0/24 udp dport 10000 reject",
		"ip saddr 203.0.113.0/24 tcp dport 8444 drop",
	},
}

// applyArgs are terraform's arguments for an unattended apply.
var applyArgs = []string{"apply", "-auto-approve", "-input=false", "-no-color"}

// What the incident does not show, each from the internet agent through
// real terraform: a plan that cannot satisfy require_external, a server
// whose IPv6 address lacks a rule, reject versus drop, ports that open
// while the apply waits, and a management port that must not answer.
func TestLabCases(t *testing.T) {
	start := time.Now()
	l := newLab(t, labDualStack)
	t.Logf("lab up in %s", time.Since(start).Round(time.Millisecond))
	s := labDualStack
	ns := l.Servers[s.Name]

	t.Run("require_external with only local is refused at plan", func(t *testing.T) {
		agent, vpc := l.FromAgent(t, ns), l.FromVPC(t, ns)
		dir := writeLabConfig(t, labProvider(l, labToken)+labResource("media_4", s.Addr,
			`[{ protocol = "tcp", port = 443 }]`, "5s", `vantage_points = ["local"]`, "require_external = true"))
		run := l.Terraform(t, dir, labApplyTimeout, "plan", "-input=false", "-no-color")
		t.Logf("plan error:\n%s", errorPart(run.Out))
		if run.Err == nil {
			t.Fatalf("terraform plan succeeded with require_external and only local:\n%s", run.Out)
		}
		if !regexp.MustCompile(`No agent selected for require_external.*vantage_points selects only "local"`).
			MatchString(oneLine(run.Out)) {
			t.Errorf("plan error does not say require_external needs an agent:\n%s", run.Out)
		}
		if d := l.FromAgent(t, ns) - agent; d != 0 {
			t.Errorf("the plan sent %d packets from the agent to %s", d, s.Name)
		}
		if d := l.FromVPC(t, ns) - vpc; d != 0 {
			t.Errorf("the plan sent %d packets from the VPC to %s", d, s.Name)
		}
	})

	t.Run("ipv6 address lacks the udp/3478 rule", func(t *testing.T) {
		checks := `[
    { protocol = "tcp", port = 443 },
    { protocol = "stun", transport = "udp", port = 3478 },
  ]`
		v4, v6 := l.FromAgent(t, ns), l.FromAgent6(t, ns)
		dir := writeLabConfig(t, labProvider(l, labToken)+labResource("media_4", s.Host, checks, "5s"))
		run := timedApply(t, l, dir)
		if run.Err == nil {
			t.Fatalf("terraform apply succeeded, want %s's IPv6 address to fail udp/3478:\n%s", s.Host, run.Out)
		}
		t.Logf("apply error:\n%s", errorPart(run.Out))
		flat := oneLine(errorPart(run.Out))
		want := regexp.MustCompile(`stun/udp ` + regexp.QuoteMeta(s.Host) + ` \(\[` + regexp.QuoteMeta(s.Addr6) +
			`\]:3478\) from vantage point "` + labAgentName + `": filtered after \d+ attempts`)
		if !want.MatchString(flat) {
			t.Errorf("apply error does not name stun/udp [%s]:3478 filtered from agent %q:\n%s", s.Addr6, labAgentName, run.Out)
		}
		// Two checks on two addresses: only the IPv6 STUN row fails.
		if !strings.Contains(flat, "3 of 4 results passed") {
			t.Errorf("apply error does not say 3 of 4 results passed:\n%s", run.Out)
		}
		if strings.Contains(flat, "("+s.Addr+":") || strings.Contains(flat, "tcp "+s.Host) {
			t.Errorf("apply error names a row that passed (IPv4, or tcp/443):\n%s", run.Out)
		}
		dv4, dv6 := l.FromAgent(t, ns)-v4, l.FromAgent6(t, ns)-v6
		t.Logf("%s counted %d packets from the agent's IPv4 address and %d from its IPv6 address", s.Name, dv4, dv6)
		if dv4 == 0 || dv6 == 0 {
			t.Errorf("want packets from the agent on both families, got %d (IPv4) and %d (IPv6)", dv4, dv6)
		}

		// The same name and checks, IPv4 only: it passes.
		dir = writeLabConfig(t, labProvider(l, labToken)+labResource("media_4", s.Host, checks, "5s", `ip_version = "ipv4"`))
		if run := timedApply(t, l, dir); run.Err != nil {
			t.Errorf("terraform apply with ip_version = \"ipv4\" failed: %v\n%s", run.Err, run.Out)
		}
	})

	t.Run("reject versus drop", func(t *testing.T) {
		dir := writeLabConfig(t, labProvider(l, labToken)+labResource("media_4", s.Addr, `[
    { name = "reset", protocol = "tcp", port = 8443 },
    { name = "unreachable", protocol = "stun", transport = "udp", port = 10000 },
    { name = "dropped", protocol = "tcp", port = 8444 },
  ]`, "5s", `attempt_timeout = "2s"`))
		run := timedApply(t, l, dir)
		if run.Err == nil {
			t.Fatalf("terraform apply succeeded, want the rejected and dropped ports to fail:\n%s", run.Out)
		}
		t.Logf("apply error:\n%s", errorPart(run.Out))
		flat := oneLine(errorPart(run.Out))
		attempts := map[string]int{}
		for _, c := range []struct{ label, name, status, port, cause string }{
			{"tcp", "reset", "closed", "8443", "refused"},
			{"stun/udp", "unreachable", "closed", "10000", "refused"},
			{"tcp", "dropped", "filtered", "8444", "no answer"},
		} {
			m := rowLine(c.label, c.name, s.Addr, c.port).FindStringSubmatch(flat)
			if m == nil || m[1] != c.status {
				t.Errorf("apply error does not name %s %q %s:%s %s from agent %q:\n%s", c.label, c.name, s.Addr, c.port, c.status, labAgentName, run.Out)
				continue
			}
			attempts[c.name], _ = strconv.Atoi(m[2])
			t.Logf("%s: %s after %s attempts in %s (%s)", c.name, m[1], m[2], m[3], m[4])
			if !strings.Contains(m[4], c.cause) {
				t.Errorf("%s: cause %q, want it to say %q", c.name, m[4], c.cause)
			}
		}
		// An attempt starts every poll (200ms) on each port; a reset answers
		// it at once, while each attempt on the dropped port waits out its
		// attempt_timeout (2s), so about ten of those were still waiting
		// when the run ended and have no verdict. The output has no time
		// per row; these counts show the refusal's speed without timing.
		if attempts["reset"] <= attempts["dropped"] {
			t.Errorf("attempts %v: want more verdicts for the reset port than for the dropped one", attempts)
		}

	})

	t.Run("ports open 5s after the apply started", func(t *testing.T) {
		const openAfter = 5 * time.Second
		dir := writeLabConfig(t, labProvider(l, labToken)+labResource("media_4", s.Addr, `[
    { protocol = "tcp", port = 4443 },
    { protocol = "stun", transport = "udp", port = 4478 },
  ]`, "30s"))
		l.cliConfig(t, dir)
		began := time.Now()
		done := make(chan terraformRun, 1)
		go func() { done <- l.Terraform(t, dir, labApplyTimeout, applyArgs...) }()
		timer := time.NewTimer(openAfter)
		defer timer.Stop()
		select {
		case <-timer.C:
		case run := <-done:
			t.Fatalf("terraform apply ended before the ports opened (%v):\n%s", run.Err, run.Out)
		}
		labStart(t, ns, l.Bin.Mediaprobe, "respond", "--listen", s.Addr, "--tcp", "4443", "--udp", "4478", "--ttl", "5m")
		opened := time.Since(began)
		run := <-done // bounded by labApplyTimeout
		took := time.Since(began)
		t.Logf("ports opened %s after the apply started; terraform apply took %s", opened.Round(time.Millisecond), took.Round(time.Millisecond))
		if run.Err != nil {
			t.Fatalf("terraform apply failed: %v\n%s", run.Err, run.Out)
		}
	})

	t.Run("management port must be unreachable", func(t *testing.T) {
		config := labProvider(l, labToken) + labResource("media_4", s.Addr,
			`[{ protocol = "tcp", port = 22, expect = "unreachable" }]`, "5s", `attempt_timeout = "500ms"`)
		dir := writeLabConfig(t, config)
		run := timedApply(t, l, dir)
		if run.Err == nil {
			t.Fatalf("terraform apply succeeded, want tcp/22 answering from the internet to fail:\n%s", run.Out)
		}
		t.Logf("apply error:\n%s", errorPart(run.Out))
		want := regexp.MustCompile(`tcp ` + regexp.QuoteMeta(s.Addr) + ` \(` + regexp.QuoteMeta(s.Addr) +
			`:22\) answered open from vantage point "` + labAgentName + `", but expect = unreachable`)
		if !want.MatchString(oneLine(run.Out)) {
			t.Errorf("apply error does not say tcp/22 answered from agent %q:\n%s", labAgentName, run.Out)
		}

		// The fix: the security group drops tcp/22 from the internet.
		addRule(t, ns, "ip saddr 203.0.113.0/24 tcp dport 22 drop")
		if run := timedApply(t, l, dir); run.Err != nil {
			t.Errorf("terraform apply failed with tcp/22 dropped from the internet: %v\n%s", run.Err, run.Out)
		}
	})
	t.Logf("lab cases total %s", time.Since(start).Round(time.Millisecond))
}

// timedApply runs terraform apply in dir and logs how long it took.
func timedApply(t *testing.T, l *lab, dir string) terraformRun {
	t.Helper()
	began := time.Now()
	run := l.Terraform(t, dir, labApplyTimeout, applyArgs...)
	t.Logf("terraform apply took %s (%s)", time.Since(began).Round(time.Millisecond), map[bool]string{true: "passed", false: "failed"}[run.Err == nil])
	return run
}

// rowLine matches the failure line of the check called name on addr:port
// from the agent: status, attempts, elapsed and cause.
func rowLine(label, name, addr, port string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(label) + ` "` + name + `" ` + regexp.QuoteMeta(addr) + ` \(` +
		regexp.QuoteMeta(addr) + `:` + port + `\) from vantage point "` + labAgentName + `": (\w+) after (\d+) attempts? ` +
		`in ([0-9.a-zµ]+)[^;]*; ([^;]*);`)
}

var handleRE = regexp.MustCompile(`# handle (\d+)`)

// addRule appends rule to ns's security group until the test ends.
func addRule(t *testing.T, ns, rule string) {
	t.Helper()
	out := nsRun(t, ns, nil, append([]string{"nft", "--echo", "--handle", "add", "rule", "inet", "filter", "input"},
		strings.Fields(rule)...)...)
	m := handleRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("nft gave no handle for %q: %s", rule, out)
	}
	t.Cleanup(func() { nsRun(t, ns, nil, "nft", "delete", "rule", "inet", "filter", "input", "handle", m[1]) })
}
