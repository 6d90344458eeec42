package probe

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTPOptions configures HTTP.
type HTTPOptions struct {
	// TLS selects https. Defaults to false: plain http.
	TLS bool
	// Path is the request path, optionally with a query. Defaults to "/".
	Path string
	// ExpectStatus is the status code that counts as open. Defaults to 200.
	ExpectStatus int
	// ServerName is the SNI, verified name and Host header for https.
	// Defaults to the target's Host, verified as for TLS.
	ServerName string
	// RootCAs verifies the https chain. Defaults to the system roots.
	RootCAs *x509.CertPool
	// MinValidity, when positive, makes it an error when any certificate of
	// the verified https chain expires sooner than this, as for TLS.
	// Defaults to 0: any unexpired chain passes.
	MinValidity time.Duration
	// Now is the clock for https verification and MinValidity. Defaults to
	// time.Now.
	Now func() time.Time
}

const (
	// maxHeader bounds a response header so a hostile server can't make us
	// buffer megabytes.
	maxHeader = 64 << 10
	userAgent = "terraform-provider-media-probe"
)

// HTTP sends one GET to t and reports open when the status is ExpectStatus.
// It always dials t.Address() and keeps t.Host (or, over https, ServerName)
// for the Host header and SNI, so the resolved IP is what is verified.
// Redirects are not followed: a redirect is an answer, and its status is
// judged like any other. Over https the certificate chain is judged first,
// as by TLS: one that expires within MinValidity is an error whatever the
// status, and a server that requires a client certificate is an error.
// Silence is filtered only while the TCP connect is pending.
func HTTP(ctx context.Context, t Target, o HTTPOptions) Result {
	scheme, defaultPort := "http", uint16(80)
	if o.TLS {
		scheme, defaultPort = "https", 443
	}
	r := newResult(scheme, "tcp", t)
	dctx, cancel := withDeadline(ctx)
	defer cancel()

	path := o.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	expect := o.ExpectStatus
	if expect == 0 {
		expect = http.StatusOK
	}
	// SNI and Host must name the same server: a front end may route on
	// either, and one that sees them disagree can refuse the request.
	name := r.Host
	if o.TLS && o.ServerName != "" {
		name = o.ServerName
	}
	host := authority(name, t.Port, defaultPort)
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, scheme+"://"+host+path, nil)
	if err != nil {
		r.Status, r.Code, r.Cause, r.Error = StatusError, CodeOther, "invalid request", err.Error()
		return r
	}
	req.Header.Set("User-Agent", userAgent)

	// A fresh Transport per call: no pooled conns between probes, so each
	// probe measures a real dial, and no goroutines outlive it.
	addr := r.Address
	p := progress{control: t.Control}
	tr := &http.Transport{
		Proxy: nil, // never the environment's proxy: we verify this path
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return p.dialTCP(ctx, addr)
		},
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: maxHeader,
	}
	if o.TLS {
		cfg := tlsConfig(t, o.ServerName, o.RootCAs, o.Now, &p)
		tr.DialTLSContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return p.dialTLS(ctx, addr, cfg)
		}
	}
	defer tr.CloseIdleConnections()

	start := time.Now()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		if o.TLS && !p.handshook.Load() {
			return r.tlsFail(ctx, start, err, o.Now, &p)
		}
		r.fail(ctx, start, err)
		switch {
		case r.mute(p.connected.Load(), "HTTP"):
		case p.certRequested.Load() && certRefused(err):
			// TLS 1.3: the refusal arrives after the handshake, in
			// place of the response.
			r.Code, r.Cause = CodeClientCert, CauseClientCert
		case r.Status == StatusError && hungUp(err):
			r.Cause = "connection closed without an HTTP response"
		}
		return r
	}
	rtt := time.Since(start)
	// The body is not read: the verdict is the status line, and a streaming
	// endpoint would hold the probe until its deadline. With keep-alives off,
	// Close drops the connection.
	_ = resp.Body.Close()

	r.Detail = "HTTP " + strconv.Itoa(resp.StatusCode)
	if o.TLS && resp.TLS != nil {
		if !r.judgeCert(*resp.TLS, TLSOptions{MinValidity: o.MinValidity, Now: o.Now}, start) {
			r.RTT = rtt
			return r
		}
	}
	if resp.StatusCode != expect {
		r.Status, r.Code = StatusError, CodeUnexpectedStatus
		// The first words say what was asked and what was expected.
		r.Cause = fmt.Sprintf("GET %s returned %d, expected %d", path, resp.StatusCode, expect)
		r.Error = fmt.Sprintf("%s/tcp %s: %s", scheme, addr, r.Cause)
		r.RTT = rtt
		return r
	}
	r.open(start)
	r.RTT = rtt
	return r
}

// authority is host as the Host header carries it: with :port unless port
// is the scheme's default, and an IPv6 literal in brackets.
func authority(host string, port, defaultPort uint16) string {
	host = strings.Trim(host, "[]")
	if port != defaultPort {
		return net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}
