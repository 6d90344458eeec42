package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"
)

// The listener opens no earlier than unblockAfter after the apply started
// and unblockSettle after Creating...: by then the provider polls a
// refusing port in its steady state.
const (
	unblockAfter  = time.Second
	unblockSettle = 200 * time.Millisecond
	unblockLimit  = 30 * time.Second
)

// unblock is measure 1: the port opens while Create polls it, at offsets
// spread over one poll_interval; the time from the listener's bind to the
// apply's exit 0.
func (b *bench) unblock(ctx context.Context) []row {
	const order, name = "1", "unblock latency"
	if err := b.needPollInterval(ctx); err != nil {
		return []row{errorRow(order, name, err)}
	}
	n := b.cfg.unblockOffsets
	var o, base []time.Duration
	for sweep := range b.cfg.unblockSweeps {
		for k := range n {
			offset := (2*time.Duration(k) + 1) * b.pollInterval / time.Duration(2*n)
			for _, p := range []provider{ours, baseline} {
				d, err := b.unblockOnce(ctx, p, offset)
				if err != nil {
					return []row{errorRow(order, name, err)}
				}
				if p == ours {
					o = append(o, d)
				} else {
					base = append(base, d)
				}
				b.debugf("   sweep %d offset %s %s: %s", sweep+1, offset, p, secs(d))
			}
		}
	}
	b.logf("   ours:     %s (offsets (k+0.5)/%d of %s)", spread(o), n, b.pollInterval)
	b.logf("   baseline: %s", spread(base))
	mo := median(o)
	return []row{{
		order: order, measure: fmt.Sprintf("unblock latency (max %s)", secs(slices.Max(o))),
		ours: secs(mo), baseline: secs(median(base)),
		rel: fmt.Sprintf("%+.3fs", (mo - median(base)).Seconds()), target: "<= 0.050s", verdict: judge(mo <= 50*time.Millisecond),
	}}
}

func (b *bench) unblockOnce(ctx context.Context, p provider, offset time.Duration) (time.Duration, error) {
	port, err := closedPort(ctx)
	if err != nil {
		return 0, err
	}
	dir, err := b.workdir(mainTF(p, []target{{host: "127.0.0.1", ports: []int{port}}}, ""))
	if err != nil {
		return 0, err
	}
	a, err := b.startApply(ctx, dir, unblockLimit)
	if err != nil {
		return 0, err
	}
	defer a.kill()
	if err := a.waitCreating(ctx, unblockLimit); err != nil {
		return 0, err
	}
	if !a.sleepUntil(ctx, unblockAt(a.start, a.out.seenTime(), b.pollInterval).Add(offset)) {
		a.wait()
		return 0, fmt.Errorf("%s apply ended before its port opened:\n%s", p, a.out.tail(15))
	}
	var ls listeners
	defer ls.close()
	if _, err := ls.listen(ctx, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
		return 0, fmt.Errorf("reopening port %d: %w", port, err)
	}
	bound := time.Now()
	a.wait()
	if err := a.check(ctx, true); err != nil {
		return 0, err
	}
	return a.end.Sub(bound), nil
}

// unblockAt is the phase origin of the sweep: a whole number of intervals
// after Creating... was printed (when Create, and its polling, started), and
// no earlier than unblockAfter after the start and unblockSettle after
// Creating.... The offsets then sweep the phase of the provider's schedule
// rather than falling wherever the plan happened to end.
func unblockAt(start, creating time.Time, interval time.Duration) time.Time {
	earliest := start.Add(unblockAfter)
	if s := creating.Add(unblockSettle); s.After(earliest) {
		earliest = s
	}
	rounds := (earliest.Sub(creating) + interval - 1) / interval
	return creating.Add(time.Duration(int64(rounds) * int64(interval)))
}

// needPollInterval runs the warm-up when the start-up measure did not.
func (b *bench) needPollInterval(ctx context.Context) error {
	if b.pollInterval != 0 {
		return nil
	}
	var ls listeners
	defer ls.close()
	targets, err := openTargets(ctx, &ls, 1, 1)
	if err != nil {
		return err
	}
	return b.warmUp(ctx, targets)
}
