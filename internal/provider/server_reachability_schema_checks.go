package provider

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/provider/validators"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

func checkAttributes() map[string]schema.Attribute {
	tlsOnly := onlyFor(check.WithOption(check.OptServerName))
	httpOnly := onlyFor(check.WithOption(check.OptPath))
	tlsOnly += " For `stun`, `turn` and `sip`, only with `transport = \"tls\"`."
	return map[string]schema.Attribute{
		"name": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Label for this check in `results` and messages; it must differ from every other " +
				"check's name or default name. Defaults to `<protocol>/<port>`, or `stun/<port>/<transport>` for " +
				"STUN (the port part is the range for `port_range`).",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"protocol": schema.StringAttribute{
			Required:            true,
			MarkdownDescription: "The exchange that must succeed: " + protocolSummaries() + ".",
			Validators:          []validator.String{stringvalidator.OneOf(protocols...)},
		},
		"transport": schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: transportDescription(),
			Validators:          []validator.String{stringvalidator.OneOf(transports...)},
		},
		"port": schema.Int64Attribute{
			Optional: true,
			MarkdownDescription: "The port to probe, 1 to 65535. Exactly one of `port`, `ports` and `port_range` " +
				"is required.",
			// Exactly one of port and port_range: validateCheck, whose message names both paths.
			Validators: []validator.Int64{int64validator.Between(1, 65535)},
		},
		"ports": schema.ListAttribute{
			ElementType: types.Int64Type,
			Optional:    true,
			MarkdownDescription: fmt.Sprintf("Several ports to probe with the same protocol, each 1 to 65535, such "+
				"as `[80, 443, 8443]`: one row in `results`, whose `detail` names the failing ports (at most %d "+
				"ports). One check with many ports keeps plans small: Terraform handles one object instead of "+
				"one per port, which makes a large apply several times faster.", check.MaxPortsPerCheck),
			Validators: []validator.List{
				listvalidator.SizeBetween(1, check.MaxPortsPerCheck),
				listvalidator.ValueInt64sAre(int64validator.Between(1, 65535)),
			},
		},
		"port_range": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: fmt.Sprintf("An inclusive port range `FIRST-LAST` such as `10000-10999`: every port in "+
				"it is probed (at most %d), or only `sample` ports when set. The range is one row in `results`.",
				check.MaxPortsPerCheck),
			Validators: []validator.String{validators.PortRange()},
		},
		"sample": schema.Int64Attribute{
			Optional: true,
			MarkdownDescription: fmt.Sprintf("Probe only this many ports of `port_range`, spread evenly with both "+
				"ends included; at least 2 and at most the size of the range and %d. Only with `port_range`.",
				check.MaxPortsPerCheck),
			// At most the size of the range: validateConfigChecks, which sees both.
			Validators: []validator.Int64{int64validator.Between(2, check.MaxPortsPerCheck)},
		},
		"path": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "For `http` and `https`, the path and query to GET, starting with `/` (default " +
				"`/`); for `rtsp` and `rtsps`, the path of the RTSP URL in the OPTIONS request (default none)." +
				httpOnly,
			Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^/`),
				`must start with "/"`)},
		},
		"expect": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "What the check must find: `open` (the exchange succeeds) or `unreachable` " +
				"(nothing answers from the internet: a management port, coturn's CLI, a database). An `unreachable` " +
				"check passes only when every selected agent sees every port `closed` or `filtered` in " +
				"`consecutive_successes` answers in a row, at least " + fmt.Sprint(verify.MinUnreachableAttempts) +
				" (also for the data source), after every attempt still in flight has answered too; any answer " +
				"from the port (`open`, or `error`: something answered wrongly) fails it at once. It needs an " +
				"agent: with only `local` selected the plan fails, since a port closed from inside says nothing " +
				"about outside, and `local` rows never decide it. A passing row's `status` is `closed` or " +
				"`filtered`. Defaults to `open`.",
			Validators: []validator.String{stringvalidator.OneOf(check.ExpectOpen, check.ExpectUnreachable)},
		},
		"expect_status": schema.Int64Attribute{
			Optional: true,
			MarkdownDescription: "Status code that counts as success: for `http` and `https`, 100 to 599 (default " +
				"`200`); for `sip`, 100 to 699 (default: any SIP response proves a SIP stack, 401 and 404 " +
				"included)." + onlyFor(check.WithOption(check.OptExpectStatus)),
			Validators: []validator.Int64{int64validator.Between(100, 699)},
		},
		"tls": schema.SingleNestedAttribute{
			Optional: true,
			MarkdownDescription: "How to verify the server's TLS, such as `{ server_name = \"media.example.com\" }`." +
				tlsOnly,
			Attributes: tlsAttributes(),
		},
		"turn": schema.SingleNestedAttribute{
			Optional: true,
			MarkdownDescription: "The TURN credentials and what to prove beyond the allocation, such as " +
				"`{ username = \"probe\", password = var.turn_password }`. Required with protocol `turn`, and only for it.",
			Attributes: turnAttributes(),
		},
	}
}

// tlsAttributes are the attributes of a check's tls object.
func tlsAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"server_name": schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: "Name sent in TLS SNI and checked against the certificate. Defaults to `host`.",
			Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"ca_cert_pem": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "PEM CA certificates to verify the server's chain against instead of the " +
				"system roots.",
			Validators: []validator.String{validators.PEMCertificates()},
		},
		"min_cert_validity": schema.StringAttribute{
			CustomType: durationType{},
			Optional:   true,
			MarkdownDescription: "Fail a certificate that expires within this Go duration, such as `168h`. " +
				"Unset, any certificate that is still valid passes.",
			Validators: []validator.String{validators.DurationAtLeast(0)},
		},
	}
}

// turnAttributes are the attributes of a check's turn object.
func turnAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"username": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "TURN user: with `password` (or `password_wo`) the long-term credential; with " +
				"`shared_secret` the user part of the derived TURN REST username `<expiry>:<username>`.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"password": schema.StringAttribute{
			Optional:  true,
			Sensitive: true,
			MarkdownDescription: "TURN long-term password, with `username`. It is stored in state, as sensitive; " +
				"the resource's `password_wo` keeps it out.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"password_wo": schema.StringAttribute{
			Optional:  true,
			WriteOnly: true,
			MarkdownDescription: "`password`, as a write-only argument (Terraform 1.11 and later): never stored in " +
				"plan or state, so it can come from an ephemeral resource. Not with `recheck_on_refresh`, which " +
				"has no configuration to read it from.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"shared_secret": schema.StringAttribute{
			Optional:  true,
			Sensitive: true,
			MarkdownDescription: "TURN REST API secret (coturn's `static-auth-secret` with `use-auth-secret`): " +
				"each attempt derives a username valid for `credential_ttl` and its HMAC-SHA1 password. " +
				"Stored in state, as sensitive; the resource's `shared_secret_wo` keeps it out.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"shared_secret_wo": schema.StringAttribute{
			Optional:  true,
			WriteOnly: true,
			MarkdownDescription: "`shared_secret`, as a write-only argument (Terraform 1.11 and later). Not with " +
				"`recheck_on_refresh`.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"realm": schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: "The realm the TURN server must announce; unset, any.",
			Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"credential_ttl": schema.StringAttribute{
			CustomType: durationType{},
			Optional:   true,
			MarkdownDescription: "How long credentials derived from `shared_secret` are valid, as a Go duration. " +
				"Defaults to `1h`.",
			Validators: []validator.String{validators.DurationAtLeast(time.Second)},
		},
		"relay_check": schema.BoolAttribute{
			Optional: true,
			MarkdownDescription: "Also send a datagram through the relay to a second socket of the prober and " +
				"receive it back: proof that media can flow, not only that authentication works. Defaults to " +
				"`false`.",
		},
		"deny_private_peers": schema.BoolAttribute{
			Optional: true,
			MarkdownDescription: "Pass only if the server refuses permissions toward loopback, unspecified, " +
				"RFC 1918, CGNAT, link-local, multicast and cloud metadata peers (169.254.169.254, " +
				"fd00:ec2::254): an open relay into the private network is a security hole. Only permissions " +
				"are requested; nothing is sent to those peers. Defaults to `false`.",
		},
	}
}

// onlyFor is the sentence that ends the description of an option that only
// some protocols read.
func onlyFor(protocols []string) string {
	return " Only for protocol " + quoteOr(protocols) + "."
}

// quoteOr writes names as "`a`, `b` or `c`".
func quoteOr(names []string) string { return orList(names, "`%s`") }

// protocolSummaries lists what each protocol's exchange proves.
func protocolSummaries() string {
	var parts []string
	for _, p := range check.Protocols() {
		parts = append(parts, p.Summary)
	}
	return strings.Join(parts, ", ")
}

// transportDescription says which protocols take a transport, and their
// choices and defaults.
func transportDescription() string {
	var parts []string
	for _, p := range check.Protocols() {
		if len(p.Transports) > 1 {
			parts = append(parts, fmt.Sprintf("for `%s`, %s (default `%s`)", p.Name, quoteOr(p.Transports), p.Transports[0]))
		}
	}
	return "Transport: " + strings.Join(parts, "; ") + "." + onlyFor(check.WithTransports())
}
