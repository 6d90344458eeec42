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
		if err != nil || len(s.Diagnostics) > 0 {
			b.Fatalf("GetProviderSchema: %v %v", err, s)
		}
		return
	}
	if step >= 2 {
		c, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &in.ProviderConfig})
		if err != nil || len(c.Diagnostics) > 0 {
			b.Fatalf("ConfigureProvider: %v %v", err, c)
		}
	}
	v, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{
		TypeName: in.TypeName, Config: &in.Config,
	})
	if err != nil || len(v.Diagnostics) > 0 {
		b.Fatalf("ValidateResourceConfig: %v %v", err, v)
	}
	if step < 2 {
		return
	}
	p, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: in.TypeName, Config: &in.Config, PriorState: &in.Null, ProposedNewState: &in.Config,
	})
	if err != nil || len(p.Diagnostics) > 0 {
		b.Fatalf("PlanResourceChange: %v %v", err, p)
	}
	if step < 3 {
		return
	}
	a, err := srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: in.TypeName, Config: &in.Config, PriorState: &in.Null, PlannedState: p.PlannedState,
	})
	if err != nil || len(a.Diagnostics) > 0 {
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
