package verify_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/verify"
	"github.com/mediareach/terraform-provider-media/internal/verify/verifytest"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// harness runs the engine in a synctest bubble on a manual clock. Time moves
// only through step, which first waits until the engine is idle.
type harness struct {
	clock *verifytest.Clock
	done  chan struct{}
	rep   verify.Report
	err   error
}

func start(ctx context.Context, plan verify.Plan) *harness {
	return startOn(ctx, verifytest.NewClock(epoch), plan)
}

// startOn is start on a clock the test's prober reads too.
func startOn(ctx context.Context, clock *verifytest.Clock, plan verify.Plan) *harness {
	h := &harness{clock: clock, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		h.rep, h.err = verify.Run(ctx, plan, verify.Deps{Clock: h.clock})
	}()
	synctest.Wait()
	return h
}

// step advances the clock n times by interval, letting the engine settle
// after each, and reports whether the run finished.
func (h *harness) step(n int, interval time.Duration) bool {
	for range n {
		select {
		case <-h.done:
			return true
		default:
		}
		h.clock.Advance(interval)
		synctest.Wait()
	}
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

func plan(policy verify.Policy, checks ...check.Check) verify.Plan {
	return verify.Plan{Host: "127.0.0.1", IPVersion: verify.IPAny, Checks: checks, Policy: policy}
}

// advance moves clock on by d, n times, letting every goroutine in the
// bubble settle after each step.
func advance(clock *verifytest.Clock, n int, d time.Duration) {
	for range n {
		clock.Advance(d)
		synctest.Wait()
	}
}

// portsFrom returns the n ports first, first+1, ...
func portsFrom(first uint16, n int) []uint16 {
	ports := make([]uint16, n)
	for i := range ports {
		ports[i] = first + uint16(i)
	}
	return ports
}

// totalCalls is how many attempts p made on ports, all told.
func totalCalls(p *verifytest.Prober, ports []uint16) int {
	n := 0
	for _, port := range ports {
		n += p.Calls(port)
	}
	return n
}

// A port that stays silent for ten minutes and then opens is seen at the
// very next interval: no backoff lets the gap grow.
func TestRunAttemptEveryIntervalAfterLongSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 100 * time.Millisecond
		opensAt := 10 * time.Minute
		clock := verifytest.NewClock(epoch)
		p := &verifytest.Prober{Clock: clock, Silence: 2 * time.Second, Script: func(uint16, int) probe.Status {
			if clock.Now().Sub(epoch) >= opensAt {
				return probe.StatusOpen
			}
			return probe.StatusFiltered
		}}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		pol := verify.Policy{Interval: interval, AttemptTimeout: 2 * time.Second, ConsecutiveSuccesses: 1}
		h := startOn(ctx, clock, plan(pol, p.Check("silent", 3478)))
		// Each attempt waits out 2s of silence, so 20 overlap at any time.
		if h.step(int(opensAt/interval)-1, interval) {
			t.Fatal("run finished while the port was silent")
		}
		// One attempt per interval, none skipped: t=0 plus one per tick.
		if got, want := p.Calls(3478), int(opensAt/interval); got != want {
			t.Fatalf("attempts during silence = %d, want %d (one per interval)", got, want)
		}
		if !h.step(1, interval) {
			t.Fatal("run did not finish within one interval of the port opening")
		}
		if h.err != nil || !h.rep.Reachable {
			t.Fatalf("Run = %v, reachable %v; want success", h.err, h.rep.Reachable)
		}
		if got := h.rep.Results[0].PassedAfter; got != opensAt {
			t.Fatalf("passed after %v, want %v", got, opensAt)
		}
	})
}

func TestRunConsecutiveSuccesses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		seq := []probe.Status{probe.StatusOpen, probe.StatusClosed, probe.StatusOpen, probe.StatusOpen, probe.StatusOpen}
		p := &verifytest.Prober{Script: func(_ uint16, n int) probe.Status { return seq[min(n, len(seq))-1] }}
		const interval = 10 * time.Millisecond
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, ConsecutiveSuccesses: 3}
		h := start(t.Context(), plan(pol, p.Check("flappy", 443)))
		if !h.step(100, interval) {
			t.Fatal("run did not finish")
		}
		row := h.rep.Results[0]
		if !row.Passed || row.Attempts != 5 || row.PassedAfter != 4*interval {
			t.Fatalf("row = passed %v after %d attempts at %v; want passed after 5 at %v", row.Passed, row.Attempts, row.PassedAfter, 4*interval)
		}
	})
}

func TestRunCancelReturnsPartialReport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(port uint16, _ int) probe.Status {
			if port == 1 {
				return probe.StatusOpen
			}
			return probe.StatusNone // blocks until cancelled
		}}
		ctx, cancel := context.WithCancel(t.Context())
		pol := verify.Policy{Interval: time.Second, AttemptTimeout: time.Hour}
		h := start(ctx, plan(pol, p.Check("a", 1), p.Check("b", 2)))
		cancel()
		<-h.done
		if !errors.Is(h.err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", h.err)
		}
		if h.rep.Reachable || !h.rep.Results[0].Passed || h.rep.Results[1].Passed {
			t.Fatalf("partial report wrong: %+v", h.rep.Results)
		}
		if h.rep.Results[1].Status != probe.StatusNone {
			t.Fatalf("cancelled probe status = %v, want none (a cancel is never filtered)", h.rep.Results[1].Status)
		}
	})
}

// At the overall deadline, attempts still in flight report "filtered" for
// ports that never gave a verdict.
func TestRunDeadlineReportsFiltered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(uint16, int) probe.Status { return probe.StatusFiltered }}
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		pol := verify.Policy{Interval: time.Hour, AttemptTimeout: time.Hour}
		rep, err := verify.Run(ctx, plan(pol, p.Check("udp", 3478)), verify.Deps{Clock: verifytest.NewClock(epoch)})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
		if got := rep.Results[0].Status; got != probe.StatusFiltered {
			t.Fatalf("status = %v, want filtered", got)
		}
	})
}

func TestRunSnapshotStopsAtFirstAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(port uint16, _ int) probe.Status {
			if port%2 == 0 {
				return probe.StatusClosed
			}
			return probe.StatusOpen
		}}
		pol := verify.Policy{Interval: time.Millisecond, AttemptTimeout: time.Second, Snapshot: true, ConsecutiveSuccesses: 3}
		rep, err := verify.Run(t.Context(), plan(pol, p.Check("range", 1, 2, 3, 4)), verify.Deps{Clock: verifytest.NewClock(epoch)})
		if err != nil {
			t.Fatal(err)
		}
		for port := uint16(1); port <= 4; port++ {
			if n := p.Calls(port); n != 1 {
				t.Errorf("port %d probed %d times, want 1", port, n)
			}
		}
		row := rep.Results[0]
		if rep.Reachable || row.Status != probe.StatusClosed || !slices.Equal(row.PortsWith(probe.StatusClosed), []uint16{2, 4}) {
			t.Fatalf("row = %v %+v, want closed: 2, 4", row.Status, row.Groups)
		}
	})
}

func TestRunRateCapSpreadsAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(uint16, int) probe.Status { return probe.StatusClosed }}
		ports := portsFrom(20000, 100)
		const interval = 100 * time.Millisecond
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, MaxProbeRate: 50}
		ctx, cancel := context.WithCancel(t.Context())
		h := start(ctx, plan(pol, p.Check("range", ports...)))
		h.step(20, interval)
		cancel()
		<-h.done
		total, least := 0, 1<<30
		for _, port := range ports {
			n := p.Calls(port)
			total += n
			least = min(least, n)
		}
		// 5 per round for 21 rounds; every port gets its turn.
		if total != 105 || least < 1 {
			t.Fatalf("attempts = %d (least per port %d), want 105 with every port probed", total, least)
		}
	})
}

func TestRunRangeNamesFailingPorts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(port uint16, _ int) probe.Status {
			if port >= 10180 {
				return probe.StatusClosed
			}
			return probe.StatusOpen
		}}
		ports := portsFrom(10000, 200)
		pol := verify.Policy{Interval: time.Millisecond, AttemptTimeout: time.Second, Snapshot: true}
		rep, err := verify.Run(t.Context(), plan(pol, p.Check("media", ports...)), verify.Deps{Clock: verifytest.NewClock(epoch)})
		if err != nil {
			t.Fatal(err)
		}
		row := rep.Results[0]
		if len(row.Groups) != 1 || !slices.Equal(row.PortsWith(probe.StatusClosed), portsFrom(10180, 20)) ||
			len(row.FailingPorts) != 20 || row.Label != "10000-10199" {
			t.Fatalf("row = %+v, %d failing, label %q", row.Groups, len(row.FailingPorts), row.Label)
		}
	})
}

// An attempt that only the run's deadline cut short must not turn a port
// that refused every attempt into "filtered". The probe below answers
// "filtered" at once for a clipped attempt, as a socket deadline taken from
// ctx fires a moment before ctx itself reports done.
func TestRunDeadlineKeepsEarlierVerdict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		probeFn := func(ctx context.Context, tg probe.Target) probe.Result {
			if calls.Add(1) == 1 {
				return probe.Result{Status: probe.StatusClosed, Address: tg.Address()}
			}
			return probe.Result{Status: probe.StatusFiltered, Address: tg.Address()}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		const interval = 100 * time.Millisecond
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Hour}
		c := check.Check{Name: "tcp/443", Protocol: "tcp", Ports: []uint16{443}, Label: "443", Probe: probeFn}
		h := start(ctx, plan(pol, c))
		h.step(3, interval)
		<-h.done
		row := h.rep.Results[0]
		if calls.Load() != 4 || row.Status != probe.StatusClosed || row.Attempts != 1 {
			t.Fatalf("row = %v after %d attempts (%d probes), want closed after 1 (4 probes)", row.Status, row.Attempts, calls.Load())
		}
	})
}

// Linux answers a closed UDP port with a burst of ICMP unreachables, then
// rate-limits them: refused-then-silent is still "closed".
func TestRunRefusalThenSilenceStaysClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := verifytest.NewClock(epoch)
		p := &verifytest.Prober{Clock: clock, Silence: 50 * time.Millisecond, Script: func(_ uint16, n int) probe.Status {
			if n <= 6 {
				return probe.StatusClosed
			}
			return probe.StatusFiltered
		}}
		ctx, cancel := context.WithCancel(t.Context())
		const interval = 100 * time.Millisecond
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Hour}
		h := startOn(ctx, clock, plan(pol, p.Check("stun/3478/udp", 3478)))
		h.step(12, interval)
		cancel()
		<-h.done
		row := h.rep.Results[0]
		if row.Attempts < 10 || row.Status != probe.StatusClosed || row.Failing[0].Cause != "connection refused" {
			t.Fatalf("row = %v %q after %d attempts, want closed (connection refused) after >= 10", row.Status, row.Failing[0].Cause, row.Attempts)
		}
	})
}

// A row's status is the worst verdict among its failing ports, whatever
// their order; StatusNone only when none of them has one. Here port 1
// answered open once (of two needed) and the rate cap left port 2 unprobed
// when the deadline came.
func TestRunRowStatusIgnoresPortsWithoutVerdict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(uint16, int) probe.Status { return probe.StatusOpen }}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		pol := verify.Policy{Interval: 100 * time.Millisecond, AttemptTimeout: time.Second, ConsecutiveSuccesses: 2, MaxProbeRate: 10}
		rep, err := verify.Run(ctx, plan(pol, p.Check("pair", 1, 2), p.Check("unprobed", 3)),
			verify.Deps{Clock: verifytest.NewClock(epoch)})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
		pair, unprobed := rep.Results[0], rep.Results[1]
		want := []verify.PortGroup{{Status: probe.StatusOpen, Ports: []uint16{1}}, {Status: probe.StatusNone, Ports: []uint16{2}}}
		if pair.Passed || pair.Status != probe.StatusOpen || fmt.Sprint(pair.Groups) != fmt.Sprint(want) {
			t.Errorf("pair row = %v %+v, want open, not yet passed: 1, not probed: 2", pair.Status, pair.Groups)
		}
		if unprobed.Status != probe.StatusNone || unprobed.Attempts != 0 {
			t.Errorf("unprobed row = %v after %d attempts, want none after 0", unprobed.Status, unprobed.Attempts)
		}
	})
}
