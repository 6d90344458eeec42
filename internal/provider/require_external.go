package provider

import (
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
)

// summaryNoExternal is the plan error of require_external = true without
// an agent.
const summaryNoExternal = "No agent selected for require_external"

// checkRequireExternal refuses require_external = true when vps (the
// selected vantage points) holds no agent: only local could answer, and
// local may probe from inside the server's network.
func checkRequireExternal(requireExternal types.Bool, vps []vantage.Vantage, diags *diag.Diagnostics) {
	if !requireExternal.ValueBool() || len(externalVantages(vps)) > 0 {
		return
	}
	diags.AddAttributeError(path.Root("require_external"), summaryNoExternal,
		"require_external is true, but vantage_points selects only \"local\", the machine running Terraform. "+
			"Probes from the Terraform runner may come from inside the server's network, where a port can answer "+
			"that the internet cannot reach, so they cannot satisfy require_external. Add an agent of the provider "+
			"block that runs outside that network to vantage_points (or leave vantage_points unset to use every "+
			"agent), or set require_external = false.")
}

// externalVantages returns the vantage points of vps that are agents.
func externalVantages(vps []vantage.Vantage) []vantage.Vantage {
	var out []vantage.Vantage
	for _, v := range vps {
		if v.Name() != vantage.LocalName {
			out = append(out, v)
		}
	}
	return out
}

// checkUnreachableNeedsAgent refuses an expect = "unreachable" check when
// vps holds no agent: a port that the machine running Terraform cannot
// reach says nothing about the internet.
func checkUnreachableNeedsAgent(checks types.List, vps []vantage.Vantage, diags *diag.Diagnostics) {
	if checks.IsNull() || checks.IsUnknown() || len(externalVantages(vps)) > 0 {
		return
	}
	for i, e := range checks.Elements() {
		c, ok := checkFromValue(e)
		if !ok || c.Expect.ValueString() != check.ExpectUnreachable {
			continue
		}
		at := path.Root("checks").AtListIndex(i).AtName("expect")
		diags.AddAttributeError(at, "Unreachable check without an agent",
			fmt.Sprintf("%s is \"unreachable\", but vantage_points selects only \"local\", the machine running "+
				"Terraform. Probes from the Terraform runner may come from inside the server's network: that a port "+
				"does not answer there proves nothing about the internet. Add an agent of the provider block that "+
				"runs outside that network to vantage_points (or leave vantage_points unset to use every agent).", at))
	}
}

// localRequest is req as the local vantage point runs it: without the
// unreachable checks, which only agents decide (local being inside may
// reach a port that the internet cannot). ok is false when nothing is left.
func localRequest(req vantage.Request) (vantage.Request, bool) {
	if !slices.ContainsFunc(req.Checks, unreachableSpec) {
		return req, true
	}
	req.Checks = slices.DeleteFunc(slices.Clone(req.Checks), unreachableSpec)
	return req, len(req.Checks) > 0
}

func unreachableSpec(s check.Spec) bool { return s.Expect == check.ExpectUnreachable }
