package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Identical bytes do not run at one speed on these machines: the same
// provider binary, copied to several files, gives 1 x 1 applies that differ
// by up to 20 % between the copies (each copy steady across its own runs).
// The time goes to the plugin's start-up, mostly go-plugin's per-launch
// P-521 certificate, whose code runs at different speeds from different
// copies of the file (probably the physical pages each copy landed in). One
// unlucky copy of either provider moves the start-up ratio by more than its
// 5 % target. So each provider is installed as several copies, the way
// `terraform init` writes a provider (a plain buffered copy), a few 1 x 1
// applies time each copy, and every measure then runs from each provider's
// fastest copy: both sides get the same treatment, and the spread is
// reported.

// placementRuns is the 1 x 1 applies per copy and provider that rank the copies.
const placementRuns = 3

// placement is the outcome of ranking the copies: each copy's median 1 x 1
// apply, per provider.
type placement struct {
	ours, base []time.Duration
}

// place installs cfg.copies copies of both providers under b.tmp, ranks them,
// and points the CLI configuration at the fastest copy of each. With one
// copy it only installs it.
func (b *bench) place(ctx context.Context) (*placement, error) {
	dirs := make([]string, b.cfg.copies)
	for i := range dirs {
		dirs[i] = filepath.Join(b.tmp, fmt.Sprintf("providers-%d", i+1))
		if err := installProviders(dirs[i], b.cfg.providerDir, b.cfg.baselineDir); err != nil {
			return nil, err
		}
	}
	if len(dirs) == 1 {
		return nil, b.writeCLIConfig(dirs[0], dirs[0])
	}
	var ls listeners
	defer ls.close()
	targets, err := openTargets(ctx, &ls, 1, 1)
	if err != nil {
		return nil, err
	}
	oursTF, baseTF := mainTF(ours, targets, ""), mainTF(baseline, targets, "")
	samples := make([][2][]time.Duration, len(dirs))
	// Round-robin over the copies, so that drift spreads over all of them;
	// round 0 is a warm-up that reads each copy once.
	for round := range placementRuns + 1 {
		for i, dir := range dirs {
			if err := b.writeCLIConfig(dir, dir); err != nil {
				return nil, err
			}
			for side, tf := range []string{oursTF, baseTF} {
				d, _, err := b.runApply(ctx, tf, applyLimit, true)
				if err != nil {
					return nil, err
				}
				if round > 0 {
					samples[i][side] = append(samples[i][side], d)
				}
			}
		}
	}
	p := &placement{}
	for _, s := range samples {
		p.ours = append(p.ours, median(s[0]))
		p.base = append(p.base, median(s[1]))
	}
	oursBest, baseBest := argmin(p.ours), argmin(p.base)
	b.logf("   ours by copy:     %s -> copy %d", durations(p.ours), oursBest+1)
	b.logf("   baseline by copy: %s -> copy %d", durations(p.base), baseBest+1)
	return p, b.writeCLIConfig(dirs[oursBest], dirs[baseBest])
}

// rows reports the spread between copies of the same bytes.
func (p *placement) rows() []row {
	if p == nil {
		return nil
	}
	spreadOf := func(ds []time.Duration) string {
		return fmt.Sprintf("%s-%s", secs(slices.Min(ds)), secs(slices.Max(ds)))
	}
	ratio := func(ds []time.Duration) float64 {
		return slices.Max(ds).Seconds() / slices.Min(ds).Seconds()
	}
	return []row{{
		order: "6b", measure: fmt.Sprintf("  same bytes, %d copies (1x1)", len(p.ours)),
		ours: spreadOf(p.ours), baseline: spreadOf(p.base),
		rel:    fmt.Sprintf("%.2fx / %.2fx", ratio(p.ours), ratio(p.base)),
		target: "report", verdict: info,
	}}
}

func argmin(ds []time.Duration) int {
	return slices.Index(ds, slices.Min(ds))
}

func durations(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = secs(d)
	}
	return strings.Join(s, " ")
}

// installProviders copies both provider binaries into dir.
func installProviders(dir, providerDir, baselineDir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, c := range []struct{ from, name string }{
		{providerDir, "terraform-provider-media"},
		{baselineDir, "terraform-provider-baseline"},
	} {
		if err := copyFile(filepath.Join(c.from, c.name), filepath.Join(dir, c.name)); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	// A plain read/write copy, as terraform init's unzip writes a provider,
	// not copy_file_range.
	if _, err := io.Copy(struct{ io.Writer }{out}, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
