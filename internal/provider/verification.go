package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// outcome is one verification: the plan that ran, its report, and Run's
// error (non-nil when the context ended before every check passed).
type outcome struct {
	plan   verify.Plan
	report verify.Report
	err    error
}

// verify builds the engine plan from m, runs it under ctx (whose deadline
// is the operation's timeout) and stores the results in m. ok is false when
// the plan could not be built (diags then say why).
func (d *providerData) verify(ctx context.Context, m *commonModel, s settings, diags *diag.Diagnostics) (outcome, bool) {
	if d == nil {
		d = &providerData{clock: verify.RealClock{}}
	}
	plan := buildPlan(*m, s, d.clock.Now, diags)
	if diags.HasError() {
		return outcome{plan: plan}, false
	}
	ctx = withLogFields(ctx, plan.Host)
	tflog.Debug(ctx, "verifying media server", map[string]any{
		"checks":          len(plan.Checks),
		"ip_version":      string(plan.IPVersion),
		"snapshot":        plan.Policy.Snapshot,
		"poll_interval":   plan.Policy.Interval.String(),
		"attempt_timeout": plan.Policy.AttemptTimeout.String(),
	})
	rep, err := verify.Run(ctx, plan, verify.Deps{
		Clock:    d.clock,
		Resolver: d.resolver,
		Limit:    d.limit,
		Rates:    d.rates,
		Observer: tflogObserver{ctx: ctx, hook: d.attemptHook},
		// Waiting is otherwise silent: TF_LOG_PROVIDER=INFO shows this.
		Progress: func(rep verify.Report) { tflog.Info(ctx, progressLine(rep)) },
	})
	tflog.Debug(ctx, "verification finished", map[string]any{
		"reachable":   rep.Reachable,
		"elapsed_ms":  rep.Elapsed.Milliseconds(),
		"addresses":   len(rep.Addresses),
		"ended_early": err != nil,
	})
	m.setReport(rep, d.clock.Now())
	return outcome{plan: plan, report: rep, err: err}, true
}
