// Package check turns a configured check into what the engine runs: its
// ports, its row label and default name, and its probe. Each protocol is
// declared once, in registry.go.
package check

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

// MaxPortsPerCheck caps how many ports one check may probe: above the 10,001
// of a media server's default RTP range such as LiveKit's 50000-60000,
// below the 65,535 that a typo like 1-65535 would open.
const MaxPortsPerCheck = 16384

// ProbeFunc runs one attempt against one address and port. The context
// carries the attempt's deadline.
type ProbeFunc func(ctx context.Context, t probe.Target) probe.Result

// Check is one configured check ready to run: a protocol exchange on one
// port or on a set of ports (a list, a range, or a sample of one) that is
// reported as one row.
type Check struct {
	Name      string
	Protocol  string
	Transport string
	// Ports to probe; one for a single port. Label is how the row names
	// them, e.g. "3478" or "10000-10999".
	Ports []uint16
	Label string
	Probe ProbeFunc
	// Unreachable is set for expect = "unreachable": the check passes only
	// when nothing answers (see verify.MinUnreachableAttempts).
	Unreachable bool
	// MinInterval, when set, is the least time between the starts of two
	// attempts on one address and port, whatever the poll interval: what
	// keeps a TURN server's allocation quota safe.
	MinInterval time.Duration
}

// Spec is a check as the user configured it.
type Spec struct {
	Name      string `json:"name,omitempty"` // "" = DefaultName
	Protocol  string `json:"protocol"`
	Transport string `json:"transport,omitempty"` // "" = the protocol's first transport
	// Port, or a list of ports (PortList), or else the inclusive range
	// First..Last.
	Port     uint16   `json:"port,omitempty"`
	PortList []uint16 `json:"ports,omitempty"`
	First    uint16   `json:"first,omitempty"`
	Last     uint16   `json:"last,omitempty"`
	// Sample > 0 probes only that many ports of the range, spread evenly,
	// both ends included.
	Sample int `json:"sample,omitempty"`
	// Expect is ExpectOpen ("" means it too) or ExpectUnreachable.
	Expect  string  `json:"expect,omitempty"`
	Options Options `json:"options"`
}

// The accepted Spec.Expect values.
const (
	ExpectOpen        = "open"
	ExpectUnreachable = "unreachable"
)

// Options are the protocol options a Spec may carry; registry.go says which
// protocol reads which.
type Options struct {
	ServerName      string        `json:"server_name,omitempty"` // "" = the host
	CACertPEM       string        `json:"ca_cert_pem,omitempty"` // "" = system roots
	MinCertValidity time.Duration `json:"min_cert_validity_ns,omitempty"`
	Path            string        `json:"path,omitempty"`          // "" = "/"
	ExpectStatus    int           `json:"expect_status,omitempty"` // 0 = 200
	// TURN: long-term credentials (Username and Password) or a TURN REST
	// SharedSecret that credentials valid for CredentialTTL are derived
	// from; Realm, when set, must be the server's.
	Username         string        `json:"username,omitempty"`
	Password         string        `json:"password,omitempty"`
	SharedSecret     string        `json:"shared_secret,omitempty"`
	Realm            string        `json:"realm,omitempty"`
	CredentialTTL    time.Duration `json:"credential_ttl_ns,omitempty"`
	RelayCheck       bool          `json:"relay_check,omitempty"`
	DenyPrivatePeers bool          `json:"deny_private_peers,omitempty"`
}

// Label is how a row names the spec's ports: "3478", "10000-10999", or
// for a list "80,443,8000-8002".
func (s Spec) Label() string {
	switch {
	case s.Port != 0:
		return strconv.Itoa(int(s.Port))
	case len(s.PortList) > 0:
		return strings.ReplaceAll(CompactPorts(s.PortList), " ", "")
	default:
		return fmt.Sprintf("%d-%d", s.First, s.Last)
	}
}

// DefaultName is the row name when none is configured (see DefaultName).
func (s Spec) DefaultName() string {
	return DefaultName(s.Protocol, s.transport(), s.Label())
}

// transport is the configured transport or the protocol's default.
func (s Spec) transport() string {
	if s.Transport != "" {
		return s.Transport
	}
	if p, ok := Lookup(s.Protocol); ok {
		return p.Transports[0]
	}
	return ""
}

// Ports expands the spec into the ports to probe.
func (s Spec) Ports() ([]uint16, error) {
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

// Build validates s and returns the Check the engine runs. now feeds
// certificate checks so tests can pin it.
func (s Spec) Build(now func() time.Time) (Check, error) {
	p, ok := Lookup(s.Protocol)
	if !ok {
		return Check{}, fmt.Errorf("unknown protocol %q (want %s)", s.Protocol, strings.Join(Names(), ", "))
	}
	transport := s.transport()
	if !slices.Contains(p.Transports, transport) {
		return Check{}, fmt.Errorf("transport %q is not valid for protocol %s (want %s)",
			s.Transport, s.Protocol, strings.Join(p.Transports, " or "))
	}
	if s.Expect != "" && s.Expect != ExpectOpen && s.Expect != ExpectUnreachable {
		return Check{}, fmt.Errorf("expect %q is not %q or %q", s.Expect, ExpectOpen, ExpectUnreachable)
	}
	ports, err := s.Ports()
	if err != nil {
		return Check{}, err
	}
	c := Check{Name: s.Name, Protocol: s.Protocol, Transport: transport, Ports: ports, Label: s.Label(),
		MinInterval: p.MinInterval, Unreachable: s.Expect == ExpectUnreachable}
	if c.Name == "" {
		c.Name = s.DefaultName()
	}
	in := ProbeInput{Transport: transport, Options: s.Options, Now: now}
	if s.Options.CACertPEM != "" {
		in.RootCAs = x509.NewCertPool()
		if !in.RootCAs.AppendCertsFromPEM([]byte(s.Options.CACertPEM)) {
			return Check{}, errors.New("ca_cert_pem holds no PEM certificate")
		}
	}
	c.Probe = p.Probe(in)
	return c, nil
}

// CompactPorts writes ports as ranges: "10000-10019, 10050".
func CompactPorts(ports []uint16) string {
	s := slices.Clone(ports)
	slices.Sort(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		// In int: s[j]+1 wraps to 0 at 65535 in uint16.
		for j+1 < len(s) && int(s[j+1]) <= int(s[j])+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(int(s[i])))
		if s[j] != s[i] {
			b.WriteString("-" + strconv.Itoa(int(s[j])))
		}
		i = j + 1
	}
	return b.String()
}
