package provider

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mediareach/terraform-provider-media/internal/agent"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// realAgent serves a `mediaprobe agent` on loopback (plain HTTP, which the
// client allows only there) that lets token "ci-secret" probe allow.
func realAgent(t *testing.T, allow ...string) string {
	t.Helper()
	return realAgentLimits(t, agent.Limits{}, allow...)
}

// realAgentLimits is realAgent with limits l (zero fields: the defaults).
func realAgentLimits(t *testing.T, l agent.Limits, allow ...string) string {
	t.Helper()
	srv := newTestAgent(t, l, allow...)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Drain() // ends runs in flight, which Close would wait for
		ts.Close()
	})
	return ts.URL
}

// testAgent is the agent server of realAgent.
func testAgent(t *testing.T, allow ...string) *agent.Server {
	t.Helper()
	return newTestAgent(t, agent.Limits{}, allow...)
}

func newTestAgent(t *testing.T, l agent.Limits, allow ...string) *agent.Server {
	t.Helper()
	list, err := agent.ParseAllowlist(allow)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := agent.New(agent.Config{Name: "outside", Tokens: []agent.Token{{Name: "ci", Secret: "ci-secret"}}, Allow: list,
		Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// realMTLSAgent is realAgent over HTTPS with --client-ca: it returns its
// URL, the CA of its server certificate, and a client certificate and key
// it accepts.
func realMTLSAgent(t *testing.T, allow ...string) (url string, serverCA, clientCert, clientKey []byte) {
	t.Helper()
	srv := testAgent(t, allow...)
	cert, key, serverCA := testnet.CertWithCA(t)
	clientCert, clientKey, clientCA := testnet.ClientCertWithCA(t, "ci")
	ts := httptest.NewUnstartedServer(srv)
	var err error
	if ts.TLS, err = agent.TLSConfig(testnet.KeyPair(t, cert, key), clientCA); err != nil {
		t.Fatal(err)
	}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	ts.StartTLS()
	t.Cleanup(func() {
		srv.Drain()
		ts.Close()
	})
	return ts.URL, serverCA, clientCert, clientKey
}

func agentProvider(url, token string) string {
	return fmt.Sprintf(`
provider "media" {
  agents = [{ name = "outside", url = %q, token = %q }]
}
`, url, token)
}

// Through a real agent: the default vantage points are the agents, rows say
// where they were probed from, and "local" can be added beside it.
func TestAccReachability_throughAgent(t *testing.T) {
	t.Parallel()
	url := realAgent(t, "127.0.0.1/32")
	port := testnet.TCPListener(t)
	checks := checksHCL(hclCheck{"protocol": "tcp", "port": port})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: agentProvider(url, "ci-secret") + resourceConfig("127.0.0.1", checks, fast...),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("results"), knownvalue.ListSizeExact(1)),
					statecheck.ExpectKnownValue(resName, result(0), knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"vantage": knownvalue.StringExact("outside"), "status": knownvalue.StringExact("open"),
					})),
				},
			},
			{
				Config: agentProvider(url, "ci-secret") + resourceConfig("127.0.0.1", checks,
					append(fast, `vantage_points = ["outside", "local"]`)...),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, result(0).AtMapKey("vantage"), knownvalue.StringExact("outside")),
					statecheck.ExpectKnownValue(resName, result(1).AtMapKey("vantage"), knownvalue.StringExact("local")),
				},
			},
		},
	})
}

// Mutual TLS: the agent refuses a provider without the client certificate
// in the handshake, and serves one with it.
func TestAccReachability_agentClientCert(t *testing.T) {
	t.Parallel()
	url, serverCA, cert, key := realMTLSAgent(t, "127.0.0.1/32")
	checks := checksHCL(hclCheck{"protocol": "tcp", "port": testnet.TCPListener(t)})
	provider := func(withCert bool) string {
		extra := ""
		if withCert {
			extra = fmt.Sprintf("client_cert_pem = %q\n    client_key_pem = %q", cert, key)
		}
		return fmt.Sprintf(`
provider "media" {
  agents = [{
    name = "outside", url = %q, token = "ci-secret", ca_cert_pem = %q
    %s
  }]
}
`, url, serverCA, extra)
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      provider(false) + resourceConfig("127.0.0.1", checks, fast...),
				ExpectError: regexp.MustCompile(`(?s)Vantage point "outside".*refused the client\s+certificate`),
			},
			{
				Config: provider(true) + resourceConfig("127.0.0.1", checks, fast...),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(resName, result(0).AtMapKey("vantage"), knownvalue.StringExact("outside")),
				},
			},
		},
	})
}

// An agent that refuses the token, or the target, fails the apply naming
// the agent and what it said; nothing passes for it.
func TestAccReachability_agentRefuses(t *testing.T) {
	t.Parallel()
	url := realAgent(t, "198.51.100.0/24")
	checks := checksHCL(hclCheck{"protocol": "tcp", "port": testnet.TCPListener(t)})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      agentProvider(url, "wrong") + resourceConfig("127.0.0.1", checks, fast...),
				ExpectError: regexp.MustCompile(`(?s)Vantage point "outside".*refused the token`),
			},
			{
				Config:      agentProvider(url, "ci-secret") + resourceConfig("127.0.0.1", checks, fast...),
				ExpectError: regexp.MustCompile(`(?s)Vantage point "outside".*127\.0\.0\.1`),
			},
		},
	})
}

// More resources than the agent runs at once per token: with max_runs set
// to the agent's --max-runs-per-token, the provider sends it two at a time
// and every one passes. The create timeout leaves no room to wait out a
// busy 429's Retry-After (5s), so a refused run would fail the apply.
func TestAccReachability_agentMaxRuns(t *testing.T) {
	t.Parallel()
	url := realAgentLimits(t, agent.Limits{PerToken: 2}, "127.0.0.1/32")
	checks := checksHCL(hclCheck{"protocol": "tcp", "port": testnet.TCPListener(t)})
	config := fmt.Sprintf(`
provider "media" {
  agents = [{ name = "outside", url = %q, token = "ci-secret", max_runs = 2 }]
}

resource "media_server_reachability" "fleet" {
  count           = 6
  host            = "127.0.0.1"
  checks          = %s
  poll_interval   = "10ms"
  attempt_timeout = "1s"
  timeouts {
    create = "5s"
  }
}
`, url, checks)
	var states []statecheck.StateCheck
	for i := range 6 {
		states = append(states, statecheck.ExpectKnownValue(fmt.Sprintf("media_server_reachability.fleet[%d]", i),
			tfjsonpath.New("reachable"), knownvalue.Bool(true)))
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    []resource.TestStep{{Config: config, ConfigStateChecks: states}},
	})
}
