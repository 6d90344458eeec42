package agent

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Default per-request caps; Limits' zero fields take them.
const (
	DefaultMaxChecks    = 32
	DefaultMaxPorts     = 1024 // ports over all checks, before resolution
	DefaultMaxAddresses = 16   // resolved addresses of the target
	DefaultMaxTimeout   = 10 * time.Minute
	DefaultTimeout      = 2 * time.Minute // a request without timeout_ns
	DefaultPerToken     = 4               // runs at once per token
	// DefaultPerMinute is verify requests per minute per token. A fleet
	// of 500 servers verified in one apply sends about 500 requests
	// within a minute; PerToken, not the rate, bounds the probing load,
	// so the rate only stops a runaway client.
	DefaultPerMinute     = 600
	DefaultMaxProbeRate  = 500 // attempt starts per second against one host
	DefaultRetryAfterSec = 5
)

// Limits are the per-request and per-token caps.
type Limits struct {
	MaxChecks    int
	MaxPorts     int
	MaxAddresses int
	// MaxTimeout clamps a request's timeout; Timeout is used when it has none.
	MaxTimeout time.Duration
	Timeout    time.Duration
	// PerToken caps the runs one token has at once; beyond it, 429.
	PerToken int
	// PerMinute is each token's request rate: a bucket of PerMinute
	// requests that refills at PerMinute a minute; beyond it, 429.
	PerMinute int
	// MaxProbeRate caps (and is the default of) Policy.MaxProbeRate.
	MaxProbeRate float64
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxChecks, DefaultMaxChecks)
	def(&l.MaxPorts, DefaultMaxPorts)
	def(&l.MaxAddresses, DefaultMaxAddresses)
	def(&l.PerToken, DefaultPerToken)
	def(&l.PerMinute, DefaultPerMinute)
	if l.MaxTimeout <= 0 {
		l.MaxTimeout = DefaultMaxTimeout
	}
	if l.Timeout <= 0 {
		l.Timeout = min(DefaultTimeout, l.MaxTimeout)
	}
	if l.MaxProbeRate <= 0 {
		l.MaxProbeRate = DefaultMaxProbeRate
	}
	return l
}

func (s *Server) acquire(who string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[who] >= s.limits.PerToken {
		return false
	}
	s.running[who]++
	s.metrics.inFlight.Inc()
	return true
}

func (s *Server) release(who string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[who]--; s.running[who] <= 0 {
		delete(s.running, who)
	}
	s.metrics.inFlight.Dec()
}

// tokenRates is the per-token request rate: one token bucket per token
// name (a bounded set: the token file's), of perMinute requests refilled
// at perMinute a minute. Time comes from the caller, so tests drive it.
type tokenRates struct {
	perMinute int
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
}

func newTokenRates(perMinute int) *tokenRates {
	return &tokenRates{perMinute: perMinute, buckets: map[string]*rate.Limiter{}}
}

// allow takes one request for who at now. When the bucket is empty it
// takes nothing and returns how long until a request is allowed again, in
// whole seconds and at least 1 (a Retry-After).
func (t *tokenRates) allow(who string, now time.Time) (ok bool, retryAfterSec int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buckets[who]
	if b == nil {
		b = rate.NewLimiter(rate.Limit(float64(t.perMinute)/60), t.perMinute)
		t.buckets[who] = b
	}
	if b.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.TokensAt(now)
	wait := missing / float64(b.Limit()) // seconds
	return false, max(1, int(math.Ceil(wait)))
}
