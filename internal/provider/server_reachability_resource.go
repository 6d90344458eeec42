package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	rtimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ resource.Resource                   = (*serverReachabilityResource)(nil)
	_ resource.ResourceWithConfigure      = (*serverReachabilityResource)(nil)
	_ resource.ResourceWithValidateConfig = (*serverReachabilityResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*serverReachabilityResource)(nil)
)

// serverReachabilityResource blocks create and update until every check
// passes on every address of the host.
type serverReachabilityResource struct {
	data *providerData
}

func newServerReachabilityResource() resource.Resource { return &serverReachabilityResource{} }

func (r *serverReachabilityResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server_reachability"
}

func (r *serverReachabilityResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := reachabilitySchemaAttributes()
	maps.Copy(attrs, resourceOnlyAttributes())
	resp.Schema = schema.Schema{
		MarkdownDescription: "Blocks `terraform apply` until every check passes on every address of `host`: a real " +
			"protocol exchange (TCP handshake, STUN Binding, TLS handshake, HTTP GET) on each port. Anything that " +
			"`depends_on` it is created only after the media server answers. Delete only forgets it.",
		Attributes: attrs,
		Blocks:     map[string]schema.Block{"timeouts": resourceTimeoutsBlock(ctx)},
	}
}

func resourceTimeoutsBlock(ctx context.Context) schema.Block {
	const units = " as a duration such as `30s` or `5m` (units `s`, `m`, `h`)."
	b, _ := rtimeouts.Block(ctx, rtimeouts.Opts{
		Create: true, Update: true, Read: true,
		CreateDescription: "How long create waits for every check to pass," + units + " Defaults to `10m`.",
		UpdateDescription: "How long update waits for every check to pass," + units + " Defaults to `10m`.",
		ReadDescription: "How long a refresh with `recheck_on_refresh` may probe," + units +
			" Defaults to `1m`.",
	}).(schema.SingleNestedBlock)
	b.MarkdownDescription = "How long each operation may take before it fails."
	return b
}

func (r *serverReachabilityResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, "Resource", &resp.Diagnostics)
}

func (r *serverReachabilityResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateConfigChecks(ctx, req.Config, &resp.Diagnostics)
	validateErrorTimeout(ctx, req.Config, &resp.Diagnostics)
	validateRecheckWriteOnly(ctx, req.Config, &resp.Diagnostics)
	validateVantagePoints(ctx, r.data, req.Config, &resp.Diagnostics)
}

// validateVantagePoints refuses a vantage_points name that the provider does
// not know. It needs the configured provider: validation before that
// (terraform validate) skips it, and plan (ModifyPlan) and the data
// source's read catch it.
func validateVantagePoints(ctx context.Context, d *providerData, config tfsdk.Config, diags *diag.Diagnostics) {
	if d == nil {
		return
	}
	var names, checks types.List
	var requireExternal types.Bool
	diags.Append(config.GetAttribute(ctx, path.Root("vantage_points"), &names)...)
	diags.Append(config.GetAttribute(ctx, path.Root("require_external"), &requireExternal)...)
	diags.Append(config.GetAttribute(ctx, path.Root("checks"), &checks)...)
	if diags.HasError() {
		return
	}
	vps := d.vantagePoints(names, diags)
	if !diags.HasError() && !names.IsUnknown() {
		checkRequireExternal(requireExternal, vps, diags)
		checkUnreachableNeedsAgent(checks, vps, diags)
	}
}

// validateRecheckWriteOnly refuses recheck_on_refresh with a write-only
// secret: a refresh has no configuration to read it from, so it could not
// authenticate. The checks are read only when recheck_on_refresh is set:
// converting them is most of the cost of validating a resource that
// leaves it unset, which every plan and apply pays per resource.
func validateRecheckWriteOnly(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	var recheck types.Bool
	diags.Append(config.GetAttribute(ctx, path.Root("recheck_on_refresh"), &recheck)...)
	if diags.HasError() || !recheck.ValueBool() {
		return
	}
	var checks types.List
	diags.Append(config.GetAttribute(ctx, path.Root("checks"), &checks)...)
	if diags.HasError() {
		return
	}
	for i, e := range checks.Elements() {
		c, ok := checkFromValue(e)
		if !ok {
			continue
		}
		for _, v := range []struct {
			name  string
			value types.String
		}{{"password_wo", c.turn.PasswordWO}, {"shared_secret_wo", c.turn.SharedSecretWO}} {
			if v.value.IsNull() {
				continue
			}
			at := path.Root("checks").AtListIndex(i).AtName("turn").AtName(v.name)
			diags.AddAttributeError(at, "Write-only secret with recheck_on_refresh",
				fmt.Sprintf("Attribute %s is write-only, so a refresh cannot read it, and recheck_on_refresh "+
					"would probe without it. Use %s instead, or set recheck_on_refresh = false.",
					at, strings.TrimSuffix(v.name, "_wo")))
		}
	}
}

// validateErrorTimeout refuses an error_timeout longer than the create or
// update timeout, which could never end a verification. Only a configured
// error_timeout is compared (its default is not): the timeouts are read only
// then.
func validateErrorTimeout(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	var et durationValue
	diags.Append(config.GetAttribute(ctx, path.Root("error_timeout"), &et)...)
	if diags.HasError() || et.IsNull() || et.IsUnknown() || !et.valid() {
		return
	}
	var tv rtimeouts.Value
	diags.Append(config.GetAttribute(ctx, path.Root("timeouts"), &tv)...)
	if diags.HasError() {
		return
	}
	errorTimeout := durationOr(et, 0, diags)
	for _, op := range []struct {
		name string
		get  func(context.Context, time.Duration) (time.Duration, diag.Diagnostics)
		def  time.Duration
	}{{"create", tv.Create, defaultCreateTimeout}, {"update", tv.Update, defaultUpdateTimeout}} {
		timeout, ds := op.get(ctx, op.def)
		if ds.HasError() || timeout <= 0 || errorTimeout <= timeout {
			continue // a timeout that does not parse is reported on its own
		}
		diags.AddAttributeError(path.Root("error_timeout"), "error_timeout longer than the "+op.name+" timeout",
			fmt.Sprintf("Attribute error_timeout (%s) must be at most the %s timeout (%s): a check that keeps "+
				"answering wrongly fails at the earlier of the two. Lower error_timeout, or raise timeouts.%s.",
				fmtDuration(errorTimeout), op.name, fmtDuration(timeout), op.name))
		return
	}
}

// ModifyPlan plans a new verification (an in-place update) while the state
// says reachable = false, which only on_failure = "warn" saves: a warned
// resource tries again on every apply until it passes, instead of reading
// "No changes" forever.
func (r *serverReachabilityResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if !req.Plan.Raw.IsNull() {
		validateVantagePoints(ctx, r.data, req.Config, &resp.Diagnostics)
	}
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return // create or destroy
	}
	var reachable types.Bool
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("reachable"), &reachable)...)
	if resp.Diagnostics.HasError() || reachable.IsNull() || reachable.IsUnknown() || reachable.ValueBool() {
		return
	}
	for name, v := range map[string]attr.Value{
		"reachable":   types.BoolUnknown(),
		"verified_at": timetypes.NewRFC3339Unknown(),
		"results":     types.ListUnknown(resultObjectType),
	} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), v)...)
	}
}

func (r *serverReachabilityResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.applyPlan(ctx, "create", req.Plan, req.Config, &resp.State, &resp.Diagnostics)
}

func (r *serverReachabilityResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.applyPlan(ctx, "update", req.Plan, req.Config, &resp.State, &resp.Diagnostics)
}

// applyPlan is Create and Update (name): it verifies the plan under that
// operation's timeout and, when apply says so, saves the plan with the
// computed attributes.
func (r *serverReachabilityResource) applyPlan(ctx context.Context, name string, plan tfsdk.Plan, config tfsdk.Config, state *tfsdk.State, diags *diag.Diagnostics) {
	var m resourceModel
	var configured types.List
	diags.Append(plan.Get(ctx, &m)...)
	diags.Append(config.GetAttribute(ctx, path.Root("checks"), &configured)...)
	if diags.HasError() {
		return
	}
	m.Checks = withWriteOnly(ctx, m.Checks, configured, diags)
	timeout, ds := m.Timeouts.Create(ctx, defaultCreateTimeout)
	if name == "update" {
		timeout, ds = m.Timeouts.Update(ctx, defaultUpdateTimeout)
	}
	diags.Append(ds...)
	if diags.HasError() {
		return
	}
	if out, save := r.apply(ctx, m, operation{name: name, timeout: timeout}, diags); save {
		state.Raw = plan.Raw // a verification sets only the computed attributes
		diags.Append(setAttributes(ctx, state, out.computed())...)
	}
}

// writeOnlyAttributes are the attributes of a check's turn object that only
// the configuration holds: the plan and state have them null.
var writeOnlyAttributes = []string{"password_wo", "shared_secret_wo"}

// withWriteOnly returns the planned checks with the write-only secrets of
// the configured ones filled in. A configured secret that finds no planned
// turn object to go into is an error: probing without it would only fail
// with a misleading 401.
func withWriteOnly(ctx context.Context, planned, configured types.List, diags *diag.Diagnostics) types.List {
	pe, ce := planned.Elements(), configured.Elements()
	out := slices.Clone(pe)
	for i := range ce {
		cturn, ok := objectAttr(ce[i], "turn")
		secrets := cturn.Attributes()
		if !ok || !slices.ContainsFunc(writeOnlyAttributes, func(n string) bool { v, ok := secrets[n]; return ok && !v.IsNull() }) {
			continue
		}
		var po types.Object
		if i < len(pe) {
			po, _ = pe[i].(types.Object)
		}
		pturn, ok := objectAttr(po, "turn")
		if !ok {
			at := path.Root("checks").AtListIndex(i).AtName("turn")
			diags.AddAttributeError(at, "Write-only secret not applied", "Attribute "+at.String()+" has a "+
				"write-only secret, but the plan holds no such check to give it to. This is a bug in the provider: "+
				"please report it.")
			continue
		}
		turn := maps.Clone(pturn.Attributes())
		for _, name := range writeOnlyAttributes {
			if v, ok := secrets[name]; ok {
				turn[name] = v
			}
		}
		tv, ds := types.ObjectValue(pturn.AttributeTypes(ctx), turn)
		diags.Append(ds...)
		check := maps.Clone(po.Attributes())
		check["turn"] = tv
		obj, ds := types.ObjectValue(po.AttributeTypes(ctx), check)
		diags.Append(ds...)
		out[i] = obj
	}
	l, ds := types.ListValue(planned.ElementType(ctx), out)
	diags.Append(ds...)
	return l
}

// objectAttr returns v's attribute name when v is a known object and that
// attribute a known, non-null object.
func objectAttr(v attr.Value, name string) (types.Object, bool) {
	o, ok := v.(types.Object)
	if !ok || o.IsNull() || o.IsUnknown() {
		return types.Object{}, false
	}
	a, ok := o.Attributes()[name].(types.Object)
	if !ok || a.IsNull() || a.IsUnknown() {
		return types.Object{}, false
	}
	return a, true
}

// apply verifies m under op's timeout and reports whether m should be
// saved: when every check passed, or when on_failure is "warn" (then with a
// warning) and every result has a status. A cancel never saves.
func (r *serverReachabilityResource) apply(ctx context.Context, m resourceModel, op operation, diags *diag.Diagnostics) (outcome, bool) {
	s := resourceSettings(m, diags)
	if diags.HasError() {
		return outcome{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, op.timeout)
	defer cancel()
	out, ok := r.data.verify(ctx, m.commonModel, s, diags)
	if !ok {
		return out, false
	}
	if out.report.Reachable {
		// With require_external the agents proved it from outside.
		if why := insideOnly(out.report); why != "" && !m.RequireExternal.ValueBool() {
			diags.AddWarning(summaryInsideOnly, why)
		}
		return out, true // the engine's one verdict: Reachable means no error
	}
	summary, detail := out.message(op)
	if m.OnFailure.ValueString() == "warn" && !errors.Is(out.err, context.Canceled) {
		if problem := noVerdictProblem(out.report, op); problem != "" {
			diags.AddError(summary, detail+"\n\non_failure is \"warn\", but the resource was not saved: "+problem)
			return out, false
		}
		diags.AddWarning(summary, detail+"\n\non_failure is \"warn\": the resource was saved with reachable = false.")
		return out, true
	}
	diags.AddError(summary, detail)
	return out, false
}

func (r *serverReachabilityResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var recheck types.Bool
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("recheck_on_refresh"), &recheck)...)
	if resp.Diagnostics.HasError() || !recheck.ValueBool() {
		return // state passes through: refresh and plan never block
	}
	var m resourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, ds := m.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(ds...)
	s := resourceSettings(m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	s.policy.Snapshot = true
	op := operation{name: "read", timeout: timeout, snapshot: true}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, ok := r.data.verify(ctx, m.commonModel, s, &resp.Diagnostics) // state is kept as it is when the recheck passes
	switch {
	case !ok:
		return
	case errors.Is(out.err, context.Canceled):
		resp.Diagnostics.AddError(out.message(op))
	case out.report.Reachable:
		tflog.Debug(ctx, "recheck_on_refresh: every check still passes")
	default:
		_, detail := out.message(op)
		resp.Diagnostics.AddWarning("Media server no longer reachable",
			"recheck_on_refresh is set and a check no longer passes, so the resource leaves the state and the next "+
				"apply verifies it again.\n\n"+detail)
		resp.State.RemoveResource(ctx)
	}
}

// Delete forgets the resource: there is nothing to tear down.
func (r *serverReachabilityResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
