// Package vantage runs a verification from one place and says which: the
// machine running Terraform (Local) today, remote agents later. The
// provider hands a plan to its vantage points and reads their reports; it
// does not care where the probes ran.
package vantage

import (
	"context"

	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// LocalName is the name of the vantage point that probes from the machine
// running Terraform.
const LocalName = "local"

// Vantage is one place to verify from.
type Vantage interface {
	// Name is what the results' vantage attribute says.
	Name() string
	// Verify runs p from here, telling w what happens as it runs, and
	// returns the report with every row's Vantage set to Name. Its error is
	// verify.Run's: non-nil only when ctx ended first.
	Verify(ctx context.Context, p verify.Plan, w Watcher) (verify.Report, error)
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

// Verify runs the engine here.
func (l Local) Verify(ctx context.Context, p verify.Plan, w Watcher) (verify.Report, error) {
	d := l.Deps
	d.Observer, d.Progress = w.Observer, w.Progress
	if d.Progress != nil {
		progress := d.Progress
		d.Progress = func(rep verify.Report) { progress(stamp(rep, LocalName)) }
	}
	rep, err := verify.Run(ctx, p, d)
	return stamp(rep, LocalName), err
}

// stamp sets the report's and every row's Vantage to name.
func stamp(rep verify.Report, name string) verify.Report {
	rep.Vantage = name
	for i := range rep.Results {
		rep.Results[i].Vantage = name
	}
	return rep
}
