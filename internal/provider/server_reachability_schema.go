package provider

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/numberdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/provider/validators"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// Defaults, in one place so that Default:, the descriptions, and the data
// source (which has no Default:) agree.
const (
	defaultIPVersion            = "any"
	defaultPollInterval         = "50ms"
	defaultAttemptTimeout       = "2s"
	defaultErrorTimeout         = "2m"
	defaultMaxProbeRate         = 500.0
	defaultConsecutiveSuccesses = 1
	defaultOnFailure            = "error"
	defaultCreateTimeout        = 10 * time.Minute
	defaultUpdateTimeout        = 10 * time.Minute
	defaultReadTimeout          = time.Minute
	minDuration                 = time.Millisecond
	maxConsecutiveSuccesses     = 100
	// max_probe_rate bounds, in attempts per second: one attempt per 100s,
	// and a rate well past any cap (max_concurrency holds at most 4096
	// probes in flight).
	minMaxProbeRate = 0.01
	maxMaxProbeRate = 1e6
)

// The accepted enum values.
var (
	protocols  = check.Names()
	transports = check.Transports()
	ipVersions = []string{string(verify.IPAny), string(verify.IPv4), string(verify.IPv6)}
	onFailures = []string{"error", "warn"}
)

// reachabilitySchemaAttributes are the attributes that the resource and the
// data source share, written with the resource schema types; the data source
// converts them (dataSourceAttributes).
func reachabilitySchemaAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "Identifier: the `host`.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"host": schema.StringAttribute{
			Required: true,
			MarkdownDescription: "The media server to verify: an IP address or a DNS name such as `turn.example.com`, " +
				"without scheme or port. Every A and AAAA address it resolves to is verified (see `ip_version`). " +
				"An unspecified address such as `0.0.0.0` or `::` is refused: it would probe the machine running " +
				"Terraform.",
			Validators:    []validator.String{validators.Host()},
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
		},
		"ip_version": schema.StringAttribute{
			Optional: true,
			Computed: true,
			MarkdownDescription: "Which resolved addresses to verify: `any` (every A and AAAA address), `ipv4` or " +
				"`ipv6`. Defaults to `" + defaultIPVersion + "`.",
			Default:    stringdefault.StaticString(defaultIPVersion),
			Validators: []validator.String{stringvalidator.OneOf(ipVersions...)},
		},
		"checks": schema.ListNestedAttribute{
			Required: true,
			MarkdownDescription: "The protocol exchanges that must succeed, at least one. Each check runs on every " +
				"verified address of `host`.",
			NestedObject: schema.NestedAttributeObject{Attributes: checkAttributes()},
			Validators:   []validator.List{listvalidator.SizeAtLeast(1)},
		},
		"attempt_timeout": schema.StringAttribute{
			CustomType: durationType{},
			Optional:   true,
			Computed:   true,
			MarkdownDescription: "Longest wait for one attempt's answer, as a Go duration such as `500ms` or `5s`, " +
				"at least `1ms`. STUN over UDP retransmits within it. Defaults to `" + defaultAttemptTimeout + "`.",
			Default:    stringdefault.StaticString(defaultAttemptTimeout),
			Validators: []validator.String{validators.DurationAtLeast(minDuration)},
		},
		// A Number, not a Float64: the framework cannot convert a number such
		// as 1e400 to a float64 and reports that as a provider bug before any
		// validator runs; NumberBetween names the attribute and the range.
		"max_probe_rate": schema.NumberAttribute{
			Optional: true,
			Computed: true,
			MarkdownDescription: "Most attempts started per second against this host, from `" +
				formatRate(minMaxProbeRate) + "` to `" + formatRate(maxMaxProbeRate) + "`; keeps " +
				"large port ranges gentle. The cap holds across every `media_server_reachability` resource and " +
				"data source of one provider that verifies the same `host` at the same time: they split it " +
				"evenly, at the lowest rate any of them sets. Defaults to `" + formatRate(defaultMaxProbeRate) + "`.",
			Default:    numberdefault.StaticBigFloat(big.NewFloat(defaultMaxProbeRate)),
			Validators: []validator.Number{validators.NumberBetween(minMaxProbeRate, maxMaxProbeRate)},
		},
		"reachable": schema.BoolAttribute{
			Computed:            true,
			MarkdownDescription: "`true` when every check passed on every verified address at the last verification.",
		},
		"verified_at": schema.StringAttribute{
			CustomType:          timetypes.RFC3339Type{},
			Computed:            true,
			MarkdownDescription: "When the last verification finished, as an RFC 3339 timestamp.",
		},
		"results": schema.ListNestedAttribute{
			Computed: true,
			MarkdownDescription: "One row per check and verified address, in check order and then address order. " +
				"A `port_range` check is one row per address.",
			NestedObject: schema.NestedAttributeObject{Attributes: resultAttributes()},
		},
	}
}

// resourceOnlyAttributes are the resource's polling and lifecycle settings.
func resourceOnlyAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"poll_interval": schema.StringAttribute{
			CustomType: durationType{},
			Optional:   true,
			Computed:   true,
			MarkdownDescription: "Time between the starts of two attempts on a check that has not passed yet, as a Go " +
				"duration such as `100ms` or `1s`, at least `1ms`. A new attempt starts every interval even while " +
				"earlier ones still wait out `attempt_timeout`, so a port that opens is seen within one interval. " +
				"Defaults to `" + defaultPollInterval + "`.",
			Default:    stringdefault.StaticString(defaultPollInterval),
			Validators: []validator.String{validators.DurationAtLeast(minDuration)},
		},
		"error_timeout": schema.StringAttribute{
			CustomType: durationType{},
			Optional:   true,
			Computed:   true,
			MarkdownDescription: "How long a check may keep answering wrongly (status `error`: a certificate that " +
				"does not verify, an unexpected HTTP status, another service on the port) before the verification " +
				"fails, as a Go duration such as `30s` or `5m`, at most the `create` and `update` timeouts. Every " +
				"answer in that time must have been `error`: a certificate or an app that is still deploying gets " +
				"that long. `closed` and `filtered` ports wait for the whole timeout, since a booting server looks " +
				"like that. Defaults to `" + defaultErrorTimeout + "`.",
			Default:    stringdefault.StaticString(defaultErrorTimeout),
			Validators: []validator.String{validators.DurationAtLeast(minDuration)},
		},
		"consecutive_successes": schema.Int64Attribute{
			Optional: true,
			Computed: true,
			MarkdownDescription: fmt.Sprintf("Successful attempts in a row that each address and port needs to pass, "+
				"from 1 to %d. Defaults to `%d`.", maxConsecutiveSuccesses, defaultConsecutiveSuccesses),
			Default:    int64default.StaticInt64(defaultConsecutiveSuccesses),
			Validators: []validator.Int64{int64validator.Between(1, maxConsecutiveSuccesses)},
		},
		"on_failure": schema.StringAttribute{
			Optional: true,
			Computed: true,
			MarkdownDescription: "What a failed verification does: `error` fails the apply and saves nothing; `warn` " +
				"saves the resource with `reachable = false` and shows a warning, unless the timeout ended before " +
				"some result had any status (its ports were still waiting behind `max_probe_rate` or the " +
				"provider's `max_concurrency`); then the apply fails. While `reachable` is `false`, every plan " +
				"shows an in-place update that verifies again, so the next apply retries until it passes. " +
				"Defaults to `" + defaultOnFailure + "`.",
			Default:    stringdefault.StaticString(defaultOnFailure),
			Validators: []validator.String{stringvalidator.OneOf(onFailures...)},
		},
		"triggers": schema.MapAttribute{
			ElementType: types.StringType,
			Optional:    true,
			MarkdownDescription: "Arbitrary strings, such as an instance ID; changing any of them replaces the " +
				"resource and so verifies again.",
			PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplace()},
		},
		"recheck_on_refresh": schema.BoolAttribute{
			Optional: true,
			Computed: true,
			MarkdownDescription: "When `true`, every refresh probes each check again, each port until its first " +
				"answer (a silent one until the `read` timeout, default `1m`); if " +
				"one no longer passes, the resource leaves the state, so the next plan creates it and the apply " +
				"blocks again until it is fixed. Defaults to `false`.",
			Default: booldefault.StaticBool(false),
		},
	}
}

func checkAttributes() map[string]schema.Attribute {
	tlsOnly := onlyFor(check.WithOption(check.OptServerName))
	httpOnly := onlyFor(check.WithOption(check.OptPath))
	turnOnly := onlyFor(check.WithOption(check.OptUsername))
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
		"server_name": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Name sent in TLS SNI and checked against the certificate. Defaults to `host`." +
				tlsOnly,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"ca_cert_pem": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "PEM CA certificates to verify the server's chain against instead of the " +
				"system roots." + tlsOnly,
			Validators: []validator.String{validators.PEMCertificates()},
		},
		"min_cert_validity": schema.StringAttribute{
			CustomType: durationType{},
			Optional:   true,
			MarkdownDescription: "Fail a certificate that expires within this Go duration, such as `168h`. " +
				"Unset, any certificate that is still valid passes." + tlsOnly,
			Validators: []validator.String{validators.DurationAtLeast(0)},
		},
		"path": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "For `http` and `https`, the path and query to GET, starting with `/` (default " +
				"`/`); for `rtsp` and `rtsps`, the path of the RTSP URL in the OPTIONS request (default none)." +
				httpOnly,
			Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^/`),
				`must start with "/"`)},
		},
		"expect_status": schema.Int64Attribute{
			Optional: true,
			MarkdownDescription: "Status code that counts as success: for `http` and `https`, 100 to 599 (default " +
				"`200`); for `sip`, 100 to 699 (default: any SIP response proves a SIP stack, 401 and 404 " +
				"included)." + onlyFor(check.WithOption(check.OptExpectStatus)),
			Validators: []validator.Int64{int64validator.Between(100, 699)},
		},
		"username": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "TURN user: with `password` (or `password_wo`) the long-term credential; with " +
				"`shared_secret` the user part of the derived TURN REST username `<expiry>:<username>`." + turnOnly,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"password": schema.StringAttribute{
			Optional:  true,
			Sensitive: true,
			MarkdownDescription: "TURN long-term password, with `username`. It is stored in state, as sensitive; " +
				"`password_wo` keeps it out." + turnOnly,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"password_wo": schema.StringAttribute{
			Optional:  true,
			WriteOnly: true,
			MarkdownDescription: "`password`, as a write-only argument (Terraform 1.11 and later): never stored in " +
				"plan or state, so it can come from an ephemeral resource. Not with `recheck_on_refresh`, which " +
				"has no configuration to read it from." + turnOnly,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"shared_secret": schema.StringAttribute{
			Optional:  true,
			Sensitive: true,
			MarkdownDescription: "TURN REST API secret (coturn's `static-auth-secret` with `use-auth-secret`): " +
				"each attempt derives a username valid for `credential_ttl` and its HMAC-SHA1 password. " +
				"Stored in state, as sensitive; `shared_secret_wo` keeps it out." + turnOnly,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"shared_secret_wo": schema.StringAttribute{
			Optional:  true,
			WriteOnly: true,
			MarkdownDescription: "`shared_secret`, as a write-only argument (Terraform 1.11 and later). Not with " +
				"`recheck_on_refresh`." + turnOnly,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"realm": schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: "The realm the TURN server must announce; unset, any." + turnOnly,
			Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"credential_ttl": schema.StringAttribute{
			CustomType: durationType{},
			Optional:   true,
			MarkdownDescription: "How long credentials derived from `shared_secret` are valid, as a Go duration. " +
				"Defaults to `1h`." + turnOnly,
			Validators: []validator.String{validators.DurationAtLeast(time.Second)},
		},
		"relay_check": schema.BoolAttribute{
			Optional: true,
			MarkdownDescription: "Also send a datagram through the relay to a second socket of the prober and " +
				"receive it back: proof that media can flow, not only that authentication works. Defaults to " +
				"`false`." + turnOnly,
		},
		"deny_private_peers": schema.BoolAttribute{
			Optional: true,
			MarkdownDescription: "Pass only if the server refuses permissions toward loopback, unspecified, " +
				"RFC 1918, CGNAT, link-local, multicast and cloud metadata peers (169.254.169.254, " +
				"fd00:ec2::254): an open relay into the private network is a security hole. Only permissions " +
				"are requested; nothing is sent to those peers. Defaults to `false`." + turnOnly,
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

// formatRate writes a rate as the descriptions quote it: 0.01, 500, 1000000.
func formatRate(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func resultAttributes() map[string]schema.Attribute {
	str := func(d string) schema.Attribute { return schema.StringAttribute{Computed: true, MarkdownDescription: d} }
	return map[string]schema.Attribute{
		"name":      str("The check's `name`, or its default."),
		"protocol":  str(quoteOr(check.Names()) + "."),
		"transport": str(quoteOr(check.Transports()) + "."),
		"port":      str("The port (`3478`) or range (`10000-10999`) probed, as a string."),
		"address":   str("The IP address probed."),
		"vantage":   str("Where the probe ran from: `local` (the machine running Terraform)."),
		"status": str("What the network answered: `open` (the exchange succeeded), `closed` (refused or ICMP " +
			"unreachable), `filtered` (no answer until `attempt_timeout`, or until the operation's timeout cut " +
			"the attempt short), or `error` (something answered wrongly, such as a bad certificate or an " +
			"unexpected HTTP status). A range has its worst failing port's status. A row that did not pass is " +
			"`open` when its ports answered, but not `consecutive_successes` times in a row yet."),
		"rtt_ms": schema.Float64Attribute{Computed: true, MarkdownDescription: "Round trip of the last successful " +
			"attempt, in milliseconds; null when none succeeded."},
		"attempts": schema.Int64Attribute{Computed: true, MarkdownDescription: "Attempts made, on the port that " +
			"needed the most."},
		"mapped_address": str("STUN only: the address and port the server saw the probe come from; null otherwise."),
		"detail": str("The last error, the failing ports of a range (`filtered: 10500-10999`), or details of a " +
			"success such as the certificate expiry; null when there is nothing to say."),
	}
}
