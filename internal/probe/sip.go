package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// SIPOptions configures SIP.
type SIPOptions struct {
	// Transport is "udp", "tcp" or "tls". Defaults to "udp".
	Transport string
	// ExpectStatus is the final status code that counts as open, such as
	// 200. Defaults to 0: any final response proves a SIP stack, 401, 403,
	// 404, 405 and 483 included.
	ExpectStatus int
	// T1 is the first UDP retransmission interval. The request is resent
	// after T1, then at doubling intervals of at most 4s (T2), until the
	// deadline, as RFC 3261 section 17.1.2.2 (timer E) asks of a non-INVITE
	// request such as OPTIONS. Defaults to 500ms. Unused over TCP and TLS,
	// which are reliable and get one request.
	T1 time.Duration
	// TLSOptions verifies the server over transport "tls", as TLS does.
	// Ignored on the other transports.
	TLSOptions TLSOptions
}

const (
	sipDefaultT1 = 500 * time.Millisecond
	sipT2        = 4 * time.Second
	// sipDatagram holds any UDP datagram.
	sipDatagram = 64 << 10
	// sipCSeq is the CSeq of the probe's only request.
	sipCSeq = "1 OPTIONS"
)

// SIP sends one OPTIONS request to t and reports open on a final response
// that carries our Call-ID and CSeq: any status proves a SIP stack, unless
// ExpectStatus asks for one. Detail has the status line. Provisional (1xx)
// responses are noted and the probe waits on for the final one; if none
// comes within the attempt, that is an error. The probe leaves nothing
// behind: OPTIONS creates no dialog and no registration.
//
// Over UDP the socket is connected, so an ICMP port unreachable reads
// closed and the kernel drops replies from any other address. The request
// is retransmitted per T1; responses for another Call-ID or CSeq are
// ignored; bytes that are not SIP are an error; silence is filtered. Over
// TCP and TLS silence is filtered until the connect completes and an error
// after it: the path is open and the service mute. TLS is verified as TLS
// does.
func SIP(ctx context.Context, t Target, o SIPOptions) Result {
	transport := o.Transport
	if transport == "" {
		transport = "udp"
	}
	r := newResult("sip", transport, t)
	if transport != "udp" && transport != "tcp" && transport != "tls" {
		r.Status, r.Code, r.Cause = StatusError, CodeOther, "unknown transport"
		r.Error = fmt.Sprintf("sip: unknown transport %q, want udp, tcp or tls", transport)
		return r
	}
	dctx, cancel := withDeadline(ctx)
	defer cancel()
	deadline, _ := dctx.Deadline()

	x := sipExchange{r: &r, parent: ctx, ctx: dctx, deadline: deadline, p: progress{control: t.Control}}
	x.start = time.Now()
	conn, err := x.dial(t, transport, o.TLSOptions)
	if err != nil {
		if transport == "tls" {
			return r.tlsFail(ctx, x.start, err, o.TLSOptions.Now, &x.p)
		}
		return r.fail(ctx, x.start, err)
	}
	defer conn.Close()
	// Closing on cancel unblocks Read at once; the deadline covers expiry.
	stop := context.AfterFunc(dctx, func() { _ = conn.Close() })
	defer stop()
	_ = conn.SetDeadline(deadline)
	x.conn = conn
	x.buildRequest(t, transport, o.TLSOptions.ServerName)

	var h head
	if transport == "udp" {
		h, err = x.udp(o.T1)
	} else {
		h, err = x.stream()
	}
	if err != nil {
		return x.fail(err)
	}
	return x.judge(h, o)
}

// sipExchange is one probe's state, shared by the UDP and stream paths.
type sipExchange struct {
	r        *Result
	parent   context.Context // the caller's, for Classify
	ctx      context.Context // with the safety deadline
	deadline time.Time
	start    time.Time
	p        progress
	conn     net.Conn
	req      []byte
	callID   string
	sent     int
	// provisional is the last 1xx answer to our request, if any.
	provisional *head
}

func (x *sipExchange) dial(t Target, transport string, o TLSOptions) (net.Conn, error) {
	switch transport {
	case "udp":
		// Connected: ICMP errors reach Read, and replies from elsewhere
		// never do.
		d := t.dialer()
		return d.DialContext(x.ctx, "udp", x.r.Address)
	case "tls":
		return x.p.dialTLS(x.ctx, x.r.Address, tlsConfig(t, o.ServerName, o.RootCAs, o.Now, &x.p))
	default:
		return x.p.dialTCP(x.ctx, x.r.Address)
	}
}

// buildRequest writes an RFC 3261 OPTIONS request for t: a fresh branch,
// tag and Call-ID, "rport" so a server behind NAT answers where the request
// came from, and Content-Length 0.
func (x *sipExchange) buildRequest(t Target, transport, serverName string) {
	name := x.r.Host
	if transport == "tls" && serverName != "" {
		name = serverName
	}
	target := net.JoinHostPort(strings.Trim(name, "[]"), strconv.Itoa(int(t.Port)))
	local := x.conn.LocalAddr().String()
	localIP, _, _ := net.SplitHostPort(local)
	if strings.Contains(localIP, ":") {
		localIP = "[" + localIP + "]"
	}
	param := ""
	if transport != "udp" {
		param = ";transport=" + transport
	}
	x.callID = rand.Text()
	var b bytes.Buffer
	fmt.Fprintf(&b, "OPTIONS sip:%s%s SIP/2.0\r\n", target, param)
	fmt.Fprintf(&b, "Via: SIP/2.0/%s %s;branch=z9hG4bK%s;rport\r\n", strings.ToUpper(transport), local, rand.Text())
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "To: <sip:%s>\r\n", target)
	fmt.Fprintf(&b, "From: <sip:mediaprobe@%s>;tag=%s\r\n", localIP, rand.Text()[:10])
	fmt.Fprintf(&b, "Call-ID: %s\r\n", x.callID)
	fmt.Fprintf(&b, "CSeq: %s\r\n", sipCSeq)
	fmt.Fprintf(&b, "Contact: <sip:mediaprobe@%s%s>\r\n", local, param)
	b.WriteString("Accept: application/sdp\r\n")
	fmt.Fprintf(&b, "User-Agent: %s\r\n", userAgent)
	b.WriteString("Content-Length: 0\r\n\r\n")
	x.req = b.Bytes()
}

// ours reports whether h answers our request.
func (x *sipExchange) ours(h head) bool {
	return h.get("call-id", "i") == x.callID && strings.Join(strings.Fields(h.get("cseq")), " ") == sipCSeq
}

func (x *sipExchange) udp(t1 time.Duration) (head, error) {
	rto := t1
	if rto <= 0 {
		rto = sipDefaultT1
	}
	buf := make([]byte, sipDatagram)
	var resend time.Time
	for others := 0; others < maxTextMessages; {
		if now := time.Now(); !now.Before(resend) {
			// The same bytes every time, as a retransmission must be.
			if _, err := x.conn.Write(x.req); err != nil {
				return head{}, err
			}
			x.sent++
			resend = now.Add(rto)
			rto = min(2*rto, sipT2)
		}
		_ = x.conn.SetReadDeadline(earliest(resend, x.deadline))
		n, err := x.conn.Read(buf)
		if err != nil {
			if isTimeout(err) && time.Now().Before(x.deadline) {
				continue // time to retransmit
			}
			return head{}, err
		}
		if len(bytes.TrimSpace(buf[:n])) == 0 {
			continue // a CRLF keep-alive
		}
		h, err := parseHead(buf[:n], "SIP/")
		switch {
		case err != nil:
			return head{}, textAnswerError(err, "SIP")
		case !x.ours(h):
			others++
		case h.code < 200:
			x.provisional = &h
			rto = sipT2 // RFC 3261 section 17.1.2.2, Proceeding state
		default:
			return h, nil
		}
	}
	return head{}, x.tooManyOthers()
}

func (x *sipExchange) stream() (head, error) {
	if _, err := x.conn.Write(x.req); err != nil {
		return head{}, err
	}
	x.sent = 1
	br := bufio.NewReader(x.conn)
	for range maxTextMessages {
		h, err := readHead(br, "SIP/")
		if err != nil {
			return head{}, textAnswerError(err, "SIP")
		}
		if x.ours(h) {
			if h.code >= 200 {
				return h, nil
			}
			x.provisional = &h
		}
		// Over a stream the next message starts after this one's body.
		if err := skipBody(br, h); err != nil {
			return head{}, textAnswerError(err, "SIP")
		}
	}
	return head{}, x.tooManyOthers()
}

func (x *sipExchange) tooManyOthers() error {
	return wrongAnswer("no SIP response to our request",
		"%d SIP messages in a row answered something else than our OPTIONS (Call-ID %s, CSeq %s)",
		maxTextMessages, x.callID, sipCSeq)
}

// fail reports an exchange that found no final answer.
func (x *sipExchange) fail(err error) Result {
	r := x.r
	canceled := errors.Is(x.parent.Err(), context.Canceled)
	if p := x.provisional; p != nil {
		r.Detail = p.statusLine()
	}
	if ae, ok := errors.AsType[*answerError](err); ok {
		return r.wrong(x.start, ae.cause, ae.err)
	}
	if p := x.provisional; p != nil && !canceled {
		// The server is SIP, but the request never completed.
		return r.wrong(x.start, p.statusLine()+", but no final response within attempt_timeout",
			fmt.Errorf("only a provisional answer, then: %w", closedBy(x.ctx, err)))
	}
	connected := r.Transport != "udp"
	if connected && !canceled && x.ctx.Err() == nil {
		switch {
		case x.p.certRequested.Load() && certRefused(err):
			// TLS 1.3: the refusal arrives after the handshake, in place
			// of the response.
			r.wrong(x.start, CauseClientCert, err)
			r.Code = CodeClientCert
			return *r
		case hungUp(err):
			return r.wrong(x.start, "connection closed without a SIP response", err)
		}
	}
	r.fail(x.parent, x.start, closedBy(x.ctx, err))
	if !r.mute(connected, "SIP") && r.Status == StatusFiltered && x.sent > 0 {
		r.Cause = fmt.Sprintf("no SIP response to %d %s", x.sent, plural(x.sent, "request"))
	}
	return *r
}

// judge reports our final answer: the certificate first over TLS, as
// HTTPS does, then the status.
func (x *sipExchange) judge(h head, o SIPOptions) Result {
	r := x.r
	rtt := time.Since(x.start)
	r.Detail = h.statusLine()
	if server := h.get("server", "user-agent"); server != "" {
		r.Detail += "; server: " + printable([]byte(server))
	}
	if tc, ok := x.conn.(*tls.Conn); ok {
		if !r.judgeCert(tc.ConnectionState(), o.TLSOptions, x.start) {
			r.RTT = rtt
			return *r
		}
	}
	if o.ExpectStatus != 0 && h.code != o.ExpectStatus {
		cause := strings.TrimSpace(fmt.Sprintf("OPTIONS returned %d %s", h.code, printable([]byte(h.reason)))) +
			fmt.Sprintf(", expected %d", o.ExpectStatus)
		r.wrong(x.start, cause, errors.New(cause))
		r.Code = CodeUnexpectedStatus
	} else {
		r.open(x.start)
	}
	r.RTT = rtt
	return *r
}
