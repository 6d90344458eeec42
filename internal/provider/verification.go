package provider

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// outcome is one verification: the request that ran, each vantage point's
// run, the merged report and error (see mergeRuns), and when it finished.
type outcome struct {
	req    vantage.Request
	runs   []vantageRun
	report verify.Report
	err    error
	at     time.Time
}

// vantageRun is what one vantage point reported: its report, with every
// row's Vantage set, and its error (non-nil when the context ended before
// every check passed, or when the vantage point itself failed).
type vantageRun struct {
	name string
	// url is the agent's, "" for local.
	url    string
	report verify.Report
	err    error
}

// failed reports whether the vantage point itself failed (an agent that
// cannot be reached, or that refused the credentials or the target), as
// opposed to a run that the operation's context ended.
func (r vantageRun) failed() bool {
	return r.err != nil && !errors.Is(r.err, context.Canceled) && !errors.Is(r.err, context.DeadlineExceeded)
}

// computed is the outcome as the attributes a verification sets, by name.
func (o outcome) computed() map[string]attr.Value {
	return map[string]attr.Value{
		"id":          types.StringValue(o.req.Host),
		"reachable":   types.BoolValue(o.report.Reachable),
		"verified_at": timetypes.NewRFC3339TimeValue(o.at.UTC()),
		"results":     resultsValue(o.report.Results),
	}
}

// stragglerGrace is how long a verification waits, after its context
// ended, for a vantage point that does not return; past it, that vantage
// point counts as failed, so that no implementation can hang an apply.
const stragglerGrace = 5 * time.Second

// verify builds the request from m and runs it on every selected vantage
// point at once under ctx, whose deadline is the operation's timeout. ok is
// false when the request could not be built or a vantage point is unknown
// (diags then say why).
func (d *providerData) verify(ctx context.Context, m commonModel, s settings, diags *diag.Diagnostics) (outcome, bool) {
	if d == nil {
		d = &providerData{clock: verify.RealClock{}, vantage: vantage.Local{}}
	}
	vps := d.vantagePoints(m.VantagePoints, diags)
	requireExternal := m.RequireExternal.ValueBool()
	if !diags.HasError() {
		checkRequireExternal(m.RequireExternal, vps, diags)
		checkUnreachableNeedsAgent(m.Checks, vps, diags)
	}
	req := buildRequest(m, s, diags)
	if diags.HasError() {
		return outcome{req: req}, false
	}
	localReq, localHasChecks := localRequest(req)
	if !localHasChecks {
		// Every check is unreachable: only agents can say anything.
		vps = externalVantages(vps)
	}
	// With require_external, local does not decide: it stops as soon as
	// every agent has finished, so that a runner that cannot reach the
	// public address (no hairpin NAT) never holds the apply up.
	localCtx, stopLocal := context.WithCancel(ctx)
	defer stopLocal()
	agentsLeft := len(externalVantages(vps))
	results := make(chan struct {
		i   int
		run vantageRun
	}, len(vps))
	var wg sync.WaitGroup
	for i, v := range vps {
		vctx, vreq := ctx, req
		if v.Name() == vantage.LocalName {
			vreq = localReq
			if requireExternal {
				vctx = localCtx
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- struct {
				i   int
				run vantageRun
			}{i, d.verifyFrom(vctx, v, vreq)}
		}()
	}
	runs := make([]vantageRun, len(vps))
	done := make([]bool, len(vps))
	var grace <-chan time.Time
	ctxDone := ctx.Done()
	for n := 0; n < len(vps); {
		select {
		case r := <-results:
			runs[r.i], done[r.i] = r.run, true
			n++
			if r.run.name != vantage.LocalName {
				if agentsLeft--; agentsLeft == 0 && requireExternal {
					stopLocal()
				}
			}
			continue
		case <-ctxDone:
			ctxDone = nil
			t := time.NewTimer(d.stragglerGrace())
			defer t.Stop()
			grace = t.C
			continue
		case <-grace:
		}
		for i, v := range vps {
			if !done[i] {
				runs[i] = vantageRun{name: v.Name(), url: d.agentURLs[v.Name()], report: verify.Report{Vantage: v.Name(), Host: req.Host},
					err: fmt.Errorf("it did not return within %s after the operation's timeout ended", d.stragglerGrace())}
			}
		}
		break
	}
	if requireExternal {
		return externalOutcome(req, runs, d.clock.Now()), true
	}
	rep, err := mergeRuns(runs)
	return outcome{req: req, runs: runs, report: rep, err: err, at: d.clock.Now()}, true
}

// externalOutcome is the outcome of a require_external verification: the
// agents' runs alone decide reachable, the error and the messages; the
// results still hold every row in vantage order, except local rows that
// had no answer when local was stopped.
func externalOutcome(req vantage.Request, runs []vantageRun, at time.Time) outcome {
	var decisive []vantageRun
	var rows []verify.CheckResult
	for _, r := range runs {
		if r.name != vantage.LocalName {
			decisive = append(decisive, r)
			rows = append(rows, r.report.Results...)
			continue
		}
		for _, row := range r.report.Results {
			if row.Status != probe.StatusNone {
				rows = append(rows, row)
			}
		}
	}
	rep, err := mergeRuns(decisive)
	rep.Results = rows
	return outcome{req: req, runs: decisive, report: rep, err: err, at: at}
}

func (d *providerData) stragglerGrace() time.Duration {
	if d.grace > 0 {
		return d.grace
	}
	return stragglerGrace
}

// verifyFrom runs req on v, logging as it goes.
func (d *providerData) verifyFrom(ctx context.Context, v vantage.Vantage, req vantage.Request) vantageRun {
	name := v.Name()
	ctx = withLogFields(ctx, req.Host, name)
	tflog.Debug(ctx, "verifying media server", map[string]any{
		"checks":          len(req.Checks),
		"ip_version":      string(req.IPVersion),
		"snapshot":        req.Policy.Snapshot,
		"poll_interval":   req.Policy.Interval.String(),
		"attempt_timeout": req.Policy.AttemptTimeout.String(),
	})
	rep, err := v.Verify(ctx, req, vantage.Watcher{
		Observer: tflogObserver{ctx: ctx, hook: d.attemptHook},
		// Waiting is otherwise silent: TF_LOG_PROVIDER=INFO shows this.
		Progress: func(rep verify.Report) { tflog.Info(ctx, progressLine(rep)) },
	})
	if err == nil {
		err = ignoredExpect(rep, req)
	}
	// Whatever the vantage point said, its rows are its own.
	rep.Vantage, rep.Host = name, req.Host
	for i := range rep.Results {
		rep.Results[i].Vantage = name
	}
	fields := map[string]any{
		"reachable":   rep.Reachable,
		"elapsed_ms":  rep.Elapsed.Milliseconds(),
		"addresses":   len(rep.Addresses),
		"ended_early": err != nil,
	}
	if err != nil {
		fields["error"] = err.Error()
	}
	tflog.Debug(ctx, "verification finished", fields)
	return vantageRun{name: name, url: d.agentURLs[name], report: rep, err: err}
}

// ignoredExpect is an error when rep has a row of an expect = "unreachable"
// check that does not say so: a vantage point (an older agent) that ran it
// as an open check, whose pass would be the opposite verdict.
func ignoredExpect(rep verify.Report, req vantage.Request) error {
	for _, row := range rep.Results {
		if row.Check >= 0 && row.Check < len(req.Checks) && !row.Unreachable &&
			req.Checks[row.Check].Expect == check.ExpectUnreachable {
			return fmt.Errorf("it ran check %q as an open check: it does not support expect = \"unreachable\" "+
				"(upgrade mediaprobe on it)", row.Name)
		}
	}
	return nil
}

// mergeRuns merges the vantage points' reports into one: every row, in
// vantage order; Reachable only when every vantage point's report is and
// none failed; the addresses any of them verified; the longest elapsed
// time. The error joins the vantage points' errors (nil when none has one).
// The first resolution failure is kept; messages name each vantage point's
// own from runs.
func mergeRuns(runs []vantageRun) (verify.Report, error) {
	if len(runs) == 1 {
		r := runs[0]
		if r.failed() {
			r.report.Reachable = false
		}
		return r.report, r.err
	}
	var out verify.Report
	names := make([]string, 0, len(runs))
	seen := map[netip.Addr]bool{}
	var errs []error
	out.Reachable = len(runs) > 0
	for _, r := range runs {
		names = append(names, r.name)
		if out.Host == "" {
			out.Host = r.report.Host
		}
		for _, a := range r.report.Addresses {
			if !seen[a] {
				seen[a] = true
				out.Addresses = append(out.Addresses, a)
			}
		}
		if out.ResolveError == "" && len(r.report.Addresses) == 0 {
			out.ResolveError, out.ResolveCode = r.report.ResolveError, r.report.ResolveCode
		}
		out.Results = append(out.Results, r.report.Results...)
		out.Reachable = out.Reachable && r.report.Reachable && r.err == nil
		out.Elapsed = max(out.Elapsed, r.report.Elapsed)
		out.ErrorTimedOut = out.ErrorTimedOut || r.report.ErrorTimedOut
		if r.err != nil {
			errs = append(errs, fmt.Errorf("vantage point %q: %w", r.name, r.err))
		}
	}
	out.Vantage = strings.Join(names, ",")
	return out, errors.Join(errs...)
}

// vantagePoints selects the vantage points that names (vantage_points)
// lists, in its order; null means every agent, or local when there is none.
// An unknown name is an attribute error that lists the known ones.
func (d *providerData) vantagePoints(names types.List, diags *diag.Diagnostics) []vantage.Vantage {
	if names.IsNull() || names.IsUnknown() {
		if len(d.agents) > 0 {
			return d.agents
		}
		return []vantage.Vantage{d.vantage}
	}
	var out []vantage.Vantage
	for i, e := range names.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		v, found := d.vantageNamed(s.ValueString())
		if !found {
			diags.AddAttributeError(path.Root("vantage_points").AtListIndex(i), "Unknown vantage point",
				fmt.Sprintf("vantage_points[%d] is %q, which this provider does not know. Known vantage points: %s "+
					"(local is the machine running Terraform; the others are the agents of the provider block).",
					i, s.ValueString(), strings.Join(d.knownVantageNames(), ", ")))
			continue
		}
		out = append(out, v)
	}
	return out
}

func (d *providerData) vantageNamed(name string) (vantage.Vantage, bool) {
	if name == vantage.LocalName {
		return d.vantage, true
	}
	for _, a := range d.agents {
		if a.Name() == name {
			return a, true
		}
	}
	return nil, false
}

func (d *providerData) knownVantageNames() []string {
	names := []string{fmt.Sprintf("%q", vantage.LocalName)}
	for _, a := range d.agents {
		names = append(names, fmt.Sprintf("%q", a.Name()))
	}
	return names
}
