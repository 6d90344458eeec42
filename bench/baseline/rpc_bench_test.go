package main

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// BenchmarkRPC is internal/provider's BenchmarkRPC for the baseline: the
// plugin's calls in each Terraform step of a 1 x 1 apply, a new server per
// iteration. Their difference is the framework's work for our larger schema.
func BenchmarkRPC(b *testing.B) {
	ln, err := (&net.ListenConfig{}).Listen(b.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	port := int(netip.MustParseAddrPort(ln.Addr().String()).Port())
	// Each step is a launch: schema, validate, plan, and the apply step.
	for steps, name := range []string{"schema", "validate", "plan", "apply"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				launch(b, port, steps)
			}
		})
	}
}

// launch serves a new baseline and makes the calls of one Terraform step:
// steps 0 (schema only) to 3 (validate, plan, apply).
func launch(b *testing.B, port, steps int) {
	ctx := context.Background()
	srv, err := providerserver.NewProtocol6WithError(newProvider())()
	if err != nil {
		b.Fatal(err)
	}
	sch, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || steps == 0 {
		return
	}
	const typeName = "baseline_ports"
	typ := sch.ResourceSchemas[typeName].ValueType()
	config, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, map[string]tftypes.Value{
		"host":  tftypes.NewValue(tftypes.String, "127.0.0.1"),
		"ports": tftypes.NewValue(tftypes.List{ElementType: tftypes.Number}, []tftypes.Value{tftypes.NewValue(tftypes.Number, port)}),
		"id":    tftypes.NewValue(tftypes.String, nil),
	}))
	if err != nil {
		b.Fatal(err)
	}
	null, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, nil))
	if err != nil {
		b.Fatal(err)
	}
	var diags []*tfprotov6.Diagnostic
	v, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: typeName, Config: &config})
	if err == nil {
		diags = v.Diagnostics
	}
	if err == nil && steps >= 2 {
		var p *tfprotov6.PlanResourceChangeResponse
		p, err = srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
			TypeName: typeName, Config: &config, PriorState: &null, ProposedNewState: &config,
		})
		if err == nil {
			diags = append(diags, p.Diagnostics...)
		}
		if err == nil && steps == 3 {
			var a *tfprotov6.ApplyResourceChangeResponse
			a, err = srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
				TypeName: typeName, Config: &config, PriorState: &null, PlannedState: p.PlannedState,
			})
			if err == nil {
				diags = append(diags, a.Diagnostics...)
			}
		}
	}
	if err != nil || len(diags) > 0 {
		b.Fatalf("step %d: %v %v", steps, err, diags)
	}
}
