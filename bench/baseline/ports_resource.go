package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ resource.Resource = (*portsResource)(nil)

// retryEvery is how long a port that did not connect waits before the next
// dial: the "minimal provider polling every 10 ms" of the speed issue.
const retryEvery = 10 * time.Millisecond

// portsResource is baseline_ports: Create and Update dial every port on
// host until each connects or the context ends; Read keeps the state;
// Delete forgets.
type portsResource struct{}

type portsModel struct {
	Host  types.String `tfsdk:"host"`
	Ports []int64      `tfsdk:"ports"`
	ID    types.String `tfsdk:"id"`
}

func newPortsResource() resource.Resource { return &portsResource{} }

func (*portsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ports"
}

func (*portsResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"host":  schema.StringAttribute{Required: true},
			"ports": schema.ListAttribute{Required: true, ElementType: types.Int64Type},
			"id":    schema.StringAttribute{Computed: true},
		},
	}
}

func (*portsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	dialPlanned(ctx, req.Plan, &resp.State, &resp.Diagnostics)
}

func (*portsResource) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (*portsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	dialPlanned(ctx, req.Plan, &resp.State, &resp.Diagnostics)
}

func (*portsResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// dialPlanned is Create and Update: it dials the planned ports and, once
// every one connected, stores the plan as the state.
func dialPlanned(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics) {
	var m portsModel
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	if err := dialAll(ctx, m.Host.ValueString(), m.Ports); err != nil {
		diags.AddError("Ports not reachable", err.Error())
		return
	}
	m.ID = m.Host
	diags.Append(state.Set(ctx, &m)...)
}

// dialAll dials every port concurrently and returns once each connected,
// or with the ports still failing when ctx ends.
func dialAll(ctx context.Context, host string, ports []int64) error {
	errs := make([]error, len(ports))
	var wg sync.WaitGroup
	for i, port := range ports {
		wg.Go(func() { errs[i] = dialUntilOpen(ctx, net.JoinHostPort(host, strconv.FormatInt(port, 10))) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func dialUntilOpen(ctx context.Context, addr string) error {
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		t := time.NewTimer(retryEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (last: %v)", addr, ctx.Err(), err)
		case <-t.C:
		}
	}
}
