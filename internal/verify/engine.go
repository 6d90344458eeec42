package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/mediareach/terraform-provider-media/internal/probe"
)

type outcome struct {
	u   *unit
	seq int // the attempt's place in its unit's start order
	r   probe.Result
	// clipped is set when the run's deadline, not the attempt timeout, cut
	// the attempt short: its "filtered" then says nothing about the port.
	clipped bool
}

// run is the state of one Run, owned by its loop goroutine.
type run struct {
	plan   Plan
	deps   Deps
	start  time.Time
	addrs  []netip.Addr
	units  []*unit
	left   int        // units not passed (with Snapshot: nor final)
	cursor int        // round-robin start, so a rate cap is fair to every port
	rate   *rateShare // this run's draw on the host's max_probe_rate
	// erred is set when a unit answered only wrongly for ErrorTimeout.
	erred   bool
	results chan outcome
	wg      sync.WaitGroup
}

// Run verifies p and returns its report. The error is non-nil only when ctx
// ended before every check passed (with Snapshot: before every port had an
// answer); it wraps ctx.Err(), and the report then holds what was learned so
// far. There is one verdict: a Reachable report never comes with an error,
// and an error never with a Reachable report.
func Run(ctx context.Context, p Plan, d Deps) (Report, error) {
	d = d.withDefaults()
	r := &run{plan: p, deps: d, start: d.Clock.Now()}
	r.plan.Policy = p.Policy.withDefaults()

	addrs, resolveErr := r.resolve(ctx)
	r.addrs = addrs
	if addrs == nil {
		rep := r.report(nil)
		rep.ResolveCode = ResolveCode(resolveErr)
		if resolveErr != nil {
			rep.ResolveError = resolveErr.Error()
		}
		return rep, stopped(ctx)
	}
	for ci, c := range p.Checks {
		for _, a := range addrs {
			for _, port := range c.Ports {
				r.units = append(r.units, &unit{check: ci, unreachable: c.Unreachable,
					target: probe.Target{Host: p.Host, IP: a, Port: port, Control: d.Control}})
			}
		}
	}
	r.left = len(r.units)
	r.results = make(chan outcome, 64)
	r.rate = d.Rates.join(p.Host, r.plan.Policy, d.Clock.Now())

	err := r.loop(ctx)
	r.rate.leave(d.Clock.Now())
	if r.left == 0 {
		// Answers that came in with the deadline finished the job.
		err = nil
	}
	return r.report(addrs), err
}

func (d Deps) withDefaults() Deps {
	if d.Clock == nil {
		d.Clock = RealClock{}
	}
	if d.Resolver == nil {
		d.Resolver = net.DefaultResolver
	}
	if d.Limit == nil {
		d.Limit = semaphore.NewWeighted(DefaultConcurrency)
	}
	if d.ProgressEvery <= 0 {
		d.ProgressEvery = DefaultProgressEvery
	}
	if d.Rates == nil {
		d.Rates = NewRates() // a private bucket
	}
	return d
}

func (p Policy) withDefaults() Policy {
	if p.Interval <= 0 {
		p.Interval = 50 * time.Millisecond
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = 2 * time.Second
	}
	if p.ConsecutiveSuccesses < 1 || p.Snapshot {
		p.ConsecutiveSuccesses = 1
	}
	return p
}

// stopped is the error for a run that ctx ended early, nil if ctx is live.
func stopped(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("verification stopped before every check passed: %w", err)
	}
	return nil
}

// RetryLookup says whether a failed lookup is worth repeating: an address
// that must never be probed (see probe.AddressError) is final, and so is
// "no such record" for a snapshot, which takes it as its answer.
func RetryLookup(err error, snapshot bool) bool {
	if _, unusable := errors.AsType[*probe.AddressError](err); unusable {
		return false
	}
	de, dnsErr := errors.AsType[*net.DNSError](err)
	return !snapshot || !dnsErr || !de.IsNotFound
}

// ResolveCode is a report's ResolveCode for a lookup that failed with err.
func ResolveCode(err error) probe.Code {
	if _, unusable := errors.AsType[*probe.AddressError](err); unusable {
		return CodeUnusableAddress
	}
	return probe.CodeLookupFailed
}

// resolve looks the host up, retrying every interval until it resolves or
// ctx ends (a new server's DNS record may still be propagating). A Snapshot
// takes "no such record" as its answer and retries only failed lookups, as
// it probes only silent ports again. An address that must never be probed
// (see probe.AddressError) ends it at once.
func (r *run) resolve(ctx context.Context) ([]netip.Addr, error) {
	for {
		addrs, err := probe.Resolve(ctx, r.deps.Resolver, r.plan.Host, string(r.plan.IPVersion))
		if err == nil {
			return addrs, nil
		}
		if !RetryLookup(err, r.plan.Policy.Snapshot) || ctx.Err() != nil {
			return nil, err
		}
		t := r.deps.Clock.NewTimer(r.plan.Policy.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C():
		}
	}
}

// loop starts a round of attempts every interval on a fixed schedule and
// folds results in as they arrive, until every unit passed or ctx ends.
func (r *run) loop(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		r.drain()
	}()
	next := r.start
	nextProgress := r.start.Add(r.deps.ProgressEvery)
	var tick Timer
	defer func() {
		if tick != nil {
			tick.Stop()
		}
	}()
	for r.left > 0 && !r.erred {
		now := r.deps.Clock.Now()
		if r.deps.Progress != nil && !now.Before(nextProgress) {
			r.deps.Progress(r.report(r.addrs))
			for !nextProgress.After(now) {
				nextProgress = nextProgress.Add(r.deps.ProgressEvery)
			}
			if tick != nil {
				tick.Stop()
				tick = nil
			}
		}
		if !now.Before(next) {
			r.round(runCtx, now)
			// Fixed schedule: a slow round never pushes later rounds back,
			// and a missed tick is skipped rather than bunched.
			for !next.After(now) {
				next = next.Add(r.plan.Policy.Interval)
			}
			if tick != nil {
				tick.Stop()
				tick = nil
			}
		}
		if tick == nil {
			wake := next
			if r.deps.Progress != nil && nextProgress.Before(wake) {
				wake = nextProgress
			}
			tick = r.deps.Clock.NewTimer(wake.Sub(now))
		}
		select {
		case <-ctx.Done():
			return stopped(ctx)
		case o := <-r.results:
			r.fold(o)
		case <-tick.C():
			tick = nil
		}
	}
	return nil
}

// round starts one attempt for every unit that still needs one, as far as
// the rate cap allows, beginning where the last round stopped.
func (r *run) round(ctx context.Context, now time.Time) {
	n := len(r.units)
	for i := 0; i < n; i++ {
		u := r.units[(r.cursor+i)%n]
		if u.passed || u.final || u.pending.Load() > 0 || r.settling(u) {
			continue
		}
		if floor := r.plan.Checks[u.check].MinInterval; u.started > 0 && now.Sub(u.lastStart) < floor {
			continue // a TURN server's allocation quota, say
		}
		if !r.rate.take(now) {
			r.cursor = (r.cursor + i) % n
			return
		}
		u.lastStart = now
		r.launch(ctx, u)
	}
}

func (r *run) launch(ctx context.Context, u *unit) {
	seq := u.started
	u.started++
	u.pending.Add(1)
	r.wg.Add(1)
	probeFn := r.plan.Checks[u.check].Probe
	timeout := r.plan.Policy.AttemptTimeout
	go func() {
		defer r.wg.Done()
		if err := r.deps.Limit.Acquire(ctx, 1); err != nil {
			u.pending.Add(-1)
			return
		}
		u.pending.Add(-1)
		actx, cancel := context.WithTimeout(ctx, timeout)
		res := probeFn(actx, u.target)
		cancel()
		r.deps.Limit.Release(1)
		// The loop, or drain after it, reads every outcome.
		r.results <- outcome{u, seq, res, clippedByRun(ctx, actx)}
	}()
}

// clippedByRun reports whether the attempt's deadline is the run's own.
func clippedByRun(run, attempt context.Context) bool {
	rd, ok := run.Deadline()
	ad, _ := attempt.Deadline()
	return ok && !ad.Before(rd)
}

// fold applies one attempt's verdict to its unit. A clipped silence
// ("filtered", or connected but mute) only fills a unit that has no verdict
// yet: it must not hide the "closed" or the certificate error that two
// hundred earlier attempts saw.
func (r *run) fold(o outcome) {
	u, res := o.u, o.r
	u.back++
	if res.Status == probe.StatusNone || u.passed || u.final {
		return
	}
	if o.clipped && silent(res) && (u.done > 0 || u.unreachable) {
		// For an unreachable check it is not even a verdict: silence cut
		// short by the deadline proves nothing, so it never counts.
		if u.done == 0 {
			u.last = res
		}
		if u.unreachable && r.settling(u) && u.back == u.started {
			// The streak is complete and this silence, cut short, was the last
			// attempt in flight: it neither passes nor fails the port.
			u.passed = true
			u.passAt = r.deps.Clock.Now().Sub(r.start)
			r.left--
		}
		return
	}
	u.done++
	// Silence after a refusal with no open in between is the kernel rate-
	// limiting its ICMP unreachables (Linux: a burst of 6, then 1/s), not a
	// firewall: keep "closed" so the message blames the right thing.
	if res.Status != probe.StatusFiltered || u.last.Status != probe.StatusClosed {
		u.last = res
	}
	if r.deps.Observer != nil {
		r.deps.Observer.AttemptDone(Event{Check: r.plan.Checks[u.check].Name, Port: u.target.Port, Attempt: u.done, Result: res})
	}
	if res.Status == probe.StatusOpen {
		u.lastOK = res
	}
	if u.unreachable {
		r.foldUnreachable(u, res.Status)
		return
	}
	r.noteError(u, res.Status)
	switch {
	case u.record(o.seq, res.Status, r.plan.Policy.ConsecutiveSuccesses):
		u.passed = true
		u.passAt = r.deps.Clock.Now().Sub(r.start)
		r.left--
	case r.plan.Policy.Snapshot && res.Status != probe.StatusFiltered && res.Status != probe.StatusOpen:
		// A refusal or a wrong answer is an answer; silence may be loss.
		u.final = true
		r.left--
	}
}

// MinUnreachableAttempts is the fewest answers in a row, each closed or
// filtered, that an expect = "unreachable" port needs to pass, whatever
// consecutive_successes (when larger, that) or Snapshot say: one lost reply
// of an open UDP port looks filtered, so one silence proves nothing.
const MinUnreachableAttempts = 3

// foldUnreachable applies one answer to an unreachable check's unit: any
// open or error answer (something answered) fails it at once (the other
// checks go on as usual, so that each row has its verdict);
// MinUnreachableAttempts (or ConsecutiveSuccesses) closed or filtered
// answers pass it once every attempt in flight has answered too.
func (r *run) foldUnreachable(u *unit, st probe.Status) {
	if st == probe.StatusOpen || st == probe.StatusError {
		u.reached, u.final = true, true
		r.left--
		return
	}
	if r.settling(u) && u.back == u.started {
		u.passed = true
		u.passAt = r.deps.Clock.Now().Sub(r.start)
		r.left--
	}
}

// settling reports whether an unreachable check's unit has its answers and
// starts no more attempts: it passes once every attempt still in flight has
// answered closed or filtered too, since a late open answer must fail it.
func (r *run) settling(u *unit) bool {
	return u.unreachable && u.done >= max(r.plan.Policy.ConsecutiveSuccesses, MinUnreachableAttempts)
}

// noteError tracks how long u has answered only wrongly and sets r.erred
// once that reaches ErrorTimeout.
func (r *run) noteError(u *unit, st probe.Status) {
	limit := r.plan.Policy.ErrorTimeout
	switch {
	case st != probe.StatusError:
		u.errSince = time.Time{}
	case limit <= 0 || r.plan.Policy.Snapshot:
	case u.errSince.IsZero():
		u.errSince = r.deps.Clock.Now()
	case r.deps.Clock.Now().Sub(u.errSince) >= limit:
		r.erred = true
	}
}

// silent reports a result that only says nothing answered in time: when
// the run's deadline, not attempt_timeout, cut the attempt short, it says
// nothing about the port.
func silent(res probe.Result) bool {
	return res.Status == probe.StatusFiltered || res.Code == probe.CodeMute
}

// drain waits for every attempt goroutine. Verdicts that arrive after the
// loop stopped only fill units that had none: an attempt cut short by the
// overall deadline says "filtered" for a port that never answered, which is
// better than no verdict at all.
func (r *run) drain() {
	go func() {
		r.wg.Wait()
		close(r.results)
	}()
	for o := range r.results {
		if o.u.done == 0 {
			r.fold(o)
		}
	}
}
