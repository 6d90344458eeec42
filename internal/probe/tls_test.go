package probe

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func TestTLS(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t) // localhost, 127.0.0.1, ::1
	good := testnet.TLSListener(t, certPEM, keyPEM)
	_, _, otherPool := testnet.Cert(t)
	otherPEM, otherKey, _ := testnet.Cert(t, "other.example")
	// 71h30m left: the cause must say 71h, not the exact remainder.
	shortPEM, shortKey, shortPool := testnet.CertValidFor(t, 71*time.Hour+30*time.Minute)
	// The leaf has a year, its intermediate CA 71h30m.
	chainPEM, chainKey, chainPool := testnet.CertChain(t, 71*time.Hour+30*time.Minute)
	chain := testnet.TLSListener(t, chainPEM, chainKey)

	tests := []struct {
		name   string
		port   uint16
		opts   TLSOptions
		status Status
		cause  string // prefix
		detail string // prefix
	}{
		{"open", good, TLSOptions{RootCAs: pool}, StatusOpen, "", "TLS 1.3, CN=localhost, expires 20"},
		{"server name overrides host", good, TLSOptions{RootCAs: pool, ServerName: "localhost"}, StatusOpen, "", "TLS 1.3"},
		{"min validity met", good, TLSOptions{RootCAs: pool, MinValidity: 168 * time.Hour}, StatusOpen, "", "TLS 1.3"},
		{"untrusted CA", good, TLSOptions{RootCAs: otherPool}, StatusError, "certificate signed by unknown authority", ""},
		{"wrong name", good, TLSOptions{RootCAs: pool, ServerName: "media.example"}, StatusError,
			"certificate is valid for localhost, not media.example", ""},
		{"no IP SAN", testnet.TLSListener(t, otherPEM, otherKey), TLSOptions{RootCAs: pool}, StatusError,
			"cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs", ""},
		{"expired", good, TLSOptions{RootCAs: pool, Now: func() time.Time { return time.Now().Add(2 * testnet.DefaultCertValidity) }},
			StatusError, "certificate expired", ""},
		{"short validity", testnet.TLSListener(t, shortPEM, shortKey), TLSOptions{RootCAs: shortPool, MinValidity: 168 * time.Hour},
			StatusError, "certificate expires in 71h (20", "TLS 1.3"},
		{"intermediate expires first", chain, TLSOptions{RootCAs: chainPool, MinValidity: 168 * time.Hour},
			StatusError, `certificate "CN=testnet intermediate CA" (intermediate) expires in 71h (20`, "TLS 1.3, CN=localhost"},
		{"chain min validity met", chain, TLSOptions{RootCAs: chainPool, MinValidity: 24 * time.Hour}, StatusOpen, "", "TLS 1.3"},
		{"not TLS", testnet.TCPBanner(t, []byte("SSH-2.0-OpenSSH_9.6\r\n")), TLSOptions{RootCAs: pool}, StatusError, "not a TLS server", ""},
		{"closed", testnet.ClosedPort(t, "tcp"), TLSOptions{RootCAs: pool}, StatusClosed, "connection refused", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := TLS(within(t, 5*time.Second), target("127.0.0.1", tt.port), tt.opts)
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Cause, tt.cause) || !strings.HasPrefix(r.Detail, tt.detail) {
				t.Errorf("Cause = %q, Detail = %q; want prefixes %q, %q", r.Cause, r.Detail, tt.cause, tt.detail)
			}
		})
	}

	t.Run("short validity cause", func(t *testing.T) {
		r := TLS(within(t, 5*time.Second), target("127.0.0.1", testnet.TLSListener(t, shortPEM, shortKey)),
			TLSOptions{RootCAs: shortPool, MinValidity: 168 * time.Hour})
		if !strings.HasSuffix(r.Cause, "Z), less than tls.min_cert_validity 168h") {
			t.Errorf("Cause = %q", r.Cause)
		}
	})
	t.Run("intermediate cause", func(t *testing.T) {
		r := TLS(within(t, 5*time.Second), target("127.0.0.1", chain), TLSOptions{RootCAs: chainPool, MinValidity: 168 * time.Hour})
		if !strings.HasSuffix(r.Cause, "Z), less than tls.min_cert_validity 168h") {
			t.Errorf("Cause = %q", r.Cause)
		}
	})
	t.Run("verification error is kept", func(t *testing.T) {
		r := TLS(within(t, 5*time.Second), target("127.0.0.1", good), TLSOptions{RootCAs: otherPool})
		if r.Code != CodeCertificate {
			t.Errorf("Code = %q (%s), want %q", r.Code, r.Error, CodeCertificate)
		}
	})
	t.Run("refusal keeps errno", func(t *testing.T) {
		r := TLS(within(t, 5*time.Second), target("127.0.0.1", testnet.ClosedPort(t, "tcp")), TLSOptions{})
		if r.Code != CodeRefused {
			t.Errorf("Code = %q (%s)", r.Code, r.Error)
		}
	})
	t.Run("ipv6", func(t *testing.T) {
		ip := testnet.Loopback6(t)
		r := TLS(within(t, 5*time.Second), target(ip, testnet.TLSListenerOn(t, ip, certPEM, keyPEM)), TLSOptions{RootCAs: pool})
		wantStatus(t, r, StatusOpen)
	})
}

func TestDurationFormats(t *testing.T) {
	tests := []struct {
		d            time.Duration
		rough, short string
	}{
		{71*time.Hour + 59*time.Minute, "71h", "71h59m"},
		{168 * time.Hour, "168h", "168h"},
		{90 * time.Minute, "1h", "1h30m"},
		{10 * time.Minute, "10m", "10m"},
		{42 * time.Second, "42s", "42s"},
		{-3 * time.Hour, "-3h", "-3h"},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			if got := roughDuration(tt.d); got != tt.rough {
				t.Errorf("roughDuration = %q, want %q", got, tt.rough)
			}
			if got := shortDuration(tt.d); got != tt.short {
				t.Errorf("shortDuration = %q, want %q", got, tt.short)
			}
		})
	}
}

func TestFirstToExpire(t *testing.T) {
	now := time.Now()
	cert := func(name string, days int) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: name}, NotAfter: now.Add(time.Duration(days) * 24 * time.Hour)}
	}
	leaf, mid, root := cert("leaf", 90), cert("mid", 30), cert("root", 3000)
	oldRoot := cert("old root", 10)
	crossMid := cert("cross mid", 60)
	tests := []struct {
		name     string
		st       tls.ConnectionState
		want     *x509.Certificate
		wantRole string
	}{
		{"leaf", tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf},
			VerifiedChains: [][]*x509.Certificate{{leaf, cert("long mid", 900), root}}}, leaf, "leaf"},
		{"tie goes to the leaf", tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf},
			VerifiedChains: [][]*x509.Certificate{{leaf, cert("same", 90), root}}}, leaf, "leaf"},
		{"intermediate", tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf, mid},
			VerifiedChains: [][]*x509.Certificate{{leaf, mid, root}}}, mid, "intermediate"},
		{"root", tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf},
			VerifiedChains: [][]*x509.Certificate{{leaf, oldRoot}}}, oldRoot, "root"},
		{"longest lasting chain", tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf, mid},
			VerifiedChains: [][]*x509.Certificate{{leaf, mid, root}, {leaf, crossMid, root}, {leaf, oldRoot}}}, crossMid, "intermediate"},
		{"unverified", tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf, mid}}, mid, "intermediate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, role := firstToExpire(tt.st)
			if c != tt.want || role != tt.wantRole {
				t.Errorf("firstToExpire = %s (%s), want %s (%s)", c.Subject.CommonName, role, tt.want.Subject.CommonName, tt.wantRole)
			}
		})
	}
}

// A server that requires a client certificate fails every client without
// one. With TLS 1.3 it says so only after the client's handshake is done.
func TestClientCertRequired(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	kp := testnet.KeyPair(t, certPEM, keyPEM)
	const required = "the server requires a client certificate"
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tt := range []struct {
			auth   tls.ClientAuthType
			status Status
			cause  string
		}{
			{tls.RequireAnyClientCert, StatusError, required},
			{tls.RequireAndVerifyClientCert, StatusError, required},
			{tls.RequestClientCert, StatusOpen, ""},
		} {
			cfg := func() *tls.Config {
				return &tls.Config{Certificates: []tls.Certificate{kp}, ClientAuth: tt.auth, ClientCAs: pool, MaxVersion: version}
			}
			name := tls.VersionName(version) + "/" + tt.auth.String()
			t.Run("tls/"+name, func(t *testing.T) {
				t.Parallel()
				tg := target("127.0.0.1", testnet.TLSServer(t, cfg()))
				r := TLS(within(t, 5*time.Second), tg, TLSOptions{RootCAs: pool})
				wantStatus(t, r, tt.status)
				if r.Cause != tt.cause {
					t.Errorf("Cause = %q; want %q", r.Cause, tt.cause)
				}
				if tt.status == StatusOpen && !strings.HasPrefix(r.Detail, tls.VersionName(version)) {
					t.Errorf("Detail = %q; want %s", r.Detail, tls.VersionName(version))
				}
			})
			t.Run("https/"+name, func(t *testing.T) {
				t.Parallel()
				tg := target("127.0.0.1", testnet.HTTPSServer(t, http.StatusOK, cfg()))
				r := HTTP(within(t, 5*time.Second), tg, HTTPOptions{TLS: true, RootCAs: pool})
				wantStatus(t, r, tt.status)
				if r.Cause != tt.cause {
					t.Errorf("Cause = %q; want %q", r.Cause, tt.cause)
				}
			})
		}
	}
}
