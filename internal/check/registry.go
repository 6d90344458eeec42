package check

import (
	"context"
	"crypto/x509"
	"slices"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
)

// Protocol is everything the provider and the engine know of one protocol.
// Adding a protocol is a probe in internal/probe, one entry in registry,
// and, for a new option, its schema attribute.
type Protocol struct {
	Name string
	// Summary says what must succeed, for the schema's description.
	Summary string
	// Transports it runs over; the first is the default.
	Transports []string
	// Options names the check options it reads (see Options), as the
	// schema spells them.
	Options []string
	// Probe returns the attempt function for one check.
	Probe func(ProbeInput) ProbeFunc
	// ErrorHint is the likely cause of an "error" status, for messages:
	// something answered, but not as this protocol should.
	ErrorHint string
}

// ProbeInput is what Build hands a protocol's Probe.
type ProbeInput struct {
	Transport string
	Options   Options
	RootCAs   *x509.CertPool // parsed from Options.CACertPEM; nil = system roots
	Now       func() time.Time
}

// The option names, as the schema spells them.
const (
	OptServerName      = "server_name"
	OptCACertPEM       = "ca_cert_pem"
	OptMinCertValidity = "min_cert_validity"
	OptPath            = "path"
	OptExpectStatus    = "expect_status"
)

var (
	tlsOptions  = []string{OptServerName, OptCACertPEM, OptMinCertValidity}
	httpOptions = []string{OptPath, OptExpectStatus}
)

// registry holds every protocol, in the order the docs list them.
var registry = []Protocol{
	{
		Name:       "tcp",
		Summary:    "`tcp` (handshake completes)",
		Transports: []string{"tcp"},
		Probe: func(ProbeInput) ProbeFunc {
			return func(ctx context.Context, t probe.Target) probe.Result { return probe.TCP(ctx, t, probe.TCPOptions{}) }
		},
		ErrorHint: "likely a different service answered on that port",
	},
	{
		Name:       "stun",
		Summary:    "`stun` (a STUN Binding request gets any STUN answer with our transaction ID)",
		Transports: []string{"udp", "tcp"},
		Probe: func(in ProbeInput) ProbeFunc {
			o := probe.STUNOptions{Transport: in.Transport}
			return func(ctx context.Context, t probe.Target) probe.Result { return probe.STUN(ctx, t, o) }
		},
		ErrorHint: "likely a different service answered on that port (or a TLS-terminating load balancer sits in " +
			"front of STUN)",
	},
	{
		Name:       "tls",
		Summary:    "`tls` (handshake and certificate chain verified)",
		Transports: []string{"tcp"},
		Options:    tlsOptions,
		Probe: func(in ProbeInput) ProbeFunc {
			o := probe.TLSOptions{ServerName: in.Options.ServerName, RootCAs: in.RootCAs,
				MinValidity: in.Options.MinCertValidity, Now: in.Now}
			return func(ctx context.Context, t probe.Target) probe.Result { return probe.TLS(ctx, t, o) }
		},
		ErrorHint: "likely a certificate problem (name, chain or expiry: see server_name, ca_cert_pem and " +
			"min_cert_validity) or a service on that port that does not speak TLS",
	},
	{
		Name:       "http",
		Summary:    "`http` (GET `path` returns `expect_status`)",
		Transports: []string{"tcp"},
		Options:    httpOptions,
		Probe:      httpProbe(false),
		ErrorHint:  "likely the server answered with another status than expect_status, or a different service is on that port",
	},
	{
		Name:       "https",
		Summary:    "`https` (as `http`, over verified TLS)",
		Transports: []string{"tcp"},
		Options:    append(slices.Clone(tlsOptions), httpOptions...),
		Probe:      httpProbe(true),
		ErrorHint:  "likely the server answered with another status than expect_status, or a different service is on that port",
	},
}

func httpProbe(tls bool) func(ProbeInput) ProbeFunc {
	return func(in ProbeInput) ProbeFunc {
		o := probe.HTTPOptions{TLS: tls, Path: in.Options.Path, ExpectStatus: in.Options.ExpectStatus,
			ServerName: in.Options.ServerName, RootCAs: in.RootCAs, MinValidity: in.Options.MinCertValidity, Now: in.Now}
		return func(ctx context.Context, t probe.Target) probe.Result { return probe.HTTP(ctx, t, o) }
	}
}

// Lookup returns the protocol called name.
func Lookup(name string) (Protocol, bool) {
	i := slices.IndexFunc(registry, func(p Protocol) bool { return p.Name == name })
	if i < 0 {
		return Protocol{}, false
	}
	return registry[i], true
}

// Protocols returns every protocol, in registry order.
func Protocols() []Protocol { return slices.Clone(registry) }

// Names returns every protocol's name, in registry order.
func Names() []string {
	names := make([]string, len(registry))
	for i, p := range registry {
		names[i] = p.Name
	}
	return names
}

// transportOrder is the order in which messages list transports.
var transportOrder = []string{"udp", "tcp", "tls"}

// Transports returns every transport that some protocol runs over.
func Transports() []string {
	var all []string
	for _, t := range transportOrder {
		if slices.ContainsFunc(registry, func(p Protocol) bool { return slices.Contains(p.Transports, t) }) {
			all = append(all, t)
		}
	}
	return all
}

// WithOption returns the protocols that read option, in registry order.
func WithOption(option string) []string {
	var names []string
	for _, p := range registry {
		if slices.Contains(p.Options, option) {
			names = append(names, p.Name)
		}
	}
	return names
}

// WithTransports returns the protocols that run over more than one
// transport: only they accept the transport option.
func WithTransports() []string {
	var names []string
	for _, p := range registry {
		if len(p.Transports) > 1 {
			names = append(names, p.Name)
		}
	}
	return names
}

// DefaultName is the name of a check the user did not name: "tcp/443",
// "stun/3478/udp", "stun/10000-10999/udp". A protocol with several
// transports names the transport too. label is the port or range label.
func DefaultName(protocol, transport, label string) string {
	if p, ok := Lookup(protocol); ok && len(p.Transports) > 1 {
		return protocol + "/" + label + "/" + transport
	}
	return protocol + "/" + label
}

// RowLabel is how messages name a check's protocol: "stun/udp", "tls".
func RowLabel(protocol, transport string) string {
	if p, ok := Lookup(protocol); ok && len(p.Transports) > 1 {
		return protocol + "/" + transport
	}
	return protocol
}
