//go:build linux

package scenario

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// Ports inside the server namespace are private to it, so the tests use the
// fixed ports a media server would.

// fast is the policy for runs that are expected to end at their deadline:
// an attempt every 100ms, each giving up after 300ms.
var fast = verify.Policy{Interval: 100 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond}

// failDeadline ends those runs halfway between two ticks of fast.Interval,
// so no attempt on a closed port is in flight when the run ends. On a tick,
// a busy machine lets the engine start one more attempt that the expiring
// context cuts short, and that "filtered" can replace the last "closed"
// (seen here in 6 of 12 runs under load).
const failDeadline = 1450 * time.Millisecond

// A security group that opens only half of a media port range: the
// responder serves all 100 ports, nftables drops the upper 50, and the one
// range row names exactly those.
func TestScenario_rangeHalfFiltered(t *testing.T) {
	t.Parallel()
	tp := newTopology(t, "udp dport 10050-10099 drop")
	serve(t, tp.Server, "10000-10099", "")

	s := verifyFrom(t, tp.Client, verifyArgs{
		Host:    serverAddr,
		Checks:  []check.Spec{{Protocol: "stun", First: 10000, Last: 10099}},
		Policy:  fast,
		Timeout: failDeadline,
	})
	wantStopped(t, s)
	r := s.rowNamed(t, "stun/10000-10099/udp")
	wantStatus(t, r, "filtered")
	if want := portsBetween(10050, 10099); !slices.Equal(sorted(r.FailingPorts), want) {
		t.Errorf("FailingPorts = %s, want %s", check.CompactPorts(r.FailingPorts), check.CompactPorts(want))
	}
	if len(r.Groups) != 1 || r.Groups[0].Status != probe.StatusFiltered {
		t.Errorf("Groups = %+v, want one group: filtered", r.Groups)
	}
}

// What the firewall says decides the status: a TCP reset and an ICMP port
// unreachable are closed, silence is filtered. The responder listens on the
// firewalled ports, so none of it comes from the server's own sockets (the
// allowed port proves it serves); the unbound UDP port is closed by the
// server's kernel. ICMP rate limiting is off here, so every probe gets its
// answer (TestScenario_udpClosedUnderICMPRateLimit has the default).
func TestScenario_rejectVersusDrop(t *testing.T) {
	t.Parallel()
	tp := newTopology(t,
		"tcp dport 7001 reject with tcp reset",
		"udp dport 7002 reject",
		"tcp dport 7003 drop",
	)
	nsSysctl(t, tp.Server, "net.ipv4.icmp_ratelimit", "0")
	serve(t, tp.Server, "7002", "7001,7003,7004")

	s := verifyFrom(t, tp.Client, verifyArgs{
		Host: serverAddr,
		Checks: []check.Spec{
			{Name: "reset", Protocol: "tcp", Port: 7001},
			{Name: "unreachable", Protocol: "stun", Port: 7002},
			{Name: "dropped", Protocol: "tcp", Port: 7003},
			{Name: "allowed", Protocol: "tcp", Port: 7004},
			{Name: "unbound", Protocol: "stun", Port: 7005},
		},
		Policy:  fast,
		Timeout: failDeadline,
	})
	wantStopped(t, s)
	for _, c := range []struct{ name, status, detail string }{
		{"reset", "closed", "refused"},
		{"unreachable", "closed", "refused"},
		{"dropped", "filtered", ""},
		{"allowed", "open", ""},
		{"unbound", "closed", "refused"},
	} {
		r := s.rowNamed(t, c.name)
		wantStatus(t, r, c.status)
		if !strings.Contains(r.Cause, c.detail) {
			t.Errorf("%s: Cause = %q, want it to mention %q", c.name, r.Cause, c.detail)
		}
		if r.Status != "open" && r.Seen[r.Status] != r.Attempts {
			t.Errorf("%s: attempts by status %v, want all %d %s", c.name, r.Seen, r.Attempts, r.Status)
		}
	}
}

// 30% of inbound STUN is dropped at random on ten ports: STUN
// retransmissions inside an attempt and a new attempt every interval still
// give each port 3 successes in a row well before the deadline. Thirty or
// more requests make it all but certain (1 - 0.7^30) that loss did happen,
// and the server saw us at our outside address.
func TestScenario_lossConsecutiveSuccesses(t *testing.T) {
	t.Parallel()
	tp := newTopology(t, "udp dport 3478-3487 numgen random mod 100 < 30 counter drop")
	serve(t, tp.Server, "3478-3487", "")

	s := verifyFrom(t, tp.Client, verifyArgs{
		Host:   serverAddr,
		Checks: []check.Spec{{Protocol: "stun", First: 3478, Last: 3487}},
		Policy: verify.Policy{
			Interval:             100 * time.Millisecond,
			AttemptTimeout:       time.Second,
			ConsecutiveSuccesses: 3,
		},
		Timeout: 5 * time.Second,
	})
	chain := nsRun(t, tp.Server, nil, "nft", "list", "chain", "inet", "filter", "input")
	if m := dropped.FindStringSubmatch(chain); m == nil || m[1] == "0" {
		t.Errorf("the loss rule dropped nothing:\n%s", chain)
	} else {
		t.Logf("the loss rule dropped %s requests", m[1])
	}
	if !s.Reachable || s.Err != "" {
		t.Fatalf("reachable=%v err=%q, want a pass", s.Reachable, s.Err)
	}
	r := s.rowNamed(t, "stun/3478-3487/udp")
	wantStatus(t, r, "open")
	if r.Attempts < 3 {
		t.Errorf("Attempts = %d, want >= 3", r.Attempts)
	}
	if !strings.HasPrefix(r.MappedAddress, clientAddr+":") {
		t.Errorf("MappedAddress = %q, want %s:port", r.MappedAddress, clientAddr)
	}
}

// dropped reads the loss rule's packet counter from `nft list chain`.
var dropped = regexp.MustCompile(`counter packets (\d+)`)

// Nothing listens on the port at first (the kernel resets: closed); the
// responder starts 1s after the engine did, and the engine, which keeps
// starting attempts every interval, passes soon after.
func TestScenario_portOpensLate(t *testing.T) {
	t.Parallel()
	const openAfter = time.Second
	tp := newTopology(t)
	a := verifyArgs{
		Host:    serverAddr,
		Checks:  []check.Spec{{Protocol: "tcp", Port: 8080}},
		Policy:  fast,
		Timeout: 10 * time.Second,
	}
	engine := startVerify(t, tp.Client, a)

	timer := time.NewTimer(openAfter)
	defer timer.Stop()
	select {
	case <-timer.C:
		serve(t, tp.Server, "", "8080")
	case line, ok := <-engine.lines:
		t.Fatalf("engine finished before the port opened (%v): %s", ok, line)
	}

	s := engine.result(t, a)
	if !s.Reachable || s.Err != "" {
		t.Fatalf("reachable=%v err=%q, want a pass", s.Reachable, s.Err)
	}
	r := s.rowNamed(t, "tcp/8080")
	wantStatus(t, r, "open")
	if r.Attempts <= 1 || r.Seen["closed"] == 0 {
		t.Errorf("Attempts = %d, by status %v, want refusals before the pass", r.Attempts, r.Seen)
	}
	if r.PassedAfter < openAfter {
		t.Errorf("PassedAfter = %v, want >= %v", r.PassedAfter, openAfter)
	}
}

// Why the vantage matters: the security group drops both ports, yet from
// inside the server (its own public address, traffic that never crosses the
// group) they look open; only the client outside sees them filtered.
func TestScenario_insideVersusOutside(t *testing.T) {
	t.Parallel()
	tp := newTopology(t, "udp dport 3478 drop", "tcp dport 8443 drop")
	serve(t, tp.Server, "3478", "8443")
	a := verifyArgs{
		Host: serverAddr,
		Checks: []check.Spec{
			{Protocol: "stun", Port: 3478},
			{Protocol: "tcp", Port: 8443},
		},
		Policy:  fast,
		Timeout: failDeadline,
	}
	outside := startVerify(t, tp.Client, a)
	inside := verifyFrom(t, tp.Server, a)
	out := outside.result(t, a)

	if !inside.Reachable || inside.Err != "" {
		t.Errorf("from inside: reachable=%v err=%q, want a pass", inside.Reachable, inside.Err)
	}
	wantStatus(t, inside.rowNamed(t, "tcp/8443"), "open")
	stun := inside.rowNamed(t, "stun/3478/udp")
	wantStatus(t, stun, "open")
	if !strings.HasPrefix(stun.MappedAddress, serverAddr+":") {
		t.Errorf("from inside: MappedAddress = %q, want %s:port (the server saw itself)", stun.MappedAddress, serverAddr)
	}

	wantStopped(t, out)
	wantStatus(t, out.rowNamed(t, "tcp/8443"), "filtered")
	wantStatus(t, out.rowNamed(t, "stun/3478/udp"), "filtered")
}

func wantStatus(t *testing.T, r row, status string) {
	t.Helper()
	if r.Status != status || r.Passed != (status == "open") {
		t.Errorf("%s: status %s (passed=%v, cause %q), want %s", r.Name, r.Status, r.Passed, r.Cause, status)
	}
}

// wantStopped asserts a run that failed: its deadline ended it.
func wantStopped(t *testing.T, s summary) {
	t.Helper()
	if s.Reachable || !strings.HasPrefix(s.Err, stoppedErr) {
		t.Errorf("reachable=%v err=%q, want a failed run stopped by its deadline", s.Reachable, s.Err)
	}
}

func portsBetween(first, last uint16) []uint16 {
	var ps []uint16
	for p := first; p <= last; p++ {
		ps = append(ps, p)
	}
	return ps
}

func sorted(ps []uint16) []uint16 {
	s := slices.Clone(ps)
	slices.Sort(s)
	return s
}
