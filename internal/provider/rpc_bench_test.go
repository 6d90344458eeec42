package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

const benchResourceType = "media_server_reachability"

// BenchmarkRPC times, in process and without Terraform, the calls that each
// Terraform step of a 1 resource x 1 port apply makes to the plugin, on a
// new server per iteration as each step launches the plugin anew (make
// bench, start-up measure). bench/baseline has the same benchmark for the
// minimal provider: the difference is the framework's work for our schema.
func BenchmarkRPC(b *testing.B) {
	in := newRPCInputs(b, int(testnet.TCPListener(b)))
	for step, name := range []string{"schema", "validate", "plan", "apply"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				in.launch(b, step)
			}
		})
	}
}

// rpcInputs are the encoded values every launch sends, built once.
type rpcInputs struct {
	providerConfig, config, null tfprotov6.DynamicValue
}

// newRPCInputs encodes `host = "127.0.0.1", checks = [{ protocol = "tcp",
// port = port }]`, every other attribute null as Terraform sends it, an
// empty provider block and a null prior state.
func newRPCInputs(tb testing.TB, port int) rpcInputs {
	tb.Helper()
	sch, err := newServer(tb).GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(sch.Diagnostics) > 0 {
		tb.Fatalf("GetProviderSchema: %v %v", err, sch)
	}
	typ := as[tftypes.Object](tb, sch.ResourceSchemas[benchResourceType].ValueType())
	checksType := as[tftypes.List](tb, typ.AttributeTypes["checks"])
	check := nullObject(as[tftypes.Object](tb, checksType.ElementType), map[string]tftypes.Value{
		"protocol": tftypes.NewValue(tftypes.String, "tcp"),
		"port":     tftypes.NewValue(tftypes.Number, port),
	})
	config := nullObject(typ, map[string]tftypes.Value{
		"host":   tftypes.NewValue(tftypes.String, "127.0.0.1"),
		"checks": tftypes.NewValue(checksType, []tftypes.Value{check}),
	})
	providerType := as[tftypes.Object](tb, sch.Provider.ValueType())
	return rpcInputs{
		providerConfig: dynamicValue(tb, providerType, nullObject(providerType, nil)),
		config:         dynamicValue(tb, typ, config),
		null:           dynamicValue(tb, typ, tftypes.NewValue(typ, nil)),
	}
}

// launch serves a new provider and makes one Terraform step's calls: 0 the
// schema; 1 validate; 2 plan (configure, validate, plan); 3 apply (the
// plan step's calls, then apply, which dials the port once).
func (in rpcInputs) launch(tb testing.TB, step int) {
	tb.Helper()
	ctx := context.Background()
	srv := newServer(tb)
	if step == 0 {
		sch, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil || len(sch.Diagnostics) > 0 {
			tb.Fatalf("GetProviderSchema: %v %v", err, sch)
		}
		return
	}
	if step >= 2 {
		c, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &in.providerConfig})
		if err != nil || len(c.Diagnostics) > 0 {
			tb.Fatalf("ConfigureProvider: %v %v", err, c)
		}
	}
	v, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{
		TypeName: benchResourceType, Config: &in.config,
	})
	if err != nil || len(v.Diagnostics) > 0 {
		tb.Fatalf("ValidateResourceConfig: %v %v", err, v)
	}
	if step < 2 {
		return
	}
	p, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: benchResourceType, Config: &in.config, PriorState: &in.null, ProposedNewState: &in.config,
	})
	if err != nil || len(p.Diagnostics) > 0 {
		tb.Fatalf("PlanResourceChange: %v %v", err, p)
	}
	if step < 3 {
		return
	}
	a, err := srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: benchResourceType, Config: &in.config, PriorState: &in.null, PlannedState: p.PlannedState,
	})
	if err != nil || len(a.Diagnostics) > 0 {
		tb.Fatalf("ApplyResourceChange: %v %v", err, a)
	}
}

func newServer(tb testing.TB) tfprotov6.ProviderServer {
	tb.Helper()
	srv, err := providerserver.NewProtocol6WithError(New("bench")())()
	if err != nil {
		tb.Fatal(err)
	}
	return srv
}

func dynamicValue(tb testing.TB, typ tftypes.Type, v tftypes.Value) tfprotov6.DynamicValue {
	tb.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		tb.Fatal(err)
	}
	return dv
}

func as[T tftypes.Type](tb testing.TB, t tftypes.Type) T {
	tb.Helper()
	v, ok := t.(T)
	if !ok {
		tb.Fatalf("schema type %s is not a %T", t, v)
	}
	return v
}

// nullObject is a value of typ with the attributes in set, every other null.
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
