package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// oldAgent is a fake agent that predates expect: it drops it and runs every
// check as an open check.
type oldAgent struct{ renamedVantage }

func (v oldAgent) Verify(ctx context.Context, req vantage.Request, w vantage.Watcher) (verify.Report, error) {
	req.Checks = slices.Clone(req.Checks) // a copy, as over the wire
	for i := range req.Checks {
		req.Checks[i].Expect = ""
	}
	return v.renamedVantage.Verify(ctx, req, w)
}

func row(vantage, name, status string) knownvalue.Check {
	return knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"vantage": knownvalue.StringExact(vantage), "name": knownvalue.StringExact(name),
		"status": knownvalue.StringExact(status),
	})
}

// expect = "unreachable" with only local selected fails the plan at the
// attribute.
func TestAccExpectUnreachable_needsAgent(t *testing.T) {
	t.Parallel()
	closed := testnet.ClosedPort(t, "tcp")
	checks := checksHCL(hclCheck{"protocol": "tcp", "port": closed, "expect": "unreachable"})
	want := errorContaining(`checks[0].expect is "unreachable", but vantage_points selects only "local", the ` +
		`machine running Terraform. Probes from the Terraform runner may come from inside the server's network`)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(fakeRemotes(nil))),
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checks, fast...), PlanOnly: true, ExpectError: want,
		}, {
			Config: agentsProvider("eu-west") + resourceConfig("127.0.0.1", checks,
				append(fast, `vantage_points = ["local"]`)...),
			PlanOnly: true, ExpectError: want,
		}, {
			Config: fmt.Sprintf(`
data "media_server_reachability" "test" {
  host   = "127.0.0.1"
  checks = %s
}
`, checks),
			ExpectError: want,
		}},
	})
}

// An agent that sees the port closed passes an unreachable check, its row
// reading closed; local runs only the open checks, so the port it may reach
// from inside decides nothing.
func TestAccExpectUnreachable_passes(t *testing.T) {
	t.Parallel()
	closed := testnet.ClosedPort(t, "tcp")
	open := testnet.TCPListener(t)
	checks := checksHCL(
		hclCheck{"protocol": "tcp", "port": open, "name": "media"},
		hclCheck{"protocol": "tcp", "port": closed, "name": "admin", "expect": "unreachable"},
	)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(fakeRemotes(nil))),
		Steps: []resource.TestStep{{
			Config: agentsProvider("eu-west") + resourceConfig("127.0.0.1", checks,
				append(fast, `vantage_points = ["eu-west", "local"]`)...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
					row("eu-west", "media", "open"), row("eu-west", "admin", "closed"), row("local", "media", "open"),
				})),
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("results").AtSliceIndex(1).AtMapKey("attempts"),
					knownvalue.Int64Exact(int64(verify.MinUnreachableAttempts))),
			},
		}, {
			// The data source too.
			Config: agentsProvider("eu-west") + fmt.Sprintf(`
data "media_server_reachability" "test" {
  host   = "127.0.0.1"
  checks = %s
}
`, checks),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
					row("eu-west", "media", "open"), row("eu-west", "admin", "closed"),
				})),
			},
		}},
	})
}

// A port that answers from an agent fails an unreachable check at once,
// naming the vantage point; an agent that ignores expect never passes it.
func TestAccExpectUnreachable_answersFails(t *testing.T) {
	t.Parallel()
	open := testnet.TCPListener(t)
	checks := checksHCL(hclCheck{"protocol": "tcp", "port": open, "name": "admin", "expect": "unreachable"})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(func(a agentConfig) (vantage.Vantage, error) {
			v, err := fakeRemotes(nil)(a)
			if rv, ok := v.(renamedVantage); ok && a.Name == "old" {
				return oldAgent{rv}, err
			}
			return v, err
		})),
		Steps: []resource.TestStep{{
			Config: agentsProvider("eu-west") + resourceConfig("127.0.0.1", checks,
				append(fast, `timeouts { create = "1m" }`)...),
			ExpectError: errorContaining(fmt.Sprintf(`tcp "admin" 127.0.0.1 (127.0.0.1:%d) answered open from `+
				`vantage point "eu-west", but expect = unreachable; after 1 attempt`, open)),
		}, {
			Config: agentsProvider("old") + resourceConfig("127.0.0.1", checks,
				append(fast, `timeouts { create = "1m" }`)...),
			ExpectError: errorContaining(`it ran check "admin" as an open check: it does not support expect = ` +
				`"unreachable" (upgrade mediaprobe on it)`),
		}},
	})
}

// Through a real agent: expect travels in the request and the agent's
// engine applies it; a closed port passes, an open one fails naming the
// agent.
func TestAccExpectUnreachable_throughAgent(t *testing.T) {
	t.Parallel()
	url := realAgent(t, "127.0.0.1/32")
	closed := testnet.ClosedPort(t, "tcp")
	open := testnet.TCPListener(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: agentProvider(url, "ci-secret") + resourceConfig("127.0.0.1",
				checksHCL(hclCheck{"protocol": "tcp", "port": closed, "name": "admin", "expect": "unreachable"}),
				append(fast, `require_external = true`)...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
					row("outside", "admin", "closed"),
				})),
			},
		}, {
			Config: agentProvider(url, "ci-secret") + resourceConfig("127.0.0.1",
				checksHCL(hclCheck{"protocol": "tcp", "port": open, "name": "admin", "expect": "unreachable"}),
				append(fast, `timeouts { create = "1m" }`)...),
			ExpectError: errorContaining(`answered open from vantage point "outside", but expect = unreachable`),
		}},
	})
}
