package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

const (
	dsName    = "data.media_server_reachability.test"
	probeName = "data.media_server_reachability.probe"
)

// The data source probes once and reports a closed port without failing.
func TestAccReachabilityDataSource_reports(t *testing.T) {
	t.Parallel()
	open := testnet.TCPListener(t)
	closed := testnet.ClosedPort(t, "tcp")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
data "media_server_reachability" "test" {
  host   = "127.0.0.1"
  checks = %s
}
`, checksHCL(hclCheck{"protocol": "tcp", "port": open}, hclCheck{"protocol": "tcp", "port": closed})),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("reachable"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("id"), knownvalue.StringExact("127.0.0.1")),
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("verified_at"), knownvalue.StringRegexp(rfc3339)),
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("attempt_timeout"), knownvalue.StringExact("2s")),
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("ip_version"), knownvalue.StringExact("any")),
				statecheck.ExpectKnownValue(dsName, result(0), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"status": knownvalue.StringExact("open"), "attempts": knownvalue.Int64Exact(1),
				})),
				statecheck.ExpectKnownValue(dsName, result(1), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"status": knownvalue.StringExact("closed"), "attempts": knownvalue.Int64Exact(1),
					"address": knownvalue.StringExact("127.0.0.1"), "vantage": knownvalue.StringExact("local"),
				})),
			},
		}},
	})
}

// In a check block the data source serves the assertion, which warns: the
// apply does not fail because a port is closed.
func TestAccReachabilityDataSource_checkBlockWarns(t *testing.T) {
	t.Parallel()
	closed := testnet.ClosedPort(t, "tcp")
	open := testnet.TCPListener(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": open}), fast...) +
				fmt.Sprintf(`
check "media" {
  data "media_server_reachability" "probe" {
    host            = "127.0.0.1"
    attempt_timeout = "500ms"
    checks          = %s
  }
  assert {
    condition     = data.media_server_reachability.probe.reachable
    error_message = "media server not reachable"
  }
}
`, checksHCL(hclCheck{"protocol": "tcp", "port": closed})),
			// No ExpectError: the failed assertion is a warning, and the
			// resource beside it was created. Terraform plans to read a data
			// source of a failing check block again on every plan, which
			// shows what the data source reported.
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(probeName, tfjsonpath.New("reachable"), knownvalue.Bool(false)),
					plancheck.ExpectKnownValue(probeName, result(0).AtMapKey("status"), knownvalue.StringExact("closed")),
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
			},
		}},
	})
}

// The data source stores no result without a status: when the read timeout
// ends before the second port's turn under max_probe_rate, it fails.
func TestAccReachabilityDataSource_noVerdictFails(t *testing.T) {
	t.Parallel()
	first, second := testnet.ClosedPort(t, "tcp"), testnet.ClosedPort(t, "tcp")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
data "media_server_reachability" "test" {
  host           = "127.0.0.1"
  max_probe_rate = 1
  checks         = %s
  timeouts {
    read = "300ms"
  }
}
`, checksHCL(hclCheck{"protocol": "tcp", "port": first}, hclCheck{"protocol": "tcp", "port": second})),
			ExpectError: errorContaining(fmt.Sprintf(`tcp 127.0.0.1 (127.0.0.1:%d) from the machine running Terraform: `+
				`no verdict after 0 attempts`, second)),
		}},
	})
}
