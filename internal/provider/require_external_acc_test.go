package provider

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// openVantage is a fake agent that sees every port of every check open at
// once, on 127.0.0.1: what an agent outside reports about a server that the
// runner inside cannot reach.
// When after is set, it answers only once after is closed (or ctx ends).
type openVantage struct {
	name  string
	after <-chan struct{}
}

func (v openVantage) Name() string { return v.name }

func (v openVantage) Verify(ctx context.Context, req vantage.Request, _ vantage.Watcher) (verify.Report, error) {
	if v.after != nil {
		select {
		case <-v.after:
		case <-ctx.Done():
			return verify.Report{Vantage: v.name, Host: req.Host}, ctx.Err()
		}
	}
	a := netip.MustParseAddr("127.0.0.1")
	rep := verify.Report{Vantage: v.name, Host: req.Host, Addresses: []netip.Addr{a}, Reachable: true}
	for i, c := range req.Checks {
		rep.Results = append(rep.Results, verify.CheckResult{
			Vantage: v.name, Check: i, Name: c.DefaultName(), Protocol: c.Protocol, Transport: "tcp",
			Label: c.Label(), Ports: 1, Address: a, Status: probe.StatusOpen, Passed: true, Attempts: 1,
		})
	}
	return rep, nil
}

const externalNeedsAgent = `require_external is true, but vantage_points selects only "local", the machine running ` +
	`Terraform. Probes from the Terraform runner may come from inside the server's network`

// require_external with only local selected fails the plan at the
// attribute, for the resource and the data source, with or without agents
// in the provider block.
func TestAccRequireExternal_localOnlyFailsPlan(t *testing.T) {
	t.Parallel()
	port := testnet.TCPListener(t)
	checks := checksHCL(hclCheck{"protocol": "tcp", "port": port})
	ds := fmt.Sprintf(`
data "media_server_reachability" "test" {
  host             = "127.0.0.1"
  checks           = %s
  require_external = true
}
`, checks)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(fakeRemotes(nil))),
		Steps: []resource.TestStep{{
			Config:      resourceConfig("127.0.0.1", checks, append(fast, `require_external = true`)...),
			PlanOnly:    true,
			ExpectError: errorContaining(externalNeedsAgent),
		}, {
			Config: agentsProvider("eu-west") + resourceConfig("127.0.0.1", checks,
				append(fast, `require_external = true`, `vantage_points = ["local"]`)...),
			PlanOnly:    true,
			ExpectError: errorContaining(externalNeedsAgent),
		}, {
			Config:      ds,
			PlanOnly:    true,
			ExpectError: errorContaining(externalNeedsAgent),
		}},
	})
}

// With an agent and local selected, only the agent decides: a port that
// the agent sees open passes although local sees it closed, and the local
// row stays in results; local being open never passes a port that the
// agent cannot vouch for.
func TestAccRequireExternal_agentDecides(t *testing.T) {
	t.Parallel()
	closed := testnet.ClosedPort(t, "tcp")
	open := testnet.TCPListener(t)
	refused := errors.New("agent eu-west refused the token (401 Unauthorized)")
	closedRow := knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"vantage": knownvalue.StringExact("local"), "status": knownvalue.StringExact("closed"),
	})
	// The agent answers after local's first attempt, so that the local row
	// has its status when local is stopped.
	var once sync.Once
	localAnswered := make(chan struct{})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(func(a agentConfig) (vantage.Vantage, error) {
			if a.Name == "broken" {
				return failingVantage{name: a.Name, err: refused}, nil
			}
			return openVantage{name: a.Name, after: localAnswered}, nil
		}), withAttemptHook(func(verify.Event) { once.Do(func() { close(localAnswered) }) })),
		Steps: []resource.TestStep{{
			Config: agentsProvider("eu-west") + resourceConfig("127.0.0.1",
				checksHCL(hclCheck{"protocol": "tcp", "port": closed}),
				append(fast, `require_external = true`, `vantage_points = ["eu-west", "local"]`)...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("require_external"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("results"), knownvalue.ListExact([]knownvalue.Check{
					vantageRow("eu-west"), closedRow,
				})),
			},
		}, {
			Config: agentsProvider("broken") + resourceConfig("127.0.0.1",
				checksHCL(hclCheck{"protocol": "tcp", "port": open}),
				append(fast, `require_external = true`, `vantage_points = ["local", "broken"]`,
					`timeouts { create = "5s" }`)...),
			ExpectError: errorContaining(`Vantage point "broken" (http://127.0.0.1:9000) failed: agent eu-west ` +
				`refused the token (401 Unauthorized). Nothing from there counts as a pass.`),
		}},
	})
}

// The data source: the agent decides, and the local row is reported.
func TestAccRequireExternal_dataSource(t *testing.T) {
	t.Parallel()
	closed := testnet.ClosedPort(t, "tcp")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithRemoteFactory(func(a agentConfig) (vantage.Vantage, error) {
			return openVantage{name: a.Name}, nil
		})),
		Steps: []resource.TestStep{{
			Config: agentsProvider("eu-west") + fmt.Sprintf(`
data "media_server_reachability" "test" {
  host             = "127.0.0.1"
  checks           = %s
  vantage_points   = ["eu-west", "local"]
  require_external = true
}
`, checksHCL(hclCheck{"protocol": "tcp", "port": closed})),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("results").AtSliceIndex(0),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"vantage": knownvalue.StringExact("eu-west")})),
			},
		}, {
			// Unset, it reads back as false.
			Config: agentsProvider("eu-west") + fmt.Sprintf(`
data "media_server_reachability" "test" {
  host   = "127.0.0.1"
  checks = %s
}
`, checksHCL(hclCheck{"protocol": "tcp", "port": closed})),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(dsName, tfjsonpath.New("require_external"), knownvalue.Bool(false)),
			},
		}},
	})
}
