package verify

import (
	"math"
	"strings"
	"sync"
	"time"
)

// Rates shares Policy.MaxProbeRate between Runs: every Run given the same
// Rates (through Deps) draws its attempt starts against a host from that
// host's one token bucket, so the cap holds across all of them, as
// max_probe_rate must across every resource of one provider. While several
// Runs verify one host, the lowest of their rates applies and each Run may
// use an even share of it, so that none starves another. A Run with no cap
// (MaxProbeRate <= 0) draws on no bucket.
//
// Hosts are keyed by the name as written (case-insensitively), not by
// address. Buckets take their time from the Runs' Clock. Rates is safe for
// concurrent use; make one with NewRates.
type Rates struct {
	mu    sync.Mutex
	hosts map[string]*hostRate
}

// NewRates returns an empty registry.
func NewRates() *Rates { return &Rates{hosts: make(map[string]*hostRate)} }

// hostRate is one host's budget. A host stays in the registry after its
// last Run leaves, so a Run that starts right after another finds the
// bucket as that one left it rather than full.
type hostRate struct {
	total  tokenBucket // the host's cap
	shares map[*rateShare]struct{}
}

// rateShare is one Run's draw on a host's budget. A nil *rateShare is a Run
// without a cap.
type rateShare struct {
	rates       *Rates
	host        *hostRate
	rate, burst float64     // what the Run asked for
	own         tokenBucket // its even share of the host's cap
}

// join registers a Run that starts attempts against host under p.
func (rs *Rates) join(host string, p Policy, now time.Time) *rateShare {
	if p.MaxProbeRate <= 0 {
		return nil
	}
	s := &rateShare{rates: rs, rate: p.MaxProbeRate, burst: wholeStarts(p.MaxProbeRate * p.Interval.Seconds())}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	key := strings.ToLower(host)
	h := rs.hosts[key]
	if h == nil {
		h = &hostRate{total: fullBucket(s.rate, s.burst, now), shares: make(map[*rateShare]struct{})}
		rs.hosts[key] = h
	}
	s.host = h
	s.own = fullBucket(s.rate, s.burst, now)
	h.settle(now)
	h.shares[s] = struct{}{}
	h.rebalance()
	return s
}

// take spends one start at now if both the host's cap and the Run's share
// allow it.
func (s *rateShare) take(now time.Time) bool {
	if s == nil {
		return true
	}
	s.rates.mu.Lock()
	defer s.rates.mu.Unlock()
	s.host.total.refill(now)
	s.own.refill(now)
	if s.host.total.tokens < 1 || s.own.tokens < 1 {
		return false
	}
	s.host.total.tokens--
	s.own.tokens--
	return true
}

// leave unregisters the Run; the others' shares grow.
func (s *rateShare) leave(now time.Time) {
	if s == nil {
		return
	}
	s.rates.mu.Lock()
	defer s.rates.mu.Unlock()
	s.host.settle(now)
	delete(s.host.shares, s)
	s.host.rebalance()
}

// settle pays the time up to now at the current rates, before they change.
func (h *hostRate) settle(now time.Time) {
	h.total.refill(now)
	for s := range h.shares {
		s.own.refill(now)
	}
}

// rebalance applies the lowest rate and burst among the Runs to the host,
// and an even share of them to each Run.
func (h *hostRate) rebalance() {
	if len(h.shares) == 0 {
		return
	}
	rate, burst := 0.0, 0.0
	for s := range h.shares {
		if rate == 0 || s.rate < rate {
			rate = s.rate
		}
		if burst == 0 || s.burst < burst {
			burst = s.burst
		}
	}
	h.total.retune(rate, burst)
	n := float64(len(h.shares))
	for s := range h.shares {
		s.own.retune(rate/n, wholeStarts(burst/n))
	}
}

// wholeStarts is a bucket's burst for x starts per round: one interval's
// worth, so a round never bursts far past the rate, rounded up to whole
// starts (and at least one). Rounded down, a bucket would drop the fraction
// that each interval earns and fall short of its rate. The epsilon keeps a
// product such as 50 * 0.1s from rounding up to 6.
func wholeStarts(x float64) float64 {
	return max(1, math.Ceil(x-1e-9))
}
