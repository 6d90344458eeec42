package main

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

const benchTypeName = "baseline_ports"

// BenchmarkRPC is internal/provider's BenchmarkRPC for the baseline, with
// the same steps: 0 the schema; 1 validate; 2 plan (configure, validate,
// plan); 3 apply (the plan step's calls, then apply). The difference between
// the two is the framework's work for our larger schema.
func BenchmarkRPC(b *testing.B) {
	port := int(testnet.TCPListener(b))
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"host": tftypes.String, "ports": tftypes.List{ElementType: tftypes.Number}, "id": tftypes.String,
	}}
	config := encode(b, typ, tftypes.NewValue(typ, map[string]tftypes.Value{
		"host":  tftypes.NewValue(tftypes.String, "127.0.0.1"),
		"ports": tftypes.NewValue(typ.AttributeTypes["ports"], []tftypes.Value{tftypes.NewValue(tftypes.Number, port)}),
		"id":    tftypes.NewValue(tftypes.String, nil),
	}))
	null := encode(b, typ, tftypes.NewValue(typ, nil))
	empty := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
	providerConfig := encode(b, empty, tftypes.NewValue(empty, map[string]tftypes.Value{}))
	ctx := context.Background()
	for step, name := range []string{"schema", "validate", "plan", "apply"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				srv, err := providerserver.NewProtocol6WithError(newProvider())()
				if err != nil {
					b.Fatal(err)
				}
				if step == 0 {
					s, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
					if err != nil || len(s.Diagnostics) > 0 {
						b.Fatalf("GetProviderSchema: %v %v", err, s)
					}
					continue
				}
				if step >= 2 {
					c, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &providerConfig})
					if err != nil || len(c.Diagnostics) > 0 {
						b.Fatalf("ConfigureProvider: %v %v", err, c)
					}
				}
				v, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{
					TypeName: benchTypeName, Config: &config,
				})
				if err != nil || len(v.Diagnostics) > 0 {
					b.Fatalf("ValidateResourceConfig: %v %v", err, v)
				}
				if step < 2 {
					continue
				}
				p, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
					TypeName: benchTypeName, Config: &config, PriorState: &null, ProposedNewState: &config,
				})
				if err != nil || len(p.Diagnostics) > 0 {
					b.Fatalf("PlanResourceChange: %v %v", err, p)
				}
				if step < 3 {
					continue
				}
				a, err := srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
					TypeName: benchTypeName, Config: &config, PriorState: &null, PlannedState: p.PlannedState,
				})
				if err != nil || len(a.Diagnostics) > 0 {
					b.Fatalf("ApplyResourceChange: %v %v", err, a)
				}
			}
		})
	}
}

func encode(tb testing.TB, typ tftypes.Type, v tftypes.Value) tfprotov6.DynamicValue {
	tb.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		tb.Fatal(err)
	}
	return dv
}
