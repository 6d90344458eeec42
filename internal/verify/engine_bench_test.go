package verify_test

import (
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// benchChecks is how many checks one benchmark run verifies; each check is
// its own unit against the same loopback responder port, so the figure is
// the engine's own overhead plus one real protocol exchange per probe.
const benchChecks = 10000

func benchmarkRun(b *testing.B, spec check.Spec) {
	c, err := spec.Build(verify.RealClock{}.Now)
	if err != nil {
		b.Fatal(err)
	}
	checks := make([]check.Check, benchChecks)
	for i := range checks {
		checks[i] = c
	}
	p := verify.Plan{
		Host: "127.0.0.1", IPVersion: verify.IPAny, Checks: checks,
		Policy: verify.Policy{Interval: 100 * time.Millisecond, AttemptTimeout: 2 * time.Second, ConsecutiveSuccesses: 1},
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := verify.Run(b.Context(), p, verify.Deps{})
		if err != nil || !rep.Reachable {
			b.Fatalf("run failed: %v (reachable %v)", err, rep.Reachable)
		}
	}
	b.ReportMetric(float64(benchChecks*b.N)/b.Elapsed().Seconds(), "probes/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(benchChecks*b.N), "ns/probe")
}

func BenchmarkRunSTUNUDP(b *testing.B) {
	benchmarkRun(b, check.Spec{Protocol: "stun", Transport: "udp", Port: testnet.STUN(b, "udp")})
}

func BenchmarkRunTCP(b *testing.B) {
	benchmarkRun(b, check.Spec{Protocol: "tcp", Port: testnet.TCPListener(b)})
}
