package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
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
// error: something answered, but clients would reject it. Silence until
// ctx's deadline is filtered while the TCP connect is pending, and an error
// once it completed: the path is open, the service mute.
func TLS(ctx context.Context, t Target, o TLSOptions) Result {
	r := newResult("tls", "tcp", t)
	dctx, cancel := withDeadline(ctx)
	defer cancel()

	var p progress
	start := time.Now()
	conn, err := p.dialTLS(dctx, r.Address, tlsConfig(t, o.ServerName, o.RootCAs, o.Now))
	if err != nil {
		return r.tlsFail(ctx, start, err, o.Now, &p)
	}
	state := conn.ConnectionState()
	_ = conn.Close()
	detail, problem := certCheck(state, o.MinValidity, o.Now)
	r.Detail = detail
	if problem != nil {
		return r.wrong(start, problem.Error(), problem)
	}
	return r.open(start)
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

// tlsConfig is shared by TLS and HTTPS so both verify the same way.
func tlsConfig(t Target, serverName string, roots *x509.CertPool, now func() time.Time) *tls.Config {
	if serverName == "" {
		serverName = t.Host
	}
	if serverName == "" {
		serverName = t.IP.String()
	}
	// crypto/tls verifies an IP literal against IP SANs and omits it from SNI.
	return &tls.Config{ServerName: strings.Trim(serverName, "[]"), RootCAs: roots, Time: now, MinVersion: tls.VersionTLS12}
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
		return detail, fmt.Errorf("%s expires in %s (%s), less than min_cert_validity %s",
			what, roughDuration(left), c.NotAfter.UTC().Format(time.RFC3339), shortDuration(minValidity))
	}
	return detail, nil
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
	if cause, ok := certCause(err, now); ok {
		r.Cause = cause
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
// prefixes that mean nothing to a Terraform user. ok is false for errors that
// are not about TLS itself.
func certCause(err error, now func() time.Time) (cause string, ok bool) {
	if ie, ok := errors.AsType[x509.CertificateInvalidError](err); ok && ie.Reason == x509.Expired {
		if clock(now)().Before(ie.Cert.NotBefore) {
			return "certificate not yet valid", true
		}
		return "certificate expired", true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return "certificate signed by unknown authority", true
	}
	if he, ok := errors.AsType[x509.HostnameError](err); ok {
		return strings.TrimPrefix(he.Error(), "x509: "), true
	}
	if ve, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return strings.TrimPrefix(ve.Err.Error(), "x509: "), true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return "not a TLS server", true
	}
	if ae, ok := errors.AsType[tls.AlertError](err); ok {
		return "TLS handshake failed: server sent alert " + ae.Error(), true
	}
	return "", false
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
