package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/mediareach/terraform-provider-media/internal/check"
)

// Every bad input fails at plan time, before anything is probed, with an
// error that names the attribute path and says what is accepted.
func TestValidation_badInputsFailAtPlan(t *testing.T) {
	t.Parallel()
	const host = "127.0.0.1" // every case fails at plan: nothing is probed
	tcp := func(extra hclCheck) string {
		c := hclCheck{"protocol": "tcp", "port": 443}
		for k, v := range extra {
			c[k] = v
		}
		return checksHCL(c)
	}
	cases := []planErrorCase{
		{"port 0", tcp(hclCheck{"port": 0}), `Attribute checks[0].port value must be between 1 and 65535, got: 0`},
		{"port 70000", tcp(hclCheck{"port": 70000}), `Attribute checks[0].port value must be between 1 and 65535, got: 70000`},
		{"unknown protocol", checksHCL(hclCheck{"protocol": "sctp", "port": 1}),
			`Attribute checks[0].protocol value must be one of: ["tcp" "stun" "tls" "http" "https" "turn" "sip" "rtsp" "rtsps" "rtmp" "rtmps" "srt"], got: "sctp"`},
		{"tls on tcp", tcp(hclCheck{"tls": hclCheck{"server_name": "media.example.com"}}),
			"Attribute checks[0].tls applies only to protocol " + quoteList(check.WithOption(check.OptServerName)) + `, but checks[0].protocol is "tcp".`},
		{"tls on stun/udp", checksHCL(hclCheck{"protocol": "stun", "port": 3478, "tls": hclCheck{"min_cert_validity": "168h"}}),
			`Attribute checks[0].tls applies to protocol "stun" only with checks[0].transport = "tls", but the transport is "udp".`},
		{"tls on http", checksHCL(hclCheck{"protocol": "http", "port": 80, "tls": hclCheck{"min_cert_validity": "168h"}}),
			"Attribute checks[0].tls applies only to protocol " + quoteList(check.WithOption(check.OptMinCertValidity)) + `, but checks[0].protocol is "http".`},
		{"http option on tls", checksHCL(hclCheck{"protocol": "tls", "port": 443, "path": "/health"}),
			`Attribute checks[0].path applies only to protocol "http", "https", "rtsp" or "rtsps"`},
		{"transport on tcp", tcp(hclCheck{"transport": "udp"}), "Attribute checks[0].transport applies only to protocol " + quoteList(check.WithTransports())},
		{"unknown transport", checksHCL(hclCheck{"protocol": "stun", "port": 3478, "transport": "sctp"}),
			`Attribute checks[0].transport value must be one of: ["udp" "tcp" "tls"], got: "sctp"`},
		{"second check", checksHCL(hclCheck{"protocol": "tcp", "port": 1}, hclCheck{"protocol": "http", "port": 80, "expect_status": 42}),
			`Attribute checks[1].expect_status value must be between 100 and 699, got: 42`},
		{"empty checks", "[]", `Attribute checks list must contain at least 1 elements, got: 0`},
		{"port and port_range", tcp(hclCheck{"port_range": "10000-10010"}),
			`Exactly one of checks[0].port, checks[0].ports and checks[0].port_range must be set; 2 are.`},
		{"port and ports", tcp(hclCheck{"ports": []int{80, 443}}),
			`Exactly one of checks[0].port, checks[0].ports and checks[0].port_range must be set; 2 are.`},
		{"no port at all", checksHCL(hclCheck{"protocol": "tcp"}),
			`Exactly one of checks[0].port (a port such as 3478), checks[0].ports (a list such as [80, 443]) and checks[0].port_range (a range such as "10000-10999") must be set; none is.`},
		{"empty ports", checksHCL(hclCheck{"protocol": "tcp", "ports": []int{}}),
			`Attribute checks[0].ports list must contain at least 1 elements and at most 16384 elements, got: 0`},
		{"port 0 in ports", checksHCL(hclCheck{"protocol": "tcp", "ports": []int{80, 0}}),
			`Attribute checks[0].ports[1] value must be between 1 and 65535, got: 0`},
		{"sample with ports", checksHCL(hclCheck{"protocol": "tcp", "ports": []int{80, 443}, "sample": 2}),
			`Attribute checks[0].sample applies only with checks[0].port_range`},
		{"reversed range", checksHCL(hclCheck{"protocol": "stun", "port_range": "11000-10000"}),
			`Attribute checks[0].port_range must be a port range "FIRST-LAST" such as "10000-10999", with 1 <= FIRST <= LAST <= 65535 (first port 11000 is above last port 10000), got: "11000-10000"`},
		{"range too large", checksHCL(hclCheck{"protocol": "stun", "port_range": "1-65535"}),
			`Attribute checks[0].port_range has 65535 ports, more than the 16384 that one check may probe`},
		{"sample without range", tcp(hclCheck{"sample": 5}),
			`Attribute checks[0].sample applies only with checks[0].port_range`},
		{"sample of 1", checksHCL(hclCheck{"protocol": "stun", "port_range": "10000-10999", "sample": 1}),
			`Attribute checks[0].sample value must be between 2 and 16384, got: 1`},
		{"sample above range", checksHCL(hclCheck{"protocol": "stun", "port_range": "10000-10009", "sample": 20}),
			`Attribute checks[0].sample must be at most the 10 ports of checks[0].port_range "10000-10009", got: 20.`},
		{"bad poll_interval", tcp(nil) + "\n  poll_interval = \"soon\"",
			`Attribute poll_interval must be a Go duration such as "500ms", "2s" or "168h" (a number and one of the units ns, us, ms, s, m, h), got: "soon".`},
		{"zero attempt_timeout", tcp(nil) + "\n  attempt_timeout = \"0s\"",
			`Attribute attempt_timeout must be a Go duration of at least 1ms, such as "500ms" or "2s", got: "0s"`},
		{"bad min_cert_validity", checksHCL(hclCheck{"protocol": "tls", "port": 443, "tls": hclCheck{"min_cert_validity": "1 week"}}),
			`Attribute checks[0].tls.min_cert_validity must be a Go duration such as "500ms", "2s" or "168h"`},
		// The timeouts package's own message; Terraform quotes the line.
		{"bad create timeout", tcp(nil) + "\n  timeouts {\n    create = \"forever\"\n  }",
			`create = "forever" "forever" must be a string containing a sequence of decimal numbers`},
		{"zero max_probe_rate", tcp(nil) + "\n  max_probe_rate = 0", `Attribute max_probe_rate must be a number from 0.01 to 1000000, got: 0`},
		{"consecutive_successes 0", tcp(nil) + "\n  consecutive_successes = 0",
			`Attribute consecutive_successes value must be between 1 and 100, got: 0`},
		{"on_failure", tcp(nil) + "\n  on_failure = \"ignore\"", `Attribute on_failure value must be one of: ["error" "warn"], got: "ignore"`},
		{"ip_version", tcp(nil) + "\n  ip_version = \"4\"", `Attribute ip_version value must be one of: ["any" "ipv4" "ipv6"], got: "4"`},
	}
	for i := range cases {
		cases[i].config = resourceConfig(host, cases[i].config)
	}
	runPlanErrorCases(t, cases)
}

func TestValidation_badHost(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      resourceConfig("turn.example.com:3478", checksHCL(hclCheck{"protocol": "tcp", "port": 1})),
			PlanOnly:    true,
			ExpectError: errorContaining(`Attribute host must be an IP address or a DNS name such as "turn.example.com", without scheme, port or path (ports go in checks) (it has a port or brackets), got: "turn.example.com:3478"`),
		}},
	})
}

// The data source shares the checks rules.
func TestValidation_dataSource(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
data "media_server_reachability" "test" {
  host   = "127.0.0.1"
  checks = [{ protocol = "tcp", port = 443, tls = { ca_cert_pem = "x" } }]
}
`,
			PlanOnly:    true,
			ExpectError: errorContaining("Attribute checks[0].tls applies only to protocol " + quoteList(check.WithOption(check.OptCACertPEM))),
		}},
	})
}

// max_concurrency is checked in the provider block.
func TestValidation_maxConcurrency(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "media" {
  max_concurrency = 0
}
` + resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": 1})),
			PlanOnly:    true,
			ExpectError: errorContaining(`Attribute max_concurrency value must be between 1 and 4096, got: 0`),
		}},
	})
}
