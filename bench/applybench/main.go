// Command applybench is the whole-apply half of `make bench` (issue 4): it
// times real `terraform apply` runs of the media provider against
// bench/baseline, a minimal framework provider that only dials the ports,
// runs the engine benchmarks of internal/verify as a child process, and
// prints one table with a pass/fail verdict per target.
//
// bench/run.sh builds the binaries it needs and passes their paths. Every
// apply runs in its own temporary working directory with a dev_overrides
// CLI configuration (no `terraform init`), is timed inside this process, and
// ours and the baseline alternate so that both see the same machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// measures, in the order they run. The table lists them in the order.
var measures = []struct {
	name string
	run  func(*bench, context.Context) []row
}{
	{"startup", (*bench).startup},
	{"unblock", (*bench).unblock},
	{"scale", (*bench).scale},
	{"failure", (*bench).failure},
	{"cancel", (*bench).cancel},
	{"engine", (*bench).engine},
}

// measureNames lists the measures' names in the order they run.
func measureNames() []string {
	names := make([]string, len(measures))
	for i, m := range measures {
		names[i] = m.name
	}
	return names
}

type config struct {
	terraform   string
	providerDir string // holds terraform-provider-media (dev_overrides)
	baselineDir string // holds terraform-provider-baseline
	verifyTest  string // `go test -c` binary of internal/verify
	tmp         string // parent of every working directory; "" = a new one

	copies  int  // installed copies of each provider; measures use the fastest (placement.go)
	quick   bool // one repetition each, and never a failing exit status
	verbose bool
	only    map[string]bool

	startupRuns    int // ours/baseline pairs of the 1 x 1 apply
	unblockSweeps  int // sweeps over the offsets, per provider
	unblockOffsets int // offsets spread over one poll_interval
	scaleRuns      int // rounds of ours, baseline and terraform_data
	failureRuns    int
	cancelRuns     int
	engineTime     string        // -test.benchtime of the engine benchmarks
	pollInterval   time.Duration // 0: read the default from our state
}

func main() { os.Exit(run()) }

func run() int {
	cfg, err := parseConfig(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "applybench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b, err := newBench(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "applybench:", err)
		return 2
	}
	defer b.close()

	var rows []row
	if cfg.appliesTerraform() {
		b.logf("== placement: %d copies of each provider", cfg.copies)
		placed, err := b.place(ctx)
		switch {
		case ctx.Err() != nil:
			fmt.Fprintln(os.Stderr, "applybench: interrupted")
			return 130
		case err != nil:
			fmt.Fprintln(os.Stderr, "applybench: placing the providers:", err)
			return 1
		}
		rows = placed.rows()
	}
	for _, m := range measures {
		if !cfg.only[m.name] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		b.logf("== %s", m.name)
		t0 := time.Now()
		rows = append(rows, m.run(b, ctx)...)
		b.logf("   (%s took %.1fs)", m.name, time.Since(t0).Seconds())
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "applybench: interrupted")
		return 130
	}
	sortRows(rows)
	printTable(os.Stdout, rows, cfg.quick)
	// A measure that could not run fails even the quick smoke; a missed
	// target fails only a full run.
	if broke(rows) || (failed(rows) && !cfg.quick) {
		return 1
	}
	return 0
}

func parseConfig(args []string) (config, error) {
	var c config
	var only string
	runs := envInt("BENCH_RUNS", 0)
	names := measureNames()
	fs := flag.NewFlagSet("applybench", flag.ContinueOnError)
	fs.StringVar(&c.terraform, "terraform", "", "terraform binary (default: terraform on PATH)")
	fs.StringVar(&c.providerDir, "provider-dir", "", "directory holding terraform-provider-media (required)")
	fs.StringVar(&c.baselineDir, "baseline-dir", "", "directory holding terraform-provider-baseline (required)")
	fs.StringVar(&c.verifyTest, "verify-test", "", "`go test -c` binary of ./internal/verify (engine measure)")
	fs.StringVar(&c.tmp, "tmp", "", "directory for working directories (default: a new temporary one)")
	fs.BoolVar(&c.quick, "quick", os.Getenv("BENCH_QUICK") == "1", "one repetition each; missed targets do not fail the run, broken measures do [BENCH_QUICK=1]")
	fs.BoolVar(&c.verbose, "v", os.Getenv("BENCH_VERBOSE") == "1", "print every apply [BENCH_VERBOSE=1]")
	fs.StringVar(&only, "only", os.Getenv("BENCH_MEASURES"), "comma-separated measures to run: "+strings.Join(names, ",")+" [BENCH_MEASURES]")
	fs.IntVar(&runs, "runs", runs, "repetitions of every measure, overriding the defaults below [BENCH_RUNS]")
	fs.IntVar(&c.copies, "copies", envInt("BENCH_COPIES", 4), "copies of each provider to rank; measures use each one's fastest [BENCH_COPIES]")
	fs.IntVar(&c.startupRuns, "startup-runs", 30, "ours/baseline pairs of the 1 x 1 apply")
	fs.IntVar(&c.unblockSweeps, "unblock-sweeps", 2, "sweeps over the unblock offsets")
	fs.IntVar(&c.unblockOffsets, "unblock-offsets", 5, "offsets spread over one poll_interval (>= 5)")
	fs.IntVar(&c.scaleRuns, "scale-runs", 5, "rounds of the 50 x 20 applies")
	fs.IntVar(&c.failureRuns, "failure-runs", 3, "closed-port applies")
	fs.IntVar(&c.cancelRuns, "cancel-runs", 3, "interrupted applies per provider")
	fs.StringVar(&c.engineTime, "engine-benchtime", envOr("BENCH_TIME", "3x"), "-test.benchtime of the engine benchmarks [BENCH_TIME]")
	fs.DurationVar(&c.pollInterval, "poll-interval", 0, "spread of the unblock offsets (default: our poll_interval default, read from state)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if runs > 0 {
		c.startupRuns, c.unblockSweeps, c.scaleRuns, c.failureRuns, c.cancelRuns = runs, runs, runs, runs, runs
	}
	if c.quick {
		c.startupRuns, c.unblockSweeps, c.scaleRuns, c.failureRuns, c.cancelRuns = 1, 1, 1, 1, 1
		c.copies = 1
	}
	if c.unblockOffsets < 5 {
		return c, errors.New("-unblock-offsets: issue 4 asks for at least 5 offsets over one poll_interval")
	}
	if c.startupRuns < 1 || c.copies < 1 || c.unblockSweeps < 1 || c.scaleRuns < 1 || c.failureRuns < 1 || c.cancelRuns < 1 {
		return c, errors.New("every repetition count must be at least 1")
	}
	c.only = map[string]bool{}
	for _, m := range strings.Split(only, ",") {
		if m = strings.TrimSpace(m); m != "" {
			c.only[m] = true
		}
	}
	for m := range c.only {
		if !slices.Contains(names, m) {
			return c, fmt.Errorf("unknown measure %q (have %s)", m, strings.Join(names, ","))
		}
	}
	if len(c.only) == 0 {
		for _, m := range names {
			c.only[m] = true
		}
	}
	if c.providerDir == "" || c.baselineDir == "" {
		return c, errors.New("-provider-dir and -baseline-dir are required (bench/run.sh passes them)")
	}
	if c.terraform == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			return c, errors.New("terraform not on PATH: pass -terraform")
		}
		c.terraform = p
	}
	return c, nil
}

// appliesTerraform reports whether a selected measure runs terraform, the
// only ones that need the providers installed.
func (c config) appliesTerraform() bool {
	for m := range c.only {
		if m != "engine" {
			return true
		}
	}
	return false
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
