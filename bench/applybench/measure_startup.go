package main

import (
	"context"
	"fmt"
	"time"
)

// applyLimit bounds an apply that should pass at once.
const applyLimit = 60 * time.Second

// startup is measure 6: 1 resource x 1 open port, ours vs the baseline,
// interleaved, after one unmeasured warm-up apply of each (page cache).
// The warm-up also reads our default poll_interval from its state.
func (b *bench) startup(ctx context.Context) []row {
	const order, name = "6", "start-up 1x1 apply"
	var ls listeners
	defer ls.close()
	targets, err := openTargets(ctx, &ls, 1, 1)
	if err != nil {
		return []row{errorRow(order, name, err)}
	}
	if err := b.warmUp(ctx, targets); err != nil {
		return []row{errorRow(order, name, err)}
	}
	var o, base []time.Duration
	for i := range b.cfg.startupRuns {
		d, _, err := b.runApply(ctx, mainTF(ours, targets, ""), applyLimit, true)
		if err != nil {
			return []row{errorRow(order, name, err)}
		}
		o = append(o, d)
		d, _, err = b.runApply(ctx, mainTF(baseline, targets, ""), applyLimit, true)
		if err != nil {
			return []row{errorRow(order, name, err)}
		}
		base = append(base, d)
		b.debugf("   start-up %d: ours %s baseline %s", i+1, secs(o[i]), secs(base[i]))
	}
	b.ours1x1 = o
	b.logf("   ours:     %s", spread(o))
	b.logf("   baseline: %s", spread(base))
	ratio := pairRatio(o, base)
	return []row{{
		order: order, measure: name,
		ours: secs(median(o)), baseline: secs(median(base)),
		rel: fmt.Sprintf("%.3fx", ratio), target: "<= 1.05x", verdict: judge(ratio <= 1.05),
	}}
}

// warmUp runs one apply of each provider unmeasured, and learns our
// poll_interval default unless -poll-interval set it.
func (b *bench) warmUp(ctx context.Context, targets []target) error {
	if b.pollInterval != 0 {
		return nil
	}
	_, a, err := b.runApply(ctx, mainTF(ours, targets, ""), applyLimit, true)
	if err != nil {
		return err
	}
	if _, _, err := b.runApply(ctx, mainTF(baseline, targets, ""), applyLimit, true); err != nil {
		return err
	}
	b.pollInterval = b.cfg.pollInterval
	if b.pollInterval == 0 {
		if b.pollInterval, err = statePollInterval(a.dir); err != nil {
			return fmt.Errorf("reading our default poll_interval: %w", err)
		}
	}
	b.logf("   poll_interval default: %s", b.pollInterval)
	return nil
}

// ours1x1Median is the median of our 1 x 1 applies, running a few when the
// start-up measure did not.
func (b *bench) ours1x1Median(ctx context.Context) (time.Duration, error) {
	if len(b.ours1x1) == 0 {
		var ls listeners
		defer ls.close()
		targets, err := openTargets(ctx, &ls, 1, 1)
		if err != nil {
			return 0, err
		}
		if err := b.warmUp(ctx, targets); err != nil {
			return 0, err
		}
		for range min(3, b.cfg.startupRuns) {
			d, _, err := b.runApply(ctx, mainTF(ours, targets, ""), applyLimit, true)
			if err != nil {
				return 0, err
			}
			b.ours1x1 = append(b.ours1x1, d)
		}
	}
	return median(b.ours1x1), nil
}
