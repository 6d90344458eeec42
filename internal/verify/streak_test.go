package verify_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/verify"
	"github.com/mediareach/terraform-provider-media/internal/verify/verifytest"
)

// A lossy path: every other attempt is silent until attempt_timeout while a
// new attempt starts every interval, so the quick opens arrive before the
// slow silences. Counted in the order attempts finish they would make a
// streak of any length; in start order there is never two opens in a row.
func TestRunStreakCountsInStartOrder(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		t.Run(fmt.Sprint("consecutive_successes=", n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				clock := verifytest.NewClock(epoch)
				const interval = 50 * time.Millisecond
				p := &verifytest.Prober{Clock: clock, Silence: 2 * time.Second, Script: func(_ uint16, a int) probe.Status {
					if a%2 == 1 {
						return probe.StatusOpen
					}
					return probe.StatusFiltered
				}}
				ctx, cancel := context.WithCancel(t.Context())
				pol := verify.Policy{Interval: interval, AttemptTimeout: 2 * time.Second, ConsecutiveSuccesses: n}
				h := startOn(ctx, clock, plan(pol, p.Check("lossy", 3478)))
				if h.step(200, interval) {
					t.Fatalf("passed after %d attempts on a path that answers every other one", p.Calls(3478))
				}
				cancel()
				<-h.done
				if row := h.rep.Results[0]; row.Passed || h.rep.Reachable {
					t.Fatalf("row passed: %+v", row)
				}
			})
		})
	}
}

// An attempt still in flight holds the streak at its place: open, (silent
// for 2s, then filtered), open must not pass consecutive_successes = 2 while
// the middle one waits, nor after it failed.
func TestRunStreakWaitsForAttemptInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := verifytest.NewClock(epoch)
		const interval = 100 * time.Millisecond
		p := &verifytest.Prober{Clock: clock, Silence: 2 * time.Second, Script: func(_ uint16, a int) probe.Status {
			switch a {
			case 1, 3:
				return probe.StatusOpen
			case 2:
				return probe.StatusFiltered
			default:
				return probe.StatusNone // later attempts never answer
			}
		}}
		ctx, cancel := context.WithCancel(t.Context())
		pol := verify.Policy{Interval: interval, AttemptTimeout: 2 * time.Second, ConsecutiveSuccesses: 2}
		h := startOn(ctx, clock, plan(pol, p.Check("gap", 443)))
		if h.step(30, interval) {
			t.Fatal("open, filtered, open passed consecutive_successes = 2")
		}
		cancel()
		<-h.done
		if h.rep.Reachable {
			t.Fatal("report says reachable")
		}
	})
}

// Two attempts that started one after another and both answered open pass,
// even while an earlier attempt still waits: loss before a streak must not
// delay it by attempt_timeout.
func TestRunStreakPassesAheadOfSilentAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := verifytest.NewClock(epoch)
		const interval = 100 * time.Millisecond
		p := &verifytest.Prober{Clock: clock, Silence: 10 * time.Second, Script: func(_ uint16, a int) probe.Status {
			if a == 1 {
				return probe.StatusFiltered
			}
			return probe.StatusOpen
		}}
		pol := verify.Policy{Interval: interval, AttemptTimeout: 10 * time.Second, ConsecutiveSuccesses: 2}
		h := startOn(t.Context(), clock, plan(pol, p.Check("late loss", 443)))
		if !h.step(3, interval) {
			t.Fatal("attempts 2 and 3 answered open but the run waits for attempt 1")
		}
		if row := h.rep.Results[0]; !row.Passed || h.err != nil || row.PassedAfter != 2*interval {
			t.Fatalf("row = %+v, err %v; want passed after %v", row, h.err, 2*interval)
		}
	})
}

// One verdict: whatever the deadline cuts, Run's error is nil exactly when
// the report says reachable, and then every row passed. Opens that arrive
// as the deadline hits are raced against it with random scripts. Time here
// is the bubble's own, so the deadline and the probes' silences interleave.
func TestRunOneVerdictAtDeadline(t *testing.T) {
	for seed := range uint64(300) {
		synctest.Test(t, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			statuses := []probe.Status{probe.StatusOpen, probe.StatusOpen, probe.StatusOpen, probe.StatusClosed, probe.StatusFiltered}
			script := make([]probe.Status, 64)
			for i := range script {
				script[i] = statuses[rng.IntN(len(statuses))]
			}
			var calls atomic.Int32
			scripted := func(ctx context.Context, tg probe.Target) probe.Result {
				st := script[(int(tg.Port)*7+int(calls.Add(1)))%len(script)]
				if st == probe.StatusFiltered {
					silence := time.NewTimer(30 * time.Millisecond)
					defer silence.Stop()
					select {
					case <-ctx.Done():
					case <-silence.C:
					}
				}
				return probe.Result{Status: st, Address: tg.Address()}
			}
			// This one answers open just as its context ends: the answer
			// and the deadline arrive together.
			atDeadline := func(ctx context.Context, tg probe.Target) probe.Result {
				<-ctx.Done()
				return probe.Result{Status: probe.StatusOpen, Address: tg.Address()}
			}
			checks := []check.Check{{Name: "scripted", Protocol: "tcp", Ports: []uint16{1, 2, 3}, Label: "1-3", Probe: scripted}}
			if rng.IntN(2) == 0 {
				checks = append(checks, check.Check{Name: "late", Protocol: "tcp", Ports: []uint16{9}, Label: "9", Probe: atDeadline})
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Duration(1+rng.IntN(20))*10*time.Millisecond)
			defer cancel()
			pol := verify.Policy{Interval: 10 * time.Millisecond, AttemptTimeout: time.Second, ConsecutiveSuccesses: 1 + rng.IntN(2)}
			rep, err := verify.Run(ctx, plan(pol, checks...), verify.Deps{})
			allPassed := len(rep.Results) > 0
			for _, r := range rep.Results {
				allPassed = allPassed && r.Passed
			}
			if (err == nil) != rep.Reachable || rep.Reachable != allPassed {
				t.Fatalf("seed %d: err = %v, reachable = %v, every row passed = %v: want one verdict", seed, err, rep.Reachable, allPassed)
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("seed %d: err = %v", seed, err)
			}
		})
	}
}

// A snapshot (the data source, recheck_on_refresh) probes a silent port
// again until it answers or ctx ends: on a lossy path one lost datagram must
// not read as filtered. A refusal or a wrong answer is final at once.
func TestRunSnapshotReprobesSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := verifytest.NewClock(epoch)
		const interval = 50 * time.Millisecond
		p := &verifytest.Prober{Clock: clock, Silence: time.Second, Script: func(port uint16, a int) probe.Status {
			switch {
			case port == 1 && a <= 3: // lost three times, then answered
				return probe.StatusFiltered
			case port == 1:
				return probe.StatusOpen
			case port == 2:
				return probe.StatusClosed
			case port == 3:
				return probe.StatusError
			default:
				return probe.StatusFiltered // never answers
			}
		}}
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, Snapshot: true}
		h := startOn(ctx, clock, plan(pol, p.Check("lossy", 1), p.Check("refused", 2), p.Check("wrong", 3), p.Check("silent", 4)))
		h.step(10, interval)
		if got := p.Calls(1); got != 4 {
			t.Errorf("lossy port probed %d times, want 4 (three losses, then open)", got)
		}
		if p.Calls(2) != 1 || p.Calls(3) != 1 {
			t.Errorf("refused port probed %d times, wrong one %d: want 1 each", p.Calls(2), p.Calls(3))
		}
		if got := p.Calls(4); got != 11 {
			t.Errorf("silent port probed %d times in 10 intervals, want 11 (one per interval)", got)
		}
		h.step(15, interval) // the first silent attempt times out
		cancel()
		<-h.done
		want := []probe.Status{probe.StatusOpen, probe.StatusClosed, probe.StatusError, probe.StatusFiltered}
		for i, row := range h.rep.Results {
			if row.Status != want[i] {
				t.Errorf("row %s = %v, want %v", row.Name, row.Status, want[i])
			}
		}
	})
}

// A host that is, or resolves to, the unspecified address would probe the
// machine running the engine: nothing is probed and nothing retried.
func TestRunUnspecifiedAddressIsNeverProbed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(uint16, int) probe.Status { return probe.StatusOpen }}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		for _, host := range []string{"0.0.0.0", "::"} {
			pl := plan(verify.Policy{Interval: time.Second}, p.Check("tcp", 443))
			pl.Host = host
			rep, err := verify.Run(ctx, pl, verify.Deps{Clock: verifytest.NewClock(epoch)})
			if rep.ResolveCode != verify.CodeUnusableAddress || err != nil || rep.Reachable {
				t.Errorf("%s: resolve %s %q, err %v, reachable %v; want an unusable address at once", host, rep.ResolveCode, rep.ResolveError, err, rep.Reachable)
			}
		}
		if n := p.Calls(443); n != 0 {
			t.Errorf("probed %d times", n)
		}
	})
}

// A port that answers only wrongly (an untrusted certificate, a 404) ends
// the run after ErrorTimeout instead of the whole deadline; one wrong answer
// among others, or silence, does not.
func TestRunErrorTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 100 * time.Millisecond
		p := &verifytest.Prober{Script: func(port uint16, a int) probe.Status {
			switch {
			case port == 1:
				return probe.StatusError
			case port == 2 && a%5 == 0: // mostly wrong, sometimes refused
				return probe.StatusClosed
			case port == 2:
				return probe.StatusError
			default:
				return probe.StatusClosed
			}
		}}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second, ErrorTimeout: 2 * time.Second}
		h := start(ctx, plan(pol, p.Check("mixed", 2), p.Check("closed", 3)))
		if h.step(100, interval) {
			t.Fatalf("run ended after %d attempts although no port answered only wrongly", p.Calls(2))
		}
		cancel()
		<-h.done

		h = start(t.Context(), plan(pol, p.Check("wrong", 1), p.Check("closed", 3)))
		if h.step(19, interval) {
			t.Fatal("run ended before error_timeout")
		}
		if !h.step(2, interval) {
			t.Fatal("run did not end at error_timeout")
		}
		if h.err != nil || h.rep.Reachable || !h.rep.ErrorTimedOut || h.rep.Results[0].Status != probe.StatusError {
			t.Fatalf("err %v, reachable %v, error timed out %v, row %v", h.err, h.rep.Reachable, h.rep.ErrorTimedOut, h.rep.Results[0].Status)
		}
	})
}

// While a check fails, Progress gets the report so far every ProgressEvery,
// even when the poll interval is longer; it stops once everything passed.
func TestRunProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := verifytest.NewClock(epoch)
		opensAt := 35 * time.Second
		p := &verifytest.Prober{Script: func(port uint16, _ int) probe.Status {
			if port == 2 && clock.Now().Sub(epoch) < opensAt {
				return probe.StatusClosed
			}
			return probe.StatusOpen
		}}
		var got []verify.Report
		const interval = 15 * time.Second
		pol := verify.Policy{Interval: interval, AttemptTimeout: time.Second}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = verify.Run(t.Context(), plan(pol, p.Check("open", 1), p.Check("late", 2)), verify.Deps{
				Clock: clock, Progress: func(r verify.Report) { got = append(got, r) },
			})
		}()
		synctest.Wait()
		advance(clock, 60, time.Second)
		<-done
		if len(got) != 4 {
			t.Fatalf("progress reports = %d, want 4 (at 10s, 20s, 30s, 40s; the check passed at 45s)", len(got))
		}
		for i, r := range got {
			if r.Elapsed != time.Duration(i+1)*10*time.Second || !r.Results[0].Passed || r.Results[1].Passed ||
				r.Results[1].Status != probe.StatusClosed {
				t.Errorf("report %d at %v: %+v", i, r.Elapsed, r.Results)
			}
		}
	})
}

// An attempt that the run's deadline cut short in the middle of a handshake
// reads "connected, but mute"; like a clipped "filtered" it must not replace
// the wrong answer that every earlier attempt saw.
func TestRunDeadlineKeepsEarlierErrorOverMute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		probeFn := func(ctx context.Context, tg probe.Target) probe.Result {
			if calls.Add(1) == 1 {
				return probe.Result{Status: probe.StatusError, Code: probe.CodeCertificate, Cause: "certificate expires in 71h"}
			}
			<-ctx.Done() // the handshake hangs until the deadline
			return probe.Result{Status: probe.StatusError, Code: probe.CodeMute, Cause: probe.CauseMutePrefix + "TLS answer"}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		pol := verify.Policy{Interval: 100 * time.Millisecond, AttemptTimeout: time.Hour}
		rep, _ := verify.Run(ctx, plan(pol, check.Check{Name: "tls/443", Protocol: "tls", Ports: []uint16{443}, Label: "443", Probe: probeFn}),
			verify.Deps{})
		if got := rep.Results[0].Failing[0].Code; got != probe.CodeCertificate {
			t.Fatalf("last verdict %q (%s), want the certificate error", got, rep.Results[0].Failing[0].Cause)
		}
	})
}

// A check with a floor on its attempt interval (TURN, for its server's
// allocation quota) is not probed more often than that, whatever the poll
// interval; other checks keep the poll interval.
func TestRunMinIntervalFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(uint16, int) probe.Status { return probe.StatusClosed }}
		turn := p.Check("turn", 3478)
		turn.MinInterval = 5 * time.Second
		ctx, cancel := context.WithCancel(t.Context())
		const interval = 50 * time.Millisecond
		h := start(ctx, plan(verify.Policy{Interval: interval, AttemptTimeout: time.Second}, turn, p.Check("tcp", 443)))
		h.step(int(12*time.Second/interval), interval)
		cancel()
		<-h.done
		if got := p.Calls(3478); got != 3 {
			t.Errorf("turn probed %d times in 12s, want 3 (at 0s, 5s, 10s)", got)
		}
		if got := p.Calls(443); got < 200 {
			t.Errorf("tcp probed %d times in 12s, want one every 50ms", got)
		}
	})
}

// flakyResolver fails its first lookups, then answers.
type flakyResolver struct {
	fails int
	calls atomic.Int32
}

func (f *flakyResolver) LookupNetIP(_ context.Context, network, _ string) ([]netip.Addr, error) {
	if int(f.calls.Add(1)) <= f.fails {
		return nil, &net.DNSError{Err: "server misbehaving", Name: "media.test", IsTemporary: true}
	}
	if network == "ip6" {
		return nil, &net.DNSError{Err: "no such host", Name: "media.test", IsNotFound: true}
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

// A snapshot retries a lookup that failed (it may be a lost packet) but
// takes "no such host" as its answer.
func TestRunSnapshotRetriesFailedLookups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &verifytest.Prober{Script: func(uint16, int) probe.Status { return probe.StatusOpen }}
		pol := verify.Policy{Interval: 50 * time.Millisecond, Snapshot: true}
		pl := plan(pol, p.Check("tcp", 443))
		pl.Host = "media.test"
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		rep, err := verify.Run(ctx, pl, verify.Deps{Resolver: &flakyResolver{fails: 3}})
		if err != nil || !rep.Reachable {
			t.Fatalf("err %v, reachable %v (%s)", err, rep.Reachable, rep.ResolveError)
		}
		nx := &flakyResolver{fails: 0}
		pl.Host = "nx.test"
		rep, _ = verify.Run(ctx, pl, verify.Deps{Resolver: resolverFunc(func(context.Context, string, string) ([]netip.Addr, error) {
			nx.calls.Add(1)
			return nil, &net.DNSError{Err: "no such host", Name: "nx.test", IsNotFound: true}
		})})
		if rep.ResolveCode != probe.CodeLookupFailed || nx.calls.Load() != 2 {
			t.Errorf("resolve %s after %d lookups, want lookup_failed after one A and one AAAA lookup", rep.ResolveCode, nx.calls.Load())
		}
	})
}

type resolverFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

func (f resolverFunc) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return f(ctx, network, host)
}
