package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// TLSOptions configures TLS.
type TLSOptions struct {
	// ServerName is sent as SNI and verified against the certificate.
	// Defaults to the target's Host; an IP literal is verified against the
	// certificate's IP SANs and sends no SNI.
	ServerName string
	// RootCAs verifies the chain. Defaults to the system roots.
	RootCAs *x509.CertPool
	// MinValidity, when positive, makes it an error when any certificate of
	// the verified chain (leaf, intermediates, root) expires sooner than
	// this. Defaults to 0: any unexpired chain passes.
	MinValidity time.Duration
	// Now is the clock for verification and MinValidity. Defaults to time.Now.
	Now func() time.Time
}

// TLS completes a verified TLS handshake with t. A chain that does not
// verify, or that has a certificate expiring within MinValidity, is an
// error: something answered, but clients would reject it. So is a server
// that requires a client certificate: the probe has none, as most clients.
// Silence until ctx's deadline is filtered while the TCP connect is
// pending, and an error once it completed: the path is open, the service
// mute.
func TLS(ctx context.Context, t Target, o TLSOptions) Result {
	r := newResult("tls", "tcp", t)
	dctx, cancel := withDeadline(ctx)
	defer cancel()

	var (
		p     progress
		state tls.ConnectionState
		rtt   time.Duration
	)
	p.control = t.Control
	start := time.Now()
	conn, err := p.dialTLS(dctx, r.Address, tlsConfig(t, o.ServerName, o.RootCAs, o.Now, &p))
	if err == nil {
		rtt = time.Since(start) // the handshake's, without the verdict wait
		state = conn.ConnectionState()
		err = p.clientCertVerdict(dctx, conn)
		_ = conn.Close()
	}
	if err != nil {
		return r.tlsFail(ctx, start, err, o.Now, &p)
	}
	if r.judgeCert(state, o, start) {
		r.open(start)
	}
	r.RTT = rtt
	return r
}

// dialTLS connects to addr and runs the TLS handshake on that conn itself,
// rather than through tls.Dialer, so that p learns how far it got.
func (p *progress) dialTLS(ctx context.Context, addr string, cfg *tls.Config) (*tls.Conn, error) {
	raw, err := p.dialTCP(ctx, addr)
	if err != nil {
		return nil, err
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	p.handshook.Store(true)
	return conn, nil
}

// clientCertWait is the least time TLS waits for a TLS 1.3 server's verdict
// on our empty client certificate; a path whose connect took longer than
// half of it gets two connect times.
const clientCertWait = 250 * time.Millisecond

// clientCertVerdict hears the server out after it asked for a client
// certificate and got none. In TLS 1.3 the client's handshake ends before
// the server has read the client's Certificate, so a server that requires
// one refuses only then, with an alert; in TLS 1.2 the refusal ends the
// handshake itself. It returns the server's alert, the user's cancel, or
// nil: silence, data or a hang-up mean the server accepted.
func (p *progress) clientCertVerdict(ctx context.Context, conn *tls.Conn) error {
	if !p.certRequested.Load() || conn.ConnectionState().Version < tls.VersionTLS13 {
		return nil
	}
	// The alert needs a round trip after our Finished; ctx has a deadline.
	deadline := time.Now().Add(max(clientCertWait, 2*time.Duration(p.connectTime.Load())))
	if d, _ := ctx.Deadline(); d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetReadDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	_, err := conn.Read(make([]byte, 1))
	if _, ok := serverAlert(err); ok {
		return err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err() // cut short: no verdict
	}
	return nil
}

// tlsConfig is shared by TLS and HTTPS so both verify the same way, and
// both note in p when the server asks for a client certificate.
func tlsConfig(t Target, serverName string, roots *x509.CertPool, now func() time.Time, p *progress) *tls.Config {
	if serverName == "" {
		serverName = t.Host
	}
	if serverName == "" {
		serverName = t.IP.String()
	}
	return &tls.Config{
		// crypto/tls verifies an IP literal against IP SANs and omits it from SNI.
		ServerName: strings.Trim(serverName, "[]"),
		RootCAs:    roots,
		Time:       now,
		MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			p.certRequested.Store(true)
			return &tls.Certificate{}, nil // none: an empty Certificate, as a browser without one sends
		},
	}
}

// certCheck judges the certificates of a handshake that crypto/tls already
// verified; TLS and HTTPS share it. detail names the version and the leaf's
// subject and expiry. problem is non-nil when the server sent no
// certificate or a certificate of the chain expires within minValidity (0 =
// no minimum); its message is the cause to show.
func certCheck(st tls.ConnectionState, minValidity time.Duration, now func() time.Time) (detail string, problem error) {
	if len(st.PeerCertificates) == 0 {
		return "", errors.New("server sent no certificate")
	}
	leaf := st.PeerCertificates[0]
	detail = fmt.Sprintf("%s, %s, expires %s", tls.VersionName(st.Version), subject(leaf), leaf.NotAfter.UTC().Format(time.RFC3339))
	if minValidity <= 0 {
		return detail, nil
	}
	c, role := firstToExpire(st)
	if left := c.NotAfter.Sub(clock(now)()); left < minValidity {
		what := "certificate"
		if role != "leaf" {
			what = fmt.Sprintf("certificate %q (%s)", subject(c), role)
		}
		return detail, fmt.Errorf("%s expires in %s (%s), less than tls.min_cert_validity %s",
			what, roughDuration(left), c.NotAfter.UTC().Format(time.RFC3339), shortDuration(minValidity))
	}
	return detail, nil
}

// judgeCert adds the detail of the certificate of st to r.Detail and, when
// some certificate of the chain expires within o.MinValidity (or there is
// none), makes r the certificate error that TLS reports. ok is false then.
// TLS, HTTPS, RTSPS, RTMPS and SIP over TLS judge alike through it.
func (r *Result) judgeCert(st tls.ConnectionState, o TLSOptions, start time.Time) (ok bool) {
	detail, problem := certCheck(st, o.MinValidity, o.Now)
	if detail != "" && r.Detail != "" {
		r.Detail += "; "
	}
	r.Detail += detail
	if problem == nil {
		return true
	}
	r.wrong(start, problem.Error(), problem)
	r.Code = CodeCertificate
	return false
}

// firstToExpire returns the certificate that expires first in the chain a
// client verifies, and its role: "leaf", "intermediate" or "root"; on a tie
// the one nearest the leaf. Clients accept any chain that verifies, so of
// several verified chains the one that stays valid longest is judged.
// Without verified chains it falls back to what the server sent.
func firstToExpire(st tls.ConnectionState) (*x509.Certificate, string) {
	chain, verified := st.PeerCertificates, false
	for _, vc := range st.VerifiedChains {
		if !verified || expiresFirst(vc).NotAfter.After(expiresFirst(chain).NotAfter) {
			chain, verified = vc, true
		}
	}
	c := expiresFirst(chain)
	switch {
	case c == chain[0]:
		return c, "leaf"
	case verified && c == chain[len(chain)-1]:
		return c, "root"
	default:
		return c, "intermediate"
	}
}

// expiresFirst returns the certificate of chain that expires first, the
// one nearest the leaf on a tie.
func expiresFirst(chain []*x509.Certificate) *x509.Certificate {
	first := chain[0]
	for _, c := range chain[1:] {
		if c.NotAfter.Before(first.NotAfter) {
			first = c
		}
	}
	return first
}

// tlsFail classifies a failed TLS dial. A network failure goes through
// Classify, silence after the connect is a mute service, and a handshake the
// server completed wrongly gets a cause a user can act on.
func (r *Result) tlsFail(parent context.Context, start time.Time, err error, now func() time.Time, p *progress) Result {
	r.fail(parent, start, err)
	if r.mute(p.connected.Load(), "TLS") || r.Status != StatusError {
		return *r
	}
	if p.certRequested.Load() && certRefused(err) {
		r.Code, r.Cause = CodeClientCert, CauseClientCert
		return *r
	}
	if cause, code, ok := certCause(err, now); ok {
		r.Code, r.Cause = code, cause
		return *r
	}
	if hungUp(err) {
		r.Cause = "connection closed during the TLS handshake"
		return *r
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "tls: "); i >= 0 {
		msg = msg[i+len("tls: "):]
	}
	r.Cause = "TLS handshake failed: " + msg
	return *r
}

// certCause names a TLS-specific failure, without the "x509: " and "tls: "
// prefixes that mean nothing to a Terraform user, and its code. ok is false
// for errors that are not about TLS itself.
func certCause(err error, now func() time.Time) (cause string, code Code, ok bool) {
	if ie, ok := errors.AsType[x509.CertificateInvalidError](err); ok && ie.Reason == x509.Expired {
		if clock(now)().Before(ie.Cert.NotBefore) {
			return "certificate not yet valid", CodeCertificate, true
		}
		return "certificate expired", CodeCertificate, true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return "certificate signed by unknown authority", CodeCertificate, true
	}
	if he, ok := errors.AsType[x509.HostnameError](err); ok {
		return strings.TrimPrefix(he.Error(), "x509: "), CodeCertificate, true
	}
	if ve, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return strings.TrimPrefix(ve.Err.Error(), "x509: "), CodeCertificate, true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return "not a TLS server", CodeWrongAnswer, true
	}
	if ae, ok := errors.AsType[tls.AlertError](err); ok {
		return "TLS handshake failed: server sent alert " + ae.Error(), CodeOther, true
	}
	return "", "", false
}

// CauseClientCert is the cause when a server refuses our lack of a client
// certificate.
const CauseClientCert = "the server requires a client certificate"

// TLS alerts (RFC 8446 section 6) with which servers refuse a missing client
// certificate: certificate_required in TLS 1.3, handshake_failure or
// bad_certificate in TLS 1.2 and older stacks. crypto/tls keeps its
// constants unexported.
const (
	alertHandshakeFailure    tls.AlertError = 40
	alertBadCertificate      tls.AlertError = 42
	alertCertificateRequired tls.AlertError = 116
)

// serverAlert returns the fatal alert the server sent, if err is one.
// crypto/tls reports it as a *net.OpError "remote error" around an
// unexported type that prints as tls.AlertError does.
func serverAlert(err error) (string, bool) {
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "remote error" && oe.Err != nil {
		return oe.Err.Error(), true
	}
	return "", false
}

// certRefused reports whether err is an alert with which servers refuse a
// missing client certificate.
func certRefused(err error) bool {
	a, ok := serverAlert(err)
	if !ok {
		return false
	}
	switch a {
	case alertHandshakeFailure.Error(), alertBadCertificate.Error(), alertCertificateRequired.Error():
		return true
	}
	return false
}

func subject(c *x509.Certificate) string {
	switch {
	case c.Subject.CommonName != "":
		return "CN=" + c.Subject.CommonName
	case len(c.DNSNames) > 0:
		return "DNS=" + c.DNSNames[0]
	case len(c.IPAddresses) > 0:
		return "IP=" + c.IPAddresses[0].String()
	default:
		return c.Subject.String()
	}
}

func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// roughDuration prints the largest useful unit, "71h" rather than
// "71h23m12.5s": the exact remainder is noise in an expiry warning.
func roughDuration(d time.Duration) string {
	switch {
	case d >= time.Hour || d <= -time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute || d <= -time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	default:
		return fmt.Sprintf("%ds", d/time.Second)
	}
}

// shortDuration prints d exactly but without zero tails: "168h", "1h30m".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
