package provider

import (
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// A media deployment gated on SIP (UDP and TCP), RTSP, RTMP and SRT, each
// proven against a real server from Debian started on loopback.
func TestAccReachability_mediaProtocolsPass(t *testing.T) {
	t.Parallel()
	sipUDP, sipTCP := testnet.Kamailio(t)
	rtsp := testnet.RTSPServer(t)
	rtmp := testnet.NginxRTMP(t)
	srt := testnet.SRTListener(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(
				hclCheck{"protocol": "sip", "port": sipUDP},
				hclCheck{"protocol": "sip", "transport": "tcp", "port": sipTCP, "expect_status": 200},
				hclCheck{"protocol": "rtsp", "port": rtsp, "path": "/test"},
				hclCheck{"protocol": "rtmp", "port": rtmp},
				hclCheck{"protocol": "srt", "port": srt},
			), fast...),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(resName, result(0), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"name": knownvalue.StringExact("sip/" + itoa(sipUDP) + "/udp"), "status": knownvalue.StringExact("open"),
					"detail": knownvalue.StringRegexp(regexpMust(`^SIP/2\.0 200 OK`)),
				})),
				statecheck.ExpectKnownValue(resName, result(1).AtMapKey("status"), knownvalue.StringExact("open")),
				statecheck.ExpectKnownValue(resName, result(2), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"status": knownvalue.StringExact("open"), "detail": knownvalue.StringRegexp(regexpMust(`^RTSP/1\.0 200 OK`)),
				})),
				statecheck.ExpectKnownValue(resName, result(3).AtMapKey("status"), knownvalue.StringExact("open")),
				statecheck.ExpectKnownValue(resName, result(4), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"name": knownvalue.StringExact("srt/" + itoa(srt)), "transport": knownvalue.StringExact("udp"),
					"status": knownvalue.StringExact("open"),
				})),
			},
		}},
	})
}

// What fails, fails as what it is: a closed SIP port is closed, a silent
// SRT port filtered, and the wrong protocol on a port (RTMP against SIP,
// SIP against RTSP) an error, not open.
func TestAccReachability_mediaProtocolsFail(t *testing.T) {
	t.Parallel()
	_, sipTCP := testnet.Kamailio(t)
	rtsp := testnet.RTSPServer(t)
	closed := testnet.ClosedPort(t, "udp")
	silent := testnet.SilentUDP(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: resourceConfig("127.0.0.1", checksHCL(
				hclCheck{"protocol": "sip", "port": closed},
				hclCheck{"protocol": "srt", "port": silent},
				hclCheck{"protocol": "rtmp", "port": sipTCP},
				hclCheck{"protocol": "sip", "transport": "tcp", "port": rtsp},
			), append(fast, `on_failure = "warn"`, `error_timeout = "2s"`, `timeouts { create = "4s" }`)...),
			ExpectNonEmptyPlan: true, // reachable = false plans a new verification
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resName, tfjsonpath.New("reachable"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(resName, result(0).AtMapKey("status"), knownvalue.StringExact("closed")),
				statecheck.ExpectKnownValue(resName, result(1).AtMapKey("status"), knownvalue.StringExact("filtered")),
				statecheck.ExpectKnownValue(resName, result(2).AtMapKey("status"), knownvalue.StringExact("error")),
				statecheck.ExpectKnownValue(resName, result(3), knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"status": knownvalue.StringExact("error"), "detail": knownvalue.StringRegexp(regexpMust(`not a SIP response`)),
				})),
			},
		}},
	})
}

// TLS options on SIP need transport = "tls"; an HTTP expect_status stays
// within HTTP's range while SIP's goes to 699.
func TestValidation_mediaProtocolOptions(t *testing.T) {
	t.Parallel()
	cases := []planErrorCase{
		{"sip tls over udp", resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "sip", "port": 5060, "tls": hclCheck{"server_name": "sip.example.com"}})),
			`Attribute checks[0].tls applies to protocol "sip" only with checks[0].transport = "tls", but the transport is "udp"`},
		{"rtmp path", resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "rtmp", "port": 1935, "path": "/live"})),
			`Attribute checks[0].path applies only to protocol "http", "https", "rtsp" or "rtsps", but checks[0].protocol is "rtmp"`},
		{"srt over tcp", resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "srt", "port": 9000, "transport": "tcp"})),
			"Attribute checks[0].transport applies only to protocol " + quoteList(check.WithTransports()) + `, but checks[0].protocol is "srt"`},
		{"http 699", resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "http", "port": 80, "expect_status": 699})),
			`Attribute checks[0].expect_status must be between 100 and 599 for protocol "http", got: 699`},
	}
	runPlanErrorCases(t, cases)
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }
