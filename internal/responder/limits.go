package responder

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// maxRateSources bounds the UDP rate table, about 150 bytes a source.
	// Beyond it, sources share one bucket: spoofed floods from many
	// addresses then get one source's answers between them.
	maxRateSources = 1 << 14
	// sweepEvery spaces the sweeps that evict idle sources, so a flood of
	// new sources costs one pass over the table per second at most.
	sweepEvery = time.Second
)

// sourceRates is a token bucket per source IP for UDP answers, so that a
// request with a spoofed source cannot turn the responder into a
// reflector aimed at that address. A nil *sourceRates allows everything.
type sourceRates struct {
	limit rate.Limit
	burst int

	mu       sync.Mutex
	sources  map[netip.Addr]*rate.Limiter
	overflow *rate.Limiter // shared by sources beyond maxRateSources
	swept    time.Time
}

// newSourceRates returns the buckets for r answers a second, or nil for no
// limit: r not above 0, or +Inf. A burst not above 0 is a second's worth.
func newSourceRates(r float64, burst int) *sourceRates {
	if !(r > 0) || math.IsInf(r, 1) {
		return nil
	}
	if burst <= 0 {
		burst = int(min(math.Ceil(r), math.MaxInt32))
	}
	l := rate.Limit(r)
	return &sourceRates{
		limit:    l,
		burst:    burst,
		sources:  make(map[netip.Addr]*rate.Limiter),
		overflow: rate.NewLimiter(l, burst),
	}
}

// allow reports whether ip may have an answer at now.
func (s *sourceRates) allow(ip netip.Addr, now time.Time) bool {
	if s == nil {
		return true
	}
	ip = ip.Unmap() // a dual-stack socket's view of an IPv4 peer
	s.mu.Lock()
	defer s.mu.Unlock()
	lim := s.sources[ip]
	if lim == nil {
		if now.Sub(s.swept) >= sweepEvery {
			s.sweep(now)
		}
		lim = s.overflow
		if len(s.sources) < maxRateSources {
			lim = rate.NewLimiter(s.limit, s.burst)
			s.sources[ip] = lim
		}
	}
	return lim.AllowN(now, 1)
}

// sweep evicts every source whose bucket has refilled: it holds no state
// that a new bucket would not, so the eviction loses nothing.
func (s *sourceRates) sweep(now time.Time) {
	s.swept = now
	for ip, lim := range s.sources {
		if lim.TokensAt(now) >= float64(s.burst) {
			delete(s.sources, ip)
		}
	}
}

// sourceConns counts TCP connections per source IP, so that one client
// cannot hold every one of MaxConns. A source has an entry only while it
// has a connection, which bounds the table by MaxConns. A nil
// *sourceConns has no cap.
type sourceConns struct {
	max int

	mu    sync.Mutex
	conns map[netip.Addr]int
}

// newSourceConns returns the counts for a cap of limit, or nil for no cap.
func newSourceConns(limit int) *sourceConns {
	if limit <= 0 {
		return nil
	}
	return &sourceConns{max: limit, conns: make(map[netip.Addr]int)}
}

// acquire takes a connection for ip, or reports false when ip already has
// max of them.
func (s *sourceConns) acquire(ip netip.Addr) bool {
	if s == nil {
		return true
	}
	ip = ip.Unmap()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[ip] >= s.max {
		return false
	}
	s.conns[ip]++
	return true
}

// release gives back a connection that acquire took.
func (s *sourceConns) release(ip netip.Addr) {
	if s == nil {
		return
	}
	ip = ip.Unmap()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[ip]--; s.conns[ip] <= 0 {
		delete(s.conns, ip)
	}
}
