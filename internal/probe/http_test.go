package probe

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func TestHTTP(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	kp := testnet.KeyPair(t, certPEM, keyPEM)
	_, _, otherPool := testnet.Cert(t)
	plain := testnet.HTTPServer(t, http.StatusOK, nil)
	secure := testnet.HTTPServer(t, http.StatusOK, &kp)
	// 71h30m left: min_cert_validity 168h fails it, as for TLS.
	shortPEM, shortKey, shortPool := testnet.CertValidFor(t, 71*time.Hour+30*time.Minute)
	shortKP := testnet.KeyPair(t, shortPEM, shortKey)
	short := testnet.HTTPServer(t, http.StatusOK, &shortKP)
	shortWrongStatus := testnet.HTTPServer(t, http.StatusServiceUnavailable, &shortKP)
	// The leaf has a year, its intermediate CA 71h30m.
	chainPEM, chainKey, chainPool := testnet.CertChain(t, 71*time.Hour+30*time.Minute)
	chainKP := testnet.KeyPair(t, chainPEM, chainKey)
	chain := testnet.HTTPServer(t, http.StatusOK, &chainKP)

	tests := []struct {
		name   string
		host   string
		port   uint16
		opts   HTTPOptions
		status Status
		cause  string
		detail string // prefix
	}{
		{"open", "127.0.0.1", plain, HTTPOptions{}, StatusOpen, "", "HTTP 200"},
		{"unexpected status", "127.0.0.1", testnet.HTTPServer(t, http.StatusServiceUnavailable, nil), HTTPOptions{},
			StatusError, "GET / returned 503, expected 200", "HTTP 503"},
		{"unexpected status names path", "127.0.0.1", testnet.HTTPServer(t, http.StatusNotFound, nil), HTTPOptions{Path: "/health"},
			StatusError, "GET /health returned 404, expected 200", "HTTP 404"},
		{"expected non-200", "127.0.0.1", testnet.HTTPServer(t, http.StatusServiceUnavailable, nil), HTTPOptions{ExpectStatus: 503},
			StatusOpen, "", "HTTP 503"},
		{"redirect is not followed", "127.0.0.1", testnet.HTTPServer(t, http.StatusFound, nil), HTTPOptions{},
			StatusError, "GET / returned 302, expected 200", "HTTP 302"},
		{"https by name", "localhost", secure, HTTPOptions{TLS: true, RootCAs: pool}, StatusOpen, "",
			"HTTP 200; TLS 1.3, CN=localhost, expires 20"},
		{"https by IP", "127.0.0.1", secure, HTTPOptions{TLS: true, RootCAs: pool}, StatusOpen, "", "HTTP 200; TLS 1.3"},
		{"https min validity met", "localhost", secure, HTTPOptions{TLS: true, RootCAs: pool, MinValidity: 168 * time.Hour},
			StatusOpen, "", "HTTP 200; TLS 1.3"},
		{"https short validity", "localhost", short, HTTPOptions{TLS: true, RootCAs: shortPool, MinValidity: 168 * time.Hour},
			StatusError, "certificate expires in 71h (20", "HTTP 200; TLS 1.3, CN=localhost"},
		// The certificate is judged before the status.
		{"https short validity and wrong status", "localhost", shortWrongStatus,
			HTTPOptions{TLS: true, RootCAs: shortPool, MinValidity: 168 * time.Hour},
			StatusError, "certificate expires in 71h (20", "HTTP 503; TLS 1.3"},
		{"https intermediate expires first", "localhost", chain, HTTPOptions{TLS: true, RootCAs: chainPool, MinValidity: 168 * time.Hour},
			StatusError, `certificate "CN=testnet intermediate CA" (intermediate) expires in 71h (20`, "HTTP 200; TLS 1.3, CN=localhost"},
		{"https expired by Now", "localhost", secure,
			HTTPOptions{TLS: true, RootCAs: pool, Now: func() time.Time { return time.Now().Add(2 * testnet.DefaultCertValidity) }},
			StatusError, "certificate expired", ""},
		{"https untrusted", "localhost", secure, HTTPOptions{TLS: true, RootCAs: otherPool},
			StatusError, "certificate signed by unknown authority", ""},
		{"https wrong name", "localhost", secure, HTTPOptions{TLS: true, RootCAs: pool, ServerName: "media.example"},
			StatusError, "certificate is valid for localhost, not media.example", ""},
		{"plain to https", "127.0.0.1", secure, HTTPOptions{}, StatusError, "GET / returned 400, expected 200", "HTTP 400"},
		// Not a banner server: net/http logs bytes that arrive before the
		// request. The STUN responder hangs up on an HTTP request instead.
		{"not HTTP", "127.0.0.1", testnet.STUN(t, "tcp"), HTTPOptions{}, StatusError, "connection closed without an HTTP response", ""},
		{"closed", "127.0.0.1", testnet.ClosedPort(t, "tcp"), HTTPOptions{}, StatusClosed, "connection refused", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Host may be a name: the probe must dial IP, never resolve Host.
			tg := Target{Host: tt.host, IP: netip.MustParseAddr("127.0.0.1"), Port: tt.port}
			r := HTTP(within(t, 5*time.Second), tg, tt.opts)
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Cause, tt.cause) || !strings.HasPrefix(r.Detail, tt.detail) {
				t.Errorf("Cause = %q, Detail = %q; want prefix %q, %q", r.Cause, r.Detail, tt.cause, tt.detail)
			}
			wantProto := "http"
			if tt.opts.TLS {
				wantProto = "https"
			}
			if r.Protocol != wantProto || r.Transport != "tcp" {
				t.Errorf("Protocol/Transport = %s/%s", r.Protocol, r.Transport)
			}
		})
	}
}

// The request carries the user's host and path, not the dialed IP; over
// https with server_name, Host names the server SNI names.
func TestHTTPRequestShape(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	kp := testnet.KeyPair(t, certPEM, keyPEM)
	tests := []struct {
		name, host, path, wantHost, wantURI string
		ip                                  func(t *testing.T) string
		https                               bool
		serverName                          string
	}{
		{name: "name and port", host: "media.example", path: "health?full=1", wantHost: "media.example:%d", wantURI: "/health?full=1"},
		{name: "default path", host: "media.example", wantHost: "media.example:%d", wantURI: "/"},
		{name: "ipv6 literal", host: "::1", path: "/x", wantHost: "[::1]:%d", wantURI: "/x", ip: func(t *testing.T) string { return testnet.Loopback6(t) }},
		{name: "https host", host: "localhost", https: true, wantHost: "localhost:%d", wantURI: "/"},
		{name: "https server_name", host: "127.0.0.1", https: true, serverName: "localhost", wantHost: "localhost:%d", wantURI: "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := "127.0.0.1"
			if tt.ip != nil {
				ip = tt.ip(t)
			}
			got := make(chan string, 1)
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.Host + " " + r.RequestURI
			}))
			ln := testnet.ListenTCP(t, ip)
			_ = srv.Listener.Close() // the 127.0.0.1 one httptest bound
			srv.Listener = ln
			if tt.https {
				srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			port := testnet.Port(ln.Addr())

			o := HTTPOptions{Path: tt.path, TLS: tt.https, ServerName: tt.serverName, RootCAs: pool}
			r := HTTP(within(t, 5*time.Second), Target{Host: tt.host, IP: netip.MustParseAddr(ip), Port: port}, o)
			wantStatus(t, r, StatusOpen)
			want := strings.Replace(tt.wantHost, "%d", strconv.Itoa(int(port)), 1) + " " + tt.wantURI
			if g := <-got; g != want {
				t.Errorf("server saw %q, want %q", g, want)
			}
		})
	}
}

// Host omits the port only when it is the scheme's default.
func TestAuthority(t *testing.T) {
	tests := []struct {
		host              string
		port, defaultPort uint16
		want              string
	}{
		{"media.example", 443, 443, "media.example"},
		{"media.example", 8443, 443, "media.example:8443"},
		{"::1", 80, 80, "[::1]"},
		{"[::1]", 8080, 80, "[::1]:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := authority(tt.host, tt.port, tt.defaultPort); got != tt.want {
				t.Errorf("authority(%q, %d, %d) = %q, want %q", tt.host, tt.port, tt.defaultPort, got, tt.want)
			}
		})
	}
}
