// Package verify is the engine: it resolves a host, fans checks out over
// every address under one concurrency limit, starts an attempt every
// interval until each check has its consecutive successes or the context
// ends, and returns one Report. It never logs and never reads the wall
// clock: time comes from Deps.Clock and events go to Deps.Observer.
package verify

import (
	"syscall"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
)

// DefaultConcurrency caps probes in flight when Deps.Limit is nil.
const DefaultConcurrency = 256

// Policy is how hard and how long to try.
type Policy struct {
	// Interval between attempt starts for a check that has not passed yet.
	Interval time.Duration `json:"interval_ns"`
	// AttemptTimeout bounds one attempt (clipped to the run's deadline).
	AttemptTimeout time.Duration `json:"attempt_timeout_ns"`
	// ConsecutiveSuccesses an address/port needs before it passes (>= 1).
	ConsecutiveSuccesses int `json:"consecutive_successes"`
	// ErrorTimeout ends the run when one address and port has answered
	// only wrongly (StatusError) for this long: a certificate or an app that
	// is still deploying gets that long, not the whole deadline. Closed and
	// filtered ports wait for the deadline, since a booting server looks
	// like that. 0 means never.
	ErrorTimeout time.Duration `json:"error_timeout_ns,omitempty"`
	// MaxProbeRate caps attempt starts per second against one host, across
	// every Run that shares Deps.Rates; 0 means no cap.
	MaxProbeRate float64 `json:"max_probe_rate,omitempty"`
	// Snapshot stops each address and port at its first answer: open
	// passes, closed or error is final. A silent one is probed again every
	// Interval until ctx ends, since silence may be loss. The data source and
	// recheck_on_refresh use it.
	Snapshot bool `json:"snapshot,omitempty"`
}

// IPVersion selects which resolved addresses are verified.
type IPVersion string

// The accepted ip_version values.
const (
	IPAny IPVersion = "any"
	IPv4  IPVersion = "ipv4"
	IPv6  IPVersion = "ipv6"
)

// Plan is everything one verification needs to know.
type Plan struct {
	Host      string
	IPVersion IPVersion
	Checks    []check.Check
	Policy    Policy
}

// Resolver looks up a host's addresses; *net.Resolver satisfies it. It is
// probe.Resolver, since probe.Resolve does the lookup.
type Resolver = probe.Resolver

// Event reports one finished attempt to the Observer.
type Event struct {
	Check   string
	Port    uint16
	Attempt int // per address and port, starting at 1
	Result  probe.Result
}

// Observer receives engine events; it must be safe for concurrent use and
// must not block.
type Observer interface {
	AttemptDone(Event)
}

// Deps are the engine's collaborators. Zero values get defaults: the real
// clock, net.DefaultResolver, a private limit of DefaultConcurrency, a
// private rate bucket, no observer.
type Deps struct {
	Clock    Clock
	Resolver Resolver
	// Limit is shared by every Run of one provider so that max_concurrency
	// holds across all resources of a terraform run.
	Limit *semaphore.Weighted
	// Rates is shared the same way so that each host's MaxProbeRate holds
	// across all of them (see Rates).
	Rates    *Rates
	Observer Observer
	// Progress, if set, receives the report so far every ProgressEvery
	// (default DefaultProgressEvery) while some check has not passed: what
	// someone waiting on the run wants to see. It runs on the engine's loop
	// and must return quickly.
	Progress      func(Report)
	ProgressEvery time.Duration
	// Control, if set, becomes every probe.Target's Control: it vets each
	// socket a probe opens before a packet is sent (a remote agent's
	// allowlist, enforced at dial time).
	Control func(network, address string, c syscall.RawConn) error
}

// DefaultProgressEvery is how often Deps.Progress is called by default.
const DefaultProgressEvery = 10 * time.Second
