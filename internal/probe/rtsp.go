package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"
)

// RTSPOptions configures RTSP.
type RTSPOptions struct {
	// TLS selects rtsps. Defaults to false: plain rtsp.
	TLS bool
	// Path is the path of the request URL, such as "/live/cam1". Defaults
	// to empty: the URL names only the server, rtsp://host:port.
	Path string
	// TLSOptions verifies the server for rtsps, as TLS does. The URL names
	// its ServerName when set. Ignored for plain rtsp.
	TLSOptions TLSOptions
}

// RTSP sends one OPTIONS request to t (RFC 2326 section 10.1,
// "OPTIONS rtsp://host:port/path RTSP/1.0" with a CSeq) and reports open on
// any RTSP status line that carries our CSeq: 401 proves an RTSP server as
// well as 200. Detail has the status line and, when the server lists them,
// its Public methods. OPTIONS opens no session and starts no stream.
//
// An answer that is not RTSP is an error, and so is a hang-up without one.
// Silence is filtered until the TCP connect completes and an error after
// it: the path is open and the service mute. For rtsps the certificate is
// verified and judged as TLS does.
func RTSP(ctx context.Context, t Target, o RTSPOptions) Result {
	scheme := "rtsp"
	if o.TLS {
		scheme = "rtsps"
	}
	r := newResult(scheme, "tcp", t)
	dctx, cancel := withDeadline(ctx)
	defer cancel()
	deadline, _ := dctx.Deadline()

	var (
		p    progress
		conn net.Conn
		err  error
	)
	p.control = t.Control
	start := time.Now()
	if o.TLS {
		conn, err = p.dialTLS(dctx, r.Address, tlsConfig(t, o.TLSOptions.ServerName, o.TLSOptions.RootCAs, o.TLSOptions.Now, &p))
	} else {
		conn, err = p.dialTCP(dctx, r.Address)
	}
	if err != nil {
		if o.TLS {
			return r.tlsFail(ctx, start, err, o.TLSOptions.Now, &p)
		}
		return r.fail(ctx, start, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(dctx, func() { _ = conn.Close() })
	defer stop()
	_ = conn.SetDeadline(deadline)

	name := r.Host
	if o.TLS && o.TLSOptions.ServerName != "" {
		name = o.TLSOptions.ServerName
	}
	// Random, so that only an answer to this request matches.
	cseq := strconv.Itoa(1 + rand.IntN(99999))
	req := fmt.Sprintf("OPTIONS %s RTSP/1.0\r\nCSeq: %s\r\nUser-Agent: %s\r\n\r\n",
		rtspURL(scheme, name, t.Port, o.Path), cseq, userAgent)
	h, err := rtspExchange(conn, req, cseq)
	if err != nil {
		return r.rtspFail(ctx, dctx, start, err, &p)
	}
	rtt := time.Since(start)

	r.Detail = h.statusLine()
	if public := h.get("public"); public != "" {
		r.Detail += "; public: " + printableN(public, maxPublic)
	}
	if server := h.get("server"); server != "" {
		r.Detail += "; server: " + printable([]byte(server))
	}
	if tc, ok := conn.(*tls.Conn); ok {
		if !r.judgeCert(tc.ConnectionState(), o.TLSOptions, start) {
			r.RTT = rtt
			return r
		}
	}
	r.open(start)
	r.RTT = rtt
	return r
}

// rtspURL is the request URL: scheme://host:port followed by path, with
// an IPv6 literal in brackets.
func rtspURL(scheme, host string, port uint16, path string) string {
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return scheme + "://" + net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(int(port))) + path
}

// rtspExchange sends req and returns the first response with our CSeq.
// Responses with another CSeq are read past, a bounded number of them.
func rtspExchange(conn net.Conn, req, cseq string) (head, error) {
	if _, err := conn.Write([]byte(req)); err != nil {
		return head{}, err
	}
	br := bufio.NewReader(conn)
	for range maxTextMessages {
		h, err := readHead(br, "RTSP/")
		if err != nil {
			return head{}, textAnswerError(err, "RTSP")
		}
		if h.get("cseq") == cseq {
			return h, nil
		}
		if err := skipBody(br, h); err != nil {
			return head{}, textAnswerError(err, "RTSP")
		}
	}
	return head{}, wrongAnswer("no RTSP response to our request",
		"%d RTSP responses in a row carried another CSeq than ours (%s)", maxTextMessages, cseq)
}

// rtspFail reports an exchange without our answer. parent is the caller's
// ctx, dctx the one with the safety deadline.
func (r *Result) rtspFail(parent, dctx context.Context, start time.Time, err error, p *progress) Result {
	if ae, ok := errors.AsType[*answerError](err); ok {
		return r.wrong(start, ae.cause, ae.err)
	}
	if dctx.Err() == nil {
		switch {
		case p.certRequested.Load() && certRefused(err):
			// TLS 1.3: the refusal arrives after the handshake, in place
			// of the response.
			r.wrong(start, CauseClientCert, err)
			r.Code = CodeClientCert
			return *r
		case hungUp(err):
			return r.wrong(start, "connection closed without an RTSP response", err)
		}
	}
	r.fail(parent, start, closedBy(dctx, err))
	r.mute(true, "RTSP")
	return *r
}
