package verify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
)

// CheckSpec is a check as the user configured it, before it is turned into a
// Check with a probe function. The provider fills it from Terraform config;
// the engine owns the mapping to probe options so the provider stays free of
// network code.
type CheckSpec struct {
	Name      string // "" = DefaultName
	Protocol  string // tcp, stun, tls, http, https
	Transport string // stun only: udp (default) or tcp
	// Port, or a list of ports (PortList), or else the inclusive range
	// First..Last.
	Port        uint16
	PortList    []uint16
	First, Last uint16
	// Sample > 0 probes only that many ports of the range, spread evenly,
	// both ends included.
	Sample int
	// TLS and HTTPS.
	ServerName      string // "" = the host
	CACertPEM       string // "" = system roots
	MinCertValidity time.Duration
	// HTTP and HTTPS.
	Path         string // "" = "/"
	ExpectStatus int    // 0 = 200
}

// Label is how a row names the spec's ports: "3478", "10000-10999", or
// for a list "80,443,8000-8002".
func (s CheckSpec) Label() string {
	switch {
	case s.Port != 0:
		return strconv.Itoa(int(s.Port))
	case len(s.PortList) > 0:
		return strings.ReplaceAll(CompactPorts(s.PortList), " ", "")
	default:
		return fmt.Sprintf("%d-%d", s.First, s.Last)
	}
}

// DefaultName is the row name when none is configured (see
// DefaultCheckName).
func (s CheckSpec) DefaultName() string {
	return DefaultCheckName(s.Protocol, s.transport(), s.Label())
}

// DefaultCheckName is the name of a check the user did not name: "tcp/443",
// "stun/3478/udp", "stun/10000-10999/udp". label is the port or range label.
func DefaultCheckName(protocol, transport, label string) string {
	if protocol == "stun" {
		return "stun/" + label + "/" + transport
	}
	return protocol + "/" + label
}

func (s CheckSpec) transport() string {
	switch {
	case s.Protocol == "stun" && s.Transport != "":
		return s.Transport
	case s.Protocol == "stun":
		return "udp"
	default:
		return "tcp"
	}
}

// Ports expands the spec into the ports to probe.
func (s CheckSpec) Ports() ([]uint16, error) {
	if s.Port != 0 {
		return []uint16{s.Port}, nil
	}
	if len(s.PortList) > 0 {
		ports := slices.Compact(slices.Sorted(slices.Values(s.PortList)))
		if ports[0] == 0 {
			return nil, errors.New("port 0 in ports")
		}
		if len(ports) > MaxPortsPerCheck {
			return nil, fmt.Errorf("ports lists %d ports, more than the %d allowed", len(ports), MaxPortsPerCheck)
		}
		return ports, nil
	}
	if s.First == 0 || s.Last < s.First {
		return nil, fmt.Errorf("port range %d-%d is empty or starts at 0", s.First, s.Last)
	}
	n := int(s.Last) - int(s.First) + 1
	if s.Sample > 0 && s.Sample < n {
		return samplePorts(s.First, s.Last, s.Sample), nil
	}
	if n > MaxPortsPerCheck {
		return nil, fmt.Errorf("port range %s has %d ports, more than the %d allowed; set sample", s.Label(), n, MaxPortsPerCheck)
	}
	ports := make([]uint16, 0, n)
	for p := int(s.First); p <= int(s.Last); p++ {
		ports = append(ports, uint16(p))
	}
	return ports, nil
}

// samplePorts spreads k ports evenly over first..last, both ends included.
func samplePorts(first, last uint16, k int) []uint16 {
	if k == 1 {
		return []uint16{first}
	}
	span := int(last) - int(first)
	ports := make([]uint16, 0, k)
	for i := 0; i < k; i++ {
		p := uint16(int(first) + i*span/(k-1))
		if len(ports) == 0 || ports[len(ports)-1] != p {
			ports = append(ports, p)
		}
	}
	return ports
}

// Build validates s and returns the Check the engine runs. now feeds the
// certificate-validity check of tls and https so tests can pin it.
func (s CheckSpec) Build(now func() time.Time) (Check, error) {
	ports, err := s.Ports()
	if err != nil {
		return Check{}, err
	}
	c := Check{
		Name:      s.Name,
		Protocol:  s.Protocol,
		Transport: s.transport(),
		Ports:     ports,
		Label:     s.Label(),
	}
	if c.Name == "" {
		c.Name = s.DefaultName()
	}
	if s.Transport != "" && s.Protocol != "stun" && s.Transport != "tcp" {
		return Check{}, fmt.Errorf("transport %q is only valid for protocol stun", s.Transport)
	}
	var roots *x509.CertPool
	if s.CACertPEM != "" {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM([]byte(s.CACertPEM)) {
			return Check{}, errors.New("ca_cert_pem holds no PEM certificate")
		}
	}
	switch s.Protocol {
	case "tcp":
		c.Probe = func(ctx context.Context, t probe.Target) probe.Result {
			return probe.TCP(ctx, t, probe.TCPOptions{})
		}
	case "stun":
		o := probe.STUNOptions{Transport: c.Transport}
		c.Probe = func(ctx context.Context, t probe.Target) probe.Result {
			return probe.STUN(ctx, t, o)
		}
	case "tls":
		o := probe.TLSOptions{ServerName: s.ServerName, RootCAs: roots, MinValidity: s.MinCertValidity, Now: now}
		c.Probe = func(ctx context.Context, t probe.Target) probe.Result {
			return probe.TLS(ctx, t, o)
		}
	case "http", "https":
		o := probe.HTTPOptions{TLS: s.Protocol == "https", Path: s.Path, ExpectStatus: s.ExpectStatus,
			ServerName: s.ServerName, RootCAs: roots, MinValidity: s.MinCertValidity, Now: now}
		c.Probe = func(ctx context.Context, t probe.Target) probe.Result {
			return probe.HTTP(ctx, t, o)
		}
	default:
		return Check{}, fmt.Errorf("unknown protocol %q (want tcp, stun, tls, http or https)", s.Protocol)
	}
	return c, nil
}
