package agent

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
	"github.com/mediareach/terraform-provider-media/internal/verify/verifytest"
)

// lateResolver fails its first fails lookups ("no such host", as a record
// that has not propagated yet), then answers addr; fails < 0 never answers.
type lateResolver struct {
	fails int64
	addr  netip.Addr
	n     atomic.Int64
}

func (l *lateResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if n := l.n.Add(1); l.fails < 0 || n <= l.fails {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []netip.Addr{l.addr}, nil
}

// timerClock is a fake clock that says when a timer is made, so a test
// advances it only once the agent waits on it.
type timerClock struct {
	*verifytest.Clock
	made chan time.Duration
}

func (c timerClock) NewTimer(d time.Duration) verify.Timer {
	t := c.Clock.NewTimer(d)
	select {
	case c.made <- d:
	default: // the engine's own timers, once the run has started
	}
	return t
}

func newTimerClock() timerClock {
	return timerClock{Clock: verifytest.NewClock(time.Unix(1_000_000, 0)), made: make(chan time.Duration, 64)}
}

// tick waits (in real time, bounded) for the agent's next retry timer and
// fires it; it returns the timer's duration.
func (c timerClock) tick(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.made:
		c.Advance(d)
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for the agent to wait for its next lookup")
		return 0
	}
}

func verifyAsync(t *testing.T, r *agentapi.Remote, req vantage.Request, w vantage.Watcher) <-chan error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		rep, err := r.Verify(t.Context(), req, w)
		if err == nil && !rep.Reachable {
			err = errUnreachable{rep}
		}
		errc <- err
	}()
	return errc
}

type errUnreachable struct{ rep verify.Report }

func (e errUnreachable) Error() string { return "not reachable: " + e.rep.ResolveError }

func wait(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for Verify")
		return nil
	}
}

// A name that fails to resolve twice, then answers, is looked up again
// every poll interval (floored to MinResolveEvery) and then verified, as
// the local engine would.
func TestResolveRetriesUntilTheNameResolves(t *testing.T) {
	clock := newTimerClock()
	res := &lateResolver{fails: 2, addr: netip.MustParseAddr("127.0.0.1")}
	h := newHarness(t, []string{"127.0.0.1/32"}, func(c *Config) {
		c.Deps.Resolver = res
		c.Deps.Clock = clock
	})
	req := tcpRequest("new.media.test", testnet.TCPListener(t))
	req.IPVersion = verify.IPv4
	errc := verifyAsync(t, h.remote(t, testToken), req, vantage.Watcher{})
	for range 2 {
		if d := clock.tick(t); d != MinResolveEvery {
			t.Errorf("retry after %v, want the 10ms interval floored to %v", d, MinResolveEvery)
		}
	}
	if err := wait(t, errc); err != nil {
		t.Fatalf("Verify: %v; want reachable once the name resolved", err)
	}
	if n := res.n.Load(); n != 3 {
		t.Errorf("%d lookups, want 3", n)
	}
}

// A name that never resolves is reported at the request's deadline, with
// the lookup error as today, progress lines on the way, and no hang.
func TestResolveGivesUpAtTheDeadline(t *testing.T) {
	res := &lateResolver{fails: -1}
	h := newHarness(t, []string{"127.0.0.1/32"}, func(c *Config) {
		c.Deps.Resolver = res
		c.Deps.ProgressEvery = 100 * time.Millisecond
	})
	req := tcpRequest("never.media.test", 443)
	req.IPVersion = verify.IPv4
	req.Timeout = 800 * time.Millisecond // real time: the deadline is the request's context
	var progress atomic.Int64
	start := time.Now()
	rep, err := h.remote(t, testToken).Verify(t.Context(), req, vantage.Watcher{
		Progress: func(p verify.Report) {
			if p.ResolveError != "" {
				progress.Add(1)
			}
		},
	})
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v for a 0.8s request", took)
	}
	if err != nil || rep.Reachable || rep.ResolveCode != probe.CodeLookupFailed ||
		!strings.Contains(rep.ResolveError, "lookup never.media.test") {
		t.Fatalf("Verify = %+v, %v; want the lookup failure reported", rep, err)
	}
	if n := res.n.Load(); n < 2 || n > 4 {
		t.Errorf("%d lookups in 0.8s every %v, want 2 to 4", n, MinResolveEvery)
	}
	if progress.Load() == 0 {
		t.Error("no progress line while the name did not resolve")
	}
	if got := testutil.ToFloat64(h.srv.metrics.verifications.WithLabelValues("unresolved")); got != 1 {
		t.Errorf("verifications{verdict=unresolved} = %v, want 1", got)
	}
}

// Every resolution is checked against the allowlist: a name that resolves
// late, outside it, ends the stream with a refusal and is never probed.
func TestResolveLateOutsideTheAllowlist(t *testing.T) {
	clock := newTimerClock()
	res := &lateResolver{fails: 1, addr: netip.MustParseAddr("198.51.100.7")}
	h := newHarness(t, []string{"203.0.113.0/24"}, func(c *Config) {
		c.Deps.Resolver = res
		c.Deps.Clock = clock
	})
	req := tcpRequest("new.media.test", 443)
	req.IPVersion = verify.IPv4
	errc := verifyAsync(t, h.remote(t, testToken), req, vantage.Watcher{})
	clock.tick(t)
	err := wait(t, errc)
	if err == nil || !strings.Contains(err.Error(), "refused the target once it resolved (forbidden)") ||
		!strings.Contains(err.Error(), "198.51.100.7") {
		t.Fatalf("Verify = %v, want the late answer refused as forbidden", err)
	}
	if got := testutil.ToFloat64(h.srv.metrics.refusals.WithLabelValues(agentapi.ReasonForbidden)); got != 1 {
		t.Errorf("refusals{reason=forbidden} = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(h.srv.metrics.probes); n != 0 {
		t.Errorf("%d probe series, want 0", n)
	}
}
