package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	engineLimit      = 10 * time.Minute
	engineProbesGoal = 10000.0
	engineRSSGoalMB  = 100.0
)

// engineResult is one benchmark of internal/verify/engine_bench_test.go.
type engineResult struct {
	probesPerSec   float64
	allocsPerProbe float64
	bytesPerProbe  float64
	peakRSSMB      float64 // of the whole test process, from wait4
}

// engine is measure 4: BenchmarkRunSTUNUDP and BenchmarkRunTCP (10,000
// checks per run against a loopback responder or listener), each in its
// own child process so that its peak RSS is the run's alone.
func (b *bench) engine(ctx context.Context) []row {
	const order = "4"
	if b.cfg.verifyTest == "" {
		return []row{errorRow(order, "engine", fmt.Errorf("no -verify-test binary"))}
	}
	var rows []row
	var peak float64
	for _, bm := range []struct{ order, name, label string }{
		{"4a", "BenchmarkRunSTUNUDP", "engine STUN/UDP"},
		{"4b", "BenchmarkRunTCP", "engine TCP"},
	} {
		r, err := b.runEngine(ctx, bm.name)
		if err != nil {
			rows = append(rows, errorRow(bm.order, bm.label, err))
			continue
		}
		b.logf("   %s: %.0f probes/s, %.1f allocs/probe, %.0f B/probe, peak RSS %.1f MB",
			bm.name, r.probesPerSec, r.allocsPerProbe, r.bytesPerProbe, r.peakRSSMB)
		peak = math.Max(peak, r.peakRSSMB)
		rows = append(rows, row{
			order: bm.order, measure: bm.label + " probes/s",
			ours: fmt.Sprintf("%.0f/s", r.probesPerSec), baseline: "-",
			rel: fmt.Sprintf("%.1f allocs/probe", r.allocsPerProbe), target: ">= 10000/s",
			verdict: judge(r.probesPerSec >= engineProbesGoal),
		})
	}
	if peak > 0 {
		rows = append(rows, row{
			order: "4c", measure: "engine peak RSS, 10k checks",
			ours: fmt.Sprintf("%.1f MB", peak), baseline: "-", rel: "max of 4a, 4b", target: "< 100 MB",
			verdict: judge(peak < engineRSSGoalMB),
		})
	}
	return rows
}

func (b *bench) runEngine(ctx context.Context, name string) (engineResult, error) {
	ctx, cancel := context.WithTimeout(ctx, engineLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.cfg.verifyTest,
		"-test.run", "^$", "-test.bench", "^"+name+"$", "-test.benchmem",
		"-test.benchtime", b.cfg.engineTime, "-test.count", "1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return engineResult{}, fmt.Errorf("%s: %w\n%s", name, err, out.String())
	}
	b.debugf("%s", strings.TrimSpace(out.String()))
	r, err := parseBench(out.String(), name)
	if err != nil {
		return r, err
	}
	// The child's own rusage (wait4), not RUSAGE_CHILDREN: that would be the
	// largest of every child so far, terraform included. Linux: KiB.
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakRSSMB = float64(ru.Maxrss) * 1024 / 1e6
	}
	return r, nil
}

// parseBench reads one benchmark line: name-P  N  value unit  value unit ...
func parseBench(out, name string) (engineResult, error) {
	var r engineResult
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], name) {
			continue
		}
		m := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				m[f[i+1]] = v
			}
		}
		// Checks per op: ns/op over ns/probe (10,000 in engine_bench_test.go).
		checks := 10000.0
		if m["ns/probe"] > 0 {
			checks = math.Round(m["ns/op"] / m["ns/probe"])
		}
		r.probesPerSec = m["probes/s"]
		r.allocsPerProbe = m["allocs/op"] / checks
		r.bytesPerProbe = m["B/op"] / checks
		if r.probesPerSec == 0 {
			return r, fmt.Errorf("no probes/s metric in %q", line)
		}
		return r, nil
	}
	return r, fmt.Errorf("no %s line in the output:\n%s", name, out)
}
