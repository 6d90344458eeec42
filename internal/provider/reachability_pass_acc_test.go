package provider

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

const resName = "media_server_reachability.test"

// fast polling keeps loopback tests quick.
var fast = []string{`poll_interval = "10ms"`, `attempt_timeout = "1s"`}

func result(i int) tfjsonpath.Path { return tfjsonpath.New("results").AtSliceIndex(i) }

// openRow is what every passing row shares.
func openRow(name, protocol, transport string, port uint16) map[string]knownvalue.Check {
	p := strconv.Itoa(int(port))
	return map[string]knownvalue.Check{
		"name":      knownvalue.StringExact(name),
		"protocol":  knownvalue.StringExact(protocol),
		"transport": knownvalue.StringExact(transport),
		"port":      knownvalue.StringExact(p),
		"address":   knownvalue.StringExact("127.0.0.1"),
		"vantage":   knownvalue.StringExact("local"),
		"status":    knownvalue.StringExact("open"),
		"attempts":  int64AtLeast(1),
		"rtt_ms":    float64Positive(),
	}
}

func int64AtLeast(least int64) knownvalue.Check {
	return knownvalue.Int64Func(func(v int64) error {
		if v < least {
			return fmt.Errorf("%d is below %d", v, least)
		}
		return nil
	})
}

func float64Positive() knownvalue.Check {
	return knownvalue.Float64Func(func(v float64) error {
		if !(v > 0) {
			return fmt.Errorf("%g is not positive", v)
		}
		return nil
	})
}

// Every protocol passes against real loopback servers, a no-op apply does
// not verify again, and a changed setting verifies again in place.
func TestAccReachability_openPortsPass(t *testing.T) {
	t.Parallel()
	tcpPort := testnet.TCPListener(t)
	stunUDP := testnet.STUN(t, "udp")
	stunTCP := testnet.STUN(t, "tcp")
	certPEM, keyPEM, _ := testnet.Cert(t)
	tlsPort := testnet.TLSListener(t, certPEM, keyPEM)
	httpPort := testnet.HTTPServer(t, 204, nil)
	kp := testnet.KeyPair(t, certPEM, keyPEM)
	httpsPort := testnet.HTTPServer(t, 200, &kp)

	checks := checksHCL(
		hclCheck{"protocol": "tcp", "port": tcpPort},
		hclCheck{"protocol": "stun", "port": stunUDP},
		hclCheck{"protocol": "stun", "port": stunTCP, "transport": "tcp", "name": "turn-tcp"},
		hclCheck{"protocol": "tls", "port": tlsPort, "tls": hclCheck{"ca_cert_pem": string(certPEM), "min_cert_validity": "1h"}},
		hclCheck{"protocol": "http", "port": httpPort, "path": "/healthz", "expect_status": 204},
		hclCheck{"protocol": "https", "port": httpsPort, "tls": hclCheck{"ca_cert_pem": string(certPEM), "min_cert_validity": "1h"}},
	)
	config := resourceConfig("127.0.0.1", checks, fast...)
	stunRow := func(name, transport string, port uint16) map[string]knownvalue.Check {
		row := openRow(name, "stun", transport, port)
		row["mapped_address"] = knownvalue.StringRegexp(regexp127)
		return row
	}
	tlsRow := openRow(fmt.Sprintf("tls/%d", tlsPort), "tls", "tcp", tlsPort)
	tlsRow["detail"] = knownvalue.NotNull() // certificate expiry
	httpsRow := openRow(fmt.Sprintf("https/%d", httpsPort), "https", "tcp", httpsPort)
	httpsRow["detail"] = knownvalue.StringRegexp(regexpMust(`^HTTP 200; TLS 1\.3, CN=localhost, expires `))

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("id"), knownvalue.StringExact("127.0.0.1")),
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("verified_at"), knownvalue.StringRegexp(rfc3339)),
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("results"), knownvalue.ListSizeExact(6)),
					statecheck.ExpectKnownValue(resName, result(0), knownvalue.ObjectPartial(
						openRow(fmt.Sprintf("tcp/%d", tcpPort), "tcp", "tcp", tcpPort))),
					statecheck.ExpectKnownValue(resName, result(1), knownvalue.ObjectPartial(
						stunRow(fmt.Sprintf("stun/%d/udp", stunUDP), "udp", stunUDP))),
					statecheck.ExpectKnownValue(resName, result(2), knownvalue.ObjectPartial(
						stunRow("turn-tcp", "tcp", stunTCP))),
					statecheck.ExpectKnownValue(resName, result(3), knownvalue.ObjectPartial(tlsRow)),
					statecheck.ExpectKnownValue(resName, result(4), knownvalue.ObjectPartial(
						openRow(fmt.Sprintf("http/%d", httpPort), "http", "tcp", httpPort))),
					statecheck.ExpectKnownValue(resName, result(5), knownvalue.ObjectPartial(httpsRow)),
					// Defaults read back.
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("ip_version"), knownvalue.StringExact("any")),
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("on_failure"), knownvalue.StringExact("error")),
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("max_probe_rate"), knownvalue.Float64Exact(500)),
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("consecutive_successes"), knownvalue.Int64Exact(1)),
				},
			},
			{
				// Nothing changed: no verification, verified_at stays.
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A polling setting changed: verified again, in place.
				Config: resourceConfig("127.0.0.1", checks, `poll_interval = "20ms"`, `attempt_timeout = "1s"`,
					`consecutive_successes = 2`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(resName, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(resName, tfjsonpath.New("verified_at")),
						plancheck.ExpectKnownValue(resName, tfjsonpath.New("id"), knownvalue.StringExact("127.0.0.1")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(resName, result(0).AtMapKey("attempts"), int64AtLeast(2)),
				},
			},
		},
	})
}

// A no-op apply keeps the verified_at of the first verification. (With
// max_concurrency = 1 in the provider block, which must still pass.)
func TestAccReachability_noopKeepsVerification(t *testing.T) {
	t.Parallel()
	port := testnet.TCPListener(t)
	config := "provider \"media\" {\n  max_concurrency = 1\n}\n" +
		resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": port}, hclCheck{"protocol": "stun", "port": testnet.STUN(t, "udp")}), fast...)
	same := statecheck.CompareValue(compare.ValuesSame())
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config, ConfigStateChecks: []statecheck.StateCheck{
				same.AddStateValue(resName, tfjsonpath.New("verified_at")),
			}},
			{Config: config, ConfigStateChecks: []statecheck.StateCheck{
				same.AddStateValue(resName, tfjsonpath.New("verified_at")),
			}},
		},
	})
}

// A port that opens about two seconds after the first refused attempt
// blocks the apply, which then passes.
func TestAccReachability_latePortBlocksThenPasses(t *testing.T) {
	t.Parallel()
	port, start := testnet.TCPListenerLater(t)
	var once sync.Once
	opened := make(chan struct{})
	hook := func(e verify.Event) {
		if e.Port != port || e.Result.Status != probe.StatusClosed {
			return
		}
		once.Do(func() {
			time.AfterFunc(2*time.Second, func() {
				start()
				close(opened)
			})
		})
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(withAttemptHook(hook)),
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": port}),
				append(fast, `timeouts { create = "30s" }`)...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(resName, result(0).AtMapKey("status"), knownvalue.StringExact("open")),
				// Refused every 10ms for two seconds, then open.
				statecheck.ExpectKnownValue(resName, result(0).AtMapKey("attempts"), int64AtLeast(2)),
			},
		}},
	})
	select {
	case <-opened:
	default:
		t.Error("the apply passed before the port was opened")
	}
}

// verified_at comes from the injected clock.
func TestAccReachability_verifiedAtFromClock(t *testing.T) {
	t.Parallel()
	port := testnet.TCPListener(t)
	clock := shiftedClock{offset: time.Until(time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6Factories(WithClock(clock)),
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "tcp", "port": port}), fast...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("verified_at"),
					knownvalue.StringRegexp(regexpMust(`^2001-02-03T04:05:0[6-9]`))),
			},
		}},
	})
}

// shiftedClock runs at real speed (real timers) from another start, so the
// engine behaves normally while the timestamps it hands out are known.
type shiftedClock struct{ offset time.Duration }

func (c shiftedClock) Now() time.Time                        { return time.Now().Add(c.offset) }
func (c shiftedClock) NewTimer(d time.Duration) verify.Timer { return verify.RealClock{}.NewTimer(d) }
