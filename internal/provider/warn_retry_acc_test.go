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

// A resource saved with reachable = false (on_failure = "warn") is not left
// at "No changes": the next plan is an in-place update that verifies again,
// and once the port opens, that apply passes and the plan is empty again.
func TestAccReachability_warnedResourceVerifiesAgain(t *testing.T) {
	t.Parallel()
	port, openPort := testnet.TCPListenerLater(t)
	config := resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": port}),
		append(fast, `on_failure = "warn"`, `timeouts {
    create = "1s"
    update = "10s"
  }`)...)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:             config,
				ExpectNonEmptyPlan: true,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(false)),
				},
			},
			{
				PreConfig: func() {
					if !openPort() {
						t.Fatal("the port did not open")
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(resName, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(resName, result(0).AtMapKey("status"), knownvalue.StringExact("open")),
				},
			},
		},
	})
}
