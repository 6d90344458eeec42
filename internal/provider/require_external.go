package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
