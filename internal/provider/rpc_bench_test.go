package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// The RPC benchmarks time the plugin's share of a 1 resource x 1 port
// apply, in process and without Terraform: every Terraform step launches the
// plugin anew and makes these calls (make bench, start-up measure). Each
// iteration serves a new provider server, as each launch does.

const benchResourceType = "media_server_reachability"

// rpcBench is one provider server with a 1 x 1 configuration.
type rpcBench struct {
	srv    tfprotov6.ProviderServer
	typ    tftypes.Type
	config *tfprotov6.DynamicValue
}

func newRPCBench(tb testing.TB, port int) rpcBench {
	tb.Helper()
	srv, err := providerserver.NewProtocol6WithError(New("bench")())()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	sch, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(sch.Diagnostics) > 0 {
		tb.Fatalf("GetProviderSchema: %v %v", err, sch.Diagnostics)
	}
	typ := sch.ResourceSchemas[benchResourceType].ValueType()
	config, err := tfprotov6.NewDynamicValue(typ, configValue(tb, typ, port))
	if err != nil {
		tb.Fatal(err)
	}
	return rpcBench{srv: srv, typ: typ, config: &config}
}

// configValue is `host = "127.0.0.1", checks = [{ protocol = "tcp", port = port }]`
// with every other attribute null, as Terraform sends it.
func configValue(tb testing.TB, typ tftypes.Type, port int) tftypes.Value {
	tb.Helper()
	obj := as[tftypes.Object](tb, typ)
	checksType := as[tftypes.List](tb, obj.AttributeTypes["checks"])
	checkType := as[tftypes.Object](tb, checksType.ElementType)
	check := nullObject(checkType, map[string]tftypes.Value{
		"protocol": tftypes.NewValue(tftypes.String, "tcp"),
		"port":     tftypes.NewValue(tftypes.Number, port),
	})
	return nullObject(obj, map[string]tftypes.Value{
		"host":   tftypes.NewValue(tftypes.String, "127.0.0.1"),
		"checks": tftypes.NewValue(checksType, []tftypes.Value{check}),
	})
}

func as[T tftypes.Type](tb testing.TB, t tftypes.Type) T {
	tb.Helper()
	v, ok := t.(T)
	if !ok {
		tb.Fatalf("schema type %s is not a %T", t, v)
	}
	return v
}

func nullObject(typ tftypes.Object, set map[string]tftypes.Value) tftypes.Value {
	vals := make(map[string]tftypes.Value, len(typ.AttributeTypes))
	for name, t := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(t, nil)
		if v, ok := set[name]; ok {
			vals[name] = v
		}
	}
	return tftypes.NewValue(typ, vals)
}

func (r rpcBench) configure(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	sch, _ := r.srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	typ := sch.Provider.ValueType()
	cfg, err := tfprotov6.NewDynamicValue(typ, nullObject(as[tftypes.Object](tb, typ), nil))
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := r.srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &cfg})
	if err != nil || len(resp.Diagnostics) > 0 {
		tb.Fatalf("ConfigureProvider: %v %v", err, resp.Diagnostics)
	}
}

func (r rpcBench) validate(tb testing.TB) {
	resp, err := r.srv.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{
		TypeName: benchResourceType, Config: r.config,
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		tb.Fatalf("ValidateResourceConfig: %v %v", err, resp.Diagnostics)
	}
}

func (r rpcBench) plan(tb testing.TB) *tfprotov6.DynamicValue {
	prior, err := tfprotov6.NewDynamicValue(r.typ, tftypes.NewValue(r.typ, nil))
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := r.srv.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: benchResourceType, Config: r.config, PriorState: &prior, ProposedNewState: r.config,
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		tb.Fatalf("PlanResourceChange: %v %v", err, resp.Diagnostics)
	}
	return resp.PlannedState
}

func (r rpcBench) apply(tb testing.TB, planned *tfprotov6.DynamicValue) {
	prior, err := tfprotov6.NewDynamicValue(r.typ, tftypes.NewValue(r.typ, nil))
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := r.srv.ApplyResourceChange(context.Background(), &tfprotov6.ApplyResourceChangeRequest{
		TypeName: benchResourceType, Config: r.config, PriorState: &prior, PlannedState: planned,
	})
	if err != nil || len(resp.Diagnostics) > 0 {
		tb.Fatalf("ApplyResourceChange: %v %v", err, resp.Diagnostics)
	}
}

// BenchmarkRPC is the plugin's work in each Terraform step of a 1 x 1 apply,
// a new server per iteration: schema (every launch), validate, plan, and the
// apply step (plan again, then apply, which dials the port once).
func BenchmarkRPC(b *testing.B) {
	port := int(testnet.TCPListener(b))
	b.Run("schema", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			newRPCBench(b, port)
		}
	})
	b.Run("validate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			newRPCBench(b, port).validate(b)
		}
	})
	b.Run("plan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := newRPCBench(b, port)
			r.validate(b)
			r.plan(b)
		}
	})
	b.Run("apply", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := newRPCBench(b, port)
			r.configure(b)
			r.validate(b)
			r.apply(b, r.plan(b))
		}
	})
}
