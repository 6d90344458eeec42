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
	// TLSTransport, when set, is the one transport over which the protocol
	// speaks TLS; the TLS options apply only with it.
	TLSTransport string
	// MinInterval is Check.MinInterval for this protocol's checks.
	MinInterval time.Duration
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
	OptUsername        = "username"
	OptPassword        = "password"
	OptSharedSecret    = "shared_secret"
	OptRealm           = "realm"
	OptCredentialTTL   = "credential_ttl"
	OptRelayCheck      = "relay_check"
	OptDenyPrivate     = "deny_private_peers"
)

var (
	tlsOptions  = []string{OptServerName, OptCACertPEM, OptMinCertValidity}
	httpOptions = []string{OptPath, OptExpectStatus}
	turnOptions = []string{OptUsername, OptPassword, OptSharedSecret, OptRealm, OptCredentialTTL, OptRelayCheck, OptDenyPrivate}
)

// registry holds every protocol, in the order the docs list them.
var registry = append(webProtocols, mediaProtocols...)

// webProtocols: the network and web checks.
var webProtocols = []Protocol{
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
		Name:         "stun",
		Summary:      "`stun` (a STUN Binding request gets any STUN answer with our transaction ID)",
		Transports:   []string{"udp", "tcp", "tls"},
		Options:      tlsOptions,
		TLSTransport: "tls",
		Probe: func(in ProbeInput) ProbeFunc {
			o := probe.STUNOptions{Transport: in.Transport, TLS: tlsProbeOptions(in)}
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
			o := tlsProbeOptions(in)
			return func(ctx context.Context, t probe.Target) probe.Result { return probe.TLS(ctx, t, o) }
		},
		ErrorHint: "likely a certificate problem (name, chain or expiry: see tls.server_name, tls.ca_cert_pem and " +
			"tls.min_cert_validity) or a service on that port that does not speak TLS",
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

// media protocols: TURN, SIP, RTSP, RTMP and SRT, each proven by its first
// exchange, leaving no session behind.
var mediaProtocols = []Protocol{
	{
		Name: "turn",
		Summary: "`turn` (an Allocate with the credentials succeeds and is released; optionally a datagram " +
			"through the relay, and private peers refused)",
		Transports:   []string{"udp", "tcp", "tls"},
		Options:      append(slices.Clone(tlsOptions), turnOptions...),
		TLSTransport: "tls",
		MinInterval:  probe.TURNMinInterval,
		Probe: func(in ProbeInput) ProbeFunc {
			o := probe.TURNOptions{
				Transport: in.Transport, Username: in.Options.Username, Password: in.Options.Password,
				SharedSecret: in.Options.SharedSecret, CredentialTTL: in.Options.CredentialTTL,
				Realm: in.Options.Realm, RelayCheck: in.Options.RelayCheck,
				DenyPrivatePeers: in.Options.DenyPrivatePeers, TLS: tlsProbeOptions(in), Now: in.Now,
			}
			return func(ctx context.Context, t probe.Target) probe.Result { return probe.TURN(ctx, t, o) }
		},
		ErrorHint: "likely a STUN-only server or another service is on that port, or it refused the allocation",
	},
	{
		Name: "sip",
		Summary: "`sip` (an OPTIONS request gets a SIP response with our Call-ID and CSeq: any status, " +
			"such as 200, 401 or 404, unless `expect_status` is set)",
		Transports:   []string{"udp", "tcp", "tls"},
		Options:      append(slices.Clone(tlsOptions), OptExpectStatus),
		TLSTransport: "tls",
		Probe: func(in ProbeInput) ProbeFunc {
			o := probe.SIPOptions{Transport: in.Transport, ExpectStatus: in.Options.ExpectStatus, TLSOptions: tlsProbeOptions(in)}
			return func(ctx context.Context, t probe.Target) probe.Result { return probe.SIP(ctx, t, o) }
		},
		ErrorHint: "likely a different service answered on that port, or the SIP server answered with another " +
			"status than expect_status",
	},
	{
		Name:       "rtsp",
		Summary:    "`rtsp` (an RTSP OPTIONS request for `path` gets any RTSP status with our CSeq, 401 included)",
		Transports: []string{"tcp"},
		Options:    []string{OptPath},
		Probe:      rtspProbe(false),
		ErrorHint:  "likely a different service answered on that port",
	},
	{
		Name:       "rtsps",
		Summary:    "`rtsps` (as `rtsp`, over verified TLS)",
		Transports: []string{"tcp"},
		Options:    append(slices.Clone(tlsOptions), OptPath),
		Probe:      rtspProbe(true),
		ErrorHint: "likely a certificate problem (see tls.server_name, tls.ca_cert_pem and tls.min_cert_validity) or a " +
			"different service on that port",
	},
	{
		Name:       "rtmp",
		Summary:    "`rtmp` (the RTMP version 3 handshake completes; no stream is opened)",
		Transports: []string{"tcp"},
		Probe: func(ProbeInput) ProbeFunc {
			return func(ctx context.Context, t probe.Target) probe.Result { return probe.RTMP(ctx, t, probe.RTMPOptions{}) }
		},
		ErrorHint: "likely a different service answered on that port (or it expects rtmps)",
	},
	{
		Name:       "rtmps",
		Summary:    "`rtmps` (as `rtmp`, over verified TLS)",
		Transports: []string{"tcp"},
		Options:    tlsOptions,
		Probe: func(in ProbeInput) ProbeFunc {
			o := probe.RTMPOptions{TLS: new(tlsProbeOptions(in))}
			return func(ctx context.Context, t probe.Target) probe.Result { return probe.RTMP(ctx, t, o) }
		},
		ErrorHint: "likely a certificate problem (see tls.server_name, tls.ca_cert_pem and tls.min_cert_validity) or a " +
			"service on that port that does not speak RTMP over TLS",
	},
	{
		Name: "srt",
		Summary: "`srt` (an SRT caller's induction request gets the listener's induction response; the " +
			"connection is never concluded)",
		Transports: []string{"udp"},
		Probe: func(ProbeInput) ProbeFunc {
			return func(ctx context.Context, t probe.Target) probe.Result { return probe.SRT(ctx, t, probe.SRTOptions{}) }
		},
		ErrorHint: "likely a different service answered on that port, or an SRT listener older than SRT 1.3",
	},
}

func tlsProbeOptions(in ProbeInput) probe.TLSOptions {
	return probe.TLSOptions{ServerName: in.Options.ServerName, RootCAs: in.RootCAs,
		MinValidity: in.Options.MinCertValidity, Now: in.Now}
}

func rtspProbe(tls bool) func(ProbeInput) ProbeFunc {
	return func(in ProbeInput) ProbeFunc {
		o := probe.RTSPOptions{TLS: tls, Path: in.Options.Path, TLSOptions: tlsProbeOptions(in)}
		return func(ctx context.Context, t probe.Target) probe.Result { return probe.RTSP(ctx, t, o) }
	}
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
