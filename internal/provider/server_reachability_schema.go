package provider

import (
	"fmt"
	"math/big"
	"strconv"
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
	"github.com/mediareach/terraform-provider-media/internal/probe"
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
		"vantage_points": schema.ListAttribute{
			ElementType: types.StringType,
			Optional:    true,
			MarkdownDescription: "Where to verify from, by name: `local` is the machine running Terraform, any other " +
				"name an agent of the provider block. Every check must pass from every vantage point listed; they " +
				"verify at the same time, each under the same timeout. A vantage point that fails (an agent that cannot " +
				"be reached, or that refuses the token or the target) never counts as a pass. Defaults to every " +
				"configured agent, or `[\"local\"]` when the provider has none.",
			Validators: []validator.List{
				listvalidator.SizeAtLeast(1),
				listvalidator.UniqueValues(),
				listvalidator.ValueStringsAre(stringvalidator.RegexMatches(vantageNamePattern,
					"must be lowercase letters, digits and -")),
			},
		},
		"require_external": schema.BoolAttribute{
			Optional: true,
			Computed: true,
			MarkdownDescription: "When `true`, only the agents' results count: probes from the machine running " +
				"Terraform (`local`) may come from inside the server's network, where a port can answer that the " +
				"internet cannot reach. `vantage_points` must then select at least one agent, or the plan fails. " +
				"When it also selects `local`, the local rows stay in `results` but do not decide `reachable`, " +
				"and the local verification stops as soon as every agent has finished: local rows that had no " +
				"answer by then are left out. Defaults to `false`.",
			Default: booldefault.StaticBool(false),
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
			Computed: true,
			MarkdownDescription: "`true` when every check passed on every verified address, from every vantage point, at the last " +
				"verification.",
		},
		"verified_at": schema.StringAttribute{
			CustomType:          timetypes.RFC3339Type{},
			Computed:            true,
			MarkdownDescription: "When the last verification finished, as an RFC 3339 timestamp.",
		},
		"results": schema.ListNestedAttribute{
			Computed: true,
			MarkdownDescription: "One row per vantage point, check and verified address, in `vantage_points` " +
				"order, then check order, then address order. A `port_range` check is one row per address.",
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
				"`turn` checks start an attempt at most every " + probe.TURNMinInterval.String() + " per address " +
				"and port, whatever this interval, so that overlapping allocations stay within a server's quota. " +
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
		"vantage":   str("Where the probe ran from: `local` (the machine running Terraform) or an agent's name."),
		"status": str("What the network answered: `open` (the exchange succeeded), `closed` (refused or ICMP " +
			"unreachable), `filtered` (no answer until `attempt_timeout`, or until the operation's timeout cut " +
			"the attempt short), or `error` (something answered wrongly, such as a bad certificate or an " +
			"unexpected HTTP status). A range has its worst failing port's status. A row that did not pass is " +
			"`open` when its ports answered, but not `consecutive_successes` times in a row yet."),
		"rtt_ms": schema.Float64Attribute{Computed: true, MarkdownDescription: "Round trip of the last successful " +
			"attempt, in milliseconds; null when none succeeded."},
		"attempts": schema.Int64Attribute{Computed: true, MarkdownDescription: "Attempts that finished (answered, " +
			"or timed out after `attempt_timeout`), on the port that needed the most. Attempts overlap, one starting " +
			"every `poll_interval`: those still in flight when the verdict came are not counted, so a lost packet " +
			"that a later attempt made up for may not show."},
		"mapped_address": str("STUN only: the address and port the server saw the probe come from; null otherwise."),
		"detail": str("The last error, the failing ports of a range (`filtered: 10500-10999`), or details of a " +
			"success such as the certificate expiry; null when there is nothing to say."),
	}
}
