package provider

import (
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// A STUN port_range of 200 ports where the responder serves all but 20
// fails, naming exactly those 20 compactly. The range lies below the
// ephemeral ports, so other tests' sockets cannot take one of its ports
// between finding the range free and binding it.
func TestAccReachability_rangeNamesMissingPorts(t *testing.T) {
	t.Parallel()
	first := testnet.FreeUDPPortRange(t, 200)
	missing := map[int]bool{3: true, 50: true, 51: true, 52: true, 120: true}
	for i := 185; i < 200; i++ {
		missing[i] = true
	}
	var served []uint16
	for i := range 200 {
		if !missing[i] {
			served = append(served, first+uint16(i))
		}
	}
	testnet.STUNOnPorts(t, "udp", served)
	p := func(i int) int { return int(first) + i }
	list := fmt.Sprintf("%d, %d-%d, %d, %d-%d", p(3), p(50), p(52), p(120), p(185), p(199))
	rng := fmt.Sprintf("%d-%d", first, p(199))

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "stun", "port_range": rng}),
				append(fast, `timeouts { create = "3s" }`)...),
			// Closed ports answer with ICMP port unreachable; the list ends
			// right after the last missing port, so no other port is named.
			ExpectError: regexp.MustCompile(
				`stun/udp 127\.0\.0\.1 \(127\.0\.0\.1 ports ` + rng + `\) from the machine running\s+Terraform: closed on\s+20 of\s+200 ports\s+\(closed:\s+` +
					spaced(list) + `\)`),
		}},
	})
}

// A port nobody opens fails within the create timeout plus a second, named
// as closed with its address and a likely cause.
func TestAccReachability_closedPortFailsAtTimeout(t *testing.T) {
	t.Parallel()
	port := testnet.ClosedPort(t, "tcp")
	var started time.Time
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() { started = time.Now() },
			Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": port}),
				append(fast, `timeouts { create = "2s" }`)...),
			ExpectError: regexp.MustCompile(`Media server not reachable[\s\S]*` +
				spaced(fmt.Sprintf(`tcp 127.0.0.1 (127.0.0.1:%d) from the machine running Terraform: closed after`, port)) +
				`\s+\d+\s+attempts\s+in\s+2(\.\d)?s\s+\(create\s+timeout\s+2s\);[\s\S]*` +
				spaced(fmt.Sprintf("likely nothing is listening on TCP %d at 127.0.0.1", port))),
		}},
	})
	// The step ran terraform plan and apply; apply alone must end within
	// the timeout plus a second, which the message's "in 2.Ns" shows. The
	// wall clock bounds the whole step loosely, plan included.
	if took := time.Since(started); took > 2*time.Second+time.Second+5*time.Second {
		t.Errorf("the failing step took %s", took)
	}
}

// min_cert_validity holds for https as for tls: a certificate that expires
// sooner fails the check, whatever the HTTP status.
func TestAccReachability_httpsCertExpiresTooSoon(t *testing.T) {
	t.Parallel()
	certPEM, keyPEM, _ := testnet.CertValidFor(t, 71*time.Hour+30*time.Minute)
	kp := testnet.KeyPair(t, certPEM, keyPEM)
	port := testnet.HTTPServer(t, 200, &kp)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "https", "port": port,
				"tls": hclCheck{"ca_cert_pem": string(certPEM), "min_cert_validity": "168h"}}),
				append(fast, `timeouts { create = "1s" }`)...),
			ExpectError: regexp.MustCompile(spaced(fmt.Sprintf(
				`https 127.0.0.1 (127.0.0.1:%d) from the machine running Terraform: error after`, port)) +
				`[\s\S]*` + spaced(`certificate expires in 71h (`) + `[\s\S]*` + spaced(`less than tls.min_cert_validity 168h`)),
		}},
	})
}

// A UDP socket that reads and never answers is filtered.
func TestAccReachability_silentUDPIsFiltered(t *testing.T) {
	t.Parallel()
	port := testnet.SilentUDP(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "stun", "port": port}),
				`poll_interval = "100ms"`, `attempt_timeout = "500ms"`, `timeouts { create = "2s" }`),
			ExpectError: regexp.MustCompile(spaced(fmt.Sprintf(
				`stun/udp 127.0.0.1 (127.0.0.1:%d) from the machine running Terraform: filtered after`, port)) +
				`[\s\S]*` + spaced(fmt.Sprintf(`likely a firewall or security group is dropping inbound UDP %d`, port))),
		}},
	})
}

// on_failure = "warn" saves the resource with reachable = false.
func TestAccReachability_onFailureWarn(t *testing.T) {
	t.Parallel()
	open := testnet.TCPListener(t)
	closed := testnet.ClosedPort(t, "tcp")
	config := resourceConfig("127.0.0.1", checksHCL(
		hclCheck{"protocol": "tcp", "port": open},
		hclCheck{"protocol": "tcp", "port": closed},
	), append(fast, `on_failure = "warn"`, `timeouts { create = "1s" }`)...)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			// reachable = false plans a new verification (warn_retry_acc_test.go).
			ExpectNonEmptyPlan: true,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(resName, result(0).AtMapKey("status"), knownvalue.StringExact("open")),
				statecheck.ExpectKnownValue(resName, result(1), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"status":   knownvalue.StringExact("closed"),
					"attempts": int64AtLeast(2),
					"rtt_ms":   knownvalue.Null(),
					"detail":   knownvalue.NotNull(),
				})),
			},
		}},
	})
}

// spaced quotes text for a regexp in which Terraform may have wrapped any
// space onto a new line.
func spaced(text string) string {
	words := regexp.MustCompile(`\s+`).Split(text, -1)
	words = slices.DeleteFunc(words, func(w string) bool { return w == "" })
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return joinRE(words)
}

func joinRE(words []string) string {
	out := ""
	for i, w := range words {
		if i > 0 {
			out += `\s+`
		}
		out += w
	}
	return out
}

// A ports list is one row: it passes when every port answers, and a closed
// one is named in the error with the row's label.
func TestAccReachability_portsListNamesClosedPort(t *testing.T) {
	t.Parallel()
	open1, open2 := int(testnet.TCPListener(t)), int(testnet.TCPListener(t))
	closed := int(testnet.ClosedPort(t, "tcp"))
	ports := []int{open2, open1}
	// The row's label is the engine's, e.g. "80,443,8000-8002".
	label := func(ps ...int) string {
		u := make([]uint16, len(ps))
		for i, p := range ps {
			u[i] = uint16(p)
		}
		return check.Spec{PortList: u}.Label()
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "ports": ports}), fast...),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("media_server_reachability.test", tfjsonpath.New("results"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"name":   knownvalue.StringExact("tcp/" + label(open1, open2)),
							"port":   knownvalue.StringExact(label(open1, open2)),
							"status": knownvalue.StringExact("open"),
							"detail": knownvalue.StringExact("all 2 ports open"),
						})})),
				},
			},
			{
				Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "ports": append(ports, closed)}),
					append(fast, `timeouts { update = "2s" }`)...), // adding a port updates in place
				ExpectError: regexp.MustCompile(`tcp 127\.0\.0\.1 \(127\.0\.0\.1 ports ` + label(open1, open2, closed) +
					`\) from the machine running\s+Terraform: closed on\s+1 of\s+3 ports\s+\(closed:\s+` + fmt.Sprint(closed) + `\)`),
			},
		},
	})
}
