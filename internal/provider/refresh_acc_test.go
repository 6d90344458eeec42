package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// With recheck_on_refresh, a port that closes after the apply makes the
// resource leave the state on refresh, so the next plan creates it again.
func TestAccReachability_recheckOnRefresh(t *testing.T) {
	t.Parallel()
	port, closePort := testnet.StoppableTCPListener(t)
	config := resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": port}),
		append(fast, `recheck_on_refresh = true`)...)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				},
			},
			{
				// Still open: refresh probes, passes, and the plan is empty.
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				PreConfig:          closePort,
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// The apply verifies again, and blocks until its timeout.
				Config:      resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": port}), append(fast, `recheck_on_refresh = true`, `timeouts { create = "500ms" }`)...),
				ExpectError: errorContaining("Media server not reachable"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(resName, plancheck.ResourceActionCreate)},
				},
			},
		},
	})
}

// Without recheck_on_refresh, refresh never probes: the closed port goes
// unnoticed and the plan stays empty.
func TestAccReachability_refreshPassesThrough(t *testing.T) {
	t.Parallel()
	port, closePort := testnet.StoppableTCPListener(t)
	config := resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": port}), fast...)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{PreConfig: closePort, Config: config, PlanOnly: true},
		},
	})
}

// Changing triggers replaces the resource, which verifies again.
func TestAccReachability_triggersReplace(t *testing.T) {
	t.Parallel()
	port := testnet.TCPListener(t)
	checks := checksHCL(hclCheck{"protocol": "tcp", "port": port})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: resourceConfig("127.0.0.1", checks, append(fast, `triggers = { instance = "i-1" }`)...)},
			{
				Config: resourceConfig("127.0.0.1", checks, append(fast, `triggers = { instance = "i-2" }`)...),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(resName, plancheck.ResourceActionDestroyBeforeCreate),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				},
			},
		},
	})
}
