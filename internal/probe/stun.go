package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/pion/stun/v3"

	"github.com/mediareach/terraform-provider-media/internal/stunframe"
)

// STUNOptions configures STUN.
type STUNOptions struct {
	// Transport is "udp", "tcp" or "tls": STUN over TLS (RFC 7064
	// "stuns"), as served on 5349 or 443 next to TURN over TLS. Defaults
	// to "udp".
	Transport string
	// RTO is the first UDP retransmission timeout. It doubles after every
	// retransmission, capped at 1.6s, and requests are resent until the
	// deadline (RFC 5389 section 7.2.1). Defaults to 100ms. Unused on TCP,
	// which is reliable and gets one request.
	RTO time.Duration
	// TLS verifies the server's certificate when Transport is "tls", as the
	// tls probe does; it is ignored otherwise. The zero value verifies
	// against the system roots and the target's host.
	TLS TLSOptions
}

const (
	defaultRTO = 100 * time.Millisecond
	maxRTO     = 1600 * time.Millisecond
	// stunBufSize holds any response a server sends to a bare Binding
	// request in one unfragmented datagram.
	stunBufSize = 2048
	// maxReason bounds text copied from a server into Detail.
	maxReason = 64
)

// STUN sends a STUN Binding request to t and reports open on any STUN
// response carrying our transaction ID: a Binding success (its mapped address
// goes to MappedAddress) or an error response, which is what ICE-lite servers
// send to a request without ICE credentials, and still proves a STUN stack.
//
// Over UDP the socket is connected, so an ICMP port unreachable surfaces as
// ECONNREFUSED and reads closed. Datagrams that are not STUN or carry another
// transaction ID are ignored. Over TCP and TLS, bytes that are not STUN are
// an error. Silence until ctx's deadline is filtered, except over TCP and
// TLS once the connect completed: a mute service on an open path is an
// error.
//
// Over TLS the request goes on a verified TLS connection; the handshake is
// judged as the tls probe judges it (a chain that does not verify or that
// expires within TLS.MinValidity is an error), and after it the exchange is
// the TCP one. Detail then also names the TLS version and certificate.
func STUN(ctx context.Context, t Target, o STUNOptions) Result {
	transport := o.Transport
	if transport == "" {
		transport = "udp"
	}
	r := newResult("stun", transport, t)
	if transport != "udp" && transport != "tcp" && transport != "tls" {
		r.Status, r.Code, r.Cause = StatusError, CodeOther, "unknown transport"
		r.Error = fmt.Sprintf("stun: unknown transport %q, want udp, tcp or tls", transport)
		return r
	}
	dctx, cancel := withDeadline(ctx)
	defer cancel()
	deadline, _ := dctx.Deadline()

	s := stunExchange{r: &r, parent: ctx, ctx: dctx, start: time.Now(), deadline: deadline, tls: progress{control: t.Control}}
	conn, done := s.dial(t, transport, o.TLS)
	if done {
		return r
	}
	defer conn.Close()
	// Closing on cancel unblocks Read at once; the deadline covers expiry.
	// Under TLS close the TCP conn: a TLS close would send close_notify,
	// and the server's answer to it would read as a hang-up.
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	stop := context.AfterFunc(dctx, func() { _ = raw.Close() })
	defer stop()
	_ = conn.SetDeadline(deadline)

	req := stun.New()
	if err := req.Build(stun.TransactionID, stun.BindingRequest); err != nil {
		return r.wrong(s.start, "cannot build STUN request", err)
	}
	s.conn, s.req = conn, req
	if transport == "udp" {
		return s.udp(o.RTO)
	}
	return s.tcp()
}

// stunExchange is one probe's state, shared by the UDP and stream paths.
type stunExchange struct {
	r        *Result
	parent   context.Context // the caller's, for Classify
	ctx      context.Context // with the safety deadline
	conn     net.Conn
	req      *stun.Message
	start    time.Time
	deadline time.Time
	sent     int
	// Over TLS: how far the connection got, and the version and
	// certificate for Detail.
	tls       progress
	tlsDetail string
}

// dial connects over transport; over TLS it also completes and judges the
// handshake. done is true when the probe is over: *s.r holds the verdict.
func (s *stunExchange) dial(t Target, transport string, o TLSOptions) (conn net.Conn, done bool) {
	r := s.r
	if transport != "tls" {
		d := t.dialer()
		conn, err := d.DialContext(s.ctx, transport, r.Address)
		if err != nil {
			r.fail(s.parent, s.start, err)
			return nil, true
		}
		return conn, false
	}
	tc, err := s.tls.dialTLS(s.ctx, r.Address, tlsConfig(t, o.ServerName, o.RootCAs, o.Now, &s.tls))
	if err != nil {
		r.tlsFail(s.parent, s.start, err, o.Now, &s.tls)
		return nil, true
	}
	detail, problem := certCheck(tc.ConnectionState(), o.MinValidity, o.Now)
	if problem != nil {
		_ = tc.Close()
		r.Detail = detail
		r.wrong(s.start, problem.Error(), problem)
		return nil, true
	}
	s.tlsDetail = detail
	return tc, false
}

func (s *stunExchange) udp(rto time.Duration) Result {
	if rto <= 0 {
		rto = defaultRTO
	}
	buf := make([]byte, stunBufSize)
	res := new(stun.Message)
	var resend time.Time
	for {
		if now := time.Now(); !now.Before(resend) {
			// The same bytes every time: a late answer to an earlier copy
			// carries the same transaction ID and is just as good.
			if _, err := s.conn.Write(s.req.Raw); err != nil {
				return s.fail(err)
			}
			s.sent++
			resend = now.Add(rto)
			rto = min(2*rto, maxRTO)
		}
		_ = s.conn.SetReadDeadline(earliest(resend, s.deadline))
		n, err := s.conn.Read(buf)
		if err != nil {
			if isTimeout(err) && time.Now().Before(s.deadline) {
				continue // time to retransmit
			}
			return s.fail(err)
		}
		if !stun.IsMessage(buf[:n]) {
			continue // not STUN: something else shares the port, keep waiting
		}
		res.Raw = buf[:n]
		if res.Decode() != nil {
			continue
		}
		if r, done := s.reply(res); done {
			return r
		}
	}
}

func (s *stunExchange) tcp() Result {
	if _, err := s.conn.Write(s.req.Raw); err != nil {
		return s.fail(err)
	}
	s.sent = 1
	buf := make([]byte, stunBufSize)
	res := new(stun.Message)
	for {
		// Over a stream the header's length delimits each message; a server
		// may send any length the field allows.
		msg, err := stunframe.Read(s.conn, buf, stunframe.MaxSize)
		switch {
		case errors.Is(err, stunframe.ErrNotSTUN):
			return s.r.wrong(s.start, "not a STUN response",
				fmt.Errorf("reply starts with %q, not a STUN header", printable(msg[:8])))
		case errors.Is(err, stunframe.ErrBadLength), errors.Is(err, stunframe.ErrTooLarge):
			return s.r.wrong(s.start, "malformed STUN response", err)
		case err != nil:
			return s.streamFail(err)
		}
		buf = msg
		res.Raw = msg
		if err := res.Decode(); err != nil {
			return s.r.wrong(s.start, "malformed STUN response", err)
		}
		if r, done := s.reply(res); done {
			return r
		}
	}
}

// reply judges one decoded message. done is false when the message is not
// for this probe and the caller should keep waiting.
func (s *stunExchange) reply(m *stun.Message) (Result, bool) {
	if m.TransactionID != s.req.TransactionID {
		return Result{}, false
	}
	r := s.r
	switch m.Type.Class {
	case stun.ClassSuccessResponse:
		var xa stun.XORMappedAddress
		var ma stun.MappedAddress
		if xa.GetFrom(m) == nil {
			r.MappedAddress = xa.String()
		} else if ma.GetFrom(m) == nil {
			r.MappedAddress = ma.String()
		}
		r.Detail = "STUN Binding success"
		var sw stun.Software
		if sw.GetFrom(m) == nil {
			r.Detail += " (software: " + printable(sw) + ")"
		}
	case stun.ClassErrorResponse:
		var ec stun.ErrorCodeAttribute
		if ec.GetFrom(m) == nil {
			r.Detail = strings.TrimSpace(fmt.Sprintf("STUN error %d %s", ec.Code, printable(ec.Reason)))
		} else {
			r.Detail = "STUN error response"
		}
	default:
		// Our own request came back: an echo service, not a STUN server.
		return r.wrong(s.start, "not a STUN response",
			fmt.Errorf("got a STUN %s back, want a response", m.Type.Class)), true
	}
	if s.tlsDetail != "" {
		r.Detail += "; " + s.tlsDetail
	}
	return r.open(s.start), true
}

func (s *stunExchange) fail(err error) Result {
	r := s.r
	r.fail(s.parent, s.start, closedBy(s.ctx, err))
	// Over TCP and TLS the connect completed: silence is a mute service.
	if !r.mute(r.Transport != "udp", "STUN") && r.Status == StatusFiltered && s.sent > 0 {
		r.Cause = fmt.Sprintf("no STUN response to %d %s", s.sent, plural(s.sent, "request"))
	}
	return *r
}

// streamFail handles a read error on TCP or TLS: a peer that hangs up
// without a STUN answer is something else listening, not a closed or
// filtered port.
func (s *stunExchange) streamFail(err error) Result {
	if hungUp(err) && s.ctx.Err() == nil {
		return s.r.wrong(s.start, "connection closed without a STUN response", err)
	}
	// TLS 1.3: a server that requires a client certificate says so only
	// after our handshake ended, on the first read.
	if s.tls.certRequested.Load() && certRefused(err) {
		return s.r.wrong(s.start, CauseClientCert, err)
	}
	return s.fail(err)
}

// closedBy explains a net.ErrClosed caused by our own AfterFunc: the
// context's error is the real reason.
func closedBy(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// printable makes server-supplied bytes safe and short for a message.
func printable(b []byte) string {
	return printableN(string(b), maxReason)
}

// printableN is printable with a bound of n bytes.
func printableN(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
