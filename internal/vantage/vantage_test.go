package vantage_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// The local vantage point builds the request's checks, runs the engine and
// names itself on the report and every row.
func TestLocalStampsEveryRow(t *testing.T) {
	t.Parallel()
	req := vantage.Request{Host: "127.0.0.1", IPVersion: verify.IPAny,
		Checks: []check.Spec{{Protocol: "tcp", Port: testnet.TCPListener(t)}, {Protocol: "tcp", Port: testnet.TCPListener(t)}},
		Policy: verify.Policy{Interval: 10 * time.Millisecond, AttemptTimeout: time.Second}}
	var v vantage.Vantage = vantage.Local{}
	rep, err := v.Verify(t.Context(), req, vantage.Watcher{})
	if err != nil || !rep.Reachable || rep.Vantage != vantage.LocalName {
		t.Fatalf("err %v, reachable %v, vantage %q", err, rep.Reachable, rep.Vantage)
	}
	for _, row := range rep.Results {
		if row.Vantage != vantage.LocalName {
			t.Errorf("row %s vantage %q, want %q", row.Name, row.Vantage, vantage.LocalName)
		}
	}
}

// A request that does not build is refused before anything is probed.
func TestLocalRefusesABadCheck(t *testing.T) {
	t.Parallel()
	req := vantage.Request{Host: "127.0.0.1", Checks: []check.Spec{{Protocol: "tcp", Port: 443}, {Protocol: "sctp", Port: 1}}}
	rep, err := vantage.Local{}.Verify(t.Context(), req, vantage.Watcher{})
	if err == nil || !strings.Contains(err.Error(), `check 1: unknown protocol "sctp"`) || len(rep.Results) != 0 {
		t.Fatalf("err %v, %d rows", err, len(rep.Results))
	}
}

// A request is plain data: it survives a JSON round trip whole, which is
// how it will reach a remote vantage point.
func TestRequestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := vantage.Request{
		Host: "sfu.example.net", IPVersion: verify.IPv6,
		Checks: []check.Spec{
			{Name: "media", Protocol: "stun", Transport: "udp", First: 50000, Last: 60000, Sample: 64},
			{Protocol: "https", PortList: []uint16{443, 8443}, Options: check.Options{ServerName: "sfu.example.net",
				MinCertValidity: 168 * time.Hour, Path: "/health", ExpectStatus: 204}},
			{Protocol: "turn", Transport: "tls", Port: 443, Options: check.Options{Username: "probe",
				Password: "x", Realm: "example.net", RelayCheck: true, DenyPrivatePeers: true}},
		},
		Policy: verify.Policy{Interval: 50 * time.Millisecond, AttemptTimeout: 2 * time.Second, ConsecutiveSuccesses: 3,
			ErrorTimeout: 2 * time.Minute, MaxProbeRate: 500},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out vantage.Request
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n got %+v\nwant %+v\njson %s", out, in, b)
	}
}
