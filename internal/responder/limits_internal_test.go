package responder

import (
	"math"
	"net/netip"
	"testing"
	"time"
)

var (
	t0    = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ipA   = netip.MustParseAddr("192.0.2.1")
	ipB   = netip.MustParseAddr("192.0.2.2")
	ipA6  = netip.MustParseAddr("::ffff:192.0.2.1") // ipA on a dual-stack socket
	ipV6  = netip.MustParseAddr("2001:db8::1")
	every = []netip.Addr{ipA, ipB, ipV6}
)

// allowed counts how many of n requests from ip at now get an answer.
func allowed(s *sourceRates, ip netip.Addr, now time.Time, n int) int {
	got := 0
	for range n {
		if s.allow(ip, now) {
			got++
		}
	}
	return got
}

func TestSourceRates(t *testing.T) {
	s := newSourceRates(10, 3)
	if got := allowed(s, ipA, t0, 5); got != 3 {
		t.Fatalf("burst: %d of 5 allowed, want 3", got)
	}
	if got := allowed(s, ipA6, t0, 1); got != 0 {
		t.Errorf("the IPv4-mapped form of a limited source was allowed")
	}
	for _, ip := range []netip.Addr{ipB, ipV6} {
		if got := allowed(s, ip, t0, 3); got != 3 {
			t.Errorf("%s: %d of 3 allowed while another source is limited, want 3", ip, got)
		}
	}
	// 10 a second: one more after 100ms, the whole burst after 300ms.
	if got := allowed(s, ipA, t0.Add(100*time.Millisecond), 2); got != 1 {
		t.Errorf("after 100ms: %d allowed, want 1", got)
	}
	if got := allowed(s, ipA, t0.Add(time.Second), 5); got != 3 {
		t.Errorf("after 1s: %d allowed, want the burst of 3", got)
	}
}

func TestSourceRatesDefaultBurst(t *testing.T) {
	for _, tt := range []struct {
		rate float64
		want int
	}{{1e-6, 1}, {2.5, 3}, {2000, 2000}, {1e300, math.MaxInt32}} {
		if got := newSourceRates(tt.rate, 0).burst; got != tt.want {
			t.Errorf("rate %v: burst %d, want %d", tt.rate, got, tt.want)
		}
	}
}

func TestNoLimits(t *testing.T) {
	for _, r := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		s := newSourceRates(r, 1)
		if s != nil {
			t.Errorf("rate %v: buckets, want none", r)
		}
		if got := allowed(s, ipA, t0, 100); got != 100 {
			t.Errorf("rate %v: %d of 100 allowed, want all", r, got)
		}
	}
	c := newSourceConns(0)
	for range 100 {
		if !c.acquire(ipA) {
			t.Fatal("connection refused without a cap")
		}
	}
	c.release(ipA)
}

// A source whose bucket has refilled is evicted by the next sweep, which a
// new source triggers once sweepEvery has passed; one still limited stays.
func TestSourceRatesEvictsIdle(t *testing.T) {
	s := newSourceRates(10, 3)
	allowed(s, ipA, t0, 3)
	later := t0.Add(sweepEvery)
	allowed(s, ipB, later.Add(-200*time.Millisecond), 3) // refills at later+100ms
	allowed(s, ipV6, later, 1)
	if _, ok := s.sources[ipA]; ok {
		t.Errorf("idle source %s not evicted", ipA)
	}
	if _, ok := s.sources[ipB]; !ok {
		t.Errorf("source %s evicted with tokens to refill", ipB)
	}
	if got := allowed(s, ipB, later, 3); got != 2 {
		t.Errorf("%s: %d allowed after 200ms, want the 2 its bucket refilled", ipB, got)
	}
}

// Once the table is full of sources still limited, new sources share one
// bucket, so neither memory nor answers grow with the number of sources.
func TestSourceRatesTableFull(t *testing.T) {
	s := newSourceRates(10, 1)
	base := ipV6.As16()
	for i := range maxRateSources {
		a := base
		a[14], a[15] = byte(i>>8), byte(i)
		if !s.allow(netip.AddrFrom16(a), t0) {
			t.Fatalf("source %d of %d refused", i, maxRateSources)
		}
	}
	if got := allowed(s, ipA, t0, 1) + allowed(s, ipB, t0, 1); got != 1 {
		t.Errorf("two new sources beyond the table got %d answers, want 1 between them", got)
	}
	if len(s.sources) != maxRateSources {
		t.Errorf("table holds %d sources, want %d", len(s.sources), maxRateSources)
	}
	// Once the table's sources are idle, a new source is tracked again.
	if got := allowed(s, ipB, t0.Add(sweepEvery), 1); got != 1 || len(s.sources) != 1 {
		t.Errorf("after a sweep: %d allowed, %d sources tracked; want 1 and 1", got, len(s.sources))
	}
}

func TestSourceConns(t *testing.T) {
	s := newSourceConns(2)
	for _, ip := range every {
		first, second := s.acquire(ip), s.acquire(ip)
		if !first || !second {
			t.Fatalf("%s refused below its cap", ip)
		}
	}
	if s.acquire(ipA6) {
		t.Errorf("the IPv4-mapped form of %s went over its cap", ipA)
	}
	s.release(ipA)
	if !s.acquire(ipA6) {
		t.Errorf("%s refused after a release", ipA)
	}
	for _, ip := range every {
		s.release(ip)
		s.release(ip)
	}
	if len(s.conns) != 0 {
		t.Errorf("%d sources left without connections: %v", len(s.conns), s.conns)
	}
}
