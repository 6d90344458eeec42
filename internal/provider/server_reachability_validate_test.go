package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// wantDiag is one expected diagnostic: its severity, path and a piece of its
// detail.
type wantDiag struct {
	severity diag.Severity
	path     path.Path
	detail   string
}

func assertDiags(t *testing.T, got diag.Diagnostics, want []wantDiag) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("want %d diagnostics, got %d: %v", len(want), len(got), got)
	}
	for i, w := range want {
		d := got[i]
		wp, ok := d.(diag.DiagnosticWithPath)
		if d.Severity() != w.severity || !ok || !wp.Path().Equal(w.path) || !strings.Contains(d.Detail(), w.detail) {
			t.Errorf("diagnostic %d: want %v on %s containing %q, got %v on %v: %s: %s", i, w.severity, w.path,
				w.detail, d.Severity(), wp, d.Summary(), d.Detail())
		}
	}
}

func str(s string) types.String { return types.StringValue(s) }
func num(n int64) types.Int64   { return types.Int64Value(n) }

func portList(ports ...int64) types.List {
	elems := make([]attr.Value, len(ports))
	for i, p := range ports {
		elems[i] = types.Int64Value(p)
	}
	return types.ListValueMust(types.Int64Type, elems)
}

// Names and repeats across checks: a written name that another check's name
// (written or default) already is fails; a repeated check, and unnamed
// checks that differ but share a default name, warn.
func TestValidateChecksNamesAndRepeats(t *testing.T) {
	t.Parallel()
	tcp443 := checkModel{Protocol: str("tcp"), Port: num(443)}
	named := func(c checkModel, name string) checkModel { c.Name = str(name); return c }
	https := func(p string) checkModel { return checkModel{Protocol: str("https"), Port: num(443), Path: str(p)} }
	at := func(i int) path.Path { return path.Root("checks").AtListIndex(i) }
	warn, fail := diag.SeverityWarning, diag.SeverityError
	for _, tc := range []struct {
		name   string
		checks []checkModel
		want   []wantDiag
	}{
		{"different checks", []checkModel{tcp443, {Protocol: str("tcp"), Port: num(80)}}, nil},
		{"identical", []checkModel{tcp443, tcp443},
			[]wantDiag{{warn, at(1), "checks[1] probes the same as checks[0]: the same protocol, transport, ports and options."}}},
		{"identical, named apart", []checkModel{named(tcp443, "a"), named(tcp443, "b")},
			[]wantDiag{{warn, at(1), "checks[1] probes the same as checks[0]"}}},
		{"port and ports of one port", []checkModel{tcp443, {Protocol: str("tcp"), Ports: portList(443)}},
			[]wantDiag{{warn, at(1), "checks[1] probes the same as checks[0]"}}},
		{"ports in another order", []checkModel{
			{Protocol: str("tcp"), Ports: portList(443, 80)}, {Protocol: str("tcp"), Ports: portList(80, 443, 80)}},
			[]wantDiag{{warn, at(1), "checks[1] probes the same as checks[0]"}}},
		{"stun default transport", []checkModel{
			{Protocol: str("stun"), Port: num(3478)}, {Protocol: str("stun"), Port: num(3478), Transport: str("udp")}},
			[]wantDiag{{warn, at(1), "checks[1] probes the same as checks[0]"}}},
		{"default status", []checkModel{
			{Protocol: str("http"), Port: num(80)}, {Protocol: str("http"), Port: num(80), ExpectStatus: num(200), Path: str("/")}},
			[]wantDiag{{warn, at(1), "checks[1] probes the same as checks[0]"}}},
		{"stun over udp and tcp", []checkModel{
			{Protocol: str("stun"), Port: num(3478)}, {Protocol: str("stun"), Port: num(3478), Transport: str("tcp")}}, nil},
		{"tls and https", []checkModel{
			{Protocol: str("tls"), Port: num(443)}, {Protocol: str("https"), Port: num(443)}}, nil},
		{"written names collide", []checkModel{
			named(tcp443, "media"), {Protocol: str("tcp"), Port: num(1)}, named(tcp443, "media"), named(tcp443, "media")},
			[]wantDiag{
				{fail, at(2).AtName("name"), `Attribute checks[2].name is "media", which checks[0].name already is.`},
				{fail, at(3).AtName("name"), `Attribute checks[3].name is "media", which checks[0].name already is.`},
			}},
		{"written name is an earlier default", []checkModel{tcp443, named(https("/"), "tcp/443")},
			[]wantDiag{{fail, at(1).AtName("name"),
				`Attribute checks[1].name is "tcp/443", which is the default name of checks[0] (it has no name).`}}},
		{"default is an earlier written name", []checkModel{named(https("/"), "tcp/443"), tcp443},
			[]wantDiag{{fail, at(1).AtName("name"),
				`Attribute checks[1].name is not set, so it defaults to "tcp/443", which checks[0].name already is.`}}},
		// A default name holds only the protocol, transport and ports:
		// different checks can share one.
		{"default names of different options", []checkModel{https("/a"), https("/b")},
			[]wantDiag{{warn, at(1).AtName("name"),
				`checks[0] and checks[1] both have no name and default to "https/443", but probe different things`}}},
		{"default names of different samples", []checkModel{
			{Protocol: str("tcp"), PortRange: str("1000-1999")},
			{Protocol: str("tcp"), PortRange: str("1000-1999"), Sample: num(10)}},
			[]wantDiag{{warn, at(1).AtName("name"), `default to "tcp/1000-1999"`}}},
		{"unknown name", []checkModel{
			{Protocol: str("tcp"), Port: num(443), Name: types.StringUnknown()},
			{Protocol: str("tls"), Port: num(443), Name: types.StringUnknown()}}, nil},
		{"unknown port", []checkModel{
			{Protocol: str("tcp"), Port: types.Int64Unknown()}, {Protocol: str("tcp"), Port: types.Int64Unknown()}}, nil},
		{"unknown option", []checkModel{
			{Protocol: str("http"), Port: num(80), Path: types.StringUnknown()},
			{Protocol: str("http"), Port: num(80), Path: str("/x"), Name: str("x")}}, nil},
		{"a check with errors is not compared", []checkModel{
			tcp443, withTLS(t, checkModel{Protocol: str("tcp"), Port: num(443)}, tlsModel{ServerName: str("x")})},
			[]wantDiag{{fail, at(1).AtName("tls"), "applies only to protocol"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			elems := make([]attr.Value, len(tc.checks))
			for i, c := range tc.checks {
				elems[i] = checkObject(t, c)
			}
			var diags diag.Diagnostics
			validateChecks(types.ListValueMust(checkObjectType(t), elems), &diags)
			assertDiags(t, diags, tc.want)
		})
	}
}

func TestValidateIPVersion(t *testing.T) {
	t.Parallel()
	ipv := path.Root("ip_version")
	for _, tc := range []struct {
		name            string
		host, ipVersion types.String
		want            string // "" = no error
	}{
		{"name with ipv4", str("turn.example.com"), str("ipv4"), ""},
		{"v6 with any", str("::1"), str("any"), ""},
		{"v6 with default", str("::1"), types.StringNull(), ""},
		{"v6 with ipv6", str("2001:db8::1"), str("ipv6"), ""},
		{"v4 with ipv4", str("192.0.2.1"), str("ipv4"), ""},
		{"mapped with ipv4", str("::ffff:192.0.2.1"), str("ipv4"), ""},
		{"v6 with ipv4", str("::1"), str("ipv4"), `host "::1" is an IPv6 address`},
		{"zoned v6 with ipv4", str("fe80::1%eth0"), str("ipv4"), `host "fe80::1%eth0" is an IPv6 address`},
		{"v4 with ipv6", str("192.0.2.1"), str("ipv6"), `host "192.0.2.1" is an IPv4 address`},
		{"mapped with ipv6", str("::ffff:192.0.2.1"), str("ipv6"), "IPv4-mapped IPv6, and is verified as IPv4"},
		{"unknown host", types.StringUnknown(), str("ipv4"), ""},
		{"unknown ip_version", str("::1"), types.StringUnknown(), ""},
		{"bad ip_version (its validator speaks)", str("::1"), str("4"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var diags diag.Diagnostics
			validateIPVersion(tc.host, tc.ipVersion, &diags)
			var want []wantDiag
			if tc.want != "" {
				want = []wantDiag{{diag.SeverityError, ipv, tc.want}}
			}
			assertDiags(t, diags, want)
		})
	}
}
