// Package vantage runs a verification from one place and says which: the
// machine running Terraform (Local) today, remote agents later. The
// provider hands a plan to its vantage points and reads their reports; it
// does not care where the probes ran.
package vantage

import (
	"context"
	"fmt"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// LocalName is the name of the vantage point that probes from the machine
// running Terraform.
const LocalName = "local"

// Request is one verification as plain data, so that it can travel to a
// vantage point elsewhere: each vantage point builds the probes itself.
type Request struct {
	Host      string           `json:"host"`
	IPVersion verify.IPVersion `json:"ip_version"`
	Checks    []check.Spec     `json:"checks"`
	Policy    verify.Policy    `json:"policy"`
	// Timeout is how long a remote vantage point may run the request: the
	// caller's deadline, carried over the wire (an agent also clamps it to
	// its own maximum). 0 means the agent's default. Local ignores it: its
	// deadline is ctx's.
	Timeout time.Duration `json:"timeout_ns,omitempty"`
}

// Vantage is one place to verify from.
type Vantage interface {
	// Name is what the results' vantage attribute says.
	Name() string
	// Verify runs req from here, telling w what happens as it runs, and
	// returns the report with every row's Vantage set to Name. Its error is
	// non-nil when ctx ended first, or when req is not valid (a check that
	// does not build).
	Verify(ctx context.Context, req Request, w Watcher) (verify.Report, error)
}

// Watcher hears a verification while it runs; nil fields hear nothing.
type Watcher struct {
	Observer verify.Observer
	Progress func(verify.Report)
}

// Local verifies from this process with the engine and the given deps
// (clock, resolver, shared concurrency limit and rates).
type Local struct {
	Deps verify.Deps
}

// Name returns LocalName.
func (Local) Name() string { return LocalName }

// Verify builds the checks and runs the engine here.
func (l Local) Verify(ctx context.Context, req Request, w Watcher) (verify.Report, error) {
	p, err := req.Plan(l.now())
	if err != nil {
		return verify.Report{Vantage: LocalName, Host: req.Host}, err
	}
	d := l.Deps
	d.Observer, d.Progress = w.Observer, w.Progress
	if d.Progress != nil {
		progress := d.Progress
		d.Progress = func(rep verify.Report) { progress(stamp(rep, LocalName)) }
	}
	rep, err := verify.Run(ctx, p, d)
	return stamp(rep, LocalName), err
}

func (l Local) now() func() time.Time {
	if l.Deps.Clock == nil {
		return verify.RealClock{}.Now
	}
	return l.Deps.Clock.Now
}

// Plan builds req's checks into the engine's plan; now feeds certificate
// checks. The error names the check that does not build.
func (req Request) Plan(now func() time.Time) (verify.Plan, error) {
	p := verify.Plan{Host: req.Host, IPVersion: req.IPVersion, Policy: req.Policy}
	for i, s := range req.Checks {
		c, err := s.Build(now)
		if err != nil {
			return p, fmt.Errorf("check %d: %w", i, err)
		}
		p.Checks = append(p.Checks, c)
	}
	return p, nil
}

// stamp sets the report's and every row's Vantage to name.
func stamp(rep verify.Report, name string) verify.Report {
	rep.Vantage = name
	for i := range rep.Results {
		rep.Results[i].Vantage = name
	}
	return rep
}
