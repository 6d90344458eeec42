package probe

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// STUN over TLS judges the handshake as the tls probe does, then runs the
// stream exchange on the TLS connection.
func TestSTUNOverTLS(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t) // localhost, 127.0.0.1, ::1
	cfg := &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, certPEM, keyPEM)}}
	stuns := testnet.STUNOverTLS(t, cfg)
	_, _, otherPool := testnet.Cert(t)
	shortPEM, shortKey, shortPool := testnet.CertValidFor(t, 71*time.Hour+30*time.Minute)
	short := testnet.STUNOverTLS(t, &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, shortPEM, shortKey)}})

	tests := []struct {
		name    string
		port    uint16
		opts    TLSOptions
		status  Status
		cause   string // prefix
		detail  string // substring
		timeout time.Duration
	}{
		{"open", stuns, TLSOptions{RootCAs: pool}, StatusOpen, "", "; TLS 1.3, CN=localhost, expires 20", 0},
		{"server name", stuns, TLSOptions{RootCAs: pool, ServerName: "localhost"}, StatusOpen, "", "STUN Binding success (software: mediaprobe", 0},
		{"untrusted CA", stuns, TLSOptions{RootCAs: otherPool}, StatusError, "certificate signed by unknown authority", "", 0},
		{"wrong name", stuns, TLSOptions{RootCAs: pool, ServerName: "turn.example"}, StatusError,
			"certificate is valid for localhost, not turn.example", "", 0},
		{"short validity", short, TLSOptions{RootCAs: shortPool, MinValidity: 168 * time.Hour}, StatusError,
			"certificate expires in 71h (20", "TLS 1.3", 0},
		{"not TLS", testnet.TCPBanner(t, []byte("SSH-2.0-OpenSSH_9.6\r\n")), TLSOptions{RootCAs: pool}, StatusError, "not a TLS server", "", 0},
		{"plain STUN on the port", testnet.STUN(t, "tcp"), TLSOptions{RootCAs: pool}, StatusError,
			"connection closed during the TLS handshake", "", 0},
		{"TLS but no STUN", testnet.TLSServer(t, cfg), TLSOptions{RootCAs: pool}, StatusError,
			"connected, but no STUN answer within attempt_timeout", "", 200 * time.Millisecond},
		{"silent before the handshake", testnet.TCPBanner(t, nil), TLSOptions{RootCAs: pool}, StatusError,
			"connected, but no TLS answer within attempt_timeout", "", 200 * time.Millisecond},
		{"connect never completes", testnet.UnansweredTCP(t), TLSOptions{RootCAs: pool}, StatusFiltered,
			"no answer before the deadline", "", 200 * time.Millisecond},
		{"closed", testnet.ClosedPort(t, "tcp"), TLSOptions{RootCAs: pool}, StatusClosed, "connection refused", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			r := STUN(within(t, timeout), target("127.0.0.1", tt.port), STUNOptions{Transport: "tls", TLS: tt.opts})
			wantStatus(t, r, tt.status)
			if r.Transport != "tls" {
				t.Errorf("Transport = %q, want tls", r.Transport)
			}
			if !strings.HasPrefix(r.Cause, tt.cause) || !strings.Contains(r.Detail, tt.detail) {
				t.Errorf("Cause = %q, Detail = %q; want prefix %q, substring %q", r.Cause, r.Detail, tt.cause, tt.detail)
			}
			if tt.status == StatusOpen && !strings.HasPrefix(r.MappedAddress, "127.0.0.1:") {
				t.Errorf("MappedAddress = %q", r.MappedAddress)
			}
		})
	}
	t.Run("refusal keeps errno", func(t *testing.T) {
		r := STUN(within(t, 5*time.Second), target("127.0.0.1", testnet.ClosedPort(t, "tcp")), STUNOptions{Transport: "tls"})
		if r.Code != CodeRefused {
			t.Errorf("Code = %q (%s)", r.Code, r.Error)
		}
	})
}

// A TLS 1.3 server that requires a client certificate refuses ours (we
// have none) only after our handshake: the STUN read gets its alert.
func TestSTUNOverTLSClientCertRequired(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	p := testnet.STUNOverTLS(t, &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, certPEM, keyPEM)},
		ClientAuth: tls.RequireAnyClientCert, MinVersion: tls.VersionTLS13})
	r := STUN(within(t, 5*time.Second), target("127.0.0.1", p), STUNOptions{Transport: "tls", TLS: TLSOptions{RootCAs: pool}})
	wantStatus(t, r, StatusError)
	if r.Cause != CauseClientCert {
		t.Errorf("Cause = %q, want %q", r.Cause, CauseClientCert)
	}
}
