package check_test

import (
	"slices"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/check"
)

func TestCompactPorts(t *testing.T) {
	for _, tc := range []struct {
		in   []uint16
		want string
	}{
		{nil, ""},
		{[]uint16{5}, "5"},
		{[]uint16{3, 1, 2}, "1-3"},
		{[]uint16{1, 2, 4, 6, 7, 7}, "1-2, 4, 6-7"},
		{[]uint16{65534, 65535}, "65534-65535"},
		{[]uint16{65535, 65534, 65535}, "65534-65535"},
	} {
		if got := check.CompactPorts(tc.in); got != tc.want {
			t.Errorf("CompactPorts(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSpecPorts(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec check.Spec
		want []uint16
	}{
		{"single", check.Spec{Port: 443}, []uint16{443}},
		{"range", check.Spec{First: 10, Last: 13}, []uint16{10, 11, 12, 13}},
		{"sample keeps both ends", check.Spec{First: 10000, Last: 10999, Sample: 5}, []uint16{10000, 10249, 10499, 10749, 10999}},
		{"sample larger than range", check.Spec{First: 1, Last: 2, Sample: 10}, []uint16{1, 2}},
		{"list sorted without duplicates", check.Spec{PortList: []uint16{443, 80, 443, 8443}}, []uint16{80, 443, 8443}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.spec.Ports()
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("Ports() = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := (check.Spec{First: 1, Last: 65535}).Ports(); err == nil {
		t.Fatal("a 65535-port range without sample must be refused")
	}
}

func TestSpecNames(t *testing.T) {
	for _, tc := range []struct {
		spec check.Spec
		want string
	}{
		{check.Spec{Protocol: "tcp", Port: 443}, "tcp/443"},
		{check.Spec{Protocol: "stun", Port: 3478}, "stun/3478/udp"},
		{check.Spec{Protocol: "stun", Transport: "tcp", First: 1, Last: 9}, "stun/1-9/tcp"},
		{check.Spec{Protocol: "tcp", PortList: []uint16{8002, 80, 8000, 443, 8001}}, "tcp/80,443,8000-8002"},
	} {
		if got := tc.spec.DefaultName(); got != tc.want {
			t.Errorf("DefaultName() = %q, want %q", got, tc.want)
		}
	}
}

// Every protocol is declared whole: a default transport, a probe, an error
// hint, and only options that some schema attribute carries.
func TestRegistryEntriesAreComplete(t *testing.T) {
	known := []string{check.OptServerName, check.OptCACertPEM, check.OptMinCertValidity, check.OptPath, check.OptExpectStatus,
		check.OptUsername, check.OptPassword, check.OptSharedSecret, check.OptRealm, check.OptCredentialTTL,
		check.OptRelayCheck, check.OptDenyPrivate}
	for _, p := range check.Protocols() {
		if len(p.Transports) == 0 || p.Probe == nil || p.ErrorHint == "" || p.Summary == "" {
			t.Errorf("%s: incomplete entry %+v", p.Name, p)
		}
		for _, o := range p.Options {
			if !slices.Contains(known, o) {
				t.Errorf("%s: unknown option %q", p.Name, o)
			}
		}
		spec := check.Spec{Protocol: p.Name, Port: 1}
		c, err := spec.Build(nil)
		if err != nil || c.Transport != p.Transports[0] || c.Probe == nil {
			t.Errorf("%s: Build = %+v, %v", p.Name, c, err)
		}
	}
}

// A transport the protocol does not run over is refused, naming the ones it
// does; an unknown protocol names every known one.
func TestBuildRefusesWhatTheRegistryDoesNot(t *testing.T) {
	if _, err := (check.Spec{Protocol: "tls", Transport: "udp", Port: 443}).Build(nil); err == nil ||
		err.Error() != `transport "udp" is not valid for protocol tls (want tcp)` {
		t.Errorf("tls over udp: %v", err)
	}
	if _, err := (check.Spec{Protocol: "sctp", Port: 1}).Build(nil); err == nil ||
		err.Error() != `unknown protocol "sctp" (want tcp, stun, tls, http, https, turn, sip, rtsp, rtsps, rtmp, rtmps, srt)` {
		t.Errorf("sctp: %v", err)
	}
	if got := check.WithOption(check.OptPath); !slices.Equal(got, []string{"http", "https", "rtsp", "rtsps"}) {
		t.Errorf("WithOption(path) = %v", got)
	}
	if got := check.WithTransports(); !slices.Equal(got, []string{"stun", "turn", "sip"}) {
		t.Errorf("WithTransports() = %v", got)
	}
}

func TestTransportsListEveryTransportOnce(t *testing.T) {
	if got := check.Transports(); !slices.Equal(got, []string{"udp", "tcp", "tls"}) {
		t.Errorf("Transports() = %v", got)
	}
}
