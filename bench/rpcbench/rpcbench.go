// Package rpcbench times, in process and without Terraform, the calls that
// each Terraform step of a 1 resource apply makes to a provider plugin, on a
// new server per iteration as each step launches the plugin anew. It serves
// BenchmarkRPC of internal/provider and of bench/baseline, so that both
// providers are measured with the same steps (make bench).
package rpcbench

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// Inputs are one resource's encoded values, which every launch sends.
type Inputs struct {
	TypeName       string
	ProviderConfig tfprotov6.DynamicValue // the provider block
	Config         tfprotov6.DynamicValue // the resource's configuration
	Null           tfprotov6.DynamicValue // a null object of the resource's type: no prior state
}

// Steps are the Terraform steps of an apply, in order. Each launch makes the
// calls of its step: the schema; validate; plan (configure, validate,
// plan); apply (the plan step's calls, then apply).
var Steps = []string{"schema", "validate", "plan", "apply"}

// Run runs one sub-benchmark per step; newServer serves a new provider.
func Run(b *testing.B, newServer func() (tfprotov6.ProviderServer, error), in Inputs) {
	for step, name := range Steps {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				srv, err := newServer()
				if err != nil {
					b.Fatal(err)
				}
				in.launch(b, srv, step)
			}
		})
	}
}

// launch makes the calls of Steps[step] on srv.
func (in Inputs) launch(b *testing.B, srv tfprotov6.ProviderServer, step int) {
	b.Helper()
	ctx := context.Background()
	if step == 0 {
		s, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil || hasError(s.Diagnostics) {
			b.Fatalf("GetProviderSchema: %v %v", err, s)
		}
		return
	}
	if step >= 2 {
		c, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &in.ProviderConfig})
		if err != nil || hasError(c.Diagnostics) {
			b.Fatalf("ConfigureProvider: %v %v", err, c)
		}
	}
	v, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{
		TypeName: in.TypeName, Config: &in.Config,
	})
	if err != nil || hasError(v.Diagnostics) {
		b.Fatalf("ValidateResourceConfig: %v %v", err, v)
	}
	if step < 2 {
		return
	}
	p, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: in.TypeName, Config: &in.Config, PriorState: &in.Null, ProposedNewState: &in.Config,
	})
	if err != nil || hasError(p.Diagnostics) {
		b.Fatalf("PlanResourceChange: %v %v", err, p)
	}
	if step < 3 {
		return
	}
	a, err := srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: in.TypeName, Config: &in.Config, PriorState: &in.Null, PlannedState: p.PlannedState,
	})
	if err != nil || hasError(a.Diagnostics) {
		b.Fatalf("ApplyResourceChange: %v %v", err, a)
	}
}

// Encode is tfprotov6.NewDynamicValue that fails tb on an error.
func Encode(tb testing.TB, typ tftypes.Type, v tftypes.Value) tfprotov6.DynamicValue {
	tb.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		tb.Fatal(err)
	}
	return dv
}

// ResourceSteps are the calls that one more resource of a fleet costs, on a
// plugin already launched and configured: "validate" alone (every step
// makes it), "apply" (validate, plan from no state, apply) as in a fleet's
// first apply, and "noop-plan" (validate, read, plan against its state) as
// in `terraform plan` with nothing to change. Compared between the two providers at the fleet's shape, they
// show what the framework's work for a larger schema and state costs per
// resource.
var ResourceSteps = []string{"validate", "apply", "noop-plan"}

// RunResource runs one sub-benchmark per resource step on one server.
func RunResource(b *testing.B, srv tfprotov6.ProviderServer, in Inputs) {
	ctx := context.Background()
	c, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &in.ProviderConfig})
	if err != nil || hasError(c.Diagnostics) {
		b.Fatalf("ConfigureProvider: %v %v", err, c)
	}
	state := in.applyOne(b, srv)
	b.Run(ResourceSteps[0], func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in.validate(b, srv)
		}
	})
	b.Run(ResourceSteps[1], func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in.applyOne(b, srv)
		}
	})
	b.Run(ResourceSteps[2], func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in.validate(b, srv)
			r, err := srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: in.TypeName, CurrentState: state})
			if err != nil || hasError(r.Diagnostics) {
				b.Fatalf("ReadResource: %v %v", err, r)
			}
			p, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
				TypeName: in.TypeName, Config: &in.Config, PriorState: r.NewState, ProposedNewState: r.NewState,
			})
			if err != nil || hasError(p.Diagnostics) {
				b.Fatalf("PlanResourceChange: %v %v", err, p)
			}
		}
	})
}

// applyOne validates, plans and applies the resource from no state, and
// returns its new state.
func (in Inputs) applyOne(b *testing.B, srv tfprotov6.ProviderServer) *tfprotov6.DynamicValue {
	b.Helper()
	ctx := context.Background()
	in.validate(b, srv)
	p, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: in.TypeName, Config: &in.Config, PriorState: &in.Null, ProposedNewState: &in.Config,
	})
	if err != nil || hasError(p.Diagnostics) {
		b.Fatalf("PlanResourceChange: %v %v", err, p)
	}
	a, err := srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: in.TypeName, Config: &in.Config, PriorState: &in.Null, PlannedState: p.PlannedState,
	})
	if err != nil || hasError(a.Diagnostics) {
		b.Fatalf("ApplyResourceChange: %v %v", err, a)
	}
	return a.NewState
}

func (in Inputs) validate(b *testing.B, srv tfprotov6.ProviderServer) {
	b.Helper()
	v, err := srv.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{
		TypeName: in.TypeName, Config: &in.Config,
	})
	if err != nil || hasError(v.Diagnostics) {
		b.Fatalf("ValidateResourceConfig: %v %v", err, v)
	}
}

// OpenPorts is n open TCP ports on 127.0.0.1 until the benchmark ends, as
// the numbers of a ports list.
func OpenPorts(b *testing.B, n int) []tftypes.Value {
	ports := make([]tftypes.Value, n)
	for i := range ports {
		ports[i] = tftypes.NewValue(tftypes.Number, int(testnet.TCPListener(b)))
	}
	return ports
}

// hasError reports an error diagnostic; warnings (such as a pass from
// loopback, which proves nothing about the internet) are part of the work.
func hasError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}
