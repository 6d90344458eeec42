package provider

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/provider/validators"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// protocolOption is an option that only some protocols accept: those that
// the check registry says read it.
type protocolOption struct {
	name      string
	protocols []string
}

// protocolOptions are the check attributes that only some protocols read.
var protocolOptions = []protocolOption{
	{"transport", check.WithTransports()},
	{check.OptPath, check.WithOption(check.OptPath)},
	{check.OptExpectStatus, check.WithOption(check.OptExpectStatus)},
	{"tls", check.WithOption(check.OptServerName)},
	{"turn", check.WithOption(check.OptUsername)},
}

// validateConfigChecks is the ValidateConfig of the resource and of the data
// source: the rules that involve several attributes (validateChecks,
// validateIPVersion) and the timeouts, whose attributes the timeouts package
// defines. Values that are unknown at plan are validated once known.
func validateConfigChecks(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	var (
		host, ipVersion types.String
		checks          types.List
		read            diag.Diagnostics
	)
	read.Append(config.GetAttribute(ctx, path.Root("host"), &host)...)
	read.Append(config.GetAttribute(ctx, path.Root("ip_version"), &ipVersion)...)
	read.Append(config.GetAttribute(ctx, path.Root("checks"), &checks)...)
	diags.Append(read...)
	if read.HasError() {
		return
	}
	validateIPVersion(host, ipVersion, diags)
	validateChecks(checks, diags)
	validateTimeouts(config, diags)
}

// validateChecks holds the rules that involve several attributes of one
// check (options that the check's protocol does not use, how many ports a
// range may probe) or several checks (names, repeats: checkIndex).
// Single-attribute rules are schema validators.
func validateChecks(l types.List, diags *diag.Diagnostics) {
	var seen checkIndex
	for i, e := range l.Elements() {
		c, ok := checkFromValue(e)
		if !ok || !c.tls.MinCertValidity.valid() {
			// Null or unknown: validated once known. A duration that does not
			// parse: its attribute's own validation reports it with the right
			// path, and the rest of this check waits for the fix.
			continue
		}
		errs := diags.ErrorsCount()
		validateCheck(path.Root("checks").AtListIndex(i), c, diags)
		if diags.ErrorsCount() == errs {
			// Only a check without errors of its own has a name and ports
			// worth comparing.
			seen.add(i, c, diags)
		}
	}
}

func validateCheck(at path.Path, c checkModel, diags *diag.Diagnostics) {
	if !c.Protocol.IsNull() && !c.Protocol.IsUnknown() {
		proto := c.Protocol.ValueString()
		for _, o := range protocolOptions {
			if v := c.attr(o.name); v.IsNull() || v.IsUnknown() || slices.Contains(o.protocols, proto) {
				continue
			}
			p := at.AtName(o.name)
			diags.AddAttributeError(p, "Option not valid for this protocol",
				fmt.Sprintf("Attribute %s applies only to protocol %s, but %s is %q. Remove %s, or change the protocol.",
					p, quoteList(o.protocols), at.AtName("protocol"), proto, o.name))
		}
		validateTransport(at, proto, c.Transport, diags)
		if p, ok := check.Lookup(proto); ok {
			validateTLSTransport(at, c, p, diags)
		}
		validateExpectStatus(at, c, diags)
		if proto == "turn" {
			validateTURNCredentials(at, c, diags)
		}
	}
	validatePorts(at, c, diags)
	validatePortCount(at, c, diags)
}

// validateTURNCredentials wants one way to authenticate: username with
// password (or password_wo), or shared_secret (or shared_secret_wo), whose
// credential_ttl is meaningless without it.
func validateTURNCredentials(at path.Path, c checkModel, diags *diag.Diagnostics) {
	if c.TURN.IsUnknown() {
		return // validated once known
	}
	set := func(v attr.Value) bool { return !v.IsNull() } // unknown counts as set
	t, in := c.turn, at.AtName("turn")
	passwords := setNames(map[string]bool{"password": set(t.Password), "password_wo": set(t.PasswordWO)})
	secrets := setNames(map[string]bool{"shared_secret": set(t.SharedSecret), "shared_secret_wo": set(t.SharedSecretWO)})
	switch {
	case len(passwords)+len(secrets) == 0:
		diags.AddAttributeError(in, "TURN check without credentials",
			fmt.Sprintf("Attribute %s needs credentials: username with password (or password_wo), or shared_secret "+
				"(or shared_secret_wo) for coturn's use-auth-secret, such as "+
				"turn = { username = \"probe\", password = var.turn_password }.", in))
	case len(passwords)+len(secrets) > 1:
		both := append(passwords, secrets...)
		diags.AddAttributeError(in.AtName(both[1]), "Several TURN credentials",
			fmt.Sprintf("Attribute %s sets both %s and %s: set only one of password, password_wo, shared_secret "+
				"and shared_secret_wo.", in, both[0], both[1]))
	case len(passwords) == 1 && !set(t.Username):
		diags.AddAttributeError(in.AtName("username"), "TURN password without username",
			fmt.Sprintf("Attribute %s is required with %s.", in.AtName("username"), in.AtName(passwords[0])))
	case len(passwords) == 1 && set(t.CredentialTTL):
		diags.AddAttributeError(in.AtName("credential_ttl"), "credential_ttl without shared_secret",
			fmt.Sprintf("Attribute %s applies only with shared_secret (or shared_secret_wo), whose derived "+
				"credentials it bounds; remove it.", in.AtName("credential_ttl")))
	}
}

// setNames returns the names whose value is true, sorted.
func setNames(m map[string]bool) []string {
	var names []string
	for n, ok := range m {
		if ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// validateTLSTransport refuses tls on a protocol whose TLS is one of its
// transports (sip over tls) when another transport is chosen.
func validateTLSTransport(at path.Path, c checkModel, p check.Protocol, diags *diag.Diagnostics) {
	if p.TLSTransport == "" || c.Transport.IsUnknown() || c.Transport.ValueString() == p.TLSTransport ||
		c.TLS.IsNull() || c.TLS.IsUnknown() {
		return
	}
	transport := c.Transport.ValueString()
	if transport == "" {
		transport = p.Transports[0]
	}
	diags.AddAttributeError(at.AtName("tls"), "TLS options without TLS",
		fmt.Sprintf("Attribute %s applies to protocol %q only with %s = %q, but the transport is %q. "+
			"Set transport = %q, or remove tls.", at.AtName("tls"), p.Name, at.AtName("transport"),
			p.TLSTransport, transport, p.TLSTransport))
}

// maxHTTPStatus is the largest HTTP status; SIP's go to 699.
const maxHTTPStatus = 599

// validateExpectStatus keeps an HTTP check's expect_status within HTTP's
// range; the schema allows SIP's wider one.
func validateExpectStatus(at path.Path, c checkModel, diags *diag.Diagnostics) {
	proto := c.Protocol.ValueString()
	if (proto != "http" && proto != "https") || c.ExpectStatus.IsNull() || c.ExpectStatus.IsUnknown() ||
		c.ExpectStatus.ValueInt64() <= maxHTTPStatus {
		return
	}
	diags.AddAttributeError(at.AtName("expect_status"), "Not an HTTP status",
		fmt.Sprintf("Attribute %s must be between 100 and %d for protocol %q, got: %d.",
			at.AtName("expect_status"), maxHTTPStatus, proto, c.ExpectStatus.ValueInt64()))
}

// validateTransport refuses a transport that the protocol does not run over.
func validateTransport(at path.Path, proto string, transport types.String, diags *diag.Diagnostics) {
	p, ok := check.Lookup(proto)
	if !ok || len(p.Transports) < 2 || transport.IsNull() || transport.IsUnknown() ||
		slices.Contains(p.Transports, transport.ValueString()) ||
		!slices.Contains(check.Transports(), transport.ValueString()) { // the schema's OneOf reports it
		return
	}
	diags.AddAttributeError(at.AtName("transport"), "Transport not valid for this protocol",
		fmt.Sprintf("Attribute %s must be %s for protocol %q, got: %q.",
			at.AtName("transport"), quoteList(p.Transports), proto, transport.ValueString()))
}

// validatePorts wants exactly one of port, ports and port_range, and sample
// only with port_range. (The framework's ExactlyOneOf and AlsoRequires name
// relative paths such as "checks[0].port.<.port_range" in their messages.)
func validatePorts(at path.Path, c checkModel, diags *diag.Diagnostics) {
	if c.Port.IsUnknown() || c.Ports.IsUnknown() || c.PortRange.IsUnknown() {
		return
	}
	port, ports, rng := at.AtName("port"), at.AtName("ports"), at.AtName("port_range")
	for j, e := range c.Ports.Elements() {
		// The element validators skip nulls, and the engine would drop them.
		if e.IsNull() {
			p := ports.AtListIndex(j)
			diags.AddAttributeError(p, "Missing port",
				fmt.Sprintf("Attribute %s is null; each element of %s must be a port from 1 to 65535.", p, ports))
		}
	}
	set := 0
	for _, v := range []attr.Value{c.Port, c.Ports, c.PortRange} {
		if !v.IsNull() {
			set++
		}
	}
	switch {
	case set == 0:
		diags.AddAttributeError(at, "Missing port",
			fmt.Sprintf("Exactly one of %s (a port such as 3478), %s (a list such as [80, 443]) and %s (a range "+
				"such as \"10000-10999\") must be set; none is.", port, ports, rng))
	case set > 1:
		diags.AddAttributeError(at, "Conflicting ports",
			fmt.Sprintf("Exactly one of %s, %s and %s must be set; %d are. Keep one of them.", port, ports, rng, set))
	case !c.Sample.IsNull() && c.PortRange.IsNull():
		diags.AddAttributeError(at.AtName("sample"), "Sample without a range",
			fmt.Sprintf("Attribute %s applies only with %s: it picks ports from a range. Remove sample.",
				at.AtName("sample"), rng))
	}
}

// validatePortCount caps the ports one check probes at
// check.MaxPortsPerCheck, and sample at the size of the range. (sample's
// own validator caps it at check.MaxPortsPerCheck too, so that
// CheckSpec.Ports never refuses a check that passed plan.)
func validatePortCount(at path.Path, c checkModel, diags *diag.Diagnostics) {
	if c.PortRange.IsNull() || c.PortRange.IsUnknown() || c.Sample.IsUnknown() {
		return
	}
	first, last, err := validators.ParsePortRange(c.PortRange.ValueString())
	if err != nil {
		return // reported by the port_range validator
	}
	n := int64(last) - int64(first) + 1
	if !c.Sample.IsNull() {
		if s := c.Sample.ValueInt64(); s > n {
			p := at.AtName("sample")
			diags.AddAttributeError(p, "Sample larger than the range",
				fmt.Sprintf("Attribute %s must be at most the %d ports of %s %q, got: %d. Remove sample to probe every port.",
					p, n, at.AtName("port_range"), c.PortRange.ValueString(), s))
		}
		return
	}
	if n > check.MaxPortsPerCheck {
		p := at.AtName("port_range")
		diags.AddAttributeError(p, "Port range too large",
			fmt.Sprintf("Attribute %s has %d ports, more than the %d that one check may probe, got: %q. "+
				"Set sample to probe a spread of the range, or split it into several checks.",
				p, n, check.MaxPortsPerCheck, c.PortRange.ValueString()))
	}
}

func quoteList(list []string) string { return orList(list, "%q") }

// orList writes items, each formatted with format, as "a, b or c".
func orList(items []string, format string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf(format, s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// validateIPVersion refuses an IP address host that ip_version excludes:
// nothing would be left to verify, and the engine would retry the empty
// resolution until the timeout. A name may resolve to either family, so only
// an address is checked. An IPv4-mapped IPv6 address counts as IPv4, as the
// engine unmaps it (probe.Resolve).
func validateIPVersion(host, ipVersion types.String, diags *diag.Diagnostics) {
	if host.IsNull() || host.IsUnknown() || ipVersion.IsUnknown() {
		return
	}
	want := stringOr(ipVersion, defaultIPVersion)
	ip, err := netip.ParseAddr(host.ValueString())
	if err != nil || (want != string(verify.IPv4) && want != string(verify.IPv6)) {
		return // a name, or a host or ip_version that its own validator reports
	}
	family, what := string(verify.IPv6), "an IPv6 address"
	if ip.Unmap().Is4() {
		family, what = string(verify.IPv4), "an IPv4 address"
		if ip.Is4In6() {
			what = fmt.Sprintf("the IPv4 address %s written as IPv4-mapped IPv6, and is verified as IPv4", ip.Unmap())
		}
	}
	if family == want {
		return
	}
	p := path.Root("ip_version")
	diags.AddAttributeError(p, "ip_version excludes host",
		fmt.Sprintf("Attribute %s is %q, but host %q is %s, so there would be no address to verify. Set %s to %q "+
			"or %q, or use an %s address as host.",
			p, want, host.ValueString(), what, p, family, verify.IPAny, familyNames[want]))
}

var familyNames = map[string]string{string(verify.IPv4): "IPv4", string(verify.IPv6): "IPv6"}

// validateTimeouts refuses a timeout of zero or less in the timeouts block
// (create, update and read for the resource, read for the data source): the
// operation would fail at once. The timeouts package checks only that each
// value parses, and reports those that do not. The block's attributes are
// read from the raw config because its custom type converts to neither
// types.Object nor a type that both the resource and data source share.
func validateTimeouts(config tfsdk.Config, diags *diag.Diagnostics) {
	raw, _, err := tftypes.WalkAttributePath(config.Raw, tftypes.NewAttributePath().WithAttributeName("timeouts"))
	block, ok := raw.(tftypes.Value)
	if err != nil || !ok || !block.IsKnown() || block.IsNull() {
		return
	}
	var attrs map[string]tftypes.Value
	if block.As(&attrs) != nil {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		var s string
		if v := attrs[name]; !v.IsKnown() || v.IsNull() || v.As(&s) != nil {
			continue
		}
		if d, err := time.ParseDuration(s); err != nil || d > 0 {
			continue
		}
		p := path.Root("timeouts").AtName(name)
		diags.AddAttributeError(p, "Timeout not positive",
			fmt.Sprintf("Attribute %s must be a positive duration such as \"30s\" or \"10m\", got: %q. A timeout of "+
				"zero or less would end every %s at once.", p, s, name))
	}
}
