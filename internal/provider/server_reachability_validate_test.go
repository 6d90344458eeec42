package provider

import (
	"strings"
	"testing"

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
