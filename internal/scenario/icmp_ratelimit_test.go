//go:build linux

package scenario

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/check"
)

// A closed UDP port polled at the kernel's default ICMP rate limit (per
// peer: a burst of 6 port unreachables, then 1/s): the first attempts are
// refused, later ones meet silence. The contract says closed, since ICMP
// proved nothing listens: a late silence must not turn the verdict into
// "filtered", which would blame a firewall.
func TestScenario_udpClosedUnderICMPRateLimit(t *testing.T) {
	t.Parallel()
	tp := newTopology(t, "udp dport 7002 reject")
	nsSysctl(t, tp.Server, "net.ipv4.icmp_ratelimit", "1000") // the default, pinned
	serve(t, tp.Server, "7002", "")

	s := verifyFrom(t, tp.Client, verifyArgs{
		Host: serverAddr,
		Checks: []check.Spec{
			{Name: "unreachable", Protocol: "stun", Port: 7002},
			{Name: "unbound", Protocol: "stun", Port: 7005},
		},
		Policy:  fast,
		Timeout: failDeadline,
	})
	wantStopped(t, s)
	var wrong []string
	for _, name := range []string{"unreachable", "unbound"} {
		r := s.rowNamed(t, name)
		if r.Seen["closed"] == 0 || r.Seen["filtered"] == 0 {
			t.Errorf("%s: attempts by status %v, want refusals and then silence", name, r.Seen)
		}
		if r.Status != "closed" {
			wrong = append(wrong, fmt.Sprintf("%s is %s after %v", name, r.Status, r.Seen))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("closed UDP ports read as filtered under ICMP rate limiting: %s", strings.Join(wrong, "; "))
	}
}
