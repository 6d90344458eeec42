package verify_test

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// A report is plain data: what a remote vantage point sends reads back as
// the same report.
func TestReportJSONRoundTrip(t *testing.T) {
	in := verify.Report{
		Host:      "sfu.example.net",
		Addresses: []netip.Addr{netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("2001:db8::10")},
		Results: []verify.CheckResult{{
			Vantage: "eu-west", Check: 1, Name: "media", Protocol: "stun", Transport: "udp", Label: "10000-10099",
			Ports: 100, Address: netip.MustParseAddr("203.0.113.10"), Status: probe.StatusFiltered, Attempts: 40,
			Failing: []probe.Result{{Protocol: "stun", Transport: "udp", Address: "203.0.113.10:10050",
				Status: probe.StatusFiltered, Code: probe.CodeNoAnswer, Cause: "no STUN response to 5 requests"}},
			FailingPorts: []uint16{10050, 10051},
			Groups:       []verify.PortGroup{{Status: probe.StatusFiltered, Ports: []uint16{10050, 10051}}},
		}, {
			Vantage: "eu-west", Name: "tls/443", Protocol: "tls", Transport: "tcp", Label: "443", Ports: 1,
			Address: netip.MustParseAddr("2001:db8::10"), Status: probe.StatusOpen, Passed: true, Attempts: 1,
			RTT: 3 * time.Millisecond, OpenDetail: "TLS 1.3, CN=sfu.example.net", PassedAfter: 4 * time.Millisecond,
		}},
		Elapsed:       2 * time.Second,
		ErrorTimedOut: true,
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out verify.Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n got %+v\nwant %+v\njson %s", out, in, b)
	}
}
