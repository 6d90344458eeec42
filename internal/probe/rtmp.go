package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// RTMPOptions configures RTMP.
type RTMPOptions struct {
	// TLS, when set, makes the probe rtmps: the RTMP handshake runs inside a
	// TLS connection verified with these options, exactly as TLS verifies
	// (ServerName, RootCAs, MinValidity, Now). Defaults to nil: plain rtmp.
	TLS *TLSOptions
}

// The RTMP handshake (Adobe's RTMP specification 1.0, section 5.2): the
// client sends C0 (the version byte) and C1; the server answers S0, S1 and
// S2, where S2 echoes C1. C1, S1 and S2 are rtmpSigSize bytes: a 4-byte
// time, 4 bytes that are zero in C1 (time2 in S2), then random bytes.
const (
	rtmpVersion    = 3
	rtmpSigSize    = 1536
	rtmpRandOffset = 8
	// rtmpAnswerSize is S0+S1+S2.
	rtmpAnswerSize = 1 + 2*rtmpSigSize
)

// RTMP runs the client's side of the RTMP handshake with t: it sends C0
// (version 3) and C1, reads S0, S1 and S2, and reports open when S0 is
// version 3 and S2 echoes the random part of C1. It then closes without
// sending C2 or any command, so no session or stream is created.
//
// Only S2's random part is compared: servers fill S2's two time fields
// differently. nginx-rtmp 1.2.2 (Debian's libnginx-mod-rtmp), given a C1
// whose second field is zero, runs its "old-style" handshake: it sends C1
// back byte for byte as S1 and again as S2, so S2's time2 is our zero
// rather than a read time.
//
// A server that answers with something else, hangs up, or stops part-way
// is an error, as is silence after the TCP connect (a mute service); a
// refusal is closed, and silence before the connect completes is filtered.
// Over TLS, certificate problems are judged as by TLS.
func RTMP(ctx context.Context, t Target, o RTMPOptions) Result {
	protocol := "rtmp"
	if o.TLS != nil {
		protocol = "rtmps"
	}
	r := newResult(protocol, "tcp", t)
	dctx, cancel := withDeadline(ctx)
	defer cancel()
	deadline, _ := dctx.Deadline()

	var (
		p         progress
		conn      net.Conn
		tlsDetail string
	)
	p.control = t.Control
	start := time.Now()
	if o.TLS == nil {
		c, err := p.dialTCP(dctx, r.Address)
		if err != nil {
			return r.fail(ctx, start, err)
		}
		conn = c
	} else {
		c, err := p.dialTLS(dctx, r.Address, tlsConfig(t, o.TLS.ServerName, o.TLS.RootCAs, o.TLS.Now, &p))
		if err == nil {
			// A TLS 1.3 server that asked for a client certificate refuses
			// our lack of one only after the handshake: hear it out first,
			// or C0+C1 can meet a reset instead of its alert. RTMP servers
			// never speak first, so no byte of S0 can be lost to this.
			if err = p.clientCertVerdict(dctx, c); err != nil {
				_ = c.Close()
			}
		}
		if err != nil {
			return r.tlsFail(ctx, start, err, o.TLS.Now, &p)
		}
		if !r.judgeCert(c.ConnectionState(), *o.TLS, start) {
			_ = c.Close()
			return r
		}
		conn, tlsDetail = c, r.Detail
		r.Detail = ""
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	// A cancel unblocks Read at once through the deadline. Not through
	// Close: closing a TLS conn sends close_notify, and the server's reply
	// to it could reach the blocked Read as a hang-up before the Close does.
	stop := context.AfterFunc(dctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	h := rtmpHandshake{r: &r, parent: ctx, ctx: dctx, start: start, p: &p}
	res := h.run(conn)
	if res.Status == StatusOpen && tlsDetail != "" {
		res.Detail += "; " + tlsDetail
	}
	return res
}

// rtmpHandshake is one probe's handshake state.
type rtmpHandshake struct {
	r      *Result
	parent context.Context // the caller's, for Classify
	ctx    context.Context // with the safety deadline
	start  time.Time
	p      *progress
}

func (h *rtmpHandshake) run(conn net.Conn) Result {
	c01 := newRTMPC0C1()
	if _, err := conn.Write(c01); err != nil {
		return h.fail(err, 0)
	}
	answer := make([]byte, rtmpAnswerSize)
	// One Read first: whatever arrives with S0 names a non-RTMP server.
	n, err := conn.Read(answer)
	if err != nil {
		return h.fail(err, 0)
	}
	if answer[0] != rtmpVersion {
		cause := notRTMP(answer[:n])
		return h.r.wrong(h.start, cause, errors.New(cause))
	}
	m, err := io.ReadFull(conn, answer[n:])
	if err != nil {
		return h.fail(err, n+m)
	}
	if err := checkRTMPAnswer(c01, answer); err != nil {
		return h.r.wrong(h.start, err.Error(), err)
	}
	h.r.Detail = "RTMP version 3 handshake"
	return h.r.open(h.start)
}

// newRTMPC0C1 returns C0 (version 3) and C1: time 0, four zero bytes, then
// random bytes for S2 to echo.
func newRTMPC0C1() []byte {
	b := make([]byte, 1+rtmpSigSize)
	b[0] = rtmpVersion
	_, _ = rand.Read(b[1+rtmpRandOffset:]) // never fails (crypto/rand)
	return b
}

// checkRTMPAnswer judges a complete S0+S1+S2 against the C0+C1 that was
// sent: S0 must be version 3 and S2's random part must echo C1's.
func checkRTMPAnswer(c01, answer []byte) error {
	if len(answer) != rtmpAnswerSize {
		return fmt.Errorf("RTMP answer of %d bytes, want %d", len(answer), rtmpAnswerSize)
	}
	if answer[0] != rtmpVersion {
		return errors.New(notRTMP(answer))
	}
	s2 := answer[1+rtmpSigSize:]
	if !bytes.Equal(s2[rtmpRandOffset:], c01[1+rtmpRandOffset:]) {
		return errors.New(CauseRTMPNoEcho)
	}
	return nil
}

// CauseRTMPNoEcho is the cause when a server sends a version 3 S0 and a
// full S1 and S2, but S2 does not echo C1.
const CauseRTMPNoEcho = "RTMP handshake: S2 does not echo C1"

// notRTMP names what came back instead of an RTMP version 3 S0.
func notRTMP(b []byte) string {
	switch first := b[0]; {
	case first == 0x15 || first == 0x16:
		// An alert or handshake record: a TLS server read C0 as a record.
		return fmt.Sprintf("not an RTMP answer: first byte 0x%02x is a TLS record (is this port rtmps?)", first)
	case first < 0x20 || first > 0x7e:
		return fmt.Sprintf("not an RTMP version 3 answer: first byte 0x%02x", first)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return fmt.Sprintf("not an RTMP server: it answered %q", printable([]byte(line)))
}

// fail classifies a write or read error after got bytes of S0+S1+S2.
func (h *rtmpHandshake) fail(err error, got int) Result {
	r := h.r
	r.fail(h.parent, h.start, closedBy(h.ctx, err))
	switch {
	case got == 0 && r.mute(true, "RTMP"):
		// Connected, and not a byte back: a mute service.
	case r.Status == StatusFiltered:
		r.Status, r.Code = StatusError, CodeWrongAnswer
		r.Cause = fmt.Sprintf("RTMP handshake incomplete: %d of %d bytes of S0+S1+S2 within attempt_timeout", got, rtmpAnswerSize)
	case r.Status != StatusError:
	case h.p.certRequested.Load() && certRefused(err):
		// The refusal of our missing client certificate came late, in
		// place of S0.
		r.Code, r.Cause = CodeClientCert, CauseClientCert
	case (hungUp(err) || errors.Is(err, syscall.EPIPE)) && got == 0:
		r.Cause = "connection closed without an RTMP answer"
	case hungUp(err):
		r.Cause = fmt.Sprintf("connection closed during the RTMP handshake, after %d of %d bytes of S0+S1+S2", got, rtmpAnswerSize)
	}
	return *r
}
